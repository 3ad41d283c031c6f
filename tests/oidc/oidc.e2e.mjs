// End-to-end: web-terminal against a real OpenID provider. Starts oidc-provider on loopback,
// reads its discovery document, starts the web-terminal binary (WEB_TERMINAL_BIN) trusting the
// provider's JWKS and issuer, gets access tokens from the provider's token endpoint, and opens
// real terminal sessions over the WebSocket with them.
//
// OIDC_E2E_SABOTAGE=1 configures the server with a wrong issuer, so that every good-token test
// must fail: checks/auth-oidc.sh uses it to show this suite can fail.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";

import { RESOURCE, RESOURCE_RSA, accessToken, discover, startProvider } from "./provider.mjs";

const BIN = resolve(process.env.WEB_TERMINAL_BIN ?? "../../target/debug/web-terminal");
const SABOTAGE = process.env.OIDC_E2E_SABOTAGE === "1";
const WAIT_MS = 15_000;

let provider;
let discovery;
let server;
let base;
let dir;

/** Starts the server binary; resolves with its address once it logs "listening". */
function startServer(env) {
  const child = spawn(BIN, ["start"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const lines = [];
  const listening = new Promise((resolveAddress, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line:\n${lines.join("\n")}`)), WAIT_MS);
    createInterface({ input: child.stderr }).on("line", (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line);
        if (entry.message === "listening") {
          clearTimeout(timer);
          resolveAddress(entry.address);
        }
      } catch {
        // Not JSON: ignore.
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${lines.join("\n")}`)));
  });
  return { child, lines, listening };
}

async function waitReady() {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const response = await fetch(`${base}/ready`).catch(() => null);
    if (response?.status === 200) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`/ready still ${response?.status}:\n${server.lines.join("\n")}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * Opens a WebSocket (`query` appended, `headers` sent), sends `first`, and collects messages
 * until `until(output)` holds or the socket closes. Resolves with what happened.
 */
function session({ first, headers = {}, query = "", send = [], until = () => false }) {
  return new Promise((resolveResult, reject) => {
    const url = `${base.replace("http", "ws")}/api/v1/ws${query}`;
    const socket = new WebSocket(url, { headers });
    const result = { opened: null, output: "", close: null };
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`timed out; so far ${JSON.stringify(result)}`));
    }, WAIT_MS);
    socket.on("open", () => socket.send(JSON.stringify(first)));
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        result.output += data.toString("utf8");
        if (until(result.output)) {
          clearTimeout(timer);
          socket.close();
          resolveResult(result);
        }
        return;
      }
      const message = JSON.parse(data.toString("utf8"));
      if (message.type === "opened") {
        result.opened = message.session;
        for (const line of send) {
          socket.send(Buffer.from(`${line}\n`));
        }
      }
    });
    socket.on("close", (code, reason) => {
      clearTimeout(timer);
      result.close = { code, reason: reason.toString("utf8") };
      resolveResult(result);
    });
    socket.on("error", reject);
  });
}

before(async () => {
  provider = await startProvider();
  discovery = await discover(provider.issuer);
  dir = mkdtempSync(join(tmpdir(), "web-terminal-oidc-"));
  const providers = [
    {
      name: "oidc",
      url: discovery.jwks_uri,
      issuer: SABOTAGE ? `${discovery.issuer}/wrong` : discovery.issuer,
      audience: RESOURCE,
      min_refresh_interval: 1,
    },
  ];
  server = startServer({
    PATH: process.env.PATH,
    WEB_TERMINAL_PORT: "0",
    WEB_TERMINAL_WORKSPACES_DIR: join(dir, "workspaces"),
    WEB_TERMINAL_SHELL: "/bin/sh",
    WEB_TERMINAL_LOG_FORMAT: "json",
    AUTH_ENABLED: "true",
    AUTH_JWKS_PROVIDERS: JSON.stringify(providers),
    AUTH_ALLOWED_GROUPS: JSON.stringify(["ops"]),
    AUTH_AUDIT_LOG_FILE: join(dir, "audit.log"),
  });
  base = `http://${await server.listening}`;
  await waitReady();
});

after(async () => {
  server?.child.kill("SIGTERM");
  await provider?.close();
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the provider's discovery document is real and names its JWKS", async () => {
  assert.equal(discovery.issuer, provider.issuer);
  assert.ok(discovery.grant_types_supported.includes("client_credentials"));
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  assert.deepEqual(jwks.keys.map((key) => key.alg).sort(), ["ES256", "RS256"]);
  assert.ok(jwks.keys.every((key) => key.d === undefined), "the JWKS must hold public keys only");
});

test("an ES256 access token from the provider opens a real terminal", async () => {
  const token = await accessToken(discovery, provider.clients.platform);
  const result = await session({
    first: { type: "open", cols: 80, rows: 24, token },
    send: ["echo oidc-$((6*7))"],
    until: (output) => output.includes("oidc-42"),
  });
  assert.match(result.opened ?? "", /^[0-9a-f]{32}$/, JSON.stringify(result.close));
  assert.ok(result.output.includes("oidc-42"));
});

test("an RS256 access token in the Authorization header works too", async () => {
  const token = await accessToken(discovery, provider.clients.platform, RESOURCE_RSA);
  assert.equal(JSON.parse(Buffer.from(token.split(".")[0], "base64url")).alg, "RS256");
  const result = await session({
    first: { type: "open", cols: 80, rows: 24 },
    headers: { authorization: `Bearer ${token}` },
    send: ["echo header-$((2+3))"],
    until: (output) => output.includes("header-5"),
  });
  assert.ok(result.opened, JSON.stringify(result.close));
});

test("a token with a bad signature is refused with 4401", async () => {
  const token = await accessToken(discovery, provider.clients.platform);
  const [header, payload, signature] = token.split(".");
  // Flip the signature's first character.
  const bad = `${header}.${payload}.${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
  const result = await session({ first: { type: "open", cols: 80, rows: 24, token: bad } });
  assert.equal(result.opened, null);
  assert.equal(result.close.code, 4401);
  assert.equal(result.close.reason, "invalid token");
});

test("a garbage token and no token are refused with 4401", async () => {
  for (const token of ["not-a-jwt", undefined]) {
    const result = await session({ first: { type: "open", cols: 80, rows: 24, token } });
    assert.equal(result.close.code, 4401);
  }
});

test("a valid token of a client in no allowed group is refused with 4403", async () => {
  const token = await accessToken(discovery, provider.clients.outsider);
  const result = await session({ first: { type: "open", cols: 80, rows: 24, token } });
  assert.equal(result.opened, null);
  assert.equal(result.close.code, 4403);
});

test("a valid token in the URL query is refused with 4401", async () => {
  const token = await accessToken(discovery, provider.clients.platform);
  const result = await session({
    first: { type: "open", cols: 80, rows: 24 },
    query: `?access_token=${token}`,
  });
  assert.equal(result.close.code, 4401);
  assert.match(result.close.reason, /Authorization header/);
});

test("the audit log names the provider's subject and holds no token", async () => {
  const token = await accessToken(discovery, provider.clients.platform);
  await session({
    first: { type: "open", cols: 80, rows: 24, token },
    send: ["echo audited"],
    until: (output) => output.includes("audited"),
  });
  const lines = readFileSync(join(dir, "audit.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const opened = lines.filter((line) => line.event === "session_open");
  assert.ok(opened.length > 0);
  assert.equal(opened[0].user, "user:default/platform-bot");
  assert.equal(opened[0].provider, "oidc");
  assert.deepEqual(opened[0].groups, ["group:default/ops"]);
  const text = readFileSync(join(dir, "audit.log"), "utf8");
  assert.ok(!text.includes(token.split(".")[2]), "a token signature is in the audit log");
});
