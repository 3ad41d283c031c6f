// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import {
  loadUiConfig,
  NO_UI_CONFIG,
  parseUiConfig,
  requestToken,
  splitFragmentToken,
  storageStore,
  takeFragmentToken,
  TOKEN_KEY,
  tokenFromMessage,
} from "./token";

describe("splitFragmentToken", () => {
  it("takes the token and keeps the other fragment parameters", () => {
    expect(splitFragmentToken("#token=abc.def-ghi_j")).toEqual({ found: true, token: "abc.def-ghi_j", rest: "" });
    expect(splitFragmentToken("#view=1&token=t0k&x")).toEqual({ found: true, token: "t0k", rest: "#view=1&x" });
  });

  it("percent-decodes but keeps + and = of base64 tokens", () => {
    expect(splitFragmentToken("#token=a+b%2Fc==")).toEqual({ found: true, token: "a+b/c==", rest: "" });
  });

  it("finds nothing where there is no token parameter", () => {
    expect(splitFragmentToken("")).toEqual({ found: false, token: null, rest: "" });
    expect(splitFragmentToken("#section")).toEqual({ found: false, token: null, rest: "#section" });
    expect(splitFragmentToken("#tokens=1")).toEqual({ found: false, token: null, rest: "#tokens=1" });
  });

  it("removes an empty token without returning one", () => {
    expect(splitFragmentToken("#token=")).toEqual({ found: true, token: null, rest: "" });
  });
});

describe("takeFragmentToken", () => {
  beforeEach(() => {
    window.sessionStorage.clear();
    window.history.replaceState(null, "", "/");
  });

  it("stores the token and removes it from the address bar without a new history entry", () => {
    window.history.replaceState(null, "", "/terminal/?q=1#token=s3cret&view=2");
    const entries = window.history.length;
    const store = storageStore(() => window.sessionStorage);

    expect(takeFragmentToken(window.location, window.history, store)).toBe("s3cret");

    expect(window.location.href).not.toContain("s3cret");
    expect(window.location.pathname).toBe("/terminal/");
    expect(window.location.search).toBe("?q=1");
    expect(window.location.hash).toBe("#view=2");
    expect(window.history.length).toBe(entries);
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe("s3cret");
  });

  it("drops the fragment entirely when the token was all it held", () => {
    window.history.replaceState(null, "", "/#token=abc");
    takeFragmentToken(window.location, window.history, storageStore(() => window.sessionStorage));
    expect(window.location.href).toBe(`${window.location.origin}/`);
  });

  it("falls back to the token stored earlier in this tab (a reload)", () => {
    window.sessionStorage.setItem(TOKEN_KEY, "earlier");
    window.history.replaceState(null, "", "/");
    expect(takeFragmentToken(window.location, window.history, storageStore(() => window.sessionStorage))).toBe("earlier");
  });

  it("returns null when there is no token anywhere", () => {
    expect(takeFragmentToken(window.location, window.history, storageStore(() => window.sessionStorage))).toBeNull();
  });
});

describe("storageStore", () => {
  it("keeps values in memory where storage throws (a sandboxed frame)", () => {
    const store = storageStore(() => {
      throw new DOMException("blocked", "SecurityError");
    });
    expect(store.get("k")).toBeNull();
    store.set("k", "v");
    expect(store.get("k")).toBe("v");
    store.remove("k");
    expect(store.get("k")).toBeNull();
  });
});

describe("parseUiConfig", () => {
  it("keeps exact http(s) origins only", () => {
    expect(
      parseUiConfig({
        embed_origins: ["https://backstage.example.com", "http://localhost:3000", "*", "null", "https://x.example.com/path", 7, "javascript:alert(1)"],
        auth: true,
      }),
    ).toEqual({ embedOrigins: ["https://backstage.example.com", "http://localhost:3000"], auth: true, transferMaxBytes: null });
  });

  it("takes the upload limit when it is a whole number of bytes", () => {
    expect(parseUiConfig({ embed_origins: [], auth: false, transfer_max_bytes: 104_857_600 }).transferMaxBytes).toBe(104_857_600);
    expect(parseUiConfig({ transfer_max_bytes: 0 }).transferMaxBytes).toBe(0);
    for (const odd of [-1, 1.5, "100", null, Number.MAX_SAFE_INTEGER + 2]) {
      expect(parseUiConfig({ transfer_max_bytes: odd }).transferMaxBytes).toBeNull();
    }
  });

  it("treats anything odd as no embedding and no auth", () => {
    expect(parseUiConfig(null)).toEqual(NO_UI_CONFIG);
    expect(parseUiConfig("x")).toEqual(NO_UI_CONFIG);
    expect(parseUiConfig({ embed_origins: "https://a.example.com", auth: "yes" })).toEqual(NO_UI_CONFIG);
  });
});

describe("loadUiConfig", () => {
  const response = (status: number, body: unknown) =>
    Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }));

  it("reads the server's configuration", async () => {
    const config = await loadUiConfig(() => response(200, { embed_origins: ["https://a.example.com"], auth: true, transfer_max_bytes: 1024 }), "api/v1/ui-config");
    expect(config).toEqual({ embedOrigins: ["https://a.example.com"], auth: true, transferMaxBytes: 1024 });
  });

  it("accepts tokens from no origin when the request 404s or fails", async () => {
    expect(await loadUiConfig(() => response(404, { embed_origins: ["https://a.example.com"] }), "u")).toEqual(NO_UI_CONFIG);
    expect(await loadUiConfig(() => Promise.reject(new TypeError("network")), "u")).toEqual(NO_UI_CONFIG);
    expect(
      await loadUiConfig(() => Promise.resolve(new Response("<html>", { status: 200 })), "u"),
    ).toEqual(NO_UI_CONFIG);
  });
});

describe("tokenFromMessage", () => {
  const parent = { name: "parent window" };
  const allowed = ["https://backstage.example.com"];
  const message = (origin: string, data: unknown, source: unknown = parent) => ({ origin, data, source });

  it("accepts a token message from the parent at an allowed origin", () => {
    expect(tokenFromMessage(message(allowed[0] ?? "", { type: "web-terminal:token", token: "jwt" }), allowed, parent)).toBe("jwt");
  });

  it("refuses other origins, other windows and malformed messages", () => {
    const good = { type: "web-terminal:token", token: "jwt" };
    expect(tokenFromMessage(message("https://evil.example.com", good), allowed, parent)).toBeNull();
    expect(tokenFromMessage(message("https://backstage.example.com.evil.example", good), allowed, parent)).toBeNull();
    expect(tokenFromMessage(message(allowed[0] ?? "", good, { name: "another frame" }), allowed, parent)).toBeNull();
    expect(tokenFromMessage(message(allowed[0] ?? "", good), [], parent)).toBeNull();
    for (const data of [null, "jwt", { type: "other", token: "jwt" }, { type: "web-terminal:token" }, { type: "web-terminal:token", token: 5 }, { type: "web-terminal:token", token: "" }, { type: "web-terminal:token", token: "x".repeat(20_000) }]) {
      expect(tokenFromMessage(message(allowed[0] ?? "", data), allowed, parent)).toBeNull();
    }
  });
});

describe("requestToken", () => {
  it("asks the parent once per allowed origin, with that origin as the target", () => {
    const calls: [unknown, string][] = [];
    const parent = {
      postMessage(data: unknown, origin: string) {
        calls.push([data, origin]);
      },
    };
    expect(requestToken(parent, ["https://a.example.com", "https://b.example.com"])).toBe(2);
    expect(calls).toEqual([
      [{ type: "web-terminal:token-request" }, "https://a.example.com"],
      [{ type: "web-terminal:token-request" }, "https://b.example.com"],
    ]);
  });

  it("asks no one when not embedded or when no origin is allowed", () => {
    expect(requestToken(null, ["https://a.example.com"])).toBe(0);
    let asked = false;
    expect(
      requestToken(
        {
          postMessage() {
            asked = true;
          },
        },
        [],
      ),
    ).toBe(0);
    expect(asked).toBe(false);
  });
});
