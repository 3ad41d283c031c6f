import { beforeEach, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "./generated/protocol";
import {
  ABNORMAL_CLOSURE,
  ACK_EVERY_BYTES,
  backoffDelay,
  closeAction,
  NO_STATUS_RECEIVED,
  TerminalConnection,
  type Clock,
  type ConnectionOptions,
  type ConnectionState,
  type Notice,
  type SessionStore,
} from "./reconnect";
import type { SocketHandlers, SocketLike } from "./socket";

const SESSION_A = "a".repeat(32);
const SESSION_B = "b".repeat(32);

describe("backoffDelay", () => {
  it("doubles from 0.5 s up to 10 s, with the jitter in the upper half", () => {
    const low = (attempt: number) => backoffDelay(attempt, () => 0);
    const high = (attempt: number) => backoffDelay(attempt, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(high)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect([1, 2, 3, 4, 5, 6].map(low)).toEqual([250, 500, 1000, 2000, 4000, 5000]);
    expect(backoffDelay(3, () => 0.5)).toBe(1500);
  });

  it("treats attempt 0 like the first retry and honours a custom policy", () => {
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1, { initialMs: 100, maxMs: 300 })).toBe(300);
  });
});

describe("closeAction", () => {
  it("retries after the codes the protocol says to retry", () => {
    expect(closeAction(ABNORMAL_CLOSURE)).toEqual({ action: "retry", cause: "network", forgetSession: false });
    expect(closeAction(CLOSE_CODES.tooSlow)).toEqual({ action: "retry", cause: "too-slow", forgetSession: false });
    // 1005: a close frame without a code, as good as a dropped connection.
    expect(closeAction(NO_STATUS_RECEIVED)).toEqual({ action: "retry", cause: "network", forgetSession: false });
    // 4408: the server's handshake timer ran out, so the network stalled; a user would retry.
    expect(closeAction(CLOSE_CODES.handshakeTimeout)).toEqual({ action: "retry", cause: "handshake-timeout", forgetSession: false });
    // 1001: the server is going away and its sessions with it.
    expect(closeAction(CLOSE_CODES.goingAway)).toEqual({ action: "retry", cause: "server-restart", forgetSession: true });
    expect(closeAction(CLOSE_CODES.unauthorized)).toEqual({ action: "sign-in" });
  });

  it("does not retry the codes that need a user's action", () => {
    expect(closeAction(CLOSE_CODES.normal)).toEqual({ action: "ended" });
    expect(closeAction(CLOSE_CODES.forbidden)).toEqual({ action: "denied" });
    expect(closeAction(CLOSE_CODES.unknownSession)).toEqual({ action: "new-session" });
    for (const code of [
      CLOSE_CODES.invalidPayload,
      CLOSE_CODES.policyViolation,
      CLOSE_CODES.messageTooBig,
      CLOSE_CODES.badMessage,
      CLOSE_CODES.sessionLimit,
      1011,
      4999,
    ]) {
      expect(closeAction(code)).toEqual({ action: "refused" });
    }
  });
});

class FakeClock implements Clock {
  time = 1_000;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward, running timers that fall due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) {
        break;
      }
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }

  /** Moves time forward at once, then runs what fell due, late: a throttled background tab. */
  late(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= this.time).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) {
        break;
      }
      this.timers.delete(due[0]);
      due[1].callback();
    }
  }
}

class FakeSocket implements SocketLike {
  sent: (string | Uint8Array)[] = [];
  closedByClient = false;
  constructor(
    readonly url: string,
    private readonly handlers: SocketHandlers,
  ) {}

  send(data: string | Uint8Array<ArrayBuffer>): void {
    this.sent.push(data);
  }

  close(): void {
    this.closedByClient = true;
  }

  /** The JSON control messages this socket sent. */
  messages(): unknown[] {
    return this.sent.filter((data): data is string => typeof data === "string").map((data) => JSON.parse(data) as unknown);
  }

  binary(): Uint8Array[] {
    return this.sent.filter((data): data is Uint8Array => typeof data !== "string");
  }

  // The server's side.
  accept(): void {
    this.handlers.open();
  }
  text(message: unknown): void {
    this.handlers.message(JSON.stringify(message));
  }
  bytes(text: string): void {
    this.handlers.message(new TextEncoder().encode(text).buffer);
  }
  closeWith(code: number, reason = ""): void {
    this.handlers.close(code, reason);
  }
}

class MemorySessions implements SessionStore {
  value: string | null = null;
  get(): string | null {
    return this.value;
  }
  set(session: string): void {
    this.value = session;
  }
  clear(): void {
    this.value = null;
  }
}

interface Harness {
  connection: TerminalConnection;
  clock: FakeClock;
  sockets: FakeSocket[];
  sessions: MemorySessions;
  states: ConnectionState[];
  notices: Notice[];
  roles: (string | null)[];
  /** What the terminal shows: output appended, cleared on reset. */
  screen: string[];
  size: { cols: number; rows: number };
  token: { value: string | null };
  signInRequests: number;
  last(): FakeSocket;
}

function harness(extra: Partial<ConnectionOptions> = {}): Harness {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  const sessions = new MemorySessions();
  const h: Harness = {
    clock,
    sockets,
    sessions,
    states: [],
    notices: [],
    roles: [],
    screen: [],
    size: { cols: 80, rows: 24 },
    token: { value: null },
    signInRequests: 0,
    last() {
      const socket = sockets.at(-1);
      if (socket === undefined) {
        throw new Error("no socket yet");
      }
      return socket;
    },
    connection: undefined as unknown as TerminalConnection,
  };
  h.connection = new TerminalConnection({
    url: "ws://terminal.test/api/v1/ws",
    createSocket: (url, handlers) => {
      const socket = new FakeSocket(url, handlers);
      sockets.push(socket);
      return socket;
    },
    clock,
    random: () => 1,
    sessions,
    size: () => h.size,
    token: () => h.token.value,
    output: (bytes) => h.screen.push(new TextDecoder().decode(bytes)),
    snapshot: (bytes, screen) => {
      h.screen.length = 0;
      h.screen.push(`[snapshot${screen === undefined ? "" : ` screen ${screen.join("-")}`}]${new TextDecoder().decode(bytes)}`);
    },
    reset: () => (h.screen.length = 0),
    stateChanged: (state) => h.states.push(state),
    notice: (notice) => h.notices.push(notice),
    roleChanged: (role) => h.roles.push(role),
    signInRequired: () => {
      h.signInRequests += 1;
    },
    ...extra,
  });
  return h;
}

/** Starts and completes a first `open`, returning the harness connected to SESSION_A. */
function connected(): Harness {
  const h = harness();
  h.connection.start();
  h.last().accept();
  h.last().text({ type: "opened", session: SESSION_A });
  return h;
}

describe("TerminalConnection heartbeat", () => {
  const pings = (socket: FakeSocket) => socket.messages().filter((message) => (message as { type: string }).type === "ping").length;

  it("pings after 15 s of quiet and stays connected when answered", () => {
    const h = connected();
    h.clock.advance(14_999);
    expect(pings(h.last())).toBe(0);
    h.clock.advance(1);
    expect(pings(h.last())).toBe(1);
    // A server that answers every ping within a second keeps the connection for good.
    for (let answered = 1; answered <= 8; answered += 1) {
      h.clock.advance(1_000);
      h.last().text({ type: "pong" });
      h.clock.advance(14_999);
      expect(pings(h.last())).toBe(answered);
      h.clock.advance(1);
      expect(pings(h.last())).toBe(answered + 1);
    }
    expect(h.sockets).toHaveLength(1);
    expect(h.last().closedByClient).toBe(false);
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
  });

  it("does not ping while output flows", () => {
    const h = connected();
    for (let second = 0; second < 60; second += 5) {
      h.clock.advance(5_000);
      h.last().bytes(".");
    }
    expect(pings(h.last())).toBe(0);
  });

  it("drops a connection silent for 10 s after a ping and reattaches to the session", () => {
    const h = connected();
    h.clock.advance(15_000);
    expect(pings(h.last())).toBe(1);
    h.clock.advance(9_999);
    expect(h.connection.state.kind).toBe("connected");
    h.clock.advance(1);
    expect(h.sockets[0]?.closedByClient).toBe(true);
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", cause: "network", attempt: 1 });
    h.clock.advance(500);
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("takes a late timer (a throttled tab) for a reason to ping, not for a dead connection", () => {
    const h = connected();
    h.clock.late(120_000);
    expect(h.last().closedByClient).toBe(false);
    expect(pings(h.last())).toBe(1);
    h.last().text({ type: "pong" });
    h.clock.late(120_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.connection.state.kind).toBe("connected");
  });

  it("stops with the connection", () => {
    const h = connected();
    h.last().closeWith(CLOSE_CODES.normal);
    h.clock.advance(60_000);
    expect(pings(h.last())).toBe(0);
    expect(h.sockets).toHaveLength(1);
  });
});

describe("TerminalConnection", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it("opens a new session with its size and keeps the id", () => {
    h.connection.start();
    expect(h.connection.state).toEqual({ kind: "connecting" });
    expect(h.last().url).toBe("ws://terminal.test/api/v1/ws");
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_A });
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
    expect(h.sessions.value).toBe(SESSION_A);
    expect(h.connection.sessionId).toBe(SESSION_A);
  });

  it("attaches to a stored session (a reload) and resets before the replay", () => {
    h.sessions.value = SESSION_A;
    h.screen.push("stale screen");
    h.connection.start();
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_A });
    h.last().bytes("$ echo hi\r\nhi\r\n");
    expect(h.screen).toEqual(["$ echo hi\r\nhi\r\n"]);
  });

  it("writes the snapshot announced by opened as a snapshot, then output after it", () => {
    h.sessions.value = SESSION_A;
    h.screen.push("stale screen");
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, snapshot: true });
    expect(h.screen).toEqual(["stale screen"]); // nothing reset until the snapshot arrives
    h.last().bytes("\u001bcthe screen");
    h.last().bytes("live");
    expect(h.screen).toEqual(["[snapshot]\u001bcthe screen", "live"]);
  });

  it("passes on which bytes of the snapshot draw the screen alone, where they lie within it", () => {
    h.sessions.value = SESSION_A;
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, snapshot: true, screen: [9, 15] });
    h.last().bytes("\u001bchistory\r\nscreen");
    expect(h.screen).toEqual(["[snapshot screen 9-15]\u001bchistory\r\nscreen"]);
    // A resync's snapshot carries none; nor does a range beyond the bytes.
    h.last().text({ type: "snapshot" });
    h.last().bytes("fresh");
    expect(h.screen).toEqual(["[snapshot]fresh"]);
    const dropped = h.last();
    dropped.closeWith(1006);
    h.clock.advance(60_000);
    expect(h.last()).not.toBe(dropped);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, snapshot: true, screen: [2, 40] });
    h.last().bytes("\u001bcshort");
    expect(h.screen).toEqual(["[snapshot]\u001bcshort"]);
  });

  it("writes a snapshot announced in band (a resync after falling behind)", () => {
    h = connected();
    h.last().bytes("before");
    h.last().text({ type: "snapshot" });
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
    h.last().bytes("fresh screen");
    h.last().bytes("after");
    expect(h.screen).toEqual(["[snapshot]fresh screen", "after"]);
  });

  it("acknowledges processed output in batches, and starts over on a new connection", () => {
    h = connected();
    h.connection.acknowledge(ACK_EVERY_BYTES - 1);
    expect(h.last().messages().filter((m) => (m as { type: string }).type === "ack")).toEqual([]);
    h.connection.acknowledge(2);
    expect(h.last().messages().at(-1)).toEqual({ type: "ack", bytes: ACK_EVERY_BYTES + 1 });
    h.connection.acknowledge(10);
    h.last().closeWith(ABNORMAL_CLOSURE);
    h.connection.acknowledge(ACK_EVERY_BYTES); // written after the connection was lost
    h.clock.advance(500);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, snapshot: true });
    h.connection.acknowledge(ACK_EVERY_BYTES - 20);
    expect(h.last().messages().filter((m) => (m as { type: string }).type === "ack")).toEqual([]);
  });

  it("asks for in-band resyncs in open and attach", () => {
    h.connection.start();
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("writes output bytes as they come", () => {
    h = connected();
    h.last().bytes("one");
    h.last().bytes("two");
    expect(h.screen).toEqual(["one", "two"]);
  });

  it("sends the token in the first message only", () => {
    h.token.value = "secret-token";
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A });
    h.size = { cols: 100, rows: 30 };
    h.connection.resize(100, 30);
    expect(h.last().messages()).toEqual([
      { type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "secret-token" },
      { type: "resize", cols: 100, rows: 30 },
    ]);
    expect(h.last().url).not.toContain("secret");
  });

  it("reconnects after a dropped connection and reattaches to the same session, replay once", () => {
    h = connected();
    h.last().bytes("hello\r\n");
    h.last().closeWith(ABNORMAL_CLOSURE);
    expect(h.connection.state).toEqual({ kind: "reconnecting", attempt: 1, cause: "network", retryAt: 1_500 });
    expect(h.sockets).toHaveLength(1);

    h.clock.advance(499);
    expect(h.sockets).toHaveLength(1);
    h.clock.advance(1);
    expect(h.sockets).toHaveLength(2);
    expect(h.connection.state).toEqual({ kind: "reconnecting", attempt: 1, cause: "network", retryAt: null });

    h.size = { cols: 90, rows: 20 };
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 90, rows: 20, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_A });
    h.last().bytes("hello\r\n"); // the server's replay
    expect(h.screen).toEqual(["hello\r\n"]);
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
  });

  it("backs off exponentially while the server stays away, and starts over after success", () => {
    h = connected();
    h.last().closeWith(ABNORMAL_CLOSURE);
    const delays: number[] = [];
    for (let failure = 1; failure <= 7; failure++) {
      const state = h.connection.state;
      expect(state.kind).toBe("reconnecting");
      if (state.kind === "reconnecting" && state.retryAt !== null) {
        expect(state.attempt).toBe(failure);
        delays.push(state.retryAt - h.clock.now());
        h.clock.advance(state.retryAt - h.clock.now());
      }
      // The server is still down: the socket fails without opening.
      h.last().closeWith(ABNORMAL_CLOSURE);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);

    h.clock.advance(10_000);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A });
    h.last().closeWith(ABNORMAL_CLOSURE);
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", attempt: 1, retryAt: h.clock.now() + 500 });
  });

  it("reconnects after 4409 (too slow) to the same session", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.tooSlow, "too slow");
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", cause: "too-slow" });
    h.clock.advance(500);
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("after 1001 (server restarting) reconnects with a new session and says so", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.goingAway, "server shutting down");
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", cause: "server-restart" });
    expect(h.sessions.value).toBeNull();
    h.clock.advance(500);
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    expect(h.notices).toEqual([]);
    h.last().text({ type: "opened", session: SESSION_B });
    expect(h.notices).toEqual(["server-restarted"]);
    expect(h.connection.sessionId).toBe(SESSION_B);
  });

  it("says the session is watch-only when opened as view, and when the server drops typing", () => {
    h = connected();
    expect(h.notices).toEqual([]);
    h.last().text({ type: "readonly" });
    expect(h.notices).toEqual(["read-only"]);
    h.last().closeWith(1006, "");
    h.clock.advance(500);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, role: "view" });
    expect(h.notices).toEqual(["read-only", "read-only"]);
    expect(h.connection.state).toMatchObject({ kind: "connected" });
  });

  it("passes the session's size on, and sends no resize for a client that only watches", () => {
    const sizes: { cols: number; rows: number }[] = [];
    h = harness({ sessionSize: (size) => sizes.push(size) });
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, role: "write" });
    h.last().text({ type: "size", cols: 120, rows: 40 });
    expect(sizes).toEqual([{ cols: 120, rows: 40 }]);
    h.connection.resize(100, 30);
    expect(h.last().messages().at(-1)).toEqual({ type: "resize", cols: 100, rows: 30 });

    h.last().closeWith(1006, "");
    h.clock.advance(500);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, role: "view" });
    h.last().text({ type: "size", cols: 80, rows: 24 });
    h.connection.resize(80, 24);
    h.connection.resize(90, 20);
    expect(h.last().messages().filter((message) => (message as { type: string }).type === "resize")).toEqual([]);
    expect(sizes).toEqual([
      { cols: 120, rows: 40 },
      { cols: 80, rows: 24 },
    ]);
    expect(h.connection.state).toMatchObject({ kind: "connected" });
  });

  it("passes the server's drain notice on with the seconds left, and stays connected", () => {
    const drains: number[] = [];
    h = harness({ draining: (secondsLeft: number) => drains.push(secondsLeft) });
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A });
    h.last().text({ type: "draining", seconds_left: 1800 });
    expect(drains).toEqual([1800]);
    expect(h.connection.state).toMatchObject({ kind: "connected", session: SESSION_A });
  });

  it("reports the role from opened and readonly, and forgets it when the connection goes", () => {
    h = harness();
    const connection = h.connection;
    connection.start();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, role: "owner" });
    expect(connection.role).toBe("owner");
    h.last().text({ type: "readonly" });
    expect(connection.role).toBe("view");
    h.last().closeWith(1006, "");
    expect(connection.role).toBe("view");
    h.clock.advance(500);
    expect(connection.role).toBeNull();
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A, role: "superuser" });
    expect(connection.role).toBeNull();
    h.last().text({ type: "exit", code: 0 });
    h.last().closeWith(1000, "");
    expect(h.roles).toEqual(["owner", "view", null]);
  });

  it("attaches to another session on request, as a reload would, and ignores the current one", () => {
    h = connected();
    h.connection.attach(SESSION_A);
    expect(h.sockets).toHaveLength(1);
    const first = h.last();
    h.connection.attach(SESSION_B);
    expect(first.closedByClient).toBe(true);
    expect(h.sessions.value).toBe(SESSION_B);
    expect(h.connection.state).toEqual({ kind: "connecting" });
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_B, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_B, snapshot: true });
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_B });
  });

  it("keeps saying the server is restarting while it is away", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.goingAway);
    h.clock.advance(500);
    h.last().closeWith(ABNORMAL_CLOSURE); // connection refused while it restarts
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", attempt: 2, cause: "server-restart" });
    h.clock.advance(1000);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_B });
    h.last().closeWith(ABNORMAL_CLOSURE); // a later, unrelated drop
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", attempt: 1, cause: "network" });
  });

  it("after 4404 opens a new session at once and says so", () => {
    h.sessions.value = SESSION_A;
    h.connection.start();
    h.last().accept();
    h.last().closeWith(CLOSE_CODES.unknownSession, "unknown session");
    expect(h.sessions.value).toBeNull();
    expect(h.sockets).toHaveLength(2);
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_B });
    expect(h.notices).toEqual(["session-expired"]);
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_B });
  });

  it("is refused by a 4404 to an open instead of opening again and again", () => {
    h.connection.start();
    h.last().accept();
    h.last().closeWith(CLOSE_CODES.unknownSession);
    expect(h.connection.state).toEqual({ kind: "refused", code: CLOSE_CODES.unknownSession, reason: "unknown session" });
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.notices).toEqual([]);
  });

  it("shows the exit code, forgets the session and starts a new one on request", () => {
    h = connected();
    h.last().text({ type: "exit", code: 3 });
    h.last().closeWith(CLOSE_CODES.normal);
    expect(h.connection.state).toEqual({ kind: "exited", code: 3 });
    expect(h.sessions.value).toBeNull();
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1); // no automatic retry
    h.connection.restart();
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("counts an exit as an exit even if the close frame is lost", () => {
    h = connected();
    h.last().text({ type: "exit", code: 0 });
    h.last().closeWith(ABNORMAL_CLOSURE);
    expect(h.connection.state).toEqual({ kind: "exited", code: 0 });
  });

  it.each([
    [CLOSE_CODES.sessionLimit, "session limit reached"],
    [CLOSE_CODES.badMessage, "malformed message"],
    [CLOSE_CODES.policyViolation, "origin not allowed"],
    [CLOSE_CODES.messageTooBig, "message too big"],
  ])("is refused by %i with the server's reason and does not retry", (code, reason) => {
    h = connected();
    h.last().closeWith(code, reason);
    expect(h.connection.state).toEqual({ kind: "refused", code, reason });
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.sessions.value).toBe(SESSION_A);
    h.connection.restart();
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("says what happened in its own words when the server gives no reason", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.forbidden);
    expect(h.connection.state).toEqual({ kind: "access-denied", reason: "access denied" });
    h.connection.restart();
    h.last().accept();
    h.last().closeWith(CLOSE_CODES.sessionLimit);
    expect(h.connection.state).toEqual({ kind: "refused", code: CLOSE_CODES.sessionLimit, reason: "closed with code 4429" });
  });

  it("ignores a restart while it is connecting or connected", () => {
    h.connection.start();
    h.connection.restart();
    expect(h.sockets).toHaveLength(1);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A });
    h.connection.restart();
    expect(h.sockets).toHaveLength(1);
    expect(h.last().closedByClient).toBe(false);
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
  });

  it("shows access denied on 4403 and does not retry", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.forbidden, "not allowed");
    expect(h.connection.state).toEqual({ kind: "access-denied", reason: "not allowed" });
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it("on 4401 asks for a token and reattaches with it when it arrives", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.unauthorized, "token expired");
    expect(h.connection.state).toEqual({ kind: "sign-in-required" });
    expect(h.signInRequests).toBe(1);
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1); // waits for the token

    h.token.value = "fresh";
    h.connection.tokenAvailable();
    h.clock.advance(500);
    expect(h.sockets).toHaveLength(2);
    h.last().accept();
    expect(h.last().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "fresh" }]);
  });

  it("backs off when the embedding page keeps sending rejected tokens", () => {
    h = connected();
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      h.last().closeWith(CLOSE_CODES.unauthorized);
      h.connection.tokenAvailable();
      const state = h.connection.state;
      if (state.kind === "reconnecting" && state.retryAt !== null) {
        waits.push(state.retryAt - h.clock.now());
        h.clock.advance(state.retryAt - h.clock.now());
      }
      h.last().accept();
    }
    expect(waits).toEqual([500, 1000, 2000, 4000]);
  });

  it("ignores a token while it is not waiting for one", () => {
    h = connected();
    h.connection.tokenAvailable();
    expect(h.connection.state).toEqual({ kind: "connected", session: SESSION_A });
    expect(h.sockets).toHaveLength(1);
  });

  it("sends resize only after opened and only when the size changes", () => {
    h.connection.start();
    h.last().accept();
    h.connection.resize(100, 30); // before opened: the server would answer 4400
    expect(h.last().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    h.last().text({ type: "opened", session: SESSION_A });
    h.connection.resize(80, 24);
    h.connection.resize(100, 30);
    h.connection.resize(100, 30);
    h.connection.resize(100, 31);
    expect(h.last().messages().slice(1)).toEqual([
      { type: "resize", cols: 100, rows: 30 },
      { type: "resize", cols: 100, rows: 31 },
    ]);
  });

  it("sends a resize right after opened when the window changed during the handshake", () => {
    h.connection.start();
    h.last().accept();
    h.size = { cols: 120, rows: 40 };
    h.last().text({ type: "opened", session: SESSION_A });
    expect(h.last().messages()).toEqual([
      { type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true },
      { type: "resize", cols: 120, rows: 40 },
    ]);
  });

  it("sends input only while connected, in frames of at most 64 KiB", () => {
    h.connection.start();
    expect(h.connection.sendInput(new Uint8Array([0x61]))).toBe(false);
    h.last().accept();
    h.last().text({ type: "opened", session: SESSION_A });
    expect(h.connection.sendInput(new Uint8Array(150 * 1024))).toBe(true);
    expect(h.last().binary().map((frame) => frame.length)).toEqual([65_536, 65_536, 22_528]);
    h.last().closeWith(ABNORMAL_CLOSURE);
    expect(h.connection.sendInput(new Uint8Array([0x61]))).toBe(false);
  });

  it("gives up on a connection that is never answered and retries", () => {
    h.connection.start();
    h.last().accept();
    h.clock.advance(20_000);
    expect(h.sockets[0]?.closedByClient).toBe(true);
    expect(h.connection.state).toMatchObject({ kind: "reconnecting", cause: "handshake-timeout", attempt: 1 });
  });

  it("stops on a malformed server message instead of guessing", () => {
    h.connection.start();
    h.last().accept();
    h.last().text({ type: "surprise" });
    expect(h.last().closedByClient).toBe(true);
    expect(h.connection.state).toMatchObject({ kind: "refused", code: CLOSE_CODES.badMessage });
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it("retries at once when asked to, instead of waiting", () => {
    h = connected();
    h.last().closeWith(ABNORMAL_CLOSURE);
    h.connection.retryNow();
    expect(h.sockets).toHaveLength(2);
    // The retry scheduled for 500 ms was cancelled (the handshake timeout is 20 s).
    h.clock.advance(5_000);
    expect(h.sockets).toHaveLength(2);
  });

  it("does nothing after dispose", () => {
    h = connected();
    h.connection.dispose();
    expect(h.last().closedByClient).toBe(true);
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it("opens nothing on request after dispose", () => {
    h = connected();
    h.last().closeWith(CLOSE_CODES.normal);
    h.connection.dispose();
    h.connection.restart();
    expect(h.sockets).toHaveLength(1);
  });
});
