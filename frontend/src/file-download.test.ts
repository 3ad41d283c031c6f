// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DOWNLOAD_OSC, type DownloadOptions, installDownloadOsc, parseDownloadOffer, saveWithLink } from "./file-download";
import { TransferNotices } from "./transfer-notices";

const SESSION = "0123456789abcdef0123456789abcdef";
const ID = "fedcba9876543210fedcba9876543210";
const base64 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const offer = (name: string, bytes: number | string, id = ID) => `download;id=${id};name=${base64(name)};bytes=${String(bytes)}`;

describe("parseDownloadOffer", () => {
  it("reads the offer the server prints", () => {
    expect(parseDownloadOffer(offer("report.pdf", 1234))).toEqual({ id: ID, name: "report.pdf", bytes: 1234 });
    expect(parseDownloadOffer(offer("grüß 👋.txt", 0))).toEqual({ id: ID, name: "grüß 👋.txt", bytes: 0 });
  });

  it("ignores anything that is not exactly that", () => {
    const malformed = [
      "",
      "download",
      `upload;id=${ID};name=${base64("a")};bytes=1`,
      offer("a", 1, ID.toUpperCase()),
      offer("a", 1, ID.slice(1)),
      `${offer("a", 1)};`,
      `${offer("a", 1)};extra=1`,
      `download;name=${base64("a")};id=${ID};bytes=1`,
      `download;id=${ID};bytes=1`,
      `download;id=${ID};name=${base64("a")}`,
      `download;id=${ID};name=;bytes=1`,
      `download;id=${ID};name=YQ;bytes=1`,
      `download;id=${ID};name=not base64!;bytes=1`,
      `download;id=${ID};name=${btoa("\xff\xfe")};bytes=1`,
      offer("a", "01"),
      offer("a", "-1"),
      offer("a", "1e3"),
      offer("a", "99999999999999999"),
      offer("a", " 1"),
    ];
    for (const data of malformed) {
      expect(parseDownloadOffer(data), data).toBeNull();
    }
  });

  it("takes only a plain file name", () => {
    for (const name of ["", ".", "..", "../etc/passwd", "a/b", "tab\there", "bell\x07", "x".repeat(256)]) {
      expect(parseDownloadOffer(offer(name, 1)), JSON.stringify(name)).toBeNull();
    }
    expect(parseDownloadOffer(offer("x".repeat(255), 1))?.name).toHaveLength(255);
  });
});

/** A body that arrives in the chunks the test enqueues. */
function streamedBody() {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start: (started) => {
      controller = started;
    },
  });
  return {
    stream,
    push: (bytes: number[]) => controller?.enqueue(Uint8Array.from(bytes)),
    end: () => controller?.close(),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("installDownloadOsc", () => {
  let handler: ((data: string) => boolean) | undefined;
  let saved: { file: Blob; name: string }[];
  let notices: TransferNotices;
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;
  let role: "owner" | "view";
  let replaying: boolean;
  let session: string | null;

  const detail = () => notices.element.querySelector(".transfer-detail")?.textContent;

  beforeEach(() => {
    document.body.replaceChildren();
    saved = [];
    role = "owner";
    replaying = false;
    session = SESSION;
    notices = new TransferNotices(document, { setTimeout: () => 0, clearTimeout: () => undefined });
    fetchMock = vi.fn<typeof fetch>();
    const options: DownloadOptions = {
      parser: {
        registerOscHandler: (ident, callback) => {
          expect(ident).toBe(DOWNLOAD_OSC);
          handler = callback;
          return { dispose: () => undefined };
        },
      },
      base: "https://term.example/terminal/",
      token: () => "secret-token",
      session: () => session,
      allowed: () => role !== "view",
      replaying: () => replaying,
      fetch: fetchMock,
      save: (file, name) => {
        saved.push({ file, name });
      },
      notices,
    };
    installDownloadOsc(options);
  });

  it("fetches the offered file with the token in the header, with progress, and saves it", async () => {
    const body = streamedBody();
    fetchMock.mockResolvedValue(new Response(body.stream, { status: 200 }));
    expect(handler?.(offer("data.bin", 4))).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe(`https://term.example/terminal/api/v1/sessions/${SESSION}/downloads/${ID}`);
    expect(init?.headers).toEqual({ Accept: "application/octet-stream", Authorization: "Bearer secret-token" });
    body.push([1, 2]);
    await vi.waitFor(() => {
      expect(notices.element.querySelector(".transfer-percent")?.textContent).toBe("50%");
    });
    body.push([3, 4]);
    body.end();
    await vi.waitFor(() => {
      expect(saved).toHaveLength(1);
    });
    expect(saved[0]?.name).toBe("data.bin");
    expect([...new Uint8Array(await (saved[0]?.file ?? new Blob()).arrayBuffer())]).toEqual([1, 2, 3, 4]);
    expect(notices.shown[0]?.state).toBe("done");
  });

  it("shows the server's refusal and saves nothing", async () => {
    fetchMock.mockResolvedValue(new Response(JSON.stringify({ error: "no such download: it was fetched already or has expired" }), { status: 404 }));
    handler?.(offer("gone.txt", 3));
    await vi.waitFor(() => {
      expect(detail()).toBe("Not downloaded: no such download: it was fetched already or has expired");
    });
    expect(saved).toEqual([]);
  });

  it("saves nothing that came short of, or over, the offered size", async () => {
    fetchMock.mockResolvedValueOnce(new Response(Uint8Array.from([1, 2]), { status: 200 }));
    handler?.(offer("short.bin", 3));
    await vi.waitFor(() => {
      expect(detail()).toBe("Not downloaded: the download was cut off.");
    });
    fetchMock.mockResolvedValueOnce(new Response(Uint8Array.from([1, 2, 3, 4]), { status: 200 }));
    handler?.(offer("long.bin", 3));
    await vi.waitFor(() => {
      expect(notices.shown[1]?.state).toBe("failed");
    });
    expect(saved).toEqual([]);
  });

  it("takes no offer in a read-only tab, in a snapshot, without a session, or malformed", async () => {
    role = "view";
    expect(handler?.(offer("a.txt", 1))).toBe(true);
    role = "owner";
    replaying = true;
    expect(handler?.(offer("a.txt", 1))).toBe(true);
    replaying = false;
    session = null;
    expect(handler?.(offer("a.txt", 1))).toBe(true);
    session = SESSION;
    expect(handler?.(`download;id=${ID};name=../x;bytes=1`)).toBe(true);
    await settle();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(notices.shown).toEqual([]);
  });

  it("cancels from the card", async () => {
    fetchMock.mockImplementation((_url, init) => {
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          reject(new DOMException("aborted", "AbortError"));
        });
      });
    });
    handler?.(offer("slow.bin", 10));
    notices.element.querySelector<HTMLButtonElement>(".transfer-close")?.click();
    await vi.waitFor(() => {
      expect(detail()).toBe("Cancelled.");
    });
    expect(saved).toEqual([]);
  });
});

describe("saveWithLink", () => {
  it("clicks a download link to an object URL, and revokes the URL later", () => {
    const create = vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:https://term.example/1");
    const revoke = vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
    const clicked: { href: string; download: string }[] = [];
    document.addEventListener("click", (event) => {
      const link = event.target as HTMLAnchorElement;
      clicked.push({ href: link.href, download: link.download });
      event.preventDefault();
    });
    let later: (() => void) | undefined;
    saveWithLink(document, new Blob(["x"]), "x.txt", (callback) => {
      later = callback;
    });
    expect(clicked).toEqual([{ href: "blob:https://term.example/1", download: "x.txt" }]);
    expect(document.querySelector("a")).toBeNull();
    expect(revoke).not.toHaveBeenCalled();
    later?.();
    expect(revoke).toHaveBeenCalledWith("blob:https://term.example/1");
    create.mockRestore();
    revoke.mockRestore();
  });
});
