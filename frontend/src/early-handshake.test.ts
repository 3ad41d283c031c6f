import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket } from "./fake-websocket.test-helper";
import { adoptEarlySocket, earlyHandshake, earlyHandshakeSent, EarlySocket, fitSize, rememberSize, SIZE_KEY, startEarlyHandshake } from "./early-handshake";
import { handshakeMessage } from "./handshake";
import type { SocketHandlers } from "./socket";
import { SESSION_KEY, TOKEN_KEY, type KeyValueStore } from "./token";

const URL = "wss://term.example/api/v1/ws";
const SESSION = "0123456789abcdef0123456789abcdef";

function memoryStore(entries: Record<string, string> = {}): KeyValueStore {
  const map = new Map(Object.entries(entries));
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => {
      map.set(key, value);
    },
    remove: (key) => {
      map.delete(key);
    },
  };
}

const open = (url: string) => new FakeWebSocket(url) as unknown as WebSocket;

describe("handshakeMessage", () => {
  it("opens a new session, or attaches to the stored one, with the size and any token", () => {
    expect(handshakeMessage(null, { cols: 100, rows: 30 }, null)).toEqual({ type: "open", cols: 100, rows: 30, resync: true, flow: true, draining: true, size: true });
    expect(handshakeMessage(SESSION, { cols: 80, rows: 24 }, "secret")).toEqual({
      type: "attach",
      session: SESSION,
      cols: 80,
      rows: 24,
      resync: true,
      flow: true,
      draining: true,
      size: true,
      token: "secret",
    });
  });
});

describe("fitSize", () => {
  it("works out FitAddon's columns and rows from the container and the glyph, less the scrollbar", () => {
    // DejaVu Sans Mono at 14px: 8.43 × 16 CSS pixels; the benchmark's window.
    expect(fitSize({ container: { width: 994, height: 636 }, devicePixelRatio: 1, glyph: { width: 8.4287109375, height: 16 } })).toEqual({ cols: 116, rows: 39 });
    expect(fitSize({ container: { width: 1694, height: 896 }, devicePixelRatio: 1, glyph: { width: 8.4287109375, height: 16 } })).toEqual({ cols: 199, rows: 56 });
  });

  it("rounds the cell in device pixels, as xterm.js's DOM renderer does", () => {
    // 16.2 CSS pixels high is 33 device pixels at 2x: 16.5 CSS pixels a row.
    expect(fitSize({ container: { width: 814, height: 330 }, devicePixelRatio: 2, glyph: { width: 10, height: 16.2 } })).toEqual({ cols: 80, rows: 20 });
  });

  it("keeps xterm.js's minimum, and knows nothing of what cannot be measured", () => {
    expect(fitSize({ container: { width: 20, height: 5 }, devicePixelRatio: 1, glyph: { width: 8, height: 16 } })).toEqual({ cols: 2, rows: 1 });
    expect(fitSize({ container: { width: 0, height: 600 }, devicePixelRatio: 1, glyph: { width: 8, height: 16 } })).toBeNull();
    expect(fitSize({ container: { width: 800, height: 600 }, devicePixelRatio: 1, glyph: { width: 0, height: 16 } })).toBeNull();
    expect(fitSize({ container: { width: Number.NaN, height: 600 }, devicePixelRatio: 1, glyph: { width: 8, height: 16 } })).toBeNull();
  });
});

describe("earlyHandshake", () => {
  const size = { cols: 120, rows: 40 };

  it("opens a new session at the estimated size, with the stored token", () => {
    expect(earlyHandshake(memoryStore({ [TOKEN_KEY]: "kept" }), "", size)).toMatchObject({ type: "open", cols: 120, rows: 40, token: "kept" });
  });

  it("attaches early only at the size this tab last sent", () => {
    const store = memoryStore({ [SESSION_KEY]: SESSION });
    expect(earlyHandshake(store, "", size)).toBeNull();
    rememberSize(store, { cols: 120, rows: 41 });
    expect(earlyHandshake(store, "", size)).toBeNull();
    rememberSize(store, size);
    expect(store.get(SIZE_KEY)).toBe("120x40");
    expect(earlyHandshake(store, "#theme=dark", size)).toMatchObject({ type: "attach", session: SESSION, cols: 120, rows: 40 });
  });

  it("sends nothing early without a size, or when the fragment hands over a token or names a session", () => {
    expect(earlyHandshake(memoryStore(), "", null)).toBeNull();
    expect(earlyHandshake(memoryStore(), "#token=abc", size)).toBeNull();
    expect(earlyHandshake(memoryStore(), "#theme=dark&session=" + SESSION, size)).toBeNull();
    expect(earlyHandshake(memoryStore(), "#fontSize=16", size)).not.toBeNull();
  });
});

describe("EarlySocket and adoptEarlySocket", () => {
  let events: string[];
  let handlers: SocketHandlers;

  beforeEach(() => {
    FakeWebSocket.created = [];
    vi.stubGlobal("WebSocket", FakeWebSocket);
    events = [];
    handlers = {
      open: (sent) => events.push(sent === undefined ? "open" : `open after ${sent.type}`),
      message: (data) => events.push(typeof data === "string" ? `text ${data}` : `binary ${String(data.byteLength)}`),
      close: (code, reason) => events.push(`close ${String(code)} ${reason}`),
    };
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function created(index = 0): FakeWebSocket {
    const socket = FakeWebSocket.created[index];
    if (socket === undefined) {
      throw new Error("no WebSocket was created");
    }
    return socket;
  }

  it("sends the handshake on open, keeps what arrives, and tells it in order once adopted", async () => {
    const early = new EarlySocket(open(URL), URL, handshakeMessage(null, { cols: 80, rows: 24 }, null));
    let settled = false;
    void early.settled.then(() => {
      settled = true;
    });
    created().accept();
    expect(created().sent).toEqual([JSON.stringify(handshakeMessage(null, { cols: 80, rows: 24 }, null))]);
    created().onmessage?.({ data: '{"type":"opened"}' });
    created().onmessage?.({ data: new ArrayBuffer(2) });
    await Promise.resolve();
    expect(settled).toBe(true);

    const socket = early.adopt(handlers);
    expect(events).toEqual([]);
    await Promise.resolve();
    expect(events).toEqual(["open after open", 'text {"type":"opened"}', "binary 2"]);
    created().onmessage?.({ data: "live" });
    created().onclose?.({ code: 1000, reason: "" });
    expect(events.slice(3)).toEqual(["text live", "close 1000 "]);

    socket.send("input");
    expect(created().sent.at(-1)).toBe("input");
    socket.close();
    expect(created().closeCalls).toBe(1);
    expect(created().onmessage).toBeNull();
  });

  it("sends only while open, and says open without a handshake when it sent none", async () => {
    const early = new EarlySocket(open(URL), URL, null);
    const socket = early.adopt(handlers);
    await Promise.resolve();
    socket.send("too early");
    expect(created().sent).toEqual([]);
    created().accept();
    expect(events).toEqual(["open"]);
    expect(created().sent).toEqual([]);
    // Closed locally: nothing more is heard.
    socket.close();
    created().onclose?.({ code: 1006, reason: "" });
    expect(events).toEqual(["open"]);
  });

  it("without boot.ts, opens the first socket at once and hands it to the first caller", async () => {
    const factory = adoptEarlySocket(URL, open);
    expect(FakeWebSocket.created).toHaveLength(1);
    factory(URL, handlers);
    await Promise.resolve();
    created().accept();
    expect(events).toEqual(["open"]);
    // A reconnect gets a new socket.
    factory(URL, handlers);
    expect(FakeWebSocket.created).toHaveLength(2);
  });

  it("opens a new socket for another address, or when the first closed without a handshake", () => {
    adoptEarlySocket(URL, open)("wss://other.example/api/v1/ws", handlers);
    expect(FakeWebSocket.created.map((socket) => socket.url)).toEqual([URL, "wss://other.example/api/v1/ws"]);
    FakeWebSocket.created = [];
    const factory = adoptEarlySocket(URL, open);
    created().readyState = FakeWebSocket.CLOSED;
    factory(URL, handlers);
    expect(FakeWebSocket.created).toHaveLength(2);
  });

  it("hands over the socket boot.ts opened, with its handshake, even when the server closed it meanwhile", async () => {
    const window = {
      location: { href: "https://term.example/", hash: "" },
      sessionStorage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
      localStorage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
      devicePixelRatio: 1,
      document: { getElementById: () => ({}) },
      getComputedStyle: () => ({ width: "994px", height: "636px" }),
    } as unknown as Window;
    vi.stubGlobal(
      "OffscreenCanvas",
      class {
        getContext() {
          return { font: "", measureText: () => ({ width: 8.4287109375, fontBoundingBoxAscent: 13, fontBoundingBoxDescent: 3 }) };
        }
      },
    );
    const early = startEarlyHandshake(window, open);
    expect(early.first).toEqual(handshakeMessage(null, { cols: 116, rows: 39 }, null));
    // main.ts asks which handshake went, before it adopts the socket.
    expect(earlyHandshakeSent("wss://other.example/api/v1/ws")).toBeNull();
    expect(earlyHandshakeSent(URL)).toBe(early.first);
    created().accept();
    created().readyState = FakeWebSocket.CLOSED;
    created().onclose?.({ code: 4401, reason: "sign in" });

    adoptEarlySocket(URL, open)(URL, handlers);
    await Promise.resolve();
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(events).toEqual(["open after open", "close 4401 sign in"]);
  });

  it("sends nothing early where the page cannot be measured", () => {
    const window = {
      location: { href: "https://term.example/", hash: "" },
      sessionStorage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
      localStorage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
      document: { getElementById: () => null },
    } as unknown as Window;
    expect(startEarlyHandshake(window, open).first).toBeNull();
  });
});
