// The UI: wires xterm.js, the connection, the token sources, the status bar and the test hook.
// boot.ts, the page's entry, loads it once it has opened the WebSocket (early-handshake.ts).
import { FitAddon } from "@xterm/addon-fit";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal } from "@xterm/xterm";
import { Appearance, VisualBell } from "./appearance";
import { rangeText, terminalLinks } from "./hyperlinks";
import { InlineImages } from "./inline-images";
import { finishLateOpen } from "./late-open";
import { showPageIcon } from "./page-icon";
import { followCursor, TerminalSizing } from "./session-size";
import { userInputTracker } from "./user-input";
import { loadImageAddon, loadSearchAddon } from "./lazy-addons";
import { clipboardReadable, installMouseClipboard } from "./mouse-clipboard";
import { TerminalConnection, type SessionStore } from "./reconnect";
import { webSocketUrl } from "./socket";
import { adoptEarlySocket, earlyHandshakeSent, rememberSize } from "./early-handshake";
import { installClipboardOsc } from "./osc52";
import { installDownloadOsc, saveWithLink } from "./file-download";
import { FileUploads } from "./file-upload";
import { TransferNotices } from "./transfer-notices";
import { hardwareWebgl, keptHardwareWebgl, loadedWebgl, loadWebgl, rendererChoice, webglAtOpen, type WebglModule } from "./renderer";
import { SearchBar } from "./search-bar";
import { SettingsStore, stepFontSize } from "./settings";
import { SettingsPanel } from "./settings-panel";
import { installCloseGuard } from "./close-guard";
import { NEW_SESSION, sessionLink, takeFragmentSession } from "./session-link";
import { SessionApi } from "./sessions-api";
import { SessionsPanel } from "./sessions-panel";
import { installShortcuts } from "./shortcuts";
import { describeDraining, describeNotice } from "./status";
import { StatusBar } from "./status-bar";
import type { WebTerminalHook } from "./test-hook";
import { THEMES } from "./themes";
import { loadUiConfig, SESSION_KEY, storageStore } from "./token";
import { TokenMessaging } from "./token-messaging";
import { installTouchUi } from "./touch-ui";
import { nextFrameDrawn, ScreenFirst, screenFirstToken, withoutLeadingReset } from "./screen-first";

const DEFAULT_TITLE = "web-terminal";
const RESIZE_DEBOUNCE_MS = 100;
const NOTICE_MS = 8000;
/** The server is being replaced: long enough to read, and to decide. */
const DRAINING_NOTICE_MS = 20_000;
const COPY_NOTICE_MS = 4000;
/** The latest the image addon is fetched after the first output, should the browser never be idle. */
const IDLE_TIMEOUT_MS = 1000;
/** The latest the terminal is opened after the UI runs while an early attach's snapshot is awaited. */
const SNAPSHOT_WAIT_MS = 500;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`index.html has no #${id}`);
  }
  return found;
}

// Before anything else: take the token out of the address bar. (The type annotation breaks the
// inference cycle through the callbacks that use `connection`, declared further down.)
const store = storageStore(() => window.sessionStorage);
const uiConfig = loadUiConfig((input, init) => fetch(input, init), new URL("api/v1/ui-config", window.location.href).toString());
const embeddingParent: Window | null = window.parent === window ? null : window.parent;
const tokens: TokenMessaging = new TokenMessaging(window, {
  store,
  parent: embeddingParent,
  uiConfig,
  tokenAvailable: () => {
    connection.tokenAvailable();
  },
  waitingForToken: () => connection.state.kind === "sign-in-required",
});
// Then the WebSocket, which boot.ts opened before this code was fetched; its handshake (and the
// server's answer) overlaps loading and building the terminal below (early-handshake.ts).
const earlyHandshake = earlyHandshakeSent(webSocketUrl(window.location));
const createSocket = adoptEarlySocket(webSocketUrl(window.location));
// A deep link (`#session=<id>`) names the session to attach to; like the token, it leaves the
// address bar at once.
const linkedSession = takeFragmentSession(window.location, window.history);
if (linkedSession === NEW_SESSION) {
  store.remove(SESSION_KEY);
} else if (linkedSession !== null) {
  store.set(SESSION_KEY, linkedSession);
}
const sessions: SessionStore = {
  get: () => store.get(SESSION_KEY),
  set: (session) => {
    store.set(SESSION_KEY, session);
  },
  clear: () => {
    store.remove(SESSION_KEY);
  },
};

/** Snapshots being written; input is dropped meanwhile (see `send`). */
let writingSnapshots = 0;
/** What the terminal has processed since the page loaded, for the test hook. */
let processedBytes = 0;
let snapshotsWritten = 0;
/** Nothing was written to the terminal yet: the first snapshot needs no reset (which redraws it all). */
let pristine = true;

// The user's settings (docs/ui.md): the fragment's (token.ts has taken the token out of it by
// now), else those kept in localStorage, else the defaults; Appearance applies them.
const settings = new SettingsStore(storageStore(() => window.localStorage), window.location.hash);
const appearance: Appearance = new Appearance({
  settings,
  matchMedia: typeof window.matchMedia === "function" ? (query) => window.matchMedia(query) : undefined,
  root: document.documentElement,
  terminal: () => terminal,
  refit: () => {
    sizing.refit();
  },
  themeChanged: () => {
    searchBar.refresh();
  },
});

// Links (OSC 8 and plain URLs): the target on hover, Ctrl+click (Cmd+click) opens, an OSC 8 link
// whose text says something else asks first (docs/ui.md).
const links = terminalLinks(window, {
  textAt: (range) => rangeText(terminal.buffer.active, range),
  notice: (text) => {
    statusBar.notice(text, NOTICE_MS);
  },
  closed: () => {
    terminal.focus();
  },
});

// The terminal is built at the size the early handshake sent, if it sent one (see below): the
// fit after open() then has nothing to change (a resize redraws every row).
const earlySize = earlyHandshake?.cols !== undefined && earlyHandshake.rows !== undefined ? { cols: earlyHandshake.cols, rows: earlyHandshake.rows } : {};
const terminal: Terminal = new Terminal({
  // The Unicode API (character widths) is still marked proposed in xterm.js 6.
  allowProposedApi: true,
  scrollback: 5000,
  linkHandler: links.opener.oscHandler,
  ...appearance.terminalOptions(),
  ...earlySize,
});
const fit = new FitAddon();
terminal.loadAddon(fit);
// The window's size, or the session's for a client that only watches (session-size.ts).
let watching = false;
const sizing = new TerminalSizing({
  fitWindow: () => {
    fit.fit();
  },
  resize: ({ cols, rows }) => {
    if (cols !== terminal.cols || rows !== terminal.rows) {
      terminal.resize(cols, rows);
    }
  },
  watching: () => watching,
});
// Emoji and other wide characters take two cells, as they do for the shell and the server's model.
terminal.loadAddon(new Unicode11Addon());
terminal.unicode.activeVersion = "11";
terminal.loadAddon(new WebLinksAddon(links.opener.plainUrlActivated, { hover: links.opener.hover, leave: links.opener.leave }));

// A reattach's screen is drawn before its history is written (screen-first.ts). Between the two,
// input is sent: what the user types then is for the screen they see.
const screenFirst = new ScreenFirst(
  terminal.parser,
  {
    screenWritten: () => {
      writingSnapshots--;
      openTerminalLate();
    },
    drawn: () => nextFrameDrawn(window),
    historyNext: () => {
      writingSnapshots++;
    },
  },
  screenFirstToken(window.crypto),
);

let renderer: "webgl" | "dom" = "dom";
const rendererChosen = rendererChoice(window.location.search);
// The WebGL addon's chunk: here already where the terminal opens with WebGL (boot.ts waited for
// it); elsewhere fetched only if the browser turns out to draw WebGL on a GPU (afterFirstOutput).
let webglModule: WebglModule | null = loadedWebgl();
/**
 * Draws with WebGL from now on (the DOM renderer stays where WebGL2 is missing or disabled), and
 * fits again if `refit`: WebGL's cells are not quite the DOM renderer's, so the terminal may fit
 * more, or fewer. Where the addon's chunk is not here yet, once it is (and then it fits again).
 */
function useWebgl(refit: boolean): void {
  if (webglModule === null) {
    void loadWebgl().then(
      (module) => {
        webglModule = module;
        useWebgl(true);
      },
      () => undefined, // Not fetched: the DOM renderer goes on.
    );
    return;
  }
  try {
    const webgl = new webglModule.WebglAddon();
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
  if (refit) {
    sizing.refit();
  }
}
let opened = false;
/**
 * Puts the terminal on the page (xterm.js's open(): its DOM, renderer and viewport), picks the
 * renderer and fits it; once. Usually at once; but on a reload that attached early, only once the
 * snapshot is written (see below).
 */
function openTerminal(): void {
  opened = true;
  terminal.open(element("terminal"));
  // WebGL when asked for, or where this tab found the browser drawing it on a GPU; where that is
  // not known yet, the browser is asked once the first output is drawn (afterFirstOutput).
  if (webglAtOpen(window.location.search, store)) {
    useWebgl(false); // Fitted below.
  }
  // Touch screens: the key bar (before the first fit: it takes rows), the layout above the on-screen
  // keyboard, swipe to scroll and long press to copy. Its keys go through onData below.
  installTouchUi(terminal, element("terminal"), {
    notice: (text, ms) => {
      statusBar.notice(text, ms);
    },
  });
  sizing.refit();
}
// A reload whose `attach` boot.ts sent early: the snapshot, at the size this tab last sent, is on
// its way (often here already). xterm.js writes it fastest into a terminal not yet opened
// (late-open.ts). So the terminal, built at that size, opens once the first snapshot or output
// is written, or the connection ends up elsewhere, or after SNAPSHOT_WAIT_MS. Nothing can be
// typed before: the terminal's textarea does not exist yet.
if (earlyHandshake?.type === "attach" && earlyHandshake.cols !== undefined && earlyHandshake.rows !== undefined) {
  window.setTimeout(() => {
    openTerminalLate();
  }, SNAPSHOT_WAIT_MS);
} else {
  openTerminal();
}
/** Opens the terminal after the page has started (see above), focused unless the user went elsewhere. */
function openTerminalLate(): void {
  if (opened) {
    return;
  }
  openTerminal();
  finishLateOpen(terminal);
  const active = document.activeElement;
  if (active === null || active === document.body) {
    terminal.focus();
  }
}

document.title = DEFAULT_TITLE;
terminal.onTitleChange((title) => {
  document.title = title.trim() === "" ? DEFAULT_TITLE : title;
});

const readOnlyBadge = document.createElement("div");
readOnlyBadge.id = "read-only";
readOnlyBadge.textContent = "Read-only";
readOnlyBadge.title = "This session was shared with you to watch: what you type is not sent.";
readOnlyBadge.hidden = true;

const statusBar = new StatusBar(element("status"), {
  embedded: embeddingParent !== null,
  onAction: (kind) => {
    if (kind === "restart") {
      connection.restart();
    } else if (kind === "new-tab") {
      // A tab opened from this one starts with a copy of its storage (the token among it);
      // `#session=new` has it open a session of its own.
      window.open(sessionLink(window.location.href, NEW_SESSION), "_blank");
    } else {
      connection.retryNow();
    }
    terminal.focus();
  },
});

// Sixel and iTerm images: the addon is fetched when the browser is idle after the first output,
// or at the first image, whose output waits for it (inline-images.ts). Every write goes through it.
// The renderer probe waits for that moment too (renderer.ts).
const images = new InlineImages({
  load: async () => {
    openTerminalLate(); // The addon draws on a layer of the opened terminal.
    await loadImageAddon(terminal);
  },
  failed: () => {
    statusBar.notice("Images could not be loaded: they are not shown. Reload the page to try again.", NOTICE_MS);
  },
});
// Once the first output (the prompt, or a snapshot) is written and the browser is idle: the
// renderer probe, the image addon and the page's icon (page-icon.ts).
let firstOutputWritten = false;
function afterFirstOutput(): void {
  if (firstOutputWritten) {
    return;
  }
  firstOutputWritten = true;
  const idle = () => {
    if (rendererChosen === "auto" && renderer === "dom" && keptHardwareWebgl(store) === null && hardwareWebgl(document, store)) {
      useWebgl(true);
    }
    void images.load();
    showPageIcon(document);
  };
  if (typeof window.requestIdleCallback === "function") {
    window.requestIdleCallback(idle, { timeout: IDLE_TIMEOUT_MS });
  } else {
    window.setTimeout(idle, 0);
  }
}

// Files (docs/ui.md): the upload button and drops on the page, and the downloads that
// `web-terminal download FILE` offers; neither for a read-only viewer, and no offer from a snapshot.
const transfers = new TransferNotices(document, {
  setTimeout: (callback, ms) => window.setTimeout(callback, ms),
  clearTimeout: (handle) => {
    window.clearTimeout(handle as number);
  },
});
const uploads = new FileUploads(document, {
  base: window.location.href,
  token: () => tokens.token,
  session: () => connection.sessionId,
  maxBytes: uiConfig.then((config) => config.transferMaxBytes),
  request: () => new XMLHttpRequest(),
  notices: transfers,
});
uploads.acceptDrops(document);
installDownloadOsc({
  parser: terminal.parser,
  base: window.location.href,
  token: () => tokens.token,
  session: () => connection.sessionId,
  allowed: () => connection.role !== "view",
  replaying: () => writingSnapshots > 0,
  fetch: (input, init) => fetch(input, init),
  save: (file, name) => {
    saveWithLink(document, file, name, (revoke) => window.setTimeout(revoke, 60_000));
  },
  notices: transfers,
});

const connection = new TerminalConnection({
  url: webSocketUrl(window.location),
  createSocket,
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
  token: () => tokens.token,
  sizeSent: (size) => {
    rememberSize(store, size);
  },
  output: (bytes) => {
    images.write(bytes, () => {
      pristine = false;
      terminal.write(bytes, () => {
        openTerminalLate();
        processedBytes += bytes.length;
        connection.acknowledge(bytes.length);
        afterFirstOutput();
      });
    });
  },
  snapshot: (bytes, screen) => {
    images.write(bytes, () => {
      // A clean start: the snapshot starts with a reset (ESC c), which a fresh terminal does
      // without (screen-first.ts).
      const fresh = pristine;
      if (!pristine) {
        terminal.reset();
      }
      pristine = false;
      writingSnapshots++;
      // The screen first where the server says which bytes draw it (screen-first.ts); a hidden
      // page draws nothing, so it takes the snapshot whole.
      const firstScreen = screen !== undefined && document.visibilityState === "visible";
      const written = firstScreen ? screenFirst.bytes(bytes, screen, fresh) : fresh ? withoutLeadingReset(bytes) : bytes;
      terminal.write(written, () => {
        openTerminalLate();
        writingSnapshots--;
        processedBytes += bytes.length;
        snapshotsWritten++;
        connection.acknowledge(bytes.length);
        afterFirstOutput();
      });
    });
  },
  reset: () => {
    images.write(null, () => {
      terminal.reset();
    });
  },
  stateChanged: (state) => {
    if (state.kind !== "connecting" && state.kind !== "connected") {
      openTerminalLate(); // No snapshot is coming (yet): show the terminal as it is.
      showPageIcon(document);
    }
    if (state.kind !== "connected") {
      sizing.forget(); // The next connection's server tells it again.
    }
    statusBar.render(state);
    // Dims the terminal while typing goes nowhere (see style.css).
    document.body.dataset.state = state.kind;
    showReadOnly();
  },
  notice: (notice) => {
    statusBar.notice(describeNotice(notice), NOTICE_MS);
  },
  draining: (secondsLeft) => {
    statusBar.notice(describeDraining(secondsLeft), DRAINING_NOTICE_MS, { kind: "new-tab", label: "New session" });
  },
  roleChanged: (role) => {
    if (watching !== (role === "view")) {
      watching = role === "view";
      sizing.refit();
    }
    showReadOnly();
  },
  sessionSize: (size) => {
    // In order with the output: after what came before it is written, before what follows.
    images.write(null, () => {
      terminal.write(new Uint8Array(0), () => {
        sizing.sessionResized(size);
      });
    });
  },
  signInRequired: () => {
    tokens.requestToken();
  },
});

// A session shared to watch only says so for as long as this tab shows it.
function showReadOnly(): void {
  const readOnly = connection.state.kind === "connected" && connection.role === "view";
  readOnlyBadge.hidden = !readOnly;
  uploads.setAllowed(connection.role !== "view");
  document.body.classList.toggle("read-only", readOnly);
}

// Input: keyboard and pastes as UTF-8 binary frames; Enter after an exit starts a new session.
// While a snapshot is being written, xterm.js answers the questions in it by itself: those
// answers belong to the program that asked, long ago, not to the one running now, so they are
// dropped; the user's keys go on (user-input.ts tells the two apart). Keys typed while
// disconnected are not kept for later (the screen they were typed at may be gone by then): the
// status bar says they were not sent.
const encoder = new TextEncoder();
const fromUser = userInputTracker(terminal);
function send(bytes: Uint8Array<ArrayBuffer>, user: boolean): void {
  if (writingSnapshots > 0 && !user) {
    return;
  }
  if (!connection.sendInput(bytes)) {
    statusBar.inputNotSent();
  }
}
terminal.onData((data) => {
  const user = fromUser();
  if (connection.state.kind === "exited") {
    if (data === "\r") {
      connection.restart();
    }
    return;
  }
  send(encoder.encode(data), user);
});
terminal.onBinary((data) => {
  // Mouse reports in X10 mode (xterm.js sends no answers this way): one byte per character.
  send(
    Uint8Array.from(data, (character) => character.charCodeAt(0) & 0xff),
    true,
  );
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
    statusBar.notice("Copying needs clipboard access; use the browser's menu instead.", COPY_NOTICE_MS);
  });
}

// OSC 52: programs may write the clipboard (never read it); read-only viewers take no writes.
installClipboardOsc({
  parser: terminal.parser,
  // Outside a secure context there is no async clipboard: that rejects too, and says so.
  write: (text) => Promise.resolve().then(() => navigator.clipboard.writeText(text)),
  allowed: () => connection.role !== "view",
  notice: (text) => {
    statusBar.notice(text, COPY_NOTICE_MS);
  },
});

// Find (Ctrl+Shift+F), the settings panel (the gear, Ctrl+,), the font size keys, the visual
// bell and the mouse's clipboard habits (docs/ui.md).
const searchBar: SearchBar = new SearchBar(document, {
  load: () => {
    openTerminalLate(); // Its highlights are drawn by the opened terminal.
    loadSearchAddon(terminal).then(
      (search) => {
        searchBar.attach(search);
      },
      () => {
        searchBar.loadFailed();
      },
    );
  },
  decorations: () => THEMES[appearance.theme].search,
  selection: () => terminal.getSelection(),
  closed: () => {
    terminal.focus();
  },
});
const readable = clipboardReadable(navigator.clipboard, window.isSecureContext);
const settingsPanel = new SettingsPanel(document, {
  settings,
  clipboardReadable: readable,
  closed: () => {
    terminal.focus();
  },
});
const sessionsPanel = new SessionsPanel(document, {
  api: new SessionApi({ fetch: (input, init) => fetch(input, init), base: window.location.href, token: () => tokens.token }),
  current: () => connection.sessionId,
  attach: (id) => {
    connection.attach(id);
  },
  link: (id) => sessionLink(window.location.href, id),
  copy: (text) => navigator.clipboard.writeText(text),
  now: () => Date.now(),
  closed: () => {
    terminal.focus();
  },
});
// Only one panel at a time.
sessionsPanel.button.addEventListener("click", () => {
  settingsPanel.close(false);
});
settingsPanel.button.addEventListener("click", () => {
  sessionsPanel.close(false);
});
const bellLayer = document.createElement("div");
bellLayer.id = "bell";
document.body.prepend(uploads.button, sessionsPanel.button, settingsPanel.button, readOnlyBadge);
document.body.append(searchBar.element, settingsPanel.element, sessionsPanel.element, links.dialog.element, links.tooltip.element, bellLayer);
document.body.append(uploads.input, uploads.dropHint, transfers.element);
installShortcuts(window, (shortcut) => {
  if (shortcut === "find") {
    searchBar.open();
  } else if (shortcut === "settings") {
    settingsPanel.toggle();
  } else if (shortcut === "font-reset") {
    settings.reset("fontSize");
  } else {
    settings.set("fontSize", stepFontSize(settings.settings.fontSize, shortcut === "font-bigger" ? 1 : -1));
  }
});
// An embedding page may change the settings in the fragment while the UI runs (token-messaging.ts
// has already taken any new token out of it).
window.addEventListener("hashchange", () => {
  const linked = takeFragmentSession(window.location, window.history);
  // `#session=new` counts when the page loads; here it is only taken out of the address.
  if (linked !== null && linked !== NEW_SESSION) {
    connection.attach(linked);
  }
  settings.applyFragment(window.location.hash);
});
// Closing the tab of a running session asks first (the "Ask before closing" setting).
installCloseGuard(window, () => settings.settings.confirmClose && connection.state.kind === "connected");
const bell = new VisualBell(bellLayer, window);
terminal.onBell(() => {
  if (settings.settings.visualBell) {
    bell.ring();
  }
});
installMouseClipboard({
  element: element("terminal"),
  window,
  terminal,
  clipboard: readable ? navigator.clipboard : undefined,
  copyOnSelect: () => settings.settings.copyOnSelect,
  rightClickPaste: () => settings.settings.rightClickPaste,
  copy: copySelection,
  notice: (text) => {
    statusBar.notice(text, NOTICE_MS);
  },
});

// Follow the window: refit (debounced); xterm reports a real change of cols/rows via onResize.
let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    sizing.refit();
    followCursorSoon();
  }, RESIZE_DEBOUNCE_MS);
}).observe(element("terminal"));
terminal.onResize(({ cols, rows }) => {
  connection.resize(cols, rows);
  followCursorSoon();
});
// A watcher's screen taller than its window follows the cursor's row (session-size.ts), once a
// frame at most.
let followQueued = false;
function followCursorSoon(): void {
  if (!watching || followQueued) {
    return;
  }
  followQueued = true;
  window.requestAnimationFrame(() => {
    followQueued = false;
    const box = element("terminal");
    const screen = terminal.element?.querySelector<HTMLElement>(".xterm-screen");
    if (!watching || screen === undefined || screen === null || box.scrollHeight <= box.clientHeight) {
      return;
    }
    const rowHeight = screen.clientHeight / terminal.rows;
    const top = screen.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop + terminal.buffer.active.cursorY * rowHeight;
    followCursor(box, { top, bottom: top + rowHeight });
  });
}
terminal.onCursorMove(followCursorSoon);

// The network came back: do not wait out the backoff.
window.addEventListener("online", () => {
  connection.retryNow();
});

/** Rows `from` to `to` (exclusive) of the active buffer, each without trailing blanks. */
function bufferRows(from: number, to: number): string {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = from; row < to; row++) {
    lines.push(buffer.getLine(row)?.translateToString(true) ?? "");
  }
  return lines.join("\n");
}

const hook: WebTerminalHook = Object.freeze({
  screenText: () => bufferRows(terminal.buffer.active.viewportY, terminal.buffer.active.viewportY + terminal.rows),
  bufferText: () => bufferRows(0, terminal.buffer.active.length),
  cursor: () => ({ x: terminal.buffer.active.cursorX, y: terminal.buffer.active.cursorY }),
  activeBuffer: () => terminal.buffer.active.type,
  outputBytes: () => processedBytes,
  snapshotsWritten: () => snapshotsWritten,
  state: () => connection.state.kind,
  sessionId: () => connection.sessionId,
  role: () => connection.role,
  size: () => ({ cols: terminal.cols, rows: terminal.rows }),
  renderer: () => renderer,
  settings: () => ({ ...settings.settings }),
  theme: () => appearance.theme,
  fontSize: () => terminal.options.fontSize ?? 0,
  selection: () => terminal.getSelection(),
  searchResults: () => searchBar.results,
  linkTooltip: () => links.tooltip.shown,
  imagesLoaded: () => images.ready,
});
Object.defineProperty(window, "webTerminal", { value: hook, writable: false, configurable: false });

connection.start();
terminal.focus();
