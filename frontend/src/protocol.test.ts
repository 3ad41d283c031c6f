import { describe, expect, it } from "vitest";
import { chunkBytes, decodeServerMessage, encodeClientMessage, MAX_INPUT_FRAME_BYTES } from "./protocol";

const SESSION = "0123456789abcdef0123456789abcdef";

describe("encodeClientMessage", () => {
  it("writes the wire shape of open, attach and resize", () => {
    expect(JSON.parse(encodeClientMessage({ type: "open", cols: 80, rows: 24 }))).toEqual({ type: "open", cols: 80, rows: 24 });
    expect(JSON.parse(encodeClientMessage({ type: "attach", session: SESSION, cols: 100, rows: 30, token: "t" }))).toEqual({
      type: "attach",
      session: SESSION,
      cols: 100,
      rows: 30,
      token: "t",
    });
    expect(encodeClientMessage({ type: "resize", cols: 120, rows: 40 })).toBe('{"type":"resize","cols":120,"rows":40}');
  });

  it("leaves out an absent token instead of sending null", () => {
    expect(encodeClientMessage({ type: "open", cols: 1, rows: 1 })).not.toContain("token");
  });
});

describe("decodeServerMessage", () => {
  it("accepts opened and exit", () => {
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}"}`)).toEqual({
      ok: true,
      message: { type: "opened", session: SESSION },
    });
    expect(decodeServerMessage('{"type":"exit","code":130}')).toEqual({ ok: true, message: { type: "exit", code: 130 } });
    expect(decodeServerMessage('{"type":"pong"}')).toEqual({ ok: true, message: { type: "pong" } });
  });

  it("accepts the snapshot announcements: opened's flag and the in-band message", () => {
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","snapshot":true}`)).toEqual({
      ok: true,
      message: { type: "opened", session: SESSION, snapshot: true },
    });
    expect(decodeServerMessage('{"type":"snapshot"}')).toEqual({ ok: true, message: { type: "snapshot" } });
  });

  it("accepts opened's screen (the snapshot's bytes that draw the screen alone), and refuses what is not a byte range", () => {
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","snapshot":true,"screen":[120,4000]}`)).toEqual({
      ok: true,
      message: { type: "opened", session: SESSION, snapshot: true, screen: [120, 4000] },
    });
    for (const screen of ["[4000,120]", "[1]", "[1,2,3]", "[-1,2]", "[0.5,2]", '"1-2"', "{}"]) {
      expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","snapshot":true,"screen":${screen}}`)).toEqual({
        ok: false,
        error: "opened: screen is not a byte range [from, to]",
      });
    }
  });

  it("accepts opened's role and the readonly message, and refuses an unknown role", () => {
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","role":"view"}`)).toEqual({
      ok: true,
      message: { type: "opened", session: SESSION, role: "view" },
    });
    expect(decodeServerMessage('{"type":"readonly"}')).toEqual({ ok: true, message: { type: "readonly" } });
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","role":"admin"}`)).toEqual({
      ok: false,
      error: "opened: role is not owner, write or view",
    });
  });

  it("accepts a session id with its replica's name, and refuses ids that are not ids", () => {
    const onReplica = `web-terminal-0.${SESSION}`;
    expect(decodeServerMessage(`{"type":"opened","session":"${onReplica}"}`)).toEqual({
      ok: true,
      message: { type: "opened", session: onReplica },
    });
    for (const bad of [`-x.${SESSION}`, `a.b.${SESSION}`, `A.${SESSION}`, SESSION.slice(1), `${SESSION}0`, `x/y.${SESSION}`]) {
      expect(decodeServerMessage(`{"type":"opened","session":"${bad}"}`)).toEqual({ ok: false, error: "opened: session is not a session id" });
    }
  });

  it("accepts draining with whole seconds left, and refuses anything else", () => {
    expect(decodeServerMessage('{"type":"draining","seconds_left":3600}')).toEqual({
      ok: true,
      message: { type: "draining", seconds_left: 3600 },
    });
    for (const bad of ['"soon"', "-1", "1.5", "null"]) {
      expect(decodeServerMessage(`{"type":"draining","seconds_left":${bad}}`)).toEqual({
        ok: false,
        error: "draining: seconds_left is not a non-negative integer",
      });
    }
  });

  it("accepts size with columns and rows of 1 to 1000, and refuses anything else", () => {
    expect(decodeServerMessage('{"type":"size","cols":1000,"rows":1}')).toEqual({ ok: true, message: { type: "size", cols: 1000, rows: 1 } });
    for (const [cols, rows] of [
      ["0", "24"],
      ["80", "1001"],
      ["80.5", "24"],
      ['"80"', "24"],
      ["80", "null"],
    ]) {
      expect(decodeServerMessage(`{"type":"size","cols":${cols},"rows":${rows}}`)).toEqual({
        ok: false,
        error: "size: cols and rows are not 1 to 1000",
      });
    }
  });

  it("ignores unknown fields, which v1 may gain", () => {
    expect(decodeServerMessage(`{"type":"opened","session":"${SESSION}","motd":"hi"}`)).toEqual({
      ok: true,
      message: { type: "opened", session: SESSION },
    });
  });

  it.each([
    ["not JSON", "{", "not JSON"],
    ["an array", "[]", "not a JSON object"],
    ["null", "null", "not a JSON object"],
    ["no type", '{"session":"x"}', "no type field"],
    ["a numeric type", '{"type":1}', "no type field"],
    ["an unknown type", '{"type":"hello"}', "unknown message type"],
    ["an inherited property as type", '{"type":"toString"}', "unknown message type"],
    ["opened without a session", '{"type":"opened"}', "opened:"],
    ["opened with a short session", '{"type":"opened","session":"abc"}', "opened:"],
    ["opened with an uppercase session", `{"type":"opened","session":"${SESSION.toUpperCase()}"}`, "opened:"],
    ["opened with a non-boolean snapshot", `{"type":"opened","session":"${SESSION}","snapshot":1}`, "opened:"],
    ["exit with a string code", '{"type":"exit","code":"1"}', "exit:"],
    ["exit with a fractional code", '{"type":"exit","code":1.5}', "exit:"],
    ["exit with a negative code", '{"type":"exit","code":-1}', "exit:"],
  ])("rejects %s", (_name, text, error) => {
    const result = decodeServerMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain(error);
    }
  });
});

describe("chunkBytes", () => {
  it("splits a large paste into frames of at most 64 KiB, in order and without loss", () => {
    const paste = new Uint8Array(MAX_INPUT_FRAME_BYTES * 2 + 10).map((_, index) => index % 251);
    const chunks = chunkBytes(paste);
    expect(chunks.map((chunk) => chunk.length)).toEqual([MAX_INPUT_FRAME_BYTES, MAX_INPUT_FRAME_BYTES, 10]);
    const joined = new Uint8Array(paste.length);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    expect(joined).toEqual(paste);
  });

  it("keeps small input in one frame and sends nothing for nothing", () => {
    expect(chunkBytes(new Uint8Array([1, 2, 3]))).toHaveLength(1);
    expect(chunkBytes(new Uint8Array(MAX_INPUT_FRAME_BYTES))).toHaveLength(1);
    expect(chunkBytes(new Uint8Array(0))).toHaveLength(0);
  });

  it("refuses a limit that would never end", () => {
    expect(() => chunkBytes(new Uint8Array(1), 0)).toThrow(RangeError);
  });
});
