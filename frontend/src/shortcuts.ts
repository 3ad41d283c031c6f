// The UI's own keyboard shortcuts (docs/ui.md). They are taken before xterm.js sees the key, on
// the window in the capture phase, so they work wherever the focus is (the terminal, the find
// bar, the settings panel) and never reach the shell; every other key goes on as before.

export type Shortcut = "find" | "font-bigger" | "font-smaller" | "font-reset" | "settings";

type KeyLike = Pick<KeyboardEvent, "type" | "key" | "code" | "ctrlKey" | "shiftKey" | "altKey" | "metaKey" | "isComposing">;

/**
 * The shortcut `event` is, if any: Ctrl+Shift+F find; Ctrl+= (or Ctrl++) and Ctrl+- font size,
 * Ctrl+0 the default size, as a browser zooms; Ctrl+, settings. Ctrl+Shift+- is left alone: it is
 * Ctrl+_ (undo in readline and Emacs).
 */
export function shortcutFor(event: KeyLike): Shortcut | null {
  if (event.type !== "keydown" || !event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
    return null;
  }
  if (event.shiftKey) {
    if (event.code === "KeyF") {
      return "find";
    }
    return event.key === "+" ? "font-bigger" : null;
  }
  switch (event.key) {
    case "=":
    case "+":
      return "font-bigger";
    case "-":
      return "font-smaller";
    case "0":
      return "font-reset";
    case ",":
      return "settings";
    default:
      return null;
  }
}

/** Runs `run` for each shortcut pressed in `target`, which keeps the key from the page and the browser. */
export function installShortcuts(target: Pick<Window, "addEventListener">, run: (shortcut: Shortcut) => void): void {
  target.addEventListener(
    "keydown",
    (event) => {
      const shortcut = shortcutFor(event);
      if (shortcut !== null) {
        // Not the browser's zoom, and not xterm.js's input.
        event.preventDefault();
        event.stopPropagation();
        run(shortcut);
      }
    },
    { capture: true },
  );
}
