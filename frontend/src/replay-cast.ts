// Reads an asciicast recording (docs/protocol.md, "Recordings"): v3, whose event times are
// intervals since the previous event, and v2, whose times are since the start. The result is a
// timeline in seconds from the start, with long idle stretches shortened so that a session left
// open over lunch replays in minutes (as asciinema's `idle_time_limit` does).

/** Gaps longer than this (in seconds) are shortened to it. */
export const IDLE_LIMIT_SECONDS = 2;

export type CastEvent =
  | { time: number; kind: "output"; data: string }
  | { time: number; kind: "resize"; cols: number; rows: number }
  | { time: number; kind: "marker"; label: string }
  | { time: number; kind: "exit"; status: number };

export interface Cast {
  cols: number;
  rows: number;
  /** When the recording started, in milliseconds since the epoch (0 when unknown). */
  startedAt: number;
  title: string;
  /** In time order. Input events (`i`) are left out: the screen shows what the shell echoed. */
  events: CastEvent[];
  /** The last event's time, in seconds. */
  duration: number;
}

export class CastError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CastError";
  }
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function dimension(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000 ? value : fallback;
}

/** A `COLSxROWS` resize, or null. */
function size(data: string): { cols: number; rows: number } | null {
  const match = /^(\d{1,4})x(\d{1,4})$/.exec(data);
  if (match === null) {
    return null;
  }
  const cols = dimension(Number(match[1]), 0);
  const rows = dimension(Number(match[2]), 0);
  return cols === 0 || rows === 0 ? null : { cols, rows };
}

/**
 * Parses `text`. A header that is not asciicast v2 or v3 is an error; an event line that cannot
 * be read is skipped (a recording cut short by a crash still replays up to there).
 */
export function parseCast(text: string, idleLimit = IDLE_LIMIT_SECONDS): Cast {
  const lines = text.split("\n");
  let header: Record<string, unknown> | null;
  try {
    header = record(JSON.parse(lines[0] ?? ""));
  } catch {
    header = null;
  }
  const version = header?.version;
  if (header === null || (version !== 2 && version !== 3)) {
    throw new CastError("this is not an asciicast v2 or v3 recording");
  }
  const term = record(header.term);
  const cols = dimension(version === 3 ? term?.cols : header.width, 80);
  const rows = dimension(version === 3 ? term?.rows : header.height, 24);
  const timestamp = typeof header.timestamp === "number" ? header.timestamp * 1000 : 0;
  const title = typeof header.title === "string" ? header.title : "";

  const events: CastEvent[] = [];
  let time = 0;
  let previous = 0;
  for (const line of lines.slice(1)) {
    if (line.trim() === "") {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(parsed) || parsed.length < 3 || typeof parsed[0] !== "number" || typeof parsed[1] !== "string" || typeof parsed[2] !== "string") {
      continue;
    }
    const [stamp, code, data] = parsed as [number, string, string];
    // v3 counts from the previous event, v2 from the start; either way no gap exceeds the limit.
    const gap = Math.max(0, version === 3 ? stamp : stamp - previous);
    previous = version === 3 ? previous : stamp;
    time += Math.min(gap, idleLimit);
    if (code === "o") {
      events.push({ time, kind: "output", data });
    } else if (code === "r") {
      const resized = size(data);
      if (resized !== null) {
        events.push({ time, kind: "resize", ...resized });
      }
    } else if (code === "m") {
      events.push({ time, kind: "marker", label: data });
    } else if (code === "x") {
      const status = Number.parseInt(data, 10);
      events.push({ time, kind: "exit", status: Number.isNaN(status) ? -1 : status });
    }
  }
  return { cols, rows, startedAt: timestamp, title, events, duration: time };
}

/** `m:ss` or `h:mm:ss` for a time in seconds. */
export function clockText(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${String(hours)}:${String(minutes).padStart(2, "0")}:${secs}` : `${String(minutes)}:${secs}`;
}
