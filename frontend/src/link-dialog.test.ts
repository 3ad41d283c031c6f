// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LinkDialog } from "./link-dialog";

describe("LinkDialog", () => {
  let opened: string[];
  let closed: number;
  let dialog: LinkDialog;

  const button = (text: string): HTMLButtonElement => {
    const found = [...dialog.element.querySelectorAll("button")].find((candidate) => candidate.textContent === text);
    if (found === undefined) {
      throw new Error(`no button ${text}`);
    }
    return found;
  };

  beforeEach(() => {
    opened = [];
    closed = 0;
    dialog = new LinkDialog(document, {
      open: (url) => opened.push(url),
      closed: () => closed++,
    });
    document.body.replaceChildren(dialog.element);
  });

  // Each dialog listens on the document: none stays open into the next test.
  afterEach(() => {
    dialog.close();
  });

  it("starts hidden, a labelled modal dialog", () => {
    expect(dialog.isOpen).toBe(false);
    expect(dialog.element.getAttribute("role")).toBe("dialog");
    expect(dialog.element.getAttribute("aria-modal")).toBe("true");
    expect(document.getElementById(dialog.element.getAttribute("aria-labelledby") ?? "")?.textContent).toBe("Open this link?");
  });

  it("shows the text and the real target with its host in bold, Cancel focused", () => {
    dialog.ask("the docs", new URL("https://evil.example/docs?x=1"));
    expect(dialog.isOpen).toBe(true);
    expect(dialog.element.querySelector(".link-text")?.textContent).toBe("the docs");
    expect(dialog.element.querySelector(".link-target")?.textContent).toBe("https://evil.example/docs?x=1");
    expect(dialog.element.querySelector(".link-target strong")?.textContent).toBe("evil.example");
    expect(document.activeElement).toBe(button("Cancel"));
  });

  it("bolds the address of a mail link", () => {
    dialog.ask("write to us", new URL("mailto:ops@example.com"));
    expect(dialog.element.querySelector(".link-target strong")?.textContent).toBe("ops@example.com");
  });

  it("opens only on Open link", () => {
    dialog.ask("the docs", new URL("https://evil.example/"));
    button("Open link").click();
    expect(opened).toEqual(["https://evil.example/"]);
    expect(dialog.isOpen).toBe(false);
    expect(closed).toBe(1);
  });

  it("opens nothing on Cancel, the close button, Escape or a press outside", () => {
    const cancels: (() => void)[] = [
      () => {
        button("Cancel").click();
      },
      () => {
        dialog.element.querySelector<HTMLButtonElement>("header button")?.click();
      },
      () => {
        dialog.element.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
      },
      () => {
        document.body.dispatchEvent(new Event("pointerdown", { bubbles: true }));
      },
    ];
    for (const cancel of cancels) {
      dialog.ask("the docs", new URL("https://evil.example/"));
      cancel();
      expect(dialog.isOpen).toBe(false);
    }
    expect(opened).toEqual([]);
    expect(closed).toBe(cancels.length);
  });

  it("keeps Tab inside", () => {
    dialog.ask("the docs", new URL("https://evil.example/"));
    button("Open link").focus();
    dialog.element.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true }));
    expect(document.activeElement).toBe(dialog.element.querySelector("header button"));
  });

  it("does nothing when closed twice", () => {
    dialog.close();
    expect(closed).toBe(0);
  });
});
