// The UI's read-only hook for the end-to-end test, `window.webTerminal`: the WebGL renderer leaves
// no text in the DOM. The one definition: main.ts implements it, and e2e/tsconfig.json includes this
// file so the browser-side callbacks of the e2e test are checked against it.

export interface WebTerminalHook {
  /** The rows of the viewport, each without trailing blanks, joined by "\n". */
  screenText(): string;
  /** Every row of the active buffer, from its oldest scrollback row to the screen's last, as screenText(). */
  bufferText(): string;
  /** The cursor's cell: column `x` and row `y` from the top of the screen (not of the scrollback), 0-based. */
  cursor(): { x: number; y: number };
  /** The buffer shown: the normal one (with scrollback) or the alternate screen of full-screen programs. */
  activeBuffer(): "normal" | "alternate";
  /** Bytes of output, snapshots included, that the terminal has finished processing since the page loaded. */
  outputBytes(): number;
  /** Snapshots the terminal has finished writing since the page loaded. */
  snapshotsWritten(): number;
  state(): string;
  sessionId(): string | null;
  /** This tab's role in the connected session (`opened`'s role, `view` after `readonly`), or null. */
  role(): "owner" | "write" | "view" | null;
  size(): { cols: number; rows: number };
  renderer(): "webgl" | "dom";
  /** The settings in effect (docs/ui.md): the fragment's, else the stored ones, else the defaults. */
  settings(): HookSettings;
  /** The theme shown: the chosen one, or for "system" the one the browser's colour scheme picks. */
  theme(): "light" | "dark" | "high-contrast";
  /** The terminal's font size in CSS pixels, as xterm.js has it. */
  fontSize(): number;
  /** The terminal's selected text ("" when nothing is selected); the find bar selects its match. */
  selection(): string;
  /** The find bar's last count while it is open: the active match (0-based, -1 if uncounted) of `count`. */
  searchResults(): { index: number; count: number } | null;
  /** The link target the hover tooltip shows, or null while it is hidden. */
  linkTooltip(): string | null;
  /** Whether the image addon (sixel, iTerm images) is loaded, or failed to load and is no longer waited for. */
  imagesLoaded(): boolean;
}

/** The settings as the hook reports them; src/settings.ts's `Settings` must fit this shape. */
export interface HookSettings {
  fontSize: number;
  fontFamily: string;
  theme: "system" | "light" | "dark" | "high-contrast";
  cursorStyle: "block" | "bar" | "underline";
  cursorBlink: boolean;
  copyOnSelect: boolean;
  rightClickPaste: boolean;
  screenReaderMode: boolean;
  visualBell: boolean;
  confirmClose: boolean;
}

declare global {
  interface Window {
    readonly webTerminal?: WebTerminalHook;
  }
}
