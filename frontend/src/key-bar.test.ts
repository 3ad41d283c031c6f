// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeyBar, keyboardIcon, REPEAT_DELAY_MS, REPEAT_EVERY_MS, type KeyBarTerminal } from "./key-bar";
import { DOUBLE_TAP_MS } from "./keys";

class FakeTerminal implements KeyBarTerminal {
  readonly typed: string[] = [];
  readonly modes = { applicationCursorKeysMode: false };
  input(data: string, wasUserInput?: boolean): void {
    expect(wasUserInput).toBe(true);
    this.typed.push(data);
  }
}

describe("KeyBar", () => {
  let terminal: FakeTerminal;
  let hides: number;
  let bar: KeyBar;

  beforeEach(() => {
    vi.useFakeTimers();
    terminal = new FakeTerminal();
    hides = 0;
    bar = new KeyBar(document, terminal, () => {
      hides++;
    });
    document.body.append(bar.element);
  });

  afterEach(() => {
    bar.element.remove();
    vi.useRealTimers();
  });

  const key = (name: string): HTMLButtonElement => {
    const found = bar.element.querySelector<HTMLButtonElement>(`[data-key="${name}"]`);
    if (found === null) {
      throw new Error(`no key ${name}`);
    }
    return found;
  };
  /** A finger (or the mouse) on `name`, lifted unless `hold`; returns the pointerdown. */
  const tap = (name: string, hold = false): PointerEvent => {
    const down = new PointerEvent("pointerdown", { bubbles: true, cancelable: true, button: 0 });
    key(name).dispatchEvent(down);
    if (!hold) {
      key(name).dispatchEvent(new PointerEvent("pointerup", { bubbles: true }));
      key(name).dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 1 }));
    }
    return down;
  };
  const keydown = (init: KeyboardEventInit) => new KeyboardEvent("keydown", { cancelable: true, ...init });
  const insert = (data: string | null, inputType = "insertText", cancelable = true) =>
    new InputEvent("beforeinput", { data, inputType, cancelable });

  it("is a hidden toolbar of named buttons that never take the focus", () => {
    const element = bar.element;
    expect(element.id).toBe("keybar");
    expect(element.hidden).toBe(true);
    expect(element.getAttribute("role")).toBe("toolbar");
    const buttons = [...element.querySelectorAll("button")];
    expect(buttons.map((button) => button.dataset.key)).toEqual([
      "esc", "tab", "ctrl", "alt", "pipe", "tilde", "slash", "minus", "home", "end", "pgup", "pgdn", "left", "up", "down", "right", "hide",
    ]);
    expect(buttons.every((button) => button.tabIndex === -1 && button.type === "button")).toBe(true);
    expect(key("esc").textContent).toBe("Esc");
    expect(key("esc").getAttribute("aria-label")).toBe("Escape");
    expect(key("up").getAttribute("aria-label")).toBe("Up");
    expect(key("ctrl").getAttribute("aria-pressed")).toBe("false");
    expect(key("hide").getAttribute("aria-label")).toBe("Hide the key bar");
    expect(key("hide").querySelector("svg")).not.toBeNull();

    const down = tap("esc");
    expect(down.defaultPrevented).toBe(true); // No focus change, no emulated mouse events.
    const mousedown = new MouseEvent("mousedown", { bubbles: true, cancelable: true });
    key("esc").dispatchEvent(mousedown);
    expect(mousedown.defaultPrevented).toBe(true);
  });

  it("sends each key's bytes as typed input", () => {
    for (const name of ["esc", "tab", "pipe", "tilde", "slash", "minus", "home", "end", "pgup", "pgdn", "left", "up", "down", "right"]) {
      tap(name);
    }
    expect(terminal.typed).toEqual(["\x1b", "\t", "|", "~", "/", "-", "\x1b[H", "\x1b[F", "\x1b[5~", "\x1b[6~", "\x1b[D", "\x1b[A", "\x1b[B", "\x1b[C"]);
  });

  it("sends the cursor keys in application mode when the program asked for it", () => {
    terminal.modes.applicationCursorKeysMode = true;
    tap("up");
    tap("home");
    expect(terminal.typed).toEqual(["\x1bOA", "\x1bOH"]);
  });

  it("arms Ctrl and Alt for the next key only, and shows it", () => {
    tap("ctrl");
    expect(key("ctrl").dataset.latch).toBe("armed");
    expect(key("ctrl").getAttribute("aria-pressed")).toBe("true");
    expect(bar.modifiers).toEqual({ ctrl: true, alt: false });
    tap("up");
    expect(key("ctrl").dataset.latch).toBe("off");
    expect(key("ctrl").getAttribute("aria-pressed")).toBe("false");
    tap("up");

    tap("alt");
    tap("pipe");
    // Ctrl with a character xterm.js has no control byte for sends nothing, and is used up.
    tap("ctrl");
    tap("slash");
    tap("slash");
    tap("ctrl");
    tap("alt");
    vi.advanceTimersByTime(DOUBLE_TAP_MS + 1);
    tap("esc");
    expect(terminal.typed).toEqual(["\x1b[1;5A", "\x1b[A", "\x1b|", "/", "\x1b\x1b"]);
  });

  it("releases an armed modifier on a second, slow tap, and locks it on a double tap", () => {
    tap("ctrl");
    vi.advanceTimersByTime(DOUBLE_TAP_MS + 1);
    tap("ctrl");
    expect(key("ctrl").dataset.latch).toBe("off");

    tap("alt");
    tap("alt");
    expect(key("alt").dataset.latch).toBe("locked");
    tap("left");
    tap("right");
    expect(key("alt").dataset.latch).toBe("locked");
    vi.advanceTimersByTime(DOUBLE_TAP_MS + 1);
    tap("alt");
    tap("left");
    expect(terminal.typed).toEqual(["\x1b[1;3D", "\x1b[1;3C", "\x1b[D"]);
  });

  it("repeats a held cursor key, with the modifiers it was pressed with, until released", () => {
    tap("ctrl");
    tap("down", true);
    expect(terminal.typed).toEqual(["\x1b[1;5B"]);
    vi.advanceTimersByTime(REPEAT_DELAY_MS - 1);
    expect(terminal.typed).toHaveLength(1);
    expect(key("down").classList.contains("pressed")).toBe(true);
    vi.advanceTimersByTime(1 + 2 * REPEAT_EVERY_MS);
    expect(terminal.typed).toEqual(Array<string>(4).fill("\x1b[1;5B"));
    key("down").dispatchEvent(new PointerEvent("pointercancel", { bubbles: true }));
    expect(key("down").classList.contains("pressed")).toBe(false);
    vi.advanceTimersByTime(10 * REPEAT_EVERY_MS);
    expect(terminal.typed).toHaveLength(4);

    // Esc does not repeat; a second button pressed ends the first one's press.
    tap("esc", true);
    tap("pgup", true);
    expect(key("esc").classList.contains("pressed")).toBe(false);
    vi.advanceTimersByTime(REPEAT_DELAY_MS);
    bar.element.dispatchEvent(new PointerEvent("pointerleave"));
    vi.advanceTimersByTime(REPEAT_DELAY_MS);
    expect(terminal.typed.slice(4)).toEqual(["\x1b", "\x1b[5~", "\x1b[5~"]);
  });

  it("ignores other mouse buttons and presses outside the keys", () => {
    key("esc").dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, cancelable: true, button: 2 }));
    const outside = new PointerEvent("pointerdown", { bubbles: true, cancelable: true, button: 0 });
    bar.element.dispatchEvent(outside);
    expect(outside.defaultPrevented).toBe(true);
    bar.element.dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 0 }));
    expect(terminal.typed).toEqual([]);
  });

  it("presses a key that the keyboard or an assistive technology clicks", () => {
    key("tab").dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 0 }));
    expect(terminal.typed).toEqual(["\t"]);
  });

  it("hides on the hide key's click (not on its pointerdown), releasing the modifiers", () => {
    tap("ctrl");
    tap("alt");
    tap("hide", true);
    expect(hides).toBe(0);
    expect(key("hide").classList.contains("pressed")).toBe(true);
    key("hide").querySelector("path")?.dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 1 }));
    expect(hides).toBe(1);
    expect(bar.modifiers).toEqual({ ctrl: false, alt: false });
    expect(terminal.typed).toEqual([]);
  });

  it("applies an armed modifier to the next key typed on a keyboard", () => {
    expect(bar.typedKey(keydown({ key: "c" }))).toBe(false);
    tap("ctrl");
    // The keyboard's own modifiers and compositions are left alone, and the bar stays armed.
    expect(bar.typedKey(keydown({ key: "c", ctrlKey: true }))).toBe(false);
    expect(bar.typedKey(keydown({ key: "c", altKey: true }))).toBe(false);
    expect(bar.typedKey(keydown({ key: "c", metaKey: true }))).toBe(false);
    expect(bar.typedKey(keydown({ key: "c", isComposing: true }))).toBe(false);
    expect(bar.typedKey(keydown({ key: "Unidentified" }))).toBe(false);
    expect(bar.typedKey(keydown({ key: "Shift" }))).toBe(false);
    expect(terminal.typed).toEqual([]);
    expect(bar.typedKey(keydown({ key: "c" }))).toBe(true);
    expect(bar.typedKey(keydown({ key: "c" }))).toBe(false); // used up

    tap("alt");
    expect(bar.typedKey(keydown({ key: "ArrowLeft" }))).toBe(true);
    tap("alt");
    expect(bar.typedKey(keydown({ key: "Enter" }))).toBe(true);
    tap("ctrl");
    tap("alt");
    expect(bar.typedKey(keydown({ key: "X" }))).toBe(true);
    expect(terminal.typed).toEqual(["\x03", "\x1b[1;3D", "\x1b\r", "\x1b\x18"]);
  });

  it("applies an armed modifier to the first character a phone keyboard inserts", () => {
    expect(bar.typedText(insert("c"))).toBe(false);
    tap("ctrl");
    expect(bar.typedText(insert("c", "insertCompositionText"))).toBe(false);
    expect(bar.typedText(insert("c", "insertText", false))).toBe(false);
    expect(bar.typedText(insert(""))).toBe(false);
    expect(bar.typedText(insert(null))).toBe(false);
    expect(bar.typedText(insert("d"))).toBe(true);
    tap("alt");
    expect(bar.typedText(insert("hello"))).toBe(true);
    expect(terminal.typed).toEqual(["\x04", "\x1bhello"]);
  });
});

describe("keyboardIcon", () => {
  it("draws a keyboard, with a chevron for hiding", () => {
    const plain = keyboardIcon(document, false);
    expect(plain.getAttribute("aria-hidden")).toBe("true");
    expect(plain.querySelectorAll("path")).toHaveLength(2);
    expect(keyboardIcon(document, true).querySelectorAll("path")).toHaveLength(3);
  });
});
