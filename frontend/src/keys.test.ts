// The bytes are xterm.js 6's own (evaluateKeyboardEvent in its src/common/input/Keyboard.ts, on
// Linux, US layout): the tables below were checked against it, combination by combination.
import { describe, expect, it } from "vitest";
import { characterBytes, DOUBLE_TAP_MS, isNamedKey, namedKeyBytes, NO_MODIFIERS, StickyModifier, type Modifiers, type NamedKey } from "./keys";

const CTRL: Modifiers = { ctrl: true, alt: false };
const ALT: Modifiers = { ctrl: false, alt: true };
const CTRL_ALT: Modifiers = { ctrl: true, alt: true };

describe("namedKeyBytes", () => {
  // key: [plain, application cursor mode, Ctrl, Alt, Ctrl+Alt]
  const table: Record<NamedKey, [string, string, string, string, string]> = {
    Escape: ["\x1b", "\x1b", "\x1b", "\x1b\x1b", "\x1b\x1b"],
    Tab: ["\t", "\t", "\t", "\t", "\t"],
    Enter: ["\r", "\r", "\r", "\x1b\r", "\x1b\r"],
    Backspace: ["\x7f", "\x7f", "\b", "\x1b\x7f", "\x1b\b"],
    Delete: ["\x1b[3~", "\x1b[3~", "\x1b[3;5~", "\x1b[3;3~", "\x1b[3;7~"],
    ArrowUp: ["\x1b[A", "\x1bOA", "\x1b[1;5A", "\x1b[1;3A", "\x1b[1;7A"],
    ArrowDown: ["\x1b[B", "\x1bOB", "\x1b[1;5B", "\x1b[1;3B", "\x1b[1;7B"],
    ArrowRight: ["\x1b[C", "\x1bOC", "\x1b[1;5C", "\x1b[1;3C", "\x1b[1;7C"],
    ArrowLeft: ["\x1b[D", "\x1bOD", "\x1b[1;5D", "\x1b[1;3D", "\x1b[1;7D"],
    Home: ["\x1b[H", "\x1bOH", "\x1b[1;5H", "\x1b[1;3H", "\x1b[1;7H"],
    End: ["\x1b[F", "\x1bOF", "\x1b[1;5F", "\x1b[1;3F", "\x1b[1;7F"],
    // Alt alone leaves the page keys plain in xterm.js.
    PageUp: ["\x1b[5~", "\x1b[5~", "\x1b[5;5~", "\x1b[5~", "\x1b[5;7~"],
    PageDown: ["\x1b[6~", "\x1b[6~", "\x1b[6;5~", "\x1b[6~", "\x1b[6;7~"],
  };

  for (const [key, [plain, application, ctrl, alt, ctrlAlt]] of Object.entries(table) as [NamedKey, string[]][]) {
    it(`sends what xterm.js sends for ${key}`, () => {
      expect(namedKeyBytes(key, NO_MODIFIERS, false)).toBe(plain);
      expect(namedKeyBytes(key, NO_MODIFIERS, true)).toBe(application);
      // A modified cursor key is the same in either cursor mode.
      for (const mode of [false, true]) {
        expect(namedKeyBytes(key, CTRL, mode)).toBe(ctrl);
        expect(namedKeyBytes(key, ALT, mode)).toBe(alt);
        expect(namedKeyBytes(key, CTRL_ALT, mode)).toBe(ctrlAlt);
      }
    });
  }

  it("knows its keys by their KeyboardEvent.key names", () => {
    for (const key of Object.keys(table)) {
      expect(isNamedKey(key)).toBe(true);
    }
    for (const other of ["a", "F1", "Shift", "Unidentified", "Process", "Insert", ""]) {
      expect(isNamedKey(other)).toBe(false);
    }
  });
});

describe("characterBytes", () => {
  it("sends a character as it is without modifiers", () => {
    for (const character of ["a", "Z", "|", "~", "/", "-", " ", "é", "😀"]) {
      expect(characterBytes(character, NO_MODIFIERS)).toBe(character);
    }
  });

  it("turns Ctrl+letter into the letter's control byte, in either case", () => {
    expect(characterBytes("a", CTRL)).toBe("\x01");
    expect(characterBytes("c", CTRL)).toBe("\x03");
    expect(characterBytes("C", CTRL)).toBe("\x03"); // phone keyboards capitalise by themselves
    expect(characterBytes("z", CTRL)).toBe("\x1a");
    const all = "abcdefghijklmnopqrstuvwxyz".split("").map((letter) => characterBytes(letter, CTRL));
    expect(all).toEqual(Array.from({ length: 26 }, (_, index) => String.fromCharCode(index + 1)));
  });

  it("maps Ctrl with the other characters as xterm.js does, and sends nothing where it sends nothing", () => {
    const expected: Record<string, string> = {
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
      // xterm.js has no control byte for these: nothing goes out.
      "/": "",
      "-": "",
      "|": "",
      "~": "",
      "2": "",
      "^": "",
      "?": "",
      "é": "",
    };
    for (const [character, bytes] of Object.entries(expected)) {
      expect(characterBytes(character, CTRL), JSON.stringify(character)).toBe(bytes);
    }
  });

  it("prefixes ESC for Alt, with the control byte for Ctrl+Alt+letter", () => {
    expect(characterBytes("b", ALT)).toBe("\x1bb");
    expect(characterBytes("B", ALT)).toBe("\x1bB");
    expect(characterBytes("|", ALT)).toBe("\x1b|");
    expect(characterBytes("~", ALT)).toBe("\x1b~");
    expect(characterBytes("/", ALT)).toBe("\x1b/");
    expect(characterBytes("-", ALT)).toBe("\x1b-");
    expect(characterBytes(" ", ALT)).toBe("\x1b ");
    expect(characterBytes("x", CTRL_ALT)).toBe("\x1b\x18");
    expect(characterBytes("X", CTRL_ALT)).toBe("\x1b\x18");
    expect(characterBytes(" ", CTRL_ALT)).toBe("\x1b\x00");
    // Ctrl+Alt with a character that is not a letter: xterm.js sends ESC and the character.
    expect(characterBytes("/", CTRL_ALT)).toBe("\x1b/");
    expect(characterBytes("3", CTRL_ALT)).toBe("\x1b3");
  });
});

describe("StickyModifier", () => {
  it("arms on a tap, is used up by one key, and releases on a slow second tap", () => {
    const modifier = new StickyModifier();
    expect(modifier.state).toBe("off");
    expect(modifier.active).toBe(false);
    expect(modifier.tap(1000)).toBe("armed");
    expect(modifier.active).toBe(true);
    modifier.used();
    expect(modifier.state).toBe("off");

    modifier.tap(5000);
    expect(modifier.tap(5000 + DOUBLE_TAP_MS + 1)).toBe("off");
  });

  it("locks on a double tap until tapped again", () => {
    const modifier = new StickyModifier();
    modifier.tap(1000);
    expect(modifier.tap(1000 + DOUBLE_TAP_MS)).toBe("locked");
    modifier.used();
    modifier.used();
    expect(modifier.state).toBe("locked");
    expect(modifier.tap(1100 + DOUBLE_TAP_MS)).toBe("off");
    // A third quick tap starts over rather than locking again.
    expect(modifier.tap(1200 + DOUBLE_TAP_MS)).toBe("armed");
  });

  it("releases at once", () => {
    const modifier = new StickyModifier();
    modifier.tap(0);
    modifier.tap(10);
    modifier.release();
    expect(modifier.state).toBe("off");
  });
});
