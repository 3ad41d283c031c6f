// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { FileUploads, NOT_CONNECTED, READ_ONLY_DROP, savedPath, sizeRefusal, type UploadRequest, uploadOutcome, uploadUrl } from "./file-upload";
import { TransferNotices } from "./transfer-notices";

const SESSION = "0123456789abcdef0123456789abcdef";
const BASE = "https://term.example/terminal/";

describe("uploadUrl", () => {
  it("puts the name in the query, encoded, and only under a session id", () => {
    expect(uploadUrl(BASE, SESSION, "a b&c=d.txt")).toBe(`${BASE}api/v1/sessions/${SESSION}/files?name=a%20b%26c%3Dd.txt`);
    // A traversal stays one query value; the server refuses it.
    expect(uploadUrl(BASE, SESSION, "../escape.txt")).toBe(`${BASE}api/v1/sessions/${SESSION}/files?name=..%2Fescape.txt`);
    expect(uploadUrl(BASE, "../ui-config", "a")).toBeNull();
  });
});

describe("uploadOutcome", () => {
  it("says where the file went", () => {
    expect(uploadOutcome(201, JSON.stringify({ name: "a.txt", directory: "/home/alice/src", bytes: 3 }), "a.txt")).toEqual({ ok: true, text: "Saved to /home/alice/src/a.txt" });
    expect(savedPath("/", "a.txt")).toBe("/a.txt");
  });

  it("gives the server's refusal in its own words, else the status", () => {
    expect(uploadOutcome(400, JSON.stringify({ error: "invalid file name: no / (a name, not a path)" }), "x")).toEqual({
      ok: false,
      text: "Not uploaded: invalid file name: no / (a name, not a path)",
    });
    expect(uploadOutcome(409, JSON.stringify({ error: 'a file named "a.txt" already exists there' }), "a.txt").text).toBe('Not uploaded: a file named "a.txt" already exists there');
    expect(uploadOutcome(502, "<html>bad gateway</html>", "x").text).toBe("Not uploaded: the server answered 502");
    expect(uploadOutcome(0, "", "x")).toEqual({ ok: false, text: "The server could not be reached: nothing was uploaded." });
  });
});

describe("sizeRefusal", () => {
  it("refuses only what is over the limit", () => {
    expect(sizeRefusal(100, 100)).toBeNull();
    expect(sizeRefusal(5_000_000_000, null)).toBeNull();
    expect(sizeRefusal(150_000_000, 104_857_600)).toBe("Not uploaded: it is 150.0 MB, and files may be at most 104.9 MB.");
    expect(sizeRefusal(104_857_601, 104_857_600)).toBe("Not uploaded: it is 104,857,601 bytes, and files may be at most 104,857,600 bytes.");
  });
});

/** An XMLHttpRequest the test answers. */
class FakeRequest {
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: Blob | null = null;
  aborted = false;
  status = 0;
  responseText = "";
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: Blob): void {
    this.body = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number): void {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent);
  }
  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("FileUploads", () => {
  let requests: FakeRequest[];
  let notices: TransferNotices;
  let uploads: FileUploads;
  let session: string | null;
  const details = () => Array.from(notices.element.querySelectorAll(".transfer-detail"), (element) => element.textContent);

  function make(limit: number | null): void {
    document.body.replaceChildren();
    requests = [];
    session = SESSION;
    notices = new TransferNotices(document, { setTimeout: () => 0, clearTimeout: () => undefined });
    uploads = new FileUploads(document, {
      base: BASE,
      token: () => "secret-token",
      session: () => session,
      maxBytes: Promise.resolve(limit),
      request: () => {
        const request = new FakeRequest();
        requests.push(request);
        return request as unknown as UploadRequest;
      },
      notices,
    });
    document.body.append(uploads.button, uploads.input, uploads.dropHint, notices.element);
  }

  beforeEach(() => {
    make(1000);
  });

  it("uploads one file after another with the token in the header, showing progress and where each went", async () => {
    const done = uploads.upload([new File(["hello"], "a.txt"), new File(["world!"], "b.txt")]);
    await settle();
    expect(requests).toHaveLength(1);
    const [first] = requests;
    expect(first?.method).toBe("POST");
    expect(first?.url).toBe(`${BASE}api/v1/sessions/${SESSION}/files?name=a.txt`);
    expect(first?.headers).toEqual({ Authorization: "Bearer secret-token", "Content-Type": "application/octet-stream" });
    expect(first?.body).toBeInstanceOf(File);
    first?.progress(2, 5);
    expect(notices.element.querySelector(".transfer-percent")?.textContent).toBe("40%");
    first?.answer(201, { name: "a.txt", directory: "/tmp/here", bytes: 5 });
    await settle();
    // The second starts only once the first has its answer.
    expect(requests).toHaveLength(2);
    requests[1]?.answer(409, { error: 'a file named "b.txt" already exists there' });
    await done;
    expect(details()).toEqual(["Saved to /tmp/here/a.txt", 'Not uploaded: a file named "b.txt" already exists there']);
  });

  it("refuses a file over the server's limit without sending it", async () => {
    await uploads.upload([new File([new Uint8Array(1001)], "big.bin")]);
    expect(requests).toEqual([]);
    expect(details()).toEqual(["Not uploaded: it is 1,001 bytes, and files may be at most 1,000 bytes."]);
  });

  it("sends nothing without a session", async () => {
    session = null;
    await uploads.upload([new File(["x"], "x.txt")]);
    expect(requests).toEqual([]);
    expect(details()).toEqual([NOT_CONNECTED]);
  });

  it("cancels from the card", async () => {
    const done = uploads.upload([new File(["x"], "x.txt")]);
    await settle();
    notices.element.querySelector<HTMLButtonElement>(".transfer-close")?.click();
    await done;
    expect(requests[0]?.aborted).toBe(true);
    expect(details()).toEqual(["Cancelled: nothing was uploaded."]);
  });

  it("says when the server cannot be reached", async () => {
    const done = uploads.upload([new File(["x"], "x.txt")]);
    await settle();
    requests[0]?.onerror?.();
    await done;
    expect(details()).toEqual(["The server could not be reached: nothing was uploaded."]);
  });

  it("opens the file picker from the button and uploads what was picked", async () => {
    let picked = 0;
    uploads.input.addEventListener("click", (event) => {
      picked += 1;
      event.preventDefault();
    });
    uploads.button.click();
    expect(picked).toBe(1);
    expect(uploads.input.type).toBe("file");
    expect(uploads.input.multiple).toBe(true);
    Object.defineProperty(uploads.input, "files", { value: [new File(["x"], "picked.txt")], configurable: true });
    uploads.input.dispatchEvent(new Event("change"));
    await settle();
    expect(requests[0]?.url).toContain("name=picked.txt");
  });

  describe("drops", () => {
    const dragEvent = (type: string, files: File[]) => {
      const event = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(event, "dataTransfer", { value: { types: ["Files"], files, dropEffect: "" } });
      return event as DragEvent;
    };

    // A target of its own per test: listeners on the document would outlive the test.
    let page: HTMLElement;
    beforeEach(() => {
      page = document.createElement("div");
      document.body.append(page);
      uploads.acceptDrops(page);
    });

    it("shows the hint while files are over the page, and uploads what is dropped", async () => {
      const file = new File(["x"], "dropped.txt");
      page.dispatchEvent(dragEvent("dragenter", [file]));
      expect(uploads.dropHint.hidden).toBe(false);
      const over = dragEvent("dragover", [file]);
      page.dispatchEvent(over);
      expect(over.defaultPrevented).toBe(true);
      expect(over.dataTransfer?.dropEffect).toBe("copy");
      const drop = dragEvent("drop", [file]);
      page.dispatchEvent(drop);
      expect(drop.defaultPrevented).toBe(true);
      expect(uploads.dropHint.hidden).toBe(true);
      await settle();
      expect(requests[0]?.url).toContain("name=dropped.txt");
    });

    it("ignores drags of anything but files", () => {
      const text = new Event("dragover", { bubbles: true, cancelable: true });
      Object.defineProperty(text, "dataTransfer", { value: { types: ["text/plain"], files: [], dropEffect: "" } });
      page.dispatchEvent(text);
      expect(text.defaultPrevented).toBe(false);
    });

    it("has no button for a read-only viewer and refuses its drops", async () => {
      uploads.setAllowed(false);
      expect(uploads.button.hidden).toBe(true);
      page.dispatchEvent(dragEvent("dragenter", [new File(["x"], "x.txt")]));
      expect(uploads.dropHint.hidden).toBe(true);
      const over = dragEvent("dragover", []);
      page.dispatchEvent(over);
      expect(over.dataTransfer?.dropEffect).toBe("none");
      page.dispatchEvent(dragEvent("drop", [new File(["x"], "x.txt")]));
      await settle();
      expect(requests).toEqual([]);
      expect(details()).toEqual([READ_ONLY_DROP]);
      uploads.setAllowed(true);
      expect(uploads.button.hidden).toBe(false);
    });
  });
});
