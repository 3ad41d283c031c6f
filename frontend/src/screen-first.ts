// A reattach's snapshot holds the history above the screen, and xterm.js draws nothing until it
// has written all of it: for 300 rows of a painted 200-column screen (240 KB), some 60 ms before
// the first frame. Where the server says which of the snapshot's bytes draw the screen alone
// (`opened`'s `screen`, docs/protocol.md), the UI writes those first (after a reset, unless the
// terminal is fresh), lets the browser draw a frame, then writes the whole snapshot, which starts
// with a reset of its own: the screen shows sooner, and the history is there a moment later.
//
// All of it is one write, so output that arrives meanwhile waits behind it in xterm.js's queue,
// in order. Between the two parts a private OSC, carrying a token known only to this page, has
// xterm.js's parser wait (its handler returns a promise) until the frame is drawn.

/** The OSC number of the pause: not one xterm.js or a common program uses. */
export const SCREEN_DRAWN_OSC = 7701;
/** The longest the pause waits for a frame (a hidden page draws none). */
export const FRAME_WAIT_MS = 100;

/** The part of xterm.js's parser this uses. */
export interface OscParser {
  registerOscHandler(ident: number, callback: (data: string) => boolean | Promise<boolean>): unknown;
}

export interface ScreenFirstHooks {
  /** The screen alone is written: show the terminal (it may not be open yet). */
  screenWritten(): void;
  /** Resolves once what is written so far has been drawn (or it is time to go on anyway). */
  drawn(): Promise<void>;
  /** The whole snapshot is about to be written. */
  historyNext(): void;
}

export class ScreenFirst {
  private readonly marker: Uint8Array;

  constructor(parser: OscParser, hooks: ScreenFirstHooks, token: string) {
    const text = `\x1b]${SCREEN_DRAWN_OSC};${token}\x07`;
    this.marker = new TextEncoder().encode(text);
    parser.registerOscHandler(SCREEN_DRAWN_OSC, (data) => {
      if (data !== token) {
        return false; // Not ours (a program's): ignored, as xterm.js ignores unknown OSCs.
      }
      hooks.screenWritten();
      return hooks.drawn().then(() => {
        hooks.historyNext();
        return true;
      });
    });
  }

  /**
   * What to write for `snapshot`, whose bytes `screen` draw the screen alone after a reset: the
   * reset first unless the terminal is `fresh` (never written to). The reset is written, not
   * called, so that output still in xterm.js's queue is cleared too.
   */
  bytes(snapshot: Uint8Array, screen: readonly [number, number], fresh: boolean): Uint8Array {
    const [from, to] = screen;
    const reset = fresh ? [] : RIS;
    const out = new Uint8Array(reset.length + (to - from) + this.marker.length + snapshot.length);
    out.set(reset, 0);
    out.set(snapshot.subarray(from, to), reset.length);
    out.set(this.marker, reset.length + to - from);
    out.set(snapshot, reset.length + to - from + this.marker.length);
    return out;
  }
}

const RIS = [0x1b, 0x63];

/**
 * `snapshot` without the reset (`ESC c`) it starts with, for a fresh terminal (never written
 * to, so nothing is queued either): a reset costs xterm.js some 10-20 ms the first time (it
 * rebuilds its buffers and redraws), for nothing there.
 */
export function withoutLeadingReset(snapshot: Uint8Array): Uint8Array {
  return snapshot[0] === RIS[0] && snapshot[1] === RIS[1] ? snapshot.subarray(2) : snapshot;
}

/** Resolves after the next frame is drawn, or after `FRAME_WAIT_MS` should no frame come. */
export function nextFrameDrawn(win: Pick<Window, "requestAnimationFrame" | "setTimeout" | "clearTimeout">): Promise<void> {
  return new Promise((resolve) => {
    const timer = win.setTimeout(resolve, FRAME_WAIT_MS);
    win.requestAnimationFrame(() => {
      // A task queued from the frame runs once the frame is drawn.
      win.setTimeout(() => {
        win.clearTimeout(timer);
        resolve();
      }, 0);
    });
  });
}

/** A page's token for the pause: random, so output cannot carry it. */
export function screenFirstToken(crypto: Pick<Crypto, "getRandomValues">): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
