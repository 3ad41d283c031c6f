// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { SessionApi } from "./sessions-api";
import { REFRESH_MS, SessionsPanel } from "./sessions-panel";
import { relativeTime, sizeText } from "./session-text";

const A = "a".repeat(32);
const B = "b".repeat(32);
const NOW = Date.parse("2026-11-26T02:00:00Z");

function session(id: string, extra: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    id,
    owner: "user:default/alice",
    role: "owner",
    name: "",
    created: "2026-11-26T01:00:00Z",
    last_activity: "2026-11-26T01:59:30Z",
    viewers: 1,
    cols: 80,
    rows: 24,
    shares: [],
    ...extra,
  };
}

interface Call {
  method: string;
  url: string;
  body: unknown;
  authorization: string | undefined;
}

/**
 * A fake server: answers GET with `listing` (and the recordings list with `recordings`, counted
 * apart in `recordingLoads`), and the rest from `answers` (204 by default).
 */
function fakeServer(listing: () => unknown[], recordings: () => unknown[] | null = () => null) {
  const calls: Call[] = [];
  const answers: Response[] = [];
  let recordingLoads = 0;
  const fetchFn = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET";
    const url = input instanceof Request ? input.url : input.toString();
    if (url.endsWith("/api/v1/recordings")) {
      recordingLoads += 1;
      const listed = recordings();
      return Promise.resolve(
        listed === null
          ? new Response(JSON.stringify({ error: "sessions are not recorded on this server" }), { status: 404 })
          : new Response(JSON.stringify({ recordings: listed }), { status: 200 }),
      );
    }
    calls.push({
      method,
      url: (input instanceof Request ? input.url : input.toString()).replace("https://host.test/", ""),
      body: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
      authorization: (init?.headers as Record<string, string>).Authorization,
    });
    if (method === "GET") {
      return Promise.resolve(new Response(JSON.stringify({ sessions: listing() }), { status: 200 }));
    }
    return Promise.resolve(answers.shift() ?? new Response(null, { status: 204 }));
  };
  return { fetch: fetchFn, calls, answers, recordingLoads: () => recordingLoads };
}

function required<T extends Element>(found: T | null): T {
  if (found === null) {
    throw new Error("not in the panel");
  }
  return found;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
};

describe("relativeTime", () => {
  it("says how long ago in the largest whole unit", () => {
    expect(relativeTime(NOW - 3_000, NOW)).toBe("just now");
    expect(relativeTime(NOW + 3_000, NOW)).toBe("just now");
    expect(relativeTime(NOW - 40_000, NOW)).toBe("40 s ago");
    expect(relativeTime(NOW - 5 * 60_000, NOW)).toBe("5 min ago");
    expect(relativeTime(NOW - 3 * 3_600_000, NOW)).toBe("3 h ago");
    expect(relativeTime(NOW - 50 * 3_600_000, NOW)).toBe("2 d ago");
  });
});

describe("SessionsPanel", () => {
  let listing: Record<string, unknown>[];
  let server: ReturnType<typeof fakeServer>;
  let panel: SessionsPanel;
  let attach: ReturnType<typeof vi.fn<(id: string) => void>>;
  let copy: ReturnType<typeof vi.fn<(text: string) => Promise<void>>>;
  let closed: ReturnType<typeof vi.fn<() => void>>;

  beforeEach(() => {
    document.body.replaceChildren();
    listing = [session(A, { name: "build box", viewers: 2 }), session(B)];
    server = fakeServer(() => listing);
    attach = vi.fn<(id: string) => void>();
    copy = vi.fn<(text: string) => Promise<void>>(() => Promise.resolve());
    closed = vi.fn<() => void>();
    panel = new SessionsPanel(document, {
      api: new SessionApi({ fetch: server.fetch, base: "https://host.test/", token: () => "tok" }),
      current: () => A,
      attach,
      link: (id) => `https://host.test/#session=${id}`,
      copy,
      now: () => NOW,
      closed,
    });
    document.body.append(panel.button, panel.element);
  });

  const item = (id: string): HTMLElement => required(panel.element.querySelector<HTMLElement>(`[data-session="${id}"]`));
  const button = (scope: Element, text: string): HTMLButtonElement =>
    required(Array.from(scope.querySelectorAll("button")).find((candidate) => candidate.textContent === text) ?? null);
  const message = (): string => required(panel.element.querySelector(".sessions-message")).textContent;

  async function openPanel(): Promise<void> {
    panel.button.click();
    await flush();
  }

  it("lists the sessions with name or id prefix, role, viewers and times, the current one marked", async () => {
    await openPanel();
    expect(panel.isOpen).toBe(true);
    expect(panel.button.getAttribute("aria-expanded")).toBe("true");
    expect(server.calls).toEqual([{ method: "GET", url: "api/v1/sessions", body: undefined, authorization: "Bearer tok" }]);
    const current = item(A);
    expect(current.getAttribute("aria-current")).toBe("true");
    expect(current.querySelector(".session-title")?.textContent).toBe("build boxThis tabOwner");
    expect(current.querySelector(".session-meta")?.textContent).toBe("2 viewers · started 1 h ago · active 30 s ago");
    expect(Array.from(current.querySelectorAll(".session-actions button"), (b) => b.textContent)).toEqual(["Copy link", "Rename", "Share", "End"]);
    const other = item(B);
    expect(other.querySelector(".session-name")?.textContent).toBe("bbbbbbbb");
    expect(other.querySelector(".session-meta")?.textContent).toBe("1 viewer · started 1 h ago · active 30 s ago");
    expect(other.hasAttribute("aria-current")).toBe(false);
  });

  it("attaches this tab to another session and closes", async () => {
    await openPanel();
    button(item(B), "Attach").click();
    expect(attach).toHaveBeenCalledWith(B);
    expect(panel.isOpen).toBe(false);
    expect(closed).toHaveBeenCalled();
  });

  it("offers only attach and copy for a session shared with the caller", async () => {
    listing = [session(B, { role: "view", owner: "user:default/bob" })];
    await openPanel();
    expect(Array.from(item(B).querySelectorAll(".session-actions button"), (b) => b.textContent)).toEqual(["Attach", "Copy link"]);
    expect(item(B).querySelector(".session-meta")?.textContent).toContain("user:default/bob");
    expect(item(B).querySelector(".tag-view")?.textContent).toBe("Read-only");
  });

  it("renames with PATCH and shows the new name", async () => {
    await openPanel();
    button(item(B), "Rename").click();
    const input = required(item(B).querySelector<HTMLInputElement>(".rename-form input"));
    expect(document.activeElement).toBe(input);
    input.value = "logs";
    listing = [listing[0] ?? {}, session(B, { name: "logs" })];
    required(item(B).querySelector<HTMLFormElement>(".rename-form")).requestSubmit();
    await flush();
    expect(server.calls.at(-2)).toEqual({ method: "PATCH", url: `api/v1/sessions/${B}`, body: { name: "logs" }, authorization: "Bearer tok" });
    expect(item(B).querySelector(".session-name")?.textContent).toBe("logs");
    expect(item(B).querySelector(".rename-form")).toBeNull();
  });

  it("ends a session only after the confirmation in the panel", async () => {
    await openPanel();
    button(item(B), "End").click();
    expect(server.calls.filter((call) => call.method === "DELETE")).toEqual([]);
    expect(item(B).querySelector(".end-confirmation p")?.textContent).toBe("End “bbbbbbbb”? Its shell is hung up, and every viewer is disconnected.");
    // Escape closes the confirmation, not the panel.
    item(B).dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(item(B).querySelector(".end-confirmation")).toBeNull();
    expect(panel.isOpen).toBe(true);
    button(item(B), "End").click();
    // The server may list it a moment longer, while the shell hangs up: it is gone here at once.
    button(item(B), "End session").click();
    await flush();
    expect(server.calls.filter((call) => call.method === "DELETE")).toEqual([{ method: "DELETE", url: `api/v1/sessions/${B}`, body: undefined, authorization: "Bearer tok" }]);
    expect(panel.element.querySelector(`[data-session="${B}"]`)).toBeNull();
    // Escape now closes the panel.
    panel.element.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(panel.isOpen).toBe(false);
  });

  it("shows the API's refusal plainly", async () => {
    await openPanel();
    server.answers.push(new Response(JSON.stringify({ error: "name over 64 characters" }), { status: 400 }));
    button(item(B), "Rename").click();
    required(item(B).querySelector<HTMLFormElement>(".rename-form")).requestSubmit();
    await flush();
    expect(message()).toBe("name over 64 characters");
    expect(required(panel.element.querySelector(".sessions-message")).getAttribute("role")).toBe("alert");
    // The form stays, for another try.
    expect(item(B).querySelector(".rename-form")).not.toBeNull();
  });

  it("shows why the list could not be loaded", async () => {
    const failing = new SessionsPanel(document, {
      api: { list: () => Promise.reject(new Error("the server could not be reached")), rename: vi.fn(), end: vi.fn(), share: vi.fn(), revoke: vi.fn() },
      current: () => null,
      attach,
      link: (id) => id,
      copy,
      now: () => NOW,
      closed,
    });
    document.body.append(failing.element);
    await failing.open();
    expect(failing.element.querySelector(".sessions-message")?.textContent).toBe("the server could not be reached");
    expect(failing.element.querySelector(".session-empty")?.textContent).toBe("Loading…");
  });

  it("shares and revokes with the request shapes of the protocol, showing the current shares", async () => {
    listing = [session(A, { shares: [{ subject: "user:default/bob", role: "view" }] })];
    await openPanel();
    button(item(A), "Share").click();
    const shares = (): string[] => Array.from(item(A).querySelectorAll(".share"), (li) => li.textContent);
    expect(shares()).toEqual(["user:default/bobViewRevoke"]);
    const subject = required(item(A).querySelector<HTMLInputElement>(".share-form input"));
    const role = required(item(A).querySelector<HTMLSelectElement>(".share-form select"));
    subject.value = " group:OPS ";
    role.value = "write";
    listing = [session(A, { shares: [{ subject: "user:default/bob", role: "view" }, { subject: "group:default/ops", role: "write" }] })];
    server.answers.push(new Response(JSON.stringify({ subject: "group:default/ops", role: "write" }), { status: 201 }));
    required(item(A).querySelector<HTMLFormElement>(".share-form")).requestSubmit();
    await flush();
    expect(server.calls.at(-2)).toEqual({ method: "POST", url: `api/v1/sessions/${A}/shares`, body: { subject: "group:OPS", role: "write" }, authorization: "Bearer tok" });
    // The share form stays open with the new list.
    expect(shares()).toEqual(["user:default/bobViewRevoke", "group:default/opsWriteRevoke"]);

    listing = [session(A, { shares: [{ subject: "group:default/ops", role: "write" }] })];
    button(required(item(A).querySelector(".share")), "Revoke").click();
    await flush();
    expect(server.calls.at(-2)).toEqual({ method: "DELETE", url: `api/v1/sessions/${A}/shares`, body: { subject: "user:default/bob" }, authorization: "Bearer tok" });
    expect(shares()).toEqual(["group:default/opsWriteRevoke"]);

    server.answers.push(new Response(JSON.stringify({ error: "session was not shared with user:default/zed" }), { status: 404 }));
    button(required(item(A).querySelector(".share")), "Revoke").click();
    await flush();
    expect(message()).toBe("session was not shared with user:default/zed");

    subject.value = "";
    const empty = required(item(A).querySelector<HTMLInputElement>(".share-form input"));
    empty.value = "  ";
    required(item(A).querySelector<HTMLFormElement>(".share-form")).requestSubmit();
    await flush();
    expect(message()).toBe("Say whom to share with: a user (bob) or a group (group:ops).");
    button(item(A), "Done").click();
    expect(item(A).querySelector(".share-box")).toBeNull();
    expect(document.activeElement?.textContent).toBe("Share");
  });

  it("copies a link without a token, and says where copying failed", async () => {
    await openPanel();
    button(item(B), "Copy link").click();
    await flush();
    expect(copy).toHaveBeenCalledWith(`https://host.test/#session=${B}`);
    expect(message()).toBe("Link copied.");
    copy.mockImplementationOnce(() => Promise.reject(new Error("denied")));
    button(item(B), "Copy link").click();
    await flush();
    expect(message()).toBe(`Copying needs clipboard access; the link is https://host.test/#session=${B}`);
  });

  it("keeps the focus inside, closes on a click elsewhere, and toggles from its button", async () => {
    await openPanel();
    const focusables = Array.from(panel.element.querySelectorAll<HTMLElement>("button, input, select"));
    const last = focusables.at(-1);
    last?.focus();
    const tab = new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true });
    last?.dispatchEvent(tab);
    expect(tab.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(focusables[0]);
    const back = new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true, cancelable: true });
    focusables[0]?.dispatchEvent(back);
    expect(document.activeElement).toBe(last);
    document.body.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    expect(panel.isOpen).toBe(false);
    expect(closed).not.toHaveBeenCalled();
    await openPanel();
    panel.toggle();
    expect(panel.isOpen).toBe(false);
    expect(closed).toHaveBeenCalledTimes(1);
    panel.close();
    expect(closed).toHaveBeenCalledTimes(1);
    listing = [];
    await openPanel();
    expect(panel.element.querySelector(".session-empty")?.textContent).toBe("No live sessions.");
    button(panel.element, "Refresh").click();
    await flush();
    expect(server.calls.filter((call) => call.method === "GET")).toHaveLength(4);
  });

  it("shows who is watching: to the owner with their roles, to others without", async () => {
    listing = [
      session(A, {
        viewers: 4,
        watchers: [
          { user: "user:default/alice", role: "owner", connections: 1 },
          { user: "group:default/x", role: "write", connections: 1 },
          { user: "user:default/bob", role: "view", connections: 2 },
        ],
      }),
      session(B, { role: "view", owner: "user:default/carol", watchers: [{ user: "user:default/carol", connections: 1 }] }),
      session("c".repeat(32), { watchers: [] }),
    ];
    await openPanel();
    const chips = (id: string): string[] => Array.from(item(id).querySelectorAll(".session-watchers .tag"), (chip) => chip.textContent);
    expect(chips(A)).toEqual(["you", "group:default/x (write)", "bob ×2 (view)"]);
    expect(required(item(A).querySelector(".session-watchers")).textContent).toBe("Watching: you group:default/x (write) bob ×2 (view)");
    expect(required(item(A).querySelector(".session-watchers .tag-view")).getAttribute("title")).toBe("user:default/bob: view");
    expect(chips(B)).toEqual(["carol"]);
    expect(required(item("c".repeat(32)).querySelector<HTMLElement>(".session-watchers")).hidden).toBe(true);
    expect(required(item(A).querySelector<HTMLElement>(".session-watchers")).hidden).toBe(false);
  });

  it("offers Replay for a recorded session, and lists the recordings of ended sessions", async () => {
    const replay = vi.fn<(id: string) => void>();
    const ended = "e".repeat(32);
    listing = [session(A, { recording: true }), session(B)];
    server = fakeServer(
      () => listing,
      () => [
        { id: A, owner: "user:default/alice", started: "2026-11-26T01:00:00Z", last_written: "2026-11-26T01:59:00Z", bytes: 2048, live: true },
        { id: ended, owner: "user:default/alice", started: "2026-11-26T00:00:00Z", last_written: "2026-11-26T00:30:00Z", bytes: 1_500_000, live: false },
      ],
    );
    panel = new SessionsPanel(document, {
      api: new SessionApi({ fetch: server.fetch, base: "https://host.test/", token: () => "tok" }),
      current: () => A,
      attach,
      link: (id) => `https://host.test/#session=${id}`,
      copy,
      now: () => NOW,
      closed,
      replay,
    });
    document.body.replaceChildren(panel.button, panel.element);
    await openPanel();
    expect(Array.from(item(B).querySelectorAll("button"), (b) => b.textContent)).not.toContain("Replay");
    button(item(A), "Replay").click();
    expect(replay).toHaveBeenLastCalledWith(A);
    const endedItem = required(panel.element.querySelector<HTMLElement>(`.ended-list [data-session="${ended}"]`));
    expect(panel.element.querySelectorAll(".ended-list .session")).toHaveLength(1);
    expect(required(panel.element.querySelector<HTMLElement>(".sessions-subheading")).hidden).toBe(false);
    expect(endedItem.querySelector(".session-meta")?.textContent).toBe("started 2 h ago · last output 1 h ago · 1.5 MB · alice");
    button(endedItem, "Replay").click();
    expect(replay).toHaveBeenLastCalledWith(ended);
  });

  it("opens the replay page in a new tab by default, and hides the ended list where nothing is recorded", async () => {
    const open = vi.spyOn(window, "open").mockReturnValue(null);
    listing = [session(A, { recording: true })];
    await openPanel();
    button(item(A), "Replay").click();
    expect(open).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`/replay\\.html#session=${A}$`)), "_blank");
    expect(server.recordingLoads()).toBe(1);
    expect(required(panel.element.querySelector<HTMLElement>(".sessions-subheading")).hidden).toBe(true);
  });

  it("refreshes while open, keeping a half-typed share form and the focus", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      await openPanel();
      button(item(A), "Share").click();
      const subject = required(item(A).querySelector<HTMLInputElement>(".share-form input"));
      subject.value = "grou";
      subject.setSelectionRange(2, 3);
      required(item(A).querySelector<HTMLSelectElement>(".share-form select")).value = "write";
      subject.focus();
      const loads = server.calls.length;

      // Unchanged: nothing is drawn again, and the recordings are not asked for again.
      const recordingLoads = server.recordingLoads();
      vi.advanceTimersByTime(REFRESH_MS);
      await flush();
      expect(server.calls.length).toBe(loads + 1);
      expect(server.recordingLoads()).toBe(recordingLoads);
      expect(item(A).querySelector(".share-form input")).toBe(subject);

      // Changed (someone attached): drawn again, with the typing, the role and the focus kept.
      listing = [session(A, { name: "build box", viewers: 3 }), session(B)];
      vi.advanceTimersByTime(REFRESH_MS);
      await flush();
      const redrawn = required(item(A).querySelector<HTMLInputElement>(".share-form input"));
      expect(redrawn).not.toBe(subject);
      expect(redrawn.value).toBe("grou");
      expect(required(item(A).querySelector<HTMLSelectElement>(".share-form select")).value).toBe("write");
      expect(document.activeElement).toBe(redrawn);
      expect([redrawn.selectionStart, redrawn.selectionEnd]).toEqual([2, 3]);
      expect(item(A).querySelector(".session-meta")?.textContent).toContain("3 viewers");
      expect(server.recordingLoads()).toBe(recordingLoads);

      // A session ended: its recording may now be listed, so the recordings are loaded again.
      listing = [session(A, { name: "build box", viewers: 3 })];
      vi.advanceTimersByTime(REFRESH_MS);
      await flush();
      expect(server.recordingLoads()).toBe(recordingLoads + 1);
      expect(required(item(A).querySelector<HTMLInputElement>(".share-form input")).value).toBe("grou");

      // A failed refresh in the background leaves the list as it was, and closing stops the timer.
      server.answers.length = 0;
      panel.close();
      const afterClose = server.calls.length;
      vi.advanceTimersByTime(3 * REFRESH_MS);
      await flush();
      expect(server.calls.length).toBe(afterClose);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says sizes in bytes, kilobytes and megabytes", () => {
    expect([sizeText(812), sizeText(4200), sizeText(1_300_000)]).toEqual(["812 B", "4.2 KB", "1.3 MB"]);
  });
});
