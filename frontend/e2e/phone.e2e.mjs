// @ts-check
// End-to-end test of the touch layer: a phone (390 × 844, touch, mobile) and a desktop against the
// real server in Debian's Chromium. The key bar's keys must reach the shell as xterm.js would send
// them (cat -v shows them, Ctrl+C interrupts, Tab completes, Up recalls), a swipe must scroll the
// scrollback, a long press must copy, and the bar must stay above an on-screen keyboard.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal npm run e2e     (checks/e2e.sh does all of it)
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ARTIFACTS,
  STEP_TIMEOUT_MS,
  Server,
  freePort,
  hookScreenText,
  hookState,
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
/** @typedef {import("playwright-core").BrowserContext} BrowserContext */

const PHONE = { width: 390, height: 844 };
/** How long the "Connected" badge stays, and a little more (see status-bar.ts). */
const BADGE_GONE_MS = 2_000;

/** @param {Page} page */
const screenLines = async (page) => (await hookScreenText(page)).split("\n").map((line) => line.trimEnd());

/**
 * Waits for an output line equal to `line` (not the command line that echoed it).
 * @param {Page} page
 * @param {string} line
 */
const waitForLine = (page, line) => waitFor(`a line "${line}"`, () => screenLines(page), (lines) => lines.includes(line));

/**
 * Types `text` on the terminal's keyboard, as a person would; then Enter unless `enter` is false.
 * @param {Page} page
 * @param {string} text
 */
async function type(page, text, enter = true) {
  await page.focus(".xterm-helper-textarea");
  await page.keyboard.type(text);
  if (enter) {
    await page.keyboard.press("Enter");
  }
}

/**
 * Taps a key of the key bar with a finger.
 * @param {Page} page
 * @param {string} key its data-key: esc, tab, ctrl, alt, pipe, tilde, slash, minus, home, end, pgup, pgdn, left, up, down, right, hide
 */
const tap = (page, key) => page.tap(`#keybar [data-key="${key}"]`);

/**
 * Waits for the shell's prompt (`bash-5.2# ` or `$ `) on the last line of the screen's text.
 * @param {Page} page
 */
const waitForPrompt = (page) =>
  waitFor("the prompt", () => screenLines(page), (lines) => /[#$]$/.test(lines.filter((line) => line !== "").at(-1) ?? ""));

/**
 * A finger on the touch screen, through the DevTools protocol: real touch events in the page.
 * @param {BrowserContext} context
 * @param {Page} page
 */
async function finger(context, page) {
  const cdp = await context.newCDPSession(page);
  /**
   * @param {"touchStart" | "touchMove" | "touchEnd"} type
   * @param {number} x
   * @param {number} y
   */
  const send = (type, x, y) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] });
  return {
    /**
     * Drags from (x, y) to (x, toY) in 20 px steps, one a frame, then lifts.
     * @param {number} x
     * @param {number} y
     * @param {number} toY
     */
    async swipe(x, y, toY) {
      await send("touchStart", x, y);
      const step = toY > y ? 20 : -20;
      for (let at = y + step; step > 0 ? at <= toY : at >= toY; at += step) {
        await send("touchMove", x, at);
        await sleep(16);
      }
      await send("touchEnd", x, toY);
    },
    /**
     * Holds still at (x, y) for `ms`, then lifts.
     * @param {number} x
     * @param {number} y
     */
    async press(x, y, ms = 800) {
      await send("touchStart", x, y);
      await sleep(ms);
      await send("touchEnd", x, y);
    },
  };
}

/**
 * The screen's box and one cell's size, in CSS pixels.
 * @param {Page} page
 */
async function screenGeometry(page) {
  const box = await page.locator(".xterm-screen").boundingBox();
  assert.ok(box, "the terminal has a screen");
  const { cols, rows } = await page.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 });
  return { box, cols, rows, cellWidth: box.width / cols, cellHeight: box.height / rows };
}

describe("web-terminal on a phone, and the key bar on a desktop", { timeout: 8 * STEP_TIMEOUT_MS }, () => {
  /** @type {Server | undefined} */
  let server;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  /** @type {BrowserContext} */
  let phone;
  /** @type {Page} */
  let page;
  let baseUrl = "";
  let workDir = "";
  /** @type {string[]} */
  const consoleErrors = [];
  /** @type {string[]} */
  const pageErrors = [];

  /**
   * A new page of `context` that reports its errors, at `url`, once connected.
   * @param {BrowserContext} context
   * @param {string} url
   * @param {(page: Page) => Promise<unknown>} [setUp] before the page loads
   */
  async function open(context, url, setUp) {
    const opened = await context.newPage();
    opened.on("console", (message) => {
      if (message.type() === "error") {
        consoleErrors.push(message.text());
      }
    });
    opened.on("pageerror", (error) => {
      pageErrors.push(String(error));
    });
    await setUp?.(opened);
    await opened.goto(url);
    await waitFor("state connected", () => hookState(opened), (value) => value === "connected");
    await waitForPrompt(opened);
    return opened;
  }

  /**
   * The key bar's look: shown or not, its box, its keys' boxes, its background.
   * @param {Page} onPage
   */
  const keyBar = (onPage) =>
    onPage.evaluate(() => {
      const bar = document.getElementById("keybar");
      const show = document.getElementById("keybar-show");
      const rect = bar?.getBoundingClientRect();
      return {
        shown: bar !== null && !bar.hidden && (rect?.height ?? 0) > 0,
        showButton: show !== null && !show.hidden,
        box: rect === undefined ? null : { top: rect.top, bottom: rect.bottom, height: rect.height },
        keys: [...(bar?.querySelectorAll("button") ?? [])].map((key) => {
          const box = key.getBoundingClientRect();
          return { key: key instanceof HTMLElement ? (key.dataset.key ?? "") : "", width: box.width, height: box.height };
        }),
        background: bar === null ? "" : getComputedStyle(bar).backgroundColor,
      };
    });

  before(async () => {
    workDir = await prepare("web-terminal-phone-");
    const port = await freePort();
    server = new Server(port, workDir);
    await server.ready();
    baseUrl = `http://127.0.0.1:${port}/`;
    browser = await launchChromium();
    phone = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      hasTouch: true,
      isMobile: true,
      colorScheme: "light",
      permissions: ["clipboard-read", "clipboard-write"],
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop("SIGTERM");
    await saveArtifact("phone-server.log", server?.log ?? "");
    await removeWorkDir(workDir);
  });

  it("shows the key bar on a phone: thumb-sized keys, clear of the terminal's last line", { timeout: STEP_TIMEOUT_MS }, async () => {
    page = await open(phone, baseUrl);
    assert.equal(await page.evaluate(() => matchMedia("(pointer: coarse)").matches), true, "a phone's pointer is coarse");
    const bar = await keyBar(page);
    assert.ok(bar.shown, "the key bar shows");
    assert.equal(bar.showButton, false);
    assert.equal(bar.keys.length, 17);
    for (const key of bar.keys) {
      assert.ok(key.width >= 40 && key.height >= 40, `${key.key} is ${key.width} × ${key.height} px`);
    }
    assert.ok(bar.box);
    assert.equal(Math.round(bar.box.bottom), PHONE.height, "the bar sits at the bottom");
    const { box } = await screenGeometry(page);
    assert.ok(box.y + box.height <= bar.box.top, `the terminal's last row (to ${box.y + box.height}) ends above the bar (${bar.box.top})`);

    await type(page, "ls /usr/share | head -20");
    await waitForPrompt(page);
    await sleep(BADGE_GONE_MS);
    await page.screenshot({ path: path.join(ARTIFACTS, "phone-light.png") });
  });

  it("sends Esc, Alt with a typed key, the cursor and page keys and | ~ / - as xterm.js does", { timeout: STEP_TIMEOUT_MS }, async () => {
    await type(page, "clear; cat -v");
    await sleep(300);
    await tap(page, "esc");
    await tap(page, "alt");
    await page.keyboard.press("x"); // typed on the phone's keyboard, with the bar's Alt
    for (const key of ["up", "down", "right", "left", "home", "end", "pgup", "pgdn", "pipe", "tilde", "slash", "minus"]) {
      await tap(page, key);
    }
    await page.keyboard.press("Enter");
    await waitForLine(page, "^[^[x^[[A^[[B^[[C^[[D^[[H^[[F^[[5~^[[6~|~/-");

    // Ctrl on the bar, then the phone keyboard's "d": end of input, and cat ends.
    await tap(page, "ctrl");
    assert.equal(await page.locator('#keybar [data-key="ctrl"]').getAttribute("aria-pressed"), "true");
    await page.keyboard.press("d");
    assert.equal(await page.locator('#keybar [data-key="ctrl"]').getAttribute("aria-pressed"), "false", "used up by one key");
    await waitForPrompt(page);

    // A program that asks for application cursor keys gets them.
    await type(page, "printf '\\033[?1h'; cat -v; printf '\\033[?1l'");
    await sleep(300);
    await tap(page, "up");
    await tap(page, "home");
    await page.keyboard.press("Enter");
    await waitForLine(page, "^[OA^[OH");
    await tap(page, "ctrl");
    await page.keyboard.press("d");
    await waitForPrompt(page);
    assert.match(String(await page.evaluate(() => document.activeElement?.className)), /xterm-helper-textarea/, "the taps left the focus (and the phone's keyboard) in the terminal");
  });

  it("interrupts with Ctrl then c, from a key press and from a phone keyboard's inserted text", { timeout: STEP_TIMEOUT_MS }, async () => {
    for (const how of ["key", "text"]) {
      const never = marker("not-interrupted");
      await type(page, `clear; sleep 30; echo ${never}`);
      await sleep(300);
      const started = Date.now();
      await tap(page, "ctrl");
      if (how === "key") {
        await page.keyboard.press("c");
      } else {
        // Android's keyboards send no usable keydown: the text arrives as an input event.
        await page.keyboard.insertText("c");
      }
      await waitForPrompt(page);
      assert.ok(Date.now() - started < 10_000, "sleep was interrupted");
      const lines = await screenLines(page);
      assert.ok(lines.some((line) => line.endsWith("^C")), `^C shows:\n${lines.join("\n")}`);
      assert.ok(!lines.includes(never), `the command went on after ^C:\n${lines.join("\n")}`);
    }
  });

  it("completes a unique file name with Tab, and recalls the last command with Up", { timeout: STEP_TIMEOUT_MS }, async () => {
    const name = `${marker("tabcomplete")}.txt`;
    await type(page, `touch ${name}`);
    await waitForPrompt(page);
    await type(page, `echo ${name.slice(0, -6)}`, false);
    await tap(page, "tab");
    await page.keyboard.press("Enter");
    await waitForLine(page, name);

    const again = marker("again");
    await type(page, `echo ${again}`);
    await waitForLine(page, again);
    await tap(page, "up");
    await page.keyboard.press("Enter");
    await waitFor("the recalled command's output", () => screenLines(page), (lines) => lines.filter((line) => line === again).length === 2);
  });

  it("scrolls back through the scrollback with a swipe, and back down on a key", { timeout: STEP_TIMEOUT_MS }, async () => {
    await type(page, "seq 1 400");
    await waitForLine(page, "400");
    await waitForPrompt(page);
    const firstNumber = async () => Number((await screenLines(page)).find((line) => /^\d+$/.test(line)) ?? "NaN");
    const before = await firstNumber();
    const { box, cellHeight } = await screenGeometry(page);
    const touch = await finger(phone, page);
    // The finger moves down: the content follows it, older lines come into view.
    await touch.swipe(box.x + box.width / 2, box.y + 100, box.y + 500);
    await waitFor("the viewport to move back", firstNumber, (value) => value < before);
    // Until the flick has run out.
    let last = Number.NaN;
    const after = await waitFor(
      "the flick to stop",
      async () => {
        const [previous, now] = [last, await firstNumber()];
        last = now;
        await sleep(200);
        return { previous, now };
      },
      ({ previous, now }) => previous === now,
    ).then(({ now }) => now);
    // 400 px is 20-odd rows, and a flick carries on a little.
    assert.ok(before - after >= Math.floor(400 / cellHeight) - 2, `${before} -> ${after}`);
    assert.ok(!(await screenLines(page)).some((line) => /[#$]$/.test(line)), "the prompt is out of view");

    // A key from the bar is typed input: the terminal scrolls back down to the prompt.
    await tap(page, "right");
    await waitForPrompt(page);
    assert.equal(await firstNumber(), before);
  });

  it("selects a long-pressed word and copies it, saying so", { timeout: STEP_TIMEOUT_MS }, async () => {
    const word = marker("copy");
    await type(page, `clear; echo ${word}`);
    await waitForLine(page, word);
    const row = (await screenLines(page)).indexOf(word);
    const { box, cellWidth, cellHeight } = await screenGeometry(page);
    const touch = await finger(phone, page);
    await touch.press(box.x + 3.5 * cellWidth, box.y + (row + 0.5) * cellHeight);
    assert.equal(await page.evaluate(() => window.webTerminal?.selection()), word);
    const copied = await waitFor("the clipboard", () => page.evaluate(() => navigator.clipboard.readText()), (text) => text === word);
    assert.equal(copied, word);
    assert.match(await statusBarText(page), new RegExp(`Copied “${word}”`));
    await page.screenshot({ path: path.join(ARTIFACTS, "phone-copied.png") });
  });

  it("stays above the on-screen keyboard, and the terminal refits above it", { timeout: STEP_TIMEOUT_MS }, async () => {
    // Headless Chromium has no on-screen keyboard: a stand-in visualViewport shrinks as one
    // would (iOS, and Android without resizes-content), and the page does the rest.
    const withKeyboard = await open(phone, baseUrl, (onPage) =>
      onPage.addInitScript(() => {
        const viewport = new EventTarget();
        let hidden = 0;
        Object.defineProperties(viewport, {
          height: { get: () => window.innerHeight - hidden },
          width: { get: () => window.innerWidth },
          offsetTop: { get: () => 0 },
          offsetLeft: { get: () => 0 },
          scale: { get: () => 1 },
        });
        Object.defineProperty(window, "visualViewport", { get: () => viewport, configurable: true });
        Object.defineProperty(window, "showKeyboard", {
          value: (/** @type {number} */ height) => {
            hidden = height;
            viewport.dispatchEvent(new Event("resize"));
          },
        });
      }),
    );
    const size = () => withKeyboard.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 });
    const full = await size();
    await type(withKeyboard, "seq 1 100");
    await waitForLine(withKeyboard, "100");

    const KEYBOARD = 330;
    await withKeyboard.evaluate((height) => {
      /** @type {Window & { showKeyboard?: (height: number) => void }} */ (window).showKeyboard?.(height);
    }, KEYBOARD);
    const smaller = await waitFor("the terminal to refit", size, (now) => now.rows < full.rows);
    const bar = await keyBar(withKeyboard);
    assert.ok(bar.box);
    assert.equal(Math.round(bar.box.bottom), PHONE.height - KEYBOARD, "the bar sits on the keyboard");
    const { box } = await screenGeometry(withKeyboard);
    assert.ok(box.y + box.height <= bar.box.top, "the terminal ends above the bar");
    const cursor = await withKeyboard.evaluate(() => window.webTerminal?.cursor() ?? { x: -1, y: -1 });
    assert.ok(cursor.y >= 0 && cursor.y < smaller.rows, `the cursor's row ${cursor.y} is on the screen of ${smaller.rows} rows`);
    await waitForPrompt(withKeyboard);
    // The shell was told: the PTY has the smaller size.
    const tag = marker("size");
    await type(withKeyboard, `echo "${tag}=$(stty size)"`);
    await waitForLine(withKeyboard, `${tag}=${smaller.rows} ${smaller.cols}`);
    await sleep(BADGE_GONE_MS);
    await withKeyboard.screenshot({ path: path.join(ARTIFACTS, "phone-keyboard.png") });

    await withKeyboard.evaluate(() => {
      /** @type {Window & { showKeyboard?: (height: number) => void }} */ (window).showKeyboard?.(0);
    });
    await waitFor("the terminal to take the room back", size, (now) => now.rows === full.rows);
    await withKeyboard.close();
  });

  it("hides the bar on its hide key, remembers that, and brings it back from the corner", { timeout: STEP_TIMEOUT_MS }, async () => {
    const rows = async () => (await page.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 })).rows;
    const withBar = await rows();
    await tap(page, "hide");
    await waitFor("the bar hidden", () => keyBar(page), (bar) => !bar.shown && bar.showButton);
    await waitFor("the terminal to take the bar's rows", rows, (now) => now > withBar);
    await page.reload();
    await waitFor("state connected", () => hookState(page), (value) => value === "connected");
    assert.equal((await keyBar(page)).shown, false, "still hidden after a reload");
    await page.tap("#keybar-show");
    await waitFor("the bar back", () => keyBar(page), (bar) => bar.shown && !bar.showButton);
    await waitFor("the terminal to give the rows back", rows, (now) => now === withBar);
  });

  it("follows the dark colour scheme", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(browser);
    const dark = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, hasTouch: true, isMobile: true, colorScheme: "dark" });
    const darkPage = await open(dark, baseUrl);
    const light = await keyBar(page);
    const shade = await keyBar(darkPage);
    /** @param {string} rgb "rgb(r, g, b)" */
    const brightness = (rgb) => (rgb.match(/\d+/g) ?? []).slice(0, 3).reduce((sum, value) => sum + Number(value), 0) / 3;
    assert.ok(brightness(light.background) > 160, `a light bar: ${light.background}`);
    assert.ok(brightness(shade.background) < 80, `a dark bar: ${shade.background}`);
    await type(darkPage, "ls /usr/share | head -20");
    await waitForPrompt(darkPage);
    await tap(darkPage, "ctrl"); // shows an armed modifier
    await sleep(BADGE_GONE_MS);
    await darkPage.screenshot({ path: path.join(ARTIFACTS, "phone-dark.png") });
    await tap(darkPage, "ctrl");
    await dark.close();
  });

  it("hides the bar on a desktop, and shows it with ?keybar=1", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(browser);
    const desktop = await browser.newContext({ viewport: { width: 1000, height: 640 }, colorScheme: "dark" });
    const desk = await open(desktop, baseUrl);
    assert.equal(await desk.evaluate(() => matchMedia("(pointer: coarse)").matches), false);
    const hidden = await keyBar(desk);
    assert.equal(hidden.shown, false, "no key bar with a mouse");
    assert.equal(hidden.showButton, false, "nor its show button");
    const { box } = await screenGeometry(desk);
    assert.ok(box.y + box.height > 600, "the terminal takes the whole window");
    await type(desk, "ls -la /usr");
    await waitForPrompt(desk);
    await sleep(BADGE_GONE_MS);
    await desk.screenshot({ path: path.join(ARTIFACTS, "desktop.png") });

    await desk.goto(`${baseUrl}?keybar=1`);
    await waitFor("state connected", () => hookState(desk), (value) => value === "connected");
    // The reload reattaches early, at the size this tab last sent: the terminal, and its key bar,
    // open once the snapshot is written, a moment after the connection says it is connected.
    const shown = await waitFor("the key bar", () => keyBar(desk), (bar) => bar.shown && bar.box !== null, 5_000);
    assert.ok(shown.shown && shown.box, "?keybar=1 shows it");
    assert.equal(shown.keys.filter((key) => key.height >= 40 && key.width >= 40).length, 17);
    await desk.click('#keybar [data-key="esc"]');
    assert.match(String(await desk.evaluate(() => document.activeElement?.className)), /xterm-helper-textarea/, "a click keeps the focus in the terminal");
    await sleep(BADGE_GONE_MS);
    await desk.screenshot({ path: path.join(ARTIFACTS, "desktop-keybar.png") });
    await desktop.close();
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
