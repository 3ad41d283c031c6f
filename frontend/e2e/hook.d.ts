// The UI's read-only test hook (src/main.ts), as the browser-side callbacks see it.
interface WebTerminalHook {
  screenText(): string;
  state(): string;
  sessionId(): string | null;
  size(): { cols: number; rows: number };
  renderer(): "webgl" | "dom";
}

interface Window {
  readonly webTerminal?: WebTerminalHook;
}
