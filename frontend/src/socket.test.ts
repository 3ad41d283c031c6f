import { describe, expect, it } from "vitest";
import { webSocketUrl } from "./socket";

describe("webSocketUrl", () => {
  it("uses ws: next to an http page and wss: next to an https page", () => {
    expect(webSocketUrl({ href: "http://127.0.0.1:8080/" })).toBe("ws://127.0.0.1:8080/api/v1/ws");
    expect(webSocketUrl({ href: "https://term.example.com/index.html" })).toBe("wss://term.example.com/api/v1/ws");
  });

  it("stays under a reverse proxy's path prefix and never carries the query or fragment", () => {
    expect(webSocketUrl({ href: "https://example.com/terminal/?x=1#token=secret" })).toBe("wss://example.com/terminal/api/v1/ws");
  });
});
