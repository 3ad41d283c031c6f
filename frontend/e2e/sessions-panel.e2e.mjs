// @ts-check
// End-to-end test of the sessions panel and session links (docs/ui.md): the real server binary
// with authentication off (everyone owns every session) and Debian's Chromium. Two tabs with a
// session each; the panel lists both, renames one, switches a tab to the other, ends one; a
// `#session=` link opens a given session in a fresh tab and leaves the address bar. Screenshots of
// the panel go to e2e/artifacts/sessions-panel-*.png.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/sessions-panel.e2e.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import {
  ARTIFACTS,
  browserSuite,
  hookScreenText,
  hookState,
  marker,
  STEP_TIMEOUT_MS,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */

describe("the sessions panel in a real browser", { timeout: 6 * STEP_TIMEOUT_MS }, () => {
  const suite = browserSuite("sessions-panel");
  const { problems, openPage } = suite;
  /** @param {Page} page */
  const sessionId = (page) => page.evaluate(() => window.webTerminal?.sessionId() ?? null);

  /**
   * Types `command` and waits for a line of output equal to `done`.
   * @param {Page} page
   * @param {string} command
   * @param {string} done
   */
  async function runUntil(page, command, done) {
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(command);
    await page.keyboard.press("Enter");
    await waitFor(`a line "${done}"`, async () => (await hookScreenText(page)).split("\n").map((line) => line.trimEnd()), (lines) => lines.includes(done));
  }

  /**
   * Opens the panel and waits for `count` sessions in it.
   * @param {Page} page
   * @param {number} count
   */
  async function openPanel(page, count) {
    await page.locator("#sessions-button").click();
    await page.locator("#sessions").waitFor({ state: "visible" });
    await waitFor(`${String(count)} sessions in the panel`, () => page.locator("#sessions .session").count(), (found) => found === count);
  }

  /**
   * @param {Page} page
   * @param {string} id
   */
  const item = (page, id) => page.locator(`#sessions .session[data-session="${id}"]`);

  /** Filled in by the first test, used by the next. */
  const tabs = { first: "", second: "", secondText: "" };

  it("lists two sessions, renames one, switches a tab to the other and ends one", { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    const one = await openPage(suite.baseUrl);
    const two = await openPage(suite.baseUrl);
    tabs.first = (await sessionId(one)) ?? "";
    tabs.second = (await sessionId(two)) ?? "";
    assert.match(tabs.first, /^[0-9a-f]{32}$/);
    assert.match(tabs.second, /^[0-9a-f]{32}$/);
    assert.notEqual(tabs.first, tabs.second);
    tabs.secondText = marker("second");
    await runUntil(two, `PS1='$ '; clear; echo ${tabs.secondText}`, tabs.secondText);
    await runUntil(one, `PS1='$ '; clear; echo ${marker("first")}; echo first-done`, "first-done");

    // The panel lists both, the current one marked, and Escape closes it.
    await openPanel(one, 2);
    assert.equal(await item(one, tabs.first).getAttribute("aria-current"), "true");
    assert.equal(await item(one, tabs.second).getAttribute("aria-current"), null);
    assert.match(await item(one, tabs.second).locator(".session-meta:not(.session-watchers)").innerText(), /^1 viewer · started (just now|\d+ s ago) · active (just now|\d+ s ago)$/);
    await one.keyboard.press("Escape");
    await one.locator("#sessions").waitFor({ state: "hidden" });

    // Rename the other one, with the keyboard.
    await openPanel(one, 2);
    await item(one, tabs.second).getByRole("button", { name: "Rename" }).click();
    await one.keyboard.type("logs box");
    await one.keyboard.press("Enter");
    await waitFor("the new name", () => item(one, tabs.second).locator(".session-name").innerText(), (name) => name === "logs box");
    await item(one, tabs.first).getByRole("button", { name: "End" }).click();
    await one.mouse.move(10, 600);
    await one.screenshot({ path: path.join(ARTIFACTS, "sessions-panel-desktop.png") });
    await item(one, tabs.first).getByRole("button", { name: "Cancel" }).click();

    // Attach: this tab shows the other session's screen.
    await item(one, tabs.second).getByRole("button", { name: "Attach" }).click();
    await waitFor("the other session", () => sessionId(one), (id) => id === tabs.second);
    await waitFor("its screen", () => hookScreenText(one), (text) => text.includes(tabs.secondText));
    assert.equal(await hookState(one), "connected");

    // End the first session (nobody shows it now): it is gone from the list.
    await openPanel(one, 2);
    assert.equal(await item(one, tabs.second).getAttribute("aria-current"), "true");
    await item(one, tabs.first).getByRole("button", { name: "End" }).click();
    await item(one, tabs.first).getByRole("button", { name: "End session" }).click();
    await waitFor("one session left", () => one.locator("#sessions .session").count(), (found) => found === 1);
    await waitFor(
      "the server to list one session",
      async () => {
        /** @type {unknown} */
        const body = await (await fetch(`${suite.baseUrl}api/v1/sessions`)).json();
        return typeof body === "object" && body !== null && "sessions" in body && Array.isArray(body.sessions) ? body.sessions.length : -1;
      },
      (found) => found === 1,
    );
    assert.equal(await item(one, tabs.second).locator(".session-name").innerText(), "logs box");
    await one.context().close();
    await two.context().close();
  });

  it("opens the session of a #session= link in a fresh tab and takes the link out of the address", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.notEqual(tabs.second, "", "the first test made the session");
    const page = await openPage(`${suite.baseUrl}#theme=light&session=${tabs.second}`);
    assert.equal(await sessionId(page), tabs.second);
    assert.equal(page.url(), `${suite.baseUrl}#theme=light`);
    await waitFor("the linked session's screen", () => hookScreenText(page), (text) => text.includes(tabs.secondText));
    // The panel's link is the page with the session, never a token.
    const link = await page.evaluate(() => {
      const url = new URL(window.location.href);
      url.hash = "";
      return url.toString();
    });
    assert.equal(link, suite.baseUrl);

    // Reloading the tab of a live session asks first (once the page was typed in); accepted, the
    // tab comes back to the same session.
    await runUntil(page, "echo typed-here", "typed-here");
    /** @type {string[]} */
    const dialogs = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.type());
      void dialog.accept();
    });
    await page.reload();
    await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
    assert.deepEqual(dialogs, ["beforeunload"]);
    assert.equal(await sessionId(page), tabs.second);
    await page.context().close();
  });

  it("fits the sessions panel on a phone", { timeout: STEP_TIMEOUT_MS }, async () => {
    const page = await openPage(suite.baseUrl, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: "light",
    });
    await page.locator("#sessions-button").tap();
    await waitFor("2 sessions in the panel", () => page.locator("#sessions .session").count(), (found) => found === 2);
    const current = (await sessionId(page)) ?? "";
    await item(page, tabs.second).getByRole("button", { name: "Share" }).tap();
    const box = await page.locator("#sessions").boundingBox();
    assert.ok(box);
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the panel is off the screen: ${JSON.stringify(box)}`);
    assert.ok(box.y >= 0 && box.y + box.height <= 844, `the panel is off the screen: ${JSON.stringify(box)}`);
    const overflowing = await page.evaluate(() => {
      const element = document.getElementById("sessions");
      return element === null ? -1 : element.scrollWidth - element.clientWidth;
    });
    assert.equal(overflowing, 0);
    assert.equal(await item(page, current).getAttribute("aria-current"), "true");
    await page.screenshot({ path: path.join(ARTIFACTS, "sessions-panel-phone.png") });
    await page.context().close();
  });

  it("ran without CSP violations or script errors", () => {
    assert.deepEqual(problems, []);
  });
});
