// The settings panel: a gear button in the top-right corner opens it (so does Ctrl+,), Escape, the
// close button or a click elsewhere closes it. Every control changes its setting at once through
// the SettingsStore, which saves it; the panel redraws from the store, so a change made by a
// shortcut or by the embedding page shows here too.
import { closeOnPressOutside, keepFocusInside, panelShell, textButton } from "./dialog-panel";
import { iconButton } from "./icons";
import {
  DEFAULT_FONT_FAMILY,
  FONT_SIZE_MAX,
  FONT_SIZE_MIN,
  stepFontSize,
  type CursorStyle,
  type SettingName,
  type SettingsStore,
  type ThemeChoice,
} from "./settings";

/** The fonts offered; the value is what the setting stores (any other valid list is kept too). */
export const FONT_CHOICES: readonly { label: string; value: string }[] = [
  { label: "System monospace", value: DEFAULT_FONT_FAMILY },
  { label: "DejaVu Sans Mono", value: "'DejaVu Sans Mono'" },
  { label: "Liberation Mono", value: "'Liberation Mono'" },
  { label: "Noto Sans Mono", value: "'Noto Sans Mono'" },
  { label: "Ubuntu Mono", value: "'Ubuntu Mono'" },
  { label: "Fira Code", value: "'Fira Code'" },
  { label: "JetBrains Mono", value: "'JetBrains Mono'" },
  { label: "Cascadia Code", value: "'Cascadia Code'" },
  { label: "Source Code Pro", value: "'Source Code Pro'" },
  { label: "Menlo", value: "Menlo" },
  { label: "Consolas", value: "Consolas" },
  { label: "Courier New", value: "'Courier New'" },
];

const THEME_LABELS: readonly [ThemeChoice, string][] = [
  ["system", "System"],
  ["light", "Light"],
  ["dark", "Dark"],
  ["high-contrast", "High contrast"],
];
const CURSOR_LABELS: readonly [CursorStyle, string][] = [
  ["block", "Block"],
  ["bar", "Bar"],
  ["underline", "Underline"],
];
/** Each switch: its setting, its label and what it does (the tooltip). */
const SWITCHES: readonly [SwitchName, string, string][] = [
  ["cursorBlink", "Blinking cursor", "The cursor blinks while the terminal has the focus."],
  ["copyOnSelect", "Copy on select", "Selecting text with the mouse copies it."],
  ["rightClickPaste", "Right-click pastes", "A right click pastes instead of opening the browser's menu."],
  ["visualBell", "Visual bell", "The screen flashes when a program rings the bell."],
  ["screenReaderMode", "Screen reader mode", "Screen readers can read the output."],
  ["confirmClose", "Ask before closing", "Closing or reloading the tab of a running session asks first."],
];
const SHORTCUTS: readonly [string, string][] = [
  ["Ctrl+Shift+F", "Find"],
  ["Ctrl+= / Ctrl+-", "Font size"],
  ["Ctrl+0", "Default size"],
  ["Ctrl+,", "Settings"],
];
/** How the note on settings taken from the address names them. */
const NAMES: Readonly<Record<SettingName, string>> = {
  fontSize: "font size",
  fontFamily: "font",
  theme: "theme",
  cursorStyle: "cursor",
  cursorBlink: "blinking cursor",
  copyOnSelect: "copy on select",
  rightClickPaste: "right-click paste",
  screenReaderMode: "screen reader mode",
  visualBell: "visual bell",
  confirmClose: "ask before closing",
};
/** Said where right-click paste cannot work, instead of a switch that would do nothing. */
export const PASTE_UNAVAILABLE_TEXT = "Needs https and a browser that lets pages read the clipboard.";

type SwitchName = "cursorBlink" | "copyOnSelect" | "rightClickPaste" | "visualBell" | "screenReaderMode" | "confirmClose";

export interface SettingsPanelOptions {
  settings: SettingsStore;
  /** Whether the browser lets the page read the clipboard, which right-click paste needs. */
  clipboardReadable: boolean;
  /** The panel closed: the focus goes back where it was (the terminal, usually). */
  closed(): void;
}

export class SettingsPanel {
  /** The gear that opens the panel. */
  readonly button: HTMLButtonElement;
  readonly element: HTMLElement;
  private readonly options: SettingsPanelOptions;
  private readonly document: Document;
  private readonly radios = new Map<string, HTMLInputElement>();
  private readonly switches = new Map<SwitchName, HTMLInputElement>();
  private readonly fontSize: HTMLOutputElement;
  private readonly smaller: HTMLButtonElement;
  private readonly bigger: HTMLButtonElement;
  private readonly font: HTMLSelectElement;
  private readonly fromAddress: HTMLElement;

  constructor(document: Document, options: SettingsPanelOptions) {
    this.document = document;
    this.options = options;
    const settings = options.settings;

    const shell = panelShell(document, "settings", "gear", "Settings (Ctrl+,)", "Settings");
    const { button, panel, header } = shell;
    this.button = button;
    this.element = panel;

    const reset = textButton(document, "Reset all", "Restore every setting's default");
    reset.addEventListener("click", () => {
      settings.reset();
    });
    const close = iconButton(document, "close", "Close (Escape)");
    header.append(reset, close);

    const theme = this.radioGroup("theme", "Theme", THEME_LABELS, (value) => {
      settings.set("theme", value);
    });

    // Font size: a stepper.
    const sizeRow = row(document, "Font size");
    this.smaller = iconButton(document, "minus", "Smaller (Ctrl+-)");
    this.bigger = iconButton(document, "plus", "Bigger (Ctrl+=)");
    this.fontSize = document.createElement("output");
    this.fontSize.className = "font-size";
    this.fontSize.setAttribute("aria-live", "polite");
    const stepper = document.createElement("div");
    stepper.className = "stepper";
    stepper.append(this.smaller, this.fontSize, this.bigger);
    sizeRow.append(stepper);
    this.smaller.addEventListener("click", () => {
      settings.set("fontSize", stepFontSize(settings.settings.fontSize, -1));
    });
    this.bigger.addEventListener("click", () => {
      settings.set("fontSize", stepFontSize(settings.settings.fontSize, 1));
    });

    const fontRow = row(document, "Font");
    this.font = document.createElement("select");
    this.font.id = "settings-font";
    this.font.setAttribute("aria-label", "Font");
    fontRow.append(this.font);
    this.font.addEventListener("change", () => {
      settings.set("fontFamily", this.font.value);
    });

    const cursor = this.radioGroup("cursorStyle", "Cursor", CURSOR_LABELS, (value) => {
      settings.set("cursorStyle", value);
    });

    const switches = document.createElement("div");
    switches.className = "switches";
    for (const [name, label, description] of SWITCHES) {
      switches.append(this.switchRow(name, label, description));
    }

    this.fromAddress = document.createElement("p");
    this.fromAddress.className = "from-address";
    this.fromAddress.hidden = true;

    const footer = document.createElement("footer");
    const keys = document.createElement("dl");
    keys.className = "shortcuts";
    for (const [combination, meaning] of SHORTCUTS) {
      const term = document.createElement("dt");
      for (const [index, part] of combination.split(" / ").entries()) {
        if (index > 0) {
          term.append(" ");
        }
        const kbd = document.createElement("kbd");
        kbd.textContent = part;
        term.append(kbd);
      }
      const description = document.createElement("dd");
      description.textContent = meaning;
      keys.append(term, description);
    }
    footer.append(keys);

    panel.append(header, theme, sizeRow, fontRow, cursor, switches, this.fromAddress, footer);

    button.addEventListener("click", () => {
      this.toggle();
    });
    close.addEventListener("click", () => {
      this.close();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      } else if (event.key === "Tab") {
        keepFocusInside(event, this.focusables(), this.document.activeElement);
      }
    });
    // A press anywhere else closes the panel (the terminal then takes the focus by itself).
    closeOnPressOutside(
      document,
      shell,
      () => this.isOpen,
      () => {
        this.close(false);
      },
    );

    settings.onChange(() => {
      this.render();
    });
    this.render();
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    if (this.isOpen) {
      this.close();
    } else {
      this.open();
    }
  }

  /** Opens the panel with the focus on the chosen theme. */
  open(): void {
    this.render();
    this.element.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    const theme = this.radios.get(`theme:${this.options.settings.settings.theme}`);
    (theme ?? this.focusables()[0])?.focus();
  }

  /** Closes the panel; `refocus` hands the focus back (not when a click elsewhere put it there). */
  close(refocus = true): void {
    if (!this.isOpen) {
      return;
    }
    this.element.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) {
      this.options.closed();
    }
  }

  /** Shows the current settings in the controls. */
  render(): void {
    const current = this.options.settings.settings;
    for (const [key, radio] of this.radios) {
      const [name, value] = key.split(":") as [SettingName, string];
      radio.checked = String(current[name]) === value;
    }
    for (const [name, input] of this.switches) {
      input.checked = current[name];
    }
    this.fontSize.value = `${current.fontSize} px`;
    this.smaller.disabled = current.fontSize <= FONT_SIZE_MIN;
    this.bigger.disabled = current.fontSize >= FONT_SIZE_MAX;

    const choices = FONT_CHOICES.some((choice) => choice.value === current.fontFamily)
      ? FONT_CHOICES
      : [...FONT_CHOICES, { label: current.fontFamily, value: current.fontFamily }];
    this.font.replaceChildren(
      ...choices.map((choice) => {
        const option = this.document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.label;
        return option;
      }),
    );
    this.font.value = current.fontFamily;

    const fromFragment = this.options.settings.fromFragment;
    this.fromAddress.hidden = fromFragment.length === 0;
    this.fromAddress.textContent =
      fromFragment.length === 0 ? "" : `Set by this page's address: ${fromFragment.map((name) => NAMES[name]).join(", ")}. A change here lasts until the page is reloaded.`;
  }

  private radioGroup<V extends string>(name: SettingName, legendText: string, choices: readonly [V, string][], chosen: (value: V) => void): HTMLFieldSetElement {
    const group = this.document.createElement("fieldset");
    group.className = "row segmented-row";
    const legend = this.document.createElement("legend");
    legend.textContent = legendText;
    const segmented = this.document.createElement("div");
    segmented.className = "segmented";
    for (const [value, label] of choices) {
      const option = this.document.createElement("label");
      const radio = this.document.createElement("input");
      radio.type = "radio";
      radio.name = `settings-${name}`;
      radio.value = value;
      radio.addEventListener("change", () => {
        if (radio.checked) {
          chosen(value);
        }
      });
      this.radios.set(`${name}:${value}`, radio);
      const text = this.document.createElement("span");
      text.textContent = label;
      option.append(radio, text);
      segmented.append(option);
    }
    group.append(legend, segmented);
    return group;
  }

  private switchRow(name: SwitchName, labelText: string, description: string): HTMLElement {
    const unavailable = name === "rightClickPaste" && !this.options.clipboardReadable;
    const label = this.document.createElement("label");
    label.className = "switch";
    label.title = unavailable ? PASTE_UNAVAILABLE_TEXT : description;
    const input = this.document.createElement("input");
    input.type = "checkbox";
    input.setAttribute("role", "switch");
    input.name = name;
    input.title = label.title;
    this.switches.set(name, input);
    const text = this.document.createElement("span");
    text.className = "switch-text";
    const title = this.document.createElement("span");
    title.textContent = labelText;
    text.append(title);
    if (unavailable) {
      // Said plainly, not only in a tooltip: the switch is off for a reason.
      const hint = this.document.createElement("small");
      hint.textContent = PASTE_UNAVAILABLE_TEXT;
      text.append(hint);
    }
    const track = this.document.createElement("span");
    track.className = "track";
    track.setAttribute("aria-hidden", "true");
    label.append(text, input, track);
    if (unavailable) {
      input.disabled = true;
      label.classList.add("unavailable");
    }
    input.addEventListener("change", () => {
      this.options.settings.set(name, input.checked);
    });
    return label;
  }

  /** Everything in the panel that takes the focus, in order; of each radio group only its checked one. */
  private focusables(): HTMLElement[] {
    return Array.from(this.element.querySelectorAll<HTMLElement>("button, select, input")).filter(
      (element) => !(element as HTMLInputElement).disabled && !(element instanceof HTMLInputElement && element.type === "radio" && !element.checked),
    );
  }

}

function row(document: Document, labelText: string): HTMLElement {
  const element = document.createElement("div");
  element.className = "row";
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", labelText);
  const label = document.createElement("span");
  label.setAttribute("aria-hidden", "true");
  label.className = "row-label";
  label.textContent = labelText;
  element.append(label);
  return element;
}

