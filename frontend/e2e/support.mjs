// @ts-check
// What the end-to-end tests share: where things are, polling, ports, the server binary and
// Debian's Chromium. Not a test itself (node --test runs only e2e/*.e2e.mjs).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const FRONTEND = fileURLToPath(new URL("..", import.meta.url));
export const BIN = path.resolve(FRONTEND, process.env.WEB_TERMINAL_BIN ?? "../target/debug/web-terminal");
// Debian's Chromium, or the build named by CHROMIUM (checks/e2e.sh).
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(FRONTEND, "e2e", "artifacts");
export const STEP_TIMEOUT_MS = 60_000;

/** @typedef {import("playwright-core").Page} Page */

/**
 * A string unlikely to be on the screen already: `prefix-` and eight hex digits.
 * @param {string} prefix
 */
export const marker = (prefix) => `${prefix}-${randomBytes(4).toString("hex")}`;

/** @param {number} ms */
export const sleep = (ms) =>
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
export async function waitFor(what, probe, accept, timeoutMs = 20_000) {
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

/**
 * Listens on an ephemeral port of 127.0.0.1; returns the port.
 * @param {net.Server} server an http.Server is one too
 */
export async function listen(server) {
  await new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve(undefined);
    });
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

/** @param {net.Server} server an http.Server is one too */
export function close(server) {
  return new Promise((resolve) => {
    server.close(() => {
      resolve(undefined);
    });
  });
}

/** A port of 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

/**
 * What every test checks first: the server binary and Chromium are there. Creates the artifacts
 * directory and returns a new temporary directory (the server's HOME and working directory).
 * @param {string} prefix of the temporary directory's name
 */
export async function prepare(prefix) {
  assert.ok(existsSync(BIN), `no server binary at ${BIN}: run cargo build, or set WEB_TERMINAL_BIN`);
  assert.ok(existsSync(CHROMIUM), `no ${CHROMIUM}: apt-get install chromium (checks/e2e.sh does)`);
  await mkdir(ARTIFACTS, { recursive: true });
  return mkdtemp(path.join(tmpdir(), prefix));
}

/**
 * Writes `text` to e2e/artifacts/`name`, ignoring failure.
 * @param {string} name
 * @param {string} text
 */
export async function saveArtifact(name, text) {
  await writeFile(path.join(ARTIFACTS, name), text).catch(() => undefined);
}

/**
 * Removes the temporary directory from prepare(), if there is one.
 * @param {string} workDir "" when prepare() did not get that far
 */
export async function removeWorkDir(workDir) {
  if (workDir !== "") {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * The server's environment: ours without WEB_TERMINAL_* and AUTH_* (the server refuses unknown
 * WEB_TERMINAL_ keys, and WEB_TERMINAL_BIN is one), then the test's settings, then `extra`.
 * @param {number} port
 * @param {string} workDir
 * @param {Record<string, string>} extra
 */
export function serverEnv(port, workDir, extra = {}) {
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
    // No rc files: a predictable prompt, and nothing that sets the window title behind our back.
    WEB_TERMINAL_SHELL_ARGS: "--norc,--noprofile",
    ...extra,
  };
}

/** The server binary (`web-terminal start`) on 127.0.0.1:`port`, its output collected in `log`. */
export class Server {
  /**
   * Starts it; ready() waits until it serves.
   * @param {number} port
   * @param {string} workDir its HOME and working directory
   * @param {Record<string, string>} extraEnv on top of serverEnv()
   * @param {string} bin the binary: BIN (from WEB_TERMINAL_BIN when this file was loaded) unless
   *   another is given, as a comparison of two builds in one run needs
   */
  constructor(port, workDir, extraEnv = {}, bin = BIN) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}/`;
    this.log = "";
    this.hasExited = false;
    const child = spawn(bin, ["start"], { cwd: workDir, env: serverEnv(port, workDir, extraEnv), stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    // Should this process die without running after(), do not leave the server behind.
    process.on("exit", () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    });
    /** @param {Buffer} chunk */
    const log = (chunk) => {
      this.log += chunk.toString();
    };
    child.stdout.on("data", log);
    child.stderr.on("data", log);
    /** @type {Promise<number | null>} its exit code */
    this.exited = new Promise((resolve) => {
      child.on("exit", (code) => {
        this.hasExited = true;
        resolve(code);
      });
    });
  }

  /** Waits for /ready to answer 200; fails, with the server's output, if it exits first. */
  async ready() {
    await waitFor(
      "the server's /ready",
      async () => {
        assert.ok(!this.hasExited, `the server exited during start-up:\n${this.log}`);
        try {
          return (await fetch(`${this.url}ready`)).status;
        } catch {
          return 0;
        }
      },
      (status) => status === 200,
    );
  }

  /**
   * Ends the server if it still runs: SIGKILL at once, or SIGTERM (it ends its shells) with a
   * SIGKILL should it not be gone within 5 s.
   * @param {"SIGTERM" | "SIGKILL"} signal
   */
  async stop(signal) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const running = this.child;
      running.kill(signal);
      const timer = signal === "SIGKILL" ? undefined : setTimeout(() => running.kill("SIGKILL"), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/**
 * Debian's Chromium, headless.
 * @param {string[]} extraArgs more command-line switches (the browser bench turns WebGL off)
 */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
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
      ...extraArgs,
    ],
  });
}

// The UI's test hook (window.webTerminal, see src/test-hook.ts) and its status bar.

/** @param {Page} page */
export const hookState = (page) => page.evaluate(() => window.webTerminal?.state() ?? "no hook");
/** @param {Page} page */
export const hookScreenText = (page) => page.evaluate(() => window.webTerminal?.screenText() ?? "");
/** @param {Page} page */
export const statusBarText = (page) => page.evaluate(() => document.getElementById("status")?.textContent ?? "");

/**
 * A page in a fresh context of `browser` (its own storage, so its own session) at `url`, once the
 * terminal is connected. Console errors and page errors are added to `problems`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {string[]} problems
 * @param {import("playwright-core").BrowserContextOptions} options
 */
export async function openConnectedPage(browser, url, problems, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 }, colorScheme: "dark", ...options });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => {
    problems.push(String(error));
  });
  await page.goto(url);
  await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
  return page;
}

/**
 * @typedef {object} BrowserSuite
 * @property {Server | undefined} server
 * @property {import("playwright-core").Browser | undefined} browser
 * @property {string} baseUrl the server's address, set once it serves
 * @property {string} workDir the server's HOME and working directory
 * @property {string[]} problems console and page errors of the pages opened with openPage
 * @property {(url: string, options?: import("playwright-core").BrowserContextOptions) => Promise<Page>} openPage
 *   a page in a fresh context (its own storage, so its own session) at `url`, connected
 */

/**
 * The real server in a fresh work folder and Chromium, for the tests of one `describe` block:
 * started before them, stopped after them, the server's log kept as
 * e2e/artifacts/<name>-server.log. Call it inside `describe`; the block may add hooks of its own.
 * @param {string} name
 * @param {{ env?: (workDir: string) => Record<string, string> | Promise<Record<string, string>>; stop?: "SIGTERM" | "SIGKILL" }} options
 *   env: the server's variables on top of serverEnv(); stop: how the server is stopped (SIGTERM
 *   lets it end its shells)
 * @returns {BrowserSuite}
 */
export function browserSuite(name, options = {}) {
  /** @type {BrowserSuite} */
  const suite = {
    server: undefined,
    browser: undefined,
    baseUrl: "",
    workDir: "",
    problems: [],
    openPage: (url, contextOptions = {}) => {
      assert.ok(suite.browser, "the browser is started");
      return openConnectedPage(suite.browser, url, suite.problems, contextOptions);
    },
  };
  before(async () => {
    suite.workDir = await prepare(`web-terminal-${name}-e2e-`);
    const env = (await options.env?.(suite.workDir)) ?? {};
    suite.server = new Server(await freePort(), suite.workDir, env);
    await suite.server.ready();
    suite.baseUrl = suite.server.url;
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close().catch(() => undefined);
    await suite.server?.stop(options.stop ?? "SIGTERM");
    await saveArtifact(`${name}-server.log`, suite.server?.log ?? "");
    await removeWorkDir(suite.workDir);
  });
  return suite;
}

/** The issuer of the tokens the authentication tests mint. */
export const ISSUER = "https://issuer.e2e.test";

/** An ES256 signing key and its public JWK. */
export function es256Key() {
  const kid = marker("e2e");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

/**
 * A JWT for `sub`, valid for ten minutes, signed with `key`.
 * @param {ReturnType<typeof es256Key>} key
 * @param {string} sub
 */
export function mintToken(key, sub) {
  const now = Math.floor(Date.now() / 1000);
  /** @param {object} part */
  const encode = (part) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode({ alg: "ES256", typ: "JWT", kid: key.kid })}.${encode({ iss: ISSUER, sub, iat: now, exp: now + 600 })}`;
  // JWS wants the raw r||s signature, not DER.
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

/**
 * An HTTP server (not listening yet) that serves `key` as a JWKS.
 * @param {ReturnType<typeof es256Key>} key
 */
export function jwksServer(key) {
  return http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [key.jwk] }));
  });
}
