// What the status bar says for each connection state: plain words, and at most one action.
import type { ConnectionState, Notice } from "./reconnect";

/** The close reason (with 4403) of a viewer whose share the owner withdrew or changed. */
const SHARE_WITHDRAWN = "share withdrawn or changed";

/** What the bar's button does: start again, retry at once, or open a new session in a new tab. */
export type StatusAction = "restart" | "retry-now" | "new-tab";

export interface StatusView {
  text: string;
  tone: "info" | "ok" | "warn" | "error";
  action: { kind: StatusAction; label: string } | null;
}

function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export function describeState(state: ConnectionState, now: number, embedded: boolean): StatusView {
  switch (state.kind) {
    case "connecting":
      return { text: "Connecting…", tone: "info", action: null };
    case "connected":
      return { text: "Connected", tone: "ok", action: null };
    case "reconnecting": {
      const lead = {
        network: "Connection lost, reconnecting",
        "server-restart": "Server restarting, reconnecting",
        "too-slow": "Fell behind the output, reattaching",
        "handshake-timeout": "No answer from the server, reconnecting",
        "sign-in": "Signing in again",
      }[state.cause];
      if (state.retryAt === null) {
        return { text: `${lead} (attempt ${state.attempt})…`, tone: "warn", action: null };
      }
      const seconds = secondsUntil(state.retryAt, now);
      return {
        text: `${lead} (attempt ${state.attempt}, next try in ${seconds} s)`,
        tone: "warn",
        action: { kind: "retry-now", label: "Retry now" },
      };
    }
    case "exited":
      return {
        text:
          state.code === null
            ? "Session ended. Press Enter for a new session."
            : `Session exited with code ${state.code}. Press Enter for a new session.`,
        tone: state.code === null || state.code === 0 ? "info" : "warn",
        action: { kind: "restart", label: "New session" },
      };
    case "refused":
      return { text: `Refused by the server: ${state.reason}`, tone: "error", action: { kind: "restart", label: "Try again" } };
    case "sign-in-required":
      return {
        text: embedded ? "Sign-in required: waiting for the page to provide a new token…" : "Sign-in required: open this terminal with a valid token.",
        tone: "error",
        action: null,
      };
    case "access-denied": {
      if (state.reason === SHARE_WITHDRAWN) {
        return {
          text: "The owner withdrew or changed your share of this session.",
          tone: "error",
          action: { kind: "restart", label: "Try again" },
        };
      }
      // The server's generic reason is the label itself; only a more specific one is worth adding.
      const detail = state.reason.trim().toLowerCase() === "access denied" ? "" : `: ${state.reason}`;
      return {
        text: `Access denied${detail}. This account may not use this terminal.`,
        tone: "error",
        action: { kind: "restart", label: "Try again" },
      };
    }
  }
}

export function describeNotice(notice: Notice): string {
  switch (notice) {
    case "session-expired":
      return "The previous session had ended; this is a new session.";
    case "server-restarted":
      return "The server restarted; this is a new session.";
    case "read-only":
      return "You are watching this session: what you type is not sent.";
  }
}

/** How long is left, in words: minutes up to two hours, then hours. */
function timeLeft(seconds: number): string {
  if (seconds < 90) {
    return "a minute";
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) {
    return `${minutes} minutes`;
  }
  return `${Math.round(minutes / 60)} hours`;
}

/** What the user is told when the server starts draining: how long this session has left. */
export function describeDraining(secondsLeft: number): string {
  return `This server is being replaced: this session can go on for about ${timeLeft(secondsLeft)}. A new session starts on a current server.`;
}
