// Uploads (docs/ui.md, "Files: upload and download"): the toolbar's upload button and files
// dropped on the page go, one after another, into the directory the session's terminal is in
// (`POST /api/v1/sessions/{id}/files?name=NAME`, the bytes as the body, the token in the header).
// XMLHttpRequest rather than fetch, for its upload progress. A file over the server's limit is
// refused before it is sent; the server's refusals (a bad name, a file already there, a full
// disk) are shown in its own words. A read-only viewer gets no button, and its drops are refused.
import { iconButton } from "./icons";
import { SESSION_ID } from "./protocol";
import { formatBytes, type TransferNotices } from "./transfer-notices";

/** What a read-only viewer is told when it drops a file. */
export const READ_ONLY_DROP = "This session was shared with you to watch: files cannot be uploaded into it.";
export const NOT_CONNECTED = "Not connected to a session: nothing was uploaded.";

/** The part of XMLHttpRequest an upload uses. */
export type UploadRequest = Pick<XMLHttpRequest, "open" | "setRequestHeader" | "send" | "abort" | "upload" | "onload" | "onerror" | "onabort" | "status" | "responseText">;

export interface FileUploadsOptions {
  /** The page's address: the API is resolved against it. */
  base: string;
  /** The bearer token, when the UI holds one. */
  token(): string | null;
  /** The connected session's id, or null. */
  session(): string | null;
  /** The server's upload limit in bytes (`transfer_max_bytes` of the UI configuration), or null when it did not say. */
  maxBytes: Promise<number | null>;
  request(): UploadRequest;
  notices: TransferNotices;
}

/** Where `name` is uploaded into `session`; null for what is not a session id. */
export function uploadUrl(base: string, session: string, name: string): string | null {
  if (!SESSION_ID.test(session)) {
    return null;
  }
  return new URL(`api/v1/sessions/${session}/files?name=${encodeURIComponent(name)}`, base).toString();
}

/** `directory`/`name` as the user would type it. */
export function savedPath(directory: string, name: string): string {
  return directory.endsWith("/") ? `${directory}${name}` : `${directory}/${name}`;
}

/** What the server's answer means: the text for the card, and whether the file is there. */
export function uploadOutcome(status: number, body: string, name: string): { ok: boolean; text: string } {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON: the status says it.
  }
  const answer = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (status === 201) {
    const directory = typeof answer.directory === "string" ? answer.directory : null;
    const saved = typeof answer.name === "string" ? answer.name : name;
    return { ok: true, text: directory === null ? `Saved as ${saved}` : `Saved to ${savedPath(directory, saved)}` };
  }
  if (status === 0) {
    return { ok: false, text: "The server could not be reached: nothing was uploaded." };
  }
  const error = typeof answer.error === "string" && answer.error.trim() !== "" ? answer.error : `the server answered ${String(status)}`;
  return { ok: false, text: `Not uploaded: ${error}` };
}

/** The refusal for a file over `limit` bytes, or null when it may be sent. */
export function sizeRefusal(size: number, limit: number | null): string | null {
  if (limit === null || size <= limit) {
    return null;
  }
  // Just over: sizes that round alike are given in bytes.
  const [file, most] = formatBytes(size) === formatBytes(limit) ? [`${size.toLocaleString("en")} bytes`, `${limit.toLocaleString("en")} bytes`] : [formatBytes(size), formatBytes(limit)];
  return `Not uploaded: it is ${file}, and files may be at most ${most}.`;
}

export class FileUploads {
  /** The toolbar button; hidden for a read-only viewer. */
  readonly button: HTMLButtonElement;
  /** The file picker behind it. */
  readonly input: HTMLInputElement;
  /** The hint shown while files are dragged over the page. */
  readonly dropHint: HTMLElement;
  private readonly options: FileUploadsOptions;
  private allowed = true;
  /** The uploads waiting, and the one under way: one file at a time. */
  private queue: Promise<void> = Promise.resolve();

  constructor(document: Document, options: FileUploadsOptions) {
    this.options = options;
    this.button = iconButton(document, "upload", "Upload files into the current directory");
    this.button.id = "upload-button";
    this.input = document.createElement("input");
    this.input.type = "file";
    this.input.multiple = true;
    this.input.id = "upload-input";
    this.input.hidden = true;
    this.input.tabIndex = -1;
    this.button.addEventListener("click", () => {
      this.input.click();
    });
    this.input.addEventListener("change", () => {
      const files = Array.from(this.input.files ?? []);
      // The same file may be picked again.
      this.input.value = "";
      void this.upload(files);
    });
    this.dropHint = document.createElement("div");
    this.dropHint.id = "drop-hint";
    const label = document.createElement("span");
    label.textContent = "Drop to upload into the shell's current directory";
    this.dropHint.append(label);
    this.dropHint.hidden = true;
  }

  /** Whether this tab may upload (not a read-only viewer): shows or hides the button. */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
    this.button.hidden = !allowed;
  }

  /** Uploads `files` one after another, after any already waiting. */
  upload(files: readonly File[]): Promise<void> {
    for (const file of files) {
      this.queue = this.queue.then(() => this.uploadOne(file));
    }
    return this.queue;
  }

  /** Files dropped anywhere on `target` are uploaded (or, for a read-only viewer, refused). */
  acceptDrops(target: EventTarget): void {
    const on = (type: "dragenter" | "dragleave" | "dragover" | "drop", listener: (event: DragEvent) => void) => {
      target.addEventListener(type, (event) => {
        listener(event as DragEvent);
      });
    };
    // Enter and leave fire for every element crossed; the hint shows while any is entered.
    let depth = 0;
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") === true;
    const hint = (shown: boolean) => {
      this.dropHint.hidden = !shown;
    };
    on("dragenter", (event) => {
      if (carriesFiles(event)) {
        depth += 1;
        hint(this.allowed);
      }
    });
    on("dragleave", (event) => {
      if (carriesFiles(event)) {
        depth = Math.max(0, depth - 1);
        hint(depth > 0 && this.allowed);
      }
    });
    on("dragover", (event) => {
      if (carriesFiles(event) && event.dataTransfer !== null) {
        // Without this the browser would open the file in place of the terminal.
        event.preventDefault();
        event.dataTransfer.dropEffect = this.allowed ? "copy" : "none";
      }
    });
    on("drop", (event) => {
      if (!carriesFiles(event) || event.dataTransfer === null) {
        return;
      }
      event.preventDefault();
      depth = 0;
      hint(false);
      const files = Array.from(event.dataTransfer.files);
      if (!this.allowed) {
        for (const file of files) {
          this.options.notices.refuse("upload", file.name, READ_ONLY_DROP);
        }
        return;
      }
      void this.upload(files);
    });
  }

  private async uploadOne(file: File): Promise<void> {
    const { notices } = this.options;
    if (!this.allowed) {
      notices.refuse("upload", file.name, READ_ONLY_DROP);
      return;
    }
    const tooLarge = sizeRefusal(file.size, await this.options.maxBytes);
    if (tooLarge !== null) {
      notices.refuse("upload", file.name, tooLarge);
      return;
    }
    const session = this.options.session();
    const url = session === null ? null : uploadUrl(this.options.base, session, file.name);
    if (url === null) {
      notices.refuse("upload", file.name, NOT_CONNECTED);
      return;
    }
    const request = this.options.request();
    const card = notices.start("upload", file.name, () => {
      request.abort();
    });
    await new Promise<void>((resolve) => {
      request.open("POST", url);
      const token = this.options.token();
      if (token !== null) {
        request.setRequestHeader("Authorization", `Bearer ${token}`);
      }
      request.setRequestHeader("Content-Type", "application/octet-stream");
      request.upload.onprogress = (event) => {
        card.progress(event.loaded, event.lengthComputable ? event.total : file.size);
      };
      request.onload = () => {
        const outcome = uploadOutcome(request.status, request.responseText, file.name);
        if (outcome.ok) {
          card.done(outcome.text);
        } else {
          card.failed(outcome.text);
        }
        resolve();
      };
      request.onerror = () => {
        card.failed(uploadOutcome(0, "", file.name).text);
        resolve();
      };
      request.onabort = () => {
        card.failed("Cancelled: nothing was uploaded.");
        resolve();
      };
      card.progress(0, file.size);
      request.send(file);
    });
  }
}
