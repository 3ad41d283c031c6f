// Touch on the terminal. xterm.js 6 scrolls with the wheel only (its new viewport dropped touch
// scrolling, xterm.js issue #5489) and selects with the mouse only, so this adds:
// - a one-finger vertical swipe scrolls the scrollback, and keeps going after a flick; where the
//   program owns the screen (the alternate buffer, or mouse tracking) the swipe becomes wheel
//   events, which xterm.js turns into what the wheel sends there (arrow keys, mouse reports);
// - a long press selects the word under the finger (on a blank or a separator, the line), dragging
//   on extends the selection, and lifting the finger copies it.
// A tap is left alone: the browser's emulated mouse events focus the terminal as a click does.

/** The cells of a buffer line, as xterm.js's IBufferLine gives them. */
export interface GestureLine {
  getCell(x: number): { getChars(): string; getWidth(): number } | undefined;
}

/** What the gestures need of xterm.js's Terminal. */
export interface GestureTerminal {
  readonly cols: number;
  readonly rows: number;
  readonly element: HTMLElement | undefined;
  readonly options: { readonly wordSeparator?: string | undefined };
  readonly modes: { readonly mouseTrackingMode: string };
  readonly buffer: { readonly active: { readonly type: string; readonly viewportY: number; getLine(y: number): GestureLine | undefined } };
  scrollLines(amount: number): void;
  select(column: number, row: number, length: number): void;
  getSelection(): string;
}

/** Held this long without moving, a touch selects. */
export const LONG_PRESS_MS = 450;
/** A touch that moves further than this (px) is a swipe, not a press. */
export const TOUCH_SLOP_PX = 10;
/** A flick faster than this (px/ms) keeps scrolling after the finger lifts … */
export const FLING_MIN_SPEED = 0.3;
/** … slowing down by this factor every 16 ms until it falls under `FLING_STOP_SPEED`. */
export const FLING_FRICTION = 0.95;
export const FLING_STOP_SPEED = 0.03;
/** The flick's speed is the finger's over its last this many ms. */
const FLING_SAMPLE_MS = 100;
/** xterm.js's default word separators (its `wordSeparator` option). */
const WORD_SEPARATORS = " ()[]{}',\"`";

export interface Cell {
  readonly chars: string;
  /** 1, 2 for a wide character, 0 for the cell a wide character's second half takes. */
  readonly width: number;
}

/** A range of cells, `start` inclusive, `end` exclusive. */
export interface CellRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a long press at `column` selects in a line of `cells`: the word there (no separators, no
 * blanks; a wide character's second half belongs to it), else the line up to its last non-blank
 * cell; null on an empty line.
 */
export function wordRange(cells: readonly Cell[], column: number, separators = WORD_SEPARATORS): CellRange | null {
  const isWord = (index: number): boolean => {
    const cell = cells[index];
    if (cell === undefined) {
      return false;
    }
    if (cell.width === 0) {
      return index > 0 && isWord(index - 1);
    }
    return cell.chars !== "" && !separators.includes(cell.chars);
  };
  if (isWord(column)) {
    let start = column;
    while (start > 0 && isWord(start - 1)) {
      start--;
    }
    let end = column + 1;
    while (end < cells.length && isWord(end)) {
      end++;
    }
    // Never start on a wide character's second half.
    while (start > 0 && cells[start]?.width === 0) {
      start--;
    }
    return { start, end };
  }
  let end = cells.length;
  while (end > 0 && (cells[end - 1]?.chars ?? "") === "") {
    end--;
  }
  return end === 0 ? null : { start: 0, end };
}

/** The selection from the long-pressed `anchor` to the cell at `point` (cells counted row by row). */
export function extendRange(anchor: CellRange, point: number): CellRange {
  return { start: Math.min(anchor.start, point), end: Math.max(anchor.end, point + 1) };
}

export interface GestureOptions {
  /** Copies the selection when the finger lifts (the caller reports how that went). */
  copy(text: string): void;
  requestFrame(callback: (time: number) => void): number;
  cancelFrame(handle: number): void;
  now(): number;
}

type Mode =
  /** No touch, or one this does not handle (two fingers, a sideways swipe). */
  | { kind: "none" }
  /** A finger down, not yet a swipe or a long press. */
  | { kind: "pending"; timer: number }
  | { kind: "scroll" }
  | { kind: "select"; anchor: CellRange };

export class TouchGestures {
  private readonly terminal: GestureTerminal;
  private readonly options: GestureOptions;
  private mode: Mode = { kind: "none" };
  private start = { x: 0, y: 0 };
  private last = { x: 0, y: 0 };
  /** Pixels swiped that have not made a whole line yet. */
  private remainder = 0;
  /** Recent finger positions, for the flick's speed. */
  private samples: { y: number; time: number }[] = [];
  private fling: number | null = null;

  constructor(target: HTMLElement, terminal: GestureTerminal, options: GestureOptions) {
    this.terminal = terminal;
    this.options = options;
    target.addEventListener("touchstart", (event) => {
      this.touchStart(event);
    }, { passive: true });
    target.addEventListener("touchmove", (event) => {
      this.touchMove(event);
    }, { passive: false });
    target.addEventListener("touchend", (event) => {
      this.touchEnd(event);
    }, { passive: false });
    target.addEventListener("touchcancel", () => {
      this.reset();
    });
    // A long press opens the browser's context menu, and xterm.js answers that by moving its
    // textarea under the finger: not while a touch is this gesture's.
    target.addEventListener("contextmenu", (event) => {
      if (this.mode.kind !== "none") {
        event.preventDefault();
        event.stopPropagation();
      }
    }, { capture: true });
  }

  private touchStart(event: TouchEvent): void {
    this.stopFling();
    this.reset();
    const touch = event.touches[0];
    if (event.touches.length !== 1 || touch === undefined) {
      return; // Two fingers: the browser's (pinch-zoom).
    }
    this.start = { x: touch.clientX, y: touch.clientY };
    this.last = this.start;
    this.samples = [{ y: touch.clientY, time: this.options.now() }];
    this.remainder = 0;
    const timer = window.setTimeout(() => {
      this.longPress();
    }, LONG_PRESS_MS);
    this.mode = { kind: "pending", timer };
  }

  private touchMove(event: TouchEvent): void {
    const touch = event.touches[0];
    if (touch === undefined || this.mode.kind === "none") {
      return;
    }
    if (event.touches.length !== 1) {
      this.reset();
      return;
    }
    const x = touch.clientX;
    const y = touch.clientY;
    if (this.mode.kind === "pending") {
      const dx = x - this.start.x;
      const dy = y - this.start.y;
      if (Math.hypot(dx, dy) <= TOUCH_SLOP_PX) {
        return;
      }
      window.clearTimeout(this.mode.timer);
      if (Math.abs(dy) < Math.abs(dx)) {
        this.mode = { kind: "none" }; // Sideways: not a scroll.
        return;
      }
      this.mode = { kind: "scroll" };
      this.last = this.start;
    }
    event.preventDefault();
    if (this.mode.kind === "scroll") {
      this.scrollPixels(y - this.last.y, x, y);
      this.samples.push({ y, time: this.options.now() });
      if (this.samples.length > 20) {
        this.samples.shift();
      }
    } else {
      this.extendSelection(x, y);
    }
    this.last = { x, y };
  }

  private touchEnd(event: TouchEvent): void {
    const mode = this.mode;
    this.reset();
    if (mode.kind === "pending" || mode.kind === "none") {
      return; // A tap: the emulated mouse events focus the terminal.
    }
    event.preventDefault(); // No emulated click after a swipe or a selection.
    if (mode.kind === "select") {
      const text = this.terminal.getSelection();
      if (text !== "") {
        this.options.copy(text);
      }
      return;
    }
    this.startFling();
  }

  private reset(): void {
    if (this.mode.kind === "pending") {
      window.clearTimeout(this.mode.timer);
    }
    this.mode = { kind: "none" };
  }

  /** Whether the program gets the swipe (as wheel events) rather than the scrollback. */
  private programScrolls(): boolean {
    return this.terminal.buffer.active.type === "alternate" || this.terminal.modes.mouseTrackingMode !== "none";
  }

  private screen(): { left: number; top: number; cellWidth: number; cellHeight: number; element: Element } | null {
    const element = this.terminal.element?.querySelector(".xterm-screen") ?? null;
    if (element === null) {
      return null;
    }
    const rect = element.getBoundingClientRect();
    if (rect.height <= 0 || rect.width <= 0) {
      return null;
    }
    return { left: rect.left, top: rect.top, cellWidth: rect.width / this.terminal.cols, cellHeight: rect.height / this.terminal.rows, element };
  }

  /** Scrolls by a finger's `dy` pixels: down shows older lines. */
  private scrollPixels(dy: number, x: number, y: number): boolean {
    const screen = this.screen();
    if (screen === null) {
      return false;
    }
    this.remainder += dy;
    const lines = Math.trunc(this.remainder / screen.cellHeight);
    if (lines === 0) {
      return true;
    }
    this.remainder -= lines * screen.cellHeight;
    if (!this.programScrolls()) {
      const before = this.terminal.buffer.active.viewportY;
      this.terminal.scrollLines(-lines);
      return this.terminal.buffer.active.viewportY !== before;
    }
    // One wheel notch per line: xterm.js sends one arrow key (or mouse report) per wheel event.
    for (let step = 0; step < Math.abs(lines); step++) {
      screen.element.dispatchEvent(
        new WheelEvent("wheel", { deltaY: lines > 0 ? -1 : 1, deltaMode: WheelEvent.DOM_DELTA_LINE, clientX: x, clientY: y, bubbles: true, cancelable: true }),
      );
    }
    return true;
  }

  private startFling(): void {
    if (this.programScrolls()) {
      return; // A flick would be a burst of arrow keys.
    }
    // The speed over the swipe's last moments: a finger held still before it lifts does not flick.
    const end = this.options.now();
    const recent = this.samples.filter((sample) => end - sample.time <= FLING_SAMPLE_MS);
    const first = recent[0];
    const last = recent.at(-1);
    if (first === undefined || last === undefined || last.time - first.time <= 0) {
      return;
    }
    let speed = (last.y - first.y) / (last.time - first.time);
    if (Math.abs(speed) < FLING_MIN_SPEED) {
      return;
    }
    let previous = this.options.now();
    let viewport = this.terminal.buffer.active.viewportY;
    const step = (): void => {
      // Something else moved the viewport (a key typed scrolls to the bottom): that wins.
      if (this.terminal.buffer.active.viewportY !== viewport) {
        this.fling = null;
        return;
      }
      const now = this.options.now();
      const elapsed = Math.max(0, now - previous);
      previous = now;
      const moved = this.scrollPixels(speed * elapsed, this.last.x, this.last.y);
      viewport = this.terminal.buffer.active.viewportY;
      speed *= FLING_FRICTION ** (elapsed / 16);
      if (!moved || Math.abs(speed) < FLING_STOP_SPEED) {
        this.fling = null;
        return;
      }
      this.fling = this.options.requestFrame(step);
    };
    this.fling = this.options.requestFrame(step);
  }

  private stopFling(): void {
    if (this.fling !== null) {
      this.options.cancelFrame(this.fling);
      this.fling = null;
    }
  }

  /** The buffer cell under a point: its column, and its row counted from the oldest scrollback row. */
  private cellAt(x: number, y: number): { column: number; row: number } | null {
    const screen = this.screen();
    if (screen === null) {
      return null;
    }
    const clamp = (value: number, size: number) => Math.min(size - 1, Math.max(0, Math.floor(value)));
    return {
      column: clamp((x - screen.left) / screen.cellWidth, this.terminal.cols),
      row: clamp((y - screen.top) / screen.cellHeight, this.terminal.rows) + this.terminal.buffer.active.viewportY,
    };
  }

  private longPress(): void {
    this.mode = { kind: "none" };
    const cell = this.cellAt(this.start.x, this.start.y);
    const line = cell === null ? undefined : this.terminal.buffer.active.getLine(cell.row);
    if (cell === null || line === undefined) {
      return;
    }
    const cells: Cell[] = [];
    for (let x = 0; x < this.terminal.cols; x++) {
      const found = line.getCell(x);
      cells.push({ chars: found?.getChars() ?? "", width: found?.getWidth() ?? 1 });
    }
    const range = wordRange(cells, cell.column, this.terminal.options.wordSeparator ?? WORD_SEPARATORS);
    if (range === null) {
      return;
    }
    const base = cell.row * this.terminal.cols;
    const anchor = { start: base + range.start, end: base + range.end };
    this.select(anchor);
    this.mode = { kind: "select", anchor };
  }

  private extendSelection(x: number, y: number): void {
    const cell = this.cellAt(x, y);
    if (cell === null || this.mode.kind !== "select") {
      return;
    }
    this.select(extendRange(this.mode.anchor, cell.row * this.terminal.cols + cell.column));
  }

  private select(range: CellRange): void {
    const cols = this.terminal.cols;
    this.terminal.select(range.start % cols, Math.floor(range.start / cols), range.end - range.start);
  }
}
