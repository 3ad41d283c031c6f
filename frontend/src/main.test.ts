// The wiring of main.ts: each test loads the UI into a fresh page (happy-dom), with xterm.js and
// its addons replaced by fakes (they need a real layout and canvas) and a fake WebSocket at the
// browser's edge. Everything between those, the connection, the tokens and the status bar, is real.
// The end-to-end test drives the real thing in Chromium; this covers what it cannot reach cheaply:
// a terminal without WebGL, a clipboard that says no, a blank title, the snapshot's input guard.
// A page per test, not Vitest's happy-dom environment (one window per file): main.ts runs once per
// page and defines `window.webTerminal` for good, so it cannot be loaded twice into one window.
import { Window } from "happy-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_EVERY_BYTES } from "./reconnect";
import { STORAGE_KEY } from "./settings";
import { INPUT_LOST_TEXT } from "./status-bar";
import type { WebTerminalHook } from "./test-hook";
import { THEMES } from "./themes";

const SESSION_A = "a".repeat(32);
const SESSION_B = "b".repeat(32);

// The fakes, shared with the vi.mock factories (which are hoisted above the imports).
const xterm = vi.hoisted(() => {
  interface Disposable {
    dispose(): void;
  }
  type Listener<T> = (value: T) => void;

  function listener<T>(set: (callback: Listener<T>) => void): (callback: Listener<T>) => Disposable {
    return (callback) => {
      set(callback);
      return { dispose: () => undefined };
    };
  }

  /** What main.ts uses of xterm.js's Terminal; the test plays the user and the renderer. */
  class FakeTerminal {
    cols = 80;
    rows = 24;
    readonly unicode = { activeVersion: "6" };
    readonly addons: object[] = [];
    parent: HTMLElement | null = null;
    /** Writes in order; `done` is xterm's callback once it has processed the bytes. */
    readonly writes: { text: string; done: () => void }[] = [];
    resets = 0;
    focusCalls = 0;
    selection = "";
    /** The buffer's lines from the top of the viewport. */
    lines: string[] = [];
    binaryTyped: Listener<string> = () => undefined;
    titleChanged: Listener<string> = () => undefined;
    resized: Listener<{ cols: number; rows: number }> = () => undefined;
    bell: () => void = () => undefined;
    readonly pasted: string[] = [];
    keyHandler: (event: KeyboardEvent) => boolean = () => true;
    /** The OSC handlers registered on the parser, by identifier. */
    readonly osc = new Map<number, (data: string) => boolean>();
    readonly parser = {
      registerOscHandler: (ident: number, callback: (data: string) => boolean): Disposable => {
        this.osc.set(ident, callback);
        return { dispose: () => undefined };
      },
    };

    /** How many WebSockets the page had opened when it built the terminal. */
    readonly socketsBefore = (globalThis.WebSocket as unknown as { created: unknown[] }).created.length;

    constructor(readonly options: Record<string, unknown>) {
      // As xterm.js: the size given, else 80 × 24.
      this.cols = typeof options.cols === "number" ? options.cols : 80;
      this.rows = typeof options.rows === "number" ? options.rows : 24;
      xterm.terminals.push(this);
    }

    loadAddon(addon: object): void {
      if (addon instanceof FakeWebglAddon && this.parent === null) {
        throw new Error("the WebGL addon needs an opened terminal");
      }
      this.addons.push(addon);
    }
    open(parent: HTMLElement): void {
      this.parent = parent;
    }
    resize(cols: number, rows: number): void {
      this.cols = cols;
      this.rows = rows;
    }
    write(data: Uint8Array, done: () => void): void {
      this.writes.push({ text: new TextDecoder().decode(data), done });
    }
    reset(): void {
      this.resets += 1;
    }
    focus(): void {
      this.focusCalls += 1;
    }
    hasSelection(): boolean {
      return this.selection !== "";
    }
    getSelection(): string {
      return this.selection;
    }
    attachCustomKeyEventHandler(handler: (event: KeyboardEvent) => boolean): void {
      this.keyHandler = handler;
    }
    paste(text: string): void {
      this.pasted.push(text);
    }
    /** What the UI types itself (the key bar): xterm.js passes it to onData, as typed keys. */
    readonly modes = { applicationCursorKeysMode: false, mouseTrackingMode: "none" };
    input(data: string): void {
      this.typed(data);
    }
    /** xterm.js's core: it says which data is the user's (user-input.ts). */
    readonly _core = {
      coreService: {
        onUserInput: (callback: () => void) => {
          this.userInput = callback;
        },
      },
    };
    private userInput: () => void = () => undefined;
    private dataListener: (data: string) => void = () => undefined;
    /** The user types (keys, a paste, the key bar). */
    typed(data: string): void {
      this.userInput();
      this.dataListener(data);
    }
    /** xterm.js answers a program's question by itself. */
    answered(data: string): void {
      this.dataListener(data);
    }
    onData = listener<string>((callback) => (this.dataListener = callback));
    onBinary = listener<string>((callback) => (this.binaryTyped = callback));
    onTitleChange = listener<string>((callback) => (this.titleChanged = callback));
    onResize = listener<{ cols: number; rows: number }>((callback) => (this.resized = callback));
    cursorMoved: () => void = () => undefined;
    onCursorMove(callback: () => void): Disposable {
      this.cursorMoved = callback;
      return { dispose: () => undefined };
    }
    onBell(callback: () => void): Disposable {
      this.bell = callback;
      return { dispose: () => undefined };
    }
    get buffer() {
      const lines = this.lines;
      return {
        active: {
          viewportY: 0,
          getLine: (row: number) => {
            const line = lines[row];
            return line === undefined
              ? undefined
              : {
                  translateToString: (trimRight: boolean, start = 0, end?: number) => {
                    const part = line.slice(start, end);
                    return trimRight ? part.trimEnd() : part;
                  },
                };
          },
        },
      };
    }
  }

  class FakeWebglAddon {
    disposed = false;
    contextLost: () => void = () => undefined;
    constructor() {
      if (!xterm.webglAvailable) {
        throw new Error("WebGL2 is not supported");
      }
      xterm.webgl.push(this);
    }
    onContextLoss(callback: () => void): Disposable {
      this.contextLost = callback;
      return { dispose: () => undefined };
    }
    dispose(): void {
      this.disposed = true;
    }
  }

  /** The search addon: records each find; the test reports results as the addon would. */
  class FakeSearchAddon {
    readonly finds: { how: "next" | "previous"; term: string; options: Record<string, unknown> }[] = [];
    cleared = 0;
    results: Listener<{ resultIndex: number; resultCount: number }> = () => undefined;
    constructor(readonly options: Record<string, unknown>) {
      xterm.search.push(this);
    }
    findNext(term: string, options: Record<string, unknown>): boolean {
      this.finds.push({ how: "next", term, options });
      return true;
    }
    findPrevious(term: string, options: Record<string, unknown>): boolean {
      this.finds.push({ how: "previous", term, options });
      return true;
    }
    clearDecorations(): void {
      this.cleared += 1;
    }
    onDidChangeResults = listener<{ resultIndex: number; resultCount: number }>((callback) => (this.results = callback));
  }

  /** The image addon: only its options; the browser test draws real images. */
  class FakeImageAddon {
    constructor(readonly options: Record<string, unknown>) {
      xterm.images.push(this);
    }
  }

  /** What the web-links addon was given: the click handler and the hover callbacks. */
  class FakeWebLinksAddon {
    readonly addon = "web-links";
    constructor(handler: (event: MouseEvent, uri: string) => void, options: { hover(event: MouseEvent, uri: string): void; leave(): void }) {
      xterm.webLinks.push({ handler, options });
    }
  }

  const xterm = {
    terminals: [] as FakeTerminal[],
    webgl: [] as FakeWebglAddon[],
    search: [] as FakeSearchAddon[],
    images: [] as FakeImageAddon[],
    webLinks: [] as { handler: (event: MouseEvent, uri: string) => void; options: { hover(event: MouseEvent, uri: string): void; leave(): void } }[],
    webglAvailable: true,
    /** What the renderer probe says: a WebGL2 context without a major performance caveat. */
    webglHardware: true,
    fits: 0,
    FakeTerminal,
    FakeWebglAddon,
    FakeSearchAddon,
    FakeImageAddon,
    FakeWebLinksAddon,
  };
  return xterm;
});

vi.mock("@xterm/xterm", () => ({ Terminal: xterm.FakeTerminal }));
vi.mock("@xterm/addon-webgl", () => ({ WebglAddon: xterm.FakeWebglAddon }));
vi.mock("./renderer", async (original) => ({
  ...(await original<typeof import("./renderer")>()),
  hardwareWebgl: () => xterm.webglHardware,
}));
vi.mock("@xterm/addon-fit", () => ({
  FitAddon: class {
    fit(): void {
      xterm.fits += 1;
    }
  },
}));
vi.mock("@xterm/addon-search", () => ({ SearchAddon: xterm.FakeSearchAddon }));
vi.mock("@xterm/addon-unicode11", () => ({
  Unicode11Addon: class {
    readonly addon = "unicode11";
  },
}));
vi.mock("@xterm/addon-web-links", () => ({ WebLinksAddon: xterm.FakeWebLinksAddon }));
vi.mock("@xterm/addon-image", () => ({ ImageAddon: xterm.FakeImageAddon }));

/** The browser's WebSocket as socket.ts uses it; the test plays the server. */
class FakeWebSocket {
  static readonly OPEN = 1;
  static created: FakeWebSocket[] = [];

  binaryType = "blob";
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly sent: (string | Uint8Array)[] = [];
  closedByClient = false;

  constructor(readonly url: string) {
    FakeWebSocket.created.push(this);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {
    this.closedByClient = true;
  }

  /** The JSON control messages the UI sent. */
  messages(): unknown[] {
    return this.sent.filter((data): data is string => typeof data === "string").map((data) => JSON.parse(data) as unknown);
  }
  /** The binary frames (input) the UI sent, as text. */
  input(): string[] {
    return this.sent.filter((data): data is Uint8Array => typeof data !== "string").map((data) => new TextDecoder().decode(data));
  }

  // The server's side.
  accept(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
  text(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  bytes(text: string): void {
    this.onmessage?.({ data: new TextEncoder().encode(text).buffer });
  }
  closeWith(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

class FakeResizeObserver {
  static callback: () => void = () => undefined;
  static observed: unknown[] = [];
  constructor(callback: () => void) {
    FakeResizeObserver.callback = callback;
  }
  observe(target: unknown): void {
    FakeResizeObserver.observed.push(target);
  }
}

interface Page {
  window: Window;
  terminal: InstanceType<typeof xterm.FakeTerminal>;
  hook: WebTerminalHook;
  clipboard: ReturnType<typeof vi.fn<(text: string) => Promise<void>>>;
  fetch: ReturnType<typeof vi.fn<(input: string, init?: RequestInit) => Promise<Response>>>;
  /** The latest WebSocket the UI opened. */
  socket(): FakeWebSocket;
  /** The status bar's text. */
  status(): string;
  /** Lets promises (the UI configuration, the clipboard) settle. */
  settle(): Promise<void>;
}

let page: Window | null = null;

/**
 * Loads main.ts into a fresh page at `url`, as a browser would load index.html; `prepare` sets the
 * page up first (what the tab kept from before a reload).
 */
async function load(url = "https://term.example/", prepare: (window: Window) => void = () => undefined, boot = false): Promise<Page> {
  const window = new Window({ url });
  page = window;
  window.document.body.innerHTML = '<main id="terminal"></main><div id="status" hidden></div>';
  prepare(window);
  // The page's timers are the test's fake timers.
  Object.assign(window, {
    setTimeout: (callback: () => void, ms?: number) => setTimeout(callback, ms),
    clearTimeout: (handle?: ReturnType<typeof setTimeout>) => {
      clearTimeout(handle);
    },
  });
  const clipboard = vi.fn<(text: string) => Promise<void>>(() => Promise.resolve());
  const fetch = vi.fn<(input: string, init?: RequestInit) => Promise<Response>>(() =>
    Promise.resolve(Response.json({ embed_origins: [], auth: true })),
  );
  vi.stubGlobal("window", window);
  vi.stubGlobal("document", window.document);
  vi.stubGlobal("navigator", { clipboard: { writeText: clipboard } });
  vi.stubGlobal("fetch", fetch);
  vi.stubGlobal("WebSocket", FakeWebSocket);
  vi.stubGlobal("ResizeObserver", FakeResizeObserver);

  if (boot) {
    // What boot.ts does first: the socket, with the handshake where it can go early.
    const { startEarlyHandshake } = await import("./early-handshake");
    startEarlyHandshake(window as unknown as globalThis.Window);
  }
  await import("./main");

  const terminal = xterm.terminals.at(-1);
  const hook = (window as unknown as { webTerminal?: WebTerminalHook }).webTerminal;
  if (terminal === undefined || hook === undefined) {
    throw new Error("main.ts did not start");
  }
  const status = window.document.getElementById("status");
  return {
    window,
    terminal,
    hook,
    clipboard,
    fetch,
    socket() {
      const socket = FakeWebSocket.created.at(-1);
      if (socket === undefined) {
        throw new Error("no WebSocket yet");
      }
      return socket;
    },
    status: () => status?.textContent ?? "",
    settle: async () => {
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

/** Loads the UI and completes the handshake of a new session, with a snapshot if `snapshot`. */
async function connected(snapshot = false): Promise<Page> {
  const ui = await load();
  ui.socket().accept();
  ui.socket().text({ type: "opened", session: SESSION_A, ...(snapshot ? { snapshot: true } : {}) });
  return ui;
}

/** Connects, writes the first output and lets the browser be idle: WebGL and the image addon load then. */
async function firstOutput(ui: Page): Promise<void> {
  ui.socket().accept();
  ui.socket().text({ type: "opened", session: SESSION_A });
  ui.socket().bytes("$ ");
  ui.terminal.writes.at(-1)?.done();
  await ui.settle();
}

function element(ui: Page, selector: string): HTMLElement {
  return ui.window.document.querySelector(selector) as unknown as HTMLElement;
}

function key(window: Window, code: string, init: { ctrlKey?: boolean; shiftKey?: boolean; altKey?: boolean; type?: string } = {}): KeyboardEvent {
  const { type = "keydown", ctrlKey = true, shiftKey = true, altKey = false } = init;
  return new window.KeyboardEvent(type, { code, ctrlKey, shiftKey, altKey, cancelable: true }) as unknown as KeyboardEvent;
}

describe("main.ts", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.resetModules();
    xterm.terminals.length = 0;
    xterm.webgl.length = 0;
    xterm.search.length = 0;
    xterm.images.length = 0;
    xterm.webLinks.length = 0;
    xterm.webglAvailable = true;
    xterm.webglHardware = true;
    xterm.fits = 0;
    FakeWebSocket.created = [];
    FakeResizeObserver.observed = [];
  });

  afterEach(async () => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
    await page?.happyDOM.close();
    page = null;
  });

  it("sets up the terminal in #terminal, fitted, with wide characters and WebGL, and focuses it", async () => {
    const ui = await load();
    const element = ui.window.document.getElementById("terminal");
    expect(ui.terminal.parent).toBe(element);
    expect(ui.terminal.options).toMatchObject({ allowProposedApi: true, scrollback: 5000 });
    expect(ui.terminal.unicode.activeVersion).toBe("11");
    // The fit addon first. A first page load draws with the DOM renderer: the browser is asked
    // whether it draws WebGL on a GPU only once the first output is written and the browser is
    // idle; then WebGL and images, and search when the find bar opens.
    expect(ui.terminal.addons.slice(1)).toEqual([{ addon: "unicode11" }, { addon: "web-links" }]);
    expect(xterm.fits).toBe(1);
    expect(ui.hook.renderer()).toBe("dom");
    expect(ui.terminal.focusCalls).toBe(1);
    // The WebSocket first, so that its handshake overlaps building the terminal; it is the one the connection uses.
    expect(ui.terminal.socketsBefore).toBe(1);
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(xterm.images).toEqual([]);
    await firstOutput(ui);
    // Both fetched then (each a chunk of its own), in whichever order they arrive.
    expect(ui.terminal.addons.slice(3)).toHaveLength(2);
    expect(ui.terminal.addons).toEqual(expect.arrayContaining([xterm.webgl[0], xterm.images[0]]));
    expect(ui.hook.renderer()).toBe("webgl");
    // Fitted again: WebGL's cells are not quite the DOM renderer's.
    expect(xterm.fits).toBe(2);
    expect(xterm.search).toEqual([]);
    expect(FakeResizeObserver.observed).toEqual([element]);
    expect(ui.window.document.title).toBe("web-terminal");
  });

  describe("after an early attach (a reload)", () => {
    /** Loads the page as boot.ts does, in a tab that last sent 87 × 40, the size its window gives. */
    async function reloaded(): Promise<Page> {
      vi.stubGlobal(
        "OffscreenCanvas",
        class {
          getContext() {
            return { font: "", measureText: () => ({ width: 9, fontBoundingBoxAscent: 12, fontBoundingBoxDescent: 3 }) };
          }
        },
      );
      return load(
        "https://term.example/",
        (window) => {
          window.sessionStorage.setItem("web-terminal.session", SESSION_A);
          window.sessionStorage.setItem("web-terminal.size", "87x40");
          window.document.getElementById("terminal")?.setAttribute("style", "width: 800px; height: 600px");
        },
        true,
      );
    }

    it("writes the snapshot before it opens the terminal, at the size sent, then opens and focuses it", async () => {
      const ui = await reloaded();
      expect(ui.terminal.parent).toBeNull();
      expect([ui.terminal.cols, ui.terminal.rows]).toEqual([87, 40]);
      ui.socket().accept();
      ui.socket().text({ type: "opened", session: SESSION_A, snapshot: true });
      ui.socket().bytes("restored screen");
      await ui.settle();
      expect(ui.socket().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 87, rows: 40, resync: true, flow: true, draining: true, size: true }]);
      expect(ui.terminal.writes.map((write) => write.text)).toEqual(["restored screen"]);
      expect(ui.terminal.resets).toBe(0);
      expect(ui.terminal.parent).toBeNull();
      const focused = ui.terminal.focusCalls;
      ui.terminal.writes[0]?.done();
      expect(ui.terminal.parent).toBe(ui.window.document.getElementById("terminal"));
      expect(xterm.fits).toBe(1);
      expect(ui.terminal.focusCalls).toBe(focused + 1);
      expect(ui.hook.snapshotsWritten()).toBe(1);
    });

    it("draws the screen alone first where the server says which bytes do, then writes the whole snapshot", async () => {
      const ui = await reloaded();
      ui.socket().accept();
      const snapshot = "\x1bchistory\r\nscreen";
      const screen = [snapshot.indexOf("screen"), snapshot.length];
      ui.socket().text({ type: "opened", session: SESSION_A, snapshot: true, screen });
      ui.socket().bytes(snapshot);
      await ui.settle();
      // One write into the fresh terminal: the screen, the pause (an OSC with this page's token),
      // the whole snapshot.
      const written = ui.terminal.writes.map((write) => write.text);
      expect(written).toHaveLength(1);
      expect(ui.terminal.resets).toBe(0);
      const pause = new RegExp(String.raw`^screen\u001b\]7701;([0-9a-f]{32})\u0007(.*)$`, "s").exec(written[0] ?? "");
      expect(pause?.[2]).toBe(snapshot);
      const handler = ui.terminal.osc.get(7701);
      expect(handler?.("not the token")).toBe(false);
      expect(ui.terminal.parent).toBeNull();

      // xterm.js reaches the pause: the screen is written, the terminal opens and takes input.
      ui.terminal.answered("\x1b[1;1R"); // An answer while the screen is written: not sent.
      const resumed = handler?.(pause?.[1] ?? "") as unknown as Promise<boolean>;
      expect(ui.terminal.parent).toBe(ui.window.document.getElementById("terminal"));
      ui.terminal.typed("a");
      expect(ui.socket().input()).toEqual(["a"]);
      // Once the frame is drawn (here: the longest wait), the whole snapshot is written.
      await vi.advanceTimersByTimeAsync(100);
      await expect(resumed).resolves.toBe(true);
      ui.terminal.answered("\x1b[1;1R");
      expect(ui.socket().input()).toEqual(["a"]);
      ui.terminal.writes[0]?.done();
      expect(ui.hook.snapshotsWritten()).toBe(1);
      ui.terminal.typed("b");
      expect(ui.socket().input()).toEqual(["a", "b"]);
    });

    it("opens the terminal after half a second without a snapshot", async () => {
      const waited = await reloaded();
      await vi.advanceTimersByTimeAsync(499);
      expect(waited.terminal.parent).toBeNull();
      await vi.advanceTimersByTimeAsync(1);
      expect(waited.terminal.parent).not.toBeNull();
    });

    it("opens the terminal when the connection ends up elsewhere", async () => {
      const refused = await reloaded();
      refused.socket().accept();
      refused.socket().closeWith(4403, "not yours");
      await refused.settle();
      expect(refused.terminal.parent).not.toBeNull();
    });
  });

  it("opens a session next to the page with the terminal's size and the fragment's token, which leaves the address bar", async () => {
    const ui = await load("https://term.example/terminal/#token=secret");
    expect(ui.window.location.href).toBe("https://term.example/terminal/");
    expect(ui.fetch).toHaveBeenCalledWith("https://term.example/terminal/api/v1/ui-config", expect.anything());
    expect(ui.socket().url).toBe("wss://term.example/terminal/api/v1/ws");
    expect(ui.hook.state()).toBe("connecting");
    expect(ui.status()).toBe("Connecting…");

    ui.terminal.cols = 100;
    ui.terminal.rows = 30;
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "open", cols: 100, rows: 30, resync: true, flow: true, draining: true, size: true, token: "secret" }]);
    ui.socket().text({ type: "opened", session: SESSION_A });
    expect(ui.hook.state()).toBe("connected");
    expect(ui.hook.sessionId()).toBe(SESSION_A);
    expect(ui.hook.size()).toEqual({ cols: 100, rows: 30 });
    expect(ui.window.document.body.dataset.state).toBe("connected");
    expect(ui.window.sessionStorage.getItem("web-terminal.session")).toBe(SESSION_A);
  });

  it("reattaches after a reload to the session and with the token this tab kept", async () => {
    const ui = await load("https://term.example/", (window) => {
      window.sessionStorage.setItem("web-terminal.session", SESSION_A);
      window.sessionStorage.setItem("web-terminal.token", "kept");
    });
    expect(ui.hook.sessionId()).toBe(SESSION_A);
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "kept" }]);
  });

  it("attaches to the session of a #session= link, which leaves the address bar with the token", async () => {
    const ui = await load(`https://term.example/#token=secret&session=${SESSION_B}&theme=light`, (window) => {
      window.sessionStorage.setItem("web-terminal.session", SESSION_A);
    });
    expect(ui.window.location.href).toBe("https://term.example/#theme=light");
    expect(ui.hook.theme()).toBe("light");
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "attach", session: SESSION_B, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "secret" }]);
    ui.socket().text({ type: "opened", session: SESSION_B, role: "owner" });
    expect(ui.hook.role()).toBe("owner");

    // A link pasted into the address bar of the open tab switches it.
    ui.window.location.hash = `#session=${SESSION_A}`;
    await ui.settle();
    expect(ui.window.location.href).toBe("https://term.example/");
    ui.socket().accept();
    expect(ui.socket().messages()).toMatchObject([{ type: "attach", session: SESSION_A }]);
  });

  it("opens a session of its own for #session=new, whatever the tab's storage kept", async () => {
    const ui = await load("https://term.example/#session=new", (window) => {
      window.sessionStorage.setItem("web-terminal.session", SESSION_A);
      window.sessionStorage.setItem("web-terminal.token", "kept");
    });
    expect(ui.window.location.href).toBe("https://term.example/");
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "kept" }]);
  });

  it("offers a new session in a new tab while its server drains", async () => {
    const ui = await load();
    const opened: string[] = [];
    ui.window.open = (url?: string | URL) => {
      opened.push(String(url));
      return null;
    };
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, role: "owner" });
    ui.socket().text({ type: "draining", seconds_left: 1800 });
    const status = element(ui, "#status");
    expect(status.textContent).toContain("This server is being replaced");
    const button = status.querySelector("button");
    expect(button?.textContent).toBe("New session");
    button?.click();
    expect(opened).toEqual(["https://term.example/#session=new"]);
  });

  it("shows a lasting Read-only badge while connected to a session shared to watch", async () => {
    const ui = await load();
    const badge = element(ui, "#read-only");
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, role: "write" });
    expect(badge.hidden).toBe(true);
    ui.socket().text({ type: "readonly" });
    expect(badge.hidden).toBe(false);
    expect(badge.textContent).toBe("Read-only");
    expect(ui.window.document.body.classList.contains("read-only")).toBe(true);
    // It stays after the status bar's notice is gone.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(badge.hidden).toBe(false);
    ui.socket().closeWith(1006);
    expect(badge.hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, role: "view" });
    expect(badge.hidden).toBe(false);
  });

  it("draws a session shared to watch at the session's size, in order with its output, not at the window's", async () => {
    const ui = await load();
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, snapshot: true, role: "view" });
    ui.socket().text({ type: "size", cols: 120, rows: 40 });
    ui.socket().bytes("snapshot");
    ui.socket().bytes("output");
    ui.socket().text({ type: "size", cols: 100, rows: 30 });
    ui.socket().bytes("later");
    await ui.settle();
    const writes = ui.terminal.writes;
    expect(writes.map((write) => write.text)).toEqual(["", "snapshot", "output", "", "later"]);
    const size = () => [ui.terminal.cols, ui.terminal.rows];
    const before = size();
    writes[0]?.done();
    expect(size()).toEqual([120, 40]);
    writes[1]?.done();
    writes[2]?.done();
    expect(size()).toEqual([120, 40]);
    writes[3]?.done();
    expect(size()).toEqual([100, 30]);
    expect(before).not.toEqual([100, 30]);

    // The window changes: a watcher stays at the session's size, and sends no size of its own.
    const fits = xterm.fits;
    FakeResizeObserver.callback();
    vi.advanceTimersByTime(1_000);
    expect(xterm.fits).toBe(fits);
    expect(size()).toEqual([100, 30]);
    ui.terminal.resized({ cols: 100, rows: 30 });
    expect(ui.socket().messages().filter((message) => (message as { type: string }).type === "resize")).toEqual([]);

    // Allowed to type after all (a new share, attached again): the window's size again.
    ui.socket().closeWith(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, snapshot: true, role: "write" });
    expect(xterm.fits).toBeGreaterThan(fits);
  });

  it("asks before the tab of a live session closes, unless the setting is off", async () => {
    const unload = (ui: Page): boolean => {
      const event = new ui.window.Event("beforeunload", { cancelable: true });
      ui.window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    const ui = await load();
    expect(unload(ui)).toBe(false);
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A });
    expect(unload(ui)).toBe(true);
    ui.window.location.hash = "#confirmClose=false";
    await ui.settle();
    expect(unload(ui)).toBe(false);
  });

  it("lists the sessions in the panel with the token in the header, and attaches to another", async () => {
    const ui = await connected();
    await ui.settle();
    ui.fetch.mockImplementation(() =>
      Promise.resolve(
        Response.json({
          sessions: [SESSION_A, SESSION_B].map((id) => ({ id, owner: "user:default/a", role: "owner", name: "", created: "", last_activity: "", viewers: 1, cols: 80, rows: 24, shares: [] })),
        }),
      ),
    );
    ui.window.sessionStorage.setItem("web-terminal.token", "kept");
    const button = element(ui, "#sessions-button") as HTMLButtonElement;
    button.click();
    await ui.settle();
    expect(ui.fetch).toHaveBeenCalledWith("https://term.example/api/v1/sessions", expect.objectContaining({ method: "GET" }));
    const panel = element(ui, "#sessions");
    expect(panel.hidden).toBe(false);
    expect(panel.querySelectorAll(".session")).toHaveLength(2);
    expect(panel.querySelector(".session.current")?.getAttribute("data-session")).toBe(SESSION_A);
    (element(ui, "#settings-button") as HTMLButtonElement).click();
    expect(panel.hidden).toBe(true);
    button.click();
    expect(element(ui, "#settings").hidden).toBe(true);
    await ui.settle();
    const attach = Array.from(panel.querySelectorAll("button")).find((candidate) => candidate.textContent === "Attach");
    attach?.click();
    expect(panel.hidden).toBe(true);
    ui.socket().accept();
    expect(ui.socket().messages()).toMatchObject([{ type: "attach", session: SESSION_B }]);
  });

  it("exposes a read-only test hook that reads the screen", async () => {
    const ui = await connected();
    ui.terminal.rows = 3;
    ui.terminal.lines = ["$ echo hi   ", "hi"];
    expect(ui.hook.screenText()).toBe("$ echo hi\nhi\n");
    const descriptor = Object.getOwnPropertyDescriptor(ui.window, "webTerminal");
    expect(descriptor).toMatchObject({ writable: false, configurable: false });
    expect(Object.isFrozen(ui.hook)).toBe(true);
  });

  it("writes output and acknowledges it only once the terminal has processed it", async () => {
    const ui = await connected();
    const output = "x".repeat(ACK_EVERY_BYTES);
    ui.socket().bytes(output);
    expect(ui.terminal.writes.map((write) => write.text)).toEqual([output]);
    expect(ui.socket().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);

    ui.terminal.writes[0]?.done();
    expect(ui.socket().messages().at(-1)).toEqual({ type: "ack", bytes: ACK_EVERY_BYTES });
  });

  it("resets the terminal for a snapshot (not the first, on a fresh terminal) and sends none of its answers, only the user's keys, until the snapshot is written", async () => {
    const ui = await connected(true);
    // The snapshot's own reset (ESC c) is left out on the fresh terminal, which needs none; kept
    // later, when output may still be queued in xterm.js.
    ui.socket().bytes("\x1bc$ ");
    ui.terminal.writes[0]?.done();
    expect(ui.terminal.resets).toBe(0);
    ui.socket().text({ type: "snapshot" });
    ui.socket().bytes("\x1bc\x1b[H\x1b[2Jscreen");
    expect(ui.terminal.resets).toBe(1);
    expect(ui.terminal.writes.map((write) => write.text)).toEqual(["$ ", "\x1bc\x1b[H\x1b[2Jscreen"]);

    // xterm.js answering a query inside the snapshot (say, a cursor position report): dropped.
    ui.terminal.answered("\x1b[1;1R");
    expect(ui.socket().input()).toEqual([]);
    expect(ui.status()).not.toContain(INPUT_LOST_TEXT);
    // The user typing meanwhile: sent.
    ui.terminal.typed("l");
    expect(ui.socket().input()).toEqual(["l"]);

    ui.terminal.writes[1]?.done();
    ui.terminal.typed("s\r");
    ui.terminal.answered("\x1b[?1;2c");
    expect(ui.socket().input()).toEqual(["l", "s\r", "\x1b[?1;2c"]);
  });

  it("holds output from the first image until the image addon is loaded, then writes it in order", async () => {
    const ui = await connected();
    ui.socket().bytes("$ ");
    ui.socket().bytes("\x1bPq#1~~\x1b\\");
    ui.socket().bytes("after");
    expect(ui.terminal.writes.map((write) => write.text)).toEqual(["$ "]);
    expect(ui.hook.imagesLoaded()).toBe(false);
    await ui.settle();
    expect(xterm.images).toHaveLength(1);
    expect(xterm.images[0]?.options).toEqual({ storageLimit: 64, pixelLimit: 4096 * 4096 });
    expect(ui.terminal.addons.at(-1)).toBe(xterm.images[0]);
    expect(ui.terminal.writes.map((write) => write.text)).toEqual(["$ ", "\x1bPq#1~~\x1b\\", "after"]);
    expect(ui.hook.imagesLoaded()).toBe(true);
  });

  it("loads the image addon once the first output is written, without waiting for an image", async () => {
    const ui = await connected();
    ui.socket().bytes("$ ");
    await ui.settle();
    expect(xterm.images).toEqual([]);
    ui.terminal.writes[0]?.done();
    await ui.settle();
    expect(xterm.images).toHaveLength(1);
    expect(ui.hook.imagesLoaded()).toBe(true);
  });

  it("writes OSC 52 text to the clipboard, never answers a read, and takes no writes as a read-only viewer", async () => {
    const ui = await connected();
    const osc52 = ui.terminal.osc.get(52);
    expect(osc52).toBeDefined();
    expect(osc52?.(`c;${btoa("from vim")}`)).toBe(true);
    await ui.settle();
    expect(ui.clipboard).toHaveBeenCalledWith("from vim");
    expect(osc52?.("c;?")).toBe(true);
    await ui.settle();
    expect(ui.socket().input()).toEqual([]);
    expect(ui.clipboard).toHaveBeenCalledTimes(1);

    ui.clipboard.mockRejectedValueOnce(new Error("denied"));
    osc52?.(`c;${btoa("again")}`);
    await ui.settle();
    expect(ui.status()).toContain("the browser did not allow it");

    ui.socket().text({ type: "readonly" });
    osc52?.(`c;${btoa("sneaky")}`);
    await ui.settle();
    expect(ui.clipboard).not.toHaveBeenCalledWith("sneaky");
  });

  it("fetches a download offer, but not one inside a snapshot or as a read-only viewer, who has no upload button", async () => {
    const ui = await connected(true);
    const osc = ui.terminal.osc.get(7337);
    const id = "ab".repeat(16);
    const offer = `download;id=${id};name=${btoa("a.txt")};bytes=1`;
    const downloads = () => ui.fetch.mock.calls.map(([url]) => url).filter((url) => url.includes("/downloads/"));
    ui.socket().bytes("\x1b[H\x1b[2Jscreen");
    // Inside the snapshot being written: an offer seen before.
    expect(osc?.(offer)).toBe(true);
    await ui.settle();
    expect(downloads()).toEqual([]);
    ui.terminal.writes[0]?.done();
    expect(osc?.(offer)).toBe(true);
    await ui.settle();
    expect(downloads()).toEqual([`https://term.example/api/v1/sessions/${SESSION_A}/downloads/${id}`]);
    expect(element(ui, "#upload-button").hidden).toBe(false);
    ui.socket().text({ type: "readonly" });
    expect(element(ui, "#upload-button").hidden).toBe(true);
    expect(osc?.(offer)).toBe(true);
    await ui.settle();
    expect(downloads()).toHaveLength(1);
  });

  it("shows a link's target on hover, opens it on Ctrl+click, and asks first when its text differs", async () => {
    const ui = await connected();
    const opened = vi.spyOn(ui.window, "open").mockReturnValue(null);
    const handler = ui.terminal.options.linkHandler as import("@xterm/xterm").ILinkHandler;
    const event = (ctrlKey: boolean) => ({ ctrlKey, metaKey: false, clientX: 20, clientY: 30 }) as MouseEvent;
    const range = { start: { x: 3, y: 1 }, end: { x: 6, y: 1 } };
    ui.terminal.lines = ["$ docs"];

    handler.hover?.(event(false), "https://example.com/docs", range);
    expect(ui.hook.linkTooltip()).toBe("https://example.com/docs");
    expect(element(ui, "#link-tooltip").textContent).toContain("Ctrl+click to open");
    handler.activate(event(false), "https://example.com/docs", range);
    expect(opened).not.toHaveBeenCalled();
    expect(element(ui, "#link-dialog").hidden).toBe(true);

    handler.activate(event(true), "https://example.com/docs", range);
    expect(opened).not.toHaveBeenCalled();
    expect(element(ui, "#link-dialog").hidden).toBe(false);
    expect(element(ui, "#link-dialog .link-text").textContent).toBe("docs");
    const openButton = [...element(ui, "#link-dialog").querySelectorAll("button")].find((button) => button.textContent === "Open link");
    openButton?.click();
    expect(opened).toHaveBeenCalledWith("https://example.com/docs", "_blank", "noopener,noreferrer");
    handler.leave?.(event(false), "https://example.com/docs", range);
    expect(ui.hook.linkTooltip()).toBeNull();

    // A plain URL is its own text: no question.
    xterm.webLinks[0]?.handler(event(true), "https://plain.example/");
    expect(opened).toHaveBeenLastCalledWith("https://plain.example/", "_blank", "noopener,noreferrer");
    handler.activate(event(true), "file:///etc/passwd", range);
    expect(opened).toHaveBeenCalledTimes(2);
    expect(ui.status()).toContain("Links to file: are not opened");
  });

  it("sends mouse reports one byte per character", async () => {
    const ui = await connected();
    ui.terminal.binaryTyped("\x1b[M \u0121\u00ff");
    const frame = ui.socket().sent.at(-1);
    expect(frame).toEqual(new Uint8Array([0x1b, 0x5b, 0x4d, 0x20, 0x21, 0xff]));
  });

  it("says that keys typed while disconnected were not sent", async () => {
    const ui = await connected();
    ui.socket().closeWith(1006);
    expect(ui.hook.state()).toBe("reconnecting");
    ui.terminal.typed("a");
    expect(ui.socket().input()).toEqual([]);
    expect(ui.status()).toContain(INPUT_LOST_TEXT);
  });

  it("sends the key bar's keys as typed keys go: while a snapshot is written too, not while disconnected", async () => {
    const ui = await load("https://term.example/?keybar=1");
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A, snapshot: true });
    const escape = ui.window.document.querySelector('#keybar [data-key="esc"]');
    const tap = () => escape?.dispatchEvent(new ui.window.PointerEvent("pointerdown", { bubbles: true, cancelable: true, button: 0 }));
    ui.socket().bytes("\x1b[H\x1b[2Jscreen");
    tap();
    expect(ui.socket().input()).toEqual(["\x1b"]);
    ui.terminal.writes[0]?.done();
    tap();
    expect(ui.socket().input()).toEqual(["\x1b", "\x1b"]);
    ui.socket().closeWith(1006);
    tap();
    expect(ui.socket().input()).toEqual(["\x1b", "\x1b"]);
    expect(ui.status()).toContain(INPUT_LOST_TEXT);
  });

  it("after an exit, starts a new session on Enter and ignores other keys", async () => {
    const ui = await connected();
    ui.socket().text({ type: "exit", code: 2 });
    ui.socket().closeWith(1000);
    expect(ui.hook.state()).toBe("exited");
    expect(ui.status()).toContain("Session exited with code 2");

    ui.terminal.typed("a");
    expect(FakeWebSocket.created).toHaveLength(1);
    ui.terminal.typed("\r");
    expect(FakeWebSocket.created).toHaveLength(2);
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
    ui.socket().text({ type: "opened", session: SESSION_B });
    expect(ui.hook.sessionId()).toBe(SESSION_B);
  });

  it("runs the status bar's button: a new session after an exit, an early retry while reconnecting", async () => {
    const ui = await connected();
    const button = () => {
      const found = ui.window.document.querySelector("#status button");
      if (found === null) {
        throw new Error(`no button in the status bar: ${ui.status()}`);
      }
      return found as unknown as HTMLButtonElement;
    };

    ui.socket().closeWith(1006);
    expect(button().textContent).toBe("Retry now");
    const focused = ui.terminal.focusCalls;
    button().click();
    expect(FakeWebSocket.created).toHaveLength(2);
    expect(ui.terminal.focusCalls).toBe(focused + 1);

    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_A });
    ui.socket().closeWith(1000);
    expect(button().textContent).toBe("New session");
    button().click();
    expect(FakeWebSocket.created).toHaveLength(3);
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true }]);
  });

  it("retries at once when the network comes back", async () => {
    const ui = await connected();
    ui.socket().closeWith(1006);
    expect(FakeWebSocket.created).toHaveLength(1);
    ui.window.dispatchEvent(new ui.window.Event("online"));
    expect(FakeWebSocket.created).toHaveLength(2);
  });

  it("shows the server's notice when the old session is gone", async () => {
    const ui = await connected();
    ui.socket().closeWith(1001);
    await vi.advanceTimersByTimeAsync(500);
    ui.socket().accept();
    ui.socket().text({ type: "opened", session: SESSION_B });
    expect(ui.status()).toContain("The server restarted; this is a new session.");
  });

  it("signs in again with a token pasted into the address bar after a 4401", async () => {
    const ui = await connected();
    await ui.settle(); // the UI configuration
    ui.socket().closeWith(4401, "token expired");
    expect(ui.hook.state()).toBe("sign-in-required");
    expect(ui.status()).toContain("Sign-in required: open this terminal with a valid token.");

    ui.window.location.hash = "#token=fresh";
    await ui.settle();
    expect(ui.window.location.href).toBe("https://term.example/");
    await vi.advanceTimersByTimeAsync(500);
    ui.socket().accept();
    expect(ui.socket().messages()).toEqual([{ type: "attach", session: SESSION_A, cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "fresh" }]);
  });

  it("copies the selection with Ctrl+Shift+C and leaves Ctrl+Shift+V to the browser", async () => {
    const ui = await connected();
    ui.terminal.selection = "selected text";
    const copy = key(ui.window, "KeyC");
    expect(ui.terminal.keyHandler(copy)).toBe(false);
    expect(copy.defaultPrevented).toBe(true);
    expect(ui.clipboard).toHaveBeenCalledWith("selected text");

    ui.terminal.selection = "";
    expect(ui.terminal.keyHandler(key(ui.window, "KeyC"))).toBe(false);
    expect(ui.clipboard).toHaveBeenCalledTimes(1);

    const paste = key(ui.window, "KeyV");
    expect(ui.terminal.keyHandler(paste)).toBe(false);
    expect(paste.defaultPrevented).toBe(false);

    // Everything else goes to the terminal: Ctrl+C, Ctrl+Alt+Shift+C, key-ups, other keys.
    expect(ui.terminal.keyHandler(key(ui.window, "KeyC", { shiftKey: false }))).toBe(true);
    expect(ui.terminal.keyHandler(key(ui.window, "KeyC", { altKey: true }))).toBe(true);
    expect(ui.terminal.keyHandler(key(ui.window, "KeyC", { type: "keyup" }))).toBe(true);
    expect(ui.terminal.keyHandler(key(ui.window, "KeyX"))).toBe(true);
    expect(ui.clipboard).toHaveBeenCalledTimes(1);
  });

  it("says so when the clipboard refuses", async () => {
    const ui = await connected();
    ui.clipboard.mockImplementation(() => Promise.reject(new Error("not allowed")));
    ui.terminal.selection = "selected text";
    ui.terminal.keyHandler(key(ui.window, "KeyC"));
    await ui.settle();
    expect(ui.status()).toContain("Copying needs clipboard access");
  });

  it("follows the terminal's title, and shows its own name for a blank one", async () => {
    const ui = await connected();
    ui.terminal.titleChanged("vim notes.txt");
    expect(ui.window.document.title).toBe("vim notes.txt");
    ui.terminal.titleChanged("  ");
    expect(ui.window.document.title).toBe("web-terminal");
  });

  it("refits once the window has stopped resizing, and sends the terminal's new size", async () => {
    const ui = await connected();
    for (let step = 0; step < 5; step++) {
      FakeResizeObserver.callback();
      vi.advanceTimersByTime(50);
    }
    expect(xterm.fits).toBe(1);
    vi.advanceTimersByTime(50);
    expect(xterm.fits).toBe(2);

    ui.terminal.resized({ cols: 120, rows: 40 });
    expect(ui.socket().messages().at(-1)).toEqual({ type: "resize", cols: 120, rows: 40 });
  });

  it("uses the DOM renderer where WebGL is unavailable", async () => {
    xterm.webglAvailable = false;
    const ui = await load();
    await firstOutput(ui);
    expect(ui.hook.renderer()).toBe("dom");
    expect(xterm.webgl).toEqual([]);
  });

  it("uses the DOM renderer where WebGL would run in software", async () => {
    xterm.webglHardware = false;
    const ui = await load();
    await firstOutput(ui);
    expect(ui.hook.renderer()).toBe("dom");
    expect(xterm.webgl).toEqual([]);
  });

  it("opens with the renderer this tab found before, without asking the browser again", async () => {
    xterm.webglHardware = false; // The probe would say software: it is not asked.
    const gpu = await load("https://term.example/", (window) => {
      window.sessionStorage.setItem("web-terminal.webgl", "gpu");
    });
    expect(gpu.hook.renderer()).toBe("webgl");
    expect(xterm.webgl).toHaveLength(1);
    await page?.happyDOM.close();
    vi.resetModules();
    xterm.webgl.length = 0;
    xterm.webglHardware = true;
    const software = await load("https://term.example/", (window) => {
      window.sessionStorage.setItem("web-terminal.webgl", "software");
    });
    await firstOutput(software);
    expect(software.hook.renderer()).toBe("dom");
    expect(xterm.webgl).toEqual([]);
  });

  it("uses WebGL even in software with ?renderer=webgl", async () => {
    xterm.webglHardware = false;
    const ui = await load("https://term.example/?renderer=webgl");
    await firstOutput(ui);
    expect(ui.hook.renderer()).toBe("webgl");
  });

  it("never tries WebGL with ?renderer=dom", async () => {
    const ui = await load("https://term.example/?renderer=dom");
    await firstOutput(ui);
    expect(ui.hook.renderer()).toBe("dom");
    expect(xterm.webgl).toEqual([]);
  });

  it("falls back to the DOM renderer when the WebGL context is lost", async () => {
    const ui = await load();
    await firstOutput(ui);
    const webgl = xterm.webgl[0];
    expect(ui.hook.renderer()).toBe("webgl");
    webgl?.contextLost();
    expect(webgl?.disposed).toBe(true);
    expect(ui.hook.renderer()).toBe("dom");
  });

  describe("settings, find and the mouse (docs/ui.md)", () => {
    /** `prefers-color-scheme: dark` as the test sets it, through the page's matchMedia (other queries keep theirs). */
    function darkScheme(window: Window, dark: { matches: boolean; changed?: () => void }): void {
      const original = window.matchMedia.bind(window);
      Object.assign(window, {
        matchMedia: (query: string) =>
          query !== "(prefers-color-scheme: dark)"
            ? original(query)
            : {
                media: query,
                get matches() {
                  return dark.matches;
                },
                addEventListener: (_type: string, listener: () => void) => {
                  dark.changed = listener;
                },
              },
      });
    }
    function press(ui: Page, init: { key: string; code: string; shiftKey?: boolean }): KeyboardEvent {
      const event = new ui.window.KeyboardEvent("keydown", { ctrlKey: true, bubbles: true, cancelable: true, ...init });
      ui.window.document.body.dispatchEvent(event);
      return event as unknown as KeyboardEvent;
    }
    const query = (ui: Page, selector: string) => ui.window.document.querySelector(selector) as unknown as HTMLElement;

    it("takes the fragment's settings over the stored ones, after the token has left the address bar and without storing it", async () => {
      const ui = await load("https://term.example/#token=secret&fontSize=18&theme=light&bogus=1", (window) => {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ fontSize: 12, cursorStyle: "bar" }));
      });
      expect(ui.window.location.href).toBe("https://term.example/#fontSize=18&theme=light&bogus=1");
      expect(ui.terminal.options).toMatchObject({ fontSize: 18, cursorStyle: "bar", theme: THEMES.light.terminal, allowProposedApi: true });
      expect(ui.window.document.documentElement.dataset.theme).toBe("light");
      expect(ui.hook.settings()).toMatchObject({ fontSize: 18, cursorStyle: "bar", theme: "light" });
      expect(ui.hook.theme()).toBe("light");
      expect(ui.window.localStorage.getItem(STORAGE_KEY)).toBe(JSON.stringify({ fontSize: 12, cursorStyle: "bar" }));
      ui.socket().accept();
      expect(ui.socket().messages()).toEqual([{ type: "open", cols: 80, rows: 24, resync: true, flow: true, draining: true, size: true, token: "secret" }]);
    });

    it("changes the font size with Ctrl+= / Ctrl+- / Ctrl+0, refits, and stores it, the keys kept from the terminal and the browser", async () => {
      const ui = await connected();
      const fits = xterm.fits;
      const bigger = press(ui, { key: "=", code: "Equal" });
      expect(bigger.defaultPrevented).toBe(true);
      expect(ui.terminal.options.fontSize).toBe(15);
      expect(ui.hook.fontSize()).toBe(15);
      expect(xterm.fits).toBeGreaterThan(fits);
      expect(JSON.parse(ui.window.localStorage.getItem(STORAGE_KEY) ?? "")).toEqual({ fontSize: 15 });

      press(ui, { key: "-", code: "Minus" });
      press(ui, { key: "-", code: "Minus" });
      expect(ui.terminal.options.fontSize).toBe(13);
      press(ui, { key: "0", code: "Digit0" });
      expect(ui.terminal.options.fontSize).toBe(14);
      expect(ui.window.localStorage.getItem(STORAGE_KEY)).toBeNull();
      expect(ui.socket().input()).toEqual([]);
    });

    it("opens the find bar with Ctrl+Shift+F and searches with the addon, in the theme's colours, reporting to the hook", async () => {
      const ui = await connected();
      expect(xterm.search).toEqual([]);
      press(ui, { key: "F", code: "KeyF", shiftKey: true });
      const bar = query(ui, "#find");
      const input = query(ui, "#find input") as HTMLInputElement;
      expect(bar.hidden).toBe(false);
      expect(ui.window.document.activeElement).toBe(input);

      // Typed before the addon is here: searched for once it is.
      input.value = "needle";
      input.dispatchEvent(new ui.window.Event("input") as unknown as Event);
      await ui.settle();
      expect(xterm.search).toHaveLength(1);
      expect(xterm.search[0]?.options).toEqual({ highlightLimit: 1000 });
      expect(ui.terminal.addons.at(-1)).toBe(xterm.search[0]);
      expect(xterm.search[0]?.finds).toEqual([
        {
          how: "previous",
          term: "needle",
          options: { caseSensitive: false, regex: false, incremental: true, decorations: THEMES[ui.hook.theme()].search },
        },
      ]);
      xterm.search[0]?.results({ resultIndex: 1, resultCount: 3 });
      expect(ui.hook.searchResults()).toEqual({ index: 1, count: 3 });
      expect(query(ui, "#find .find-count").textContent).toBe("2 of 3");

      const focused = ui.terminal.focusCalls;
      input.dispatchEvent(new ui.window.KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }) as unknown as Event);
      expect(bar.hidden).toBe(true);
      expect(xterm.search[0]?.cleared).toBe(1);
      expect(ui.hook.searchResults()).toBeNull();
      expect(ui.terminal.focusCalls).toBe(focused + 1);
    });

    it("opens the settings panel from the gear and applies a theme to the terminal, the page and the search highlights", async () => {
      const ui = await connected();
      const gear = query(ui, "#settings-button") as HTMLButtonElement;
      // The upload button, the sessions button, then the gear: first in the tab order, as they are on the screen.
      expect(ui.window.document.body.firstElementChild).toBe(query(ui, "#upload-button"));
      expect(ui.window.document.body.children[1]).toBe(query(ui, "#sessions-button"));
      expect(ui.window.document.body.children[2]).toBe(gear);
      gear.click();
      expect(query(ui, "#settings").hidden).toBe(false);

      const fits = xterm.fits;
      (query(ui, '#settings input[value="high-contrast"]') as HTMLInputElement).click();
      expect(ui.terminal.options.theme).toEqual(THEMES["high-contrast"].terminal);
      expect(ui.terminal.options.minimumContrastRatio).toBe(7);
      expect(ui.window.document.documentElement.dataset.theme).toBe("high-contrast");
      expect(xterm.fits).toBeGreaterThan(fits);
      expect(ui.hook.theme()).toBe("high-contrast");

      press(ui, { key: ",", code: "Comma" });
      expect(query(ui, "#settings").hidden).toBe(true);
    });

    it("follows the system's colour scheme while the theme is system, and highlights again in its colours", async () => {
      const dark = { matches: true } as { matches: boolean; changed?: () => void };
      const ui = await load("https://term.example/", (window) => {
        darkScheme(window, dark);
      });
      expect(ui.hook.theme()).toBe("dark");
      press(ui, { key: "F", code: "KeyF", shiftKey: true });
      const input = query(ui, "#find input") as HTMLInputElement;
      input.value = "x";
      input.dispatchEvent(new ui.window.Event("input") as unknown as Event);
      await ui.settle();

      dark.matches = false;
      dark.changed?.();
      expect(ui.hook.theme()).toBe("light");
      expect(ui.terminal.options.theme).toEqual(THEMES.light.terminal);
      expect(xterm.search[0]?.finds.at(-1)?.options.decorations).toEqual(THEMES.light.search);
    });

    it("applies settings from a changed fragment, whose new token is still taken out of the address bar", async () => {
      const ui = await connected();
      ui.window.location.hash = "#theme=high-contrast&token=fresh";
      await ui.settle();
      expect(ui.window.location.href).toBe("https://term.example/#theme=high-contrast");
      expect(ui.hook.theme()).toBe("high-contrast");
      expect(ui.window.sessionStorage.getItem("web-terminal.token")).toBe("fresh");
      expect(ui.window.localStorage.getItem(STORAGE_KEY)).toBeNull();
    });

    it("flashes on a bell with the visual bell on", async () => {
      const ui = await load("https://term.example/#visualBell=true");
      ui.terminal.bell();
      expect(query(ui, "#bell").classList.contains("bell-flash")).toBe(true);
    });

    it("does not flash on a bell by default", async () => {
      const ui = await load();
      ui.terminal.bell();
      expect(query(ui, "#bell").classList.contains("bell-flash")).toBe(false);
    });

    it("copies a mouse selection with copy-on-select on", async () => {
      const ui = await load("https://term.example/#copyOnSelect=true");
      const terminalElement = query(ui, "#terminal");
      terminalElement.dispatchEvent(new ui.window.MouseEvent("mousedown", { button: 0, bubbles: true }) as unknown as Event);
      ui.terminal.selection = "picked";
      ui.window.dispatchEvent(new ui.window.MouseEvent("mouseup", { button: 0 }));
      await ui.settle();
      expect(ui.clipboard).toHaveBeenCalledWith("picked");
    });
  });
});
