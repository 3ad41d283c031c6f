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
//   drawing it. Where the server marks the bytes that draw the screen alone, the UI draws those
//   first and writes the whole snapshot after (src/screen-first.ts): the end is then that first
//   drawing. reattach_from_open_ms: the same end, from the new WebSocket's `open` event.
//   reattach_whole_ms: from the reload's start to the first frame after the whole snapshot,
//   history included, is written; each round checks that the history and the screen are then as
//   they were before the reload.
//
// page_load_ms: a new tab (a fresh browser context: no cache, no session) loads the page; from the
//   navigation's start (the document's time origin) to the first prompt drawn: the hook connected,
//   the cursor's row the prompt and the cursor right after it, timed as Ctrl-C's end below. Each
//   round also logs where the time went (response, DOM ready, script run, WebSocket open, first
//   output), and the shell is ended (`exit`) before the tab closes.
//
// typing_ms: at the prompt, one letter at a time; from the keydown event's timestamp to the first
//   frame in which the echoed letter is drawn (the cursor one cell further on the prompt's row),
//   timed as Ctrl-C's end below; the median and the 95th percentile (nearest rank) of 3 × --rounds
//   letters. The echo comes from the shell, so each sample includes the round trip to the server.
//
// bundle: the UI as built in frontend/dist (what the server embeds): each JavaScript and CSS file
//   with its size gzipped (level 9), the lazily loaded chunks included, and the total.
//
// All but the bundle are measured twice, in a browser each: as the UI runs by default (the top-level numbers;
// `renderer` says which renderer that was: WebGL where the browser renders it on a GPU, else the
// DOM renderer; `gl` names what draws WebGL, on a machine without a GPU a software rasteriser,
// SwiftShader), then with the other renderer asked for by `?renderer=` (`other_renderer`).
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

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
 * Median, 95th percentile (nearest rank) and maximum, in milliseconds rounded to 0.1.
 * @param {number[]} samples
 */
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const p95 = sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  const round = (/** @type {number} */ ms) => Math.round(ms * 10) / 10;
  return { median: round(median), p95: round(p95), max: round(sorted.at(-1) ?? 0), rounds: sorted.length };
}

/** The built UI's JavaScript and CSS, each gzipped at level 9: what a browser downloads, lazily loaded chunks included. */
async function bundle() {
  const assets = fileURLToPath(new URL("../dist/assets/", import.meta.url));
  const names = (await readdir(assets)).filter((name) => name.endsWith(".js") || name.endsWith(".css")).sort();
  assert.ok(names.length > 0, `no built UI in ${assets}: cd frontend && npm run build`);
  const files = [];
  for (const name of names) {
    const bytes = await readFile(path.join(assets, name));
    files.push({ name, bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length });
  }
  const total = files.reduce((sum, file) => sum + file.gzip_bytes, 0);
  return { files, gzip_bytes: total, gzip_kib: Math.round((total / 1024) * 10) / 10 };
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
 * Also, for the log: the new document's start, the first message on the socket; and the first
 * frame at which the whole snapshot was written (history included).
 * @typedef {{ documentAt: number; openAt: number; messageAt: number; writtenAt: number; seenAt: number; drawnAt: number; snapshotBytes: number }} ReattachTiming
 */
/** @typedef {{ keyAt: number; drawnAt: number }} CtrlCTiming */
/**
 * The navigation's phases, then the socket's open and first message, the first frame with the
 * prompt and its drawing; -1 until each happens.
 * @typedef {{ responseEnd: number; domReady: number; hookAt: number; openAt: number; messageAt: number; seenAt: number; drawnAt: number }} LoadTiming
 */
/** @typedef {{ keyAt: number; drawnAt: number }} KeyTiming */

/** In a new page, before its scripts (addInitScript): times the first prompt drawn after the page starts loading. */
function timeFirstPrompt(/** @type {string} */ prompt) {
  const w = globalThis.window;
  /** @type {LoadTiming} */
  const timing = { responseEnd: -1, domReady: -1, hookAt: -1, openAt: -1, messageAt: -1, seenAt: -1, drawnAt: -1 };
  Object.assign(w, { benchLoad: timing });
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
    if (hook !== undefined && timing.hookAt < 0) {
      timing.hookAt = w.performance.now();
    }
    if (hook?.state() === "connected") {
      const cursor = hook.cursor();
      if (hook.screenText().split("\n")[cursor.y] === prompt && cursor.x === prompt.length) {
        timing.seenAt = w.performance.now();
        const navigation = /** @type {PerformanceNavigationTiming | undefined} */ (w.performance.getEntriesByType("navigation")[0]);
        timing.responseEnd = navigation?.responseEnd ?? -1;
        timing.domReady = navigation?.domContentLoadedEventEnd ?? -1;
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

/** In the page: times the echo of the next key pressed, which must land at column `x` of the cursor's row, reading `line`. */
function armKey(/** @type {{ line: string; x: number }} */ expected) {
  const w = globalThis.window;
  /** @type {KeyTiming} */
  const timing = { keyAt: -1, drawnAt: -1 };
  Object.assign(w, { benchKey: timing });
  const listener = (/** @type {KeyboardEvent} */ event) => {
    if (timing.keyAt < 0) {
      timing.keyAt = event.timeStamp;
    }
  };
  w.addEventListener("keydown", listener, { capture: true, once: true });
  const frame = () => {
    const hook = w.webTerminal;
    if (timing.keyAt >= 0 && hook !== undefined) {
      const cursor = hook.cursor();
      if (cursor.x === expected.x && hook.screenText().split("\n")[cursor.y] === expected.line) {
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
      timing.snapshotBytes = hook?.outputBytes() ?? 0;
    }
    if (timing.seenAt < 0 && hook?.state() === "connected" && hook.screenText() === expected) {
      timing.seenAt = w.performance.now();
      w.setTimeout(() => {
        timing.drawnAt = w.performance.now();
      }, 0);
    }
    // On until the whole snapshot, history included, is written too.
    if (timing.seenAt < 0 || timing.writtenAt < 0) {
      w.requestAnimationFrame(frame);
    }
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
 * Page loads to the first prompt, each in a fresh context of `browser` (a new session).
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 */
async function measurePageLoad(browser, url) {
  /** @type {number[]} */
  const loads = [];
  let renderer = "";
  for (let round = 0; round <= ROUNDS; round++) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    const page = await context.newPage();
    await page.addInitScript(timeFirstPrompt, PROMPT);
    await page.goto(url);
    const timing = await waitFor(
      "the first prompt after a page load",
      () => page.evaluate(() => /** @type {{ benchLoad?: LoadTiming }} */ (/** @type {unknown} */ (globalThis.window)).benchLoad),
      (seen) => seen !== undefined && seen.drawnAt >= 0,
    );
    assert.ok(timing !== undefined);
    renderer = (await hook(page)).renderer;
    const at = (/** @type {number} */ ms) => ms.toFixed(1);
    log(
      `${renderer} page load round ${round}${round === 0 ? " (warm-up)" : ""}: ${at(timing.drawnAt)} ms to the prompt drawn ` +
        `(response ${at(timing.responseEnd)}, DOM ready ${at(timing.domReady)}, UI running ${at(timing.hookAt)}, WebSocket open ${at(timing.openAt)}, ` +
        `first message ${at(timing.messageAt)}, prompt seen ${at(timing.seenAt)})`,
    );
    if (round > 0) {
      loads.push(timing.drawnAt);
    }
    // End the shell: the sessions of the rounds do not pile up for their grace period.
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type("exit");
    await page.keyboard.press("Enter");
    await waitFor("the shell to exit", () => hook(page), (seen) => seen.state === "exited", 10_000).catch(() => undefined);
    await context.close();
  }
  return { renderer, page_load_ms: summary(loads) };
}

/**
 * Typing latency at the prompt of `page`: 3 × ROUNDS letters after a warm-up of five.
 * @param {Page} page
 * @param {string} renderer
 */
async function measureTyping(page, renderer) {
  const WARM_UP = 5;
  const letters = "abcdefghijklmnopqrstuvwxyz";
  /** @type {number[]} */
  const samples = [];
  await page.focus(".xterm-helper-textarea");
  let typed = "";
  for (let key = 0; key < WARM_UP + 3 * ROUNDS; key++) {
    const letter = letters[key % letters.length] ?? "a";
    typed += letter;
    await page.evaluate(armKey, { line: PROMPT + typed, x: PROMPT.length + typed.length });
    await page.keyboard.press(letter);
    const timing = await waitFor(
      `the echo of "${letter}"`,
      () => page.evaluate(() => /** @type {{ benchKey?: KeyTiming }} */ (/** @type {unknown} */ (globalThis.window)).benchKey),
      (seen) => seen !== undefined && seen.drawnAt >= 0,
    );
    assert.ok(timing !== undefined && timing.keyAt >= 0, "the page saw no keydown");
    if (key >= WARM_UP) {
      samples.push(timing.drawnAt - timing.keyAt);
    }
  }
  // Clear the line (Ctrl-U) for what comes next.
  await page.keyboard.press("Control+U");
  await waitFor("the empty prompt", () => hook(page), atPrompt);
  const result = summary(samples);
  log(`${renderer} typing: median ${result.median} ms, p95 ${result.p95} ms, max ${result.max} ms over ${result.rounds} keys`);
  return result;
}

/**
 * The measurements in one browser, on new sessions of the server at `url`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {string} workDir
 */
async function measure(browser, url, workDir) {
  const load = await measurePageLoad(browser, url);
  const context = await browser.newContext({ viewport: { width: 1700, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(timeReattach, STORED_SCREEN);
  await page.goto(url);
  // boot.ts loads the UI (and its test hook) once the WebSocket is open, after the page has loaded.
  await waitFor(
    "the UI's test hook (the server must serve a UI built with it: cd frontend && npm run build, then build the server)",
    () => page.evaluate(() => globalThis.window.webTerminal !== undefined),
    (present) => present,
    10_000,
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
  assert.equal(load.renderer, renderer, "the page loads drew with the same renderer");
  const typing = await measureTyping(page, renderer);

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

  const paintedBuffer = await page.evaluate(() => globalThis.window.webTerminal?.bufferText() ?? "");
  /** @type {number[]} */
  const reattach = [];
  /** @type {number[]} */
  const fromOpen = [];
  /** @type {number[]} */
  const whole = [];
  let snapshotBytes = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    await page.reload();
    const timing = await waitFor(
      "the restored screen (the same text as before the reload)",
      () => page.evaluate(() => /** @type {{ benchReattach?: ReattachTiming }} */ (/** @type {unknown} */ (globalThis.window)).benchReattach),
      (seen) => seen !== undefined && seen.drawnAt >= 0 && seen.writtenAt >= 0,
    );
    assert.ok(timing !== undefined && timing.openAt >= 0, "the page saw no WebSocket open");
    assert.equal(
      await page.evaluate(() => globalThis.window.webTerminal?.bufferText() ?? ""),
      paintedBuffer,
      "after the reload, the history and the screen are as they were",
    );
    snapshotBytes = timing.snapshotBytes;
    const at = (/** @type {number} */ ms) => ms.toFixed(1);
    log(
      `${renderer} reattach round ${round}${round === 0 ? " (warm-up)" : ""}: ${at(timing.drawnAt)} ms from the reload, ` +
        `${at(timing.drawnAt - timing.openAt)} ms from the WebSocket's open (document ${at(timing.documentAt)}, open ${at(timing.openAt)}, ` +
        `first message ${at(timing.messageAt)}, screen equal ${at(timing.seenAt)}, drawn ${at(timing.drawnAt)}, ` +
        `whole snapshot (history too) written by ${at(timing.writtenAt)}; ${timing.snapshotBytes} bytes of snapshot)`,
    );
    if (round > 0) {
      reattach.push(timing.drawnAt);
      fromOpen.push(timing.drawnAt - timing.openAt);
      whole.push(timing.writtenAt);
    }
  }
  await context.close();
  return {
    renderer,
    gl,
    page_load_ms: load.page_load_ms,
    typing_ms: typing,
    ctrl_c_ms: summary(ctrlC),
    reattach_ms: summary(reattach),
    reattach_from_open_ms: summary(fromOpen),
    reattach_whole_ms: summary(whole),
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
  // Every page load opens a session (ended at once, but each counts until its shell is reaped).
  server = new Server(await freePort(), workDir, { LANG: "C.UTF-8", LC_ALL: "C.UTF-8", PS1: PROMPT, WEB_TERMINAL_MAX_SESSIONS_PER_USER: "64" });
  await server.ready();
  log(`server ${process.env.WEB_TERMINAL_BIN}`);

  // First as the UI runs by default (WebGL where the browser renders it on a GPU, else the DOM
  // renderer), then with the other renderer asked for in the address, in a browser of its own.
  const built = await bundle();
  log(`bundle: ${built.files.map((file) => `${file.name} ${file.gzip_bytes} B`).join(", ")}; ${built.gzip_kib} KiB gzipped in all`);
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
      bundle: built,
      ...main,
      other_renderer: {
        renderer: comparison.renderer,
        gl: comparison.gl,
        page_load_ms: comparison.page_load_ms,
        typing_ms: comparison.typing_ms,
        ctrl_c_ms: comparison.ctrl_c_ms,
        reattach_ms: comparison.reattach_ms,
        reattach_from_open_ms: comparison.reattach_from_open_ms,
        reattach_whole_ms: comparison.reattach_whole_ms,
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
