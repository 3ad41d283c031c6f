// @ts-check
// End-to-end test of find and the settings (docs/ui.md): the real server binary and Debian's
// Chromium through playwright-core. Screenshots of each theme, the find bar and the settings panel
// (desktop and phone) go to e2e/artifacts/settings-*.png.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/settings.e2e.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import {
  ARTIFACTS,
  browserSuite,
  hookScreenText,
  hookState,
  marker,
  sleep,
  STEP_TIMEOUT_MS,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */
/** @typedef {{ cols: number; rows: number }} Size */

/** Where the UI keeps the user's settings (src/settings.ts). */
const STORAGE_KEY = "web-terminal.settings";
/** The page background of each theme (style.css), as getComputedStyle reports it. */
const PAGE_BACKGROUND = { light: "rgb(255, 255, 255)", dark: "rgb(30, 30, 30)", "high-contrast": "rgb(0, 0, 0)" };

describe("find and settings in a real browser", { timeout: 8 * STEP_TIMEOUT_MS }, () => {
  const suite = browserSuite("settings");
  const { problems, openPage } = suite;
  // The UI's test hook (window.webTerminal, see src/test-hook.ts).
  /** @param {Page} page */
  const size = (page) => page.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 });
  /** @param {Page} page */
  const theme = (page) => page.evaluate(() => window.webTerminal?.theme() ?? "none");
  /** @param {Page} page */
  const fontSize = (page) => page.evaluate(() => window.webTerminal?.fontSize() ?? 0);
  /** @param {Page} page */
  const settings = (page) => page.evaluate(() => window.webTerminal?.settings() ?? null);
  /** @param {Page} page */
  const searchResults = (page) => page.evaluate(() => window.webTerminal?.searchResults() ?? null);
  /** @param {Page} page */
  const selection = (page) => page.evaluate(() => window.webTerminal?.selection() ?? "");
  /** @param {Page} page */
  const pageBackground = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  /** @param {Page} page */
  const screenLines = async (page) => (await hookScreenText(page)).split("\n").map((line) => line.trimEnd());
  /** @param {Page} page */
  const activeElement = (page) => page.evaluate(() => document.activeElement?.closest("#find, #settings, .xterm")?.className ?? "");

  /**
   * Types a command into the terminal, as a person would.
   * @param {Page} page
   * @param {string} command
   */
  async function run(page, command) {
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
  }

  /**
   * Runs `command` and waits for a line of output equal to `done` (not the command line).
   * @param {Page} page
   * @param {string} command
   * @param {string} done
   */
  async function runUntil(page, command, done) {
    await run(page, command);
    await waitFor(`a line "${done}"`, () => screenLines(page), (lines) => lines.includes(done));
  }

  /**
   * The PTY's size as the shell sees it.
   * @param {Page} page
   * @returns {Promise<Size>}
   */
  async function sttySize(page) {
    const tag = marker("size");
    await run(page, `echo "${tag}=$(stty size)"`);
    const lines = await waitFor(`stty size (${tag})`, () => screenLines(page), (all) => all.some((line) => line.startsWith(`${tag}=`)));
    const match = new RegExp(`^${tag}=(\\d+) (\\d+)$`).exec(lines.find((line) => line.startsWith(`${tag}=`)) ?? "");
    assert.ok(match, `stty output: ${lines.join("|")}`);
    return { rows: Number(match[1]), cols: Number(match[2]) };
  }

  /**
   * Something worth looking at in a screenshot: a coloured prompt, the sixteen colours, a listing.
   * @param {Page} page
   */
  async function showcase(page) {
    const done = marker("shown");
    // `clear` first: the screen shows the output and the prompt, not the long command line.
    await runUntil(
      page,
      `PS1='\\[\\e[32m\\]dev@web-terminal\\[\\e[0m\\]:\\[\\e[34m\\]~/project\\[\\e[0m\\]$ '; clear;` +
        " for i in 0 1 2 3 4 5 6 7; do printf '\\e[3%sm colour %s \\e[9%sm bright %s \\e[0m \\e[4%sm   \\e[10%sm   \\e[0m\\n' $i $i $i $i $i $i; done;" +
        ` printf '\\e[1mbold\\e[0m \\e[3mitalic\\e[0m \\e[4munderline\\e[0m \\e[7minverse\\e[0m\\n'; ls -l --color=always /usr | head -6; echo ${done}`,
      done,
    );
    // No hover effects in the picture.
    await page.mouse.move(300, 500);
  }

  /**
   * Presses `keys` once the page has the terminal focused.
   * @param {Page} page
   * @param {string} keys
   */
  async function press(page, keys) {
    await page.keyboard.press(keys);
  }

  for (const renderer of ["webgl", "dom"]) {
    it(`finds a word in the scrollback with Ctrl+Shift+F, highlights the matches and scrolls to them (${renderer})`, { timeout: STEP_TIMEOUT_MS }, async () => {
      const page = await openPage(`${suite.baseUrl}?renderer=${renderer}`);
      assert.equal(await page.evaluate(() => window.webTerminal?.renderer()), renderer);
      const word = marker("needle");
      const [head, tail] = word.split("-");
      // A log with the word on three lines (the command line itself does not have it), long
      // enough to push them into the scrollback.
      const log =
        "for n in $(seq 1 90); do printf '\\e[2m12:%02d:%02d\\e[0m \\e[32mINFO\\e[0m  GET /api/items/%s 200 in %sms\\n' $((n/60)) $((n%60)) $n $((n*7%90+3));" +
        ` case $n in 21|23|25) printf '\\e[2m12:00:%02d\\e[0m \\e[33mWARN\\e[0m  %s-%s found in /api/items/%s\\n' $n ${head} ${tail} $n;; esac; done; echo log-end`;
      await runUntil(page, `clear; ${log}`, "log-end");
      assert.ok(!(await hookScreenText(page)).includes(word), "the word is on the screen still");

      await press(page, "Control+Shift+F");
      await waitFor("the find bar focused", () => activeElement(page), (value) => value.includes("find-bar"));
      await page.keyboard.type(word);
      // Typing finds the newest match first, selected and scrolled into view.
      await waitFor("the newest match", () => searchResults(page), (results) => results?.index === 2 && results.count === 3);
      assert.equal(await selection(page), word);
      const lines = await screenLines(page);
      assert.equal(lines.filter((line) => line.includes(`WARN  ${word} found in`)).length, 3, lines.join("\n"));
      assert.match(await page.locator("#find .find-count").innerText(), /^3 of 3$/);
      // The addon's highlights: one decoration per visible match, drawn by either renderer.
      await waitFor(
        "the highlighted matches",
        () => page.locator(".xterm-find-result-decoration").count(),
        (count) => count >= 3,
        5_000,
      );

      // Enter goes down (wrapping to the oldest), Shift+Enter back up.
      await press(page, "Enter");
      await waitFor("the next match (wrapped)", () => searchResults(page), (results) => results?.index === 0);
      await press(page, "Shift+Enter");
      await waitFor("the previous match", () => searchResults(page), (results) => results?.index === 2);
      // Match case: the word is lower case, so its upper case finds nothing.
      await page.locator('#find button[aria-label="Match case"]').click();
      await page.locator("#find input").fill(word.toUpperCase());
      await waitFor("no match with match case", () => searchResults(page), (results) => results?.count === 0);
      assert.equal(await page.locator("#find .find-count").innerText(), "No results");
      await page.locator('#find button[aria-label="Match case"]').click();
      // A regular expression over the three lines.
      await page.locator('#find button[aria-label="Regular expression"]').click();
      await page.locator("#find input").fill(`WARN +${head}-[0-9a-f]+ found`);
      await waitFor("three regex matches", () => searchResults(page), (results) => results?.count === 3);
      await page.locator('#find button[aria-label="Regular expression"]').click();
      await page.locator("#find input").fill(word);
      await waitFor("the word again", () => searchResults(page), (results) => results?.count === 3);
      if (renderer === "webgl") {
        await page.mouse.move(300, 500);
        await page.screenshot({ path: path.join(ARTIFACTS, "settings-find.png") });
      }

      await press(page, "Escape");
      assert.equal(await page.locator("#find").isHidden(), true);
      assert.equal(await searchResults(page), null);
      assert.equal(await page.locator(".xterm-find-result-decoration").count(), 0);
      await waitFor("the focus back in the terminal", () => activeElement(page), (value) => value.includes("xterm"));
      await page.context().close();
    });
  }

  it("grows the font with Ctrl+=: fewer columns and rows, and the shell sees the new size", { timeout: STEP_TIMEOUT_MS }, async () => {
    const page = await openPage(suite.baseUrl);
    const initial = await size(page);
    assert.equal(await fontSize(page), 14);
    assert.deepEqual(await sttySize(page), initial, "the PTY starts at the terminal's size");

    await press(page, "Control+Equal");
    await press(page, "Control+Equal");
    assert.equal(await fontSize(page), 16);
    const bigger = await waitFor("the terminal to refit", () => size(page), (now) => now.cols < initial.cols && now.rows < initial.rows);
    assert.deepEqual(await sttySize(page), bigger, "the PTY follows the terminal's new size");
    // The suite.browser did not zoom the page instead.
    assert.equal(await page.evaluate(() => window.visualViewport?.scale ?? 1), 1);
    assert.equal(await page.evaluate(() => window.innerWidth), 1000);

    await press(page, "Control+Minus");
    assert.equal(await fontSize(page), 15);
    await press(page, "Control+Digit0");
    assert.equal(await fontSize(page), 14);
    await waitFor("the original size", () => size(page), (now) => now.cols === initial.cols && now.rows === initial.rows);
    assert.deepEqual(await sttySize(page), initial);
    await page.context().close();
  });

  it("follows prefers-color-scheme as it changes, and a #theme= fragment overrides it", { timeout: STEP_TIMEOUT_MS }, async () => {
    const page = await openPage(suite.baseUrl, { colorScheme: "light" });
    assert.equal(await theme(page), "light");
    assert.equal(await pageBackground(page), PAGE_BACKGROUND.light);
    await showcase(page);
    await sleep(2_000); // let the "Connected" badge fade
    await page.screenshot({ path: path.join(ARTIFACTS, "settings-light.png") });

    // The system switches to dark while the page is open.
    const before = await size(page);
    await page.emulateMedia({ colorScheme: "dark" });
    await waitFor("the dark theme", () => theme(page), (value) => value === "dark");
    assert.equal(await pageBackground(page), PAGE_BACKGROUND.dark);
    assert.deepEqual(await size(page), before, "a theme keeps the cell size here");
    await sleep(300);
    await page.screenshot({ path: path.join(ARTIFACTS, "settings-dark.png") });

    // The fragment wins over the system's scheme, and stays in the address.
    await page.goto(`${suite.baseUrl}#theme=high-contrast`);
    await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
    assert.equal(await theme(page), "high-contrast");
    assert.equal(await pageBackground(page), PAGE_BACKGROUND["high-contrast"]);
    assert.equal(new URL(page.url()).hash, "#theme=high-contrast");
    await showcase(page);
    await sleep(2_000);
    await page.screenshot({ path: path.join(ARTIFACTS, "settings-high-contrast.png") });
    await page.emulateMedia({ colorScheme: "light" });
    await sleep(200);
    assert.equal(await theme(page), "high-contrast", "the system's scheme does not override the fragment");

    // An embedding page switching its theme changes only the fragment: it applies at once.
    await page.evaluate(() => {
      window.location.hash = "#theme=light";
    });
    await waitFor("the light theme from the new fragment", () => theme(page), (value) => value === "light");
    // Nothing of it was stored: a page without the fragment follows the system again.
    assert.equal(await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY), null);
    await page.context().close();
  });

  it("keeps the settings chosen in the panel across a reload", { timeout: STEP_TIMEOUT_MS }, async () => {
    const page = await openPage(suite.baseUrl);
    await showcase(page);
    await page.locator("#settings-button").click();
    const panel = page.locator("#settings");
    await panel.waitFor({ state: "visible" });
    assert.equal(await page.locator("#settings-button").getAttribute("aria-expanded"), "true");
    await panel.getByRole("radio", { name: "Bar" }).check();
    await panel.getByRole("switch", { name: "Visual bell" }).check();
    await panel.locator('button[aria-label^="Bigger"]').click();
    await panel.locator("select").selectOption({ label: "DejaVu Sans Mono" });
    assert.deepEqual(
      { ...(await settings(page)) },
      {
        fontSize: 15,
        fontFamily: "'DejaVu Sans Mono'",
        theme: "system",
        cursorStyle: "bar",
        cursorBlink: true,
        copyOnSelect: false,
        rightClickPaste: false,
        screenReaderMode: false,
        visualBell: true,
        confirmClose: true,
      },
    );
    await page.mouse.move(300, 500);
    await sleep(2_000);
    await page.screenshot({ path: path.join(ARTIFACTS, "settings-panel.png") });

    // The visual bell flashes on a BEL.
    const flashed = page.evaluate(
      () =>
        new Promise((resolve) => {
          const bell = document.getElementById("bell");
          if (bell === null) {
            resolve(false);
            return;
          }
          new MutationObserver(() => {
            if (bell.classList.contains("bell-flash")) {
              resolve(true);
            }
          }).observe(bell, { attributes: true });
          setTimeout(() => {
            resolve(false);
          }, 10_000);
        }),
    );
    await press(page, "Escape");
    await panel.waitFor({ state: "hidden" });
    await waitFor("the focus back in the terminal", () => activeElement(page), (value) => value.includes("xterm"));
    await run(page, "printf '\\a'");
    assert.equal(await flashed, true, "the visual bell flashed");

    await page.reload();
    await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
    const kept = await settings(page);
    assert.ok(kept);
    assert.deepEqual([kept.fontSize, kept.fontFamily, kept.cursorStyle, kept.visualBell], [15, "'DejaVu Sans Mono'", "bar", true]);
    assert.equal(await fontSize(page), 15);
    // Ctrl+, opens the panel, which shows them.
    await press(page, "Control+Comma");
    await panel.waitFor({ state: "visible" });
    assert.equal(await panel.locator('input[value="bar"]').isChecked(), true);
    assert.equal(await panel.locator('input[name="visualBell"]').isChecked(), true);
    assert.equal(await panel.locator(".font-size").innerText(), "15 px");

    // Reset all: the defaults, and nothing left in storage.
    await panel.getByText("Reset all").click();
    assert.equal(await fontSize(page), 14);
    assert.equal(await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY), null);
    await page.context().close();
  });

  it("fits the settings panel on a phone", { timeout: STEP_TIMEOUT_MS }, async () => {
    const page = await openPage(suite.baseUrl, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: "light",
    });
    await showcase(page);
    await page.locator("#settings-button").tap();
    const panel = page.locator("#settings");
    await panel.waitFor({ state: "visible" });
    const box = await panel.boundingBox();
    assert.ok(box);
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the panel is off the screen: ${JSON.stringify(box)}`);
    assert.ok(box.y >= 0 && box.y + box.height <= 844, `the panel is off the screen: ${JSON.stringify(box)}`);
    // Every control fits the panel's width.
    const overflowing = await page.evaluate(() => {
      const element = document.getElementById("settings");
      return element === null ? -1 : element.scrollWidth - element.clientWidth;
    });
    assert.equal(overflowing, 0);
    await sleep(2_000);
    await page.screenshot({ path: path.join(ARTIFACTS, "settings-panel-phone.png") });
    await page.context().close();
  });

  it("ran without CSP violations or script errors", () => {
    assert.deepEqual(problems, []);
  });
});
