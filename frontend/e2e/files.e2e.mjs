// @ts-check
// End-to-end test of file transfer (docs/ui.md, "Files: upload and download"): the real server
// binary with authentication on (a JWKS and tokens made here) and Debian's Chromium. Alice uploads
// through the upload button's file picker into the directory her shell has `cd`ed into, and drops
// a file named "../escape.txt", which the server refuses; `web-terminal download FILE` in her shell
// hands a file to her browser, once (not again from the snapshot of a reload); bob, with a share
// to watch, has no upload button, has his drops refused and takes no offer. Screenshots of the
// transfer cards, on desktop and phone, light and dark, go to e2e/artifacts/files-*.png.
//
//   WEB_TERMINAL_BIN=../target/debug/web-terminal node --test e2e/files.e2e.mjs
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ARTIFACTS,
  BIN,
  ISSUER,
  es256Key,
  jwksServer,
  mintToken,
  STEP_TIMEOUT_MS,
  Server,
  close,
  freePort,
  hookScreenText,
  launchChromium,
  listen,
  marker,
  openConnectedPage,
  prepare,
  removeWorkDir,
  saveArtifact,
  waitFor,
} from "./support.mjs";

/** @typedef {import("./support.mjs").Page} Page */

/** The server's upload limit here: small, so that the test can go over it cheaply. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Types `command` and Enter, then waits for `done` on the screen.
 * @param {Page} page
 * @param {string} command
 * @param {string} done
 */
async function run(page, command, done) {
  await page.focus(".xterm-helper-textarea");
  await page.keyboard.type(command);
  await page.keyboard.press("Enter");
  await waitFor(`"${done}" after ${command}`, () => hookScreenText(page), (text) => text.includes(done));
}

/**
 * `cd`s the page's shell into a new temporary directory and returns it.
 * @param {Page} page
 */
async function freshDirectory(page) {
  const directory = await mkdtemp(path.join(tmpdir(), "web-terminal-files-e2e-"));
  const tag = marker("cd");
  // The marker is built by the shell, so the typed command itself does not match.
  await run(page, `cd ${directory} && echo ${tag}-$((6*7))`, `${tag}-42`);
  return directory;
}

/**
 * The transfer cards: each one's name, state and detail line.
 * @param {Page} page
 */
const cards = (page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll("#transfers .transfer"), (card) => ({
      name: card.querySelector(".transfer-name")?.textContent ?? "",
      state: card.getAttribute("data-state") ?? "",
      detail: card.querySelector(".transfer-detail")?.textContent ?? "",
      percent: card.querySelector(".transfer-percent")?.textContent ?? "",
    })),
  );

/**
 * Waits for the card of `name` to be in `state`; returns it.
 * @param {Page} page
 * @param {string} name
 * @param {"running" | "done" | "failed"} state
 */
async function card(page, name, state) {
  const all = await waitFor(`the card of ${name} ${state}`, () => cards(page), (shown) => shown.some((one) => one.name === name && one.state === state));
  const found = all.find((one) => one.name === name && one.state === state);
  assert.ok(found);
  return found;
}

/**
 * Drops `files` ({name, text}) on the terminal, as a file manager would: dragenter, dragover, drop.
 * @param {Page} page
 * @param {{ name: string; text: string }[]} files
 */
async function drop(page, files) {
  await page.evaluate((dropped) => {
    const transfer = new DataTransfer();
    for (const file of dropped) {
      transfer.items.add(new File([file.text], file.name));
    }
    const target = document.querySelector(".xterm-screen") ?? document.body;
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }, files);
}

/**
 * Counts the requests `page` makes to download URLs.
 * @param {Page} page
 */
function countDownloads(page) {
  const seen = { count: 0 };
  page.on("request", (request) => {
    if (request.url().includes("/downloads/")) {
      seen.count += 1;
    }
  });
  return seen;
}

describe("file transfer in a real browser", { timeout: 8 * STEP_TIMEOUT_MS }, () => {
  const key = es256Key();
  const jwks = jwksServer(key);
  /** @type {Server | undefined} */
  let server;
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  let baseUrl = "";
  let workDir = "";
  /** @type {string[]} */
  const directories = [];
  /** @type {string[]} */
  const problems = [];
  /** @type {Page | undefined} */
  let alice;
  let session = "";

  /** @param {string} user */
  const tokenOf = (user) => mintToken(key, `user:default/${user}`);

  before(async () => {
    workDir = await prepare("web-terminal-files-e2e-");
    const jwksUrl = `http://127.0.0.1:${await listen(jwks)}/jwks`;
    server = new Server(await freePort(), workDir, {
      AUTH_ENABLED: "true",
      AUTH_JWKS_PROVIDERS: JSON.stringify([{ name: "e2e", url: jwksUrl, issuer: ISSUER }]),
      AUTH_ALLOWED_USERS: JSON.stringify(["user:default/alice", "user:default/bob"]),
      WEB_TERMINAL_TRANSFER_MAX_BYTES: String(MAX_BYTES),
    });
    await server.ready();
    baseUrl = server.url;
    browser = await launchChromium();
    alice = await openConnectedPage(browser, `${baseUrl}#token=${tokenOf("alice")}`, problems, { viewport: { width: 1100, height: 700 } });
    session = (await alice.evaluate(() => window.webTerminal?.sessionId())) ?? "";
    assert.match(session, /^[0-9a-f]{32}$/);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop("SIGKILL");
    await close(jwks);
    await saveArtifact("files-server.log", server?.log ?? "");
    for (const directory of directories) {
      await rm(directory, { recursive: true, force: true });
    }
    await removeWorkDir(workDir);
  });

  it("uploads through the button into the shell's current directory, and refuses a file over the limit before sending it", async () => {
    assert.ok(alice);
    const page = alice;
    const directory = await freshDirectory(page);
    directories.push(directory);
    const bytes = randomBytes(300_000);
    await page.setInputFiles("#upload-input", { name: "hello.bin", mimeType: "application/octet-stream", buffer: bytes });
    const done = await card(page, "hello.bin", "done");
    assert.equal(done.detail, `Saved to ${path.join(directory, "hello.bin")}`);
    assert.ok((await readFile(path.join(directory, "hello.bin"))).equals(bytes), "the file on disk has the uploaded bytes");
    assert.deepEqual(await readdir(directory), ["hello.bin"], "nothing else (no temporary file) is left");

    // Over the limit: refused in the browser, and never sent.
    let posted = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().includes("/files?")) {
        posted += 1;
      }
    });
    await page.setInputFiles("#upload-input", { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(5 * 1024 * 1024) });
    const refused = await card(page, "huge.bin", "failed");
    assert.equal(refused.detail, "Not uploaded: it is 5.2 MB, and files may be at most 4.2 MB.");
    assert.equal(posted, 0);
    assert.ok(!existsSync(path.join(directory, "huge.bin")));
  });

  it("shows the server's refusal of a traversal name dropped on the terminal, and writes nothing outside", async () => {
    assert.ok(alice);
    const page = alice;
    const outer = await mkdtemp(path.join(tmpdir(), "web-terminal-files-e2e-outer-"));
    directories.push(outer);
    const tag = marker("in");
    const inner = path.join(outer, tag);
    await run(page, `mkdir ${inner} && cd ${inner} && echo ${tag}-$((6*7))`, `${tag}-42`);
    // Files held over the page: the terminal says where they would go.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["x"], "x.txt"));
      document.querySelector(".xterm-screen")?.dispatchEvent(new DragEvent("dragenter", { dataTransfer: transfer, bubbles: true }));
    });
    assert.equal(await page.locator("#drop-hint").innerText(), "Drop to upload into the shell's current directory");
    await page.screenshot({ path: path.join(ARTIFACTS, "files-drop-hint-desktop-dark.png") });
    await drop(page, [{ name: "../escape.txt", text: "escaped" }]);
    assert.equal(await page.locator("#drop-hint").isVisible(), false);
    const refused = await card(page, "../escape.txt", "failed");
    assert.equal(refused.detail, "Not uploaded: invalid file name: no / (a name, not a path)");
    assert.deepEqual((await readdir(outer)).sort(), [tag], "nothing was written beside the shell's directory");
    assert.deepEqual(await readdir(inner), [], "nor in it");

    // A good name dropped the same way is uploaded.
    await drop(page, [{ name: "dropped.txt", text: "dropped here" }]);
    await card(page, "dropped.txt", "done");
    assert.equal(await readFile(path.join(inner, "dropped.txt"), "utf8"), "dropped here");
  });

  it("downloads what `web-terminal download FILE` offers, once, and not again from the snapshot of a reload", async () => {
    assert.ok(alice);
    const page = alice;
    const directory = await freshDirectory(page);
    directories.push(directory);
    const bytes = randomBytes(250_000);
    const file = path.join(directory, "payload.bin");
    await writeFile(file, bytes);
    const requests = countDownloads(page);
    const downloaded = page.waitForEvent("download");
    await page.focus(".xterm-helper-textarea");
    await page.keyboard.type(`${BIN} download ${file}`);
    await page.keyboard.press("Enter");
    const download = await downloaded;
    assert.equal(download.suggestedFilename(), "payload.bin");
    const saved = await download.path();
    assert.ok((await readFile(saved)).equals(bytes), "the browser saved the file's bytes");
    await card(page, "payload.bin", "done");
    assert.equal(requests.count, 1);

    // A reload attaches again and writes a snapshot of the screen that showed the offer.
    await page.reload();
    await waitFor("the snapshot after the reload", () => page.evaluate(() => (window.webTerminal?.state() === "connected" ? window.webTerminal.snapshotsWritten() : 0)), (written) => written >= 1);
    const again = countDownloads(page);
    const tag = marker("after");
    await run(page, `echo ${tag}-$((6*7))`, `${tag}-42`);
    assert.equal(again.count, 0, "the reload fetched nothing");
    assert.deepEqual(await cards(page), []);
  });

  it("gives a viewer with a share to watch no upload button, refuses its drops, and takes no offer", async () => {
    assert.ok(alice && browser);
    const response = await fetch(`${baseUrl}api/v1/sessions/${session}/shares`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tokenOf("alice")}`, "Content-Type": "application/json" },
      body: JSON.stringify({ subject: "bob", role: "view" }),
    });
    assert.equal(response.status, 201, await response.text());
    const bob = await openConnectedPage(browser, `${baseUrl}#token=${tokenOf("bob")}&session=${session}`, problems, { viewport: { width: 1100, height: 700 } });
    assert.equal(await bob.evaluate(() => window.webTerminal?.role()), "view");
    assert.equal(await bob.locator("#upload-button").isVisible(), false);
    assert.equal(await alice.locator("#upload-button").isVisible(), true);

    await drop(bob, [{ name: "from-bob.txt", text: "no" }]);
    const refused = await card(bob, "from-bob.txt", "failed");
    assert.match(refused.detail, /shared with you to watch/);

    // Alice offers a file; bob sees the command's line but fetches nothing.
    const directory = await freshDirectory(alice);
    directories.push(directory);
    await writeFile(path.join(directory, "for-alice.txt"), "alice only");
    const bobs = countDownloads(bob);
    const downloaded = alice.waitForEvent("download");
    await run(alice, `${BIN} download ${path.join(directory, "for-alice.txt")}`, "for-alice.txt (10 bytes) offered to the browser");
    await waitFor("the offer's line on bob's screen", () => hookScreenText(bob), (text) => text.includes("for-alice.txt (10 bytes) offered"));
    assert.equal(await readFile(await (await downloaded).path(), "utf8"), "alice only");
    assert.equal(bobs.count, 0, "bob fetched nothing");
    assert.deepEqual(await bob.locator("#transfers .transfer .transfer-name").allInnerTexts(), ["from-bob.txt"]);
    assert.deepEqual(await readdir(directory), ["for-alice.txt"]);
    await bob.context().close();
  });

  for (const [device, options] of /** @type {const} */ ([
    ["desktop", { viewport: { width: 1000, height: 640 } }],
    ["phone", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
  ])) {
    for (const scheme of /** @type {const} */ (["light", "dark"])) {
      it(`shows the transfer cards tidily (${device}, ${scheme})`, async () => {
        assert.ok(browser);
        const page = await openConnectedPage(browser, `${baseUrl}#token=${tokenOf("alice")}&session=${session}`, problems, { ...options, colorScheme: scheme });
        await page.emulateMedia({ colorScheme: scheme });
        const directory = await freshDirectory(page);
        directories.push(directory);
        const shown = marker("listed");
        await run(page, `clear; ls --color=always /usr/share | head -8; echo ${shown}-$((6*7))`, `${shown}-42`);
        // A refusal, then an upload slowed down enough to be seen moving.
        await drop(page, [{ name: "..", text: "x" }]);
        await card(page, "..", "failed");
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
        const name = `quarterly-report-${device}-${scheme}.pdf`;
        await page.setInputFiles("#upload-input", { name, mimeType: "application/pdf", buffer: randomBytes(3 * 1024 * 1024) });
        await waitFor("the upload under way", () => cards(page), (shown) => shown.some((one) => one.name === name && one.state === "running" && Number.parseInt(one.percent, 10) >= 20));
        await page.screenshot({ path: path.join(ARTIFACTS, `files-progress-${device}-${scheme}.png`) });
        await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        await card(page, name, "done");
        await page.screenshot({ path: path.join(ARTIFACTS, `files-done-${device}-${scheme}.png`) });
        await page.context().close();
      });
    }
  }

  it("had no script or console errors but the refusals it asked for", () => {
    // Chromium logs each refused upload (400) as a failed resource: the traversal name, and the ".." of each screenshot.
    const refusals = problems.filter((problem) => problem.includes("status of 400"));
    assert.deepEqual(
      problems.filter((problem) => !refusals.includes(problem)),
      [],
    );
    assert.equal(refusals.length, 5);
  });
});
