// OSC 52: a program in the terminal puts text on the clipboard (`printf '\e]52;c;BASE64\a'`, as
// vim, tmux and neovim do over ssh). Writing goes through the browser's async clipboard, which may
// ask the user or refuse; reading (`?` as the payload) is never allowed and never answered, so no
// program can learn what the user copied elsewhere.
import type { IDisposable } from "@xterm/xterm";

/** OSC 52's identifier. */
export const OSC52 = 52;
/** The longest payload taken, in base64 characters (1 MiB: about 768 KiB of text). */
export const OSC52_MAX_PAYLOAD = 1024 * 1024;

/** What an OSC 52 sequence asks for. */
export type ClipboardRequest =
  | { kind: "write"; text: string }
  /** A read (`?`): refused, without an answer. */
  | { kind: "read" }
  /** Nothing to do: an empty payload (xterm's "clear the selection"). */
  | { kind: "empty" }
  | { kind: "too-large"; length: number }
  | { kind: "invalid" };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses the data of an OSC 52 sequence: `Pc;Pd`, the selections (ignored) and the payload. */
export function parseClipboardRequest(data: string): ClipboardRequest {
  const separator = data.indexOf(";");
  if (separator < 0) {
    return { kind: "invalid" };
  }
  const payload = data.slice(separator + 1);
  if (payload === "?") {
    return { kind: "read" };
  }
  if (payload === "") {
    return { kind: "empty" };
  }
  if (payload.length > OSC52_MAX_PAYLOAD) {
    return { kind: "too-large", length: payload.length };
  }
  if (!BASE64.test(payload)) {
    return { kind: "invalid" };
  }
  const text = decodeUtf8Base64(payload);
  return text === null ? { kind: "invalid" } : { kind: "write", text };
}

/** The UTF-8 text in `base64`, or null when it is not base64 (padding included) or not UTF-8. */
function decodeUtf8Base64(base64: string): string | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** What the status badge says when a write does not happen. */
export const CLIPBOARD_NOTICES = {
  denied: "A program in the terminal tried to copy to the clipboard; the browser did not allow it.",
  tooLarge: `A program in the terminal tried to copy more than ${OSC52_MAX_PAYLOAD / 1024} KiB of base64 to the clipboard; nothing was copied.`,
  invalid: "A program in the terminal sent clipboard text that is not valid base64 UTF-8; nothing was copied.",
  readOnly: "A program in this shared session tried to copy to your clipboard; read-only viewers do not take clipboard writes.",
} as const;

/** The part of xterm.js's parser this needs. */
export interface OscParser {
  /** The callback here answers at once (xterm.js also takes a promise). */
  registerOscHandler(ident: number, callback: (data: string) => boolean): IDisposable;
}

export interface ClipboardOscOptions {
  parser: OscParser;
  /** `navigator.clipboard.writeText`. */
  write(text: string): Promise<void>;
  /** Whether this tab takes clipboard writes now (not a read-only viewer). */
  allowed(): boolean;
  /** A brief notice in the status badge. */
  notice(text: string): void;
}

/**
 * Handles OSC 52 on `parser`. Every OSC 52 sequence is consumed (returns true): xterm.js itself
 * would do nothing else with it, and nothing is ever sent back to the program.
 */
export function installClipboardOsc(options: ClipboardOscOptions): IDisposable {
  return options.parser.registerOscHandler(OSC52, (data) => {
    const request = parseClipboardRequest(data);
    switch (request.kind) {
      case "write":
        if (!options.allowed()) {
          options.notice(CLIPBOARD_NOTICES.readOnly);
        } else {
          options.write(request.text).catch(() => {
            options.notice(CLIPBOARD_NOTICES.denied);
          });
        }
        break;
      case "too-large":
        options.notice(CLIPBOARD_NOTICES.tooLarge);
        break;
      case "invalid":
        options.notice(CLIPBOARD_NOTICES.invalid);
        break;
      case "read":
      case "empty":
        break;
    }
    return true;
  });
}
