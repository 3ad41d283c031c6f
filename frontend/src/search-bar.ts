// The find bar (Ctrl+Shift+F): a term, match case and regular expression toggles, the match
// count, previous and next. xterm.js's search addon does the finding, selects and scrolls to the
// match, and highlights every match (its decorations, drawn by either renderer).
//
// As in VS Code's terminal, typing searches upwards from the bottom, so the first match is the
// newest; Enter goes to the next match down, Shift+Enter to the previous one up, both wrapping.
//
// The addon is not in the page's first script: the bar asks for it (`load`) when it first opens
// and searches for what was typed meanwhile once it is attached.
import type { ISearchDecorationOptions, ISearchOptions, ISearchResultChangeEvent, SearchAddon } from "@xterm/addon-search";
import { icon, iconButton } from "./icons";

/** At most this many matches are highlighted and counted (the addon's own default). */
export const SEARCH_HIGHLIGHT_LIMIT = 1000;
/** A selection longer than this, or on more than one line, is not taken as the term. */
const MAX_SELECTION_TERM = 200;

export type Searcher = Pick<SearchAddon, "findNext" | "findPrevious" | "clearDecorations" | "onDidChangeResults">;

export interface SearchBarOptions {
  /** Fetch the search addon and `attach` it (at once, or later); called when the bar first opens. */
  load(): void;
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

/**
 * What the addon is asked to find for `term`. A whole-word search is a regular expression that
 * wants no word character on either side (the term escaped unless it is a pattern already): the
 * addon's own whole-word option gives up on a line at its first match inside a longer word, so
 * "cat" would not be found in "concat cat".
 */
export function searchPattern(term: string, regex: boolean, wholeWord: boolean): { term: string; regex: boolean } {
  if (!wholeWord) {
    return { term, regex };
  }
  const inner = regex ? term : term.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  return { term: `(?<!\\w)(?:${inner})(?!\\w)`, regex: true };
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
  private readonly wordToggle: HTMLButtonElement;
  private readonly count: HTMLElement;
  private currentResults: SearchResults | null = null;
  private search: Searcher | null = null;
  private loading = false;

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
    this.wordToggle = toggle(document, "ab", "Whole word");
    this.wordToggle.classList.add("whole-word");
    field.append(input, this.caseToggle, this.wordToggle, this.regexToggle);

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
    for (const button of [this.caseToggle, this.wordToggle, this.regexToggle]) {
      button.addEventListener("click", () => {
        button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
        // The addon highlights again only for a new term, not for new options: start it over.
        this.search?.clearDecorations();
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
  }

  /** The search addon is here: report its results, and search for what was typed while it loaded. */
  attach(search: Searcher): void {
    this.search = search;
    this.loading = false;
    search.onDidChangeResults((event: ISearchResultChangeEvent) => {
      this.showResults({ index: event.resultIndex, count: event.resultCount });
    });
    if (this.isOpen && this.input.value !== "") {
      this.find("typed");
    }
  }

  /** The addon could not be fetched (the server went away, say): say so; the next open tries again. */
  loadFailed(): void {
    this.loading = false;
    this.count.textContent = "Find could not load; try again";
    this.count.classList.add("none");
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
    if (this.search === null && !this.loading) {
      this.loading = true;
      // attach() searches for the term (if any) once the addon is here.
      this.options.load();
    } else if (!wasOpen && this.input.value !== "") {
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
    this.search?.clearDecorations();
    this.showResults(null);
    this.options.closed();
  }

  /** The theme changed: highlight again in its colours. */
  refresh(): void {
    if (this.isOpen && this.input.value !== "") {
      this.search?.clearDecorations();
      this.find("typed");
    }
  }

  private pressed(button: HTMLButtonElement): boolean {
    return button.getAttribute("aria-pressed") === "true";
  }

  private find(how: "typed" | "next" | "previous"): void {
    const pattern = searchPattern(this.input.value, this.pressed(this.regexToggle), this.pressed(this.wordToggle));
    const term = this.input.value === "" ? "" : pattern.term;
    const options: ISearchOptions = {
      caseSensitive: this.pressed(this.caseToggle),
      regex: pattern.regex,
      decorations: this.options.decorations(),
    };
    const invalid = options.regex === true && !validPattern(term, options.caseSensitive === true);
    this.input.toggleAttribute("aria-invalid", invalid);
    const search = this.search;
    if (term === "" || invalid) {
      search?.clearDecorations();
      this.showResults(null);
      if (invalid) {
        this.count.textContent = "Invalid pattern";
      }
      return;
    }
    if (search === null) {
      // attach() searches for the term once the addon is here.
      this.count.textContent = this.loading ? "Loading…" : this.count.textContent;
      return;
    }
    if (how === "next") {
      search.findNext(term, options);
    } else {
      // Typing starts from the bottom: the newest match first.
      search.findPrevious(term, how === "typed" ? { ...options, incremental: true } : options);
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
