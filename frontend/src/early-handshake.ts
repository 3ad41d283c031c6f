// The page's first act (boot.ts runs it before the UI's code has even been fetched): open the
// WebSocket and, when the terminal's size can be known already, send the handshake (`open` or
// `attach`) the moment the socket opens. The server then starts the shell, or builds and sends the
// snapshot, while the UI's code loads and builds the terminal; what arrives meanwhile waits here,
// in order, until main.ts's connection adopts the socket (`adoptEarlySocket`).
//
// The size is the one FitAddon will give the terminal, worked out the same way from the window,
// the font and the page's layout (`estimateSize`). Where it may be wrong, nothing is sent early and
// the connection does what it did before, once the terminal exists: a new session (`open`) takes
// the estimate and a `resize` follows should the terminal fit otherwise; an `attach` goes early
// only when the estimate is the size this tab last sent (kept in sessionStorage), so a session is
// never resized to a guess.
import { encodeClientMessage } from "./protocol";
import { handshakeMessage, type Handshake, type TerminalSize } from "./handshake";
import { SettingsStore, terminalFontFamily, type Settings } from "./settings";
import { adoptSocket, openSocket, webSocketUrl, type SocketFactory, type SocketHandlers, type SocketLike } from "./socket";
import { SESSION_KEY, storageStore, TOKEN_KEY, type KeyValueStore } from "./token";

/** Where the size last sent for this tab's session is kept (sessionStorage): `COLSxROWS`. */
export const SIZE_KEY = "web-terminal.size";

/** Keeps the size just sent, for the next page load's early `attach`. */
export function rememberSize(store: KeyValueStore, size: TerminalSize): void {
  store.set(SIZE_KEY, `${size.cols}x${size.rows}`);
}

function rememberedSize(store: KeyValueStore): TerminalSize | null {
  const match = /^(\d+)x(\d+)$/.exec(store.get(SIZE_KEY) ?? "");
  return match === null ? null : { cols: Number(match[1]), rows: Number(match[2]) };
}

/** xterm.js's defaults that the estimate depends on (main.ts changes none of them but scrollback). */
const INITIAL_COLS = 80;
const INITIAL_ROWS = 24;
const SCROLLBAR_WIDTH = 14;
const MINIMUM_COLS = 2;
const MINIMUM_ROWS = 1;

/** What `estimateSize` reads of the page. */
export interface SizeInputs {
  /** The terminal's container (`#terminal`): its content box, as computed. */
  container: { width: number; height: number };
  devicePixelRatio: number;
  /** The width and height (ascent plus descent) of a `W` in the terminal's font, in CSS pixels. */
  glyph: { width: number; height: number };
}

/**
 * The columns and rows FitAddon gives a terminal in `container`: xterm.js's DOM renderer's cell
 * (the glyph's width, its height rounded up in device pixels, both rounded over the initial
 * 80 × 24 cells), less the scrollbar; null when something is not measurable.
 */
export function fitSize(inputs: SizeInputs): TerminalSize | null {
  const dpr = inputs.devicePixelRatio;
  const deviceWidth = inputs.glyph.width * dpr;
  const deviceHeight = Math.ceil(inputs.glyph.height * dpr);
  const cellWidth = Math.round((deviceWidth * INITIAL_COLS) / dpr) / INITIAL_COLS;
  const cellHeight = Math.round((deviceHeight * INITIAL_ROWS) / dpr) / INITIAL_ROWS;
  if (!(cellWidth > 0 && cellHeight > 0 && inputs.container.width > 0 && inputs.container.height > 0)) {
    return null;
  }
  return {
    cols: Math.max(MINIMUM_COLS, Math.floor((inputs.container.width - SCROLLBAR_WIDTH) / cellWidth)),
    rows: Math.max(MINIMUM_ROWS, Math.floor(inputs.container.height / cellHeight)),
  };
}

/** The terminal's size to be, from the page as it is now (see `fitSize`); null if unknown. */
export function estimateSize(win: Window, settings: Readonly<Settings>): TerminalSize | null {
  const container = win.document.getElementById("terminal");
  if (container === null || typeof OffscreenCanvas === "undefined") {
    return null;
  }
  const context = new OffscreenCanvas(1, 1).getContext("2d");
  if (context === null) {
    return null;
  }
  // As xterm.js measures (its TextMetricsMeasureStrategy).
  context.font = `${settings.fontSize}px ${terminalFontFamily(settings.fontFamily)}`;
  const metrics = context.measureText("W");
  const style = win.getComputedStyle(container);
  return fitSize({
    container: { width: parseInt(style.width, 10), height: parseInt(style.height, 10) },
    devicePixelRatio: win.devicePixelRatio,
    glyph: { width: metrics.width, height: metrics.fontBoundingBoxAscent + metrics.fontBoundingBoxDescent },
  });
}

/** A fragment that hands over a token or names a session: main.ts takes those, nothing goes early. */
const FRAGMENT_HANDOVER = /(?:^#?|&)(?:token|session)(?:=|&|$)/;

/**
 * The handshake to send as soon as the socket opens, or null: the one the connection would send,
 * for the stored session (or a new one) at `size`; an attach only at the size last sent.
 */
export function earlyHandshake(store: KeyValueStore, hash: string, size: TerminalSize | null): Handshake | null {
  if (size === null || FRAGMENT_HANDOVER.test(hash)) {
    return null;
  }
  const session = store.get(SESSION_KEY);
  if (session !== null) {
    const last = rememberedSize(store);
    if (last?.cols !== size.cols || last.rows !== size.rows) {
      return null;
    }
  }
  return handshakeMessage(session, size, store.get(TOKEN_KEY));
}

type SocketEvent = { kind: "open" } | { kind: "message"; data: string | ArrayBuffer } | { kind: "close"; code: number; reason: string };

/** A socket opened before anyone listens: it sends `first` on open and keeps what happens until adopted. */
export class EarlySocket {
  readonly url: string;
  /** The handshake sent on open, if any. */
  readonly first: Handshake | null;
  private readonly socket: WebSocket;
  private events: SocketEvent[] | null = [];
  private handlers: SocketHandlers | null = null;
  private settle: () => void = () => undefined;
  /** Resolves once the socket has opened (the handshake is sent) or closed. */
  readonly settled = new Promise<void>((resolve) => {
    this.settle = resolve;
  });

  constructor(socket: WebSocket, url: string, first: Handshake | null) {
    this.socket = socket;
    this.url = url;
    this.first = first;
    socket.onopen = () => {
      if (first !== null) {
        socket.send(encodeClientMessage(first));
      }
      this.deliver({ kind: "open" });
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      this.deliver({ kind: "message", data: event.data });
    };
    socket.onclose = (event: CloseEvent) => {
      this.deliver({ kind: "close", code: event.code, reason: event.reason });
    };
    socket.onerror = null;
  }

  /** Whether adopting it is of use: it is open or opening, or it carried the handshake. */
  get usable(): boolean {
    return this.socket.readyState <= WebSocket.OPEN || this.first !== null;
  }

  /**
   * Hands the socket to `handlers`: what happened so far is told in order, in a microtask (the
   * caller has its socket by then), then everything as it happens. `open` carries the handshake
   * already sent, which the caller must not send again.
   */
  adopt(handlers: SocketHandlers): SocketLike {
    queueMicrotask(() => {
      const events = this.events ?? [];
      this.events = null;
      this.handlers = handlers;
      for (const event of events) {
        this.dispatch(event);
      }
    });
    const socket = this.socket;
    return {
      send(data) {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(data);
        }
      },
      close: () => {
        this.handlers = null;
        this.events = null;
        socket.onopen = null;
        socket.onmessage = null;
        socket.onclose = null;
        socket.close();
      },
    };
  }

  private deliver(event: SocketEvent): void {
    this.settle();
    if (this.events !== null) {
      this.events.push(event);
    } else {
      this.dispatch(event);
    }
  }

  private dispatch(event: SocketEvent): void {
    const handlers = this.handlers;
    if (handlers === null) {
      return;
    }
    if (event.kind === "open") {
      handlers.open(this.first ?? undefined);
    } else if (event.kind === "message") {
      handlers.message(event.data);
    } else {
      handlers.close(event.code, event.reason);
    }
  }
}

let early: EarlySocket | null = null;

/**
 * boot.ts: opens the page's WebSocket now, with the handshake when it can be sent early. Returns
 * the socket (main.ts takes it with `adoptEarlySocket`).
 */
export function startEarlyHandshake(win: Window, open: (url: string) => WebSocket = openSocket): EarlySocket {
  const url = webSocketUrl(win.location);
  // The socket first: its connection gets going while the handshake is worked out (reading the
  // settings and measuring a glyph take some milliseconds); `open` comes in a later task anyway.
  const socket = open(url);
  const store = storageStore(() => win.sessionStorage);
  const hash = win.location.hash;
  let first: Handshake | null;
  try {
    const settings = new SettingsStore(storageStore(() => win.localStorage), hash).settings;
    first = earlyHandshake(store, hash, estimateSize(win, settings));
  } catch {
    first = null; // Nothing early, then: the connection sends its handshake itself.
  }
  early = new EarlySocket(socket, url, first);
  return early;
}

/**
 * The handshake boot.ts's socket for `url` went out with, if any: main.ts asks before it adopts
 * the socket (`adoptEarlySocket`), to know whether a snapshot at a known size is on its way.
 */
export function earlyHandshakeSent(url: string): Handshake | null {
  return early?.url === url ? early.first : null;
}

/**
 * The connection's socket factory: its first socket for `url` is the one boot.ts opened (with its
 * handshake, and what came back meanwhile) while that is of use; any other is opened when asked
 * for. Without boot.ts (the unit tests load main.ts alone), the first is opened now, as before.
 */
export function adoptEarlySocket(url: string, open: (url: string) => WebSocket = openSocket): SocketFactory {
  let first: EarlySocket | null = early?.url === url ? early : new EarlySocket(open(url), url, null);
  early = null;
  return (asked, handlers) => {
    const socket = first !== null && asked === url && first.usable ? first : null;
    first = null;
    return socket === null ? adoptSocket(open(asked), handlers) : socket.adopt(handlers);
  };
}
