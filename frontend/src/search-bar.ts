// The find bar (Ctrl+Shift+F): a term, match case and regular expression toggles, the match
// count, previous and next. xterm.js's search addon does the finding, selects and scrolls to the
// match, and highlights every match (its decorations, drawn by either renderer).
//
// As in VS Code's terminal, typing searches upwards from the bottom, so the first match is the
// newest; Enter goes to the next match down, Shift+Enter to the previous one up, both wrapping.
import type { ISearchDecorationOptions, ISearchOptions, ISearchResultChangeEvent, SearchAddon } from "@xterm/addon-search";
import { icon, iconButton } from "./icons";

/** At most this many matches are highlighted and counted (the addon's own default). */
export const SEARCH_HIGHLIGHT_LIMIT = 1000;
/** A selection longer than this, or on more than one line, is not taken as the term. */
const MAX_SELECTION_TERM = 200;

export type Searcher = Pick<SearchAddon, "findNext" | "findPrevious" | "clearDecorations" | "onDidChangeResults">;

export interface SearchBarOptions {
  search: Searcher;
  /** The current theme's highlight colours. */
  decorations(): ISearchDecorationOptions;
  /** The terminal's selected text: the term when the bar opens. */
  selection(): string;
  /** The bar closed: the terminal takes the focus back. */
  closed(): void;
}

/** Where the search stands: the active match (0-based, -1 if not counted) of how many. */
export interface SearchResults {
  index: number;
  count: number;
}

/** What the count says. */
export function describeResults(results: SearchResults | null): string {
  if (results === null) {
    return "";
  }
  if (results.count === 0) {
    return "No results";
  }
  const count = results.count >= SEARCH_HIGHLIGHT_LIMIT ? `${SEARCH_HIGHLIGHT_LIMIT}+` : String(results.count);
  return results.index >= 0 ? `${results.index + 1} of ${count}` : `${count} matches`;
}

/** Whether `term` compiles as the addon would compile it; it throws on an invalid pattern. */
export function validPattern(term: string, caseSensitive: boolean): boolean {
  try {
    new RegExp(term, caseSensitive ? "g" : "gi");
    return true;
  } catch {
    return false;
  }
}

export class SearchBar {
  readonly element: HTMLElement;
  private readonly options: SearchBarOptions;
  private readonly input: HTMLInputElement;
  private readonly caseToggle: HTMLButtonElement;
  private readonly regexToggle: HTMLButtonElement;
  private readonly count: HTMLElement;
  private currentResults: SearchResults | null = null;

  constructor(document: Document, options: SearchBarOptions) {
    this.options = options;
    const bar = document.createElement("div");
    bar.id = "find";
    bar.className = "panel find-bar";
    bar.setAttribute("role", "search");
    bar.hidden = true;
    this.element = bar;

    const field = document.createElement("div");
    field.className = "find-field";
    const input = document.createElement("input");
    input.type = "text";
    input.placeholder = "Find";
    input.setAttribute("aria-label", "Find in the terminal");
    input.spellcheck = false;
    input.autocomplete = "off";
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("enterkeyhint", "search");
    this.input = input;
    this.caseToggle = toggle(document, "Aa", "Match case");
    this.regexToggle = toggle(document, ".*", "Regular expression");
    field.append(input, this.caseToggle, this.regexToggle);

    const count = document.createElement("span");
    count.className = "find-count";
    count.setAttribute("aria-live", "polite");
    this.count = count;

    const previous = iconButton(document, "up", "Previous match (Shift+Enter)");
    const next = iconButton(document, "down", "Next match (Enter)");
    const close = iconButton(document, "close", "Close (Escape)");
    bar.append(searchIcon(document), field, count, previous, next, close);

    input.addEventListener("input", () => {
      this.find("typed");
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        this.find(event.shiftKey ? "previous" : "next");
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
    // Escape anywhere in the bar, a toggle or a button too.
    bar.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && event.target !== input) {
        event.preventDefault();
        this.close();
      }
    });
    for (const button of [this.caseToggle, this.regexToggle]) {
      button.addEventListener("click", () => {
        button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
        this.find("typed");
        input.focus();
      });
    }
    previous.addEventListener("click", () => {
      this.find("previous");
    });
    next.addEventListener("click", () => {
      this.find("next");
    });
    close.addEventListener("click", () => {
      this.close();
    });
    options.search.onDidChangeResults((event: ISearchResultChangeEvent) => {
      this.showResults({ index: event.resultIndex, count: event.resultCount });
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** The last results the addon reported while the bar was open (for the test hook). */
  get results(): SearchResults | null {
    return this.currentResults;
  }

  /** Opens the bar, or focuses it again, with the terminal's selection as the term if it has one. */
  open(): void {
    const selected = this.options.selection();
    if (selected !== "" && selected.length <= MAX_SELECTION_TERM && !selected.includes("\n")) {
      this.input.value = selected;
    }
    const wasOpen = this.isOpen;
    this.element.hidden = false;
    this.element.ownerDocument.body.classList.add("finding");
    this.input.focus();
    this.input.select();
    if (!wasOpen && this.input.value !== "") {
      this.find("typed");
    }
  }

  /** Closes the bar, takes the highlights away and hands the focus back. */
  close(): void {
    if (!this.isOpen) {
      return;
    }
    this.element.hidden = true;
    this.element.ownerDocument.body.classList.remove("finding");
    this.options.search.clearDecorations();
    this.showResults(null);
    this.options.closed();
  }

  /** The theme changed: highlight again in its colours. */
  refresh(): void {
    if (this.isOpen && this.input.value !== "") {
      this.options.search.clearDecorations();
      this.find("typed");
    }
  }

  private searchOptions(): ISearchOptions {
    return {
      caseSensitive: this.caseToggle.getAttribute("aria-pressed") === "true",
      regex: this.regexToggle.getAttribute("aria-pressed") === "true",
      decorations: this.options.decorations(),
    };
  }

  private find(how: "typed" | "next" | "previous"): void {
    const term = this.input.value;
    const options = this.searchOptions();
    const invalid = options.regex === true && !validPattern(term, options.caseSensitive === true);
    this.input.toggleAttribute("aria-invalid", invalid);
    if (term === "" || invalid) {
      this.options.search.clearDecorations();
      this.showResults(null);
      if (invalid) {
        this.count.textContent = "Invalid pattern";
      }
      return;
    }
    if (how === "next") {
      this.options.search.findNext(term, options);
    } else {
      // Typing starts from the bottom: the newest match first.
      this.options.search.findPrevious(term, how === "typed" ? { ...options, incremental: true } : options);
    }
  }

  private showResults(results: SearchResults | null): void {
    this.currentResults = this.isOpen ? results : null;
    this.count.textContent = describeResults(this.currentResults);
    this.count.classList.toggle("none", this.currentResults?.count === 0);
  }
}

function toggle(document: Document, text: string, label: string): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "find-toggle";
  button.textContent = text;
  button.title = label;
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-pressed", "false");
  return button;
}

function searchIcon(document: Document): SVGSVGElement {
  const svg = icon(document, "search");
  svg.classList.add("find-icon");
  return svg;
}
