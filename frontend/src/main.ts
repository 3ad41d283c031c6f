// Entry point: wires xterm.js, the connection state machine, the token sources and the status bar.
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import { FitAddon } from "@xterm/addon-fit";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { WebglAddon } from "@xterm/addon-webgl";
import { Terminal } from "@xterm/xterm";
import { TerminalConnection, type ConnectionState, type Notice, type SessionStore } from "./reconnect";
import { browserSocket, webSocketUrl } from "./socket";
import { describeNotice, describeState, type StatusAction } from "./status";
import {
  loadUiConfig,
  requestToken,
  SESSION_KEY,
  storageStore,
  takeFragmentToken,
  TOKEN_KEY,
  tokenFromMessage,
  type UiConfig,
} from "./token";

const DEFAULT_TITLE = "web-terminal";
const RESIZE_DEBOUNCE_MS = 100;
const CONNECTED_BADGE_MS = 1500;
const NOTICE_MS = 8000;

/** Read-only hook for the end-to-end test: the WebGL renderer leaves no text in the DOM. */
interface WebTerminalHook {
  screenText(): string;
  state(): string;
  sessionId(): string | null;
  size(): { cols: number; rows: number };
  renderer(): "webgl" | "dom";
}

declare global {
  interface Window {
    readonly webTerminal?: WebTerminalHook;
  }
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`index.html has no #${id}`);
  }
  return found;
}

// Before anything else: take the token out of the address bar.
const store = storageStore(() => window.sessionStorage);
let token = takeFragmentToken(window.location, window.history, store);
const sessions: SessionStore = {
  get: () => store.get(SESSION_KEY),
  set: (session) => {
    store.set(SESSION_KEY, session);
  },
  clear: () => {
    store.remove(SESSION_KEY);
  },
};
const embeddingParent: Window | null = window.parent === window ? null : window.parent;

const terminal = new Terminal({
  cursorBlink: true,
  scrollback: 5000,
  fontFamily: "ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace",
  fontSize: 14,
  theme: { background: "#1e1e1e", foreground: "#d4d4d4", cursor: "#d4d4d4", selectionBackground: "#264f78" },
});
const fit = new FitAddon();
terminal.loadAddon(fit);
terminal.loadAddon(new WebLinksAddon());
terminal.open(element("terminal"));

let renderer: "webgl" | "dom" = "dom";
try {
  const webgl = new WebglAddon();
  webgl.onContextLoss(() => {
    // xterm falls back to its DOM renderer once the addon is gone.
    webgl.dispose();
    renderer = "dom";
  });
  terminal.loadAddon(webgl);
  renderer = "webgl";
} catch {
  renderer = "dom"; // No WebGL2 here (or it is disabled): the DOM renderer works everywhere.
}
fit.fit();

document.title = DEFAULT_TITLE;
terminal.onTitleChange((title) => {
  document.title = title.trim() === "" ? DEFAULT_TITLE : title;
});

// Status bar.
const statusBar = element("status");
let uiConfig: UiConfig | null = null;
let notice: { text: string; until: number } | null = null;
let statusTimer: number | undefined;

function renderStatus(state: ConnectionState): void {
  window.clearTimeout(statusTimer);
  const now = Date.now();
  const view = describeState(state, now, embeddingParent !== null);
  const showNotice = notice !== null && notice.until > now && state.kind === "connected";
  statusBar.replaceChildren();
  statusBar.dataset.tone = showNotice ? "info" : view.tone;
  const dot = document.createElement("span");
  dot.className = "dot";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = showNotice && notice !== null ? notice.text : view.text;
  statusBar.append(dot, text);
  if (view.action !== null) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = view.action.label;
    const kind: StatusAction = view.action.kind;
    button.addEventListener("click", () => {
      runAction(kind);
    });
    statusBar.append(button);
  }
  statusBar.hidden = false;
  statusBar.classList.remove("fading");
  // Dims the terminal while typing goes nowhere (see style.css).
  document.body.dataset.state = state.kind;
  if (state.kind === "connected") {
    // Get out of the way once connected; a notice stays a little longer.
    const visibleFor = showNotice && notice !== null ? notice.until - now : CONNECTED_BADGE_MS;
    statusTimer = window.setTimeout(() => {
      statusBar.classList.add("fading");
      statusTimer = window.setTimeout(() => {
        statusBar.hidden = true;
      }, 300);
    }, visibleFor);
  } else if (state.kind === "reconnecting" && state.retryAt !== null) {
    // Tick the countdown.
    statusTimer = window.setTimeout(() => {
      renderStatus(connection.state);
    }, 250);
  }
}

function showNotice(kind: Notice): void {
  notice = { text: describeNotice(kind), until: Date.now() + NOTICE_MS };
  renderStatus(connection.state);
}

function runAction(kind: StatusAction): void {
  if (kind === "restart") {
    connection.restart();
  } else {
    connection.retryNow();
  }
  terminal.focus();
}

const connection = new TerminalConnection({
  url: webSocketUrl(window.location),
  createSocket: browserSocket,
  clock: {
    now: () => Date.now(),
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    clearTimeout: (handle) => {
      window.clearTimeout(handle as number);
    },
  },
  random: Math.random,
  sessions,
  size: () => ({ cols: terminal.cols, rows: terminal.rows }),
  token: () => token,
  output: (bytes) => {
    terminal.write(bytes);
  },
  reset: () => {
    terminal.reset();
  },
  stateChanged: renderStatus,
  notice: showNotice,
  signInRequired: () => {
    requestToken(embeddingParent, uiConfig?.embedOrigins ?? []);
  },
});

// Input: keyboard and pastes as UTF-8 binary frames; Enter after an exit starts a new session.
const encoder = new TextEncoder();
terminal.onData((data) => {
  if (connection.state.kind === "exited") {
    if (data === "\r") {
      connection.restart();
    }
    return;
  }
  connection.sendInput(encoder.encode(data));
});
terminal.onBinary((data) => {
  // Mouse reports in X10 mode: one byte per character.
  connection.sendInput(Uint8Array.from(data, (character) => character.charCodeAt(0) & 0xff));
});

// Copy and paste with Ctrl+Shift+C / Ctrl+Shift+V (Cmd+C / Cmd+V work natively on macOS).
terminal.attachCustomKeyEventHandler((event) => {
  if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) {
    return true;
  }
  if (event.code === "KeyC") {
    event.preventDefault(); // Chrome would open the element inspector.
    if (terminal.hasSelection()) {
      copySelection(terminal.getSelection());
    }
    return false;
  }
  if (event.code === "KeyV") {
    // Let the browser paste into xterm's textarea; xterm turns the paste event into input.
    return false;
  }
  return true;
});

function copySelection(text: string): void {
  // The async clipboard needs a secure context (https or localhost).
  navigator.clipboard.writeText(text).catch(() => {
    notice = { text: "Copying needs clipboard access; use the browser's menu instead.", until: Date.now() + 4000 };
    renderStatus(connection.state);
  });
}

// Follow the window: refit (debounced); xterm reports a real change of cols/rows via onResize.
let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    fit.fit();
  }, RESIZE_DEBOUNCE_MS);
}).observe(element("terminal"));
terminal.onResize(({ cols, rows }) => {
  connection.resize(cols, rows);
});

// A token pasted into the address bar of an open tab only changes the fragment: take it too.
window.addEventListener("hashchange", () => {
  const fresh = takeFragmentToken(window.location, window.history, store);
  if (fresh !== null && fresh !== token) {
    token = fresh;
    connection.tokenAvailable();
  }
});

// The network came back: do not wait out the backoff.
window.addEventListener("online", () => {
  connection.retryNow();
});

// Tokens from an embedding page. Messages that arrive before the UI configuration is known are
// held (a few) and judged once it is.
const earlyMessages: MessageEvent[] = [];
function acceptTokenMessage(event: MessageEvent): void {
  if (embeddingParent === null || uiConfig === null) {
    return;
  }
  const fresh = tokenFromMessage(event, uiConfig.embedOrigins, embeddingParent);
  if (fresh !== null) {
    token = fresh;
    store.set(TOKEN_KEY, fresh);
    connection.tokenAvailable();
  }
}
window.addEventListener("message", (event: MessageEvent) => {
  if (uiConfig === null) {
    if (earlyMessages.length < 8) {
      earlyMessages.push(event);
    }
    return;
  }
  acceptTokenMessage(event);
});
void loadUiConfig((input, init) => fetch(input, init), new URL("api/v1/ui-config", window.location.href).toString()).then((config) => {
  uiConfig = config;
  for (const event of earlyMessages.splice(0)) {
    acceptTokenMessage(event);
  }
  // A 4401 that came before the configuration could not ask anyone yet.
  if (connection.state.kind === "sign-in-required") {
    requestToken(embeddingParent, config.embedOrigins);
  }
});

const hook: WebTerminalHook = Object.freeze({
  screenText: () => {
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let row = 0; row < terminal.rows; row++) {
      lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? "");
    }
    return lines.join("\n");
  },
  state: () => connection.state.kind,
  sessionId: () => connection.sessionId,
  size: () => ({ cols: terminal.cols, rows: terminal.rows }),
  renderer: () => renderer,
});
Object.defineProperty(window, "webTerminal", { value: hook, writable: false, configurable: false });

connection.start();
terminal.focus();
