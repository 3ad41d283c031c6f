// @vitest-environment happy-dom
import { Terminal } from "@xterm/xterm";
import { describe, expect, it } from "vitest";
import { userInputTracker } from "./user-input";

describe("userInputTracker", () => {
  it("tells the user's input from xterm.js's answers, on xterm.js itself", async () => {
    const terminal = new Terminal({ allowProposedApi: true });
    const fromUser = userInputTracker(terminal);
    const seen: [string, boolean][] = [];
    terminal.onData((data) => seen.push([data, fromUser()]));
    terminal.input("ls\r");
    // A device attributes query: xterm.js answers it by itself.
    await new Promise<void>((resolve) => {
      terminal.write("\x1b[c", resolve);
    });
    terminal.input("x");
    expect(seen.map(([, user]) => user)).toEqual([true, false, true]);
    expect(seen[0]?.[0]).toBe("ls\r");
    expect(seen[1]?.[0].startsWith("\x1b[?")).toBe(true); // Its device attributes.
    terminal.dispose();
  });

  it("counts everything as an answer where xterm.js's internals are not there", () => {
    const fromUser = userInputTracker({});
    expect(fromUser()).toBe(false);
  });
});
