// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_FONT_FAMILY, DEFAULT_SETTINGS, FONT_SIZE_MAX, FONT_SIZE_MIN, SettingsStore, STORAGE_KEY } from "./settings";
import { FONT_CHOICES, PASTE_UNAVAILABLE_TEXT, SettingsPanel } from "./settings-panel";
import type { KeyValueStore } from "./token";

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: (key) => data.get(key) ?? null,
    set: (key, value) => {
      data.set(key, value);
    },
    remove: (key) => {
      data.delete(key);
    },
  };
}

function required<T>(found: T | null): T {
  if (found === null) {
    throw new Error("not in the panel");
  }
  return found;
}

describe("SettingsPanel", () => {
  let store: ReturnType<typeof memoryStore>;
  let settings: SettingsStore;
  let panel: SettingsPanel;
  let closed: ReturnType<typeof vi.fn<() => void>>;

  function build(hash = "", clipboardReadable = true): void {
    document.body.replaceChildren();
    store = memoryStore();
    settings = new SettingsStore(store, hash);
    closed = vi.fn<() => void>();
    panel = new SettingsPanel(document, { settings, clipboardReadable, closed });
    document.body.append(panel.button, panel.element);
  }

  beforeEach(() => {
    build();
  });

  const radio = (name: string, value: string) => required(panel.element.querySelector<HTMLInputElement>(`input[name="settings-${name}"][value="${value}"]`));
  const toggle = (name: string) => required(panel.element.querySelector<HTMLInputElement>(`input[name="${name}"]`));
  const button = (label: string) => required(panel.element.querySelector<HTMLButtonElement>(`button[aria-label^="${label}"]`));
  const select = () => required(panel.element.querySelector("select"));
  const fontSize = () => panel.element.querySelector(".font-size")?.textContent;
  function choose(input: HTMLInputElement, checked = true): void {
    input.checked = checked;
    input.dispatchEvent(new Event("change"));
  }
  function key(init: KeyboardEventInit, target: Element = document.activeElement ?? panel.element): KeyboardEvent {
    const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(event);
    return event;
  }

  it("is a labelled dialog that the gear opens and closes", () => {
    expect(panel.element.getAttribute("role")).toBe("dialog");
    expect(panel.element.getAttribute("aria-labelledby")).toBe("settings-title");
    expect(panel.button.getAttribute("aria-label")).toBe("Settings (Ctrl+,)");
    expect(panel.isOpen).toBe(false);

    panel.button.click();
    expect(panel.isOpen).toBe(true);
    expect(panel.button.getAttribute("aria-expanded")).toBe("true");
    // The focus lands on the chosen theme.
    expect(document.activeElement).toBe(radio("theme", "system"));

    panel.button.click();
    expect(panel.isOpen).toBe(false);
    expect(panel.button.getAttribute("aria-expanded")).toBe("false");
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it("shows the current settings", () => {
    build("#theme=dark&fontSize=18&cursorStyle=underline&visualBell=true");
    expect(radio("theme", "dark").checked).toBe(true);
    expect(radio("theme", "system").checked).toBe(false);
    expect(radio("cursorStyle", "underline").checked).toBe(true);
    expect(fontSize()).toBe("18 px");
    expect(toggle("visualBell").checked).toBe(true);
    expect(toggle("cursorBlink").checked).toBe(true);
    expect(toggle("copyOnSelect").checked).toBe(false);
    expect(select().value).toBe(DEFAULT_FONT_FAMILY);
  });

  it("changes each setting from its control, and stores it", () => {
    choose(radio("theme", "high-contrast"));
    choose(radio("cursorStyle", "bar"));
    choose(toggle("copyOnSelect"));
    choose(toggle("cursorBlink"), false);
    choose(toggle("screenReaderMode"));
    select().value = "'Fira Code'";
    select().dispatchEvent(new Event("change"));
    expect(settings.settings).toEqual({
      ...DEFAULT_SETTINGS,
      theme: "high-contrast",
      cursorStyle: "bar",
      copyOnSelect: true,
      cursorBlink: false,
      screenReaderMode: true,
      fontFamily: "'Fira Code'",
    });
    expect(JSON.parse(store.data.get(STORAGE_KEY) ?? "")).toMatchObject({ theme: "high-contrast", fontFamily: "'Fira Code'" });
  });

  it("steps the font size, and stops at the ends of its range", () => {
    button("Bigger").click();
    expect(settings.settings.fontSize).toBe(DEFAULT_SETTINGS.fontSize + 1);
    expect(fontSize()).toBe(`${DEFAULT_SETTINGS.fontSize + 1} px`);
    button("Smaller").click();
    button("Smaller").click();
    expect(settings.settings.fontSize).toBe(DEFAULT_SETTINGS.fontSize - 1);

    settings.set("fontSize", FONT_SIZE_MAX);
    expect(button("Bigger").disabled).toBe(true);
    settings.set("fontSize", FONT_SIZE_MIN);
    expect(button("Smaller").disabled).toBe(true);
    expect(button("Bigger").disabled).toBe(false);
  });

  it("follows changes made elsewhere (a shortcut, the embedding page)", () => {
    settings.set("theme", "light");
    expect(radio("theme", "light").checked).toBe(true);
    settings.applyFragment("#visualBell=true");
    expect(toggle("visualBell").checked).toBe(true);
  });

  it("offers the fonts it knows, plus one set some other way", () => {
    expect(Array.from(select().options, (option) => option.value)).toEqual(FONT_CHOICES.map((choice) => choice.value));
    settings.set("fontFamily", "Iosevka Term");
    expect(select().value).toBe("Iosevka Term");
    expect(select().options).toHaveLength(FONT_CHOICES.length + 1);
  });

  it("names the settings that this page's address sets, until the user changes them", () => {
    build("#theme=light&fontSize=16");
    const note = required(panel.element.querySelector<HTMLElement>(".from-address"));
    expect(note.hidden).toBe(false);
    expect(note.textContent).toContain("Set by this page's address: font size, theme.");
    choose(radio("theme", "dark"));
    button("Smaller").click();
    expect(note.hidden).toBe(true);
  });

  it("turns right-click paste off, and says why, where the page cannot read the clipboard", () => {
    expect(toggle("rightClickPaste").disabled).toBe(false);
    build("", false);
    expect(toggle("rightClickPaste").disabled).toBe(true);
    expect(toggle("rightClickPaste").closest("label")?.textContent).toContain(PASTE_UNAVAILABLE_TEXT);
  });

  it("restores every default", () => {
    build("#theme=light");
    settings.set("fontSize", 20);
    panel.element.querySelector<HTMLButtonElement>(".text-button")?.click();
    expect(settings.settings).toEqual(DEFAULT_SETTINGS);
    expect(store.data.has(STORAGE_KEY)).toBe(false);
  });

  it("closes on Escape and on its close button, handing the focus back", () => {
    panel.open();
    const escape = key({ key: "Escape" });
    expect(escape.defaultPrevented).toBe(true);
    expect(panel.isOpen).toBe(false);
    expect(closed).toHaveBeenCalledTimes(1);

    panel.open();
    button("Close").click();
    expect(panel.isOpen).toBe(false);
    expect(closed).toHaveBeenCalledTimes(2);
    panel.close();
    expect(closed).toHaveBeenCalledTimes(2);
  });

  it("closes on a press elsewhere, without taking the focus from there", () => {
    const outside = document.createElement("div");
    document.body.append(outside);
    panel.open();
    panel.element.querySelector("h2")?.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    expect(panel.isOpen).toBe(true);
    outside.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    expect(panel.isOpen).toBe(false);
    expect(closed).not.toHaveBeenCalled();
  });

  it("keeps Tab inside while open", () => {
    panel.open();
    const controls = Array.from(panel.element.querySelectorAll<HTMLElement>("button, select, input")).filter(
      (element) => !(element instanceof HTMLInputElement && element.type === "radio" && !element.checked),
    );
    const first = controls[0];
    const last = controls.at(-1);
    last?.focus();
    expect(key({ key: "Tab" }).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(first);
    expect(key({ key: "Tab", shiftKey: true }).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(last);
    // In between, Tab is the browser's.
    controls[1]?.focus();
    expect(key({ key: "Tab" }).defaultPrevented).toBe(false);
  });
});
