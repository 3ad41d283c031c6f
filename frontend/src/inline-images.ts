// Inline images: sixel and iTerm's inline image protocol (OSC 1337 File=), drawn by xterm.js's
// image addon, which is not in the page's first script. It is fetched once the first prompt is on
// the screen and the browser is idle, so it never delays the page; and should an image arrive
// before it is here, the output is held back (in order, nothing dropped) from the chunk that
// starts the image until the addon is loaded, then written. Without the addon, xterm.js would
// swallow the image's bytes, and the picture would be lost.

/** The image store's limit in MB (the addon's `storageLimit`): older images give way to newer ones. */
export const IMAGE_STORAGE_LIMIT_MB = 64;
/** The largest image in pixels (4096 × 4096, the addon's default); larger ones are dropped whole. */
export const IMAGE_PIXEL_LIMIT = 4096 * 4096;

const ESC = 0x1b;
/** UTF-8's lead byte of the C1 controls (U+0080 to U+009F), which xterm.js honours as 8-bit controls. */
const C1_LEAD = 0xc2;
const C1_DCS = 0x90;
const C1_OSC = 0x9d;
const OSC_ITERM = Array.from("1337;", (character) => character.charCodeAt(0));

/**
 * Watches output for the start of an image: a DCS whose parameters (digits and `;`) end in `q`
 * (sixel), or OSC 1337 (iTerm). It keeps its state between chunks, so a start split across two
 * is found in the second. A stray match only means the addon is fetched a little early.
 */
export class ImageStartDetector {
  private state: "ground" | "escape" | "c1" | "dcs" | "osc" = "ground";
  private oscMatched = 0;

  /**
   * Whether an image starts in `bytes` (or in what came before and ends in them). Most output is
   * text, and from ground only ESC and C1's lead byte can start anything: the text between is
   * skipped with `indexOf` (native), not looked at a byte at a time.
   */
  feed(bytes: Uint8Array): boolean {
    let nextEscape = -1;
    let nextC1 = -1;
    for (let at = 0; at < bytes.length; at++) {
      if (this.state === "ground") {
        if (nextEscape < at) {
          nextEscape = indexOrEnd(bytes, ESC, at);
        }
        if (nextC1 < at) {
          nextC1 = indexOrEnd(bytes, C1_LEAD, at);
        }
        at = Math.min(nextEscape, nextC1);
        if (at === bytes.length) {
          return false;
        }
      }
      if (this.step(bytes[at] ?? 0)) {
        this.state = "ground";
        return true;
      }
    }
    return false;
  }

  private step(byte: number): boolean {
    switch (this.state) {
      case "escape":
        this.enter(byte === 0x50 ? "dcs" : byte === 0x5d ? "osc" : "ground", byte);
        return false;
      case "c1":
        this.enter(byte === C1_DCS ? "dcs" : byte === C1_OSC ? "osc" : "ground", byte);
        return false;
      case "dcs":
        if (byte === 0x71) {
          return true;
        }
        if ((byte >= 0x30 && byte <= 0x39) || byte === 0x3b) {
          return false;
        }
        this.enter("ground", byte);
        return false;
      case "osc":
        if (byte === OSC_ITERM[this.oscMatched]) {
          this.oscMatched++;
          return this.oscMatched === OSC_ITERM.length;
        }
        this.enter("ground", byte);
        return false;
      case "ground":
        this.enter("ground", byte);
        return false;
    }
  }

  /** Goes to `state`; from ground, `byte` may itself start a sequence. */
  private enter(state: "ground" | "dcs" | "osc", byte: number): void {
    this.oscMatched = 0;
    if (state !== "ground") {
      this.state = state;
    } else {
      this.state = byte === ESC ? "escape" : byte === C1_LEAD ? "c1" : "ground";
    }
  }
}

/** Where `byte` is next in `bytes` from `from` on, or the length if nowhere. */
function indexOrEnd(bytes: Uint8Array, byte: number, from: number): number {
  const found = bytes.indexOf(byte, from);
  return found === -1 ? bytes.length : found;
}

export interface InlineImagesOptions {
  /** Fetches the addon and loads it into the terminal; rejects when it cannot. */
  load(): Promise<void>;
  /** An image arrived, but the addon could not be loaded: it is not shown (said once). */
  failed(): void;
}

/**
 * Every write to the terminal (output, snapshots, resets) goes through `write`, which runs it at
 * once, or, from the chunk that starts an image until the addon is loaded, queues it in order.
 */
export class InlineImages {
  private readonly options: InlineImagesOptions;
  private readonly detector = new ImageStartDetector();
  private loading: Promise<void> | null = null;
  private loaded = false;
  private unavailable = false;
  private held: (() => void)[] | null = null;

  constructor(options: InlineImagesOptions) {
    this.options = options;
  }

  /** Whether the addon is loaded (or failed to, and is no longer waited for). */
  get ready(): boolean {
    return this.loaded;
  }

  /** Whether output is being held for the addon. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** Runs `action`, which writes `bytes` (or resets: none) to the terminal, now or in its turn. */
  write(bytes: Uint8Array | null, action: () => void): void {
    if (this.unavailable && bytes !== null && this.detector.feed(bytes)) {
      this.unavailable = false;
      this.options.failed();
    } else if (this.held === null && !this.loaded && bytes !== null && this.detector.feed(bytes)) {
      this.held = [];
      void this.load();
    }
    if (this.held === null) {
      action();
    } else {
      this.held.push(action);
    }
  }

  /** Fetches the addon unless it is here or on its way; resolves when it is loaded or has failed. */
  load(): Promise<void> {
    this.loading ??= this.options.load().then(
      () => {
        this.settle();
      },
      () => {
        // Said when an image is waiting, else at the first image that comes.
        if (this.held !== null) {
          this.options.failed();
        } else {
          this.unavailable = true;
        }
        this.settle();
      },
    );
    return this.loading;
  }

  /** Writes what was held, in order; from now on everything is written at once. */
  private settle(): void {
    this.loaded = true;
    const held = this.held ?? [];
    this.held = null;
    for (const action of held) {
      action();
    }
  }
}
