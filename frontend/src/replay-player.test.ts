import { describe, expect, it } from "vitest";
import { parseCast } from "./replay-cast";
import { ReplayPlayer, type ReplayClock } from "./replay-player";

/** A clock whose time moves only when the test says, firing the timers that fall due. */
class FakeClock implements ReplayClock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextHandle = 1;
  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, ms: number): number {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  }
  clearTimer(handle: number): void {
    this.timers.delete(handle);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) {
        break;
      }
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
  }
}

const CAST = parseCast(
  [
    JSON.stringify({ version: 3, term: { cols: 80, rows: 24 } }),
    '[1,"o","one "]',
    '[1,"o","two "]',
    '[0,"r","100x30"]',
    '[1,"o","three"]',
    '[1,"x","0"]',
  ].join("\n"),
);

function setUp(): { player: ReplayPlayer; clock: FakeClock; calls: string[]; changes: () => number } {
  const calls: string[] = [];
  const clock = new FakeClock();
  let changes = 0;
  const player = new ReplayPlayer(
    CAST,
    {
      reset: () => calls.push("reset"),
      resize: (cols, rows) => calls.push(`resize ${String(cols)}x${String(rows)}`),
      write: (data) => calls.push(`write ${data}`),
    },
    clock,
    () => {
      changes += 1;
    },
  );
  return { player, clock, calls, changes: () => changes };
}

describe("ReplayPlayer", () => {
  it("starts blank at the recording's size and plays each event at its time", () => {
    const { player, clock, calls } = setUp();
    expect(calls).toEqual(["reset", "resize 80x24"]);
    player.play();
    clock.advance(999);
    expect(calls.length).toBe(2);
    clock.advance(1);
    expect(calls.at(-1)).toBe("write one ");
    clock.advance(1000);
    expect(calls.slice(2)).toEqual(["write one ", "write two ", "resize 100x30"]);
    clock.advance(2000);
    expect(calls.at(-1)).toBe("write three");
    expect(player.isPlaying).toBe(false);
    expect(player.position).toBe(4);
    expect(player.exit).toBe(0);
  });

  it("pauses where it is and goes on from there", () => {
    const { player, clock, calls } = setUp();
    player.play();
    clock.advance(1500);
    player.pause();
    expect(player.position).toBe(1.5);
    clock.advance(10_000);
    expect(calls.at(-1)).toBe("write one ");
    expect(player.position).toBe(1.5);
    player.play();
    clock.advance(500);
    expect(calls.at(-1)).toBe("resize 100x30");
  });

  it("seeks forward in one write and back by starting over", () => {
    const { player, calls } = setUp();
    player.seek(3.5);
    expect(calls.slice(2)).toEqual(["write one two ", "resize 100x30", "write three"]);
    expect(player.position).toBe(3.5);
    calls.length = 0;
    player.seek(1.2);
    expect(calls).toEqual(["reset", "resize 80x24", "write one "]);
    calls.length = 0;
    player.seek(1.4);
    expect(calls).toEqual([]);
    player.seek(-5);
    expect(player.position).toBe(0);
    player.seek(99);
    expect(player.position).toBe(4);
    expect(player.exit).toBe(0);
  });

  it("plays faster or slower, and from the start again once at the end", () => {
    const { player, clock, calls, changes } = setUp();
    player.setSpeed(4);
    player.play();
    clock.advance(500);
    expect(calls.slice(2)).toEqual(["write one ", "write two ", "resize 100x30"]);
    player.setSpeed(0.5);
    expect(player.speed).toBe(0.5);
    clock.advance(1999);
    expect(calls.at(-1)).toBe("resize 100x30");
    clock.advance(1);
    expect(calls.at(-1)).toBe("write three");
    clock.advance(2000);
    expect(player.isPlaying).toBe(false);
    calls.length = 0;
    player.toggle();
    expect(calls.slice(0, 2)).toEqual(["reset", "resize 80x24"]);
    expect(player.isPlaying).toBe(true);
    player.toggle();
    expect(player.isPlaying).toBe(false);
    player.setSpeed(0);
    expect(player.speed).toBe(1);
    expect(changes()).toBeGreaterThan(5);
    player.dispose();
  });
});
