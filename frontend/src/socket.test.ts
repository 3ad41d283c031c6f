import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket } from "./fake-websocket.test-helper";
import type { SocketHandlers } from "./socket";
import { browserSocket, webSocketUrl } from "./socket";

describe("webSocketUrl", () => {
  it("uses ws: next to an http page and wss: next to an https page", () => {
    expect(webSocketUrl({ href: "http://127.0.0.1:8080/" })).toBe("ws://127.0.0.1:8080/api/v1/ws");
    expect(webSocketUrl({ href: "https://term.example.com/index.html" })).toBe("wss://term.example.com/api/v1/ws");
  });

  it("stays under a reverse proxy's path prefix and never carries the query or fragment", () => {
    expect(webSocketUrl({ href: "https://example.com/terminal/?x=1#token=secret" })).toBe("wss://example.com/terminal/api/v1/ws");
  });
});

describe("browserSocket", () => {
  let events: string[];
  let handlers: SocketHandlers;

  beforeEach(() => {
    FakeWebSocket.created = [];
    vi.stubGlobal("WebSocket", FakeWebSocket);
    events = [];
    handlers = {
      open: () => events.push("open"),
      message: (data) => events.push(typeof data === "string" ? `text ${data}` : `binary ${String(data.byteLength)}`),
      close: (code, reason) => events.push(`close ${String(code)} ${reason}`),
    };
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function created(): FakeWebSocket {
    const socket = FakeWebSocket.created[0];
    if (socket === undefined) {
      throw new Error("no WebSocket was created");
    }
    return socket;
  }

  it("connects to the URL, takes binary frames as ArrayBuffers and passes every event on", () => {
    browserSocket("wss://term.example/api/v1/ws", handlers);
    const socket = created();
    expect(socket.url).toBe("wss://term.example/api/v1/ws");
    expect(socket.binaryType).toBe("arraybuffer");
    // An error always comes with a close event, which carries the code: nothing to do for it.
    expect(socket.onerror).toBeNull();

    socket.onopen?.();
    socket.onmessage?.({ data: '{"type":"pong"}' });
    socket.onmessage?.({ data: new ArrayBuffer(3) });
    socket.onclose?.({ code: 4409, reason: "too slow" });
    expect(events).toEqual(["open", 'text {"type":"pong"}', "binary 3", "close 4409 too slow"]);
  });

  it("sends only while the socket is open", () => {
    const socket = browserSocket("wss://term.example/api/v1/ws", handlers);
    socket.send("early");
    expect(created().sent).toEqual([]);

    created().readyState = FakeWebSocket.OPEN;
    socket.send("text");
    socket.send(new Uint8Array([1, 2]));
    expect(created().sent).toEqual(["text", new Uint8Array([1, 2])]);

    created().readyState = FakeWebSocket.CLOSED;
    socket.send("late");
    expect(created().sent).toHaveLength(2);
  });

  it("detaches the handlers when closed locally, so the state machine hears nothing more", () => {
    const socket = browserSocket("wss://term.example/api/v1/ws", handlers);
    socket.close();
    expect(created().closeCalls).toBe(1);
    expect(created().onopen).toBeNull();
    expect(created().onmessage).toBeNull();
    expect(created().onclose).toBeNull();
    expect(events).toEqual([]);
  });
});
