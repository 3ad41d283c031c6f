// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { LONG_PRESS_MS } from "./touch-gestures";
import {
  COPIED_NOTICE_MS,
  COPY_REFUSED_TEXT,
  copiedText,
  installTouchUi,
  KEYBAR_STORAGE_KEY,
  keyBarWanted,
  type TouchUi,
  type TouchUiTerminal,
} from "./touch-ui";

describe("keyBarWanted", () => {
  it("takes the address first, then the user's choice, then the pointer", () => {
    expect(keyBarWanted("", null, false)).toBe(false);
    expect(keyBarWanted("", null, true)).toBe(true);
    expect(keyBarWanted("?keybar=1", "hidden", false)).toBe(true);
    expect(keyBarWanted("?renderer=dom&keybar=on", null, false)).toBe(true);
    expect(keyBarWanted("?keybar=0", "shown", true)).toBe(false);
    expect(keyBarWanted("?keybar=off", null, true)).toBe(false);
    expect(keyBarWanted("?keybar=maybe", "shown", false)).toBe(true);
    expect(keyBarWanted("", "hidden", true)).toBe(false);
    expect(keyBarWanted("", "garbage", true)).toBe(true);
  });
});

describe("copiedText", () => {
  it("quotes a short copy and counts a long one", () => {
    expect(copiedText("hello")).toBe("Copied “hello”.");
    expect(copiedText("x".repeat(32))).toBe(`Copied “${"x".repeat(32)}”.`);
    expect(copiedText("x".repeat(33))).toBe("Copied 33 characters.");
    expect(copiedText("one\ntwo\nthree")).toBe("Copied 3 lines.");
  });
});

/** A terminal of one 10-column, 2-row screen at (0, 0), 8 × 20 px cells, showing "echo hello". */
class FakeTerminal implements TouchUiTerminal {
  readonly typed: string[] = [];
  readonly modes = { applicationCursorKeysMode: false, mouseTrackingMode: "none" };
  readonly cols = 10;
  readonly rows = 2;
  readonly options = {};
  readonly element = document.createElement("div");
  readonly screen = document.createElement("div");
  selected = "";
  constructor() {
    this.screen.className = "xterm-screen";
    this.screen.getBoundingClientRect = () => DOMRect.fromRect({ x: 0, y: 0, width: 80, height: 40 });
    this.element.append(this.screen);
  }
  readonly buffer = {
    active: {
      type: "normal",
      viewportY: 0,
      getLine: (y: number) =>
        y === 0 ? { getCell: (x: number) => ({ getChars: () => "echo hello".charAt(x).trim(), getWidth: () => 1 }) } : undefined,
    },
  };
  input(data: string): void {
    this.typed.push(data);
  }
  scrollLines(): void {
    // No scrollback here.
  }
  select(column: number, _row: number, length: number): void {
    this.selected = "echo hello".slice(column, column + length);
  }
  getSelection(): string {
    return this.selected;
  }
}

class FakeMediaQuery extends EventTarget {
  constructor(public matches: boolean) {
    super();
  }
  change(matches: boolean): void {
    this.matches = matches;
    this.dispatchEvent(new Event("change"));
  }
}

describe("installTouchUi", () => {
  let terminal: FakeTerminal;
  let container: HTMLElement;
  let notices: { text: string; ms: number }[];
  let pointer: FakeMediaQuery;
  /** The bar's height, as the browser would lay it out. */
  let offsetHeight: MockInstance<() => number>;

  beforeEach(() => {
    vi.useFakeTimers();
    document.body.replaceChildren();
    document.body.removeAttribute("style");
    delete document.body.dataset.keybar;
    localStorage.clear();
    window.history.replaceState(null, "", "/");
    terminal = new FakeTerminal();
    container = document.createElement("main");
    container.id = "terminal";
    container.append(terminal.element);
    document.body.append(container);
    notices = [];
    pointer = new FakeMediaQuery(false);
    vi.spyOn(window, "matchMedia").mockImplementation((query) => {
      expect(query).toBe("(pointer: coarse)");
      return pointer as unknown as MediaQueryList;
    });
    offsetHeight = vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockReturnValue(99);
  });

  afterEach(() => {
    vi.useRealTimers();
    Reflect.deleteProperty(window, "visualViewport");
    Reflect.deleteProperty(window.navigator, "clipboard");
  });

  const install = (): TouchUi =>
    installTouchUi(terminal, container, {
      notice: (text, ms) => notices.push({ text, ms }),
    });
  const barHeight = () => document.body.style.getPropertyValue("--keybar-height");
  const key = (ui: TouchUi, name: string) => {
    const found = ui.keyBar.element.querySelector<HTMLElement>(`[data-key="${name}"]`);
    if (found === null) {
      throw new Error(`no key ${name}`);
    }
    return found;
  };
  const tap = (ui: TouchUi, name: string) => {
    key(ui, name).dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, cancelable: true, button: 0 }));
    key(ui, name).dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 1 }));
  };

  it("keeps the bar and its show button hidden where the pointer is a mouse", () => {
    const ui = install();
    expect(document.getElementById("keybar")).toBe(ui.keyBar.element);
    expect(document.getElementById("keybar-show")).toBe(ui.showButton);
    expect(ui.shown).toBe(false);
    expect(ui.showButton.hidden).toBe(true);
    expect(document.body.dataset.keybar).toBe("hidden");
    expect(barHeight()).toBe("0px");
  });

  it("shows the bar on a touch screen, and gives it the terminal's bottom", () => {
    pointer.matches = true;
    const ui = install();
    expect(ui.shown).toBe(true);
    expect(ui.showButton.hidden).toBe(true);
    expect(document.body.dataset.keybar).toBe("shown");
    expect(barHeight()).toBe("99px");
  });

  it("does as ?keybar= says", () => {
    window.history.replaceState(null, "", "/?keybar=1");
    expect(install().shown).toBe(true);
    document.body.replaceChildren(container);
    window.history.replaceState(null, "", "/?keybar=0");
    pointer.matches = true;
    const ui = install();
    expect(ui.shown).toBe(false);
    expect(ui.showButton.hidden).toBe(false); // a finger can bring it back
  });

  it("hides and shows on the user's taps, and remembers the choice", () => {
    pointer.matches = true;
    const ui = install();
    tap(ui, "hide");
    expect(ui.shown).toBe(false);
    expect(ui.showButton.hidden).toBe(false);
    expect(barHeight()).toBe("0px");
    expect(localStorage.getItem(KEYBAR_STORAGE_KEY)).toBe("hidden");

    const pointerdown = new PointerEvent("pointerdown", { cancelable: true });
    ui.showButton.dispatchEvent(pointerdown);
    expect(pointerdown.defaultPrevented).toBe(true); // the terminal keeps the focus
    const mousedown = new MouseEvent("mousedown", { cancelable: true });
    ui.showButton.dispatchEvent(mousedown);
    expect(mousedown.defaultPrevented).toBe(true);
    ui.showButton.click();
    expect(ui.shown).toBe(true);
    expect(ui.showButton.hidden).toBe(true);
    expect(localStorage.getItem(KEYBAR_STORAGE_KEY)).toBe("shown");

    // Next time, even with a mouse.
    document.body.replaceChildren(container);
    pointer.matches = false;
    const again = install();
    expect(again.shown).toBe(true);
    tap(again, "hide");
    expect(again.showButton.hidden).toBe(false); // it was shown in this page: it can come back
  });

  it("follows the pointer when nobody decided", () => {
    const ui = install();
    pointer.change(true);
    expect(ui.shown).toBe(true);
    pointer.change(false);
    expect(ui.shown).toBe(false);

    ui.setShown(true, true);
    pointer.change(true);
    pointer.change(false);
    expect(ui.shown).toBe(true);
  });

  it("keeps to the address over a change of pointer", () => {
    window.history.replaceState(null, "", "/?keybar=0");
    const ui = install();
    pointer.change(true);
    expect(ui.shown).toBe(false);
  });

  it("works where storage is denied", () => {
    vi.spyOn(window, "localStorage", "get").mockImplementation(() => {
      throw new DOMException("denied", "SecurityError");
    });
    pointer.matches = true;
    const ui = install();
    expect(ui.shown).toBe(true);
    tap(ui, "hide");
    expect(ui.shown).toBe(false);
  });

  it("works where storage refuses to read or write", () => {
    vi.spyOn(Storage.prototype, "getItem").mockImplementation(() => {
      throw new DOMException("denied", "SecurityError");
    });
    vi.spyOn(Storage.prototype, "setItem").mockImplementation(() => {
      throw new DOMException("full", "QuotaExceededError");
    });
    pointer.matches = true;
    const ui = install();
    tap(ui, "hide");
    expect(ui.shown).toBe(false);
  });

  it("sends the phone keyboard's next key with the armed modifier, before xterm.js sees it", () => {
    pointer.matches = true;
    const ui = install();
    const textarea = document.createElement("textarea");
    terminal.element.append(textarea);
    const xtermSaw = vi.fn();
    textarea.addEventListener("keydown", xtermSaw);
    textarea.addEventListener("beforeinput", xtermSaw);

    const plain = new KeyboardEvent("keydown", { key: "c", bubbles: true, cancelable: true });
    textarea.dispatchEvent(plain);
    expect(plain.defaultPrevented).toBe(false);
    expect(xtermSaw).toHaveBeenCalledTimes(1);

    tap(ui, "ctrl");
    const typed = new KeyboardEvent("keydown", { key: "c", bubbles: true, cancelable: true });
    textarea.dispatchEvent(typed);
    expect(typed.defaultPrevented).toBe(true);

    tap(ui, "alt");
    const inserted = new InputEvent("beforeinput", { data: "f", inputType: "insertText", bubbles: true, cancelable: true });
    textarea.dispatchEvent(inserted);
    expect(inserted.defaultPrevented).toBe(true);
    const later = new InputEvent("beforeinput", { data: "f", inputType: "insertText", bubbles: true, cancelable: true });
    textarea.dispatchEvent(later);
    expect(later.defaultPrevented).toBe(false);

    expect(xtermSaw).toHaveBeenCalledTimes(2);
    expect(terminal.typed).toEqual(["\x03", "\x1bf"]);
  });

  it("follows the visual viewport, and measures the bar again when it changes", () => {
    const viewport = Object.assign(new EventTarget(), { height: window.innerHeight - 300, offsetTop: 0, scale: 1 });
    Object.defineProperty(window, "visualViewport", { value: viewport, configurable: true });
    pointer.matches = true;
    install();
    expect(document.body.style.getPropertyValue("--keyboard-inset")).toBe("300px");
    expect(document.body.dataset.keyboard).toBe("open");
    offsetHeight.mockReturnValue(90);
    viewport.dispatchEvent(new Event("resize"));
    expect(barHeight()).toBe("90px");
    offsetHeight.mockReturnValue(120);
    window.dispatchEvent(new Event("resize"));
    expect(barHeight()).toBe("120px");
  });

  const longPress = async () => {
    terminal.screen.dispatchEvent(
      new TouchEvent("touchstart", { bubbles: true, touches: [{ clientX: 45, clientY: 10, identifier: 0 } as unknown as Touch] }),
    );
    vi.advanceTimersByTime(LONG_PRESS_MS);
    terminal.screen.dispatchEvent(new TouchEvent("touchend", { bubbles: true, cancelable: true, touches: [] }));
    await vi.advanceTimersByTimeAsync(0);
  };

  it("copies a long-pressed word and says so", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(window.navigator, "clipboard", { value: { writeText }, configurable: true });
    install();
    await longPress();
    expect(writeText).toHaveBeenCalledWith("hello");
    expect(notices).toEqual([{ text: "Copied “hello”.", ms: COPIED_NOTICE_MS }]);
  });

  it("says so when the clipboard refuses, or is missing (no secure context)", async () => {
    const writeText = vi.fn(() => Promise.reject(new Error("denied")));
    Object.defineProperty(window.navigator, "clipboard", { value: { writeText }, configurable: true });
    install();
    await longPress();
    Object.defineProperty(window.navigator, "clipboard", { value: undefined, configurable: true });
    await longPress();
    expect(notices.map((notice) => notice.text)).toEqual([COPY_REFUSED_TEXT, COPY_REFUSED_TEXT]);
  });
});
