// Entry point of the replay page (replay.html): a session's recording played back on xterm.js
// (docs/sessions.md, "Replay"). The token comes the way the terminal page's does (token.ts): the
// tab's sessionStorage (a tab the sessions panel opens starts with a copy of it), the fragment, or
// an embedding page; it only ever travels in the Authorization header.
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import "./replay.css";
import { Terminal } from "@xterm/xterm";
import { ReplayPage } from "./replay-page";
import { NEW_SESSION, takeFragmentSession } from "./session-link";
import { SessionApi } from "./sessions-api";
import { SettingsStore, terminalFontFamily } from "./settings";
import { resolveTheme, SystemScheme, THEMES } from "./themes";
import { loadUiConfig, storageStore } from "./token";
import { TokenMessaging } from "./token-messaging";

/** Font sizes the fit may choose, in pixels: below the least, text is unreadable, so the stage scrolls. */
const FONT_MIN = 8;
const FONT_MAX = 16;
/** A monospace cell's width and height for a font size of 1 (xterm.js's line height is 1.0 of ~1.2em). */
const CELL_WIDTH = 0.6;
const CELL_HEIGHT = 1.2;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`replay.html has no #${id}`);
  }
  return found;
}

const store = storageStore(() => window.sessionStorage);
const embeddingParent: Window | null = window.parent === window ? null : window.parent;
let waitingForToken = false;
const tokens: TokenMessaging = new TokenMessaging(window, {
  store,
  parent: embeddingParent,
  uiConfig: loadUiConfig((input, init) => fetch(input, init), new URL("api/v1/ui-config", window.location.href).toString()),
  tokenAvailable: () => {
    if (waitingForToken) {
      waitingForToken = false;
      void page.load();
    }
  },
  waitingForToken: () => waitingForToken,
});
const linked = takeFragmentSession(window.location, window.history);
const session = linked === NEW_SESSION ? null : linked;
const api = new SessionApi({ fetch: (input, init) => fetch(input, init), base: window.location.href, token: () => tokens.token });

// The look follows the terminal's settings (theme, font), kept in localStorage by the terminal page.
const settings = new SettingsStore(storageStore(() => window.localStorage), window.location.hash);
const scheme = new SystemScheme(typeof window.matchMedia === "function" ? (query) => window.matchMedia(query) : undefined, () => {
  applyTheme();
});
const terminal = new Terminal({
  disableStdin: true,
  cursorBlink: false,
  scrollback: 5000,
  fontFamily: terminalFontFamily(settings.settings.fontFamily),
});
terminal.open(element("replay-screen"));

function applyTheme(): void {
  const theme = resolveTheme(settings.settings.theme, scheme.prefers);
  document.documentElement.dataset.theme = theme;
  terminal.options.theme = THEMES[theme].terminal;
  terminal.options.minimumContrastRatio = THEMES[theme].minimumContrastRatio;
}
applyTheme();

/** The largest font at which `cols`×`rows` cells fit the stage. */
function fitFont(cols: number, rows: number): void {
  const stage = element("replay-stage");
  const width = stage.clientWidth - 16;
  const height = stage.clientHeight - 16;
  const size = Math.floor(Math.min(width / (cols * CELL_WIDTH), height / (rows * CELL_HEIGHT)));
  terminal.options.fontSize = Math.max(FONT_MIN, Math.min(FONT_MAX, size));
}

const page: ReplayPage = new ReplayPage(document, {
  session,
  fetchRecording: async (id) => {
    try {
      return await api.recording(id);
    } catch (error) {
      // An embedding page may hand over a token yet; ask it, and load again when one comes.
      waitingForToken = tokens.token === null;
      if (waitingForToken) {
        tokens.requestToken();
      }
      throw error;
    }
  },
  screen: {
    reset: () => {
      terminal.reset();
    },
    resize: (cols, rows) => {
      terminal.resize(cols, rows);
    },
    write: (data) => {
      terminal.write(data);
    },
  },
  clock: {
    now: () => performance.now(),
    setTimer: (callback, ms) => window.setTimeout(callback, ms),
    clearTimer: (handle) => {
      window.clearTimeout(handle);
    },
  },
  sized: fitFont,
});
element("replay-header").append(...page.header);
element("replay-stage").append(page.statusLine);
document.body.append(page.element);
window.addEventListener("resize", () => {
  fitFont(terminal.cols, terminal.rows);
});
void page.load();
