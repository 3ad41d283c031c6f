// @vitest-environment happy-dom
import type { ISearchOptions, ISearchResultChangeEvent } from "@xterm/addon-search";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { describeResults, SEARCH_HIGHLIGHT_LIMIT, SearchBar, searchPattern, validPattern } from "./search-bar";
import { THEMES } from "./themes";

/** The search addon as the bar uses it: it records the calls and reports what the test says. */
class FakeSearch {
  readonly calls: { how: "next" | "previous"; term: string; options: ISearchOptions | undefined }[] = [];
  cleared = 0;
  listener: (event: ISearchResultChangeEvent) => void = () => undefined;
  /** What the next find reports. */
  report: ISearchResultChangeEvent = { resultIndex: 0, resultCount: 1 };

  findNext(term: string, options?: ISearchOptions): boolean {
    this.calls.push({ how: "next", term, options });
    this.listener(this.report);
    return this.report.resultCount > 0;
  }
  findPrevious(term: string, options?: ISearchOptions): boolean {
    this.calls.push({ how: "previous", term, options });
    this.listener(this.report);
    return this.report.resultCount > 0;
  }
  clearDecorations(): void {
    this.cleared += 1;
  }
  onDidChangeResults = (listener: (event: ISearchResultChangeEvent) => void) => {
    this.listener = listener;
    return { dispose: () => undefined };
  };
}

function required<T>(found: T | null): T {
  if (found === null) {
    throw new Error("not in the find bar");
  }
  return found;
}

describe("describeResults", () => {
  it("says where the search stands", () => {
    expect(describeResults(null)).toBe("");
    expect(describeResults({ index: -1, count: 0 })).toBe("No results");
    expect(describeResults({ index: 2, count: 7 })).toBe("3 of 7");
    expect(describeResults({ index: -1, count: 7 })).toBe("7 matches");
    expect(describeResults({ index: 0, count: SEARCH_HIGHLIGHT_LIMIT })).toBe(`1 of ${SEARCH_HIGHLIGHT_LIMIT}+`);
  });
});

describe("searchPattern", () => {
  it("leaves the term alone without whole words", () => {
    expect(searchPattern("a.b", false, false)).toEqual({ term: "a.b", regex: false });
    expect(searchPattern("a.b", true, false)).toEqual({ term: "a.b", regex: true });
  });

  it("finds whole words only, including after a match inside a longer word", () => {
    const { term } = searchPattern("cat", false, true);
    const found = (line: string) => [...line.matchAll(new RegExp(term, "g"))].map((match) => match.index);
    expect(found("concat cat cats cat-tail")).toEqual([7, 16]);
    expect(found("-x- x")).toEqual([]);
    expect([..." -x- a-x-".matchAll(new RegExp(searchPattern("-x-", false, true).term, "g"))].map((match) => match.index)).toEqual([1]);
    expect(new RegExp(searchPattern("a.b", false, true).term).test("axb")).toBe(false);
    expect(new RegExp(searchPattern("a.b", true, true).term).test("axb")).toBe(true);
  });
});

describe("validPattern", () => {
  it("says whether the addon could compile the pattern", () => {
    expect(validPattern("err(or)?", false)).toBe(true);
    expect(validPattern("(unclosed", true)).toBe(false);
    expect(validPattern("[", false)).toBe(false);
  });
});

describe("SearchBar", () => {
  let search: FakeSearch;
  let bar: SearchBar;
  let closed: ReturnType<typeof vi.fn<() => void>>;
  let selection: string;
  let loads: number;
  /** Whether load() attaches the addon at once (else the test attaches it, or fails the load). */
  let loadsAtOnce: boolean;

  beforeEach(() => {
    document.body.replaceChildren();
    search = new FakeSearch();
    closed = vi.fn<() => void>();
    selection = "";
    loads = 0;
    loadsAtOnce = true;
    bar = new SearchBar(document, {
      load: () => {
        loads++;
        if (loadsAtOnce) {
          bar.attach(search);
        }
      },
      decorations: () => THEMES.dark.search,
      selection: () => selection,
      closed,
    });
    document.body.append(bar.element);
  });

  const input = () => required(bar.element.querySelector("input"));
  const count = () => bar.element.querySelector(".find-count")?.textContent;
  const button = (label: string) => required(bar.element.querySelector<HTMLButtonElement>(`button[aria-label^="${label}"]`));
  function type(text: string): void {
    input().value = text;
    input().dispatchEvent(new Event("input"));
  }
  function key(init: KeyboardEventInit, target: Element = input()): KeyboardEvent {
    const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(event);
    return event;
  }

  it("is a labelled search landmark, hidden until opened", () => {
    expect(bar.element.getAttribute("role")).toBe("search");
    expect(bar.isOpen).toBe(false);
    expect(input().getAttribute("aria-label")).toBe("Find in the terminal");
    expect(bar.element.querySelector(".find-count")?.getAttribute("aria-live")).toBe("polite");
  });

  it("opens focused, and searches upwards from the bottom as one types, with highlights in the theme's colours", () => {
    bar.open();
    expect(bar.isOpen).toBe(true);
    expect(document.activeElement).toBe(input());
    expect(document.body.classList.contains("finding")).toBe(true);

    search.report = { resultIndex: 4, resultCount: 5 };
    type("err");
    expect(search.calls).toEqual([
      { how: "previous", term: "err", options: { caseSensitive: false, regex: false, decorations: THEMES.dark.search, incremental: true } },
    ]);
    expect(count()).toBe("5 of 5");
    expect(bar.results).toEqual({ index: 4, count: 5 });
  });

  it("goes to the next match on Enter and the previous one on Shift+Enter or with the buttons", () => {
    bar.open();
    type("x");
    key({ key: "Enter" });
    key({ key: "Enter", shiftKey: true });
    button("Next").click();
    button("Previous").click();
    expect(search.calls.map((call) => call.how)).toEqual(["previous", "next", "previous", "next", "previous"]);
    expect(search.calls.slice(1).every((call) => call.options?.incremental === undefined)).toBe(true);
  });

  it("searches again with match case and regular expression toggled", () => {
    bar.open();
    type("Err");
    button("Match case").click();
    expect(button("Match case").getAttribute("aria-pressed")).toBe("true");
    expect(search.calls.at(-1)?.options).toMatchObject({ caseSensitive: true, regex: false });
    button("Regular expression").click();
    expect(search.calls.at(-1)?.options).toMatchObject({ caseSensitive: true, regex: true });
    button("Match case").click();
    expect(search.calls.at(-1)?.options).toMatchObject({ caseSensitive: false, regex: true });
    expect(document.activeElement).toBe(input());
  });

  it("searches for whole words with its toggle, as a pattern with no word character on either side", () => {
    bar.open();
    type("a.b");
    expect(search.calls.at(-1)).toMatchObject({ term: "a.b", options: { regex: false } });
    const cleared = search.cleared;
    button("Whole word").click();
    expect(button("Whole word").getAttribute("aria-pressed")).toBe("true");
    // The addon highlights again only after its decorations are cleared.
    expect(search.cleared).toBe(cleared + 1);
    expect(search.calls.at(-1)).toMatchObject({ how: "previous", term: "(?<!\\w)(?:a\\.b)(?!\\w)", options: { regex: true, caseSensitive: false } });
    button("Regular expression").click();
    expect(search.calls.at(-1)).toMatchObject({ term: "(?<!\\w)(?:a.b)(?!\\w)", options: { regex: true } });
    button("Whole word").click();
    expect(search.calls.at(-1)).toMatchObject({ term: "a.b", options: { regex: true } });
  });

  it("says an invalid pattern is invalid with whole words too", () => {
    bar.open();
    button("Whole word").click();
    button("Regular expression").click();
    const calls = search.calls.length;
    type("(oops");
    expect(count()).toBe("Invalid pattern");
    expect(search.calls).toHaveLength(calls);
  });

  it("loads the addon when first opened, only once, and searches for what was typed meanwhile", () => {
    loadsAtOnce = false;
    expect(loads).toBe(0);
    bar.open();
    expect(loads).toBe(1);
    type("early");
    expect(count()).toBe("Loading…");
    expect(search.calls).toEqual([]);
    bar.open();
    expect(loads).toBe(1);
    search.report = { resultIndex: 0, resultCount: 2 };
    bar.attach(search);
    expect(search.calls.map((call) => [call.how, call.term])).toEqual([["previous", "early"]]);
    expect(count()).toBe("1 of 2");
    bar.close();
    bar.open();
    expect(loads).toBe(1);
  });

  it("says so when the addon cannot load, and tries again on the next open", () => {
    loadsAtOnce = false;
    bar.open();
    type("x");
    bar.loadFailed();
    expect(count()).toBe("Find could not load; try again");
    bar.open();
    expect(loads).toBe(2);
    bar.attach(search);
    expect(search.calls.map((call) => call.term)).toEqual(["x"]);
  });

  it("says so when nothing matches", () => {
    bar.open();
    search.report = { resultIndex: -1, resultCount: 0 };
    type("nowhere");
    expect(count()).toBe("No results");
    expect(bar.element.querySelector(".find-count")?.classList.contains("none")).toBe(true);
  });

  it("does not hand the addon an invalid pattern (it would throw), and says so", () => {
    bar.open();
    button("Regular expression").click();
    type("(oops");
    expect(search.calls).toEqual([]);
    expect(input().hasAttribute("aria-invalid")).toBe(true);
    expect(count()).toBe("Invalid pattern");
    type("(oops)");
    expect(input().hasAttribute("aria-invalid")).toBe(false);
    expect(search.calls).toHaveLength(1);
  });

  it("clears the highlights when the term is emptied", () => {
    bar.open();
    type("x");
    type("");
    expect(search.calls).toHaveLength(1);
    expect(search.cleared).toBe(1);
    expect(count()).toBe("");
  });

  it("closes on Escape, in the field or on a button, clearing the highlights and handing the focus back", () => {
    bar.open();
    type("x");
    key({ key: "Escape" });
    expect(bar.isOpen).toBe(false);
    expect(search.cleared).toBe(1);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(bar.results).toBeNull();
    expect(document.body.classList.contains("finding")).toBe(false);

    bar.open();
    key({ key: "Escape" }, button("Next"));
    expect(bar.isOpen).toBe(false);
    bar.open();
    button("Close").click();
    expect(closed).toHaveBeenCalledTimes(3);
    // Closing a closed bar does nothing.
    bar.close();
    expect(closed).toHaveBeenCalledTimes(3);
  });

  it("takes a short single-line selection as the term and searches for it at once", () => {
    selection = "needle";
    bar.open();
    expect(input().value).toBe("needle");
    expect(search.calls.map((call) => call.term)).toEqual(["needle"]);

    // Opening again refocuses without searching again; a long or multi-line selection is not a term.
    bar.open();
    expect(search.calls).toHaveLength(1);
    bar.close();
    selection = "two\nlines";
    bar.open();
    expect(input().value).toBe("needle");
  });

  it("highlights again when the theme changes, but only while open with a term", () => {
    bar.refresh();
    expect(search.calls).toEqual([]);
    bar.open();
    type("x");
    bar.refresh();
    expect(search.cleared).toBe(1);
    expect(search.calls).toHaveLength(2);
  });
});
