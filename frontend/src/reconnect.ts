// The connection state machine: one session over a sequence of WebSockets. It opens or attaches,
// reconnects with backoff after the close codes the protocol says to retry, and reports its state.
// The WebSocket, timers and randomness are injected, so all of this runs in unit tests.
import { CLOSE_CODES } from "./generated/protocol";
import type { ClientMessage } from "./generated/protocol";
import { handshakeMessage, type Handshake, type TerminalSize } from "./handshake";
import type { SocketFactory, SocketHandlers, SocketLike } from "./socket";
import { chunkBytes, decodeServerMessage, encodeClientMessage } from "./protocol";

/** Close code a browser reports when a connection dropped without a close frame (never on the wire). */
export const ABNORMAL_CLOSURE = 1006;
/** Close code a browser reports when the close frame carried no code. */
export const NO_STATUS_RECEIVED = 1005;

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  initialMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 10_000 };

/**
 * Delay before retry number `attempt` (1-based): `initialMs` doubling up to `maxMs`, then "equal
 * jitter" (uniform in the upper half), so clients dropped together do not return together while
 * the wait still grows with every failure.
 */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type RetryCause = "network" | "server-restart" | "too-slow" | "handshake-timeout" | "sign-in";

/** What the UI does after a close code (docs/protocol.md, "Close codes"). */
export type CloseAction =
  /** Reconnect by itself with backoff; after 1001 the session is gone, so open a new one. */
  | { action: "retry"; cause: RetryCause; forgetSession: boolean }
  /** 4404: the session is unknown or expired; open a new one at once and say so. */
  | { action: "new-session" }
  /** 4401: get a fresh token (from the embedding page), then reattach. */
  | { action: "sign-in" }
  /** 4403: not allowed; wait for the user. */
  | { action: "denied" }
  /** 1000: the shell exited. */
  | { action: "ended" }
  /** Anything else: show the server's reason and wait for the user. */
  | { action: "refused" };

export function closeAction(code: number): CloseAction {
  switch (code) {
    case CLOSE_CODES.normal:
      return { action: "ended" };
    case CLOSE_CODES.goingAway:
      return { action: "retry", cause: "server-restart", forgetSession: true };
    case CLOSE_CODES.tooSlow:
      return { action: "retry", cause: "too-slow", forgetSession: false };
    // Not in the protocol's lists. The UI sends its first message at once, so a handshake
    // timeout means the network stalled: retrying is what a user would do.
    case CLOSE_CODES.handshakeTimeout:
      return { action: "retry", cause: "handshake-timeout", forgetSession: false };
    case ABNORMAL_CLOSURE:
    case NO_STATUS_RECEIVED:
      return { action: "retry", cause: "network", forgetSession: false };
    case CLOSE_CODES.unauthorized:
      return { action: "sign-in" };
    case CLOSE_CODES.forbidden:
      return { action: "denied" };
    case CLOSE_CODES.unknownSession:
      return { action: "new-session" };
    default:
      // 1007, 1008, 1009, 1011, 4400, 4429 and codes this version does not know.
      return { action: "refused" };
  }
}

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "connected"; session: string }
  /** `retryAt` is the clock time of the next try, or null while that try is under way. */
  | { kind: "reconnecting"; attempt: number; cause: RetryCause; retryAt: number | null }
  /** `code` is null when the server closed normally without an exit message. */
  | { kind: "exited"; code: number | null }
  | { kind: "refused"; code: number; reason: string }
  | { kind: "sign-in-required" }
  | { kind: "access-denied"; reason: string };

/** One-off messages for the user, on top of the state. */
export type Notice =
  /** 4404 on attach: the old session had expired, this is a new one. */
  | "session-expired"
  /** Reconnected after 1001: the old session ended with the server. */
  | "server-restarted"
  /** The session was shared with this user to watch only: typing is not sent. */
  | "read-only";

/** The caller's role in a session (docs/protocol.md, the handshake). */
export type SessionRole = "owner" | "write" | "view";

function asRole(role: string | undefined): SessionRole | null {
  return role === "owner" || role === "write" || role === "view" ? role : null;
}

/** Callbacks from one socket. A socket that was closed locally calls none of them any more. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where the session id is kept between reloads (sessionStorage in the browser). */
export interface SessionStore {
  get(): string | null;
  set(session: string): void;
  clear(): void;
}

export interface ConnectionOptions {
  url: string;
  createSocket: SocketFactory;
  clock: Clock;
  random: () => number;
  sessions: SessionStore;
  /** The terminal's current size. */
  size(): { cols: number; rows: number };
  /** The current bearer token, if any. */
  token(): string | null;
  /** The size sent to the server (in a handshake or a `resize`), for the next page's early attach. */
  sizeSent?(size: { cols: number; rows: number }): void;
  /** Output bytes for the terminal. */
  output(bytes: Uint8Array): void;
  /**
   * A snapshot of the session's terminal: reset the terminal, then write the bytes without
   * sending any of the terminal's automatic replies while they are written. Output follows.
   * `screen`, where the server says so (`opened`'s `screen`, checked to lie within the bytes):
   * the range of them that, written after a reset, draws the screen without the history.
   */
  snapshot(bytes: Uint8Array, screen?: readonly [number, number]): void;
  /** Clear the terminal: called on attach to a server that sends a replay, not a snapshot. */
  reset(): void;
  stateChanged(state: ConnectionState): void;
  notice?(notice: Notice): void;
  /**
   * What this client may do in the session it is connected to (`opened`'s `role`; `view` after a
   * `readonly` notice too), or null while not connected or when the server does not say.
   */
  roleChanged?(role: SessionRole | null): void;
  /**
   * What follows (the next snapshot, or output) is for a terminal of `size`: the session's size,
   * told before every snapshot and where it changes, in order with the output (`size`).
   */
  sessionSize?(size: TerminalSize): void;
  /** Called on 4401: ask for a fresh token and call `tokenAvailable()` when one arrives. */
  signInRequired?(): void;
  /**
   * The server is being replaced: it takes no new sessions, and closes this one (1001) in
   * `secondsLeft` seconds unless it ends first. A new session opened now lands on a current server.
   */
  draining?(secondsLeft: number): void;
  backoff?: BackoffPolicy;
  /** Give up on a socket that has not been answered with `opened` after this long. */
  handshakeTimeoutMs?: number;
  /** Heartbeat: after this long without a frame from the server, send `ping`. */
  heartbeatMs?: number;
  /** Heartbeat: a connection that sends nothing this long after a `ping` is dead; reconnect. */
  heartbeatTimeoutMs?: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Output acknowledged in batches of at least this many bytes (the server's window is 128 KiB). */
export const ACK_EVERY_BYTES = 16 * 1024;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

type Pending = { kind: "open" } | { kind: "attach"; session: string };

export class TerminalConnection {
  private readonly options: ConnectionOptions;
  private currentState: ConnectionState = { kind: "connecting" };
  private socket: SocketLike | null = null;
  private pending: Pending | null = null;
  private connectedSession: string | null = null;
  private exitCode: number | null = null;
  private lastSentSize: { cols: number; rows: number } | null = null;
  /** Failed tries since the last `opened`. */
  private failures = 0;
  private retryTimer: unknown = null;
  private handshakeTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  /** Clock time of the last frame from the server, and of the `ping` not yet answered. */
  private lastHeard = 0;
  private pingSentAt: number | null = null;
  private pendingNotice: Notice | null = null;
  /** The next binary frame is a snapshot (announced by `opened` or `snapshot`). */
  private snapshotNext = false;
  /** Where the next snapshot's screen alone is (`opened`'s `screen`), if the server said. */
  private snapshotScreen: readonly [number, number] | null = null;
  /** Output bytes the terminal has processed and the server has not been told of yet. */
  private unacknowledged = 0;
  private disposed = false;
  private currentRole: SessionRole | null = null;

  constructor(options: ConnectionOptions) {
    this.options = options;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The id of the session this connection is attached to, or would reattach to. */
  get sessionId(): string | null {
    return this.connectedSession ?? this.options.sessions.get();
  }

  /** This client's role in the connected session, or null (see `roleChanged`). */
  get role(): SessionRole | null {
    return this.currentRole;
  }

  start(): void {
    this.connect();
  }

  /**
   * Switches to the live session `session` (the sessions panel, a `#session=` link): forgets the
   * current one in this tab and attaches to that one, as a reload would. An unknown id ends up in
   * a new session with the "session expired" notice, as any attach does.
   */
  attach(session: string): void {
    if (this.connectedSession === session && this.currentState.kind === "connected") {
      return;
    }
    this.options.sessions.set(session);
    this.failures = 0;
    this.connect();
  }

  /** Sends keyboard input or a paste, in frames of at most 64 KiB. False when not connected. */
  sendInput(bytes: Uint8Array<ArrayBuffer>): boolean {
    if (this.currentState.kind !== "connected" || this.socket === null) {
      return false;
    }
    for (const chunk of chunkBytes(bytes)) {
      this.socket.send(chunk);
    }
    return true;
  }

  /**
   * The terminal has processed `bytes` more bytes of output (its write callback ran). The server
   * sends at most 128 KiB beyond what was acknowledged, so a terminal that cannot keep up slows
   * the program down instead of queueing output without end; acknowledgements go in batches.
   */
  acknowledge(bytes: number): void {
    if (this.currentState.kind !== "connected" || this.socket === null) {
      return; // A new connection starts with a fresh window.
    }
    this.unacknowledged += bytes;
    if (this.unacknowledged >= ACK_EVERY_BYTES) {
      this.send({ type: "ack", bytes: this.unacknowledged });
      this.unacknowledged = 0;
    }
  }

  /** Tells the server about a new size, unless it already has it or this client only watches. */
  resize(cols: number, rows: number): void {
    if (this.currentState.kind !== "connected" || this.socket === null) {
      return; // The next open/attach carries the size.
    }
    if (this.currentRole === "view") {
      return; // A watcher's size has no say (the server would only answer `readonly`).
    }
    if (this.lastSentSize?.cols === cols && this.lastSentSize.rows === rows) {
      return;
    }
    this.send({ type: "resize", cols, rows });
    this.lastSentSize = { cols, rows };
    this.options.sizeSent?.(this.lastSentSize);
  }

  /** The user asked for a new start (after exit, refusal or denial). */
  restart(): void {
    if (this.currentState.kind === "connected" || this.currentState.kind === "connecting") {
      return;
    }
    if (this.currentState.kind === "exited") {
      this.options.sessions.clear();
    }
    this.failures = 0;
    this.connect();
  }

  /** The user asked not to wait for the next retry. */
  retryNow(): void {
    if (this.currentState.kind === "reconnecting" && this.currentState.retryAt !== null) {
      this.connect(this.currentState.attempt, this.currentState.cause);
    }
  }

  /** A fresh token arrived: reconnect if we were waiting for one. */
  tokenAvailable(): void {
    if (this.currentState.kind === "sign-in-required") {
      this.scheduleRetry("sign-in");
    }
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimers();
    this.dropSocket();
  }

  private connect(attempt = 0, cause: RetryCause = "network"): void {
    if (this.disposed) {
      return;
    }
    this.clearTimers();
    this.dropSocket();
    this.exitCode = null;
    this.connectedSession = null;
    this.unacknowledged = 0;
    this.setRole(null);
    this.setState(attempt === 0 ? { kind: "connecting" } : { kind: "reconnecting", attempt, cause, retryAt: null });
    const handlers: SocketHandlers = {
      open: (sent) => {
        this.handleOpen(sent);
      },
      message: (data) => {
        this.handleMessage(data);
      },
      close: (code, reason) => {
        this.handleClose(code, reason);
      },
    };
    this.socket = this.options.createSocket(this.options.url, handlers);
    this.handshakeTimer = this.options.clock.setTimeout(() => {
      this.handshakeTimer = null;
      this.dropSocket();
      this.scheduleRetry("handshake-timeout");
    }, this.options.handshakeTimeoutMs ?? 20_000);
  }

  /** Sends the handshake, unless `sent` says which one was sent already (before the UI ran). */
  private handleOpen(sent?: Handshake): void {
    const message = sent ?? handshakeMessage(this.options.sessions.get(), this.options.size(), this.options.token());
    this.pending = message.type === "open" ? { kind: "open" } : { kind: "attach", session: message.session };
    const { cols, rows } = message;
    this.lastSentSize = cols === undefined || rows === undefined ? null : { cols, rows };
    if (message !== sent) {
      this.send(message);
    }
    if (this.lastSentSize !== null) {
      this.options.sizeSent?.(this.lastSentSize);
    }
  }

  private handleMessage(data: string | ArrayBuffer): void {
    this.lastHeard = this.options.clock.now();
    if (typeof data !== "string") {
      if (this.snapshotNext) {
        this.snapshotNext = false;
        const screen = this.snapshotScreen;
        this.snapshotScreen = null;
        const bytes = new Uint8Array(data);
        if (screen !== null && screen[1] <= bytes.length) {
          this.options.snapshot(bytes, screen);
        } else {
          this.options.snapshot(bytes);
        }
      } else {
        this.options.output(new Uint8Array(data));
      }
      return;
    }
    const decoded = decodeServerMessage(data);
    if (!decoded.ok) {
      // A server speaking another protocol: stop instead of guessing.
      this.dropSocket();
      this.settle({ kind: "refused", code: CLOSE_CODES.badMessage, reason: `unexpected message from the server (${decoded.error})` });
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case "opened":
        this.handleOpened(message.session, message.snapshot === true);
        this.snapshotScreen = message.snapshot === true ? (message.screen ?? null) : null;
        this.setRole(asRole(message.role));
        if (message.role === "view") {
          this.options.notice?.("read-only");
        }
        break;
      case "snapshot":
        this.snapshotNext = true;
        this.snapshotScreen = null;
        break;
      case "exit":
        this.exitCode = message.code;
        this.options.sessions.clear();
        break;
      case "pong":
        break; // Hearing it was the point.
      case "readonly":
        this.setRole("view");
        this.options.notice?.("read-only");
        break;
      case "draining":
        this.options.draining?.(message.seconds_left);
        break;
      case "size":
        this.options.sessionSize?.({ cols: message.cols, rows: message.rows });
        break;
    }
  }

  private handleOpened(session: string, snapshot: boolean): void {
    if (this.handshakeTimer !== null) {
      this.options.clock.clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
    this.snapshotNext = snapshot;
    if (!snapshot && this.pending?.kind === "attach") {
      // An older server replays output instead: clear the screen so it is not shown twice.
      this.options.reset();
    }
    this.pending = null;
    this.failures = 0;
    this.connectedSession = session;
    this.options.sessions.set(session);
    this.setState({ kind: "connected", session });
    if (this.pendingNotice !== null) {
      this.options.notice?.(this.pendingNotice);
      this.pendingNotice = null;
    }
    // The window may have been resized while the handshake was in flight.
    const { cols, rows } = this.options.size();
    this.resize(cols, rows);
    this.pingSentAt = null;
    this.scheduleHeartbeat(this.heartbeatMs());
  }

  /**
   * Browsers do not show WebSocket pings to pages, so a connection that died without a close
   * (a sleeping laptop, a dropped NAT mapping) would look open until the user types. After
   * `heartbeatMs` of quiet the client sends `ping`; if nothing at all arrives within
   * `heartbeatTimeoutMs` of it, the connection is dropped and reattached. A late timer (a
   * throttled background tab) cannot cause a false alarm: only silence after a sent `ping` counts.
   */
  private heartbeat(): void {
    this.heartbeatTimer = null;
    if (this.currentState.kind !== "connected" || this.socket === null) {
      return;
    }
    const now = this.options.clock.now();
    const timeout = this.options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    if (this.pingSentAt !== null && this.lastHeard < this.pingSentAt) {
      const waited = now - this.pingSentAt;
      if (waited >= timeout) {
        this.dropSocket();
        this.scheduleRetry("network");
      } else {
        this.scheduleHeartbeat(timeout - waited);
      }
      return;
    }
    const quiet = now - this.lastHeard;
    if (quiet >= this.heartbeatMs()) {
      this.pingSentAt = now;
      this.send({ type: "ping" });
      this.scheduleHeartbeat(timeout);
    } else {
      this.scheduleHeartbeat(this.heartbeatMs() - quiet);
    }
  }

  private heartbeatMs(): number {
    return this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  private scheduleHeartbeat(ms: number): void {
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      this.heartbeat();
    }, ms);
  }

  private handleClose(code: number, reason: string): void {
    this.socket = null;
    const wasAttaching = this.pending?.kind === "attach";
    this.pending = null;
    if (this.handshakeTimer !== null) {
      this.options.clock.clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
    if (this.exitCode !== null) {
      this.settle({ kind: "exited", code: this.exitCode });
      return;
    }
    const outcome = closeAction(code);
    switch (outcome.action) {
      case "retry":
        if (outcome.forgetSession) {
          this.options.sessions.clear();
          this.pendingNotice = "server-restarted";
        }
        this.scheduleRetry(outcome.cause);
        break;
      case "new-session":
        this.options.sessions.clear();
        // Only an attach can meet an unknown session; an open cannot, so this cannot loop.
        if (wasAttaching) {
          this.pendingNotice = "session-expired";
          this.connect();
        } else {
          this.settle({ kind: "refused", code, reason: reason || "unknown session" });
        }
        break;
      case "sign-in":
        this.failures += 1;
        this.settle({ kind: "sign-in-required" });
        this.options.signInRequired?.();
        break;
      case "denied":
        this.settle({ kind: "access-denied", reason: reason || "access denied" });
        break;
      case "ended":
        this.options.sessions.clear();
        this.settle({ kind: "exited", code: null });
        break;
      case "refused":
        this.settle({ kind: "refused", code, reason: reason || `closed with code ${String(code)}` });
        break;
    }
  }

  private scheduleRetry(cause: RetryCause): void {
    if (this.disposed) {
      return;
    }
    if (cause !== "sign-in") {
      this.failures += 1;
    }
    // While a restarting server is away, its tries fail as network errors: keep saying why.
    const previous = this.currentState;
    if (cause === "network" && previous.kind === "reconnecting" && previous.cause === "server-restart") {
      cause = "server-restart";
    }
    const attempt = Math.max(this.failures, 1);
    const delay = backoffDelay(attempt, this.options.random, this.options.backoff);
    const retryAt = this.options.clock.now() + delay;
    this.clearTimers();
    this.setState({ kind: "reconnecting", attempt, cause, retryAt });
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      this.connect(attempt, cause);
    }, delay);
  }

  /** Enters a state that waits for the user (or a token). */
  private settle(state: ConnectionState): void {
    this.clearTimers();
    this.connectedSession = null;
    this.setRole(null);
    this.setState(state);
  }

  private send(message: ClientMessage): void {
    this.socket?.send(encodeClientMessage(message));
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.pending = null;
    socket?.close();
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) {
      this.options.clock.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (this.handshakeTimer !== null) {
      this.options.clock.clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
    if (this.heartbeatTimer !== null) {
      this.options.clock.clearTimeout(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  }

  private setRole(role: SessionRole | null): void {
    if (role !== this.currentRole) {
      this.currentRole = role;
      this.options.roleChanged?.(role);
    }
  }

  private setState(state: ConnectionState): void {
    this.currentState = state;
    this.options.stateChanged(state);
  }
}
