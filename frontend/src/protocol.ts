// Encoding of client messages and validation of server messages (docs/protocol.md). The wire
// types come from the generated file; this module only checks untrusted input against them.
import type { ClientMessage, ServerMessage } from "./generated/protocol";

/** Largest binary frame the UI sends; the server accepts up to max_message_bytes (1 MiB). */
export const MAX_INPUT_FRAME_BYTES = 64 * 1024;

/**
 * A session id: 32 lowercase hex characters (128 random bits), after the name of the replica that
 * runs it and a dot when the server has replicas (a DNS label: `web-terminal-0.3f9a…`).
 */
export const SESSION_ID = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)?[0-9a-f]{32}$/;

export type DecodeResult = { ok: true; message: ServerMessage } | { ok: false; error: string };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `[from, to]`: two byte offsets, from at most to. */
function isByteRange(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0) &&
    (value[0] as number) <= (value[1] as number)
  );
}

/** A terminal's columns or rows, as the protocol allows them. */
function isDimension(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 1000;
}

// One validator per message type. The Record type makes a new variant in the generated
// ServerMessage a compile error here until it is handled.
const validators: Record<ServerMessage["type"], (fields: Record<string, unknown>) => DecodeResult> = {
  opened(fields) {
    const session = fields.session;
    if (typeof session !== "string" || !SESSION_ID.test(session)) {
      return { ok: false, error: "opened: session is not a session id" };
    }
    const snapshot = fields.snapshot;
    if (snapshot !== undefined && typeof snapshot !== "boolean") {
      return { ok: false, error: "opened: snapshot is not a boolean" };
    }
    const screen = fields.screen;
    if (screen !== undefined && !isByteRange(screen)) {
      return { ok: false, error: "opened: screen is not a byte range [from, to]" };
    }
    const role = fields.role;
    if (role !== undefined && role !== "owner" && role !== "write" && role !== "view") {
      return { ok: false, error: "opened: role is not owner, write or view" };
    }
    return {
      ok: true,
      message: {
        type: "opened",
        session,
        ...(snapshot === undefined ? {} : { snapshot }),
        ...(screen === undefined ? {} : { screen }),
        ...(role === undefined ? {} : { role }),
      },
    };
  },
  snapshot() {
    return { ok: true, message: { type: "snapshot" } };
  },
  exit(fields) {
    const code = fields.code;
    if (typeof code !== "number" || !Number.isInteger(code) || code < 0) {
      return { ok: false, error: "exit: code is not a non-negative integer" };
    }
    return { ok: true, message: { type: "exit", code } };
  },
  pong() {
    return { ok: true, message: { type: "pong" } };
  },
  readonly() {
    return { ok: true, message: { type: "readonly" } };
  },
  size(fields) {
    const cols = fields.cols;
    const rows = fields.rows;
    if (!isDimension(cols) || !isDimension(rows)) {
      return { ok: false, error: "size: cols and rows are not 1 to 1000" };
    }
    return { ok: true, message: { type: "size", cols, rows } };
  },
  draining(fields) {
    const secondsLeft = fields.seconds_left;
    if (typeof secondsLeft !== "number" || !Number.isInteger(secondsLeft) || secondsLeft < 0) {
      return { ok: false, error: "draining: seconds_left is not a non-negative integer" };
    }
    return { ok: true, message: { type: "draining", seconds_left: secondsLeft } };
  },
};

function isKnownType(type: string): type is ServerMessage["type"] {
  return Object.hasOwn(validators, type);
}

/** Parses one text frame from the server. Unknown fields are ignored, as the protocol says. */
export function decodeServerMessage(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  if (!isRecord(value)) {
    return { ok: false, error: "not a JSON object" };
  }
  const type = value.type;
  if (typeof type !== "string") {
    return { ok: false, error: "no type field" };
  }
  if (!isKnownType(type)) {
    return { ok: false, error: `unknown message type ${JSON.stringify(type).slice(0, 40)}` };
  }
  return validators[type](value);
}

/** Splits input into binary frames of at most `limit` bytes (views, no copies). */
export function chunkBytes<B extends ArrayBufferLike>(bytes: Uint8Array<B>, limit: number = MAX_INPUT_FRAME_BYTES): Uint8Array<B>[] {
  if (limit < 1) {
    throw new RangeError("chunk limit must be positive");
  }
  const chunks: Uint8Array<B>[] = [];
  for (let start = 0; start < bytes.length; start += limit) {
    chunks.push(bytes.subarray(start, start + limit));
  }
  return chunks;
}
