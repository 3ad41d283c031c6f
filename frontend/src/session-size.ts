// Whose size the terminal has. Everyone who may type fits the window: theirs is the size the
// session takes when they type (the most recently active viewer's, docs/protocol.md). A watcher
// (a `view` client) has no say in the size, so it draws at the session's instead of its window's:
// output made for another width would be garbled there (lines wrapped at the wrong column, a
// full-screen program's rows in the wrong places). The server tells it the session's size before
// every snapshot and where the size changes (`size`, in order with the output; main.ts applies
// it through xterm.js's write queue, between the output before and the output after).
import type { TerminalSize } from "./handshake";

export interface SizingHooks {
  /** Fits the terminal to its box in the window (FitAddon). */
  fitWindow(): void;
  /** Gives the terminal exactly this size. */
  resize(size: TerminalSize): void;
  /** Whether this client only watches the session. */
  watching(): boolean;
}

export class TerminalSizing {
  private session: TerminalSize | null = null;

  constructor(private readonly hooks: SizingHooks) {}

  /** The session's size, as the server last told it (null before it has). */
  get sessionSize(): TerminalSize | null {
    return this.session;
  }

  /** The output from here on is for a terminal of `size`: a watcher takes it. */
  sessionResized(size: TerminalSize): void {
    this.session = { ...size };
    if (this.hooks.watching()) {
      this.hooks.resize(this.session);
    }
  }

  /** The window, the font or the role changed: the terminal takes the size it should have now. */
  refit(): void {
    if (this.session !== null && this.hooks.watching()) {
      this.hooks.resize(this.session);
    } else {
      this.hooks.fitWindow();
    }
  }

  /** A new connection: the session's size is not known until the server says it. */
  forget(): void {
    this.session = null;
  }
}

/**
 * A watcher's screen taller than its window: the window follows the cursor's row, so the prompt
 * (or whatever is being typed at) stays in view, as tmux shows a smaller client the part of the
 * window around its cursor. `row` is the cursor's row in `box`'s content, in pixels.
 */
export function followCursor(box: { scrollTop: number; clientHeight: number }, row: { top: number; bottom: number }): void {
  if (row.bottom > box.scrollTop + box.clientHeight) {
    box.scrollTop = row.bottom - box.clientHeight;
  } else if (row.top < box.scrollTop) {
    box.scrollTop = row.top;
  }
}
