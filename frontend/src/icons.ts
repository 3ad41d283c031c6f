// Small line icons (24×24, stroked with the text colour) for the UI's buttons, built as SVG
// elements: no markup strings, nothing the CSP would refuse.

const SVG = "http://www.w3.org/2000/svg";

/** Each icon's path data. */
const PATHS = {
  close: "M6 6l12 12M18 6L6 18",
  up: "M6 15l6-6 6 6",
  down: "M6 9l6 6 6-6",
  minus: "M6 12h12",
  search: "M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM15.5 15.5L20 20",
  plus: "M6 12h12M12 6v12",
  // An arrow out of a tray, and one into it: files to and from the session.
  upload: "M12 15V4.5M7.5 9 12 4.5 16.5 9M4.5 14.5v3A2.5 2.5 0 0 0 7 20h10a2.5 2.5 0 0 0 2.5-2.5v-3",
  download: "M12 4.5V15M7.5 10.5 12 15l4.5-4.5M4.5 14.5v3A2.5 2.5 0 0 0 7 20h10a2.5 2.5 0 0 0 2.5-2.5v-3",
  // A transfer's outcome: arrived, or refused.
  check: "M5 12.5l4.5 4.5L19 7.5",
  alert: "M12 6.5v7M12 17.5v.01",
  // Two stacked windows: the sessions.
  sessions: "M4 8.5h12.5v10H4zM7.5 5h12.5v10M4 11.5h12.5",
  gear:
    "M12 15.2a3.2 3.2 0 1 0 0-6.4 3.2 3.2 0 0 0 0 6.4z" +
    "M19.4 13.5a7.6 7.6 0 0 0 0-3l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2.6-1.5L14 2.5h-4l-.4 2.5A7.5 7.5 0 0 0 7 6.5l-2.4-1-2 3.4 2 1.6a7.6 7.6 0 0 0 0 3l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 2.6 1.5l.4 2.5h4l.4-2.5a7.5 7.5 0 0 0 2.6-1.5l2.4 1 2-3.4z",
} as const;

export type IconName = keyof typeof PATHS;

/** An `<svg>` of `name`, hidden from screen readers (its button carries the label). */
export function icon(document: Document, name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", PATHS[name]);
  svg.append(path);
  return svg;
}

/** A `<button type="button">` with an icon and an accessible name (also its tooltip). */
export function iconButton(document: Document, name: IconName, label: string): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button";
  button.title = label;
  button.setAttribute("aria-label", label);
  button.append(icon(document, name));
  return button;
}
