// Plays a parsed recording onto a terminal: play, pause, seek and speed. Seeking forward writes
// everything up to the new time at once; seeking back resets the terminal and fast-forwards from
// the start (a terminal cannot run backwards). The terminal and the clock are injected, so all of
// it runs in unit tests.
import type { Cast, CastEvent } from "./replay-cast";

/** What the player drives: an xterm.js Terminal in the page. */
export interface ReplayScreen {
  reset(): void;
  resize(cols: number, rows: number): void;
  write(data: string): void;
}

/** Time and timers: the window's, or a fake. */
export interface ReplayClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(callback: () => void, ms: number): number;
  clearTimer(handle: number): void;
}

export const SPEEDS: readonly number[] = [0.5, 1, 2, 4, 8];

export class ReplayPlayer {
  readonly cast: Cast;
  private readonly screen: ReplayScreen;
  private readonly clock: ReplayClock;
  private readonly changed: () => void;
  /** The next event to apply. */
  private next = 0;
  /** The time shown, as of `anchor` while playing. */
  private shownAt = 0;
  private anchor = 0;
  private playing = false;
  private rate = 1;
  private timer: number | null = null;
  /** The shell's exit status, once the replay has reached it. */
  private exitStatus: number | null = null;

  constructor(cast: Cast, screen: ReplayScreen, clock: ReplayClock, changed: () => void) {
    this.cast = cast;
    this.screen = screen;
    this.clock = clock;
    this.changed = changed;
    this.restart();
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  get speed(): number {
    return this.rate;
  }

  /** The exit status, when the replay has got that far; null before (or if it was never recorded). */
  get exit(): number | null {
    return this.exitStatus;
  }

  /** Where the replay is, in seconds from the start. */
  get position(): number {
    if (!this.playing) {
      return this.shownAt;
    }
    const elapsed = ((this.clock.now() - this.anchor) / 1000) * this.rate;
    return Math.min(this.cast.duration, this.shownAt + elapsed);
  }

  play(): void {
    if (this.playing) {
      return;
    }
    if (this.shownAt >= this.cast.duration) {
      this.seek(0);
    }
    this.playing = true;
    this.anchor = this.clock.now();
    this.schedule();
    this.changed();
  }

  pause(): void {
    if (!this.playing) {
      return;
    }
    this.hold(this.position);
    this.playing = false;
    this.cancel();
    this.changed();
  }

  toggle(): void {
    if (this.playing) {
      this.pause();
    } else {
      this.play();
    }
  }

  /** Shows the screen as it was at `seconds` (clamped to the recording), playing on if it was. */
  seek(seconds: number): void {
    const target = Math.min(this.cast.duration, Math.max(0, seconds));
    const applied = this.cast.events[this.next - 1];
    if (applied !== undefined && target < applied.time) {
      this.restart();
    }
    this.apply(target);
    this.hold(target);
    this.schedule();
    this.changed();
  }

  setSpeed(speed: number): void {
    this.hold(this.position);
    this.rate = speed > 0 ? speed : 1;
    this.schedule();
    this.changed();
  }

  /** Stops the timers (the page is going away). */
  dispose(): void {
    this.playing = false;
    this.cancel();
  }

  /** Back to the start: a blank terminal of the recording's first size. */
  private restart(): void {
    this.screen.reset();
    this.screen.resize(this.cast.cols, this.cast.rows);
    this.next = 0;
    this.exitStatus = null;
  }

  /** The replay stands at `seconds` from now on (the clock restarts there while playing). */
  private hold(seconds: number): void {
    this.shownAt = seconds;
    this.anchor = this.clock.now();
  }

  /** Applies every event up to `seconds`; output in a row goes to the terminal as one write. */
  private apply(seconds: number): void {
    let pending = "";
    const flush = (): void => {
      if (pending !== "") {
        this.screen.write(pending);
        pending = "";
      }
    };
    let event: CastEvent | undefined;
    while ((event = this.cast.events[this.next]) !== undefined && event.time <= seconds) {
      this.next += 1;
      if (event.kind === "output") {
        pending += event.data;
      } else if (event.kind === "resize") {
        flush();
        this.screen.resize(event.cols, event.rows);
      } else if (event.kind === "exit") {
        this.exitStatus = event.status;
      }
    }
    flush();
  }

  /** Sets the timer for the next event (or the end) while playing. */
  private schedule(): void {
    this.cancel();
    if (!this.playing) {
      return;
    }
    const upcoming = this.cast.events[this.next];
    const at = upcoming?.time ?? this.cast.duration;
    const delay = Math.max(0, ((at - this.position) / this.rate) * 1000);
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.tick();
    }, delay);
  }

  private tick(): void {
    const now = this.position;
    this.apply(now);
    if (this.next >= this.cast.events.length && now >= this.cast.duration) {
      this.hold(this.cast.duration);
      this.playing = false;
      this.changed();
      return;
    }
    this.schedule();
    this.changed();
  }

  private cancel(): void {
    if (this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
  }
}
