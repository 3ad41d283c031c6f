// The cards that show files moving between the browser and the session (file-upload.ts,
// file-download.ts): one per file, in the bottom-right corner (above the phone's key bar), with its
// name, a progress bar and percent while it moves, then where it went or the server's own words
// for why not. A moving file's card can cancel it; a finished one goes away by itself.
import { icon, iconButton } from "./icons";

/** How long a card stays once its file has arrived. */
export const DONE_MS = 6000;
/** How long a refusal stays: long enough to read the reason. */
export const FAILED_MS = 15_000;
/** Cards shown at most; the oldest finished ones go first. */
export const MAX_CARDS = 4;

export type TransferDirection = "upload" | "download";

/** "12 B", "3.4 KB", "1.2 MB", "2.0 GB": decimal units, as file managers show sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) {
    return `${String(bytes)} B`;
  }
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? "TB"}`;
}

/** Whole percent of `done` in `total`, 100 only when all of it is there. */
export function percent(done: number, total: number): number {
  if (total <= 0) {
    return done >= total ? 100 : 0;
  }
  const whole = Math.floor((done / total) * 100);
  return Math.min(done >= total ? 100 : 99, Math.max(0, whole));
}

export interface TransferNoticesOptions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** One file's card. */
export class TransferCard {
  readonly element: HTMLElement;
  /** "running" until done() or failed(). */
  state: "running" | "done" | "failed" = "running";
  private readonly fill: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly percentText: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly bytes: HTMLElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly badge: HTMLElement;
  private readonly verb: string;
  private readonly finished: (card: TransferCard, ms: number) => void;
  private cancel: (() => void) | null;

  constructor(document: Document, direction: TransferDirection, name: string, cancel: (() => void) | null, finished: (card: TransferCard, ms: number) => void, remove: (card: TransferCard) => void) {
    this.verb = direction === "upload" ? "Uploading" : "Downloading";
    this.cancel = cancel;
    this.finished = finished;
    const card = document.createElement("div");
    card.className = "transfer";
    card.dataset.direction = direction;
    card.dataset.state = "running";

    const badge = document.createElement("span");
    badge.className = "transfer-icon";
    badge.append(icon(document, direction));
    this.badge = badge;

    const body = document.createElement("div");
    body.className = "transfer-body";
    const head = document.createElement("div");
    head.className = "transfer-head";
    const title = document.createElement("span");
    title.className = "transfer-name";
    title.textContent = name;
    title.title = name;
    this.percentText = document.createElement("span");
    this.percentText.className = "transfer-percent";
    this.percentText.setAttribute("aria-hidden", "true");
    head.append(title, this.percentText);

    this.bar = document.createElement("div");
    this.bar.className = "transfer-bar";
    this.bar.setAttribute("role", "progressbar");
    this.bar.setAttribute("aria-label", `${this.verb} ${name}`);
    this.bar.setAttribute("aria-valuemin", "0");
    this.bar.setAttribute("aria-valuemax", "100");
    this.fill = document.createElement("div");
    this.fill.className = "transfer-fill";
    this.bar.append(this.fill);

    // Only the start and the outcome are announced, not every percent.
    const line = document.createElement("div");
    line.className = "transfer-line";
    this.detail = document.createElement("span");
    this.detail.className = "transfer-detail";
    this.detail.setAttribute("role", "status");
    this.detail.textContent = this.verb;
    this.bytes = document.createElement("span");
    this.bytes.className = "transfer-bytes";
    this.bytes.setAttribute("aria-hidden", "true");
    line.append(this.detail, this.bytes);
    body.append(head, this.bar, line);

    this.closeButton = iconButton(document, "close", cancel === null ? "Dismiss" : `Cancel ${direction === "upload" ? "the upload" : "the download"}`);
    this.closeButton.classList.add("transfer-close");
    this.closeButton.addEventListener("click", () => {
      const stop = this.cancel;
      this.cancel = null;
      if (this.state === "running" && stop !== null) {
        stop();
      } else {
        remove(this);
      }
    });
    card.append(badge, body, this.closeButton);
    this.element = card;
    this.progress(0, null);
  }

  /** `done` bytes of `total` (null: not known) have moved. */
  progress(done: number, total: number | null): void {
    if (this.state !== "running") {
      return;
    }
    if (total === null) {
      this.percentText.textContent = "";
      this.bar.removeAttribute("aria-valuenow");
      this.fill.style.width = "0%";
      this.bytes.textContent = formatBytes(done);
      return;
    }
    const whole = percent(done, total);
    this.percentText.textContent = `${String(whole)}%`;
    this.bar.setAttribute("aria-valuenow", String(whole));
    this.fill.style.width = `${String(whole)}%`;
    this.bytes.textContent = `${formatBytes(done)} of ${formatBytes(total)}`;
  }

  /** The file arrived: `text` says where. */
  done(text: string): void {
    if (this.state !== "running") {
      return;
    }
    this.finish("done", text, DONE_MS);
    this.percentText.textContent = "100%";
    this.fill.style.width = "100%";
    this.bar.setAttribute("aria-valuenow", "100");
  }

  /** It did not: `text` says why. */
  failed(text: string): void {
    this.finish("failed", text, FAILED_MS);
  }

  private finish(state: "done" | "failed", text: string, ms: number): void {
    if (this.state !== "running") {
      return;
    }
    this.state = state;
    this.cancel = null;
    this.element.dataset.state = state;
    this.badge.replaceChildren(icon(this.element.ownerDocument, state === "done" ? "check" : "alert"));
    this.detail.textContent = text;
    this.bytes.textContent = "";
    this.closeButton.title = "Dismiss";
    this.closeButton.setAttribute("aria-label", "Dismiss");
    this.finished(this, ms);
  }
}

/** The corner that holds the cards. */
export class TransferNotices {
  readonly element: HTMLElement;
  private readonly document: Document;
  private readonly options: TransferNoticesOptions;
  private readonly timers = new Map<TransferCard, unknown>();
  private cards: TransferCard[] = [];

  constructor(document: Document, options: TransferNoticesOptions) {
    this.document = document;
    this.options = options;
    this.element = document.createElement("div");
    this.element.id = "transfers";
    this.element.setAttribute("role", "region");
    this.element.setAttribute("aria-label", "File transfers");
    this.element.hidden = true;
  }

  /** A card for `name`, moving now; `cancel` (if any) stops it from the card's close button. */
  start(direction: TransferDirection, name: string, cancel: (() => void) | null = null): TransferCard {
    const card = new TransferCard(
      this.document,
      direction,
      name,
      cancel,
      (finished, ms) => {
        this.timers.set(
          finished,
          this.options.setTimeout(() => {
            this.remove(finished);
          }, ms),
        );
      },
      (gone) => {
        this.remove(gone);
      },
    );
    this.cards.push(card);
    this.element.append(card.element);
    this.element.hidden = false;
    // Too many: the oldest finished cards make room.
    for (const old of this.cards.filter((shown) => shown.state !== "running")) {
      if (this.cards.length <= MAX_CARDS) {
        break;
      }
      this.remove(old);
    }
    return card;
  }

  /** A card that is only a refusal (`name` was not sent, or not taken). */
  refuse(direction: TransferDirection, name: string, text: string): TransferCard {
    const card = this.start(direction, name);
    card.failed(text);
    return card;
  }

  /** The cards shown, oldest first. */
  get shown(): readonly TransferCard[] {
    return this.cards;
  }

  private remove(card: TransferCard): void {
    const timer = this.timers.get(card);
    if (timer !== undefined) {
      this.options.clearTimeout(timer);
      this.timers.delete(card);
    }
    this.cards = this.cards.filter((shown) => shown !== card);
    card.element.remove();
    this.element.hidden = this.cards.length === 0;
  }
}
