// Two optional mouse habits of desktop terminals (docs/ui.md): copy on select, and paste on a
// right click. Both use the async Clipboard API, which browsers offer only in a secure context
// (https or localhost); reading the clipboard may also need the user's permission. Where it cannot
// read, a right click keeps the browser's menu (which has Paste) and the status bar says why.

/** Said when a right click cannot paste. */
export const PASTE_REFUSED_TEXT = "Right-click paste needs clipboard access: use Ctrl+Shift+V or the browser's menu.";

export interface MouseClipboardOptions {
  /** The terminal's element: selections start and right clicks land here. */
  element: HTMLElement;
  /** Where the mouse button is released (it may be outside the terminal by then). */
  window: Pick<Window, "addEventListener" | "setTimeout">;
  terminal: { hasSelection(): boolean; getSelection(): string; paste(text: string): void };
  /** The browser's clipboard, if it has the async API. */
  clipboard: Pick<Clipboard, "readText"> | undefined;
  copyOnSelect(): boolean;
  rightClickPaste(): boolean;
  /** Copies text (main.ts's copy, which says so when the browser refuses). */
  copy(text: string): void;
  notice(text: string): void;
}

/** Whether the page may try to read the clipboard: the async API exists, in a secure context. */
export function clipboardReadable(clipboard: Partial<Pick<Clipboard, "readText">> | undefined, secureContext: boolean): boolean {
  return secureContext && typeof clipboard?.readText === "function";
}

export function installMouseClipboard(options: MouseClipboardOptions): void {
  const { element, terminal } = options;

  // Copy once a mouse selection that started in the terminal ends: not on every change of the
  // selection, which a drag changes many times and the find bar changes too.
  let selecting = false;
  element.addEventListener("mousedown", (event) => {
    selecting = event.button === 0;
  });
  options.window.addEventListener("mouseup", () => {
    if (!selecting) {
      return;
    }
    selecting = false;
    // xterm.js finishes the selection in its own mouseup handler: look after it.
    options.window.setTimeout(() => {
      if (options.copyOnSelect() && terminal.hasSelection()) {
        options.copy(terminal.getSelection());
      }
    }, 0);
  });

  element.addEventListener("contextmenu", (event) => {
    if (!options.rightClickPaste()) {
      return;
    }
    const clipboard = options.clipboard;
    if (clipboard === undefined) {
      // The browser's menu stays: its Paste works where the page cannot read.
      options.notice(PASTE_REFUSED_TEXT);
      return;
    }
    event.preventDefault();
    clipboard.readText().then(
      (text) => {
        if (text !== "") {
          terminal.paste(text);
        }
      },
      () => {
        options.notice(PASTE_REFUSED_TEXT);
      },
    );
  });
}
