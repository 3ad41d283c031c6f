// The page's icon, set once the terminal has drawn its first output. Chromium decodes an SVG icon
// on the page's main thread (it builds a whole SVG document for it), as the page loads: 3-10 ms,
// more on a busy machine, that the first prompt waited for. Until then index.html names an empty
// icon, so that the browser does not ask for /favicon.ico either.

/** The icon, next to index.html. */
export const PAGE_ICON = "./favicon.svg";

/** Points the page's icon link at the real icon; once (setting it again would fetch it again). */
export function showPageIcon(document: Pick<Document, "querySelector">): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (link === null || link.getAttribute("href") === PAGE_ICON) {
    return;
  }
  link.type = "image/svg+xml";
  link.setAttribute("href", PAGE_ICON);
}
