import { describe, expect, it, vi } from "vitest";
import { DARK_QUERY, MORE_CONTRAST_QUERY, resolveTheme, SystemScheme, THEMES, type ThemeName } from "./themes";

const ANSI = [
  "black",
  "red",
  "green",
  "yellow",
  "blue",
  "magenta",
  "cyan",
  "white",
  "brightBlack",
  "brightRed",
  "brightGreen",
  "brightYellow",
  "brightBlue",
  "brightMagenta",
  "brightCyan",
  "brightWhite",
] as const;

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((start) => {
    const value = parseInt(hex.slice(start, start + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  const [r = 0, g = 0, b = 0] = channels;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const NAMES: ThemeName[] = ["light", "dark", "high-contrast"];

describe("themes", () => {
  it.each(NAMES)("%s defines every colour a program can ask for", (name) => {
    const terminal = THEMES[name].terminal;
    for (const colour of [...ANSI, "background", "foreground", "cursor", "selectionBackground"] as const) {
      expect(terminal[colour], colour).toMatch(/^#[0-9a-f]{6}$/);
    }
  });

  it.each(NAMES)("%s has readable text: the foreground against the background meets its contrast floor, and WCAG AA", (name) => {
    const theme = THEMES[name];
    const ratio = contrast(theme.terminal.foreground ?? "", theme.terminal.background ?? "");
    expect(ratio).toBeGreaterThanOrEqual(Math.max(4.5, theme.minimumContrastRatio));
  });

  it("holds the high-contrast theme to WCAG AAA", () => {
    expect(THEMES["high-contrast"].minimumContrastRatio).toBeGreaterThanOrEqual(7);
  });

  it.each(NAMES)("%s gives the search addon backgrounds in the #rrggbb form it needs", (name) => {
    const search = THEMES[name].search;
    expect(search.matchBackground).toMatch(/^#[0-9a-f]{6}$/);
    expect(search.activeMatchBackground).toMatch(/^#[0-9a-f]{6}$/);
    expect(search.activeMatchBackground).not.toBe(search.matchBackground);
    expect(search.matchOverviewRuler).toMatch(/^#[0-9a-f]{6}$/);
    expect(search.activeMatchColorOverviewRuler).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("resolves system to the browser's scheme and keeps a chosen theme", () => {
    expect(resolveTheme("system", { dark: true, moreContrast: false })).toBe("dark");
    expect(resolveTheme("system", { dark: false, moreContrast: false })).toBe("light");
    expect(resolveTheme("light", { dark: true, moreContrast: false })).toBe("light");
    expect(resolveTheme("high-contrast", { dark: false, moreContrast: false })).toBe("high-contrast");
  });

  it("resolves system to high contrast when the browser asks for more contrast, and only system", () => {
    expect(resolveTheme("system", { dark: true, moreContrast: true })).toBe("high-contrast");
    expect(resolveTheme("system", { dark: false, moreContrast: true })).toBe("high-contrast");
    expect(resolveTheme("light", { dark: false, moreContrast: true })).toBe("light");
    expect(resolveTheme("dark", { dark: true, moreContrast: true })).toBe("dark");
  });
});

describe("SystemScheme", () => {
  it("asks for the dark scheme and more contrast and follows their changes", () => {
    const queries = new Map<string, { matches: boolean; listener: (() => void) | null }>([
      [DARK_QUERY, { matches: false, listener: null }],
      [MORE_CONTRAST_QUERY, { matches: false, listener: null }],
    ]);
    const matchMedia = vi.fn((asked: string) => {
      const query = queries.get(asked);
      if (query === undefined) {
        throw new Error(`unexpected query ${asked}`);
      }
      return {
        get matches() {
          return query.matches;
        },
        addEventListener: (type: string, listener: () => void) => {
          expect(type).toBe("change");
          query.listener = listener;
        },
      };
    });
    const changed = vi.fn();
    const scheme = new SystemScheme(matchMedia, changed);
    expect(scheme.prefers).toEqual({ dark: false, moreContrast: false });

    const dark = queries.get(DARK_QUERY);
    const contrast = queries.get(MORE_CONTRAST_QUERY);
    if (dark === undefined || contrast === undefined) {
      throw new Error("both queries are asked");
    }
    dark.matches = true;
    dark.listener?.();
    expect(changed).toHaveBeenCalledTimes(1);
    expect(scheme.prefers).toEqual({ dark: true, moreContrast: false });
    contrast.matches = true;
    contrast.listener?.();
    expect(changed).toHaveBeenCalledTimes(2);
    expect(scheme.prefers).toEqual({ dark: true, moreContrast: true });
  });

  it("prefers dark without more contrast where the browser cannot say", () => {
    expect(new SystemScheme(undefined, () => undefined).prefers).toEqual({ dark: true, moreContrast: false });
  });
});
