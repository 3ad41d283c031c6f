// Deep links to a session: `#session=<32 hex>` in the address opens that session in this tab
// (attach instead of open), and `#session=new` a new one, even in a tab opened from another that
// shows a session (it starts with a copy of that tab's storage). Like the token, it is taken out of
// the address bar at once, so a reload or a copied address does not carry it on; the other
// fragment parameters (settings) stay. A link made here never carries a token.
import { SESSION_ID } from "./sessions-api";

const PARAMETER = "session=";
/** `#session=new`: a new session, whatever the tab's storage says. */
export const NEW_SESSION = "new";

/**
 * Splits a `session` parameter off a URL fragment such as `#session=abc…&theme=dark`. `session` is
 * the id when it is a valid one, or NEW_SESSION (else null: the parameter is still removed),
 * `found` whether the parameter was there at all, `rest` the fragment without it.
 */
export function splitFragmentSession(hash: string): { found: boolean; session: string | null; rest: string } {
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  let session: string | null = null;
  let found = false;
  const kept: string[] = [];
  for (const part of body.split("&")) {
    if (part === "session" || part.startsWith(PARAMETER)) {
      found = true;
      const value = part.slice(PARAMETER.length).toLowerCase();
      session = SESSION_ID.test(value) || value === NEW_SESSION ? value : null;
    } else if (part !== "") {
      kept.push(part);
    }
  }
  if (!found) {
    return { found, session: null, rest: hash };
  }
  return { found, session, rest: kept.length > 0 ? `#${kept.join("&")}` : "" };
}

interface LocationLike {
  readonly href: string;
  readonly hash: string;
}

interface HistoryLike {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url?: string | URL | null): void;
}

/** Takes `session=` out of the address bar (no new history entry); returns the id it named if valid, or NEW_SESSION. */
export function takeFragmentSession(location: LocationLike, history: HistoryLike): string | null {
  const { found, session, rest } = splitFragmentSession(location.hash);
  if (found) {
    const url = new URL(location.href);
    url.hash = rest;
    history.replaceState(history.state, "", url.toString());
  }
  return session;
}

/** The address that opens `session` (an id, or NEW_SESSION): this page without its fragment, plus `#session=`. */
export function sessionLink(href: string, session: string): string {
  const url = new URL(href);
  url.hash = `${PARAMETER}${session}`;
  return url.toString();
}

/** The replay page's address for `session`'s recording (`replay.html#session=`), beside this page. */
export function replayLink(href: string, session: string): string {
  const url = new URL("replay.html", href);
  url.hash = `${PARAMETER}${session}`;
  return url.toString();
}
