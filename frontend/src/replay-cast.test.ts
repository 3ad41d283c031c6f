import { describe, expect, it } from "vitest";
import { CastError, clockText, parseCast } from "./replay-cast";

const HEADER3 = JSON.stringify({ version: 3, term: { cols: 100, rows: 30, type: "xterm-256color" }, timestamp: 1_764_118_923, title: "web-terminal session x" });

describe("parseCast", () => {
  it("reads v3: intervals since the previous event, each kind, input left out", () => {
    const text = [
      HEADER3,
      JSON.stringify([0.5, "o", "$ "]),
      JSON.stringify([0.25, "i", "ls\r"]),
      JSON.stringify([0.25, "o", "a b\r\n"]),
      JSON.stringify([1, "r", "120x40"]),
      JSON.stringify([0, "m", "attach user:default/bob (view)"]),
      JSON.stringify([0.5, "x", "3"]),
      "",
    ].join("\n");
    const cast = parseCast(text);
    expect(cast).toMatchObject({ cols: 100, rows: 30, startedAt: 1_764_118_923_000, title: "web-terminal session x", duration: 2.5 });
    expect(cast.events).toEqual([
      { time: 0.5, kind: "output", data: "$ " },
      { time: 1, kind: "output", data: "a b\r\n" },
      { time: 2, kind: "resize", cols: 120, rows: 40 },
      { time: 2, kind: "marker", label: "attach user:default/bob (view)" },
      { time: 2.5, kind: "exit", status: 3 },
    ]);
  });

  it("reads v2: times since the start", () => {
    const text = [JSON.stringify({ version: 2, width: 90, height: 20 }), "[0.5, \"o\", \"a\"]", "[1.75, \"o\", \"b\"]"].join("\n");
    const cast = parseCast(text);
    expect(cast).toMatchObject({ cols: 90, rows: 20, startedAt: 0, duration: 1.75 });
    expect(cast.events.map((event) => event.time)).toEqual([0.5, 1.75]);
  });

  it("shortens idle stretches to the limit", () => {
    const text = [HEADER3, "[0.5,\"o\",\"a\"]", "[3600,\"o\",\"b\"]", "[0.1,\"o\",\"c\"]"].join("\n");
    expect(parseCast(text).events.map((event) => event.time)).toEqual([0.5, 2.5, 2.6]);
    expect(parseCast(text, 10).duration).toBeCloseTo(10.6);
  });

  it("skips lines it cannot read and refuses what is no recording", () => {
    const text = [HEADER3, "{not json", "[1]", "[\"x\",\"o\",\"y\"]", "[0.5,\"r\",\"huge\"]", "[0.5,\"r\",\"0x5\"]", "[0.5,\"x\",\"?\"]", "[0.5,\"o\",\"kept\"]"].join("\n");
    expect(parseCast(text).events).toEqual([
      { time: 1.5, kind: "exit", status: -1 },
      { time: 2, kind: "output", data: "kept" },
    ]);
    expect(() => parseCast("")).toThrow(CastError);
    expect(() => parseCast(JSON.stringify({ version: 1 }))).toThrow("not an asciicast v2 or v3 recording");
    expect(parseCast(JSON.stringify({ version: 3, term: { cols: 0, rows: 5000 } }))).toMatchObject({ cols: 80, rows: 24, duration: 0, events: [] });
  });
});

describe("clockText", () => {
  it("shows minutes and seconds, and hours when there are any", () => {
    expect(clockText(0)).toBe("0:00");
    expect(clockText(65.9)).toBe("1:05");
    expect(clockText(3725)).toBe("1:02:05");
    expect(clockText(-3)).toBe("0:00");
  });
});
