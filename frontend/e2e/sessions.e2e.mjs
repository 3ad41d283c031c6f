// @ts-check
// End-to-end test of sessions that outlive the page: full-screen programs (vim, htop), floods,
// wide characters and server restarts, in Debian's Chromium through playwright-core against the
// real server binary. A reload reattaches to the session stored in the tab, and the server answers
// with a snapshot of its terminal model; these tests hold the restored screen to the one the page
// showed before, and check that the programs behind it go on working.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/sessions.e2e.mjs
//
// One server and one page serve every test; each test starts on a new session (freshSession()), so
// a failure leaves nothing behind for the next. vim and htop come from Debian (checks/e2e.sh).
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ARTIFACTS,
  STEP_TIMEOUT_MS,
  Server,
  freePort,
  launchChromium,
  marker,
  prepare,
  removeWorkDir,
  saveArtifact,
  sleep,
  statusBarText,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */

const MIB = 1024 * 1024;
// bash --norc's prompt: "bash-5.2$ ", or "bash-5.2# " for root. (The hook's rows keep written
// blanks, and drop only cells nothing was written to.)
const PROMPT = /^bash-\d+\.\d+[$#] $/;
// Vim without the user's vimrc, plugins or viminfo, and not vi-compatible (so it shows its mode).
const VIM = "vim --clean";
// Server and shell: a UTF-8 locale whatever the machine's, for readline's wide characters.
const ENV = { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

/**
 * What the page shows, read in one go through the test hook (src/test-hook.ts): one task of the
 * page, so no output is written between the reads.
 * @typedef {{
 *   state: string;
 *   session: string | null;
 *   screen: string;
 *   cursor: { x: number; y: number };
 *   cursorLine: string;
 *   buffer: "normal" | "alternate";
 *   bytes: number;
 *   snapshots: number;
 *   size: { cols: number; rows: number };
 * }} View
 */
/** @type {View} what view() returns while the page is between documents */
const NO_VIEW = {
  state: "no page",
  session: null,
  screen: "",
  cursor: { x: -1, y: -1 },
  cursorLine: "",
  buffer: "normal",
  bytes: 0,
  snapshots: 0,
  size: { cols: 0, rows: 0 },
};

/**
 * The shell's prompt is on the cursor's line, with the cursor right after it.
 * @param {View} view
 */
const atPrompt = (view) => view.state === "connected" && view.buffer === "normal" && PROMPT.test(view.cursorLine) && view.cursor.x === view.cursorLine.length;

/**
 * What a reattach must restore exactly.
 * @param {View} view
 */
const restorable = (view) => ({ screen: view.screen, cursor: view.cursor, buffer: view.buffer, size: view.size });

/**
 * Lines of the buffer without the blank rows below the last written one.
 * @param {string} text
 */
function writtenLines(text) {
  const lines = text.split("\n");
  while (lines.length > 0 && lines.at(-1) === "") {
    lines.pop();
  }
  return lines;
}

/**
 * The processes whose parent is `parent`, from /proc.
 * @param {number} parent
 * @returns {Promise<{ pid: number; comm: string }[]>}
 */
async function childrenOf(parent) {
  const found = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold blanks and parentheses, so split after the last ")".
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const end = stat.lastIndexOf(")");
    if (end > 0 && Number(stat.slice(end + 2).split(" ")[1]) === parent) {
      found.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, end) });
    }
  }
  return found;
}

describe("sessions in a real browser: full-screen programs, reloads, floods and restarts", { timeout: 12 * STEP_TIMEOUT_MS }, () => {
  /** @type {Server | undefined} */
  let server;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  /** @type {Page} */
  let page;
  let port = 0;
  let baseUrl = "";
  let workDir = "";
  /** @type {string[]} */
  const pageErrors = [];

  /** @returns {Promise<View>} */
  async function view() {
    try {
      const seen = await page.evaluate(() => {
        const hook = window.webTerminal;
        if (hook === undefined) {
          return null;
        }
        const screen = hook.screenText();
        const cursor = hook.cursor();
        return {
          state: hook.state(),
          session: hook.sessionId(),
          screen,
          cursor,
          cursorLine: screen.split("\n")[cursor.y] ?? "",
          buffer: hook.activeBuffer(),
          bytes: hook.outputBytes(),
          snapshots: hook.snapshotsWritten(),
          size: hook.size(),
        };
      });
      return seen ?? NO_VIEW;
    } catch {
      return NO_VIEW; // a navigation destroyed the page's context under us
    }
  }
  const bufferText = () => page.evaluate(() => window.webTerminal?.bufferText() ?? "");
  /** @param {string} name */
  const screenshot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `sessions-${name}.png`) });
  /** @param {string} what */
  const waitForPrompt = (what) => waitFor(what, view, atPrompt);
  /**
   * Waits for an output line equal to `line` on the screen.
   * @param {string} line
   */
  const waitForLine = (line) => waitFor(`a line "${line}"`, view, (seen) => seen.screen.split("\n").includes(line));
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
   * Waits until the page has processed no output for `quietMs`, and returns what it shows then.
   * @returns {Promise<View>}
   */
  async function quiet(quietMs = 500) {
    let last = await view();
    const deadline = Date.now() + 20_000;
    for (;;) {
      await sleep(quietMs);
      const now = await view();
      if (now.bytes === last.bytes && now.screen === last.screen) {
        return now;
      }
      assert.ok(Date.now() < deadline, "the output did not stop");
      last = now;
    }
  }

  /**
   * Reloads the page (it reattaches to the session stored in the tab) and returns what it shows
   * once the snapshot is written, read in the same task of the page that first saw it written.
   * @returns {Promise<View>}
   */
  async function reloadForSnapshot() {
    await page.reload();
    return waitFor("the reattached page to write its snapshot", view, (seen) => seen.state === "connected" && seen.snapshots >= 1);
  }

  /** The server's shells (each one leads its process group). */
  function shells() {
    assert.ok(server?.child.pid !== undefined);
    return childrenOf(server.child.pid);
  }

  /**
   * The one process named `comm` among the descendants of the server's shells.
   * @param {string} comm
   */
  async function program(comm) {
    const found = [];
    const parents = await shells();
    for (let parent = parents.pop(); parent !== undefined; parent = parents.pop()) {
      const children = await childrenOf(parent.pid);
      found.push(...children.filter((child) => child.comm === comm));
      parents.push(...children);
    }
    assert.equal(found.length, 1, `one ${comm} under the server's shells: ${JSON.stringify(found)}`);
    return found[0]?.pid ?? 0;
  }

  /**
   * Ends every shell of the server (a failed test may have left one busy), then loads the page
   * without a stored session, so it opens a new one, and waits for its prompt.
   * @returns {Promise<View>}
   */
  async function freshSession() {
    for (const shell of await shells()) {
      try {
        process.kill(-shell.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    if (page.url().startsWith(baseUrl)) {
      await page.evaluate(() => {
        sessionStorage.removeItem("web-terminal.session");
      });
    }
    await page.goto(baseUrl);
    return waitForPrompt("a new session's prompt");
  }

  before(async () => {
    workDir = await prepare("web-terminal-sessions-");
    port = await freePort();
    server = new Server(port, workDir, ENV);
    await server.ready();
    baseUrl = server.url;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    page = await context.newPage();
    page.on("pageerror", (error) => {
      pageErrors.push(String(error));
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop("SIGTERM");
    await saveArtifact("sessions-server.log", server?.log ?? "");
    await removeWorkDir(workDir);
  });

  it("restores vim in insert mode on reload, and typing goes on in the same line", { timeout: STEP_TIMEOUT_MS }, async () => {
    await freshSession();
    const file = path.join(workDir, "vim-insert.txt");
    await run(`${VIM} ${file}`);
    await waitFor("vim's screen", view, (seen) => seen.buffer === "alternate" && seen.screen.includes("vim-insert.txt"));
    await page.keyboard.press("i");
    await page.keyboard.type("first line");
    await page.keyboard.press("Enter");
    await page.keyboard.type("half-typed li");
    await waitFor(
      "the half-typed line in insert mode",
      view,
      (seen) => seen.screen.split("\n")[1] === "half-typed li" && seen.screen.includes("-- INSERT --") && seen.cursor.y === 1 && seen.cursor.x === 13,
    );
    // vim is idle now: what the page shows is the whole of its output.
    const before = await quiet();
    await screenshot("vim-before-reload");

    const after = await reloadForSnapshot();
    assert.equal(after.session, before.session, "reattached to the same session");
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores vim's screen, cursor and alternate buffer");
    await screenshot("vim-reattached");

    await page.keyboard.type("ne, finished");
    await page.keyboard.press("Escape");
    await run(":wq");
    await waitForPrompt("the shell's prompt after vim");
    assert.equal(await readFile(file, "utf8"), "first line\nhalf-typed line, finished\n", "the typing after the reload went on in the same line");
  });

  it("restores htop after more than 1 MiB of its output, and htop takes mouse clicks after the reload", { timeout: 3 * STEP_TIMEOUT_MS }, async () => {
    const start = await freshSession();
    // htop under a non-interactive bash, which has no job control: when htop is stopped below,
    // the interactive shell must not notice (it would take the terminal back and say "Stopped").
    const ended = marker("htop-ended");
    await run(`bash -c 'htop -d 1; echo ${ended}'`);
    const running = await waitFor("htop's screen", view, (seen) => seen.buffer === "alternate" && seen.screen.includes("F10Quit"));
    // htop redraws only the cells that changed (ncurses), a few KiB a second here. Ctrl-L is its
    // redraw key: a whole new screen each time, so the output passes 1 MiB in seconds, not
    // minutes. One key at a time, each after its redraw: ncurses skips a redraw while input waits.
    for (let pressed = 0; (await view()).bytes - running.bytes < MIB; pressed++) {
      assert.ok(pressed < 1_000, "htop did not redraw on Ctrl-L");
      const before = (await view()).bytes;
      await page.keyboard.press("Control+L");
      await waitFor("htop to redraw", view, (seen) => seen.bytes > before, 5_000);
    }
    // What makes the comparison sound: htop stopped (SIGSTOP) writes nothing more, so once the
    // page has taken in the output already on its way, the page before the reload and the
    // snapshot after it describe the same bytes, to the last one. Compared while htop runs, the
    // two would differ by whatever htop redrew in between (its clock, meters and process list).
    const htop = await program("htop");
    process.kill(htop, "SIGSTOP");
    const before = await quiet(1_000);
    assert.ok(before.bytes - start.bytes > MIB, `htop wrote ${before.bytes - start.bytes} bytes`);
    await screenshot("htop-before-reload");

    const after = await reloadForSnapshot();
    assert.equal(after.session, before.session, "reattached to the same session");
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores htop's screen, cursor and alternate buffer");
    await screenshot("htop-reattached");

    // htop enabled mouse reporting long before the reload; the snapshot must have restored it for
    // a click on "F10Quit" in the bottom bar to reach htop and end it.
    process.kill(htop, "SIGCONT");
    const rows = after.screen.split("\n");
    const bottom = rows.length - 1;
    const column = rows[bottom]?.indexOf("F10Quit") ?? -1;
    assert.ok(column >= 0, `htop's bottom bar: ${rows[bottom] ?? ""}`);
    const box = await page.locator(".xterm-screen").boundingBox();
    assert.ok(box);
    await page.mouse.click(box.x + (column + 1.5) * (box.width / after.size.cols), box.y + (bottom + 0.5) * (box.height / after.size.rows));
    await waitForLine(ended);
    await waitForPrompt("the shell's prompt after clicking F10Quit");
  });

  it("keeps the shell's history behind vim, also across a reload while vim is open", { timeout: STEP_TIMEOUT_MS }, async () => {
    await freshSession();
    // More lines than the screen has rows: some of the history is in the scrollback.
    const tag = marker("history");
    await run(`for i in $(seq 1 80); do echo ${tag}-$i; done`);
    await waitForLine(`${tag}-80`);
    await waitForPrompt("the prompt after the history");
    const history = writtenLines(await bufferText());
    assert.equal(history.filter((line) => line.startsWith(`${tag}-`)).length, 80);
    const prompt = history.at(-1) ?? "";

    /**
     * The buffer `lines` after `vim` was run on its last line (the prompt) and quit.
     * @param {string[]} lines
     */
    const afterVim = (lines) => [...lines.slice(0, -1), `${prompt}${VIM}`, prompt];

    await run(VIM);
    await waitFor("vim's screen", view, (seen) => seen.buffer === "alternate" && seen.screen.includes("VIM - Vi IMproved"));
    await run(":q");
    await waitForPrompt("the prompt after vim");
    const once = writtenLines(await bufferText());
    assert.deepEqual(once, afterVim(history), "the history is back, in full, after vim");

    await run(VIM);
    await waitFor("vim's screen", view, (seen) => seen.buffer === "alternate" && seen.screen.includes("VIM - Vi IMproved"));
    const before = await quiet();
    const after = await reloadForSnapshot();
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores vim's screen");
    await run(":q");
    await waitForPrompt("the prompt after vim");
    await screenshot("history-after-vim");
    const twice = writtenLines(await bufferText());
    assert.deepEqual(twice, afterVim(once), "the history is back, in full, after a reload while vim was open");
  });

  it("scrolls back through the restored history after a reload, with the wheel and the scrollbar", { timeout: STEP_TIMEOUT_MS }, async () => {
    await freshSession();
    const last = marker("history-end");
    await run(`seq 1 400; echo ${last}`);
    await waitForLine(last);
    const before = await quiet();
    // The page opens its terminal once the snapshot is written (late-open.ts): the scrollbar must
    // know the history all the same, before any new output.
    const after = await reloadForSnapshot();
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores the screen");
    const slider = () =>
      page.evaluate(() => document.querySelector(".xterm-scrollable-element .scrollbar.vertical .slider")?.getBoundingClientRect().height ?? 0);
    await waitFor("the scrollbar's slider, sized for the history", slider, (height) => height > 0);
    const box = await page.locator(".xterm-screen").boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -2_000);
    await waitFor("the wheel to scroll into the history", view, (seen) => !seen.screen.includes(last) && seen.screen !== after.screen);
    await screenshot("history-scrolled-after-reload");
  });

  it("draws a reattached screen before its history, then writes the history in full", { timeout: STEP_TIMEOUT_MS }, async () => {
    await freshSession();
    const last = marker("long-history-end");
    await run(`seq 1 3000; echo ${last}`);
    await waitForLine(last);
    const before = await quiet();
    const buffer = await bufferText();
    // Watches every frame of the reloaded page: was the screen drawn before the whole snapshot
    // (history included) was written? The key is read once, so other reloads are not watched.
    await page.addInitScript(() => {
      const expected = sessionStorage.getItem("e2e.screen-first");
      sessionStorage.removeItem("e2e.screen-first");
      if (expected === null) {
        return;
      }
      const seen = { screenBeforeHistory: false, historyWritten: false };
      Object.assign(window, { e2eScreenFirst: seen });
      const frame = () => {
        const hook = window.webTerminal;
        if (hook?.state() === "connected" && hook.snapshotsWritten() === 0 && hook.screenText() === expected) {
          seen.screenBeforeHistory = true;
        }
        if ((hook?.snapshotsWritten() ?? 0) > 0) {
          seen.historyWritten = true;
          return;
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    await page.evaluate((screen) => {
      sessionStorage.setItem("e2e.screen-first", screen);
    }, before.screen);
    const after = await reloadForSnapshot();
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores the screen");
    const seen = await waitFor(
      "the page to have watched the snapshot written",
      () => page.evaluate(() => /** @type {{ e2eScreenFirst?: { screenBeforeHistory: boolean; historyWritten: boolean } }} */ (/** @type {unknown} */ (window)).e2eScreenFirst),
      (watched) => watched?.historyWritten === true,
    );
    assert.equal(seen?.screenBeforeHistory, true, "a frame showed the screen before the history was written");
    assert.equal(await bufferText(), buffer, "the history and the screen are as they were");
  });

  it("sends no byte to the shell while the page writes a snapshot", { timeout: STEP_TIMEOUT_MS }, async () => {
    await freshSession();
    const live = path.join(workDir, "replies-live.txt");
    const during = path.join(workDir, "replies-during-reload.txt");
    // The shell's terminal without echo or line editing, so every byte the page sends reaches
    // `cat -v` at once. Printed: queries a terminal answers (primary and secondary device
    // attributes, status and cursor position reports, the background colour), and modes that make
    // it send by itself: mouse reports, and focus events, which xterm.js reports at once when a
    // program turns them on (so the snapshot, which restores that mode, makes xterm.js send a
    // focus report while the page writes it: the UI must drop it). Two seconds of recording show
    // the page answering live; then everything that arrives is recorded, the reload included.
    const recording = marker("recording");
    await run(
      `stty -echo -icanon min 1; printf '\\033[c\\033[>c\\033[5n\\033[6n\\033]11;?\\007\\033[?1004h\\033[?1000h\\033[?1006h'; ` +
        `timeout --foreground 2 cat -v > ${live}; echo ${recording}; cat -v > ${during}`,
    );
    await waitForLine(recording);
    const answered = await readFile(live, "utf8");
    // xterm.js answers `?1;2c`; with the image addon loaded it also announces sixel (`?62;4;9;22c`).
    assert.match(answered, /\^\[\[\?[0-9;]+c/, "the page answers device attributes live (the control for what follows)");
    assert.match(answered, /\^\[\[0n/, "the page answers a status report live");
    assert.match(answered, /\^\[\[[IO]/, "the page reports focus when focus events are turned on");
    const before = await quiet();

    const after = await reloadForSnapshot();
    assert.deepEqual(restorable(after), restorable(before), "the snapshot restores the screen");
    // Anything sent while the snapshot was written would have reached cat by now.
    await sleep(1_500);
    assert.equal(await readFile(during, "utf8"), "", "bytes reached the shell during the reload and the snapshot");
    await screenshot("no-replies");

    // The control: typing after the snapshot does arrive, so the empty file above means something.
    await page.keyboard.type("typed-after");
    await waitFor("the typed keys at the shell", () => readFile(during, "utf8"), (text) => text === "typed-after");
  });

  it("ends a yes flood with Ctrl-C", { timeout: STEP_TIMEOUT_MS }, async () => {
    const start = await freshSession();
    await run("yes");
    await waitFor("yes to fill the screen", view, (seen) => seen.screen.split("\n").filter((line) => line === "y").length >= seen.size.rows - 1);
    await sleep(1_000);
    const flooded = await view();
    assert.ok(flooded.bytes - start.bytes > 64 * 1024, `only ${flooded.bytes - start.bytes} bytes of yes`);
    await page.keyboard.press("Control+C");
    await waitForPrompt("the prompt after Ctrl-C");
    await screenshot("ctrl-c");
    const check = marker("after-yes");
    await run(`echo ${check}`);
    await waitForLine(check);
  });

  it("edits a line of emoji and wide CJK characters in readline", { timeout: STEP_TIMEOUT_MS }, async () => {
    const at = await freshSession();
    const promptColumns = at.cursor.x;
    await page.keyboard.type("echo 😀中文abc");
    // Cells: "echo " 5, 😀 2, 中 2, 文 2, "abc" 3.
    const end = promptColumns + 14;
    await waitFor("the typed line", view, (seen) => seen.cursor.x === end && seen.cursorLine === `${at.cursorLine}echo 😀中文abc`);
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("ArrowLeft"); // over c, b, a, 文, 中
    }
    await waitFor("the cursor between 😀 and 中", view, (seen) => seen.cursor.x === promptColumns + 7);
    await page.keyboard.type("X");
    await waitFor("X inserted", view, (seen) => seen.cursor.x === promptColumns + 8 && seen.cursorLine === `${at.cursorLine}echo 😀X中文abc`);
    await page.keyboard.press("ArrowLeft"); // over X
    await page.keyboard.press("ArrowLeft"); // over 😀
    await waitFor("the cursor before 😀", view, (seen) => seen.cursor.x === promptColumns + 5);
    await page.keyboard.type("Y");
    await waitFor("Y inserted", view, (seen) => seen.cursor.x === promptColumns + 6 && seen.cursorLine === `${at.cursorLine}echo Y😀X中文abc`);
    await page.keyboard.press("Enter");
    await waitForPrompt("the prompt after echo");
    await screenshot("emoji");
    const lines = (await view()).screen.split("\n");
    // The line as the shell took it, then what echo printed: exactly the edited text.
    assert.equal(lines[at.cursor.y], `${at.cursorLine}echo Y😀X中文abc`);
    assert.equal(lines[at.cursor.y + 1], "Y😀X中文abc");
  });

  /**
   * Fills the screen and scrollback of a new session, restarts the server on the same port and
   * data directory with `signal`, and checks that the page ends up on a new session whose screen
   * holds the new prompt and nothing else.
   * @param {"SIGTERM" | "SIGKILL"} signal
   * @param {RegExp} notice what the status bar says about the old session
   */
  async function restartCleanly(signal, notice) {
    const old = await freshSession();
    const tag = marker("old");
    await run(`seq -f '${tag}-%g' 1 100`);
    await waitForLine(`${tag}-100`);
    await screenshot(`before-${signal}`);

    assert.ok(server);
    await server.stop(signal);
    await saveArtifact(`sessions-server-before-${signal}.log`, server.log);
    server = new Server(port, workDir, ENV);
    await server.ready();

    const now = await waitFor("a new session", view, (seen) => seen.session !== old.session && atPrompt(seen), 30_000);
    assert.match(now.session ?? "", /^[0-9a-f]{32}$/);
    assert.match(await statusBarText(page), notice);
    const lines = writtenLines(await bufferText());
    assert.equal(lines.length, 1, `the new session's screen and scrollback hold more than its prompt:\n${lines.join("\n")}`);
    assert.match(lines[0] ?? "", PROMPT);
  }

  it("starts on a clean screen after a server restart (SIGTERM: 1001, then a new session)", { timeout: STEP_TIMEOUT_MS }, async () => {
    await restartCleanly("SIGTERM", /server restarted; this is a new session/);
    await screenshot("after-SIGTERM");
  });

  it("starts on a clean screen after a server crash (SIGKILL: reattach, 4404, then a new session)", { timeout: STEP_TIMEOUT_MS }, async () => {
    await restartCleanly("SIGKILL", /previous session had ended; this is a new session/);
    await screenshot("after-SIGKILL");
  });

  it("ran without script errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});
