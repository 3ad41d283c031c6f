// The replay page's controls and loading: fetch a session's recording (the token only in a
// header, as everywhere), parse it, and play it onto a terminal with play/pause, a seek bar, the
// time and the speed; Space plays and pauses, the arrow keys step 5 s. The terminal, the API and
// the clock are injected, so all of it runs in unit tests; replay.ts wires the real ones.
import { CastError, clockText, parseCast } from "./replay-cast";
import { ReplayPlayer, type ReplayClock, type ReplayScreen, SPEEDS } from "./replay-player";
import { SessionApiError } from "./sessions-api";

/** Seconds the arrow keys move. */
export const STEP_SECONDS = 5;
/** How often the time and the seek bar follow a playing replay. */
const FOLLOW_MS = 200;

export interface ReplayPageOptions {
  /** The session whose recording to play, or null when the address named none. */
  session: string | null;
  /** GET /api/v1/sessions/{id}/recording. */
  fetchRecording(id: string): Promise<string>;
  /** The terminal the player writes to. */
  screen: ReplayScreen;
  clock: ReplayClock;
  /** The player's size in cells changed: fit the font to the window. */
  sized(cols: number, rows: number): void;
}

type Tone = "info" | "error";

export class ReplayPage {
  readonly element: HTMLElement;
  private readonly options: ReplayPageOptions;
  private readonly title: HTMLElement;
  private readonly info: HTMLElement;
  private readonly status: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly seekBar: HTMLInputElement;
  private readonly time: HTMLElement;
  private readonly speed: HTMLSelectElement;
  private player: ReplayPlayer | null = null;
  private follow: ReturnType<typeof setInterval> | null = null;

  constructor(document: Document, options: ReplayPageOptions) {
    this.options = options;

    this.element = document.createElement("footer");
    this.element.className = "replay-controls";
    this.element.setAttribute("aria-label", "Playback");

    this.title = document.createElement("h1");
    this.title.className = "replay-title";
    this.title.textContent = "Replay";
    this.info = document.createElement("span");
    this.info.className = "replay-info";

    this.status = document.createElement("p");
    this.status.className = "replay-status";
    this.status.setAttribute("role", "status");
    this.status.hidden = true;

    this.playButton = document.createElement("button");
    this.playButton.type = "button";
    this.playButton.className = "replay-play";
    this.playButton.addEventListener("click", () => {
      this.player?.toggle();
    });

    this.seekBar = document.createElement("input");
    this.seekBar.type = "range";
    this.seekBar.className = "replay-seek";
    this.seekBar.min = "0";
    this.seekBar.step = "0.1";
    this.seekBar.setAttribute("aria-label", "Position");
    this.seekBar.addEventListener("input", () => {
      this.player?.seek(Number(this.seekBar.value));
    });

    this.time = document.createElement("span");
    this.time.className = "replay-time";
    this.time.setAttribute("aria-live", "off");

    this.speed = document.createElement("select");
    this.speed.className = "replay-speed";
    this.speed.setAttribute("aria-label", "Speed");
    for (const value of SPEEDS) {
      const option = document.createElement("option");
      option.value = String(value);
      option.textContent = `${String(value)}×`;
      this.speed.append(option);
    }
    this.speed.value = "1";
    this.speed.addEventListener("change", () => {
      this.player?.setSpeed(Number(this.speed.value));
    });

    this.element.append(this.playButton, this.time, this.seekBar, this.speed);
    this.showControls();
    // In the capture phase: the terminal (read-only here) would otherwise take the keys first.
    document.addEventListener(
      "keydown",
      (event) => {
        this.key(event);
      },
      true,
    );
  }

  /** The header's title and details, and the status line, for the page to place. */
  get header(): HTMLElement[] {
    return [this.title, this.info];
  }

  get statusLine(): HTMLElement {
    return this.status;
  }

  /** The player, once the recording is loaded. */
  get replay(): ReplayPlayer | null {
    return this.player;
  }

  /** Fetches and parses the recording, then starts playing it. */
  async load(): Promise<void> {
    const id = this.options.session;
    if (id === null) {
      this.say("No recording named: open a replay from the sessions panel.", "error");
      return;
    }
    this.say("Loading the recording…", "info");
    let text: string;
    try {
      text = await this.options.fetchRecording(id);
    } catch (error) {
      this.say(loadError(error), "error");
      return;
    }
    let cast;
    try {
      cast = parseCast(text);
    } catch (error) {
      this.say(error instanceof CastError ? `The recording cannot be played: ${error.message}.` : String(error), "error");
      return;
    }
    this.player?.dispose();
    this.title.textContent = `Replay of ${id.slice(0, 8)}`;
    this.title.title = id;
    const started = cast.startedAt > 0 ? `recorded ${new Date(cast.startedAt).toLocaleString()} · ` : "";
    this.info.textContent = `${started}${clockText(cast.duration)}`;
    const { screen } = this.options;
    const sized = (cols: number, rows: number): void => {
      this.options.sized(cols, rows);
    };
    this.player = new ReplayPlayer(
      cast,
      {
        reset: () => {
          screen.reset();
        },
        resize: (cols, rows) => {
          screen.resize(cols, rows);
          sized(cols, rows);
        },
        write: (data) => {
          screen.write(data);
        },
      },
      this.options.clock,
      () => {
        this.showControls();
      },
    );
    this.seekBar.max = String(cast.duration);
    if (cast.events.length === 0) {
      this.say("The recording is empty.", "info");
      return;
    }
    this.say(null);
    this.player.play();
  }

  /** Follows the player: the button, the time, the bar, the end. */
  private showControls(): void {
    const player = this.player;
    const playing = player?.isPlaying ?? false;
    this.playButton.textContent = playing ? "Pause" : "Play";
    this.playButton.setAttribute("aria-label", playing ? "Pause (Space)" : "Play (Space)");
    this.playButton.disabled = player === null;
    this.seekBar.disabled = player === null;
    this.speed.disabled = player === null;
    if (player === null) {
      this.time.textContent = "0:00 / 0:00";
      return;
    }
    this.showPosition();
    this.speed.value = String(player.speed);
    if (playing && this.follow === null) {
      this.follow = setInterval(() => {
        this.showPosition();
      }, FOLLOW_MS);
    } else if (!playing && this.follow !== null) {
      clearInterval(this.follow);
      this.follow = null;
    }
    if (!playing && player.exit !== null && player.position >= player.cast.duration) {
      this.say(`The session ended here (exit status ${String(player.exit)}).`, "info");
    } else if (playing) {
      this.say(null);
    }
  }

  private showPosition(): void {
    const player = this.player;
    if (player === null) {
      return;
    }
    const position = player.position;
    this.time.textContent = `${clockText(position)} / ${clockText(player.cast.duration)}`;
    this.seekBar.value = String(position);
    this.seekBar.setAttribute("aria-valuetext", clockText(position));
  }

  private key(event: KeyboardEvent): void {
    const player = this.player;
    const target = event.target as HTMLElement | null;
    if (player === null || event.ctrlKey || event.metaKey || event.altKey || target?.closest("input, select, button") != null) {
      return;
    }
    if (event.key === " " || event.key === "k") {
      player.toggle();
    } else if (event.key === "ArrowLeft") {
      player.seek(player.position - STEP_SECONDS);
    } else if (event.key === "ArrowRight") {
      player.seek(player.position + STEP_SECONDS);
    } else if (event.key === "Home") {
      player.seek(0);
    } else if (event.key === "End") {
      player.seek(player.cast.duration);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private say(text: string | null, tone: Tone = "info"): void {
    this.status.hidden = text === null;
    this.status.textContent = text ?? "";
    this.status.dataset.tone = tone;
  }
}

/** What to tell the user when the recording could not be fetched. */
export function loadError(error: unknown): string {
  if (!(error instanceof SessionApiError)) {
    return String(error);
  }
  switch (error.status) {
    case 401:
      return "Sign-in required: open the replay from the terminal's sessions panel, signed in.";
    case 403:
      return "Only the session's owner and auditors may replay it.";
    case 404:
      return "There is no recording of this session (recording is off, or it was deleted after its retention).";
    default:
      return `The recording could not be loaded: ${error.message}.`;
  }
}
