// The user's settings (docs/ui.md): what they are, which values are valid, where they come from
// and in which order. Pure rules, plus `SettingsStore`, which keeps them for the page.
//
// Precedence: the URL fragment (`#theme=light&fontSize=16`, set by an embedding page) over what
// the user chose before (localStorage) over the defaults. Only known names with valid values are
// taken, from either source; the rest is ignored. The fragment is read after token.ts has taken
// `token=` out of it, and `token` is not a setting, so a token never reaches these rules.
import type { KeyValueStore } from "./token";

export type ThemeChoice = "system" | "light" | "dark" | "high-contrast";
export type CursorStyle = "block" | "bar" | "underline";

export interface Settings {
  fontSize: number;
  /** A CSS font family list; the default monospace stack is always appended as the fallback. */
  fontFamily: string;
  theme: ThemeChoice;
  cursorStyle: CursorStyle;
  cursorBlink: boolean;
  copyOnSelect: boolean;
  rightClickPaste: boolean;
  screenReaderMode: boolean;
  visualBell: boolean;
  /** Ask before closing (or reloading) the tab while it shows a live session. */
  confirmClose: boolean;
}

export type SettingName = keyof Settings;
export type SettingsPatch = Partial<Settings>;

export const STORAGE_KEY = "web-terminal.settings";
export const FONT_SIZE_MIN = 6;
export const FONT_SIZE_MAX = 48;
export const DEFAULT_FONT_FAMILY = "ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";
/** Longer than any real font list; a bound on what a fragment can make us keep. */
const FONT_FAMILY_MAX_LENGTH = 200;
/** Font names, commas, quotes, spaces, dots, hyphens, underscores: nothing CSS would read as more. */
const FONT_FAMILY = /^[\p{L}\p{N} ,'"._-]+$/u;

export const THEME_CHOICES: readonly ThemeChoice[] = ["system", "light", "dark", "high-contrast"];
export const CURSOR_STYLES: readonly CursorStyle[] = ["block", "bar", "underline"];

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  fontSize: 14,
  fontFamily: DEFAULT_FONT_FAMILY,
  theme: "system",
  cursorStyle: "block",
  cursorBlink: true,
  copyOnSelect: false,
  rightClickPaste: false,
  screenReaderMode: false,
  visualBell: false,
  confirmClose: true,
});

export const SETTING_NAMES = Object.keys(DEFAULT_SETTINGS) as readonly SettingName[];

function isSettingName(name: string): name is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(name);
}

function oneOf<T extends string>(choices: readonly T[], value: unknown): T | undefined {
  return choices.find((choice) => choice === value);
}

/** `value` if it is valid for `name`, else undefined. Values as stored: numbers and booleans. */
export function validSetting<K extends SettingName>(name: K, value: unknown): Settings[K] | undefined;
export function validSetting(name: SettingName, value: unknown): Settings[SettingName] | undefined {
  switch (name) {
    case "fontSize":
      return typeof value === "number" && Number.isInteger(value) && value >= FONT_SIZE_MIN && value <= FONT_SIZE_MAX ? value : undefined;
    case "fontFamily":
      return typeof value === "string" && value.length <= FONT_FAMILY_MAX_LENGTH && value.trim() !== "" && FONT_FAMILY.test(value)
        ? value.trim()
        : undefined;
    case "theme":
      return oneOf(THEME_CHOICES, value);
    case "cursorStyle":
      return oneOf(CURSOR_STYLES, value);
    case "cursorBlink":
    case "copyOnSelect":
    case "rightClickPaste":
    case "screenReaderMode":
    case "visualBell":
    case "confirmClose":
      return typeof value === "boolean" ? value : undefined;
  }
}

/** A fragment parameter's text as the value `validSetting` judges: `16` a number, `true` a boolean. */
function fromText(name: SettingName, text: string): unknown {
  const kind = typeof DEFAULT_SETTINGS[name];
  if (kind === "number") {
    return /^\d{1,3}$/.test(text) ? Number(text) : undefined;
  }
  if (kind === "boolean") {
    return text === "true" ? true : text === "false" ? false : undefined;
  }
  return text;
}

/**
 * The settings in a URL fragment such as `#theme=light&fontSize=16` (form-encoded: `+` is a
 * space). Unknown names, invalid values and `token` are ignored; a later valid value wins.
 */
export function settingsFromFragment(hash: string): SettingsPatch {
  const patch: Record<string, unknown> = {};
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  // URLSearchParams decodes leniently: a stray % stays as it is, nothing throws.
  for (const [name, text] of new URLSearchParams(body)) {
    if (isSettingName(name)) {
      const value = validSetting(name, fromText(name, text));
      if (value !== undefined) {
        patch[name] = value;
      }
    }
  }
  return patch;
}

/** The valid settings in what localStorage kept (JSON); anything unreadable counts as nothing. */
export function settingsFromJson(json: string | null): SettingsPatch {
  if (json === null) {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return {};
  }
  const patch: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed)) {
    if (isSettingName(name)) {
      const value = validSetting(name, raw);
      if (value !== undefined) {
        patch[name] = value;
      }
    }
  }
  return patch;
}

/** Fragment over stored over defaults. */
export function resolveSettings(stored: SettingsPatch, fragment: SettingsPatch): Settings {
  return { ...DEFAULT_SETTINGS, ...stored, ...fragment };
}

/** The font size `steps` steps away from `size` (one pixel each), within the allowed range. */
export function stepFontSize(size: number, steps: number): number {
  return Math.min(FONT_SIZE_MAX, Math.max(FONT_SIZE_MIN, Math.round(size + steps)));
}

/** The font list the terminal gets: the user's, then the default stack for what it lacks. */
export function terminalFontFamily(fontFamily: string): string {
  return fontFamily === DEFAULT_FONT_FAMILY ? fontFamily : `${fontFamily}, ${DEFAULT_FONT_FAMILY}`;
}

/**
 * The settings of this page: what the user chose (kept in `store`), the fragment's, and the
 * defaults. A change made here is the user's: it is stored, and for this page it replaces the
 * fragment's value of that setting (on a reload the fragment wins again, if it is still there).
 */
export class SettingsStore {
  private readonly store: KeyValueStore;
  private stored: SettingsPatch;
  private fragment: SettingsPatch;
  private readonly listeners: ((settings: Readonly<Settings>, changed: readonly SettingName[]) => void)[] = [];
  private current: Settings;

  constructor(store: KeyValueStore, hash: string) {
    this.store = store;
    this.stored = settingsFromJson(store.get(STORAGE_KEY));
    this.fragment = settingsFromFragment(hash);
    this.current = resolveSettings(this.stored, this.fragment);
  }

  get settings(): Readonly<Settings> {
    return this.current;
  }

  /** The names whose value comes from the fragment rather than from the user or the defaults. */
  get fromFragment(): readonly SettingName[] {
    return SETTING_NAMES.filter((name) => name in this.fragment);
  }

  /** Calls `listener` after every change, with the names whose value changed. */
  onChange(listener: (settings: Readonly<Settings>, changed: readonly SettingName[]) => void): void {
    this.listeners.push(listener);
  }

  /** The user chose `value` for `name` (ignored if invalid). */
  set<K extends SettingName>(name: K, value: Settings[K]): void {
    const valid = validSetting(name, value);
    if (valid === undefined) {
      return;
    }
    this.stored = { ...this.stored, [name]: valid };
    this.fragment = withoutKey(this.fragment, name);
    this.save();
  }

  /** Back to the default for `name`, or for every setting without a name. */
  reset(name?: SettingName): void {
    if (name === undefined) {
      this.stored = {};
      this.fragment = {};
    } else {
      this.stored = withoutKey(this.stored, name);
      this.fragment = withoutKey(this.fragment, name);
    }
    this.save();
  }

  /**
   * The fragment changed while the page runs (an embedding page switching its theme): its valid
   * settings apply on top. Names it does not mention keep their value, so a fragment that held
   * only a new token changes nothing.
   */
  applyFragment(hash: string): void {
    const patch = settingsFromFragment(hash);
    if (Object.keys(patch).length > 0) {
      this.fragment = { ...this.fragment, ...patch };
      this.update();
    }
  }

  private save(): void {
    if (Object.keys(this.stored).length === 0) {
      this.store.remove(STORAGE_KEY);
    } else {
      this.store.set(STORAGE_KEY, JSON.stringify(this.stored));
    }
    this.update();
  }

  private update(): void {
    const previous = this.current;
    this.current = resolveSettings(this.stored, this.fragment);
    const changed = SETTING_NAMES.filter((name) => previous[name] !== this.current[name]);
    if (changed.length > 0) {
      for (const listener of this.listeners) {
        listener(this.current, changed);
      }
    }
  }
}

function withoutKey(patch: SettingsPatch, name: SettingName): SettingsPatch {
  const copy: SettingsPatch = { ...patch };
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a copy, keyed by a known name
  delete copy[name];
  return copy;
}
