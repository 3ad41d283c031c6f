// @ts-check
// End-to-end test of the UI with authentication on: the real server binary trusting a JWKS this
// test serves over HTTP (an ES256 key generated here), tokens minted here, and Debian's
// Chromium through playwright-core.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/auth.e2e.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ARTIFACTS,
  ISSUER,
  es256Key,
  jwksServer,
  mintToken,
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
  statusBarText,
  waitFor,
} from "./support.mjs";

/**
 * Authentication on, trusting the JWKS at `jwksUrl` and allowing alice and bob.
 * @param {string} workDir
 * @param {string} jwksUrl
 */
function authEnv(workDir, jwksUrl) {
  return {
    AUTH_ENABLED: "true",
    AUTH_JWKS_PROVIDERS: JSON.stringify([{ name: "e2e", url: jwksUrl, issuer: ISSUER }]),
    AUTH_ALLOWED_USERS: JSON.stringify(["user:default/alice", "user:default/bob"]),
    AUTH_AUDIT_LOG_FILE: path.join(workDir, "audit.log"),
  };
}

describe("web-terminal in a real browser, with authentication on", { timeout: 4 * STEP_TIMEOUT_MS }, () => {
  const key = es256Key();
  const jwks = jwksServer(key);
  /** @type {Server | undefined} */
  let server;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  let baseUrl = "";
  let workDir = "";

  /**
   * A fresh page (its own sessionStorage) at `url`.
   * @param {string} url
   */
  async function openPage(url) {
    assert.ok(browser);
    const context = await browser.newContext({ viewport: { width: 900, height: 560 } });
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  before(async () => {
    workDir = await prepare("web-terminal-auth-e2e-");
    const jwksUrl = `http://127.0.0.1:${await listen(jwks)}/jwks`;

    const port = await freePort();
    server = new Server(port, workDir, authEnv(workDir, jwksUrl));
    // /ready turns 200 once the JWKS has loaded.
    await server.ready();
    baseUrl = server.url;

    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop("SIGKILL");
    await close(jwks);
    await saveArtifact("auth-server.log", server?.log ?? "");
    await removeWorkDir(workDir);
  });

  it("shows sign-in required on a page without a token", { timeout: STEP_TIMEOUT_MS }, async () => {
    /** @type {unknown} */
    const config = await (await fetch(`${baseUrl}api/v1/ui-config`)).json();
    assert.deepEqual(config, { auth: true, embed_origins: [], transfer_max_bytes: 104_857_600 });
    const page = await openPage(baseUrl);
    await waitFor("the sign-in state", () => hookState(page), (value) => value === "sign-in-required");
    assert.match(await statusBarText(page), /sign-in required/i);
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-sign-in-required.png") });
    await page.context().close();
  });

  it("opens a shell with a valid token in the fragment, and removes it from the URL", { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = mintToken(key, "user:default/alice");
    const page = await openPage(`${baseUrl}#token=${token}`);
    await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
    assert.ok(!page.url().includes("token"), `the token is still in the URL: ${page.url()}`);
    assert.equal(await page.evaluate(() => window.location.hash), "");
    const tag = marker("auth");
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(`echo ${tag}-$((6*7)) "$PWD"`);
    await page.keyboard.press("Enter");
    const screen = await waitFor(
      "the command's output",
      () => hookScreenText(page),
      (text) => text.includes(`${tag}-42`),
    );
    // The shell runs in alice's own workspace, not the shared one.
    assert.match(screen, new RegExp(`${tag}-42 .*/workspaces/user-default-alice-[0-9a-f]{16}`));
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-connected.png") });
    await page.context().close();
  });

  it("signs in with a token that shares the fragment with settings, which stay and apply", { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = mintToken(key, "user:default/alice");
    const page = await openPage(`${baseUrl}#token=${token}&fontSize=18&theme=high-contrast`);
    await waitFor("a connected terminal", () => hookState(page), (value) => value === "connected");
    // The server took the token, so it was read whole; the settings are left in the address.
    assert.equal(await page.evaluate(() => window.location.hash), "#fontSize=18&theme=high-contrast");
    assert.equal(await page.evaluate(() => window.webTerminal?.fontSize()), 18);
    assert.equal(await page.evaluate(() => window.webTerminal?.theme()), "high-contrast");
    // Nowhere but the tab's sessionStorage: not the address, not the settings in localStorage.
    const stored = await page.evaluate(() => Object.entries(localStorage).join("\n"));
    assert.ok(!stored.includes(token), "the token reached localStorage");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("web-terminal.token")), token);
    await page.context().close();
  });

  it("shows access denied to a valid but unlisted user", { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = mintToken(key, "user:default/mallory");
    const page = await openPage(`${baseUrl}#token=${token}`);
    await waitFor("the access-denied state", () => hookState(page), (value) => value === "access-denied");
    assert.match(await statusBarText(page), /access denied/i);
    assert.ok(!page.url().includes("token"));
    await page.screenshot({ path: path.join(ARTIFACTS, "auth-access-denied.png") });
    await page.context().close();
  });

  it("shares a session from the sessions panel to watch: the viewer sees Read-only, and a revoke shuts them out", { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    const alice = await openPage(`${baseUrl}#token=${mintToken(key, "user:default/alice")}`);
    await waitFor("alice connected", () => hookState(alice), (value) => value === "connected");
    const session = (await alice.evaluate(() => window.webTerminal?.sessionId())) ?? "";
    assert.equal(await alice.evaluate(() => window.webTerminal?.role()), "owner");
    const tag = marker("shared");
    await alice.focus(".xterm-helper-textarea");
    await alice.keyboard.type(`echo ${tag}`);
    await alice.keyboard.press("Enter");

    // Alice shares it with bob, to watch.
    await alice.locator("#sessions-button").click();
    const item = alice.locator(`#sessions .session[data-session="${session}"]`);
    await item.getByRole("button", { name: "Share" }).click();
    await item.getByRole("textbox", { name: "User or group" }).fill("bob");
    await item.getByRole("combobox", { name: "Role" }).selectOption("view");
    await item.locator(".share-form").getByRole("button", { name: "Share" }).click();
    await waitFor("the share listed", () => item.locator(".share").allInnerTexts(), (shares) => shares.length === 1 && shares[0]?.includes("user:default/bob") === true);
    // A refusal is shown as the server said it.
    await item.getByRole("textbox", { name: "User or group" }).fill("component:build");
    await item.locator(".share-form").getByRole("button", { name: "Share" }).click();
    await waitFor("the refusal", () => alice.locator(".sessions-message").innerText(), (text) => text === "subject must be a user or group entity ref");
    await alice.screenshot({ path: path.join(ARTIFACTS, "sessions-panel-share.png") });

    // Bob follows a link to it: read-only, and says so for as long as he watches.
    const bob = await openPage(`${baseUrl}#token=${mintToken(key, "user:default/bob")}&session=${session}`);
    await waitFor("bob connected", () => hookState(bob), (value) => value === "connected");
    assert.equal(await bob.evaluate(() => window.webTerminal?.sessionId()), session);
    assert.equal(await bob.evaluate(() => window.webTerminal?.role()), "view");
    assert.equal(bob.url(), baseUrl);
    await waitFor("alice's screen", () => hookScreenText(bob), (text) => text.includes(tag));
    await bob.locator("#read-only").waitFor({ state: "visible" });
    assert.equal(await bob.locator("#read-only").innerText(), "Read-only");
    await bob.screenshot({ path: path.join(ARTIFACTS, "sessions-read-only.png") });

    // Alice revokes: bob is shut out (4403).
    await item.getByRole("button", { name: "Revoke" }).click();
    await waitFor("the share gone", () => item.locator(".share").count(), (count) => count === 0);
    await waitFor("bob shut out", () => hookState(bob), (value) => value === "access-denied");
    assert.equal(await bob.locator("#read-only").isVisible(), false);
    await alice.context().close();
    await bob.context().close();
  });
});
