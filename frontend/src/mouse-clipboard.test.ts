// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clipboardReadable, installMouseClipboard, PASTE_REFUSED_TEXT } from "./mouse-clipboard";

describe("clipboardReadable", () => {
  it("needs a secure context and the async readText", () => {
    const clipboard = { readText: () => Promise.resolve("") };
    expect(clipboardReadable(clipboard, true)).toBe(true);
    expect(clipboardReadable(clipboard, false)).toBe(false);
    expect(clipboardReadable(undefined, true)).toBe(false);
    expect(clipboardReadable({}, true)).toBe(false);
  });
});

describe("installMouseClipboard", () => {
  let element: HTMLElement;
  let terminal: { selection: string; pasted: string[]; hasSelection(): boolean; getSelection(): string; paste(text: string): void };
  let copied: string[];
  let notices: string[];
  let readText: ReturnType<typeof vi.fn<() => Promise<string>>>;
  let copyOnSelect: boolean;
  let rightClickPaste: boolean;

  function install(readable = true): void {
    const clipboard = readable ? { readText } : undefined;
    element = document.createElement("main");
    document.body.replaceChildren(element);
    installMouseClipboard({
      element,
      window,
      terminal,
      clipboard,
      copyOnSelect: () => copyOnSelect,
      rightClickPaste: () => rightClickPaste,
      copy: (text) => copied.push(text),
      notice: (text) => notices.push(text),
    });
  }

  beforeEach(() => {
    vi.useFakeTimers();
    terminal = {
      selection: "",
      pasted: [],
      hasSelection() {
        return this.selection !== "";
      },
      getSelection() {
        return this.selection;
      },
      paste(text) {
        this.pasted.push(text);
      },
    };
    copied = [];
    notices = [];
    readText = vi.fn(() => Promise.resolve("pasted text"));
    copyOnSelect = true;
    rightClickPaste = true;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function select(text: string, releaseOn: EventTarget = window): void {
    element.dispatchEvent(new MouseEvent("mousedown", { button: 0, bubbles: true }));
    terminal.selection = text;
    releaseOn.dispatchEvent(new MouseEvent("mouseup", { button: 0, bubbles: true }));
    vi.advanceTimersByTime(0);
  }

  function rightClick(): MouseEvent {
    const event = new MouseEvent("contextmenu", { button: 2, bubbles: true, cancelable: true });
    element.dispatchEvent(event);
    return event;
  }

  it("copies a mouse selection once the button is released, even outside the terminal", () => {
    install();
    select("chosen words");
    expect(copied).toEqual(["chosen words"]);
    select("more", document.body);
    expect(copied).toEqual(["chosen words", "more"]);
  });

  it("copies nothing when off, for a click without a selection, or for a selection made otherwise (the find bar)", () => {
    install();
    copyOnSelect = false;
    select("chosen words");
    copyOnSelect = true;
    select("");
    // A mouseup whose press began elsewhere (the find bar's buttons).
    terminal.selection = "found";
    window.dispatchEvent(new MouseEvent("mouseup"));
    vi.advanceTimersByTime(0);
    // A right button press does not select.
    element.dispatchEvent(new MouseEvent("mousedown", { button: 2, bubbles: true }));
    window.dispatchEvent(new MouseEvent("mouseup"));
    vi.advanceTimersByTime(0);
    expect(copied).toEqual([]);
  });

  it("pastes the clipboard on a right click instead of the browser's menu", async () => {
    install();
    const event = rightClick();
    expect(event.defaultPrevented).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(terminal.pasted).toEqual(["pasted text"]);

    readText.mockResolvedValueOnce("");
    rightClick();
    await vi.advanceTimersByTimeAsync(0);
    expect(terminal.pasted).toEqual(["pasted text"]);
  });

  it("leaves the browser's menu alone when off", () => {
    install();
    rightClickPaste = false;
    expect(rightClick().defaultPrevented).toBe(false);
    expect(readText).not.toHaveBeenCalled();
  });

  it("says so when the browser refuses to read the clipboard", async () => {
    install();
    readText.mockRejectedValueOnce(new Error("denied"));
    rightClick();
    await vi.advanceTimersByTimeAsync(0);
    expect(terminal.pasted).toEqual([]);
    expect(notices).toEqual([PASTE_REFUSED_TEXT]);
  });

  it("keeps the browser's menu, whose Paste works, where the page cannot read, and says so", () => {
    install(false);
    expect(rightClick().defaultPrevented).toBe(false);
    expect(notices).toEqual([PASTE_REFUSED_TEXT]);
  });
});
