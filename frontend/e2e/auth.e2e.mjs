// @ts-check
// End-to-end test of the UI with authentication on: the real server binary trusting a JWKS this
// test serves over HTTP (an ES256 key generated here), tokens minted here, and Debian's
// Chromium through playwright-core.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/auth.e2e.mjs
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = fileURLToPath(new URL("..", import.meta.url));
const BIN = path.resolve(FRONTEND, process.env.WEB_TERMINAL_BIN ?? "../target/debug/web-terminal");
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(FRONTEND, "e2e", "artifacts");
const STEP_TIMEOUT_MS = 60_000;
const ISSUER = "https://issuer.e2e.test";

/** @param {number} ms */
const sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Polls `probe` until `accept` holds; fails with the last value seen.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} probe
 * @param {(value: T) => boolean} accept
 * @returns {Promise<T>}
 */
async function waitFor(what, probe, accept, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await probe();
    if (accept(last)) {
      return last;
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}

/** @param {http.Server | net.Server} server */
async function listen(server) {
  await new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve(undefined);
    });
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

async function freePort() {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => {
    server.close(() => {
      resolve(undefined);
    });
  });
  return port;
}

/** An ES256 signing key and its public JWK. */
function es256Key() {
  const kid = `e2e-${randomBytes(4).toString("hex")}`;
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

/**
 * A JWT for `sub`, valid for ten minutes, signed with `key`.
 * @param {ReturnType<typeof es256Key>} key
 * @param {string} sub
 */
function mintToken(key, sub) {
  const now = Math.floor(Date.now() / 1000);
  /** @param {object} part */
  const encode = (part) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode({ alg: "ES256", typ: "JWT", kid: key.kid })}.${encode({ iss: ISSUER, sub, iat: now, exp: now + 600 })}`;
  // JWS wants the raw r||s signature, not DER.
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

/**
 * The server's environment: ours without WEB_TERMINAL_* and AUTH_*, then authentication on.
 * @param {number} port
 * @param {string} workDir
 * @param {string} jwksUrl
 */
function serverEnv(port, workDir, jwksUrl) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("WEB_TERMINAL_") && !key.startsWith("AUTH_")) {
      env[key] = value;
    }
  }
  return {
    ...env,
    HOME: workDir,
    WEB_TERMINAL_HOST: "127.0.0.1",
    WEB_TERMINAL_PORT: String(port),
    WEB_TERMINAL_WORKSPACES_DIR: path.join(workDir, "workspaces"),
    WEB_TERMINAL_SHELL: "/bin/bash",
    WEB_TERMINAL_SHELL_ARGS: "--norc,--noprofile",
    AUTH_ENABLED: "true",
    AUTH_JWKS_PROVIDERS: JSON.stringify([{ name: "e2e", url: jwksUrl, issuer: ISSUER }]),
    AUTH_ALLOWED_USERS: JSON.stringify(["user:default/alice"]),
    AUTH_AUDIT_LOG_FILE: path.join(workDir, "audit.log"),
  };
}

describe("web-terminal in a real browser, with authentication on", { timeout: 4 * STEP_TIMEOUT_MS }, () => {
  const key = es256Key();
  const jwks = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [key.jwk] }));
  });
  /** @type {import("node:child_process").ChildProcess | undefined} */
  let server;
  let serverLog = "";
  /** @type {Promise<number | null> | undefined} */
  let serverExited;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  let baseUrl = "";
  let workDir = "";

  /**
   * A fresh page (its own sessionStorage) at `url`.
   * @param {string} url
   */
  async function openPage(url) {
    assert.ok(browser);
    const context = await browser.newContext({ viewport: { width: 900, height: 560 } });
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  /** @param {import("playwright-core").Page} page */
  const state = (page) => page.evaluate(() => window.webTerminal?.state() ?? "no hook");
  /** @param {import("playwright-core").Page} page */
  const statusText = (page) => page.evaluate(() => document.getElementById("status")?.textContent ?? "");

  before(async () => {
    assert.ok(existsSync(BIN), `no server binary at ${BIN}: run cargo build, or set WEB_TERMINAL_BIN`);
    assert.ok(existsSync(CHROMIUM), `no ${CHROMIUM}: apt-get install chromium (checks/e2e.sh does)`);
    await mkdir(ARTIFACTS, { recursive: true });
    workDir = await mkdtemp(path.join(tmpdir(), "web-terminal-auth-e2e-"));
    const jwksUrl = `http://127.0.0.1:${await listen(jwks)}/jwks`;

    const port = await freePort();
    const child = spawn(BIN, ["start"], { cwd: workDir, env: serverEnv(port, workDir, jwksUrl), stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    /** @param {Buffer} chunk */
    const log = (chunk) => {
      serverLog += chunk.toString();
    };
    child.stdout.on("data", log);
    child.stderr.on("data", log);
    let exitedEarly = false;
    serverExited = new Promise((resolve) => {
      child.on("exit", (code) => {
        exitedEarly = true;
        resolve(code);
      });
    });
    // /ready turns 200 once the JWKS has loaded.
    await waitFor(
      "the server's /ready",
      async () => {
        assert.ok(!exitedEarly, `the server exited during start-up:\n${serverLog}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}/ready`)).status;
        } catch {
          return 0;
        }
      },
      (status) => status === 200,
    );
    baseUrl = `http://127.0.0.1:${port}/`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (server?.exitCode === null && server.signalCode === null) {
      server.kill("SIGKILL");
      await serverExited;
    }
    await new Promise((resolve) => {
      jwks.close(() => {
        resolve(undefined);
      });
    });
    await writeFile(path.join(ARTIFACTS, "auth-server.log"), serverLog).catch(() => undefined);
    if (workDir !== "") {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it("shows sign-in required on a page without a token", { timeout: STEP_TIMEOUT_MS }, async () => {
    /** @type {unknown} */
    const config = await (await fetch(`${baseUrl}api/v1/ui-config`)).json();
    assert.deepEqual(config, { auth: true, embed_origins: [] });
    const page = await openPage(baseUrl);
    await waitFor("the sign-in state", () => state(page), (value) => value === "sign-in-required");
    assert.match(await statusText(page), /sign-in required/i);
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-sign-in-required.png") });
    await page.context().close();
  });

  it("opens a shell with a valid token in the fragment, and removes it from the URL", { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = mintToken(key, "user:default/alice");
    const page = await openPage(`${baseUrl}#token=${token}`);
    await waitFor("a connected terminal", () => state(page), (value) => value === "connected");
    assert.ok(!page.url().includes("token"), `the token is still in the URL: ${page.url()}`);
    assert.equal(await page.evaluate(() => window.location.hash), "");
    const tag = `auth-${randomBytes(4).toString("hex")}`;
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(`echo ${tag}-$((6*7)) "$PWD"`);
    await page.keyboard.press("Enter");
    const screen = await waitFor(
      "the command's output",
      () => page.evaluate(() => window.webTerminal?.screenText() ?? ""),
      (text) => text.includes(`${tag}-42`),
    );
    // The shell runs in alice's own workspace, not the shared one.
    assert.match(screen, new RegExp(`${tag}-42 .*/workspaces/user-default-alice-[0-9a-f]{16}`));
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-connected.png") });
    await page.context().close();
  });

  it("shows access denied to a valid but unlisted user", { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = mintToken(key, "user:default/mallory");
    const page = await openPage(`${baseUrl}#token=${token}`);
    await waitFor("the access-denied state", () => state(page), (value) => value === "access-denied");
    assert.match(await statusText(page), /access denied/i);
    assert.ok(!page.url().includes("token"));
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-access-denied.png") });
    await page.context().close();
  });
});
