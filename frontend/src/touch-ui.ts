// What a touch screen needs, installed by main.ts in one call: the key bar and its show button,
// a layout that stays above the on-screen keyboard, and the touch gestures (swipe to scroll, long
// press to select and copy). The bar shows by itself where the main pointer is a finger
// (`(pointer: coarse)`); `?keybar=1` or `?keybar=0` in the address overrides that, and so does
// the user's last tap on its hide or show button, remembered in localStorage.
import "./touch-ui.css";
import { KeyBar, keyboardIcon, type KeyBarTerminal } from "./key-bar";
import { TouchGestures, type GestureTerminal } from "./touch-gestures";
import { followVisualViewport } from "./viewport";

/** Where the user's choice (shown or hidden) is kept. */
export const KEYBAR_STORAGE_KEY = "web-terminal.keybar";
export const COPIED_NOTICE_MS = 2500;
export const COPY_REFUSED_TEXT = "Copying needs clipboard access (https, or localhost).";
/** The longest selection the copy notice quotes. */
const QUOTE_MAX = 32;

export type TouchUiTerminal = KeyBarTerminal & GestureTerminal;

/** Where the copy's outcome is said (the status bar). */
export interface Notices {
  notice(text: string, ms: number): void;
}

/**
 * Whether the bar starts shown: as `?keybar=` in `search` says (1/on, 0/off), else as the user last
 * chose (`stored`), else on a coarse pointer.
 */
export function keyBarWanted(search: string, stored: string | null, coarsePointer: boolean): boolean {
  const asked = new URLSearchParams(search).get("keybar");
  if (asked === "1" || asked === "on") {
    return true;
  }
  if (asked === "0" || asked === "off") {
    return false;
  }
  if (stored === "shown" || stored === "hidden") {
    return stored === "shown";
  }
  return coarsePointer;
}

/** The notice after a copy: the text itself when short, else how much. */
export function copiedText(text: string): string {
  const lines = text.split("\n").length;
  if (lines > 1) {
    return `Copied ${lines} lines.`;
  }
  return text.length <= QUOTE_MAX ? `Copied “${text}”.` : `Copied ${text.length} characters.`;
}

export interface TouchUi {
  readonly keyBar: KeyBar;
  readonly showButton: HTMLButtonElement;
  readonly shown: boolean;
  setShown(shown: boolean, remember: boolean): void;
}

function storage(win: Window): Storage | null {
  try {
    return win.localStorage;
  } catch {
    return null; // Storage denied (a sandboxed frame, strict privacy settings).
  }
}

/** Installs it all into `win`'s page: `container` is the terminal's element (#terminal). */
export function installTouchUi(terminal: TouchUiTerminal, container: HTMLElement, notices: Notices, win: Window = window): TouchUi {
  const document = win.document;
  const body = document.body;
  const store = storage(win);
  const coarse = win.matchMedia("(pointer: coarse)");
  const asked = new URLSearchParams(win.location.search).has("keybar");
  let stored: string | null = null;
  try {
    stored = store?.getItem(KEYBAR_STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  /** Once shown in this page, the show button stays to bring it back, even with a mouse. */
  let everShown = false;

  const keyBar = new KeyBar(document, terminal, () => {
    ui.setShown(false, true);
  });
  const showButton = document.createElement("button");
  showButton.id = "keybar-show";
  showButton.type = "button";
  showButton.tabIndex = -1;
  showButton.hidden = true;
  showButton.setAttribute("aria-label", "Show the key bar");
  showButton.append(keyboardIcon(document, false));
  showButton.addEventListener("pointerdown", (event) => {
    event.preventDefault(); // Keep the focus (and the phone's keyboard) in the terminal.
  });
  showButton.addEventListener("mousedown", (event) => {
    event.preventDefault();
  });
  showButton.addEventListener("click", () => {
    ui.setShown(true, true);
  });
  body.append(keyBar.element, showButton);

  /** The terminal's box ends where the bar starts (touch-ui.css). */
  const measure = (): void => {
    const height = keyBar.element.hidden ? 0 : keyBar.element.offsetHeight;
    body.style.setProperty("--keybar-height", `${height}px`);
  };

  const ui: TouchUi = {
    keyBar,
    showButton,
    get shown() {
      return !keyBar.element.hidden;
    },
    setShown(shown: boolean, remember: boolean) {
      everShown ||= shown;
      keyBar.element.hidden = !shown;
      showButton.hidden = shown || !(coarse.matches || everShown);
      body.dataset.keybar = shown ? "shown" : "hidden";
      measure();
      if (remember) {
        stored = shown ? "shown" : "hidden";
        try {
          store?.setItem(KEYBAR_STORAGE_KEY, stored);
        } catch {
          // Not kept: it still holds for this page.
        }
      }
    },
  };
  ui.setShown(keyBarWanted(win.location.search, stored, coarse.matches), false);
  // A tablet that gets a mouse, or loses it: follow, unless the address or the user decided.
  coarse.addEventListener("change", () => {
    if (!asked && stored === null) {
      ui.setShown(coarse.matches, false);
    }
  });
  win.addEventListener("resize", measure);

  // Ctrl or Alt armed on the bar applies to the next key typed on the phone's keyboard: catch it
  // on its way to xterm.js's textarea (capture, on an ancestor, runs first).
  container.addEventListener("keydown", (event) => {
    if (keyBar.typedKey(event)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, { capture: true });
  container.addEventListener("beforeinput", (event) => {
    if (keyBar.typedText(event)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, { capture: true });

  const viewport = win.visualViewport as VisualViewport | null | undefined; // Not in every browser.
  if (viewport) {
    followVisualViewport(viewport, () => win.innerHeight, body);
    // Without the keyboard the bar pads for the home indicator; with it, it does not.
    viewport.addEventListener("resize", measure);
  }

  new TouchGestures(container, terminal, {
    copy: (text) => {
      // The async clipboard needs a secure context (https or localhost): elsewhere it is missing.
      const clipboard = win.navigator.clipboard as Clipboard | undefined;
      const refused = () => {
        notices.notice(COPY_REFUSED_TEXT, COPIED_NOTICE_MS * 2);
      };
      if (clipboard === undefined) {
        refused();
        return;
      }
      clipboard.writeText(text).then(() => {
        notices.notice(copiedText(text), COPIED_NOTICE_MS);
      }, refused);
    },
    requestFrame: (callback) => win.requestAnimationFrame(callback),
    cancelFrame: (handle) => {
      win.cancelAnimationFrame(handle);
    },
    now: () => win.performance.now(),
  });
  return ui;
}
