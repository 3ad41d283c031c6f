// Downloads (docs/ui.md, "Files: upload and download"): `web-terminal download FILE`, run in the
// session, makes the server print `ESC ] 7337 ; download ; id=ID ; name=BASE64 ; bytes=N BEL`.
// The UI takes that sequence only exactly so (anything else is consumed and ignored), fetches the
// file once with its own token in the header (`GET /api/v1/sessions/{id}/downloads/{download}`),
// counting the bytes for the progress, and hands it to the browser to save. A read-only viewer
// takes no offer (the server would refuse it anyway), and nor does a snapshot being written: its
// sequences were seen when they were live.
import type { IDisposable } from "@xterm/xterm";
import type { OscParser } from "./osc52";
import { SESSION_ID } from "./protocol";
import type { TransferNotices } from "./transfer-notices";

/** The OSC number of a download offer (src/download.rs). */
export const DOWNLOAD_OSC = 7337;
/** Longest file name, in bytes (the server's, Linux's NAME_MAX). */
const MAX_NAME_BYTES = 255;

export interface DownloadOffer {
  /** 32 lowercase hex digits. */
  id: string;
  name: string;
  bytes: number;
}

const OFFER = /^download;id=([0-9a-f]{32});name=([A-Za-z0-9+/]+={0,2});bytes=(0|[1-9][0-9]{0,15})$/;

/** A plain file name: what the server offers, and all a browser should be asked to save. */
function plainName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    !name.includes("/") &&
    !/\p{Cc}/u.test(name) &&
    new TextEncoder().encode(name).length <= MAX_NAME_BYTES
  );
}

/** The offer in an OSC 7337 sequence's data, or null for anything else. */
export function parseDownloadOffer(data: string): DownloadOffer | null {
  const match = OFFER.exec(data);
  if (match === null) {
    return null;
  }
  const [, id = "", encoded = "", size = ""] = match;
  const bytes = Number(size);
  if (encoded.length % 4 !== 0 || !Number.isSafeInteger(bytes)) {
    return null;
  }
  let name: string;
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(encoded), (character) => character.charCodeAt(0)));
  } catch {
    return null;
  }
  return plainName(name) ? { id, name, bytes } : null;
}

/** Where `offer` of `session` is fetched from; null for what is not a session id. */
export function downloadUrl(base: string, session: string, offer: DownloadOffer): string | null {
  return SESSION_ID.test(session) ? new URL(`api/v1/sessions/${session}/downloads/${offer.id}`, base).toString() : null;
}

export interface DownloadOptions {
  parser: OscParser;
  /** The page's address: the API is resolved against it. */
  base: string;
  token(): string | null;
  /** The connected session's id, or null. */
  session(): string | null;
  /** Whether this tab takes downloads (not a read-only viewer). */
  allowed(): boolean;
  /** Whether the terminal is writing a snapshot now: its offers are old ones. */
  replaying(): boolean;
  fetch: typeof fetch;
  /** Hands the file to the browser to save as `name`. */
  save(file: Blob, name: string): void;
  notices: TransferNotices;
}

/** The server's words for a failed fetch, or its status. */
async function refusal(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as unknown;
    if (typeof body === "object" && body !== null) {
      const error = (body as Record<string, unknown>).error;
      if (typeof error === "string" && error.trim() !== "") {
        return error;
      }
    }
  } catch {
    // Not JSON: the status says it.
  }
  return `the server answered ${String(response.status)}`;
}

/** Fetches `offer` with progress on a card, then saves it; never throws. */
export async function download(options: DownloadOptions, session: string, offer: DownloadOffer): Promise<void> {
  const url = downloadUrl(options.base, session, offer);
  if (url === null) {
    return;
  }
  const stop = new AbortController();
  const card = options.notices.start("download", offer.name, () => {
    stop.abort();
  });
  card.progress(0, offer.bytes);
  const headers: Record<string, string> = { Accept: "application/octet-stream" };
  const token = options.token();
  if (token !== null) {
    headers.Authorization = `Bearer ${token}`;
  }
  try {
    const response = await options.fetch(url, { headers, cache: "no-store", credentials: "same-origin", signal: stop.signal });
    if (!response.ok) {
      card.failed(`Not downloaded: ${await refusal(response)}`);
      return;
    }
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let received = 0;
    const reader = response.body?.getReader();
    for (;;) {
      const next = reader === undefined ? { done: true as const, value: undefined } : await reader.read();
      if (next.done) {
        break;
      }
      chunks.push(next.value);
      received += next.value.length;
      if (received > offer.bytes) {
        await reader?.cancel();
        card.failed("Not downloaded: the server sent more than the file's size.");
        return;
      }
      card.progress(received, offer.bytes);
    }
    if (received !== offer.bytes) {
      card.failed("Not downloaded: the download was cut off.");
      return;
    }
    options.save(new Blob(chunks, { type: "application/octet-stream" }), offer.name);
    card.done("Saved by the browser (your downloads)");
  } catch {
    card.failed(stop.signal.aborted ? "Cancelled." : "Not downloaded: the server could not be reached.");
  }
}

/** Handles OSC 7337 on `parser`: every such sequence is consumed; only a well-formed offer, in a tab that may take it, is fetched. */
export function installDownloadOsc(options: DownloadOptions): IDisposable {
  return options.parser.registerOscHandler(DOWNLOAD_OSC, (data) => {
    const offer = parseDownloadOffer(data);
    const session = options.session();
    if (offer !== null && session !== null && options.allowed() && !options.replaying()) {
      void download(options, session, offer);
    }
    return true;
  });
}

/** Saves `file` as `name` through a temporary object URL and an `<a download>`. */
export function saveWithLink(document: Document, file: Blob, name: string, later: (callback: () => void) => void): void {
  const url = URL.createObjectURL(file);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob after the click returns.
  later(() => {
    URL.revokeObjectURL(url);
  });
}
