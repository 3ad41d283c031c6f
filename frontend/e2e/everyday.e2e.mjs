// @ts-check
// End-to-end test of OSC 52 (clipboard), OSC 8 (hyperlinks), sixel images, whole-word find and
// prefers-contrast (docs/ui.md): the real server binary and Debian's Chromium through
// playwright-core. Screenshots of the link tooltip and the link confirmation (desktop and phone,
// light and dark) and of the sixel image go to e2e/artifacts/everyday-*.png.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/everyday.e2e.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  ARTIFACTS,
  browserSuite,
  hookScreenText,
  marker,
  sleep,
  statusBarText,
  STEP_TIMEOUT_MS,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */

/** A 24×24 solid red sixel image: raster 24×24, colour 1 as RGB 100% red, four bands of six rows. */
const RED_SIXEL = String.raw`\eP0;1;0q"1;1;24;24#1;2;100;0;0#1!24~-#1!24~-#1!24~-#1!24~\e\\`;
const LINK_TARGET = "https://example.com/real-target";

describe("clipboard, links, images, whole-word find and contrast in a real browser", { timeout: 10 * STEP_TIMEOUT_MS }, () => {
  // Every test opens a session of its own, and they live on for the grace period.
  const suite = browserSuite("everyday", { env: () => ({ LANG: "C.UTF-8", LC_ALL: "C.UTF-8", WEB_TERMINAL_MAX_SESSIONS_PER_USER: "32" }) });
  const { problems, openPage } = suite;
  after(() => {
    assert.deepEqual(problems, [], "no console errors or page errors");
  });

  /** @param {Page} page */
  const screenLines = async (page) => (await hookScreenText(page)).split("\n").map((line) => line.trimEnd());

  /**
   * Runs `command` (typed, as a person would) and waits for a line of output equal to `done`.
   * @param {Page} page
   * @param {string} command
   * @param {string} done
   */
  async function runUntil(page, command, done) {
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
    await waitFor(`a line "${done}"`, () => screenLines(page), (lines) => lines.includes(done));
  }

  /**
   * The centre, in page pixels, of the cell at column `col` of the first screen row that starts
   * with `prefix`.
   * @param {Page} page
   * @param {string} prefix
   * @param {number} col
   */
  async function cellCentre(page, prefix, col) {
    const lines = await screenLines(page);
    const row = lines.findIndex((line) => line.startsWith(prefix));
    assert.ok(row >= 0, `no row starts with ${prefix}: ${lines.join("|")}`);
    const box = await page.locator(".xterm-screen").boundingBox();
    const size = await page.evaluate(() => window.webTerminal?.size() ?? { cols: 0, rows: 0 });
    assert.ok(box !== null && size.cols > 0);
    return { x: box.x + (col + 0.5) * (box.width / size.cols), y: box.y + (row + 0.5) * (box.height / size.rows) };
  }

  /** @param {Page} page */
  const tooltip = (page) => page.evaluate(() => window.webTerminal?.linkTooltip() ?? null);
  /** @param {Page} page */
  const dialogOpen = (page) => page.evaluate(() => document.getElementById("link-dialog")?.hidden === false);

  /**
   * Prints an OSC 8 link whose text ("the docs") is not its target, on a row of its own.
   * @param {Page} page
   */
  async function printLink(page) {
    const done = marker("linked");
    await runUntil(page, `clear; printf 'see \\e]8;;${LINK_TARGET}\\e\\\\the docs\\e]8;;\\e\\\\ for more\\n'; echo ${done}`, done);
    return cellCentre(page, "see the docs", 6);
  }

  /**
   * Red pixels (R > 200, G and B < 60) in a screenshot of the terminal's screen.
   * @param {Page} page
   */
  async function redPixels(page) {
    const png = await page.locator(".xterm-screen").screenshot();
    return page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext("2d");
      if (context === null) {
        return -1;
      }
      context.drawImage(bitmap, 0, 0);
      const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      let red = 0;
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i] ?? 0) > 200 && (data[i + 1] ?? 255) < 60 && (data[i + 2] ?? 255) < 60) {
          red++;
        }
      }
      return red;
    }, png.toString("base64"));
  }

  it("writes OSC 52 text to the clipboard, and never answers an OSC 52 read", async () => {
    const page = await openPage(suite.baseUrl, { permissions: ["clipboard-read", "clipboard-write"] });
    const text = marker("copied");
    const done = marker("sent");
    await runUntil(page, `printf '\\e]52;c;%s\\a' "$(printf '${text}' | base64)"; echo ${done}`, done);
    await waitFor("the clipboard to hold the text", () => page.evaluate(() => navigator.clipboard.readText()), (value) => value === text, 5_000);

    // A read request: nothing may come back to the shell (it would arrive as typed input, and
    // `read` would take it). The clipboard holds a secret the shell must not learn.
    const secret = marker("secret");
    await page.evaluate((value) => navigator.clipboard.writeText(value), secret);
    const replied = marker("replied");
    await runUntil(page, `printf '\\e]52;c;?\\a'; read -r -s -t 2 -d '' reply; echo "${replied}=[\${#reply}]"`, `${replied}=[0]`);
    assert.ok(!(await hookScreenText(page)).includes(secret), "the clipboard's text is not on the screen");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, "a read request changes nothing");
    await page.context().close();
  });

  it("shows an OSC 8 link's target on hover and opens it only with Ctrl after the confirmation", async () => {
    const page = await openPage(suite.baseUrl);
    const context = page.context();
    await context.route("https://example.com/**", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<title>target</title>opened" }));
    /** @type {import("playwright-core").Page[]} */
    const popups = [];
    context.on("page", (opened) => popups.push(opened));

    const link = await printLink(page);
    await page.mouse.move(link.x, link.y);
    await waitFor("the tooltip with the target", () => tooltip(page), (shown) => shown === LINK_TARGET, 5_000);
    const hint = await page.evaluate(() => document.getElementById("link-tooltip")?.textContent ?? "");
    assert.match(hint, /Ctrl\+click to open/);

    // A plain click: nothing opens, nothing asks.
    await page.mouse.click(link.x, link.y);
    await sleep(500);
    assert.equal(await dialogOpen(page), false);
    assert.equal(popups.length, 0);

    // Ctrl+click: our question, with the real target; Cancel opens nothing. (Out and back in:
    // xterm.js finds the link under the pointer again after a click.)
    await page.mouse.move(link.x, link.y + 200);
    await page.mouse.move(link.x, link.y);
    await waitFor("the tooltip again", () => tooltip(page), (shown) => shown === LINK_TARGET, 5_000);
    await page.keyboard.down("Control");
    await page.mouse.click(link.x, link.y);
    await page.keyboard.up("Control");
    await waitFor("the link dialog", () => dialogOpen(page), (open) => open, 5_000);
    assert.equal(await page.locator("#link-dialog .link-text").textContent(), "the docs");
    assert.equal(await page.locator("#link-dialog .link-target").textContent(), LINK_TARGET);
    await page.locator("#link-dialog button", { hasText: "Cancel" }).click();
    await sleep(500);
    assert.equal(await dialogOpen(page), false);
    assert.equal(popups.length, 0, "cancel opens nothing");

    // Ctrl+click, then Open link: a new tab at the target.
    await page.mouse.move(link.x, link.y + 200);
    await page.mouse.move(link.x, link.y);
    await waitFor("the tooltip again", () => tooltip(page), (shown) => shown === LINK_TARGET, 5_000);
    await page.keyboard.down("Control");
    await page.mouse.click(link.x, link.y);
    await page.keyboard.up("Control");
    await waitFor("the link dialog", () => dialogOpen(page), (open) => open, 5_000);
    await page.locator("#link-dialog button", { hasText: "Open link" }).click();
    await waitFor("the new tab", () => Promise.resolve(popups.map((popup) => popup.url())), (urls) => urls.includes(LINK_TARGET), 10_000);
    assert.equal(popups.length, 1);
    assert.equal(await popups[0]?.evaluate(() => window.opener === null), true, "the new tab has no opener");
    await popups[0]?.close();
    await page.bringToFront();

    // A file: link is refused with a word.
    const done = marker("file-link");
    await runUntil(page, `clear; printf '\\e]8;;file:///etc/passwd\\e\\\\passwords\\e]8;;\\e\\\\\\n'; echo ${done}`, done);
    const file = await cellCentre(page, "passwords", 3);
    await page.mouse.move(file.x, file.y + 200);
    await page.mouse.move(file.x, file.y);
    await waitFor("the tooltip with the file target", () => tooltip(page), (shown) => shown === "file:///etc/passwd", 5_000);
    await page.keyboard.down("Control");
    await page.mouse.click(file.x, file.y);
    await page.keyboard.up("Control");
    await waitFor("the refusal", () => statusBarText(page), (text) => text.includes("Links to file: are not opened"), 5_000);
    assert.equal(await dialogOpen(page), false);
    assert.equal(popups.length, 1);
    await context.close();
  });

  for (const renderer of /** @type {const} */ (["dom", "webgl"])) {
    it(`draws a sixel image with the ${renderer} renderer`, async () => {
      const page = await openPage(`${suite.baseUrl}?renderer=${renderer}`);
      assert.equal(await page.evaluate(() => window.webTerminal?.renderer()), renderer);
      assert.equal(await redPixels(page), 0, "no red before the image");
      const done = marker("drawn");
      await runUntil(page, `clear; printf '${RED_SIXEL}'; echo; echo ${done}`, done);
      assert.equal(await page.evaluate(() => window.webTerminal?.imagesLoaded()), true);
      assert.ok(
        !(await statusBarText(page)).includes("Images could not be loaded"),
        "the image addon did not load: the server's Content-Security-Policy must allow WebAssembly ('wasm-unsafe-eval' in script-src; docs/ui.md, Inline images)",
      );
      // 24 × 24 CSS pixels at a device scale of 1; allow for edges.
      const red = await waitFor("the red square", () => redPixels(page), (count) => count >= 24 * 24 * 0.9, 5_000);
      assert.ok(red <= 24 * 24 * 1.1, `about 576 red pixels, not ${red}`);
      await page.locator(".xterm-screen").screenshot({ path: path.join(ARTIFACTS, `everyday-sixel-${renderer}.png`) });
      await page.context().close();
    });
  }

  it("an image sent before the addon is loaded is drawn, and the text after it follows it", async () => {
    // The idle load is held back: the page's requestIdleCallback never runs its callback.
    assert.ok(suite.browser);
    const context = await suite.browser.newContext({ viewport: { width: 1000, height: 640 }, colorScheme: "dark" });
    await context.addInitScript(() => {
      Object.defineProperty(window, "requestIdleCallback", { value: () => 0 });
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto(suite.baseUrl);
    await waitFor("a connected terminal", () => page.evaluate(() => window.webTerminal?.state()), (state) => state === "connected");
    assert.equal(await page.evaluate(() => window.webTerminal?.imagesLoaded()), false);
    const done = marker("after-image");
    await runUntil(page, `clear; printf 'above\\n${RED_SIXEL}\\n'; echo ${done}`, done);
    assert.equal(await page.evaluate(() => window.webTerminal?.imagesLoaded()), true);
    assert.ok(
      !(await statusBarText(page)).includes("Images could not be loaded"),
      "the image addon did not load: the server's Content-Security-Policy must allow WebAssembly ('wasm-unsafe-eval' in script-src; docs/ui.md, Inline images)",
    );
    await waitFor("the red square", () => redPixels(page), (count) => count >= 24 * 24 * 0.9, 5_000);
    const lines = await screenLines(page);
    const above = lines.indexOf("above");
    const after = lines.indexOf(done);
    assert.ok(above >= 0 && after > above + 1, `the image takes rows between the text: ${lines.join("|")}`);
    assert.ok(!lines.some((line) => line.includes("~~") || line.includes("#1")), "no image data on the screen");
    await context.close();
  });

  it("finds whole words only with the whole-word toggle", async () => {
    const page = await openPage(suite.baseUrl);
    const done = marker("words");
    await runUntil(page, `clear; echo 'concat cat cats cat-tail'; echo ${done}`, done);
    await page.keyboard.press("Control+Shift+F");
    await page.keyboard.type("cat");
    /** @param {Page} p */
    const results = (p) => p.evaluate(() => window.webTerminal?.searchResults() ?? null);
    const all = await waitFor("every match", () => results(page), (value) => value !== null && value.count >= 4, 10_000);
    assert.ok(all !== null);
    await page.locator('#find button[aria-label="Whole word"]').click();
    const whole = await waitFor("whole-word matches", () => results(page), (value) => value !== null && value.count < all.count, 5_000);
    assert.ok(whole !== null);
    // The output line has "cat" four times, two of them words ("cat", and in "cat-tail"), one
    // of those after a "cat" inside "concat".
    assert.deepEqual([all.count, whole.count], [4, 2]);
    await page.context().close();
  });

  it("picks the high-contrast theme for prefers-contrast: more while the theme is system", async () => {
    const page = await openPage(suite.baseUrl, { contrast: "more", colorScheme: "light" });
    assert.equal(await page.evaluate(() => window.webTerminal?.theme()), "high-contrast");
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(0, 0, 0)");
    await page.emulateMedia({ contrast: "no-preference" });
    await waitFor("the light theme", () => page.evaluate(() => window.webTerminal?.theme()), (theme) => theme === "light", 5_000);
    await page.context().close();
    const chosen = await openPage(`${suite.baseUrl}#theme=dark`, { contrast: "more" });
    assert.equal(await chosen.evaluate(() => window.webTerminal?.theme()), "dark", "a chosen theme stays");
    await chosen.context().close();
  });

  for (const [device, options] of /** @type {const} */ ([
    ["desktop", { viewport: { width: 1000, height: 640 } }],
    ["phone", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
  ])) {
    for (const scheme of /** @type {const} */ (["light", "dark"])) {
      it(`shows the link tooltip and the confirmation tidily (${device}, ${scheme})`, async () => {
        const page = await openPage(suite.baseUrl, { ...options, colorScheme: scheme });
        const link = await printLink(page);
        await page.mouse.move(link.x, link.y);
        await waitFor("the tooltip", () => tooltip(page), (shown) => shown === LINK_TARGET, 5_000);
        await page.screenshot({ path: path.join(ARTIFACTS, `everyday-link-tooltip-${device}-${scheme}.png`) });
        await page.keyboard.down("Control");
        await page.mouse.click(link.x, link.y);
        await page.keyboard.up("Control");
        await waitFor("the link dialog", () => dialogOpen(page), (open) => open, 5_000);
        await page.screenshot({ path: path.join(ARTIFACTS, `everyday-link-dialog-${device}-${scheme}.png`) });
        await page.keyboard.press("Escape");
        assert.equal(await dialogOpen(page), false);
        await page.context().close();
      });
    }
  }
});
