// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Appearance, BELL_MS, terminalOptions, VisualBell, type SettingOptions } from "./appearance";
import { DEFAULT_FONT_FAMILY, DEFAULT_SETTINGS, SettingsStore } from "./settings";
import { MORE_CONTRAST_QUERY, THEMES, type MatchMedia, type ThemeName } from "./themes";
import type { KeyValueStore } from "./token";

const noStore: KeyValueStore = { get: () => null, set: () => undefined, remove: () => undefined };

/** `prefers-color-scheme` and `prefers-contrast` as the test sets them. */
class Scheme {
  dark = true;
  moreContrast = false;
  private listeners: (() => void)[] = [];
  readonly matchMedia: MatchMedia = (query) => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the live `matches` of a MediaQueryList
    const scheme = this;
    return {
      get matches() {
        return query === MORE_CONTRAST_QUERY ? scheme.moreContrast : scheme.dark;
      },
      addEventListener: (_type: string, listener: () => void) => {
        scheme.listeners.push(listener);
      },
    };
  };
  change(dark: boolean, moreContrast = false): void {
    this.dark = dark;
    this.moreContrast = moreContrast;
    for (const listener of this.listeners) {
      listener();
    }
  }
}

describe("terminalOptions", () => {
  it("maps the settings and the theme onto xterm.js's options", () => {
    expect(terminalOptions({ ...DEFAULT_SETTINGS, fontSize: 17, cursorStyle: "bar", screenReaderMode: true }, "light")).toEqual({
      fontSize: 17,
      fontFamily: DEFAULT_FONT_FAMILY,
      cursorStyle: "bar",
      cursorBlink: true,
      screenReaderMode: true,
      theme: THEMES.light.terminal,
      minimumContrastRatio: THEMES.light.minimumContrastRatio,
    });
  });
});

describe("Appearance", () => {
  let scheme: Scheme;
  let settings: SettingsStore;
  let terminal: { options: SettingOptions };
  let refit: ReturnType<typeof vi.fn<() => void>>;
  let themes: ThemeName[];
  let appearance: Appearance;

  function build(hash = "", withMatchMedia = true): void {
    const matchMedia = withMatchMedia ? scheme.matchMedia : undefined;
    settings = new SettingsStore(noStore, hash);
    refit = vi.fn<() => void>();
    themes = [];
    appearance = new Appearance({
      settings,
      matchMedia,
      root: document.documentElement,
      terminal: () => terminal,
      refit,
      themeChanged: (theme) => themes.push(theme),
    });
    terminal = { options: { ...appearance.terminalOptions() } };
  }

  beforeEach(() => {
    scheme = new Scheme();
    build();
  });

  it("starts with the system's scheme on the terminal and the page", () => {
    expect(appearance.theme).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(terminal.options.theme).toBe(THEMES.dark.terminal);
    scheme.dark = false;
    build();
    expect(appearance.theme).toBe("light");
    expect(terminal.options.theme).toBe(THEMES.light.terminal);
  });

  it("starts dark where the browser has no matchMedia, and with the fragment's theme over the system's", () => {
    scheme.dark = false;
    build("", false);
    expect(appearance.theme).toBe("dark");
    build("#theme=high-contrast");
    expect(appearance.theme).toBe("high-contrast");
    expect(document.documentElement.dataset.theme).toBe("high-contrast");
  });

  it("follows the system's scheme while it is chosen: new colours, a refit, the search highlights", () => {
    scheme.change(false);
    expect(appearance.theme).toBe("light");
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(terminal.options.theme).toBe(THEMES.light.terminal);
    expect(terminal.options.minimumContrastRatio).toBe(THEMES.light.minimumContrastRatio);
    expect(refit).toHaveBeenCalledTimes(1);
    expect(themes).toEqual(["light"]);

    settings.set("theme", "dark");
    scheme.change(true);
    scheme.change(false);
    expect(appearance.theme).toBe("dark");
    expect(themes).toEqual(["light", "dark"]);
  });

  it("turns high contrast on and off with the browser's prefers-contrast while system is chosen", () => {
    scheme.change(false, true);
    expect(appearance.theme).toBe("high-contrast");
    expect(document.documentElement.dataset.theme).toBe("high-contrast");
    expect(terminal.options.theme).toBe(THEMES["high-contrast"].terminal);
    expect(terminal.options.minimumContrastRatio).toBe(7);
    scheme.change(false, false);
    expect(appearance.theme).toBe("light");
    expect(themes).toEqual(["high-contrast", "light"]);

    settings.set("theme", "dark");
    scheme.change(false, true);
    expect(appearance.theme).toBe("dark");
  });

  it("refits when the font changes, and only assigns the options that changed", () => {
    const assigned: string[] = [];
    terminal = {
      options: new Proxy(terminal.options, {
        set(target, name, value) {
          assigned.push(String(name));
          return Reflect.set(target, name, value);
        },
      }),
    };
    settings.set("fontSize", 20);
    expect(terminal.options.fontSize).toBe(20);
    expect(assigned).toEqual(["fontSize"]);
    expect(refit).toHaveBeenCalledTimes(1);

    settings.set("fontFamily", "'Fira Code'");
    expect(terminal.options.fontFamily).toBe(`'Fira Code', ${DEFAULT_FONT_FAMILY}`);
    expect(refit).toHaveBeenCalledTimes(2);

    // The cursor does not change the cell size.
    settings.set("cursorStyle", "underline");
    settings.set("cursorBlink", false);
    expect(terminal.options).toMatchObject({ cursorStyle: "underline", cursorBlink: false });
    expect(refit).toHaveBeenCalledTimes(2);
    expect(themes).toEqual([]);
  });
});

describe("VisualBell", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("flashes once per bell, and a bell during a flash starts it over", () => {
    const layer = document.createElement("div");
    const bell = new VisualBell(layer, window);
    bell.ring();
    expect(layer.classList.contains("bell-flash")).toBe(true);
    vi.advanceTimersByTime(BELL_MS - 50);
    bell.ring();
    vi.advanceTimersByTime(BELL_MS - 50);
    expect(layer.classList.contains("bell-flash")).toBe(true);
    vi.advanceTimersByTime(50);
    expect(layer.classList.contains("bell-flash")).toBe(false);
  });
});
