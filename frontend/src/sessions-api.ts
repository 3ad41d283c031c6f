// A typed client of the session API (docs/protocol.md, "Session API (HTTP)"): list, rename, end,
// share and revoke. The fetch function and the token are injected, so all of it runs in unit
// tests. The token goes in the `Authorization` header only, never in a URL; errors come back as
// `SessionApiError` with the server's own words (its `{"error": ...}`) when it gave any.

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
}

/** A session id as the protocol defines it. */
export const SESSION_ID = /^[0-9a-f]{32}$/;

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

/** One listed session, or null when it is not one (a server of another version). */
export function parseSession(value: unknown): SessionInfo | null {
  const session = record(value);
  if (session === null || typeof session.id !== "string" || !SESSION_ID.test(session.id)) {
    return null;
  }
  const role = session.role === "owner" || session.role === "write" || session.role === "view" ? session.role : "view";
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

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { Accept: "application/json" };
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
    if (response.status === 204) {
      return null;
    }
    try {
      return (await response.json()) as unknown;
    } catch {
      return null;
    }
  }
}

/** An id for a URL path: only a real session id, so nothing else can reach the path. */
function sessionPath(id: string): string {
  if (!SESSION_ID.test(id)) {
    throw new SessionApiError(0, "not a session id");
  }
  return id;
}
