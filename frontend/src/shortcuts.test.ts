// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { installShortcuts, shortcutFor, type Shortcut } from "./shortcuts";

type Init = Partial<Pick<KeyboardEvent, "type" | "key" | "code" | "ctrlKey" | "shiftKey" | "altKey" | "metaKey" | "isComposing">>;

function press(init: Init) {
  return { type: "keydown", key: "", code: "", ctrlKey: true, shiftKey: false, altKey: false, metaKey: false, isComposing: false, ...init };
}

describe("shortcutFor", () => {
  it.each<[string, Init, Shortcut]>([
    ["Ctrl+Shift+F", { key: "F", code: "KeyF", shiftKey: true }, "find"],
    ["Ctrl+=", { key: "=", code: "Equal" }, "font-bigger"],
    ["Ctrl++ (a keyboard with its own +)", { key: "+", code: "BracketRight" }, "font-bigger"],
    ["Ctrl+Shift+= (which types +)", { key: "+", code: "Equal", shiftKey: true }, "font-bigger"],
    ["Ctrl+- ", { key: "-", code: "Minus" }, "font-smaller"],
    ["Ctrl+0", { key: "0", code: "Digit0" }, "font-reset"],
    ["Ctrl+,", { key: ",", code: "Comma" }, "settings"],
  ])("%s", (_name, init, shortcut) => {
    expect(shortcutFor(press(init))).toBe(shortcut);
  });

  it.each<[string, Init]>([
    ["Ctrl+F (the shell's forward-char)", { key: "f", code: "KeyF" }],
    ["Ctrl+Shift+- (Ctrl+_: undo in readline)", { key: "_", code: "Minus", shiftKey: true }],
    ["Ctrl+C", { key: "c", code: "KeyC" }],
    ["= without Ctrl", { key: "=", code: "Equal", ctrlKey: false }],
    ["Ctrl+Alt+=", { key: "=", code: "Equal", altKey: true }],
    ["Cmd+Ctrl+=", { key: "=", code: "Equal", metaKey: true }],
    ["a key-up", { key: "=", code: "Equal", type: "keyup" }],
    ["a key of an IME composition", { key: "=", code: "Equal", isComposing: true }],
  ])("leaves %s to the terminal", (_name, init) => {
    expect(shortcutFor(press(init))).toBeNull();
  });
});

describe("installShortcuts", () => {
  it("takes a shortcut before anything else sees it, and lets other keys through", () => {
    const run = vi.fn<(shortcut: Shortcut) => void>();
    installShortcuts(window, run);
    const input = document.createElement("textarea");
    document.body.append(input);
    const reached = vi.fn();
    input.addEventListener("keydown", reached);

    const zoom = new KeyboardEvent("keydown", { key: "=", code: "Equal", ctrlKey: true, bubbles: true, cancelable: true });
    input.dispatchEvent(zoom);
    expect(run).toHaveBeenCalledWith("font-bigger");
    expect(zoom.defaultPrevented).toBe(true);
    expect(reached).not.toHaveBeenCalled();

    const typed = new KeyboardEvent("keydown", { key: "a", code: "KeyA", bubbles: true, cancelable: true });
    input.dispatchEvent(typed);
    expect(run).toHaveBeenCalledTimes(1);
    expect(typed.defaultPrevented).toBe(false);
    expect(reached).toHaveBeenCalledTimes(1);
  });
});
