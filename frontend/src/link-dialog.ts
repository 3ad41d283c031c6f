// The confirmation before a hyperlink whose text says something else than where it leads is
// opened (OSC 8 lets a program show "docs" and link anywhere). It shows the link's text and its
// real target, the host in bold; Cancel has the focus, so Enter or Escape opens nothing. Built on
// the dialog shell of the panels (dialog-panel.ts): focus kept inside, a press elsewhere cancels.
import { closeOnPressOutside, dialogSection, keepFocusInside, textButton } from "./dialog-panel";
import { iconButton } from "./icons";

export interface LinkDialogOptions {
  /** Open `url` (in a new tab, without an opener). */
  open(url: string): void;
  /** The dialog closed, opened or not: the terminal takes the focus back. */
  closed(): void;
}

export class LinkDialog {
  readonly element: HTMLElement;
  private readonly document: Document;
  private readonly options: LinkDialogOptions;
  private readonly text: HTMLElement;
  private readonly target: HTMLElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly openButton: HTMLButtonElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly explanation: HTMLElement;
  private url: string | null = null;

  constructor(document: Document, options: LinkDialogOptions) {
    this.document = document;
    this.options = options;
    const { panel, header } = dialogSection(document, "link-dialog", "Open this link?");
    panel.setAttribute("aria-modal", "true");
    panel.setAttribute("aria-describedby", "link-dialog-explanation");
    this.element = panel;
    this.closeButton = iconButton(document, "close", "Cancel (Escape)");
    header.append(this.closeButton);

    const explanation = document.createElement("p");
    explanation.id = "link-dialog-explanation";
    this.explanation = explanation;
    this.text = document.createElement("code");
    this.text.className = "link-text";
    this.target = document.createElement("code");
    this.target.className = "link-target";
    const details = document.createElement("dl");
    details.append(term(document, "Text"), definition(document, this.text), term(document, "Opens"), definition(document, this.target));

    const footer = document.createElement("footer");
    this.cancelButton = textButton(document, "Cancel");
    this.openButton = textButton(document, "Open link", "", "primary");
    footer.append(this.cancelButton, this.openButton);
    panel.append(header, explanation, details, footer);

    this.cancelButton.addEventListener("click", () => {
      this.close();
    });
    this.closeButton.addEventListener("click", () => {
      this.close();
    });
    this.openButton.addEventListener("click", () => {
      const url = this.url;
      this.close();
      if (url !== null) {
        options.open(url);
      }
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      } else if (event.key === "Tab") {
        keepFocusInside(event, [this.closeButton, this.cancelButton, this.openButton], this.document.activeElement);
      }
    });
    closeOnPressOutside(
      document,
      { panel },
      () => this.isOpen,
      () => {
        this.close();
      },
    );
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Asks whether to open `url`, shown under the link's `text` (a tap asks even when they agree). */
  ask(text: string, url: URL): void {
    this.url = url.href;
    this.explanation.textContent = text === url.href ? "Links open in a new tab." : "The link's text and where it leads are not the same.";
    this.text.textContent = text;
    this.target.replaceChildren(...highlightHost(this.document, url));
    this.element.hidden = false;
    this.cancelButton.focus();
  }

  /** Closes without opening anything. */
  close(): void {
    if (!this.isOpen) {
      return;
    }
    this.element.hidden = true;
    this.url = null;
    this.options.closed();
  }
}

/** `url`'s text with its host (for mail, the address) in bold, where people look to judge a link. */
function highlightHost(document: Document, url: URL): Node[] {
  const href = url.href;
  const host = url.protocol === "mailto:" ? url.pathname : url.host;
  const at = host === "" ? -1 : href.indexOf(host);
  if (at < 0) {
    return [document.createTextNode(href)];
  }
  const strong = document.createElement("strong");
  strong.textContent = host;
  return [document.createTextNode(href.slice(0, at)), strong, document.createTextNode(href.slice(at + host.length))];
}

function term(document: Document, text: string): HTMLElement {
  const dt = document.createElement("dt");
  dt.textContent = text;
  return dt;
}

function definition(document: Document, content: HTMLElement): HTMLElement {
  const dd = document.createElement("dd");
  dd.append(content);
  return dd;
}

