// What a key of the key bar sends, and what a key typed while the bar's Ctrl or Alt is armed
// sends: the bytes xterm.js 6 itself sends for that key from a US-layout keyboard on Linux or
// Windows, where Alt is Meta (`evaluateKeyboardEvent` in its src/common/input/Keyboard.ts). A key
// from the bar and the same key from a hardware keyboard are the same to the program.
// Also the sticky modifiers: a tap arms Ctrl or Alt for the next key, a quick second tap locks it.

/** The keys, other than characters, that the bar has or that can follow an armed modifier. */
export type NamedKey =
  | "Escape"
  | "Tab"
  | "Enter"
  | "Backspace"
  | "Delete"
  | "ArrowUp"
  | "ArrowDown"
  | "ArrowRight"
  | "ArrowLeft"
  | "Home"
  | "End"
  | "PageUp"
  | "PageDown";

const NAMED_KEYS: ReadonlySet<string> = new Set<NamedKey>([
  "Escape",
  "Tab",
  "Enter",
  "Backspace",
  "Delete",
  "ArrowUp",
  "ArrowDown",
  "ArrowRight",
  "ArrowLeft",
  "Home",
  "End",
  "PageUp",
  "PageDown",
]);

/** Whether `key` (a `KeyboardEvent.key`) is one of the named keys. */
export function isNamedKey(key: string): key is NamedKey {
  return NAMED_KEYS.has(key);
}

export interface Modifiers {
  readonly ctrl: boolean;
  readonly alt: boolean;
}

export const NO_MODIFIERS: Modifiers = { ctrl: false, alt: false };

const ESC = "\x1b";
const CSI = "\x1b[";
const SS3 = "\x1bO";

/** The final letters of the cursor keys' sequences (`CSI A`, or `SS3 A` in application mode). */
const CURSOR_FINALS: Partial<Record<NamedKey, string>> = {
  ArrowUp: "A",
  ArrowDown: "B",
  ArrowRight: "C",
  ArrowLeft: "D",
  Home: "H",
  End: "F",
};

/**
 * The bytes for a named key. `applicationCursor` is the terminal's DECCKM mode
 * (`terminal.modes.applicationCursorKeysMode`), which full-screen programs turn on.
 */
export function namedKeyBytes(key: NamedKey, modifiers: Modifiers, applicationCursor: boolean): string {
  // xterm's modifier parameter: 1 + (Shift 1 | Alt 2 | Ctrl 4); the bar has no Shift.
  const parameter = 1 + (modifiers.alt ? 2 : 0) + (modifiers.ctrl ? 4 : 0);
  const modified = parameter > 1;
  const final = CURSOR_FINALS[key];
  if (final !== undefined) {
    if (modified) {
      return `${CSI}1;${parameter}${final}`;
    }
    return (applicationCursor ? SS3 : CSI) + final;
  }
  switch (key) {
    case "Escape":
      return modifiers.alt ? ESC + ESC : ESC;
    case "Tab":
      return "\t"; // xterm.js sends a plain tab with Ctrl or Alt held.
    case "Enter":
      return modifiers.alt ? `${ESC}\r` : "\r";
    case "Backspace":
      return (modifiers.alt ? ESC : "") + (modifiers.ctrl ? "\b" : "\x7f");
    case "Delete":
      return modified ? `${CSI}3;${parameter}~` : `${CSI}3~`;
    case "PageUp":
    case "PageDown": {
      const code = key === "PageUp" ? 5 : 6;
      // Only Ctrl makes xterm.js add the parameter; Alt alone sends the plain key.
      return modifiers.ctrl ? `${CSI}${code};${parameter}~` : `${CSI}${code}~`;
    }
    default:
      return ""; // Unreachable: the cursor keys returned above.
  }
}

/** Ctrl with the characters that are not letters, as xterm.js maps them (Ctrl+3 is ESC, …). */
const CTRL_CHARACTERS: Readonly<Record<string, string>> = {
  " ": "\x00",
  "@": "\x00",
  "3": "\x1b",
  "4": "\x1c",
  "5": "\x1d",
  "6": "\x1e",
  "7": "\x1f",
  "8": "\x7f",
  "[": "\x1b",
  "\\": "\x1c",
  "]": "\x1d",
  _: "\x1f",
};

const LETTER = /^[a-z]$/i;

/** The control byte of a letter: Ctrl+C is 0x03 (ETX), whatever the letter's case. */
function controlByte(letter: string): string {
  return String.fromCharCode(letter.toUpperCase().charCodeAt(0) - 64);
}

/**
 * The bytes for one character typed with `modifiers`: Ctrl+letter is the letter's control byte
 * (an upper-case letter too: phone keyboards capitalise on their own), Alt+character is ESC and
 * the character (ESC and the control byte with Ctrl as well). A Ctrl combination that xterm.js
 * sends nothing for (Ctrl+/, Ctrl+-, Ctrl+|, Ctrl+~, …) gives "".
 */
export function characterBytes(character: string, modifiers: Modifiers): string {
  if (modifiers.alt) {
    if (modifiers.ctrl && LETTER.test(character)) {
      return ESC + controlByte(character);
    }
    if (modifiers.ctrl && character === " ") {
      return `${ESC}\x00`;
    }
    return ESC + character;
  }
  if (modifiers.ctrl) {
    if (LETTER.test(character)) {
      return controlByte(character);
    }
    return CTRL_CHARACTERS[character] ?? "";
  }
  return character;
}

/** A sticky modifier: off, armed for the next key only, or locked until tapped again. */
export type LatchState = "off" | "armed" | "locked";

/** Two taps at most this far apart lock the modifier. */
export const DOUBLE_TAP_MS = 350;

export class StickyModifier {
  private current: LatchState = "off";
  private lastTap = Number.NEGATIVE_INFINITY;

  get state(): LatchState {
    return this.current;
  }

  get active(): boolean {
    return this.current !== "off";
  }

  /** A tap at `now` (ms): off → armed; armed → locked on a double tap, else off; locked → off. */
  tap(now: number): LatchState {
    if (this.current === "off") {
      this.current = "armed";
    } else if (this.current === "armed" && now - this.lastTap <= DOUBLE_TAP_MS) {
      this.current = "locked";
    } else {
      this.current = "off";
    }
    this.lastTap = now;
    return this.current;
  }

  /** A key went out with this modifier: an armed one is used up, a locked one stays. */
  used(): void {
    if (this.current === "armed") {
      this.current = "off";
    }
  }

  release(): void {
    this.current = "off";
  }
}
