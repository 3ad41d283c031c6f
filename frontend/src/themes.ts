// The three themes: the terminal's colours (xterm.js), the search highlights and, by name, the
// page around it (style.css keys its colours on `<html data-theme>`). "system" follows the
// browser's `prefers-contrast: more` (high contrast) and else its `prefers-color-scheme`, also when
// either changes while the page is open.
import type { ISearchDecorationOptions } from "@xterm/addon-search";
import type { ITheme } from "@xterm/xterm";
import type { ThemeChoice } from "./settings";

export type ThemeName = "light" | "dark" | "high-contrast";

export interface Theme {
  terminal: ITheme;
  /** xterm.js adjusts text colours to at least this contrast against their background. */
  minimumContrastRatio: number;
  /** Colours of the search addon's highlights; backgrounds must be `#rrggbb`. */
  search: ISearchDecorationOptions;
}

/** VS Code's Dark+ terminal colours. */
const DARK: Theme = {
  terminal: {
    background: "#1e1e1e",
    foreground: "#d4d4d4",
    cursor: "#d4d4d4",
    cursorAccent: "#1e1e1e",
    selectionBackground: "#264f78",
    selectionInactiveBackground: "#3a3d41",
    overviewRulerBorder: "#1e1e1e",
    black: "#000000",
    red: "#cd3131",
    green: "#0dbc79",
    yellow: "#e5e510",
    blue: "#2472c8",
    magenta: "#bc3fbc",
    cyan: "#11a8cd",
    white: "#e5e5e5",
    brightBlack: "#666666",
    brightRed: "#f14c4c",
    brightGreen: "#23d18b",
    brightYellow: "#f5f543",
    brightBlue: "#3b8eea",
    brightMagenta: "#d670d6",
    brightCyan: "#29b8db",
    brightWhite: "#e5e5e5",
  },
  minimumContrastRatio: 1,
  search: {
    matchBackground: "#613214",
    matchBorder: "#9e6a03",
    matchOverviewRuler: "#d18616",
    activeMatchBackground: "#a8640c",
    activeMatchBorder: "#ffb454",
    activeMatchColorOverviewRuler: "#ffb454",
  },
};

/** VS Code's Light+ terminal colours; the contrast floor keeps its yellow and green readable. */
const LIGHT: Theme = {
  terminal: {
    background: "#ffffff",
    foreground: "#1f2328",
    cursor: "#1f2328",
    cursorAccent: "#ffffff",
    selectionBackground: "#add6ff",
    selectionInactiveBackground: "#e5ebf1",
    overviewRulerBorder: "#ffffff",
    black: "#000000",
    red: "#cd3131",
    green: "#107c10",
    yellow: "#949800",
    blue: "#0451a5",
    magenta: "#bc05bc",
    cyan: "#0598bc",
    white: "#555555",
    brightBlack: "#666666",
    brightRed: "#cd3131",
    brightGreen: "#14ce14",
    brightYellow: "#b5ba00",
    brightBlue: "#0451a5",
    brightMagenta: "#bc05bc",
    brightCyan: "#0598bc",
    brightWhite: "#a5a5a5",
  },
  minimumContrastRatio: 4.5,
  search: {
    matchBackground: "#ffe8a3",
    matchBorder: "#e0b84a",
    matchOverviewRuler: "#d18616",
    activeMatchBackground: "#ffb64d",
    activeMatchBorder: "#b35c00",
    activeMatchColorOverviewRuler: "#b35c00",
  },
};

/** White on black, saturated colours, and text held to WCAG AAA contrast. */
const HIGH_CONTRAST: Theme = {
  terminal: {
    background: "#000000",
    foreground: "#ffffff",
    cursor: "#ffff00",
    cursorAccent: "#000000",
    selectionBackground: "#ffffff",
    selectionForeground: "#000000",
    selectionInactiveBackground: "#c0c0c0",
    overviewRulerBorder: "#ffffff",
    scrollbarSliderBackground: "#ffffff66",
    scrollbarSliderHoverBackground: "#ffffffaa",
    scrollbarSliderActiveBackground: "#ffffff",
    black: "#000000",
    red: "#ff5555",
    green: "#00ff00",
    yellow: "#ffff00",
    blue: "#6b9cff",
    magenta: "#ff66ff",
    cyan: "#00ffff",
    white: "#ffffff",
    brightBlack: "#a0a0a0",
    brightRed: "#ff7b7b",
    brightGreen: "#7dff7d",
    brightYellow: "#ffff7d",
    brightBlue: "#9fbfff",
    brightMagenta: "#ff9bff",
    brightCyan: "#7dffff",
    brightWhite: "#ffffff",
  },
  minimumContrastRatio: 7,
  search: {
    matchBackground: "#000000",
    matchBorder: "#ff9900",
    matchOverviewRuler: "#ff9900",
    activeMatchBackground: "#4d3300",
    activeMatchBorder: "#00ffff",
    activeMatchColorOverviewRuler: "#00ffff",
  },
};

export const THEMES: Readonly<Record<ThemeName, Theme>> = { light: LIGHT, dark: DARK, "high-contrast": HIGH_CONTRAST };

/** What the browser prefers, for the "system" theme. */
export interface SystemPreferences {
  dark: boolean;
  moreContrast: boolean;
}

/** The theme to show: the chosen one, or for "system" high contrast if asked for, else the browser's colour scheme. */
export function resolveTheme(choice: ThemeChoice, prefers: SystemPreferences): ThemeName {
  if (choice === "system") {
    if (prefers.moreContrast) {
      return "high-contrast";
    }
    return prefers.dark ? "dark" : "light";
  }
  return choice;
}

/** The parts of a `MediaQueryList` the system theme needs. */
export interface MediaQuery {
  readonly matches: boolean;
  addEventListener(type: "change", listener: () => void): void;
}

/** `window.matchMedia`. */
export type MatchMedia = (query: string) => MediaQuery;

export const DARK_QUERY = "(prefers-color-scheme: dark)";
export const MORE_CONTRAST_QUERY = "(prefers-contrast: more)";

/**
 * Whether the browser prefers dark and more contrast, now and whenever that changes (`changed`).
 * Without `matchMedia` the answer is dark without more contrast, the UI's look before themes existed.
 */
export class SystemScheme {
  private readonly dark: MediaQuery | null;
  private readonly contrast: MediaQuery | null;

  constructor(matchMedia: MatchMedia | undefined, changed: () => void) {
    this.dark = matchMedia?.(DARK_QUERY) ?? null;
    this.contrast = matchMedia?.(MORE_CONTRAST_QUERY) ?? null;
    this.dark?.addEventListener("change", changed);
    this.contrast?.addEventListener("change", changed);
  }

  get prefers(): SystemPreferences {
    return { dark: this.dark?.matches ?? true, moreContrast: this.contrast?.matches ?? false };
  }
}
