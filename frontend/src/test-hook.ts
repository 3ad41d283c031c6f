// The UI's read-only hook for the end-to-end test, `window.webTerminal`: the WebGL renderer leaves
// no text in the DOM. The one definition: main.ts implements it, and e2e/tsconfig.json includes this
// file so the browser-side callbacks of the e2e test are checked against it.

export interface WebTerminalHook {
  screenText(): string;
  state(): string;
  sessionId(): string | null;
  size(): { cols: number; rows: number };
  renderer(): "webgl" | "dom";
}

declare global {
  interface Window {
    readonly webTerminal?: WebTerminalHook;
  }
}
