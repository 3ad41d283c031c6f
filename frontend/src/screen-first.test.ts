import { describe, expect, it, vi } from "vitest";
import { FRAME_WAIT_MS, nextFrameDrawn, SCREEN_DRAWN_OSC, ScreenFirst, screenFirstToken, withoutLeadingReset } from "./screen-first";

function setUp() {
  const handlers = new Map<number, (data: string) => boolean | Promise<boolean>>();
  const calls: string[] = [];
  let drawn: () => void = () => undefined;
  const screenFirst = new ScreenFirst(
    {
      registerOscHandler: (ident, callback) => {
        handlers.set(ident, callback);
      },
    },
    {
      screenWritten: () => calls.push("screen written"),
      drawn: () =>
        new Promise<void>((resolve) => {
          drawn = resolve;
        }),
      historyNext: () => calls.push("history next"),
    },
    "0123abcd",
  );
  return {
    screenFirst,
    handler: handlers.get(SCREEN_DRAWN_OSC),
    calls,
    draw: () => {
      drawn();
    },
  };
}

describe("ScreenFirst", () => {
  it("writes a reset unless the terminal is fresh, the screen's bytes, the pause, then the whole snapshot, byte for byte", () => {
    const { screenFirst } = setUp();
    const snapshot = new Uint8Array([0x1b, 0x63, 0xe2, 0x96, 0x88, 0x0d, 0x0a, 0x41, 0xff, 0x00]);
    const pause = new TextEncoder().encode(`\x1b]${SCREEN_DRAWN_OSC};0123abcd\x07`);
    // A fresh terminal needs no reset first; one written to does, in the bytes.
    expect(Array.from(screenFirst.bytes(snapshot, [7, 9], true))).toEqual([0x41, 0xff, ...pause, ...snapshot]);
    expect(Array.from(screenFirst.bytes(snapshot, [7, 9], false))).toEqual([0x1b, 0x63, 0x41, 0xff, ...pause, ...snapshot]);
  });

  it("pauses xterm.js's parser at its own token until the frame is drawn, and ignores others", async () => {
    const { handler, calls, draw } = setUp();
    expect(handler?.("someone else's")).toBe(false);
    expect(calls).toEqual([]);
    const resumed = handler?.("0123abcd");
    expect(resumed).toBeInstanceOf(Promise);
    expect(calls).toEqual(["screen written"]);
    await Promise.resolve();
    expect(calls).toEqual(["screen written"]);
    draw();
    await expect(resumed).resolves.toBe(true);
    expect(calls).toEqual(["screen written", "history next"]);
  });
});

describe("withoutLeadingReset", () => {
  it("leaves out the ESC c a snapshot starts with, and nothing else", () => {
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const encode = (value: string) => new TextEncoder().encode(value);
    expect(text(withoutLeadingReset(encode("\x1bc\x1b[31mred\x1bc")))).toBe("\x1b[31mred\x1bc");
    expect(text(withoutLeadingReset(encode("\x1b[Hscreen")))).toBe("\x1b[Hscreen");
    expect(text(withoutLeadingReset(encode("c\x1b")))).toBe("c\x1b");
    expect(text(withoutLeadingReset(encode("\x1b")))).toBe("\x1b");
    expect(withoutLeadingReset(new Uint8Array()).length).toBe(0);
  });
});

describe("nextFrameDrawn", () => {
  it("resolves in a task queued from the next frame, or after the longest wait when no frame comes", async () => {
    vi.useFakeTimers();
    try {
      const frames: (() => void)[] = [];
      const win = {
        requestAnimationFrame: (callback: () => void) => {
          frames.push(callback);
        },
        setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
        clearTimeout: (timer: ReturnType<typeof setTimeout>) => {
          clearTimeout(timer);
        },
      } as unknown as Window;
      let resolved = false;
      void nextFrameDrawn(win).then(() => (resolved = true));
      await vi.advanceTimersByTimeAsync(10);
      expect(resolved).toBe(false);
      frames[0]?.();
      expect(resolved).toBe(false); // Not in the frame itself: once it is drawn.
      await vi.advanceTimersByTimeAsync(0);
      expect(resolved).toBe(true);
      expect(vi.getTimerCount()).toBe(0);

      let waited = false;
      void nextFrameDrawn(win).then(() => (waited = true));
      await vi.advanceTimersByTimeAsync(FRAME_WAIT_MS - 1);
      expect(waited).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(waited).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("screenFirstToken", () => {
  it("is 32 hex digits of randomness", () => {
    const fixed = {
      getRandomValues: (array: Uint8Array) => array.fill(0xa5),
    } as unknown as Pick<Crypto, "getRandomValues">;
    expect(screenFirstToken(fixed)).toBe("a5".repeat(16));
    expect(screenFirstToken(crypto)).not.toBe(screenFirstToken(crypto));
  });
});
