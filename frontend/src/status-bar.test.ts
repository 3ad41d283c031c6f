// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { StatusAction } from "./status";
import { CONNECTED_BADGE_MS, INPUT_LOST_TEXT, StatusBar } from "./status-bar";

describe("StatusBar", () => {
  let element: HTMLElement;
  let actions: StatusAction[];
  let bar: StatusBar;

  beforeEach(() => {
    vi.useFakeTimers();
    element = document.createElement("div");
    element.hidden = true;
    actions = [];
    bar = new StatusBar(element, {
      embedded: false,
      onAction: (kind) => {
        actions.push(kind);
      },
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const text = () => element.querySelector(".text")?.textContent;
  const button = () => element.querySelector("button");

  it("shows the state's words and tone, without a button when there is nothing to do", () => {
    bar.render({ kind: "connecting" });
    expect(element.hidden).toBe(false);
    expect(text()).toBe("Connecting…");
    expect(element.dataset.tone).toBe("info");
    expect(element.querySelector(".dot")).not.toBeNull();
    expect(button()).toBeNull();

    bar.render({ kind: "sign-in-required" });
    expect(text()).toMatch(/^Sign-in required: open this terminal/);
    expect(element.dataset.tone).toBe("error");
  });

  it("says what sign-in waits for when embedded", () => {
    const embedded = new StatusBar(element, { embedded: true, onAction: () => undefined });
    embedded.render({ kind: "sign-in-required" });
    expect(text()).toMatch(/^Sign-in required: waiting for the page/);
  });

  it("offers the state's action as a button", () => {
    bar.render({ kind: "exited", code: 1 });
    expect(element.dataset.tone).toBe("warn");
    expect(button()?.textContent).toBe("New session");
    button()?.click();
    expect(actions).toEqual(["restart"]);
  });

  it("counts down to the next attempt and offers to retry now", () => {
    bar.render({ kind: "reconnecting", attempt: 2, cause: "network", retryAt: Date.now() + 3000 });
    expect(text()).toBe("Connection lost, reconnecting (attempt 2, next try in 3 s)");
    vi.advanceTimersByTime(1000);
    expect(text()).toBe("Connection lost, reconnecting (attempt 2, next try in 2 s)");
    button()?.click();
    expect(actions).toEqual(["retry-now"]);
  });

  it("fades out and hides once connected", () => {
    bar.render({ kind: "connected", session: "s" });
    expect(text()).toBe("Connected");
    expect(element.dataset.tone).toBe("ok");
    vi.advanceTimersByTime(CONNECTED_BADGE_MS - 1);
    expect(element.classList.contains("fading")).toBe(false);
    vi.advanceTimersByTime(1);
    expect(element.classList.contains("fading")).toBe(true);
    vi.advanceTimersByTime(299);
    expect(element.hidden).toBe(false);
    vi.advanceTimersByTime(1);
    expect(element.hidden).toBe(true);

    // Losing the connection brings it back at once.
    bar.render({ kind: "reconnecting", attempt: 1, cause: "network", retryAt: null });
    expect(element.hidden).toBe(false);
    expect(element.classList.contains("fading")).toBe(false);
  });

  it("stays while the connection is not up, and a new state cancels a pending fade", () => {
    bar.render({ kind: "connected", session: "s" });
    bar.render({ kind: "refused", code: 4429, reason: "session limit reached" });
    vi.advanceTimersByTime(60_000);
    expect(element.hidden).toBe(false);
    expect(element.classList.contains("fading")).toBe(false);
    expect(text()).toBe("Refused by the server: session limit reached");
  });

  it("shows a notice in place of Connected, for as long as asked", () => {
    bar.render({ kind: "connected", session: "s" });
    bar.notice("The server restarted; this is a new session.", 8000);
    expect(text()).toBe("The server restarted; this is a new session.");
    expect(element.dataset.tone).toBe("info");
    vi.advanceTimersByTime(7999);
    expect(element.classList.contains("fading")).toBe(false);
    vi.advanceTimersByTime(1 + 300);
    expect(element.hidden).toBe(true);

    // Expired: a later connection says Connected again.
    bar.render({ kind: "connected", session: "s" });
    expect(text()).toBe("Connected");
  });

  it("shows a notice's own button while the notice lasts", () => {
    bar.render({ kind: "connected", session: "s" });
    bar.notice("This server is being replaced.", 20_000, { kind: "new-tab", label: "New session" });
    expect(button()?.textContent).toBe("New session");
    button()?.click();
    expect(actions).toEqual(["new-tab"]);
    vi.advanceTimersByTime(20_000 + 300);
    bar.render({ kind: "connected", session: "s" });
    expect(button()).toBeNull();
  });

  it("keeps a notice back while the connection is not up", () => {
    bar.render({ kind: "connecting" });
    bar.notice("Copying needs clipboard access; use the browser's menu instead.", 4000);
    expect(text()).toBe("Connecting…");
    bar.render({ kind: "connected", session: "s" });
    expect(text()).toBe("Copying needs clipboard access; use the browser's menu instead.");
  });

  it("says plainly that keys typed while disconnected were not sent, until reconnected", () => {
    const lost = () => element.querySelector(".lost")?.textContent ?? null;
    bar.render({ kind: "connected", session: "s" });
    bar.inputNotSent();
    expect(lost()).toBeNull(); // connected: nothing was lost
    bar.render({ kind: "reconnecting", attempt: 1, cause: "network", retryAt: null });
    expect(lost()).toBeNull();
    bar.inputNotSent();
    expect(lost()).toBe(INPUT_LOST_TEXT);
    bar.render({ kind: "reconnecting", attempt: 2, cause: "network", retryAt: null });
    expect(lost()).toBe(INPUT_LOST_TEXT); // still true on the next attempt
    bar.render({ kind: "connected", session: "s" });
    expect(lost()).toBeNull();
    bar.render({ kind: "reconnecting", attempt: 1, cause: "network", retryAt: null });
    expect(lost()).toBeNull(); // a new outage starts clean
  });

  it("draws nothing for a notice before the first state", () => {
    bar.notice("early", 4000);
    expect(element.hidden).toBe(true);
    expect(element.childElementCount).toBe(0);
  });
});
