// Where the UI's bearer token comes from: the URL fragment (`#token=...`, removed from the address
// bar at once) or a postMessage from an embedding page whose origin the server allows. The token
// is kept in sessionStorage and only ever sent inside the WebSocket's first message: never put in
// a URL, a log or the console.

export const TOKEN_KEY = "web-terminal.token";
export const SESSION_KEY = "web-terminal.session";
export const TOKEN_MESSAGE_TYPE = "web-terminal:token";
export const TOKEN_REQUEST_TYPE = "web-terminal:token-request";
/** Far larger than any JWT; a bound so a hostile frame cannot make us store megabytes. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/** A small string store: sessionStorage, or memory where storage is blocked (sandboxed frames). */
export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

export function storageStore(storage: () => Storage): KeyValueStore {
  const memory = new Map<string, string>();
  return {
    get(key) {
      try {
        return storage().getItem(key);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set(key, value) {
      try {
        storage().setItem(key, value);
      } catch {
        memory.set(key, value);
      }
    },
    remove(key) {
      memory.delete(key);
      try {
        storage().removeItem(key);
      } catch {
        // Nothing stored there.
      }
    },
  };
}

/**
 * Splits a `token` parameter off a URL fragment such as `#token=abc&x=1`. The value is
 * percent-decoded but `+` stays `+` (opaque tokens may be standard base64).
 */
export function splitFragmentToken(hash: string): { found: boolean; token: string | null; rest: string } {
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  let token: string | null = null;
  let found = false;
  const kept: string[] = [];
  for (const part of body.split("&")) {
    if (part === "token" || part.startsWith("token=")) {
      found = true;
      const raw = part.slice("token=".length);
      try {
        token = decodeURIComponent(raw);
      } catch {
        token = raw;
      }
    } else if (part !== "") {
      kept.push(part);
    }
  }
  if (!found) {
    return { found, token: null, rest: hash };
  }
  return { found, token: token === "" ? null : token, rest: kept.length > 0 ? `#${kept.join("&")}` : "" };
}

interface LocationLike {
  readonly href: string;
  readonly hash: string;
}

interface HistoryLike {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url?: string | URL | null): void;
}

/**
 * Reads a token from the fragment at start-up: it is stored, and removed from the address bar
 * (without a new history entry) before anything else can see it. Returns the token to use: the
 * fragment's, else one stored earlier in this tab, else null.
 */
export function takeFragmentToken(location: LocationLike, history: HistoryLike, store: KeyValueStore): string | null {
  const { found, token, rest } = splitFragmentToken(location.hash);
  if (found) {
    const url = new URL(location.href);
    url.hash = rest;
    history.replaceState(history.state, "", url.toString());
    if (token !== null) {
      store.set(TOKEN_KEY, token);
    }
  }
  return store.get(TOKEN_KEY);
}

export interface UiConfig {
  /** Exact origins (scheme://host[:port]) of pages allowed to embed the UI and hand it tokens. */
  embedOrigins: string[];
  /** Whether the server requires a token. */
  auth: boolean;
  /** The largest file the server takes as an upload, in bytes; null when it did not say. */
  transferMaxBytes: number | null;
}

/** Used when the server has no UI configuration: accept tokens from no page. */
export const NO_UI_CONFIG: UiConfig = { embedOrigins: [], auth: false, transferMaxBytes: null };

function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
  } catch {
    return false;
  }
}

/** Validates the body of `GET /api/v1/ui-config`; anything odd means no embedding. */
export function parseUiConfig(body: unknown): UiConfig {
  if (typeof body !== "object" || body === null) {
    return NO_UI_CONFIG;
  }
  const record = body as Record<string, unknown>;
  const origins = record.embed_origins;
  const embedOrigins = Array.isArray(origins)
    ? origins.filter((origin): origin is string => typeof origin === "string" && isExactOrigin(origin))
    : [];
  const limit = record.transfer_max_bytes;
  const transferMaxBytes = typeof limit === "number" && Number.isSafeInteger(limit) && limit >= 0 ? limit : null;
  return { embedOrigins, auth: record.auth === true, transferMaxBytes };
}

export async function loadUiConfig(fetchFn: typeof fetch, url: string): Promise<UiConfig> {
  try {
    const response = await fetchFn(url, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) {
      return NO_UI_CONFIG;
    }
    return parseUiConfig(await response.json());
  } catch {
    return NO_UI_CONFIG;
  }
}

interface MessageLike {
  readonly origin: string;
  readonly data: unknown;
  readonly source: unknown;
}

/**
 * The token in a `{type: "web-terminal:token", token}` message, if it came from the embedding
 * parent window and that window's origin is allowed; else null.
 */
export function tokenFromMessage(event: MessageLike, allowedOrigins: readonly string[], parent: unknown): string | null {
  if (!allowedOrigins.includes(event.origin) || event.source !== parent) {
    return null;
  }
  const data = event.data;
  if (typeof data !== "object" || data === null) {
    return null;
  }
  const record = data as Record<string, unknown>;
  const token = record.token;
  if (record.type !== TOKEN_MESSAGE_TYPE || typeof token !== "string") {
    return null;
  }
  return token.length > 0 && token.length <= MAX_TOKEN_LENGTH ? token : null;
}

interface ParentLike {
  postMessage(message: unknown, targetOrigin: string): void;
}

/** Asks the embedding page for a fresh token, once per allowed origin. Returns how many asks. */
export function requestToken(parent: ParentLike | null, allowedOrigins: readonly string[]): number {
  if (parent === null) {
    return 0;
  }
  let asked = 0;
  for (const origin of allowedOrigins) {
    try {
      // The target origin makes the browser drop the message unless the parent is that origin.
      parent.postMessage({ type: TOKEN_REQUEST_TYPE }, origin);
      asked += 1;
    } catch {
      // A malformed origin; the others may still work.
    }
  }
  return asked;
}
