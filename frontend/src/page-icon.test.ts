// @vitest-environment happy-dom
import { readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { PAGE_ICON, showPageIcon } from "./page-icon";

describe("showPageIcon", () => {
  it("turns index.html's empty icon into the SVG icon, relative to the page", () => {
    const page = new DOMParser().parseFromString(readFileSync(path.join(process.cwd(), "index.html"), "utf8"), "text/html");
    const link = page.querySelector<HTMLLinkElement>('link[rel="icon"]');
    expect(link?.getAttribute("href")).toBe("data:,");
    showPageIcon(page);
    expect(link?.getAttribute("href")).toBe(PAGE_ICON);
    expect(link?.type).toBe("image/svg+xml");
  });

  it("leaves the link alone once it names the icon, and a page without one", () => {
    document.head.innerHTML = `<link rel="icon" type="image/svg+xml" href="${PAGE_ICON}">`;
    const link = document.querySelector("link");
    const observer = new MutationObserver(() => undefined);
    observer.observe(document.head, { attributes: true, subtree: true });
    showPageIcon(document);
    expect(observer.takeRecords()).toEqual([]);
    expect(link?.getAttribute("href")).toBe(PAGE_ICON);
    document.head.innerHTML = "";
    expect(() => {
      showPageIcon(document);
    }).not.toThrow();
  });
});
