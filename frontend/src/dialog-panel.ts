// What the floating panels (settings, sessions) and the link confirmation share: the button that opens one, the dialog
// section with its titled header, their text buttons, the focus kept inside while it is open, and a
// press elsewhere closing it. Each panel keeps its own contents and its own open and close.
import { type IconName, iconButton } from "./icons";

export interface PanelShell {
  /** The toolbar button that opens and closes the panel. */
  button: HTMLButtonElement;
  /** The dialog itself, hidden until opened. */
  panel: HTMLElement;
  /** Its header, holding the title; the panel appends its own header buttons. */
  header: HTMLElement;
}

/** The button and the (hidden) dialog of panel `id`, titled `title`. */
export function panelShell(document: Document, id: string, icon: IconName, buttonLabel: string, title: string): PanelShell {
  const button = iconButton(document, icon, buttonLabel);
  button.id = `${id}-button`;
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", id);
  return { button, ...dialogSection(document, id, title) };
}

/** The (hidden) dialog `id`, titled `title`, without a button: for a dialog the UI opens itself. */
export function dialogSection(document: Document, id: string, title: string): Omit<PanelShell, "button"> {
  const panel = document.createElement("section");
  panel.id = id;
  panel.className = `panel ${id}-panel`;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", `${id}-title`);
  panel.hidden = true;

  const header = document.createElement("header");
  const heading = document.createElement("h2");
  heading.id = `${id}-title`;
  heading.textContent = title;
  header.append(heading);
  return { panel, header };
}

/** Tab from the last of `focusables` goes to the first, Shift+Tab from the first to the last. */
export function keepFocusInside(event: KeyboardEvent, focusables: HTMLElement[], active: Element | null): void {
  const first = focusables[0];
  const last = focusables.at(-1);
  if (event.shiftKey && active === first) {
    event.preventDefault();
    last?.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first?.focus();
  }
}

/** Calls `close` when a press lands outside `shell` while `isOpen()` (the focus then goes wherever the press put it). */
export function closeOnPressOutside(document: Document, shell: Pick<PanelShell, "panel"> & Partial<PanelShell>, isOpen: () => boolean, close: () => void): void {
  document.addEventListener(
    "pointerdown",
    (event) => {
      const target = event.target as Node | null;
      if (isOpen() && target !== null && !shell.panel.contains(target) && shell.button?.contains(target) !== true) {
        close();
      }
    },
    { capture: true },
  );
}

/** A text button (`.text-button`), with `kinds` such as `primary` or `danger` and a tooltip. */
export function textButton(document: Document, text: string, title = "", ...kinds: string[]): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = ["text-button", ...kinds].join(" ");
  button.textContent = text;
  if (title !== "") {
    button.title = title;
  }
  return button;
}
