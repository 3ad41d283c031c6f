// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { DONE_MS, FAILED_MS, formatBytes, MAX_CARDS, percent, TransferNotices } from "./transfer-notices";

describe("formatBytes", () => {
  it("says sizes as file managers do", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1.0 KB");
    expect(formatBytes(1_234_567)).toBe("1.2 MB");
    expect(formatBytes(104_857_600)).toBe("104.9 MB");
    expect(formatBytes(999_999)).toBe("1.0 MB");
    expect(formatBytes(3_000_000_000)).toBe("3.0 GB");
  });
});

describe("percent", () => {
  it("is whole, and 100 only when everything is there", () => {
    expect(percent(0, 10)).toBe(0);
    expect(percent(5, 10)).toBe(50);
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(0, 0)).toBe(100);
  });
});

/** Timers run by hand. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 1;
  return {
    pending,
    setTimeout: (callback: () => void, ms: number) => {
      pending.set(next, { callback, ms });
      return next++;
    },
    clearTimeout: (handle: unknown) => {
      pending.delete(handle as number);
    },
    runAll: () => {
      for (const [handle, timer] of [...pending]) {
        pending.delete(handle);
        timer.callback();
      }
    },
  };
}

describe("TransferNotices", () => {
  let timers: ReturnType<typeof manualTimers>;
  let notices: TransferNotices;
  const text = (selector: string, index = 0) => notices.element.querySelectorAll(selector)[index]?.textContent ?? null;

  beforeEach(() => {
    document.body.replaceChildren();
    timers = manualTimers();
    notices = new TransferNotices(document, timers);
    document.body.append(notices.element);
  });

  it("is hidden until a file moves, and shows its name, percent and bytes", () => {
    expect(notices.element.hidden).toBe(true);
    const card = notices.start("upload", "report.pdf");
    expect(notices.element.hidden).toBe(false);
    expect(text(".transfer-name")).toBe("report.pdf");
    card.progress(1_500_000, 3_000_000);
    expect(text(".transfer-percent")).toBe("50%");
    expect(text(".transfer-bytes")).toBe("1.5 MB of 3.0 MB");
    expect(text(".transfer-detail")).toBe("Uploading");
    expect(notices.element.querySelector(".transfer-bar")?.getAttribute("aria-valuenow")).toBe("50");
    expect(notices.element.querySelector<HTMLElement>(".transfer-fill")?.style.width).toBe("50%");
  });

  it("says where the file went, then goes away by itself", () => {
    const card = notices.start("download", "a.txt");
    card.done("Saved by the browser");
    expect(card.element.dataset.state).toBe("done");
    expect(text(".transfer-detail")).toBe("Saved by the browser");
    expect(text(".transfer-bytes")).toBe("");
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([DONE_MS]);
    timers.runAll();
    expect(notices.shown).toEqual([]);
    expect(notices.element.hidden).toBe(true);
  });

  it("keeps a refusal longer, and takes no progress after the outcome", () => {
    const card = notices.refuse("upload", "../x", "Not uploaded: invalid file name");
    expect(card.element.dataset.state).toBe("failed");
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([FAILED_MS]);
    card.progress(5, 10);
    card.done("too late");
    expect(text(".transfer-detail")).toBe("Not uploaded: invalid file name");
    expect(text(".transfer-percent")).toBe("");
  });

  it("cancels a moving file from its close button, and dismisses a finished one", () => {
    let cancelled = 0;
    const card = notices.start("upload", "big.iso", () => {
      cancelled += 1;
    });
    const close = card.element.querySelector<HTMLButtonElement>(".transfer-close");
    expect(close?.getAttribute("aria-label")).toBe("Cancel the upload");
    close?.click();
    expect(cancelled).toBe(1);
    // The card stays until whoever cancelled says how it ended.
    expect(notices.shown).toEqual([card]);
    card.failed("Cancelled");
    expect(close?.getAttribute("aria-label")).toBe("Dismiss");
    close?.click();
    expect(cancelled).toBe(1);
    expect(notices.shown).toEqual([]);
    expect(timers.pending.size).toBe(0);
  });

  it(`shows at most ${String(MAX_CARDS)} cards, dropping the oldest finished ones`, () => {
    const first = notices.start("upload", "1");
    first.done("ok");
    const moving = notices.start("upload", "2");
    for (const name of ["3", "4", "5"]) {
      notices.start("upload", name);
    }
    expect(notices.shown.map((card) => card.element.querySelector(".transfer-name")?.textContent)).toEqual(["2", "3", "4", "5"]);
    expect(notices.shown).toContain(moving);
    expect(notices.element.children).toHaveLength(MAX_CARDS);
  });
});
