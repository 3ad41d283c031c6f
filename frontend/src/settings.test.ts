import { describe, expect, it } from "vitest";
import {
  DEFAULT_FONT_FAMILY,
  DEFAULT_SETTINGS,
  FONT_SIZE_MAX,
  FONT_SIZE_MIN,
  resolveSettings,
  SETTING_NAMES,
  settingsFromFragment,
  settingsFromJson,
  SettingsStore,
  STORAGE_KEY,
  stepFontSize,
  terminalFontFamily,
  validSetting,
  type SettingName,
  type Settings,
} from "./settings";
import type { KeyValueStore } from "./token";

function memoryStore(initial: Record<string, string> = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
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

describe("validSetting", () => {
  it("takes font sizes that are whole numbers in range", () => {
    expect(validSetting("fontSize", 14)).toBe(14);
    expect(validSetting("fontSize", FONT_SIZE_MIN)).toBe(FONT_SIZE_MIN);
    expect(validSetting("fontSize", FONT_SIZE_MAX)).toBe(FONT_SIZE_MAX);
    for (const bad of [FONT_SIZE_MIN - 1, FONT_SIZE_MAX + 1, 14.5, Number.NaN, "14", null]) {
      expect(validSetting("fontSize", bad)).toBeUndefined();
    }
  });

  it("takes font lists of names, quotes and commas, and nothing CSS would read as more", () => {
    expect(validSetting("fontFamily", "'Fira Code', monospace")).toBe("'Fira Code', monospace");
    expect(validSetting("fontFamily", "  Menlo ")).toBe("Menlo");
    expect(validSetting("fontFamily", "Noto Sans Mono CJK JP")).toBe("Noto Sans Mono CJK JP");
    expect(validSetting("fontFamily", "ＭＳ ゴシック")).toBe("ＭＳ ゴシック");
    for (const bad of ["", "   ", "a; color: red", "x}body{", "url(http://evil)", "a".repeat(201), 12]) {
      expect(validSetting("fontFamily", bad)).toBeUndefined();
    }
  });

  it("takes only the listed themes and cursor styles", () => {
    for (const theme of ["system", "light", "dark", "high-contrast"]) {
      expect(validSetting("theme", theme)).toBe(theme);
    }
    expect(validSetting("theme", "solarized")).toBeUndefined();
    expect(validSetting("theme", "Light")).toBeUndefined();
    for (const style of ["block", "bar", "underline"]) {
      expect(validSetting("cursorStyle", style)).toBe(style);
    }
    expect(validSetting("cursorStyle", "beam")).toBeUndefined();
  });

  it("takes booleans for the switches", () => {
    for (const name of ["cursorBlink", "copyOnSelect", "rightClickPaste", "screenReaderMode", "visualBell"] as const) {
      expect(validSetting(name, true)).toBe(true);
      expect(validSetting(name, false)).toBe(false);
      expect(validSetting(name, "true")).toBeUndefined();
      expect(validSetting(name, 1)).toBeUndefined();
    }
  });

  it("accepts every default", () => {
    for (const name of SETTING_NAMES) {
      expect(validSetting(name, DEFAULT_SETTINGS[name])).toBe(DEFAULT_SETTINGS[name]);
    }
  });
});

describe("settingsFromFragment", () => {
  it("reads known settings with valid values, typed", () => {
    expect(settingsFromFragment("#theme=light&fontSize=16&cursorBlink=false&visualBell=true&cursorStyle=bar")).toEqual({
      theme: "light",
      fontSize: 16,
      cursorBlink: false,
      visualBell: true,
      cursorStyle: "bar",
    });
    expect(settingsFromFragment("theme=dark")).toEqual({ theme: "dark" });
  });

  it("never takes the token, unknown names or invalid values", () => {
    expect(settingsFromFragment("#token=secret&theme=light")).toEqual({ theme: "light" });
    expect(settingsFromFragment("#token=x")).toEqual({});
    expect(settingsFromFragment("#renderer=dom&__proto__=x&constructor=y&toString=z")).toEqual({});
    expect(settingsFromFragment("#fontSize=huge&fontSize=1e3&fontSize=99&theme=pink&cursorBlink=yes&copyOnSelect=1")).toEqual({});
    expect(settingsFromFragment("#fontSize=-3&fontSize=16.5&fontSize=")).toEqual({});
    expect(settingsFromFragment("")).toEqual({});
    expect(settingsFromFragment("#")).toEqual({});
  });

  it("decodes as a form: %20 and + are spaces; a later valid value wins, an invalid one does not count", () => {
    expect(settingsFromFragment("#fontFamily=Fira%20Code")).toEqual({ fontFamily: "Fira Code" });
    expect(settingsFromFragment("#fontFamily='JetBrains+Mono'")).toEqual({ fontFamily: "'JetBrains Mono'" });
    expect(settingsFromFragment("#fontFamily=a%3Bb")).toEqual({});
    expect(settingsFromFragment("#theme=%E0%A4%A&fontSize=%")).toEqual({});
    expect(settingsFromFragment("#fontSize=12&fontSize=18&fontSize=999")).toEqual({ fontSize: 18 });
  });
});

describe("settingsFromJson", () => {
  it("keeps the valid settings of what was stored", () => {
    expect(settingsFromJson(JSON.stringify({ fontSize: 18, theme: "high-contrast", copyOnSelect: true }))).toEqual({
      fontSize: 18,
      theme: "high-contrast",
      copyOnSelect: true,
    });
  });

  it("drops invalid values and unknown names, and reads nothing from anything unreadable", () => {
    expect(settingsFromJson(JSON.stringify({ fontSize: "18", theme: "neon", token: "secret", visualBell: true }))).toEqual({ visualBell: true });
    for (const unreadable of [null, "", "{", "[1,2]", "null", "42", '"dark"']) {
      expect(settingsFromJson(unreadable)).toEqual({});
    }
  });
});

describe("precedence and helpers", () => {
  it("puts the fragment over the stored settings over the defaults", () => {
    const settings = resolveSettings({ fontSize: 18, theme: "dark" }, { theme: "light" });
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, fontSize: 18, theme: "light" });
    expect(resolveSettings({}, {})).toEqual(DEFAULT_SETTINGS);
  });

  it("steps the font size by whole pixels within its range", () => {
    expect(stepFontSize(14, 1)).toBe(15);
    expect(stepFontSize(14, -1)).toBe(13);
    expect(stepFontSize(FONT_SIZE_MAX, 1)).toBe(FONT_SIZE_MAX);
    expect(stepFontSize(FONT_SIZE_MIN, -1)).toBe(FONT_SIZE_MIN);
  });

  it("gives the terminal the default stack as the fallback of any other font", () => {
    expect(terminalFontFamily(DEFAULT_FONT_FAMILY)).toBe(DEFAULT_FONT_FAMILY);
    expect(terminalFontFamily("'Fira Code'")).toBe(`'Fira Code', ${DEFAULT_FONT_FAMILY}`);
  });
});

describe("SettingsStore", () => {
  it("starts from the fragment, then what was stored, then the defaults", () => {
    const store = memoryStore({ [STORAGE_KEY]: JSON.stringify({ fontSize: 18, theme: "dark" }) });
    const settings = new SettingsStore(store, "#theme=light");
    expect(settings.settings).toEqual({ ...DEFAULT_SETTINGS, fontSize: 18, theme: "light" });
    expect(settings.fromFragment).toEqual(["theme"]);
  });

  it("stores what the user chooses, which beats the fragment's value for this page", () => {
    const store = memoryStore();
    const settings = new SettingsStore(store, "#theme=light&fontSize=20");
    const changes: SettingName[][] = [];
    settings.onChange((_settings, changed) => changes.push([...changed]));

    settings.set("theme", "high-contrast");
    expect(settings.settings.theme).toBe("high-contrast");
    expect(settings.fromFragment).toEqual(["fontSize"]);
    expect(JSON.parse(store.data.get(STORAGE_KEY) ?? "")).toEqual({ theme: "high-contrast" });
    expect(changes).toEqual([["theme"]]);

    // The same value again changes nothing and tells no one.
    settings.set("theme", "high-contrast");
    expect(changes).toHaveLength(1);
  });

  it("ignores an invalid value", () => {
    const store = memoryStore();
    const settings = new SettingsStore(store, "");
    settings.set("fontSize", 500);
    settings.set("theme", "neon" as Settings["theme"]);
    expect(settings.settings).toEqual(DEFAULT_SETTINGS);
    expect(store.data.size).toBe(0);
  });

  it("resets one setting, or all of them and the fragment's, and forgets the storage key when nothing is left", () => {
    const store = memoryStore();
    const settings = new SettingsStore(store, "#cursorStyle=bar");
    settings.set("fontSize", 20);
    settings.set("visualBell", true);
    settings.reset("fontSize");
    expect(settings.settings.fontSize).toBe(DEFAULT_SETTINGS.fontSize);
    expect(JSON.parse(store.data.get(STORAGE_KEY) ?? "")).toEqual({ visualBell: true });

    settings.reset("cursorStyle");
    expect(settings.settings.cursorStyle).toBe("block");

    settings.set("fontSize", 20);
    settings.applyFragment("#theme=light");
    settings.reset();
    expect(settings.settings).toEqual(DEFAULT_SETTINGS);
    expect(store.data.has(STORAGE_KEY)).toBe(false);
  });

  it("applies a changed fragment on top, and a fragment without settings changes nothing", () => {
    const settings = new SettingsStore(memoryStore(), "#theme=light&fontSize=16");
    const changes: SettingName[][] = [];
    settings.onChange((_settings, changed) => changes.push([...changed]));

    settings.applyFragment("#theme=dark");
    expect(settings.settings).toMatchObject({ theme: "dark", fontSize: 16 });
    settings.applyFragment("");
    settings.applyFragment("#token=fresh");
    expect(settings.settings).toMatchObject({ theme: "dark", fontSize: 16 });
    expect(changes).toEqual([["theme"]]);
  });
});
