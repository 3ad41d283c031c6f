// @ts-check
// Browser measurements for `make bench`: the server binary given, the built UI it embeds, and
// Debian's headless Chromium through playwright-core (the e2e tests' helpers, e2e/support.mjs).
//
//   node frontend/bench/browser.mjs --server target/release/web-terminal [--rounds 10]
//
// Prints one JSON object on stdout, logs on stderr, and exits non-zero with a message when a
// measurement cannot be made. Each measurement runs one unmeasured warm-up round, then --rounds
// rounds, and reports their median and maximum in milliseconds. Times are taken by the page
// itself (performance.now()), not by this process, so no round trip to the browser is counted.
//
// ctrl_c_ms: `yes` floods a 200×50 terminal for a second; from the Ctrl-C keydown event in the
//   page (its timestamp) to the prompt being drawn: the cursor's row is the prompt and the cursor
//   right after it. The condition is checked at the start of every animation frame (xterm.js
//   draws in animation frames); the time taken is that of a task queued from the first frame in
//   which it holds, which runs once that frame's callbacks, xterm.js's drawing among them, and
//   the browser's rendering are done.
//
// reattach_ms: the same terminal, painted in full (every cell written, the 256-colour foreground
//   and background changing every 8 cells), with 300 rows of scrollback; from the start of a page
//   reload (the new document's time origin: the navigation's start) to the restored screen being
//   drawn: the hook's screen text equal to the text before the reload, timed as above. It covers
//   loading the page, the WebSocket's handshake, the snapshot's transfer and xterm.js writing and
//   drawing it. reattach_from_open_ms: the same end, from the new WebSocket's `open` event.
//
// Both are measured twice, in a browser each: as the UI runs by default (the top-level numbers;
// `renderer` says which renderer that was: WebGL where the browser renders it on a GPU, else the
// DOM renderer; `gl` names what draws WebGL, on a machine without a GPU a software rasteriser,
// SwiftShader), then with the other renderer asked for by `?renderer=` (`other_renderer`).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

const STORED_SCREEN = "web-terminal.bench.expected";
const PROMPT = "bench$ ";
const COLS = 200;
const ROWS = 50;
const HISTORY_LINES = 300;

const { values } = parseArgs({ options: { server: { type: "string" }, rounds: { type: "string", default: "10" } } });
if (values.server === undefined || !/^[1-9]\d*$/.test(values.rounds)) {
  process.stderr.write("usage: node frontend/bench/browser.mjs --server <path to web-terminal> [--rounds N]\n");
  process.exit(2);
}
const ROUNDS = Number(values.rounds);
// support.mjs takes the server binary from WEB_TERMINAL_BIN when it is loaded.
process.env.WEB_TERMINAL_BIN = path.resolve(values.server);
const { Server, freePort, launchChromium, prepare, removeWorkDir, sleep, waitFor } = await import("../e2e/support.mjs");

/** @param {string} text */
const log = (text) => process.stderr.write(`${text}\n`);

/**
 * Median and maximum, in milliseconds rounded to 0.1.
 * @param {number[]} samples
 */
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const round = (/** @type {number} */ ms) => Math.round(ms * 10) / 10;
  return { median: round(median), max: round(sorted.at(-1) ?? 0), rounds: sorted.length };
}

/**
 * Rows of `cols` characters, each cell written, the colours (256-colour foreground and
 * background) changing every 8 cells: `lines` of them, CR LF between them.
 * @param {number} cols
 * @param {number} lines
 */
function paint(cols, lines) {
  const out = [];
  for (let line = 0; line < lines; line++) {
    let row = "";
    for (let col = 0; col < cols; col += 8) {
      const colour = (line * 31 + col) % 216;
      const text = `${String(line).padStart(4, "0")}:${String(col).padStart(3, "0")}`.slice(0, Math.min(8, cols - col));
      row += `\x1b[38;5;${16 + colour};48;5;${16 + ((colour + 108) % 216)}m${text}`;
    }
    out.push(`${row}\x1b[0m`);
  }
  return out.join("\r\n");
}

// What the page records (in page-clock milliseconds, performance.now()), kept on its window; -1
// until it happens. The in-page functions reach the browser's globals through globalThis: this
// file is Node code to the linter.
/**
 * Also, for the log: the new document's start, the first message on the socket and the first
 * frame at which the snapshot was written.
 * @typedef {{ documentAt: number; openAt: number; messageAt: number; writtenAt: number; seenAt: number; drawnAt: number; snapshotBytes: number }} ReattachTiming
 */
/** @typedef {{ keyAt: number; drawnAt: number }} CtrlCTiming */

/** In the page, before its scripts (addInitScript): times the restored screen after a reload. */
function timeReattach(/** @type {string} */ key) {
  const w = globalThis.window;
  const expected = w.sessionStorage.getItem(key);
  if (expected === null) {
    return;
  }
  /** @type {ReattachTiming} */
  const timing = { documentAt: w.performance.now(), openAt: -1, messageAt: -1, writtenAt: -1, seenAt: -1, drawnAt: -1, snapshotBytes: 0 };
  Object.assign(w, { benchReattach: timing });
  const NativeWebSocket = w.WebSocket;
  w.WebSocket = class extends NativeWebSocket {
    /**
     * @param {string | URL} url
     * @param {string | string[]} [protocols]
     */
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("open", () => {
        if (timing.openAt < 0) {
          timing.openAt = w.performance.now();
        }
      });
      this.addEventListener("message", () => {
        if (timing.messageAt < 0) {
          timing.messageAt = w.performance.now();
        }
      });
    }
  };
  const frame = () => {
    const hook = w.webTerminal;
    if (timing.writtenAt < 0 && (hook?.snapshotsWritten() ?? 0) > 0) {
      timing.writtenAt = w.performance.now();
    }
    if (hook?.state() === "connected" && hook.screenText() === expected) {
      timing.seenAt = w.performance.now();
      timing.snapshotBytes = hook.outputBytes();
      w.setTimeout(() => {
        timing.drawnAt = w.performance.now();
      }, 0);
      return;
    }
    w.requestAnimationFrame(frame);
  };
  w.requestAnimationFrame(frame);
}

/** In the page: times the prompt's return after the next Ctrl-C keydown. */
function armCtrlC(/** @type {string} */ prompt) {
  const w = globalThis.window;
  /** @type {CtrlCTiming} */
  const timing = { keyAt: -1, drawnAt: -1 };
  Object.assign(w, { benchCtrlC: timing });
  w.addEventListener(
    "keydown",
    (event) => {
      if (event.ctrlKey && event.code === "KeyC" && timing.keyAt < 0) {
        timing.keyAt = event.timeStamp;
      }
    },
    { capture: true },
  );
  const frame = () => {
    const hook = w.webTerminal;
    if (timing.keyAt >= 0 && hook !== undefined) {
      const cursor = hook.cursor();
      if (hook.screenText().split("\n")[cursor.y] === prompt && cursor.x === prompt.length) {
        w.setTimeout(() => {
          timing.drawnAt = w.performance.now();
        }, 0);
        return;
      }
    }
    w.requestAnimationFrame(frame);
  };
  w.requestAnimationFrame(frame);
}

/** @typedef {import("playwright-core").Page} Page */

/**
 * The UI's state, read through its test hook in one task of the page.
 * @param {Page} page
 */
const hook = (page) =>
  page.evaluate(() => {
    const terminal = globalThis.window.webTerminal;
    return {
      state: terminal?.state() ?? "no hook",
      renderer: terminal?.renderer() ?? "none",
      size: terminal?.size() ?? { cols: 0, rows: 0 },
      screen: terminal?.screenText() ?? "",
      cursor: terminal?.cursor() ?? { x: -1, y: -1 },
      bytes: terminal?.outputBytes() ?? 0,
    };
  });
/** @param {Awaited<ReturnType<typeof hook>>} seen */
const atPrompt = (seen) => seen.screen.split("\n")[seen.cursor.y] === PROMPT && seen.cursor.x === PROMPT.length;

/**
 * Both measurements in one browser, on a new session of the server at `url`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {string} workDir
 */
async function measure(browser, url, workDir) {
  const context = await browser.newContext({ viewport: { width: 1700, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(timeReattach, STORED_SCREEN);
  await page.goto(url);
  assert.ok(
    await page.evaluate(() => globalThis.window.webTerminal !== undefined),
    "the server serves no UI with the test hook: build it (cd frontend && npm run build), then the server",
  );
  await waitFor("the first prompt", () => hook(page), (seen) => seen.state === "connected" && atPrompt(seen));
  const renderer = (await hook(page)).renderer;
  // What draws WebGL here: on a machine without a GPU, a software rasteriser (SwiftShader).
  const gl = await page.evaluate(() => {
    const context = globalThis.document.createElement("canvas").getContext("webgl2");
    const info = context?.getExtension("WEBGL_debug_renderer_info");
    return context && info ? String(context.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
  });

  // Size the window so that the terminal gets COLS × ROWS cells.
  for (let attempt = 0; ; attempt++) {
    const { size } = await hook(page);
    if (size.cols === COLS && size.rows === ROWS) {
      break;
    }
    assert.ok(attempt < 5, `could not size the terminal to ${COLS}×${ROWS}: it is ${size.cols}×${size.rows}`);
    const box = await page.locator(".xterm-screen").boundingBox();
    const viewport = page.viewportSize();
    assert.ok(box !== null && viewport !== null);
    const width = Math.ceil(viewport.width + (COLS - size.cols) * (box.width / size.cols));
    const height = Math.ceil(viewport.height + (ROWS - size.rows) * (box.height / size.rows));
    await page.setViewportSize({ width: width + (size.cols > COLS ? 0 : 1), height: height + (size.rows > ROWS ? 0 : 1) });
    await waitFor("the terminal to refit", () => hook(page), (seen) => seen.size.cols !== size.cols || seen.size.rows !== size.rows, 5_000).catch(() => undefined);
  }
  log(`${renderer} renderer${gl === null ? "" : ` (WebGL by ${gl})`}: terminal ${COLS}×${ROWS}, window ${JSON.stringify(page.viewportSize())}`);

  /** @param {string} command */
  const run = async (command) => {
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
  };

  /** @type {number[]} */
  const ctrlC = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const start = await hook(page);
    await run("yes");
    await waitFor(
      "yes to flood the screen",
      () => hook(page),
      (seen) => seen.bytes - start.bytes > 64 * 1024 && seen.screen.split("\n").filter((line) => line === "y").length >= ROWS - 1,
    );
    await sleep(1_000);
    await page.evaluate(armCtrlC, PROMPT);
    await page.keyboard.press("Control+C");
    const timing = await waitFor(
      "the prompt after Ctrl-C",
      () => page.evaluate(() => /** @type {{ benchCtrlC?: CtrlCTiming }} */ (/** @type {unknown} */ (globalThis.window)).benchCtrlC),
      (seen) => seen !== undefined && seen.drawnAt >= 0,
    );
    assert.ok(timing !== undefined && timing.keyAt >= 0, "the page saw no Ctrl-C keydown");
    const ms = timing.drawnAt - timing.keyAt;
    log(`${renderer} ctrl_c round ${round}${round === 0 ? " (warm-up)" : ""}: ${ms.toFixed(1)} ms`);
    if (round > 0) {
      ctrlC.push(ms);
    }
  }

  // The painted screen: HISTORY_LINES rows into the scrollback, then every row but the prompt's.
  const paintFile = path.join(workDir, "paint.txt");
  await writeFile(paintFile, `${paint(COLS, HISTORY_LINES + ROWS - 1)}\r\n`);
  await run(`clear; cat ${paintFile}`);
  await waitFor("the painted screen", () => hook(page), (seen) => atPrompt(seen) && seen.cursor.y === ROWS - 1 && !seen.screen.includes(paintFile));
  await sleep(500);
  const painted = await hook(page);
  assert.ok(
    painted.screen.split("\n").every((line, row) => row === ROWS - 1 || line.length === COLS),
    `not every row is painted in full:\n${painted.screen}`,
  );
  await page.evaluate(
    ([key, screen]) => {
      globalThis.sessionStorage.setItem(key, screen);
    },
    /** @type {const} */ ([STORED_SCREEN, painted.screen]),
  );

  /** @type {number[]} */
  const reattach = [];
  /** @type {number[]} */
  const fromOpen = [];
  let snapshotBytes = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    await page.reload();
    const timing = await waitFor(
      "the restored screen (the same text as before the reload)",
      () => page.evaluate(() => /** @type {{ benchReattach?: ReattachTiming }} */ (/** @type {unknown} */ (globalThis.window)).benchReattach),
      (seen) => seen !== undefined && seen.drawnAt >= 0,
    );
    assert.ok(timing !== undefined && timing.openAt >= 0, "the page saw no WebSocket open");
    snapshotBytes = timing.snapshotBytes;
    const at = (/** @type {number} */ ms) => ms.toFixed(1);
    log(
      `${renderer} reattach round ${round}${round === 0 ? " (warm-up)" : ""}: ${at(timing.drawnAt)} ms from the reload, ` +
        `${at(timing.drawnAt - timing.openAt)} ms from the WebSocket's open (document ${at(timing.documentAt)}, open ${at(timing.openAt)}, ` +
        `first message ${at(timing.messageAt)}, snapshot written by ${at(timing.writtenAt)}, screen equal ${at(timing.seenAt)}, ` +
        `drawn ${at(timing.drawnAt)}; ${timing.snapshotBytes} bytes of snapshot)`,
    );
    if (round > 0) {
      reattach.push(timing.drawnAt);
      fromOpen.push(timing.drawnAt - timing.openAt);
    }
  }
  await context.close();
  return {
    renderer,
    gl,
    ctrl_c_ms: summary(ctrlC),
    reattach_ms: summary(reattach),
    reattach_from_open_ms: summary(fromOpen),
    reattach_snapshot_bytes: snapshotBytes,
  };
}

/** @type {import("../e2e/support.mjs").Server | undefined} */
let server;
/** @type {import("playwright-core").Browser | undefined} */
let browser;
let workDir = "";
try {
  workDir = await prepare("web-terminal-bench-");
  // PS1 from the environment: bash --norc keeps it, so the prompt is known and unlike any output.
  server = new Server(await freePort(), workDir, { LANG: "C.UTF-8", LC_ALL: "C.UTF-8", PS1: PROMPT });
  await server.ready();
  log(`server ${process.env.WEB_TERMINAL_BIN}`);

  // First as the UI runs by default (WebGL where the browser renders it on a GPU, else the DOM
  // renderer), then with the other renderer asked for in the address, in a browser of its own.
  browser = await launchChromium();
  const chromium = browser.version();
  log(`chromium ${chromium}`);
  const main = await measure(browser, server.url, workDir);
  await browser.close();
  const other = main.renderer === "webgl" ? "dom" : "webgl";
  browser = await launchChromium();
  const comparison = await measure(browser, `${server.url}?renderer=${other}`, workDir);
  assert.equal(comparison.renderer, other, `with ?renderer=${other}, the UI draws with that renderer`);

  process.stdout.write(
    `${JSON.stringify({
      chromium,
      terminal: { cols: COLS, rows: ROWS, history_lines: HISTORY_LINES },
      ...main,
      other_renderer: {
        renderer: comparison.renderer,
        gl: comparison.gl,
        ctrl_c_ms: comparison.ctrl_c_ms,
        reattach_ms: comparison.reattach_ms,
        reattach_from_open_ms: comparison.reattach_from_open_ms,
      },
    })}\n`,
  );
} catch (error) {
  process.exitCode = 1;
  log(`browser bench failed: ${error instanceof Error ? error.message : String(error)}`);
  if (server !== undefined) {
    log(`server log:\n${server.log}`);
  }
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop("SIGTERM");
  await removeWorkDir(workDir);
}
