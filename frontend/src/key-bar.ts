// The key bar: the keys a phone keyboard lacks (Esc, Tab, sticky Ctrl and Alt, the cursor keys,
// Home, End, PgUp, PgDn, | ~ / -), sized for thumbs. Its keys go through `terminal.input`, so they
// take the path typed keys take (main.ts's onData: the snapshot guard, the "not sent" notice).
// Its buttons never take the focus: the terminal keeps it, and the phone keeps its keyboard open.
import { characterBytes, isNamedKey, namedKeyBytes, NO_MODIFIERS, StickyModifier, type Modifiers, type NamedKey } from "./keys";

/** What the bar needs of xterm.js's Terminal. */
export interface KeyBarTerminal {
  input(data: string, wasUserInput?: boolean): void;
  readonly modes: { readonly applicationCursorKeysMode: boolean };
}

/** A held cursor or page key repeats after this long, every `REPEAT_EVERY_MS`. */
export const REPEAT_DELAY_MS = 400;
export const REPEAT_EVERY_MS = 60;

type Action = { kind: "named"; key: NamedKey } | { kind: "character"; character: string } | { kind: "modifier"; modifier: "ctrl" | "alt" } | { kind: "hide" };

interface KeySpec {
  /** Its grid area in touch-ui.css. */
  readonly area: string;
  readonly label: string;
  /** What a screen reader says, where the label is a symbol. */
  readonly name?: string;
  readonly action: Action;
  readonly repeats?: boolean;
}

const named = (key: NamedKey): Action => ({ kind: "named", key });
const character = (value: string): Action => ({ kind: "character", character: value });

/** In reading order; touch-ui.css lays them out in two rows on a phone, one on a wider screen. */
const KEYS: readonly KeySpec[] = [
  { area: "esc", label: "Esc", name: "Escape", action: named("Escape") },
  { area: "tab", label: "Tab", action: named("Tab") },
  { area: "ctrl", label: "Ctrl", name: "Control", action: { kind: "modifier", modifier: "ctrl" } },
  { area: "alt", label: "Alt", action: { kind: "modifier", modifier: "alt" } },
  { area: "pipe", label: "|", name: "Vertical bar", action: character("|") },
  { area: "tilde", label: "~", name: "Tilde", action: character("~") },
  { area: "slash", label: "/", name: "Slash", action: character("/") },
  { area: "minus", label: "-", name: "Minus", action: character("-") },
  { area: "home", label: "Home", action: named("Home") },
  { area: "end", label: "End", action: named("End") },
  { area: "pgup", label: "PgUp", name: "Page up", action: named("PageUp"), repeats: true },
  { area: "pgdn", label: "PgDn", name: "Page down", action: named("PageDown"), repeats: true },
  { area: "left", label: "←", name: "Left", action: named("ArrowLeft"), repeats: true },
  { area: "up", label: "↑", name: "Up", action: named("ArrowUp"), repeats: true },
  { area: "down", label: "↓", name: "Down", action: named("ArrowDown"), repeats: true },
  { area: "right", label: "→", name: "Right", action: named("ArrowRight"), repeats: true },
  { area: "hide", label: "", name: "Hide the key bar", action: { kind: "hide" } },
];

const SVG = "http://www.w3.org/2000/svg";
/** One code point (a `KeyboardEvent.key` that is a character), and the first one of a text. */
const ONE_CHARACTER = /^.$/su;
const FIRST_CHARACTER = /^(.)(.*)$/su;

/** A small line icon: a keyboard, drawn smaller with a chevron under it for "hide". */
export function keyboardIcon(document: Document, chevron: boolean): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const paths = [
    chevron ? "M3 3.5h18v11H3z" : "M3 6h18v12H3z",
    chevron ? "M6.5 7h1M10 7h1M13.5 7h1M17 7h1M7.5 11h9" : "M6.5 9.5h1M10 9.5h1M13.5 9.5h1M17 9.5h1M7.5 14h9",
  ];
  if (chevron) {
    paths.push("M8.5 18l3.5 3 3.5-3");
  }
  for (const d of paths) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export class KeyBar {
  /** The bar; hidden until shown. */
  readonly element: HTMLElement;
  private readonly terminal: KeyBarTerminal;
  private readonly onHide: () => void;
  private readonly ctrl = new StickyModifier();
  private readonly alt = new StickyModifier();
  private readonly buttons = new Map<HTMLButtonElement, KeySpec>();
  private repeatTimer: number | undefined;
  private pressed: HTMLButtonElement | null = null;
  /** The modifiers the last key went out with: a held key repeats with them. */
  private lastModifiers: Modifiers = NO_MODIFIERS;

  constructor(document: Document, terminal: KeyBarTerminal, onHide: () => void) {
    this.terminal = terminal;
    this.onHide = onHide;
    const bar = document.createElement("div");
    bar.id = "keybar";
    bar.hidden = true;
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Terminal keys");
    const grid = document.createElement("div");
    grid.className = "keys";
    for (const spec of KEYS) {
      const button = document.createElement("button");
      button.type = "button";
      button.tabIndex = -1; // The terminal keeps the focus (and the phone its keyboard).
      button.className = `key key-${spec.area}`;
      button.dataset.key = spec.area;
      if (spec.action.kind === "hide") {
        button.append(keyboardIcon(document, true));
      } else {
        button.textContent = spec.label;
      }
      if (spec.name !== undefined) {
        button.setAttribute("aria-label", spec.name);
      }
      if (spec.action.kind === "modifier") {
        button.setAttribute("aria-pressed", "false");
        button.classList.add("modifier");
      }
      this.buttons.set(button, spec);
      grid.append(button);
    }
    bar.append(grid);
    this.element = bar;

    bar.addEventListener("pointerdown", (event) => {
      const button = this.buttonOf(event.target);
      // Never a focus change, and no emulated mouse events after a touch.
      event.preventDefault();
      if (button !== null && event.button === 0) {
        this.press(button);
      }
    });
    bar.addEventListener("mousedown", (event) => {
      event.preventDefault(); // Browsers without pointer events: keep the focus in the terminal.
    });
    for (const type of ["pointerup", "pointercancel", "pointerleave"] as const) {
      bar.addEventListener(type, () => {
        this.releasePress();
      });
    }
    bar.addEventListener("click", (event) => {
      // A pointer pressed a key on pointerdown already; a click without one (detail 0) is the
      // keyboard or an assistive technology pressing it. Hiding waits for the click: hidden on
      // pointerdown, the bar would let the tap's click land on the show button in its place.
      const button = this.buttonOf(event.target);
      if (button !== null && (event.detail === 0 || this.buttons.get(button)?.action.kind === "hide")) {
        this.activate(button);
      }
    });
  }

  /** The modifiers armed or locked on the bar. */
  get modifiers(): Modifiers {
    return { ctrl: this.ctrl.active, alt: this.alt.active };
  }

  /**
   * A key typed on the phone's (or a hardware) keyboard, as a keydown: while Ctrl or Alt is armed
   * on the bar, sends it with them and returns true (the caller cancels the event); else false.
   */
  typedKey(event: KeyboardEvent): boolean {
    if (!this.ctrl.active && !this.alt.active) {
      return false;
    }
    // A keyboard's own modifiers and compositions stay its own. (Android's keyboards say
    // "Unidentified", IMEs "Process": neither is a key below, and their text comes to typedText.)
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
      return false;
    }
    if (isNamedKey(event.key)) {
      this.send(namedKeyBytes(event.key, this.modifiers, this.terminal.modes.applicationCursorKeysMode));
      return true;
    }
    if (ONE_CHARACTER.test(event.key)) {
      this.send(characterBytes(event.key, this.modifiers));
      return true;
    }
    return false;
  }

  /**
   * Text a phone keyboard inserts without a usable keydown (Android's keyboards send "Unidentified"):
   * while a modifier is armed, the first character goes with it; returns true when it was sent.
   */
  typedText(event: InputEvent): boolean {
    if ((!this.ctrl.active && !this.alt.active) || event.inputType !== "insertText" || !event.cancelable) {
      return false;
    }
    const split = FIRST_CHARACTER.exec(event.data ?? "");
    if (split === null) {
      return false;
    }
    this.send(characterBytes(split[1] ?? "", this.modifiers) + (split[2] ?? ""));
    return true;
  }

  /** The key `target` is (or is in: the hide key's icon). */
  private buttonOf(target: EventTarget | null): HTMLButtonElement | null {
    for (const button of this.buttons.keys()) {
      if (button.contains(target as Node | null)) {
        return button;
      }
    }
    return null;
  }

  private press(button: HTMLButtonElement): void {
    this.releasePress();
    this.pressed = button;
    button.classList.add("pressed");
    if (this.buttons.get(button)?.action.kind === "hide") {
      return; // On the click.
    }
    const spec = this.activate(button);
    if (spec?.repeats === true && spec.action.kind === "named") {
      // A held key repeats, with the modifiers it was pressed with.
      const bytes = namedKeyBytes(spec.action.key, this.lastModifiers, this.terminal.modes.applicationCursorKeysMode);
      const repeat = () => {
        this.terminal.input(bytes, true);
        this.repeatTimer = window.setTimeout(repeat, REPEAT_EVERY_MS);
      };
      this.repeatTimer = window.setTimeout(repeat, REPEAT_DELAY_MS);
    }
  }

  private releasePress(): void {
    window.clearTimeout(this.repeatTimer);
    this.repeatTimer = undefined;
    this.pressed?.classList.remove("pressed");
    this.pressed = null;
  }

  private activate(button: HTMLButtonElement): KeySpec | undefined {
    const spec = this.buttons.get(button);
    if (spec === undefined) {
      return undefined;
    }
    const action = spec.action;
    switch (action.kind) {
      case "named":
        this.send(namedKeyBytes(action.key, this.modifiers, this.terminal.modes.applicationCursorKeysMode));
        break;
      case "character":
        this.send(characterBytes(action.character, this.modifiers));
        break;
      case "modifier":
        (action.modifier === "ctrl" ? this.ctrl : this.alt).tap(Date.now());
        this.renderModifiers();
        break;
      case "hide":
        this.ctrl.release();
        this.alt.release();
        this.renderModifiers();
        this.onHide();
        break;
    }
    return spec;
  }

  /** Sends `bytes` as typed input; an armed modifier is used up (even when Ctrl+key is nothing). */
  private send(bytes: string): void {
    this.lastModifiers = this.modifiers;
    if (bytes !== "") {
      this.terminal.input(bytes, true);
    }
    this.ctrl.used();
    this.alt.used();
    this.renderModifiers();
  }

  private renderModifiers(): void {
    for (const [button, spec] of this.buttons) {
      if (spec.action.kind === "modifier") {
        const state = (spec.action.modifier === "ctrl" ? this.ctrl : this.alt).state;
        button.dataset.latch = state;
        button.setAttribute("aria-pressed", String(state !== "off"));
      }
    }
  }
}
