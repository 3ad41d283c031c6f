// The status bar: renders the words of status.ts into its element, with at most one button, and
// gets out of the way once connected.
import type { ConnectionState } from "./reconnect";
import { describeState, type StatusAction } from "./status";

/** How long "Connected" stays before it fades. */
export const CONNECTED_BADGE_MS = 1500;
/** Matches the fade transition of `#status.fading` in style.css. */
const FADE_MS = 300;
/** Often enough for a countdown in whole seconds. */
const COUNTDOWN_TICK_MS = 250;
/** Said while disconnected once keys were typed: they are dropped, not kept for later. */
export const INPUT_LOST_TEXT = "Keys typed while disconnected were not sent.";

/** A button: what it does, and its label. */
interface Action {
  kind: StatusAction;
  label: string;
}

export interface StatusBarOptions {
  /** In a frame, sign-in waits for the embedding page rather than for a new address. */
  embedded: boolean;
  /** The user pressed the bar's button. */
  onAction(kind: StatusAction): void;
}

export class StatusBar {
  private readonly element: HTMLElement;
  private readonly options: StatusBarOptions;
  /** The state last rendered: a notice and the countdown render it again. */
  private state: ConnectionState | null = null;
  private shownNotice: { text: string; until: number; action: Action | null } | null = null;
  /** Keys were typed since the connection went away: they were not sent. */
  private inputLost = false;
  private timer: number | undefined;

  constructor(element: HTMLElement, options: StatusBarOptions) {
    this.element = element;
    this.options = options;
  }

  render(state: ConnectionState): void {
    this.state = state;
    window.clearTimeout(this.timer);
    const now = Date.now();
    const view = describeState(state, now, this.options.embedded);
    // A notice never hides what is wrong with the connection.
    const notice = this.shownNotice !== null && this.shownNotice.until > now && state.kind === "connected" ? this.shownNotice : null;
    const bar = this.element;
    bar.replaceChildren();
    bar.dataset.tone = notice !== null ? "info" : view.tone;
    const dot = document.createElement("span");
    dot.className = "dot";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = notice !== null ? notice.text : view.text;
    bar.append(dot, text);
    if (state.kind === "connected") {
      this.inputLost = false;
    } else if (this.inputLost) {
      const lost = document.createElement("span");
      lost.className = "lost";
      lost.textContent = INPUT_LOST_TEXT;
      bar.append(lost);
    }
    const action = notice !== null ? notice.action : view.action;
    if (action !== null) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action.label;
      button.addEventListener("click", () => {
        this.options.onAction(action.kind);
      });
      bar.append(button);
    }
    bar.hidden = false;
    bar.classList.remove("fading");
    if (state.kind === "connected") {
      // Get out of the way once connected; a notice stays a little longer.
      const visibleFor = notice !== null ? notice.until - now : CONNECTED_BADGE_MS;
      this.timer = window.setTimeout(() => {
        bar.classList.add("fading");
        this.timer = window.setTimeout(() => {
          bar.hidden = true;
        }, FADE_MS);
      }, visibleFor);
    } else if (state.kind === "reconnecting" && state.retryAt !== null) {
      // Tick the countdown.
      this.timer = window.setTimeout(() => {
        this.render(state);
      }, COUNTDOWN_TICK_MS);
    }
  }

  /** Keys were typed while not connected and dropped: says so until the connection is back. */
  inputNotSent(): void {
    if (this.state === null || this.state.kind === "connected" || this.inputLost) {
      return;
    }
    this.inputLost = true;
    this.render(this.state);
  }

  /** Shows `text` in place of "Connected" for the next `ms`, with `action`'s button if given. */
  notice(text: string, ms: number, action: Action | null = null): void {
    this.shownNotice = { text, until: Date.now() + ms, action };
    if (this.state !== null) {
      this.render(this.state);
    }
  }
}
