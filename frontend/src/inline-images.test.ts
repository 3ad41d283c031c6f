import { describe, expect, it } from "vitest";
import { ImageStartDetector, InlineImages } from "./inline-images";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const SIXEL = "\x1bP0;1;0q\"1;1;4;4#1;2;100;0;0#1~~~~-\x1b\\";
const ITERM = "\x1b]1337;File=inline=1:iVBORw0KGgo=\x07";

describe("ImageStartDetector", () => {
  it("finds a sixel and an iTerm image", () => {
    expect(new ImageStartDetector().feed(bytes(`before ${SIXEL} after`))).toBe(true);
    expect(new ImageStartDetector().feed(bytes("\x1bPq#0;2;0;0;0"))).toBe(true);
    expect(new ImageStartDetector().feed(bytes(ITERM))).toBe(true);
  });

  it("finds the 8-bit introducers (U+0090, U+009D)", () => {
    expect(new ImageStartDetector().feed(bytes("\u00900;1q#1"))).toBe(true);
    expect(new ImageStartDetector().feed(bytes("\u009d1337;File=:x\x07"))).toBe(true);
  });

  it("finds a start split across chunks", () => {
    const detector = new ImageStartDetector();
    expect(detector.feed(bytes("text \x1b"))).toBe(false);
    expect(detector.feed(bytes("P0;"))).toBe(false);
    expect(detector.feed(bytes("1q\"1;1"))).toBe(true);
    const osc = new ImageStartDetector();
    expect(osc.feed(bytes("\x1b]13"))).toBe(false);
    expect(osc.feed(bytes("37;File=x"))).toBe(true);
  });

  it("ignores text, other DCS and OSC sequences", () => {
    const detector = new ImageStartDetector();
    for (const text of [
      "plain text with q and P and 1337;",
      "\x1bP$qm\x1b\\", // DECRQSS
      "\x1bP+q544e\x1b\\", // XTGETTCAP
      "\x1b]0;title 1337;\x07",
      "\x1b]133;A\x07",
      "\x1b]52;c;aGk=\x07",
      "\x1b[1;31mred\x1b[0m",
      "\u00c2P0q", // Â then P: not a control
    ]) {
      expect(detector.feed(bytes(text)), JSON.stringify(text)).toBe(false);
    }
  });

  it("finds an image after much text and many other sequences, whichever introducer comes first", () => {
    const colours = Array.from({ length: 2000 }, (_, at) => `\x1b[38;5;${at % 256}mcell ${at} é `).join("");
    expect(new ImageStartDetector().feed(bytes(colours))).toBe(false);
    expect(new ImageStartDetector().feed(bytes(`${colours}\x1bPq#0`))).toBe(true);
    expect(new ImageStartDetector().feed(bytes(`${colours}\u0090q#0`))).toBe(true);
    // An 8-bit introducer before the next ESC, and an ESC before the next 8-bit one.
    expect(new ImageStartDetector().feed(bytes(`a\u009d1337;x\x1b[0m${colours}`))).toBe(true);
    expect(new ImageStartDetector().feed(bytes(`\u009d0;t\x07${colours}\x1b]1337;x`))).toBe(true);
  });

  it("restarts after a non-matching byte, so an escape right after still counts", () => {
    expect(new ImageStartDetector().feed(bytes("\x1b]13\x1bPq"))).toBe(true);
    expect(new ImageStartDetector().feed(bytes("\x1bPx\x1b]1337;"))).toBe(true);
  });
});

describe("InlineImages", () => {
  function setup() {
    let resolve: () => void = () => undefined;
    let reject: () => void = () => undefined;
    let loads = 0;
    let failures = 0;
    const written: string[] = [];
    const images = new InlineImages({
      load: () => {
        loads++;
        return new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
      },
      failed: () => {
        failures++;
      },
    });
    const write = (text: string) => {
      images.write(bytes(text), () => written.push(text));
    };
    return {
      images,
      write,
      written,
      loads: () => loads,
      failures: () => failures,
      resolve: () => {
        resolve();
      },
      reject: () => {
        reject();
      },
    };
  }

  it("writes text at once and fetches nothing for it", () => {
    const { images, write, written, loads } = setup();
    write("hello");
    images.write(null, () => written.push("reset"));
    expect(written).toEqual(["hello", "reset"]);
    expect(loads()).toBe(0);
    expect(images.holding).toBe(false);
  });

  it("holds the chunk that starts an image, and all after it, until the addon is loaded, then writes them in order", async () => {
    const { images, write, written, loads, resolve } = setup();
    write("$ ");
    write(`x${SIXEL}`);
    write("after");
    images.write(null, () => written.push("reset"));
    expect(written).toEqual(["$ "]);
    expect(images.holding).toBe(true);
    expect(loads()).toBe(1);
    resolve();
    await images.load();
    expect(written).toEqual(["$ ", `x${SIXEL}`, "after", "reset"]);
    expect(images.holding).toBe(false);
    expect(images.ready).toBe(true);
    write(SIXEL);
    expect(written.at(-1)).toBe(SIXEL);
    expect(loads()).toBe(1);
  });

  it("fetches once when loaded early, and holds nothing once loaded", async () => {
    const { images, write, written, loads, resolve } = setup();
    const first = images.load();
    expect(images.load()).toBe(first);
    resolve();
    await first;
    write(ITERM);
    expect(written).toEqual([ITERM]);
    expect(loads()).toBe(1);
  });

  it("writes what it held when the addon cannot be fetched, and says so once", async () => {
    const { images, write, written, failures, reject } = setup();
    write(ITERM);
    write("next");
    expect(written).toEqual([]);
    reject();
    await images.load();
    expect(written).toEqual([ITERM, "next"]);
    expect(failures()).toBe(1);
    write(ITERM);
    expect(written).toHaveLength(3);
    expect(failures()).toBe(1);
  });

  it("says at the first image that the addon could not be loaded early, once", async () => {
    const { images, write, written, failures, reject } = setup();
    const loading = images.load();
    reject();
    await loading;
    expect(failures()).toBe(0);
    write("text");
    expect(failures()).toBe(0);
    write(SIXEL);
    write(ITERM);
    expect(failures()).toBe(1);
    expect(written).toEqual(["text", SIXEL, ITERM]);
  });
});
