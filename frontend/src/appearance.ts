// Applies the settings to the terminal and the page: xterm.js's options, the theme of both (the
// page's colours are keyed on `<html data-theme>` in style.css), and a refit whenever the cell size
// may have changed, so the shell learns its new size. Also the visual bell.
import type { ITerminalOptions } from "@xterm/xterm";
import { terminalFontFamily, type SettingName, type Settings, type SettingsStore } from "./settings";
import { resolveTheme, SystemScheme, THEMES, type MatchMedia, type ThemeName } from "./themes";

/** How long the visual bell's flash lasts; matches `.bell-flash` in style.css. */
export const BELL_MS = 200;

/** What the settings set of xterm.js's options (the rest is main.ts's). */
export type SettingOptions = Pick<
  ITerminalOptions,
  "fontSize" | "fontFamily" | "cursorStyle" | "cursorBlink" | "screenReaderMode" | "theme" | "minimumContrastRatio"
>;

export function terminalOptions(settings: Readonly<Settings>, theme: ThemeName): SettingOptions {
  return {
    fontSize: settings.fontSize,
    fontFamily: terminalFontFamily(settings.fontFamily),
    cursorStyle: settings.cursorStyle,
    cursorBlink: settings.cursorBlink,
    screenReaderMode: settings.screenReaderMode,
    theme: THEMES[theme].terminal,
    minimumContrastRatio: THEMES[theme].minimumContrastRatio,
  };
}

/** Settings whose change can change the size of a cell, hence the terminal's columns and rows. */
const CHANGES_CELL_SIZE: readonly SettingName[] = ["fontSize", "fontFamily", "theme"];

export interface AppearanceOptions {
  settings: SettingsStore;
  matchMedia: MatchMedia | undefined;
  /** `<html>`: its `data-theme` picks the page's colours. */
  root: HTMLElement;
  /** The terminal, whose options are set by assignment (xterm.js applies each at once). */
  terminal(): { options: SettingOptions };
  /** Fit the terminal to its box again (FitAddon); xterm.js reports a new size by itself. */
  refit(): void;
  /** The theme shown changed (after the terminal has it). */
  themeChanged(theme: ThemeName): void;
}

export class Appearance {
  private readonly options: AppearanceOptions;
  private readonly scheme: SystemScheme;
  private shown: ThemeName;

  /** Sets `<html data-theme>` at once; the terminal takes `terminalOptions()` when it is created. */
  constructor(options: AppearanceOptions) {
    this.options = options;
    this.scheme = new SystemScheme(options.matchMedia, () => {
      this.update([]);
    });
    this.shown = this.resolve();
    options.root.dataset.theme = this.shown;
    options.settings.onChange((_settings, changed) => {
      this.update(changed);
    });
  }

  /** The theme shown now. */
  get theme(): ThemeName {
    return this.shown;
  }

  /** The options a new terminal starts with. */
  terminalOptions(): SettingOptions {
    return terminalOptions(this.options.settings.settings, this.shown);
  }

  private resolve(): ThemeName {
    return resolveTheme(this.options.settings.settings.theme, this.scheme.prefers);
  }

  private update(changed: readonly SettingName[]): void {
    const theme = this.resolve();
    const themeChanged = theme !== this.shown;
    this.shown = theme;
    const wanted = terminalOptions(this.options.settings.settings, theme);
    const options = this.options.terminal().options;
    // Assign only what changed: xterm.js redraws (and WebGL rebuilds its glyph atlas) on each.
    for (const name of Object.keys(wanted) as (keyof SettingOptions)[]) {
      if (options[name] !== wanted[name]) {
        Object.assign(options, { [name]: wanted[name] });
      }
    }
    this.options.root.dataset.theme = theme;
    if (themeChanged || changed.some((name) => CHANGES_CELL_SIZE.includes(name))) {
      this.options.refit();
    }
    if (themeChanged) {
      this.options.themeChanged(theme);
    }
  }
}

/** The visual bell: a layer over the terminal that flashes (`.bell-flash` in style.css). */
export class VisualBell {
  private readonly element: HTMLElement;
  private readonly timers: Pick<Window, "setTimeout" | "clearTimeout">;
  private timer: number | undefined;

  constructor(element: HTMLElement, timers: Pick<Window, "setTimeout" | "clearTimeout">) {
    this.element = element;
    this.timers = timers;
  }

  /** Flashes once; a bell during a flash starts it over. */
  ring(): void {
    this.timers.clearTimeout(this.timer);
    this.element.classList.remove("bell-flash");
    // A layout in between restarts the CSS animation when the class comes back.
    void this.element.getBoundingClientRect();
    this.element.classList.add("bell-flash");
    this.timer = this.timers.setTimeout(() => {
      this.element.classList.remove("bell-flash");
    }, BELL_MS);
  }
}
