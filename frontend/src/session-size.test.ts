import { describe, expect, it } from "vitest";
import type { TerminalSize } from "./handshake";
import { followCursor, TerminalSizing } from "./session-size";

function sizing(watching: () => boolean) {
  const calls: (TerminalSize | "fit")[] = [];
  const subject = new TerminalSizing({
    fitWindow: () => calls.push("fit"),
    resize: (size) => calls.push(size),
    watching,
  });
  return { subject, calls };
}

describe("TerminalSizing", () => {
  it("gives a watcher the session's size, whatever the window does", () => {
    const { subject, calls } = sizing(() => true);
    subject.refit();
    expect(calls).toEqual(["fit"]); // Not told yet: the window's size meanwhile.
    subject.sessionResized({ cols: 120, rows: 40 });
    subject.refit();
    subject.sessionResized({ cols: 80, rows: 24 });
    expect(calls).toEqual(["fit", { cols: 120, rows: 40 }, { cols: 120, rows: 40 }, { cols: 80, rows: 24 }]);
    expect(subject.sessionSize).toEqual({ cols: 80, rows: 24 });
  });

  it("fits the window for a client that may type, and for a watcher once it may type", () => {
    let watching = false;
    const { subject, calls } = sizing(() => watching);
    subject.sessionResized({ cols: 120, rows: 40 });
    expect(calls).toEqual([]); // Its own size applies when it types: nothing to do.
    watching = true;
    subject.refit();
    watching = false;
    subject.refit();
    expect(calls).toEqual([{ cols: 120, rows: 40 }, "fit"]);
  });

  it("forgets the session's size with the connection", () => {
    const { subject, calls } = sizing(() => true);
    subject.sessionResized({ cols: 120, rows: 40 });
    subject.forget();
    subject.refit();
    expect(subject.sessionSize).toBeNull();
    expect(calls).toEqual([{ cols: 120, rows: 40 }, "fit"]);
  });
});

describe("followCursor", () => {
  it("scrolls a watcher's window just enough to show the cursor's row, and not otherwise", () => {
    const box = { scrollTop: 0, clientHeight: 100 };
    followCursor(box, { top: 40, bottom: 56 });
    expect(box.scrollTop).toBe(0);
    followCursor(box, { top: 150, bottom: 166 });
    expect(box.scrollTop).toBe(66);
    followCursor(box, { top: 100, bottom: 116 });
    expect(box.scrollTop).toBe(66); // Still in view.
    followCursor(box, { top: 20, bottom: 36 });
    expect(box.scrollTop).toBe(20);
  });
});
