import { describe, expect, it } from "vitest";
import { CLIPBOARD_NOTICES, installClipboardOsc, OSC52, OSC52_MAX_PAYLOAD, parseClipboardRequest } from "./osc52";

const base64 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("parseClipboardRequest", () => {
  it("decodes a write as UTF-8, whatever the selections", () => {
    expect(parseClipboardRequest(`c;${base64("hello")}`)).toEqual({ kind: "write", text: "hello" });
    expect(parseClipboardRequest(`;${base64("grüß 👋")}`)).toEqual({ kind: "write", text: "grüß 👋" });
    expect(parseClipboardRequest(`pc;${base64("two\nlines")}`)).toEqual({ kind: "write", text: "two\nlines" });
  });

  it("takes unpadded base64", () => {
    expect(parseClipboardRequest("c;aGk")).toEqual({ kind: "write", text: "hi" });
  });

  it("recognises a read request, which is never answered", () => {
    expect(parseClipboardRequest("c;?")).toEqual({ kind: "read" });
    expect(parseClipboardRequest(";?")).toEqual({ kind: "read" });
  });

  it("does nothing with an empty payload", () => {
    expect(parseClipboardRequest("c;")).toEqual({ kind: "empty" });
  });

  it("refuses what is not base64, not UTF-8 or has no payload", () => {
    expect(parseClipboardRequest("c;not base64!")).toEqual({ kind: "invalid" });
    expect(parseClipboardRequest("c;abcde")).toEqual({ kind: "invalid" });
    expect(parseClipboardRequest("c;ab=")).toEqual({ kind: "invalid" });
    expect(parseClipboardRequest(`c;${btoa("\xff\xfe")}`)).toEqual({ kind: "invalid" });
    expect(parseClipboardRequest("c")).toEqual({ kind: "invalid" });
  });

  it("refuses a payload over the bound, and takes one at it", () => {
    const atBound = "A".repeat(OSC52_MAX_PAYLOAD);
    expect(parseClipboardRequest(`c;${atBound}`).kind).toBe("write");
    expect(parseClipboardRequest(`c;${atBound}AAAA`)).toEqual({ kind: "too-large", length: OSC52_MAX_PAYLOAD + 4 });
  });
});

describe("installClipboardOsc", () => {
  function install(options: { allowed?: boolean; write?: (text: string) => Promise<void> } = {}) {
    const handlers = new Map<number, (data: string) => boolean>();
    const written: string[] = [];
    const notices: string[] = [];
    let disposed = false;
    const disposable = installClipboardOsc({
      parser: {
        registerOscHandler: (ident, callback) => {
          handlers.set(ident, callback);
          return {
            dispose: () => {
              disposed = true;
            },
          };
        },
      },
      write:
        options.write ??
        ((text) => {
          written.push(text);
          return Promise.resolve();
        }),
      allowed: () => options.allowed ?? true,
      notice: (text) => notices.push(text),
    });
    const handler = handlers.get(OSC52);
    if (handler === undefined) {
      throw new Error("no OSC 52 handler");
    }
    return { handler, written, notices, disposable, disposed: () => disposed };
  }

  it("writes the text to the clipboard and consumes the sequence", () => {
    const { handler, written, notices } = install();
    expect(handler(`c;${base64("copied")}`)).toBe(true);
    expect(written).toEqual(["copied"]);
    expect(notices).toEqual([]);
  });

  it("consumes a read request without writing, answering or saying anything", () => {
    const { handler, written, notices } = install();
    expect(handler("c;?")).toBe(true);
    expect(written).toEqual([]);
    expect(notices).toEqual([]);
  });

  it("says so when the browser refuses the write", async () => {
    const { handler, notices } = install({ write: () => Promise.reject(new DOMException("denied", "NotAllowedError")) });
    handler(`c;${base64("x")}`);
    await Promise.resolve();
    await Promise.resolve();
    expect(notices).toEqual([CLIPBOARD_NOTICES.denied]);
  });

  it("says so for a payload too large or invalid, and copies nothing", () => {
    const { handler, written, notices } = install();
    handler(`c;${"A".repeat(OSC52_MAX_PAYLOAD + 4)}`);
    handler("c;%%%");
    expect(written).toEqual([]);
    expect(notices).toEqual([CLIPBOARD_NOTICES.tooLarge, CLIPBOARD_NOTICES.invalid]);
    expect(CLIPBOARD_NOTICES.tooLarge).toContain("1024 KiB");
  });

  it("does not write for a read-only viewer", () => {
    const { handler, written, notices } = install({ allowed: false });
    handler(`c;${base64("x")}`);
    expect(written).toEqual([]);
    expect(notices).toEqual([CLIPBOARD_NOTICES.readOnly]);
  });

  it("returns the registration, to remove the handler", () => {
    const { disposable, disposed } = install();
    disposable.dispose();
    expect(disposed()).toBe(true);
  });
});
