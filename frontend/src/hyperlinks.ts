// Links in the terminal: OSC 8 hyperlinks (`printf '\e]8;;URL\e\\text\e]8;;\e\\'`, as ls
// --hyperlink, gcc and systemd print them) and plain URLs in the output (the web-links addon).
// Both follow one rule: hovering shows the target in a small tooltip, and only a click with Ctrl
// (Cmd on macOS) opens it, in a new tab without an opener, so a click meant to focus or select
// never leaves the page. Only http, https and mailto targets open; others are refused with a
// notice. An OSC 8 link whose text differs from its target asks first (link-dialog.ts). On a
// touch screen, which has neither hover nor a Ctrl key, a tap on a link always asks first.
import type { IBufferRange, ILinkHandler } from "@xterm/xterm";
import { LinkDialog } from "./link-dialog";

/** The schemes a link may open. */
export const OPENABLE_SCHEMES: readonly string[] = ["http:", "https:", "mailto:"];

/** `uri` as a URL if it is one the UI opens, else null. */
export function openableUrl(uri: string): URL | null {
  try {
    const url = new URL(uri);
    return OPENABLE_SCHEMES.includes(url.protocol) ? url : null;
  } catch {
    return null;
  }
}

/** What the notice says for a link that is not opened. */
export function refusedText(uri: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
  const what = scheme === undefined ? "This link has no scheme" : `Links to ${scheme}: are not opened`;
  return `${what}: only http, https and mailto links open from the terminal.`;
}

/**
 * Whether a link's visible `text` says where it leads: the target itself, or the target without
 * its `https://` or `http://` (and without a lone trailing slash), as `ls` and compilers print them.
 */
export function textMatchesTarget(text: string, target: string): boolean {
  const shown = text.trim();
  if (shown === target) {
    return true;
  }
  const bare = (uri: string) => uri.replace(/^https?:\/\//i, "").replace(/\/$/, "");
  return /^https?:\/\//i.test(target) && !/^[a-z][a-z0-9+.-]*:/i.test(shown) && bare(shown) === bare(target);
}

/** Whether this platform's link modifier is Cmd (macOS, iOS) rather than Ctrl. */
export function usesCommandKey(platform: string): boolean {
  return /Mac|iPhone|iPad|iPod/.test(platform);
}

/** The click that opens a link: with Ctrl, or Cmd where that is the platform's modifier. */
export function opensLinks(event: Pick<MouseEvent, "ctrlKey" | "metaKey">, commandKey: boolean): boolean {
  return commandKey ? event.metaKey : event.ctrlKey;
}

/** How links are opened here: Ctrl+click, Cmd+click (macOS), or a tap that asks first (touch screens). */
export type LinkGesture = "ctrl" | "cmd" | "tap";

/** The gesture for this platform and pointer. */
export function linkGesture(platform: string, touchOnly: boolean): LinkGesture {
  if (touchOnly) {
    return "tap";
  }
  return usesCommandKey(platform) ? "cmd" : "ctrl";
}

/** The tooltip's hint for a link. */
export function linkHint(uri: string, gesture: LinkGesture): string {
  if (openableUrl(uri) === null) {
    return "Not opened: only http, https and mailto links open";
  }
  return gesture === "tap" ? "Tap to open" : `${gesture === "cmd" ? "Cmd" : "Ctrl"}+click to open`;
}

/** The small box near the pointer that shows a link's target while the pointer is on the link. */
export class LinkTooltip {
  readonly element: HTMLElement;
  private readonly target: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly view: Pick<Window, "innerWidth" | "innerHeight">;

  constructor(document: Document, view: Pick<Window, "innerWidth" | "innerHeight">) {
    this.view = view;
    const element = document.createElement("div");
    element.id = "link-tooltip";
    element.className = "link-tooltip";
    element.setAttribute("role", "tooltip");
    element.hidden = true;
    this.target = document.createElement("span");
    this.target.className = "link-tooltip-target";
    this.hint = document.createElement("span");
    this.hint.className = "link-tooltip-hint";
    element.append(this.target, this.hint);
    this.element = element;
  }

  /** Shows `uri` and `hint` beside the pointer of `event`, kept inside the window. */
  show(event: Pick<MouseEvent, "clientX" | "clientY">, uri: string, hint: string): void {
    this.target.textContent = uri;
    this.hint.textContent = hint;
    this.element.classList.toggle("refused", openableUrl(uri) === null);
    this.element.hidden = false;
    const box = this.element.getBoundingClientRect();
    const gap = 16;
    const below = event.clientY + gap + box.height <= this.view.innerHeight;
    const top = below ? event.clientY + gap : Math.max(4, event.clientY - gap - box.height);
    const left = Math.max(4, Math.min(event.clientX + 4, this.view.innerWidth - box.width - 4));
    this.element.style.left = `${Math.round(left)}px`;
    this.element.style.top = `${Math.round(top)}px`;
  }

  hide(): void {
    this.element.hidden = true;
  }

  /** The target shown, or null while hidden (for the test hook). */
  get shown(): string | null {
    return this.element.hidden ? null : this.target.textContent;
  }
}

export interface LinkOpenerOptions {
  tooltip: LinkTooltip;
  /** How links open here (see linkGesture). */
  gesture: LinkGesture;
  /** The visible text of an OSC 8 link's cells. */
  textAt(range: IBufferRange): string;
  /** Ask before opening `url`, whose link says `text` (link-dialog.ts). */
  confirm(text: string, url: URL): void;
  /** Open `url` in a new tab. */
  open(url: string): void;
  /** A brief notice in the status badge. */
  notice(text: string): void;
}

/** Opens links by the rule at the top of this file; one for OSC 8 links, one for plain URLs. */
export class LinkOpener {
  private readonly options: LinkOpenerOptions;

  constructor(options: LinkOpenerOptions) {
    this.options = options;
  }

  /** xterm.js's `linkHandler` option: OSC 8 links, every scheme passed on so others can be refused with a word. */
  get oscHandler(): ILinkHandler {
    return {
      allowNonHttpProtocols: true,
      activate: (event, uri, range) => {
        this.activate(event, uri, this.options.textAt(range));
      },
      hover: (event, uri) => {
        this.hover(event, uri);
      },
      leave: () => {
        this.options.tooltip.hide();
      },
    };
  }

  /** The web-links addon's handler: a plain URL is its own text. */
  readonly plainUrlActivated = (event: MouseEvent, uri: string): void => {
    this.activate(event, uri, uri);
  };

  readonly hover = (event: Pick<MouseEvent, "clientX" | "clientY">, uri: string): void => {
    this.options.tooltip.show(event, uri, linkHint(uri, this.options.gesture));
  };

  readonly leave = (): void => {
    this.options.tooltip.hide();
  };

  private activate(event: Pick<MouseEvent, "ctrlKey" | "metaKey">, uri: string, text: string): void {
    const gesture = this.options.gesture;
    if (gesture !== "tap" && !opensLinks(event, gesture === "cmd")) {
      return;
    }
    this.options.tooltip.hide();
    const url = openableUrl(uri);
    if (url === null) {
      this.options.notice(refusedText(uri));
    } else if (gesture !== "tap" && textMatchesTarget(text, uri)) {
      this.options.open(url.href);
    } else {
      this.options.confirm(text, url);
    }
  }
}

/** The part of xterm.js's buffer `linkText` reads. */
export interface LinkBuffer {
  getLine(y: number): { translateToString(trimRight?: boolean, startColumn?: number, endColumn?: number): string } | undefined;
}

/** The text of the cells of `range` (1-based and inclusive, as xterm.js gives a link's range). */
export function rangeText(buffer: LinkBuffer, range: IBufferRange): string {
  const parts: string[] = [];
  for (let y = range.start.y; y <= range.end.y; y++) {
    const start = y === range.start.y ? range.start.x - 1 : 0;
    const end = y === range.end.y ? range.end.x : undefined;
    parts.push(buffer.getLine(y - 1)?.translateToString(true, start, end) ?? "");
  }
  return parts.join("");
}

/** A screen with neither hover nor a fine pointer: links open with a tap that asks first. */
const TOUCH_ONLY_QUERY = "(hover: none) and (pointer: coarse)";

/** The links' parts, for the page to place and the terminal to use. */
export interface TerminalLinks {
  opener: LinkOpener;
  tooltip: LinkTooltip;
  dialog: LinkDialog;
}

export interface TerminalLinksOptions {
  /** The cells of an OSC 8 link (see rangeText). */
  textAt(range: IBufferRange): string;
  /** A brief notice in the status badge. */
  notice(text: string): void;
  /** The confirmation closed: the terminal takes the focus back. */
  closed(): void;
}

/** The tooltip, the confirmation and the opener, for this window's platform and pointer; links open in a new tab. */
export function terminalLinks(window: Window, options: TerminalLinksOptions): TerminalLinks {
  const open = (url: string) => {
    window.open(url, "_blank", "noopener,noreferrer");
  };
  const touchOnly = typeof window.matchMedia === "function" && window.matchMedia(TOUCH_ONLY_QUERY).matches;
  const tooltip = new LinkTooltip(window.document, window);
  const dialog = new LinkDialog(window.document, {
    open,
    closed: () => {
      options.closed();
    },
  });
  const opener = new LinkOpener({
    tooltip,
    gesture: linkGesture(window.navigator.platform, touchOnly),
    textAt: (range) => options.textAt(range),
    confirm: (text, url) => {
      dialog.ask(text, url);
    },
    open,
    notice: (text) => {
      options.notice(text);
    },
  });
  return { opener, tooltip, dialog };
}
