import { describe, expect, it } from "vitest";
import { parseSession, SessionApi, SessionApiError } from "./sessions-api";

const ID = "0123456789abcdef0123456789abcdef";
const LISTED = {
  id: ID,
  owner: "user:default/alice",
  role: "owner",
  name: "build box",
  created: "2026-11-26T01:02:03.456Z",
  last_activity: "2026-11-26T01:09:00.000Z",
  viewers: 1,
  cols: 120,
  rows: 40,
  shares: [{ subject: "user:default/bob", role: "view" }, { subject: "x", role: "admin" }],
  watchers: [{ user: "user:default/alice", role: "owner", connections: 1 }, { user: "user:default/bob", connections: 2 }, { role: "view" }],
  recording: true,
};

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with the next of `answers`. */
function fakeFetch(...answers: (Response | Error)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchFn = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: input instanceof Request ? input.url : input.toString(),
      method: init?.method ?? "GET",
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
    });
    const answer = answers.shift() ?? new Response(null, { status: 204 });
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { fetch: fetchFn, calls };
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function api(fetchFn: typeof fetch, token: string | null = null): SessionApi {
  return new SessionApi({ fetch: fetchFn, base: "https://host.test/term/?renderer=dom#theme=dark", token: () => token });
}

describe("SessionApi", () => {
  it("lists the sessions with the token in the header, never in the URL", async () => {
    const fake = fakeFetch(json({ sessions: [LISTED, { id: "not-an-id" }] }));
    const sessions = await api(fake.fetch, "secret-token").list();
    expect(fake.calls).toEqual([
      { url: "https://host.test/term/api/v1/sessions", method: "GET", headers: { Accept: "application/json", Authorization: "Bearer secret-token" }, body: undefined },
    ]);
    expect(sessions).toEqual([
      {
        id: ID,
        owner: "user:default/alice",
        role: "owner",
        name: "build box",
        created: Date.parse("2026-11-26T01:02:03.456Z"),
        lastActivity: Date.parse("2026-11-26T01:09:00.000Z"),
        viewers: 1,
        cols: 120,
        rows: 40,
        shares: [{ subject: "user:default/bob", role: "view" }],
        watchers: [
          { user: "user:default/alice", role: "owner", connections: 1 },
          { user: "user:default/bob", role: null, connections: 2 },
        ],
        recording: true,
      },
    ]);
  });

  it("sends no Authorization header without a token", async () => {
    const fake = fakeFetch(json({ sessions: [] }));
    expect(await api(fake.fetch).list()).toEqual([]);
    expect(fake.calls[0]?.headers).toEqual({ Accept: "application/json" });
  });

  it("renames, ends, shares and revokes with the request shapes of the protocol", async () => {
    const fake = fakeFetch(json({ ...LISTED, name: "new" }), new Response(null, { status: 204 }), json({ subject: "group:default/ops", role: "write" }, 201), new Response(null, { status: 204 }));
    const client = api(fake.fetch, "t");
    expect((await client.rename(ID, "new"))?.name).toBe("new");
    await client.end(ID);
    expect(await client.share(ID, "group:OPS", "write")).toEqual({ subject: "group:default/ops", role: "write" });
    await client.revoke(ID, "group:default/ops");
    expect(fake.calls.map(({ url, method, body }) => [method, url, body])).toEqual([
      ["PATCH", `https://host.test/term/api/v1/sessions/${ID}`, { name: "new" }],
      ["DELETE", `https://host.test/term/api/v1/sessions/${ID}`, undefined],
      ["POST", `https://host.test/term/api/v1/sessions/${ID}/shares`, { subject: "group:OPS", role: "write" }],
      ["DELETE", `https://host.test/term/api/v1/sessions/${ID}/shares`, { subject: "group:default/ops" }],
    ]);
    expect(fake.calls[0]?.headers).toEqual({ Accept: "application/json", Authorization: "Bearer t", "Content-Type": "application/json" });
  });

  it("reports the server's error text, else the status, else that the server was unreachable", async () => {
    const fake = fakeFetch(
      json({ error: "only the owner may do that" }, 403),
      new Response("gateway down", { status: 502, statusText: "Bad Gateway" }),
      new TypeError("Failed to fetch"),
    );
    const client = api(fake.fetch);
    await expect(client.end(ID)).rejects.toEqual(new SessionApiError(403, "only the owner may do that"));
    await expect(client.list()).rejects.toThrow("the server answered 502 Bad Gateway");
    await expect(client.list()).rejects.toMatchObject({ status: 0, message: "the server could not be reached" });
  });

  it("refuses an id that is not a session id before any request", async () => {
    const fake = fakeFetch();
    await expect(api(fake.fetch).end("../ui-config")).rejects.toThrow("not a session id");
    expect(fake.calls).toEqual([]);
  });

  it("reads odd listings safely", () => {
    expect(parseSession(null)).toBeNull();
    expect(parseSession({ id: ID })).toEqual({ id: ID, owner: "", role: "view", name: "", created: 0, lastActivity: 0, viewers: 0, cols: 0, rows: 0, shares: [], watchers: [], recording: false });
  });

  it("lists the recordings, and none where the server records nothing", async () => {
    const recording = { id: ID, owner: "user:default/alice", started: "2026-11-26T01:02:03.000Z", last_written: "2026-11-26T01:09:00.000Z", bytes: 512, live: false };
    const fake = fakeFetch(json({ enabled: true, recordings: [recording, { id: "../x" }] }), json({ error: "sessions are not recorded on this server" }, 404), json({ error: "no" }, 403));
    const client = api(fake.fetch, "t");
    expect(await client.recordings()).toEqual([
      { id: ID, owner: "user:default/alice", started: Date.parse(recording.started), lastWritten: Date.parse(recording.last_written), bytes: 512, live: false },
    ]);
    expect(fake.calls[0]?.url).toBe("https://host.test/term/api/v1/recordings");
    expect(await client.recordings()).toEqual([]);
    await expect(client.recordings()).rejects.toMatchObject({ status: 403, message: "no" });
  });

  it("fetches a recording's text with the token in the header", async () => {
    const fake = fakeFetch(new Response('{"version":3}\n[0.5,"o","hi"]\n', { status: 200 }), json({ error: "only the session's owner or an auditor may fetch its recording" }, 403));
    const client = api(fake.fetch, "t");
    expect(await client.recording(ID)).toBe('{"version":3}\n[0.5,"o","hi"]\n');
    expect(fake.calls[0]).toEqual({
      url: `https://host.test/term/api/v1/sessions/${ID}/recording`,
      method: "GET",
      headers: { Accept: "application/x-asciicast", Authorization: "Bearer t" },
      body: undefined,
    });
    await expect(client.recording(ID)).rejects.toThrow("only the session's owner or an auditor");
    await expect(client.recording("nope")).rejects.toThrow("not a session id");
  });
});
