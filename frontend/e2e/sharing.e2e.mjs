// @ts-check
// End-to-end test of sharing, presence and replay (docs/sessions.md): the real server binary with
// authentication on (a JWKS and tokens made here) and recordings on, and Debian's Chromium with
// two browser contexts, alice's and bob's. Alice shares her session with bob to watch; bob sees
// her output live, types in vain under the Read-only badge, shows up in her panel as watching,
// and is told when she revokes. Then alice replays the recording from her panel, on desktop and
// phone, light and dark. Screenshots go to e2e/artifacts/sharing-*.png and replay-*.png.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/sharing.e2e.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  ARTIFACTS,
  ISSUER,
  es256Key,
  jwksServer,
  mintToken,
  STEP_TIMEOUT_MS,
  close,
  hookScreenText,
  hookState,
  listen,
  marker,
  statusBarText,
  waitFor,
  browserSuite,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */

/**
 * Collects `page`'s script errors and console errors (a CSP violation is one) into `problems`.
 * @param {Page} page
 * @param {string[]} problems
 */
function watchForProblems(page, problems) {
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
}

/**
 * The replay page's screen, row by row (xterm.js's DOM renderer).
 * @param {Page} page
 */
const replayText = (page) => page.evaluate(() => Array.from(document.querySelectorAll(".replay-screen .xterm-rows > div"), (row) => row.textContent.trimEnd()).join("\n"));

describe("sharing, presence and replay in a real browser", { timeout: 6 * STEP_TIMEOUT_MS }, () => {
  const key = es256Key();
  const jwks = jwksServer(key);
  const suite = browserSuite("sharing", {
    env: async (workDir) => ({
      AUTH_ENABLED: "true",
      AUTH_JWKS_PROVIDERS: JSON.stringify([{ name: "e2e", url: `http://127.0.0.1:${await listen(jwks)}/jwks`, issuer: ISSUER }]),
      AUTH_ALLOWED_USERS: JSON.stringify(["user:default/alice", "user:default/bob"]),
      AUTH_AUDIT_LOG_FILE: path.join(workDir, "audit.log"),
      WEB_TERMINAL_RECORDING_DIR: path.join(workDir, "recordings"),
    }),
    stop: "SIGKILL",
  });
  const { problems, openPage } = suite;
  after(async () => {
    await close(jwks);
  });
  let session = "";
  let tag = "";
  /** @type {Page | undefined} */
  let alice;

  it("shares to watch: bob sees it live, cannot type, is listed as watching, and is told of the revoke", { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    alice = await openPage(`${suite.baseUrl}#token=${mintToken(key, "user:default/alice")}`, { viewport: { width: 1100, height: 700 } });
    session = (await alice.evaluate(() => window.webTerminal?.sessionId())) ?? "";
    tag = marker("shared");
    await alice.focus(".xterm-helper-textarea");
    await alice.keyboard.type(`printf '\\033[1;32m%s\\033[0m\\n' ${tag}-before`);
    await alice.keyboard.press("Enter");

    await alice.locator("#sessions-button").click();
    const item = alice.locator(`#sessions .session[data-session="${session}"]`);
    await item.getByRole("button", { name: "Share" }).click();
    await item.getByRole("textbox", { name: "User or group" }).fill("bob");
    await item.getByRole("combobox", { name: "Role" }).selectOption("view");
    await item.locator(".share-form").getByRole("button", { name: "Share" }).click();
    await waitFor("the share listed", () => item.locator(".share").allInnerTexts(), (shares) => shares.length === 1);

    // Bob's window is smaller than alice's.
    const bob = await openPage(`${suite.baseUrl}#token=${mintToken(key, "user:default/bob")}&session=${session}`, { viewport: { width: 760, height: 520 } });
    assert.equal(await bob.evaluate(() => window.webTerminal?.role()), "view");
    await bob.locator("#read-only").waitFor({ state: "visible" });
    await waitFor("what alice typed before", () => hookScreenText(bob), (text) => text.includes(`${tag}-before`));

    // Live: what alice runs now appears on bob's screen.
    await alice.focus(".xterm-helper-textarea");
    await alice.keyboard.type(`echo ${tag}-live-$((6*7))`);
    await alice.keyboard.press("Enter");
    await waitFor("alice's output, live", () => hookScreenText(bob), (text) => text.includes(`${tag}-live-42`));

    // Bob only watches, so his terminal has the session's size (alice's), not his window's: her
    // long lines wrap where they wrap for her, and his screen is hers, row for row.
    const size = (/** @type {Page} */ page) => page.evaluate(() => window.webTerminal?.size());
    const aliceSize = await size(alice);
    assert.deepEqual(await size(bob), aliceSize);
    await alice.keyboard.type(`printf '%s' ${tag}-wide; printf '%.0s=' $(seq 1 200); echo`);
    await alice.keyboard.press("Enter");
    const owner = alice;
    const same = async () => (await hookScreenText(bob)) === (await hookScreenText(owner));
    await waitFor("bob's screen to be alice's", same, (equal) => equal);
    // Alice's window changes: bob's terminal follows, in order with her output.
    await alice.setViewportSize({ width: 900, height: 560 });
    const resized = await waitFor("alice's terminal to refit", () => size(owner), (now) => now?.cols !== aliceSize?.cols);
    await waitFor("bob's terminal to follow", () => size(bob), (now) => now?.cols === resized?.cols && now?.rows === resized?.rows);
    await alice.keyboard.type(`echo ${tag}-resized-$((6*7))`);
    await alice.keyboard.press("Enter");
    await waitFor("alice's output after the resize", () => hookScreenText(bob), (text) => text.includes(`${tag}-resized-42`));
    await waitFor("bob's screen to be alice's after the resize", same, (equal) => equal);
    // Bob's window gets shorter than the part of her screen above her prompt: it follows the cursor.
    await bob.setViewportSize({ width: 760, height: 200 });
    const cursorInView = () =>
      bob.evaluate(() => {
        const box = document.getElementById("terminal");
        const screen = box?.querySelector(".xterm-screen");
        const hook = window.webTerminal;
        if (box === null || screen === null || screen === undefined || hook === undefined) {
          return false;
        }
        const rowHeight = screen.clientHeight / hook.size().rows;
        const top = screen.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop + hook.cursor().y * rowHeight;
        return box.scrollHeight > box.clientHeight && top >= box.scrollTop && top + rowHeight <= box.scrollTop + box.clientHeight + 1;
      });
    await waitFor("bob's window to show alice's prompt", cursorInView, (inView) => inView);
    // Her output moves the cursor further down: his window follows it there.
    await alice.keyboard.type(`seq 1 5; echo ${tag}-more-$((6*7))`);
    await alice.keyboard.press("Enter");
    await waitFor("alice's next lines", () => hookScreenText(bob), (text) => text.includes(`${tag}-more-42`));
    await waitFor("bob's window to follow alice's prompt", cursorInView, (inView) => inView);

    // Bob types: nothing reaches the shell, on either screen.
    await bob.focus(".xterm-helper-textarea");
    await bob.keyboard.type("echo from-bob-$((6*7))");
    await bob.keyboard.press("Enter");
    await alice.focus(".xterm-helper-textarea");
    await alice.keyboard.type(`echo ${tag}-after-$((6*7))`);
    await alice.keyboard.press("Enter");
    await waitFor("alice's next output", () => hookScreenText(bob), (text) => text.includes(`${tag}-after-42`));
    for (const page of [alice, bob]) {
      const screen = await hookScreenText(page);
      assert.ok(!screen.includes("from-bob"), `bob's keys reached the shell:\n${screen}`);
    }
    assert.equal(await bob.locator("#read-only").innerText(), "Read-only");

    // Alice's open panel refreshes by itself and shows bob watching, without his role to him.
    await waitFor("bob in alice's panel", () => item.locator(".session-watchers").innerText(), (text) => text.includes("bob (view)"));
    assert.match(await item.locator(".session-watchers").innerText(), /Watching:\s*you\s+bob \(view\)/);
    await item.getByRole("button", { name: "Done" }).click();
    await alice.screenshot({ path: path.join(ARTIFACTS, "sharing-panel-presence.png") });
    await bob.screenshot({ path: path.join(ARTIFACTS, "sharing-viewer-read-only.png") });
    // Alice's screen is wider than bob's window: he scrolls to see the rest of it.
    const scrolls = () => bob.evaluate(() => { const box = document.getElementById("terminal"); return box !== null && box.scrollWidth > box.clientWidth; });
    assert.equal(await scrolls(), true);
    // In a larger window it stays at alice's size.
    await bob.setViewportSize({ width: 1200, height: 760 });
    await waitFor("bob's terminal to stay at alice's size", () => size(bob), (now) => now?.cols === resized?.cols && now?.rows === resized?.rows);
    assert.equal(await scrolls(), false);
    await bob.screenshot({ path: path.join(ARTIFACTS, "sharing-viewer-larger-window.png") });

    // Revoked: bob is told at once.
    await item.getByRole("button", { name: "Share" }).click();
    await item.getByRole("button", { name: "Revoke" }).click();
    await waitFor("bob shut out", () => hookState(bob), (value) => value === "access-denied");
    assert.match(await statusBarText(bob), /The owner withdrew or changed your share of this session/);
    assert.equal(await bob.locator("#read-only").isVisible(), false);
    await bob.screenshot({ path: path.join(ARTIFACTS, "sharing-viewer-revoked.png") });
    await waitFor("bob gone from the panel", () => item.locator(".session-watchers").innerText(), (text) => !text.includes("bob"));
    await bob.context().close();
  });

  it("replays the recording from the panel, with pause and seek, the token never in the address", { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    assert.ok(alice && suite.browser);
    const item = alice.locator(`#sessions .session[data-session="${session}"]`);
    const [replay] = await Promise.all([alice.context().waitForEvent("page"), item.getByRole("button", { name: "Replay" }).click()]);
    watchForProblems(replay, problems);
    await replay.waitForLoadState();
    assert.ok(!replay.url().includes("token"), replay.url());
    assert.match(replay.url(), /\/replay\.html$/, "the session id leaves the address too");
    await waitFor("the replayed output", () => replayText(replay), (text) => text.includes(`${tag}-after-42`));
    const replayed = await replayText(replay);
    assert.ok(replayed.includes(`${tag}-before`) && replayed.includes(`${tag}-live-42`), replayed);
    assert.ok(!replayed.includes("from-bob"), "bob's keys are not in the recording");

    // Pause, back to the start (a blank screen), then to the end again.
    const play = replay.locator(".replay-play");
    await waitFor("the replay to finish", () => play.innerText(), (text) => text === "Play");
    await replay.locator(".replay-stage").click();
    await replay.keyboard.press("Home");
    await waitFor("the start", () => replayText(replay), (text) => !text.includes(tag));
    assert.equal(await replay.locator(".replay-time").innerText(), `0:00 / ${(await replay.locator(".replay-time").innerText()).split(" / ")[1] ?? ""}`);
    await replay.keyboard.press("End");
    await waitFor("the end again", () => replayText(replay), (text) => text.includes(`${tag}-after-42`));
    await replay.screenshot({ path: path.join(ARTIFACTS, "replay-desktop-dark.png") });
    await replay.close();

    // The page on its own, as a bookmark would open it, desktop and phone, light and dark.
    const token = mintToken(key, "user:default/alice");
    for (const [name, options] of /** @type {const} */ ([
      ["desktop-light", { viewport: { width: 1100, height: 700 }, colorScheme: "light" }],
      ["phone-dark", { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "dark" }],
      ["phone-light", { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "light" }],
      ["desktop-high-contrast", { viewport: { width: 1100, height: 700 }, colorScheme: "dark" }],
    ])) {
      const context = await suite.browser.newContext(options);
      const page = await context.newPage();
      watchForProblems(page, problems);
      // The theme setting comes along in the fragment, as on the terminal page.
      const theme = name.endsWith("high-contrast") ? "&theme=high-contrast" : "";
      await page.goto(`${suite.baseUrl}replay.html#token=${token}&session=${session}${theme}`);
      await waitFor(`the replay (${name})`, () => replayText(page), (text) => text.includes(`${tag}-after-42`));
      assert.ok(!page.url().includes("token"), page.url());
      await page.locator(".replay-speed").selectOption("2");
      await page.screenshot({ path: path.join(ARTIFACTS, `replay-${name}.png`) });
      await context.close();
    }
    assert.deepEqual(problems, []);
  });
});
