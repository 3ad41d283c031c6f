// @ts-check
// End-to-end test: the real server binary, Debian's Chromium through playwright-core, and a TCP
// proxy of our own between them so the test can drop the browser's connections for real.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal npm run e2e     (checks/e2e.sh does all of it)
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ARTIFACTS,
  STEP_TIMEOUT_MS,
  Server,
  close,
  freePort,
  hookScreenText,
  hookState,
  launchChromium,
  listen,
  marker,
  prepare,
  removeWorkDir,
  saveArtifact,
  sleep,
  statusBarText,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */
/** @typedef {{ cols: number; rows: number }} Size */

/**
 * A TCP proxy that can drop every connection it carries, stall them (keep them open but carry
 * nothing, as a dead NAT mapping does), and refuse new ones.
 */
class DroppingProxy {
  /** @param {number} targetPort */
  constructor(targetPort) {
    /** @type {Set<net.Socket>} */
    this.sockets = new Set();
    this.refusing = false;
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, "127.0.0.1");
      this.pipe(client, upstream);
      this.pipe(upstream, client);
    });
  }

  /**
   * @param {net.Socket} from
   * @param {net.Socket} to
   */
  pipe(from, to) {
    this.sockets.add(from);
    from.pipe(to);
    from.on("error", () => {
      to.destroy();
    });
    from.on("close", () => {
      this.sockets.delete(from);
      to.destroy();
    });
  }

  listen() {
    return listen(this.server);
  }

  /** Stops carrying bytes on every current connection without closing any of them. */
  stallAll() {
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
    }
    return this.sockets.size;
  }

  /** Cuts every connection at once, as a network failure would (the browser sees 1006). */
  dropAll() {
    const count = this.sockets.size;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    return count;
  }

  close() {
    this.dropAll();
    return close(this.server);
  }
}

describe("web-terminal in a real browser", { timeout: 5 * STEP_TIMEOUT_MS }, () => {
  /** @type {Server | undefined} */
  let server;
  /** @type {DroppingProxy | undefined} */
  let proxy;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  /** @type {Page} */
  let page;
  let baseUrl = "";
  let workDir = "";
  /** @type {string[]} */
  const consoleErrors = [];
  /** @type {string[]} */
  const pageErrors = [];
  /** @type {import("playwright-core").Response | null} */
  let firstResponse = null;
  // Shared between steps: the session and a line of its output.
  let firstSession = "";
  let firstOutput = "";

  // The UI's test hook (window.webTerminal, see src/test-hook.ts).
  const state = () => hookState(page);
  const sessionId = () => page.evaluate(() => window.webTerminal?.sessionId() ?? null);
  const size = () => page.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 });
  const renderer = () => page.evaluate(() => window.webTerminal?.renderer() ?? "none");
  const screenLines = async () =>
    (await hookScreenText(page)).split("\n").map((line) => line.trimEnd());
  const statusText = () => statusBarText(page);
  /** @param {string} wanted */
  const waitForState = (wanted) => waitFor(`state ${wanted}`, state, (value) => value === wanted);
  /**
   * Waits for an output line equal to `line` (not the command line that echoed it).
   * @param {string} line
   */
  const waitForLine = (line) => waitFor(`a line "${line}"`, screenLines, (lines) => lines.includes(line));
  /**
   * Types a command into the terminal, as a person would.
   * @param {string} command
   */
  async function run(command) {
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
  }
  /**
   * The PTY's size as the shell sees it.
   * @returns {Promise<Size>}
   */
  async function sttySize() {
    const tag = marker("size");
    await run(`echo "${tag}=$(stty size)"`);
    const lines = await waitFor(`stty size (${tag})`, screenLines, (all) => all.some((line) => line.startsWith(`${tag}=`)));
    const match = new RegExp(`^${tag}=(\\d+) (\\d+)$`).exec(lines.find((line) => line.startsWith(`${tag}=`)) ?? "");
    assert.ok(match, `stty output: ${lines.join("|")}`);
    return { rows: Number(match[1]), cols: Number(match[2]) };
  }

  before(async () => {
    workDir = await prepare("web-terminal-e2e-");
    const port = await freePort();
    server = new Server(port, workDir);
    await server.ready();

    proxy = new DroppingProxy(port);
    // WebGL asked for: the UI would pick the DOM renderer where WebGL runs in software (as it
    // does on machines without a GPU, like CI's), and the WebGL path is under test here too.
    baseUrl = `http://127.0.0.1:${await proxy.listen()}/?renderer=webgl`;

    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1000, height: 640 },
      permissions: ["clipboard-read", "clipboard-write"],
    });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") {
        consoleErrors.push(message.text());
      }
    });
    page.on("pageerror", (error) => {
      pageErrors.push(String(error));
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    // Let it end its shells; kill it if it does not go within 5 s.
    await server?.stop("SIGTERM");
    await saveArtifact("server.log", server?.log ?? "");
    await removeWorkDir(workDir);
  });

  it("loads under the server's CSP, opens a session and runs a command", { timeout: STEP_TIMEOUT_MS }, async () => {
    firstResponse = await page.goto(baseUrl);
    assert.equal(firstResponse?.status(), 200);
    const csp = firstResponse.headers()["content-security-policy"] ?? "";
    assert.match(csp, /script-src 'self'/, "the page must be served with the server's CSP");
    await waitForState("connected");
    firstSession = (await sessionId()) ?? "";
    assert.match(firstSession, /^[0-9a-f]{32}$/);
    assert.equal(await page.title(), "web-terminal");
    console.log(`renderer: ${await renderer()}`);

    firstOutput = marker("hello");
    await run(`echo ${firstOutput}`);
    await waitForLine(firstOutput);

    // The page's icon is set once the first output is drawn (src/page-icon.ts), and is served.
    const icon = await waitFor(
      "the page's icon",
      () => page.evaluate(() => globalThis.document.querySelector('link[rel="icon"]')?.getAttribute("href") ?? null),
      (href) => href !== "data:,",
    );
    const served = await page.evaluate(async (href) => {
      const response = await fetch(href ?? "");
      return { status: response.status, type: response.headers.get("content-type") };
    }, icon);
    assert.deepEqual(served, { status: 200, type: "image/svg+xml" });
  });

  it("follows the window size", { timeout: STEP_TIMEOUT_MS }, async () => {
    const initial = await size();
    assert.deepEqual(await sttySize(), initial, "the PTY starts at the terminal's size");

    await page.setViewportSize({ width: 700, height: 420 });
    const smaller = await waitFor("the terminal to refit", size, (now) => now.cols !== initial.cols || now.rows !== initial.rows);
    assert.ok(smaller.cols < initial.cols && smaller.rows < initial.rows, `${JSON.stringify(initial)} -> ${JSON.stringify(smaller)}`);
    assert.deepEqual(await sttySize(), smaller, "the PTY follows the terminal's new size");
  });

  it("sets the page title from the shell's OSC title", { timeout: STEP_TIMEOUT_MS }, async () => {
    const title = marker("title");
    await run(`printf '\\033]0;%s\\007' ${title}`);
    await waitFor("the page title", () => page.title(), (value) => value === title);
  });

  it("copies the selection with Ctrl+Shift+C", { timeout: STEP_TIMEOUT_MS }, async () => {
    const lines = await screenLines();
    const row = lines.indexOf(firstOutput);
    assert.ok(row >= 0, lines.join("\n"));
    const box = await page.locator(".xterm-screen").boundingBox();
    assert.ok(box);
    const rows = (await size()).rows;
    // Three clicks select a whole line in xterm.js.
    await page.mouse.click(box.x + 20, box.y + (row + 0.5) * (box.height / rows), { clickCount: 3 });
    await page.keyboard.press("Control+Shift+C");
    const copied = await waitFor(
      "the clipboard",
      () => page.evaluate(() => navigator.clipboard.readText()),
      (text) => text.trim() === firstOutput,
    );
    assert.equal(copied.trim(), firstOutput);
  });

  it("sends a paste larger than the server's 1 MiB message limit in chunks", { timeout: STEP_TIMEOUT_MS }, async () => {
    // 625 lines of 2000 bytes: each line fits the tty's canonical-mode line buffer.
    const line = "x".repeat(1999);
    const paste = `${line}\n`.repeat(625);
    // Paste only once wc reads: a paste that reaches bash while it is still switching the
    // terminal out of readline's raw mode gets mangled by the tty, not by us.
    const ready = marker("ready");
    await run(`stty -echo; echo ${ready}; wc -c; stty echo`);
    await waitForLine(ready);
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      document.querySelector(".xterm-helper-textarea")?.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    }, paste);
    await page.keyboard.press("Control+D");
    await waitForLine(String(paste.length));
    assert.equal(await state(), "connected", "the server did not close the connection");
    assert.equal(await sessionId(), firstSession);
  });

  it("reconnects to the same session after the connection drops, without duplicating output", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(proxy);
    proxy.refusing = true;
    assert.ok(proxy.dropAll() > 0, "the browser's connection went through the proxy");
    await waitForState("reconnecting");
    // Stay down long enough to see the backoff count attempts.
    await waitFor("a second attempt", statusText, (text) => /reconnecting \(attempt [2-9]/.test(text));
    // Keys typed now go nowhere: the UI drops them and says so, rather than sending them later.
    await page.keyboard.type("lostkeys");
    await waitFor("the lost keys reported", statusText, (text) => text.includes("Keys typed while disconnected were not sent."));
    await page.screenshot({ path: path.join(ARTIFACTS, "reconnecting.png") });

    proxy.refusing = false;
    await waitForState("connected");
    assert.equal(await sessionId(), firstSession, "reattached to the same session");
    await waitForLine(firstOutput); // replayed

    // New output comes after the whole replay, so once it shows, the replay is all written.
    const after = marker("after");
    await run(`echo ${after}`);
    await waitForLine(after);
    const lines = await screenLines();
    // The screen was reset before the snapshot: the earlier output shows exactly once.
    assert.equal(lines.filter((line) => line === firstOutput).length, 1, lines.join("\n"));
    assert.ok(!lines.some((line) => line.includes("lostkeys")), `keys typed while disconnected reached the shell:\n${lines.join("\n")}`);
    assert.ok(!(await statusText()).includes("not sent"), "the lost-keys line stays after reconnecting");
    await sleep(2_000); // let the "Connected" badge fade
    await page.screenshot({ path: path.join(ARTIFACTS, "terminal.png") });
  });

  it("notices a connection that went silent and reattaches (heartbeat)", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(proxy);
    assert.ok(proxy.stallAll() > 0, "the browser's connection went through the proxy");
    // Nothing closes the stalled connection; only the UI's ping can tell that it is dead: after
    // 15 s without a frame it pings, and 10 s without an answer ends it.
    await waitFor("the silent connection noticed", state, (value) => value !== "connected", 40_000);
    await waitForState("connected");
    assert.equal(await sessionId(), firstSession, "reattached to the same session");
    // Typed at once, while the snapshot may still be being written: the keys go to the shell.
    const after = marker("after-stall");
    await run(`echo ${after}`);
    await waitForLine(after);
  });

  it("opens a new session and says so when the stored one is gone (4404)", { timeout: STEP_TIMEOUT_MS }, async () => {
    const gone = "0".repeat(32);
    await page.evaluate((id) => {
      sessionStorage.setItem("web-terminal.session", id);
    }, gone);
    await page.reload();
    await waitForState("connected");
    const session = (await sessionId()) ?? "";
    assert.match(session, /^[0-9a-f]{32}$/);
    assert.notEqual(session, gone);
    assert.notEqual(session, firstSession);
    assert.match(await statusText(), /previous session had ended/);
  });

  it("takes a #token= out of the address bar at once and keeps it for the tab", { timeout: STEP_TIMEOUT_MS }, async () => {
    const storedToken = () => page.evaluate(() => sessionStorage.getItem("web-terminal.token"));
    // A fresh load of a URL with a token.
    const token = marker("e2e-token");
    await page.goto("about:blank");
    await page.goto(`${baseUrl}#token=${token}`);
    await waitForState("connected"); // authentication is off here: the server ignores the token
    assert.equal(page.url(), baseUrl);
    assert.equal(await storedToken(), token);
    // A new token typed into the address bar of the open tab changes only the fragment.
    const newer = marker("e2e-token");
    await page.goto(`${baseUrl}#token=${newer}`);
    await waitFor("the fragment to be cleared", () => Promise.resolve(page.url()), (url) => url === baseUrl);
    assert.equal(await storedToken(), newer);
  });

  it("shows the exit code and starts a new session on Enter", { timeout: STEP_TIMEOUT_MS }, async () => {
    const before = await sessionId();
    await run("exit 3");
    await waitForState("exited");
    assert.match(await statusText(), /exited with code 3/);
    await page.screenshot({ path: path.join(ARTIFACTS, "exited.png") });
    await page.keyboard.press("Enter");
    await waitForState("connected");
    assert.notEqual(await sessionId(), before);
    const check = marker("again");
    await run(`echo ${check}`);
    await waitForLine(check);
  });

  it("falls back to the DOM renderer when the WebGL context is lost", { timeout: STEP_TIMEOUT_MS }, async (t) => {
    if ((await renderer()) !== "webgl") {
      t.skip("this browser gave the terminal no WebGL context");
      return;
    }
    const lost = await page.evaluate(() => {
      // The renderer's canvas is the one with a WebGL2 context (the link layer's is 2D, and
      // getContext("webgl2") returns null for it).
      for (const canvas of document.querySelectorAll(".xterm-screen canvas")) {
        const gl = canvas instanceof HTMLCanvasElement ? canvas.getContext("webgl2") : null;
        const extension = gl?.getExtension("WEBGL_lose_context");
        if (extension) {
          extension.loseContext();
          return true;
        }
      }
      return false;
    });
    assert.ok(lost, "found the WebGL canvas");
    // The addon waits a few seconds for the context to come back before giving up on it.
    await waitFor("the DOM renderer", renderer, (value) => value === "dom");
    const check = marker("dom");
    await run(`echo ${check}`);
    await waitForLine(check);
    // The DOM renderer, unlike WebGL, leaves the text in the page (on its next animation frame,
    // which can come after the buffer already holds the line).
    await waitFor(
      "the DOM renderer to draw the output",
      () => page.evaluate(() => document.querySelector(".xterm-rows")?.textContent ?? ""),
      (rowsText) => rowsText.includes(check),
      5_000,
    );
  });

  it("says the server is restarting when it shuts down (1001)", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(server);
    server.child.kill("SIGTERM");
    await waitFor("the restart notice", statusText, (text) => text.startsWith("Server restarting, reconnecting"));
    await page.screenshot({ path: path.join(ARTIFACTS, "restarting.png") });
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    /** @type {Promise<string>} */
    const deadline = new Promise((resolve) => {
      timer = setTimeout(() => {
        resolve("still running after 30 s");
      }, 30_000);
    });
    const code = await Promise.race([server.exited, deadline]);
    clearTimeout(timer);
    assert.equal(code, 0, "the server exits cleanly on SIGTERM");
  });

  it("ran without CSP violations or script errors", () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text)),
      [],
      consoleErrors.join("\n"),
    );
  });
});
