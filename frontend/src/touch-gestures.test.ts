// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  extendRange,
  FLING_MIN_SPEED,
  LONG_PRESS_MS,
  TouchGestures,
  wordRange,
  type Cell,
  type GestureLine,
  type GestureTerminal,
} from "./touch-gestures";

/** Cells from text: "＃" (a wide character) takes two, the second of width 0. */
function cells(text: string, width = text.length): Cell[] {
  const result: Cell[] = [];
  for (const character of text) {
    if (character === "＃") {
      result.push({ chars: character, width: 2 }, { chars: "", width: 0 });
    } else {
      result.push({ chars: character === " " ? "" : character, width: 1 });
    }
  }
  while (result.length < width) {
    result.push({ chars: "", width: 1 });
  }
  return result;
}

describe("wordRange", () => {
  const line = cells("ls -la src/main.ts (x) ＃＃ok", 40);

  it("selects the word under the finger: no blanks, no separators", () => {
    expect(wordRange(line, 0)).toEqual({ start: 0, end: 2 });
    expect(wordRange(line, 1)).toEqual({ start: 0, end: 2 });
    expect(wordRange(line, 4)).toEqual({ start: 3, end: 6 });
    expect(wordRange(line, 10)).toEqual({ start: 7, end: 18 }); // a path is one word
    expect(wordRange(line, 20)).toEqual({ start: 20, end: 21 }); // inside brackets
  });

  it("keeps a wide character whole, from either of its cells", () => {
    expect(wordRange(line, 23)).toEqual({ start: 23, end: 29 });
    expect(wordRange(line, 24)).toEqual({ start: 23, end: 29 });
    expect(wordRange(line, 28)).toEqual({ start: 23, end: 29 });
  });

  it("selects the line's text on a blank or a separator, and nothing on an empty line", () => {
    expect(wordRange(line, 2)).toEqual({ start: 0, end: 29 });
    expect(wordRange(line, 19)).toEqual({ start: 0, end: 29 });
    expect(wordRange(line, 35)).toEqual({ start: 0, end: 29 });
    expect(wordRange(cells("", 10), 3)).toBeNull();
    expect(wordRange(cells("＃", 4), 1)).toEqual({ start: 0, end: 2 });
  });

  it("takes the terminal's separators", () => {
    expect(wordRange(cells("a/b c"), 0, " /")).toEqual({ start: 0, end: 1 });
  });
});

describe("extendRange", () => {
  it("grows the long-pressed word to the finger, either way", () => {
    expect(extendRange({ start: 10, end: 14 }, 20)).toEqual({ start: 10, end: 21 });
    expect(extendRange({ start: 10, end: 14 }, 3)).toEqual({ start: 3, end: 14 });
    expect(extendRange({ start: 10, end: 14 }, 12)).toEqual({ start: 10, end: 14 });
  });
});

// The screen: 10 columns of 8 px, 5 rows of 20 px, from (100, 50).
const SCREEN = { left: 100, top: 50, width: 80, height: 100 };

class FakeTerminal implements GestureTerminal {
  cols = 10;
  rows = 5;
  readonly element: HTMLElement;
  readonly screen: HTMLElement;
  readonly options: { wordSeparator?: string } = {};
  readonly modes = { mouseTrackingMode: "none" };
  /** The scrollback and screen, oldest first; the viewport shows `rows` of them from `viewportY`. */
  lines: string[] = Array.from({ length: 50 }, (_, index) => `line ${index}`);
  type = "normal";
  viewportY = 45;
  selection: { column: number; row: number; length: number } | null = null;
  readonly scrolls: number[] = [];

  constructor() {
    this.element = document.createElement("div");
    this.screen = document.createElement("div");
    this.screen.className = "xterm-screen";
    this.screen.getBoundingClientRect = () => DOMRect.fromRect({ x: SCREEN.left, y: SCREEN.top, width: SCREEN.width, height: SCREEN.height });
    this.element.append(this.screen);
  }

  get buffer() {
    return {
      active: {
        type: this.type,
        viewportY: this.viewportY,
        getLine: (y: number): GestureLine | undefined => {
          const text = this.lines[y];
          if (text === undefined) {
            return undefined;
          }
          const row = cells(text, this.cols);
          return { getCell: (x: number) => (row[x] === undefined ? undefined : { getChars: () => row[x]?.chars ?? "", getWidth: () => row[x]?.width ?? 1 }) };
        },
      },
    };
  }
  scrollLines(amount: number): void {
    this.scrolls.push(amount);
    this.viewportY = Math.max(0, Math.min(this.lines.length - this.rows, this.viewportY + amount));
  }
  select(column: number, row: number, length: number): void {
    this.selection = { column, row, length };
  }
  getSelection(): string {
    if (this.selection === null) {
      return "";
    }
    const { column, row, length } = this.selection;
    let text = "";
    for (let index = row * this.cols + column; index < row * this.cols + column + length; index++) {
      const y = Math.floor(index / this.cols);
      text += (this.lines[y] ?? "").padEnd(this.cols).charAt(index % this.cols);
      if ((index + 1) % this.cols === 0 && index + 1 < row * this.cols + column + length) {
        text = `${text.trimEnd()}\n`;
      }
    }
    return text.trimEnd();
  }
}

describe("TouchGestures", () => {
  let terminal: FakeTerminal;
  let target: HTMLElement;
  let copied: string[];
  let now: number;
  let frames: Map<number, (time: number) => void>;
  let nextFrame: number;

  beforeEach(() => {
    vi.useFakeTimers();
    terminal = new FakeTerminal();
    target = document.createElement("main");
    target.append(terminal.element);
    document.body.append(target);
    copied = [];
    now = 0;
    frames = new Map();
    nextFrame = 1;
    new TouchGestures(target, terminal, {
      copy: (text) => copied.push(text),
      requestFrame: (callback) => {
        frames.set(nextFrame, callback);
        return nextFrame++;
      },
      cancelFrame: (handle) => {
        frames.delete(handle);
      },
      now: () => now,
    });
  });

  afterEach(() => {
    target.remove();
    vi.useRealTimers();
  });

  const touch = (type: string, points: { x: number; y: number }[]): TouchEvent => {
    const event = new TouchEvent(type, {
      bubbles: true,
      cancelable: true,
      touches: points.map(({ x, y }, identifier) => ({ clientX: x, clientY: y, identifier }) as unknown as Touch),
    });
    terminal.screen.dispatchEvent(event);
    return event;
  };
  const down = (x: number, y: number) => touch("touchstart", [{ x, y }]);
  /** Moves the finger by steps of 10 ms. */
  const move = (x: number, y: number) => {
    now += 10;
    vi.advanceTimersByTime(10);
    return touch("touchmove", [{ x, y }]);
  };
  const up = () => touch("touchend", []);
  /** Runs the animation frames queued now, 16 ms apart; returns how many ran. */
  const runFrames = (limit = 1000): number => {
    let ran = 0;
    while (frames.size > 0 && ran < limit) {
      const [handle, callback] = [...frames][0] ?? [];
      if (handle === undefined || callback === undefined) {
        break;
      }
      frames.delete(handle);
      now += 16;
      callback(now);
      ran++;
    }
    return ran;
  };

  it("scrolls the scrollback with a vertical swipe: the content follows the finger", () => {
    down(140, 60);
    // Inside the slop: nothing yet, and the page may still have it.
    expect(move(140, 65).defaultPrevented).toBe(false);
    expect(terminal.scrolls).toEqual([]);
    // 45 px down from the start: two whole rows of 20 px, the rest kept for later.
    expect(move(140, 105).defaultPrevented).toBe(true);
    expect(terminal.scrolls).toEqual([-2]);
    expect(terminal.viewportY).toBe(43);
    move(140, 120);
    expect(terminal.scrolls).toEqual([-2, -1]);
    move(140, 80); // back up: newer lines
    expect(terminal.scrolls).toEqual([-2, -1, 2]);
    now += 500; // held still before lifting: no flick
    expect(up().defaultPrevented).toBe(true);
    expect(runFrames()).toBe(0);
    expect(copied).toEqual([]);
  });

  it("keeps scrolling after a flick, slowing down until it stops", () => {
    down(140, 60);
    for (let y = 80; y <= 140; y += 20) {
      move(140, y); // 2 px/ms
    }
    const during = terminal.scrolls.length;
    up();
    expect(runFrames()).toBeGreaterThan(10);
    expect(terminal.scrolls.length).toBeGreaterThan(during);
    expect(terminal.scrolls.slice(during).every((lines) => lines < 0)).toBe(true);
    expect(frames.size).toBe(0);
  });

  it("stops a flick at the top of the scrollback, and when the finger comes back", () => {
    terminal.viewportY = 3;
    down(140, 60);
    for (let y = 80; y <= 140; y += 20) {
      move(140, y);
    }
    up();
    runFrames();
    expect(terminal.viewportY).toBe(0);
    expect(frames.size).toBe(0);

    terminal.viewportY = 45;
    down(140, 140);
    for (let y = 120; y >= 60; y -= 20) {
      move(140, y);
    }
    up();
    expect(frames.size).toBe(1);
    down(140, 100); // a new touch catches the flick
    expect(frames.size).toBe(0);
    up();
  });

  it("stops a flick when something else moves the viewport (a key typed scrolls to the bottom)", () => {
    down(140, 60);
    for (let y = 80; y <= 140; y += 20) {
      move(140, y);
    }
    up();
    expect(runFrames(3)).toBe(3);
    const scrolled = terminal.scrolls.length;
    terminal.viewportY = 45; // typed input: back at the bottom
    runFrames();
    expect(terminal.scrolls).toHaveLength(scrolled);
    expect(frames.size).toBe(0);
  });

  it("does not flick a slow swipe", () => {
    down(140, 60);
    for (let y = 62; y <= 100; y += 2) {
      move(140, y); // 0.2 px/ms
    }
    expect(0.2).toBeLessThan(FLING_MIN_SPEED);
    up();
    expect(frames.size).toBe(0);
  });

  it("turns the swipe into wheel events where the program owns the screen", () => {
    const wheels: number[] = [];
    terminal.screen.addEventListener("wheel", (event) => {
      expect(event.deltaMode).toBe(WheelEvent.DOM_DELTA_LINE);
      wheels.push(event.deltaY);
    });
    terminal.type = "alternate";
    down(140, 120);
    move(140, 60); // three rows up: newer lines, as a wheel turned down
    expect(wheels).toEqual([1, 1, 1]);
    for (let y = 80; y <= 140; y += 20) {
      move(140, y);
    }
    up();
    expect(frames.size).toBe(0); // no flick: it would be a burst of keys
    expect(terminal.scrolls).toEqual([]);

    terminal.type = "normal";
    terminal.modes.mouseTrackingMode = "vt200";
    wheels.length = 0;
    down(140, 60);
    move(140, 81);
    up();
    expect(wheels).toEqual([-1]);
    expect(terminal.scrolls).toEqual([]);
  });

  it("leaves sideways swipes, taps and two fingers to the browser", () => {
    down(140, 60);
    expect(move(170, 65).defaultPrevented).toBe(false);
    expect(move(140, 140).defaultPrevented).toBe(false);
    expect(up().defaultPrevented).toBe(false);

    down(140, 60);
    expect(up().defaultPrevented).toBe(false); // a tap: the emulated mouse events focus
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(terminal.selection).toBeNull();

    touch("touchstart", [{ x: 140, y: 60 }, { x: 150, y: 90 }]);
    expect(touch("touchmove", [{ x: 140, y: 100 }, { x: 150, y: 130 }]).defaultPrevented).toBe(false);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(terminal.selection).toBeNull();
    up();

    // A second finger during a swipe hands it over.
    down(140, 60);
    move(140, 100);
    expect(touch("touchmove", [{ x: 140, y: 120 }, { x: 150, y: 130 }]).defaultPrevented).toBe(false);
    expect(up().defaultPrevented).toBe(false);
    expect(terminal.scrolls).toEqual([-2]);
  });

  it("does nothing before the terminal has a screen to measure", () => {
    terminal.screen.getBoundingClientRect = () => DOMRect.fromRect({ x: 0, y: 0, width: 0, height: 0 });
    down(140, 60);
    move(140, 120);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    up();
    expect(terminal.scrolls).toEqual([]);
    terminal.screen.remove();
    down(140, 60);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(up().defaultPrevented).toBe(false);
    expect(terminal.selection).toBeNull();
  });

  it("selects the word under a long press, and copies it when the finger lifts", () => {
    terminal.lines[47] = "echo hello";
    // Row 2 of the screen (buffer row 47), column 6: "hello".
    down(100 + 6 * 8 + 4, 50 + 2 * 20 + 10);
    vi.advanceTimersByTime(LONG_PRESS_MS - 1);
    expect(terminal.selection).toBeNull();
    vi.advanceTimersByTime(1);
    expect(terminal.selection).toEqual({ column: 5, row: 47, length: 5 });
    const end = up();
    expect(end.defaultPrevented).toBe(true); // no click after it
    expect(copied).toEqual(["hello"]);
  });

  it("extends the selection as the finger moves on after the long press", () => {
    terminal.lines[46] = "one two";
    terminal.lines[47] = "three four";
    down(100 + 4 * 8, 50 + 20 + 5); // "two" on buffer row 46
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(terminal.selection).toEqual({ column: 4, row: 46, length: 3 });
    expect(move(100 + 8 * 8, 50 + 2 * 20 + 5).defaultPrevented).toBe(true); // "four"'s "u"
    expect(terminal.selection).toEqual({ column: 4, row: 46, length: 15 });
    // Far outside the screen: clamped to its last cell.
    move(1000, 1000);
    expect(terminal.selection).toEqual({ column: 4, row: 46, length: 36 });
    move(90, 40); // before the screen's first cell
    expect(terminal.selection).toEqual({ column: 0, row: 45, length: 17 });
    up();
    expect(copied).toEqual(["line 45\none two"]);
  });

  it("selects the line's text on a blank, and nothing on an empty line", () => {
    terminal.lines[45] = "a  b";
    down(100 + 2 * 8 + 1, 55);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(terminal.selection).toEqual({ column: 0, row: 45, length: 4 });
    up();
    expect(copied).toEqual(["a  b"]);

    terminal.selection = null;
    terminal.lines[46] = "";
    down(140, 75);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    expect(terminal.selection).toBeNull();
    expect(up().defaultPrevented).toBe(false);
    expect(copied).toHaveLength(1);
  });

  it("copies nothing when the selection came out empty", () => {
    terminal.lines[45] = "word";
    down(102, 55);
    vi.advanceTimersByTime(LONG_PRESS_MS);
    terminal.selection = null;
    expect(up().defaultPrevented).toBe(true);
    expect(copied).toEqual([]);
  });

  it("keeps the browser's context menu (and xterm.js's answer to it) out of a touch", () => {
    const reached = vi.fn();
    terminal.element.addEventListener("contextmenu", reached);
    down(140, 60);
    const during = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    terminal.screen.dispatchEvent(during);
    expect(during.defaultPrevented).toBe(true);
    expect(reached).not.toHaveBeenCalled();
    touch("touchcancel", []);

    const mouse = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    terminal.screen.dispatchEvent(mouse);
    expect(mouse.defaultPrevented).toBe(false);
    expect(reached).toHaveBeenCalledTimes(1);
  });

  it("ignores a move without a touch it started", () => {
    expect(move(140, 100).defaultPrevented).toBe(false);
    touch("touchmove", []);
    expect(terminal.scrolls).toEqual([]);
  });
});
