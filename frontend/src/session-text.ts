// How the sessions panel words a session: its label, roles, times, sizes and watchers.
import type { SessionInfo, ShareRole, Watcher } from "./sessions-api";

/** What each role is called in the list. */
export const ROLE_TEXT: Readonly<Record<SessionInfo["role"], string>> = { owner: "Owner", write: "Can type", view: "Read-only" };
/** What each share role is called in the share form. */
export const SHARE_ROLE_TEXT: Readonly<Record<ShareRole, string>> = { view: "View", write: "Write" };

/** "just now", "40 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function relativeTime(then: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 10) {
    return "just now";
  }
  if (seconds < 60) {
    return `${String(seconds)} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${String(minutes)} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${String(hours)} h ago`;
  }
  return `${String(Math.floor(hours / 24))} d ago`;
}

/** `bob` for `user:default/bob`; other refs as they are. */
export function shortRef(ref: string): string {
  return ref.startsWith("user:default/") ? ref.slice("user:default/".length) : ref;
}

/** A watcher as the panel names them: "you" for the owner looking at their own session. */
export function watcherText(watcher: Watcher, session: SessionInfo): string {
  const who = session.role === "owner" && watcher.user === session.owner ? "you" : shortRef(watcher.user);
  const times = watcher.connections > 1 ? ` ×${String(watcher.connections)}` : "";
  const role = watcher.role === null || watcher.role === "owner" ? "" : ` (${watcher.role})`;
  return `${who}${times}${role}`;
}

/** "812 B", "4.2 KB", "1.3 MB". */
export function sizeText(bytes: number): string {
  if (bytes < 1000) {
    return `${String(bytes)} B`;
  }
  return bytes < 1_000_000 ? `${(bytes / 1000).toFixed(1)} KB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The session's name, else the start of its id. */
export function sessionLabel(session: SessionInfo): string {
  return session.name === "" ? session.id.slice(0, 8) : session.name;
}
