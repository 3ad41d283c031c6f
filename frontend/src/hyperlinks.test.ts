// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import {
  LinkOpener,
  LinkTooltip,
  linkGesture,
  linkHint,
  openableUrl,
  opensLinks,
  rangeText,
  refusedText,
  textMatchesTarget,
  usesCommandKey,
} from "./hyperlinks";

const RANGE = { start: { x: 1, y: 1 }, end: { x: 4, y: 1 } };
const click = (modifiers: { ctrlKey?: boolean; metaKey?: boolean } = {}) =>
  ({ ctrlKey: false, metaKey: false, clientX: 10, clientY: 10, ...modifiers }) as MouseEvent;

describe("openableUrl", () => {
  it("takes http, https and mailto", () => {
    expect(openableUrl("https://example.com/a?b#c")?.href).toBe("https://example.com/a?b#c");
    expect(openableUrl("http://example.com")?.host).toBe("example.com");
    expect(openableUrl("mailto:ops@example.com")?.protocol).toBe("mailto:");
  });

  it("refuses every other scheme and what is not a URL", () => {
    for (const uri of ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,x", "ssh://host", "example.com", ""]) {
      expect(openableUrl(uri), uri).toBeNull();
    }
  });

  it("names the refused scheme", () => {
    expect(refusedText("file:///etc/passwd")).toBe("Links to file: are not opened: only http, https and mailto links open from the terminal.");
    expect(refusedText("no scheme")).toContain("This link has no scheme");
  });
});

describe("textMatchesTarget", () => {
  it("holds for the target itself, or the target without http(s):// and a trailing slash", () => {
    expect(textMatchesTarget("https://example.com/x", "https://example.com/x")).toBe(true);
    expect(textMatchesTarget(" https://example.com/x ", "https://example.com/x")).toBe(true);
    expect(textMatchesTarget("example.com/x", "https://example.com/x")).toBe(true);
    expect(textMatchesTarget("example.com", "http://example.com/")).toBe(true);
  });

  it("fails for other text, another host or another scheme shown", () => {
    expect(textMatchesTarget("docs", "https://example.com/docs")).toBe(false);
    expect(textMatchesTarget("https://bank.example", "https://evil.example")).toBe(false);
    expect(textMatchesTarget("bank.example", "https://bank.example.evil.test")).toBe(false);
    expect(textMatchesTarget("http://example.com/x", "https://example.com/x")).toBe(false);
    expect(textMatchesTarget("ops@example.com", "mailto:ops@example.com")).toBe(false);
  });
});

describe("the modifier", () => {
  it("is Cmd on Apple platforms and Ctrl elsewhere", () => {
    expect(usesCommandKey("MacIntel")).toBe(true);
    expect(usesCommandKey("iPhone")).toBe(true);
    expect(usesCommandKey("Linux x86_64")).toBe(false);
    expect(usesCommandKey("Win32")).toBe(false);
    expect(opensLinks({ ctrlKey: true, metaKey: false }, false)).toBe(true);
    expect(opensLinks({ ctrlKey: false, metaKey: true }, false)).toBe(false);
    expect(opensLinks({ ctrlKey: false, metaKey: true }, true)).toBe(true);
    expect(opensLinks({ ctrlKey: true, metaKey: false }, true)).toBe(false);
  });

  it("is named in the tooltip's hint, which says when a link will not open", () => {
    expect(linkHint("https://example.com", "ctrl")).toBe("Ctrl+click to open");
    expect(linkHint("https://example.com", "cmd")).toBe("Cmd+click to open");
    expect(linkHint("https://example.com", "tap")).toBe("Tap to open");
    expect(linkHint("file:///etc", "ctrl")).toContain("Not opened");
  });

  it("is a tap on touch screens, else the platform's key", () => {
    expect(linkGesture("Linux armv8l", true)).toBe("tap");
    expect(linkGesture("iPhone", true)).toBe("tap");
    expect(linkGesture("MacIntel", false)).toBe("cmd");
    expect(linkGesture("Win32", false)).toBe("ctrl");
  });
});

describe("LinkTooltip", () => {
  it("shows the target beside the pointer, inside the window, and hides", () => {
    const tooltip = new LinkTooltip(document, { innerWidth: 800, innerHeight: 600 });
    document.body.replaceChildren(tooltip.element);
    expect(tooltip.shown).toBeNull();
    tooltip.show({ clientX: 100, clientY: 200 }, "https://example.com/", "Ctrl+click to open");
    expect(tooltip.shown).toBe("https://example.com/");
    expect(tooltip.element.textContent).toContain("Ctrl+click to open");
    expect(tooltip.element.style.left).toBe("104px");
    expect(tooltip.element.style.top).toBe("216px");
    expect(tooltip.element.classList.contains("refused")).toBe(false);
    tooltip.show({ clientX: 100, clientY: 200 }, "file:///x", "no");
    expect(tooltip.element.classList.contains("refused")).toBe(true);
    tooltip.hide();
    expect(tooltip.shown).toBeNull();
  });

  it("goes above the pointer near the bottom of the window", () => {
    const tooltip = new LinkTooltip(document, { innerWidth: 800, innerHeight: 600 });
    tooltip.element.getBoundingClientRect = () => ({ width: 300, height: 40 }) as DOMRect;
    tooltip.show({ clientX: 790, clientY: 590 }, "https://example.com/", "hint");
    expect(tooltip.element.style.top).toBe("534px");
    expect(tooltip.element.style.left).toBe("496px");
  });
});

describe("LinkOpener", () => {
  let opened: string[];
  let confirmed: [string, string][];
  let notices: string[];
  let text: string;
  let tooltip: LinkTooltip;
  let opener: LinkOpener;

  beforeEach(() => {
    opened = [];
    confirmed = [];
    notices = [];
    text = "";
    tooltip = new LinkTooltip(document, { innerWidth: 800, innerHeight: 600 });
    opener = new LinkOpener({
      tooltip,
      gesture: "ctrl",
      textAt: (range) => {
        expect(range).toBe(RANGE);
        return text;
      },
      confirm: (shown, url) => confirmed.push([shown, url.href]),
      open: (url) => opened.push(url),
      notice: (notice) => notices.push(notice),
    });
  });

  it("opens an OSC 8 link whose text is its target on Ctrl+click, and nothing on a plain click", () => {
    text = "example.com/a";
    opener.oscHandler.activate(click(), "https://example.com/a", RANGE);
    expect(opened).toEqual([]);
    opener.oscHandler.activate(click({ ctrlKey: true }), "https://example.com/a", RANGE);
    expect(opened).toEqual(["https://example.com/a"]);
    expect(confirmed).toEqual([]);
  });

  it("asks first when the text says something else", () => {
    text = "the docs";
    opener.oscHandler.activate(click({ ctrlKey: true }), "https://evil.example/x", RANGE);
    expect(opened).toEqual([]);
    expect(confirmed).toEqual([["the docs", "https://evil.example/x"]]);
  });

  it("refuses other schemes with a notice, and passes them to the handler to do so", () => {
    expect(opener.oscHandler.allowNonHttpProtocols).toBe(true);
    text = "passwords";
    opener.oscHandler.activate(click({ ctrlKey: true }), "file:///etc/passwd", RANGE);
    expect(opened).toEqual([]);
    expect(confirmed).toEqual([]);
    expect(notices).toEqual([refusedText("file:///etc/passwd")]);
  });

  it("shows the target on hover and hides it on leave", () => {
    opener.oscHandler.hover?.(click(), "https://example.com/", RANGE);
    expect(tooltip.shown).toBe("https://example.com/");
    opener.oscHandler.leave?.(click(), "https://example.com/", RANGE);
    expect(tooltip.shown).toBeNull();
    opener.hover(click(), "https://plain.example/");
    expect(tooltip.shown).toBe("https://plain.example/");
    opener.leave();
    expect(tooltip.shown).toBeNull();
  });

  it("asks on every tap on a touch screen, where there is no Ctrl key", () => {
    const tapping = new LinkOpener({
      tooltip,
      gesture: "tap",
      textAt: () => "example.com/a",
      confirm: (shown, url) => confirmed.push([shown, url.href]),
      open: (url) => opened.push(url),
      notice: (notice) => notices.push(notice),
    });
    tapping.oscHandler.activate(click(), "https://example.com/a", RANGE);
    tapping.plainUrlActivated(click(), "https://plain.example/");
    expect(opened).toEqual([]);
    expect(confirmed).toEqual([
      ["example.com/a", "https://example.com/a"],
      ["https://plain.example/", "https://plain.example/"],
    ]);
    tapping.oscHandler.activate(click(), "ssh://host", RANGE);
    expect(notices).toEqual([refusedText("ssh://host")]);
  });

  it("opens a plain URL on Ctrl+click only, without asking", () => {
    opener.plainUrlActivated(click(), "https://plain.example/");
    expect(opened).toEqual([]);
    opener.plainUrlActivated(click({ ctrlKey: true }), "https://plain.example/");
    expect(opened).toEqual(["https://plain.example/"]);
    expect(confirmed).toEqual([]);
  });
});

describe("rangeText", () => {
  const buffer = {
    lines: ["$ see the docs", "continued here  "],
    getLine(y: number) {
      const line = this.lines[y];
      return line === undefined
        ? undefined
        : { translateToString: (trimRight = false, start = 0, end?: number) => (trimRight ? line.slice(start, end).trimEnd() : line.slice(start, end)) };
    },
  };

  it("reads the cells of a 1-based, inclusive range on one row", () => {
    expect(rangeText(buffer, { start: { x: 7, y: 1 }, end: { x: 14, y: 1 } })).toBe("the docs");
  });

  it("joins a range over two rows, and reads a missing row as empty", () => {
    expect(rangeText(buffer, { start: { x: 11, y: 1 }, end: { x: 9, y: 2 } })).toBe("docscontinued");
    expect(rangeText(buffer, { start: { x: 1, y: 5 }, end: { x: 3, y: 5 } })).toBe("");
  });
});
