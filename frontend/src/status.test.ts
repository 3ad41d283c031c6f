import { describe, expect, it } from "vitest";
import { describeDraining, describeNotice, describeState } from "./status";

describe("describeState", () => {
  it("counts down to the next reconnection attempt and offers to retry now", () => {
    const view = describeState({ kind: "reconnecting", attempt: 3, cause: "network", retryAt: 10_000 }, 7_100, false);
    expect(view.text).toBe("Connection lost, reconnecting (attempt 3, next try in 3 s)");
    expect(view.action).toEqual({ kind: "retry-now", label: "Retry now" });
    expect(describeState({ kind: "reconnecting", attempt: 3, cause: "network", retryAt: null }, 0, false)).toMatchObject({
      text: "Connection lost, reconnecting (attempt 3)…",
      action: null,
    });
  });

  it("says the server is restarting after 1001", () => {
    expect(describeState({ kind: "reconnecting", attempt: 1, cause: "server-restart", retryAt: 500 }, 0, false).text).toBe(
      "Server restarting, reconnecting (attempt 1, next try in 1 s)",
    );
    expect(describeState({ kind: "reconnecting", attempt: 2, cause: "server-restart", retryAt: null }, 0, false).text).toBe(
      "Server restarting, reconnecting (attempt 2)…",
    );
  });

  it("shows the exit code and offers a new session", () => {
    expect(describeState({ kind: "exited", code: 130 }, 0, false)).toEqual({
      text: "Session exited with code 130. Press Enter for a new session.",
      tone: "warn",
      action: { kind: "restart", label: "New session" },
    });
    expect(describeState({ kind: "exited", code: 0 }, 0, false).tone).toBe("info");
  });

  it("shows the server's reason for a refusal and for a denial", () => {
    expect(describeState({ kind: "refused", code: 4429, reason: "session limit reached" }, 0, false).text).toBe(
      "Refused by the server: session limit reached",
    );
    expect(describeState({ kind: "access-denied", reason: "user not allowed" }, 0, false).text).toBe(
      "Access denied: user not allowed. This account may not use this terminal.",
    );
    expect(describeState({ kind: "access-denied", reason: "access denied" }, 0, false).text).toBe(
      "Access denied. This account may not use this terminal.",
    );
  });

  it("says the owner withdrew or changed a share, and offers to attach again", () => {
    const withdrawn = describeState({ kind: "access-denied", reason: "share withdrawn or changed" }, 0, false);
    expect(withdrawn.text).toBe("The owner withdrew or changed your share of this session.");
    expect(withdrawn.action).toEqual({ kind: "restart", label: "Try again" });
  });

  it("says sign-in is required, and what it waits for", () => {
    expect(describeState({ kind: "sign-in-required" }, 0, true).text).toMatch(/^Sign-in required: waiting for the page/);
    expect(describeState({ kind: "sign-in-required" }, 0, false).text).toMatch(/^Sign-in required: open this terminal/);
  });

  it("words the notices", () => {
    expect(describeNotice("session-expired")).toContain("new session");
    expect(describeNotice("server-restarted")).toContain("server restarted");
    expect(describeNotice("read-only")).toContain("not sent");
  });
});

describe("describeDraining", () => {
  it("says how long the session has left, in minutes or hours", () => {
    expect(describeDraining(30)).toContain("about a minute");
    expect(describeDraining(1800)).toContain("about 30 minutes");
    expect(describeDraining(14_400)).toContain("about 4 hours");
    expect(describeDraining(1800)).toContain("A new session starts on a current server.");
  });
});
