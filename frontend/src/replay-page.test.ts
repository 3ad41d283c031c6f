// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { loadError, ReplayPage } from "./replay-page";
import type { ReplayClock } from "./replay-player";
import { SessionApiError } from "./sessions-api";

const ID = "a".repeat(32);
const CAST = [
  JSON.stringify({ version: 3, term: { cols: 80, rows: 24 }, timestamp: 1_764_118_923 }),
  '[1,"o","hello "]',
  '[1,"r","100x30"]',
  '[1.5,"o","world"]',
  '[1,"x","0"]',
].join("\n");

/** Timers that fire only when the test moves the time. */
class ManualClock implements ReplayClock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private handle = 0;
  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, ms: number): number {
    this.handle += 1;
    this.timers.set(this.handle, { at: this.time + ms, callback });
    return this.handle;
  }
  clearTimer(handle: number): void {
    this.timers.delete(handle);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const [handle, timer] of [...this.timers]) {
      if (timer.at <= this.time) {
        this.timers.delete(handle);
        timer.callback();
      }
    }
  }
}

describe("ReplayPage", () => {
  let written: string[];
  let sizes: string[];
  let clock: ManualClock;

  beforeEach(() => {
    document.body.replaceChildren();
    written = [];
    sizes = [];
    clock = new ManualClock();
  });

  function page(session: string | null, fetchRecording: (id: string) => Promise<string>): ReplayPage {
    const created = new ReplayPage(document, {
      session,
      fetchRecording,
      screen: {
        reset: () => written.push("<reset>"),
        resize: () => undefined,
        write: (data) => written.push(data),
      },
      clock,
      sized: (cols, rows) => sizes.push(`${String(cols)}x${String(rows)}`),
    });
    document.body.append(...created.header, created.statusLine, created.element);
    return created;
  }

  const control = (selector: string): HTMLElement => {
    const found = document.querySelector<HTMLElement>(selector);
    if (found === null) {
      throw new Error(`no ${selector}`);
    }
    return found;
  };

  it("loads the recording and plays it, with the time, the bar and the end", async () => {
    const asked: string[] = [];
    const replay = page(ID, (id) => {
      asked.push(id);
      return Promise.resolve(CAST);
    });
    await replay.load();
    expect(asked).toEqual([ID]);
    expect(control(".replay-title").textContent).toBe("Replay of aaaaaaaa");
    expect(control(".replay-info").textContent).toMatch(/^recorded .* · 0:04$/);
    expect((control(".replay-play") as HTMLButtonElement).textContent).toBe("Pause");
    expect(sizes).toEqual(["80x24"]);
    clock.advance(2000);
    expect(written.join("")).toBe("<reset>hello ");
    expect(sizes).toEqual(["80x24", "100x30"]);
    expect(control(".replay-time").textContent).toBe("0:02 / 0:04");
    clock.advance(1500);
    clock.advance(1000);
    expect(written.join("")).toBe("<reset>hello world");
    expect((control(".replay-play") as HTMLButtonElement).textContent).toBe("Play");
    expect(control(".replay-status").textContent).toBe("The session ended here (exit status 0).");
  });

  it("pauses, seeks, changes speed and answers the keys", async () => {
    const replay = page(ID, () => Promise.resolve(CAST));
    await replay.load();
    (control(".replay-play") as HTMLButtonElement).click();
    expect(replay.replay?.isPlaying).toBe(false);
    const seek = (control(".replay-seek") as HTMLInputElement);
    expect(seek.max).toBe("4.5");
    seek.value = "4";
    seek.dispatchEvent(new Event("input"));
    expect(written.join("")).toBe("<reset>hello world");
    expect(control(".replay-time").textContent).toBe("0:04 / 0:04");
    const speed = (control(".replay-speed") as HTMLSelectElement);
    speed.value = "4";
    speed.dispatchEvent(new Event("change"));
    expect(replay.replay?.speed).toBe(4);
    const press = (key: string, target: Element = document.body): void => {
      target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    };
    press("ArrowLeft");
    expect(replay.replay?.position).toBe(0);
    expect(written.at(-1)).toBe("<reset>");
    press("ArrowRight");
    expect(replay.replay?.position).toBe(4.5);
    press("Home");
    expect(replay.replay?.position).toBe(0);
    press(" ");
    expect(replay.replay?.isPlaying).toBe(true);
    // Keys typed into a control are the control's.
    press(" ", seek);
    expect(replay.replay?.isPlaying).toBe(true);
    press("End");
    expect(replay.replay?.position).toBe(4.5);
  });

  it("says plainly why there is nothing to play", async () => {
    const status = (): string => control(".replay-status").textContent;
    await page(null, () => Promise.reject(new Error("unused"))).load();
    expect(status()).toContain("No recording named");
    expect((control(".replay-play") as HTMLButtonElement).disabled).toBe(true);
    document.body.replaceChildren();
    await page(ID, () => Promise.reject(new SessionApiError(403, "no"))).load();
    expect(status()).toBe("Only the session's owner and auditors may replay it.");
    document.body.replaceChildren();
    await page(ID, () => Promise.resolve("<html>login</html>")).load();
    expect(status()).toBe("The recording cannot be played: this is not an asciicast v2 or v3 recording.");
    document.body.replaceChildren();
    await page(ID, () => Promise.resolve(CAST.split("\n")[0] ?? "")).load();
    expect(status()).toBe("The recording is empty.");
  });

  it("words each refusal", () => {
    expect(loadError(new SessionApiError(401, "x"))).toContain("Sign-in required");
    expect(loadError(new SessionApiError(404, "x"))).toContain("no recording of this session");
    expect(loadError(new SessionApiError(0, "the server could not be reached"))).toBe("The recording could not be loaded: the server could not be reached.");
    expect(loadError(new Error("odd"))).toBe("Error: odd");
  });
});
