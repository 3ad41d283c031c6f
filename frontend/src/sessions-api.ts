// A typed client of the session API (docs/protocol.md, "Session API (HTTP)"): list (with who is
// watching), rename, end, share and revoke, and the recordings one may replay. The fetch function and the token are injected, so all of it runs in unit
// tests. The token goes in the `Authorization` header only, never in a URL; errors come back as
// `SessionApiError` with the server's own words (its `{"error": ...}`) when it gave any.
import { SESSION_ID } from "./protocol";

export type ShareRole = "view" | "write";

export interface Share {
  /** An entity ref as the server normalised it: `user:default/bob`, `group:default/ops`. */
  subject: string;
  role: ShareRole;
}

export interface SessionInfo {
  /** 32 lowercase hex characters. */
  id: string;
  owner: string;
  /** The caller's role: `owner`, or what a share gives them. */
  role: "owner" | "write" | "view";
  /** "" when the session has no name. */
  name: string;
  /** Milliseconds since the epoch. */
  created: number;
  lastActivity: number;
  viewers: number;
  cols: number;
  rows: number;
  /** Who else may attach: the owner sees them, anyone else gets []. */
  shares: Share[];
  /** Who is attached now, one entry per user (and role, for the owner). */
  watchers: Watcher[];
  /** The session is recorded and the caller may replay it. */
  recording: boolean;
}

export interface Watcher {
  /** An entity ref: `user:default/bob`. */
  user: string;
  /** What they may do; only the owner is told (null for everyone else). */
  role: SessionInfo["role"] | null;
  /** Their connections attached now (tabs, devices). */
  connections: number;
}

/** A recording the caller may replay (docs/sessions.md): of a live session or an ended one. */
export interface RecordingInfo {
  id: string;
  owner: string;
  /** Milliseconds since the epoch. */
  started: number;
  lastWritten: number;
  bytes: number;
  /** Its session is still running. */
  live: boolean;
}

// A session id as the protocol defines it (with its replica's name when there are replicas).
export { SESSION_ID };

export class SessionApiError extends Error {
  /** The HTTP status, or 0 when the request did not get an answer. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "SessionApiError";
    this.status = status;
  }
}

export interface SessionApiOptions {
  fetch: typeof fetch;
  /** The page's address: the API is resolved against it (`api/v1/sessions`). */
  base: string;
  /** The bearer token, when the UI holds one. */
  token(): string | null;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function shareRole(value: unknown): ShareRole | null {
  return value === "view" || value === "write" ? value : null;
}

export function parseShare(value: unknown): Share | null {
  const share = record(value);
  const role = shareRole(share?.role);
  if (share === null || typeof share.subject !== "string" || role === null) {
    return null;
  }
  return { subject: share.subject, role };
}

function time(value: unknown): number {
  const parsed = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}

function sessionRole(value: unknown): SessionInfo["role"] | null {
  return value === "owner" || value === "write" || value === "view" ? value : null;
}

export function parseWatcher(value: unknown): Watcher | null {
  const watcher = record(value);
  if (watcher === null || typeof watcher.user !== "string" || watcher.user === "") {
    return null;
  }
  return { user: watcher.user, role: sessionRole(watcher.role), connections: Math.max(1, count(watcher.connections)) };
}

/** One listed recording, or null when it is not one. */
export function parseRecording(value: unknown): RecordingInfo | null {
  const recording = record(value);
  if (recording === null || typeof recording.id !== "string" || !SESSION_ID.test(recording.id)) {
    return null;
  }
  return {
    id: recording.id,
    owner: typeof recording.owner === "string" ? recording.owner : "",
    started: time(recording.started),
    lastWritten: time(recording.last_written),
    bytes: count(recording.bytes),
    live: recording.live === true,
  };
}

/** One listed session, or null when it is not one (a server of another version). */
export function parseSession(value: unknown): SessionInfo | null {
  const session = record(value);
  if (session === null || typeof session.id !== "string" || !SESSION_ID.test(session.id)) {
    return null;
  }
  const role = sessionRole(session.role) ?? "view";
  const shares = Array.isArray(session.shares) ? session.shares.map(parseShare).filter((share): share is Share => share !== null) : [];
  return {
    id: session.id,
    owner: typeof session.owner === "string" ? session.owner : "",
    role,
    name: typeof session.name === "string" ? session.name : "",
    created: time(session.created),
    lastActivity: time(session.last_activity),
    viewers: count(session.viewers),
    cols: count(session.cols),
    rows: count(session.rows),
    shares,
    watchers: Array.isArray(session.watchers) ? session.watchers.map(parseWatcher).filter((watcher): watcher is Watcher => watcher !== null) : [],
    recording: session.recording === true,
  };
}

/** The words for a failed request: the server's `error`, else its status. */
async function failure(response: Response): Promise<SessionApiError> {
  let message = `the server answered ${String(response.status)}${response.statusText === "" ? "" : ` ${response.statusText}`}`;
  try {
    const body = record(await response.json());
    if (typeof body?.error === "string" && body.error.trim() !== "") {
      message = body.error;
    }
  } catch {
    // No JSON: the status says it.
  }
  return new SessionApiError(response.status, message);
}

export class SessionApi {
  private readonly options: SessionApiOptions;

  constructor(options: SessionApiOptions) {
    this.options = options;
  }

  /** The caller's live sessions, oldest first. */
  async list(): Promise<SessionInfo[]> {
    const body = record(await this.request("GET", "api/v1/sessions"));
    const sessions = Array.isArray(body?.sessions) ? body.sessions : [];
    return sessions.map(parseSession).filter((session): session is SessionInfo => session !== null);
  }

  /** Names the session (`""` clears the name); the server trims it. */
  async rename(id: string, name: string): Promise<SessionInfo | null> {
    return parseSession(await this.request("PATCH", `api/v1/sessions/${sessionPath(id)}`, { name }));
  }

  /** Ends the session: its shell is hung up and its viewers are told. */
  async end(id: string): Promise<void> {
    await this.request("DELETE", `api/v1/sessions/${sessionPath(id)}`);
  }

  /** Shares the session with `subject` (a user or group) as `role`; returns the share as stored. */
  async share(id: string, subject: string, role: ShareRole): Promise<Share | null> {
    return parseShare(await this.request("POST", `api/v1/sessions/${sessionPath(id)}/shares`, { subject, role }));
  }

  /** Takes a share back. */
  async revoke(id: string, subject: string): Promise<void> {
    await this.request("DELETE", `api/v1/sessions/${sessionPath(id)}/shares`, { subject });
  }

  /** The recordings the caller may replay, most recent first; [] when the server records nothing (or predates the list: 404). */
  async recordings(): Promise<RecordingInfo[]> {
    let body: Record<string, unknown> | null;
    try {
      body = record(await this.request("GET", "api/v1/recordings"));
    } catch (error) {
      if (error instanceof SessionApiError && error.status === 404) {
        return [];
      }
      throw error;
    }
    const recordings = Array.isArray(body?.recordings) ? body.recordings : [];
    return recordings.map(parseRecording).filter((recording): recording is RecordingInfo => recording !== null);
  }

  /** The asciicast v3 text of session `id`'s recording. */
  async recording(id: string): Promise<string> {
    const response = await this.send("GET", `api/v1/sessions/${sessionPath(id)}/recording`, undefined, "application/x-asciicast");
    return response.text();
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.send(method, path, body, "application/json");
    if (response.status === 204) {
      return null;
    }
    try {
      return (await response.json()) as unknown;
    } catch {
      return null;
    }
  }

  /** Sends one request with the token in its header; a refusal is thrown as a SessionApiError. */
  private async send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    const token = this.options.token();
    if (token !== null) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    let response: Response;
    try {
      response = await this.options.fetch(new URL(path, this.options.base).toString(), {
        method,
        headers,
        cache: "no-store",
        credentials: "same-origin",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new SessionApiError(0, "the server could not be reached");
    }
    if (!response.ok) {
      throw await failure(response);
    }
    return response;
  }
}

/** An id for a URL path: only a real session id, so nothing else can reach the path. */
function sessionPath(id: string): string {
  if (!SESSION_ID.test(id)) {
    throw new SessionApiError(0, "not a session id");
  }
  return id;
}
