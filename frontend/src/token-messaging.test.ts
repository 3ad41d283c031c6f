// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { storageStore, TOKEN_KEY, TOKEN_MESSAGE_TYPE, TOKEN_REQUEST_TYPE, type UiConfig } from "./token";
import { TokenMessaging, type TokenWindow } from "./token-messaging";

const APP = "https://app.example";

/** A promise and the function that settles it, so a test decides when the configuration arrives. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Lets the configuration's `then` run. */
const settled = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function tokenMessage(token: string, origin = APP, source: Window | null = window): MessageEvent {
  return new MessageEvent("message", { origin, source, data: { type: TOKEN_MESSAGE_TYPE, token } });
}

describe("TokenMessaging", () => {
  // A fresh event target per test, with the page's real location and history.
  let events: EventTarget;
  let view: TokenWindow;
  let config: ReturnType<typeof deferred<UiConfig>>;
  let tokenAvailable: ReturnType<typeof vi.fn<() => void>>;
  let waiting: boolean;
  let posted: { message: unknown; origin: string }[];

  beforeEach(() => {
    window.sessionStorage.clear();
    window.history.replaceState(null, "", "/");
    events = new EventTarget();
    view = Object.assign(events, { location: window.location, history: window.history });
    config = deferred<UiConfig>();
    tokenAvailable = vi.fn<() => void>();
    waiting = false;
    posted = [];
    // The page's own window stands in for the embedding parent.
    vi.spyOn(window, "postMessage").mockImplementation((message: unknown, origin?: unknown) => {
      posted.push({ message, origin: String(origin) });
    });
  });

  afterEach(() => {
    window.sessionStorage.clear();
  });

  function start(parent: Window | null = window): TokenMessaging {
    return new TokenMessaging(view, {
      store: storageStore(() => window.sessionStorage),
      parent,
      uiConfig: config.promise,
      tokenAvailable,
      waitingForToken: () => waiting,
    });
  }

  it("takes the fragment's token at once, else the one stored in this tab", () => {
    window.history.replaceState(null, "", "/#token=from-url");
    expect(start().token).toBe("from-url");
    expect(window.location.hash).toBe("");

    window.history.replaceState(null, "", "/");
    expect(start().token).toBe("from-url");
    expect(tokenAvailable).not.toHaveBeenCalled();
  });

  it("takes a token pasted into the fragment of the open tab, once", () => {
    const tokens = start();
    expect(tokens.token).toBeNull();
    window.history.replaceState(null, "", "/#token=pasted");
    events.dispatchEvent(new HashChangeEvent("hashchange"));
    expect(tokens.token).toBe("pasted");
    expect(window.location.hash).toBe("");
    expect(tokenAvailable).toHaveBeenCalledTimes(1);

    // The same token again, or a fragment without one, is no news.
    window.history.replaceState(null, "", "/#token=pasted");
    events.dispatchEvent(new HashChangeEvent("hashchange"));
    window.history.replaceState(null, "", "/#section");
    events.dispatchEvent(new HashChangeEvent("hashchange"));
    expect(tokenAvailable).toHaveBeenCalledTimes(1);
  });

  it("holds messages until the configuration arrives, then accepts only allowed ones", async () => {
    const tokens = start();
    events.dispatchEvent(tokenMessage("from-elsewhere", "https://evil.example"));
    events.dispatchEvent(tokenMessage("not-from-parent", APP, null));
    events.dispatchEvent(tokenMessage("early"));
    expect(tokens.token).toBeNull();
    expect(tokenAvailable).not.toHaveBeenCalled();

    config.resolve({ embedOrigins: [APP], auth: true, transferMaxBytes: null });
    await settled();
    expect(tokens.token).toBe("early");
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe("early");
    expect(tokenAvailable).toHaveBeenCalledTimes(1);

    // After the configuration, messages are judged as they come.
    events.dispatchEvent(tokenMessage("late"));
    events.dispatchEvent(tokenMessage("forged", "https://evil.example"));
    expect(tokens.token).toBe("late");
    expect(tokenAvailable).toHaveBeenCalledTimes(2);
  });

  it("holds only a few early messages", async () => {
    const tokens = start();
    for (let index = 1; index <= 9; index++) {
      events.dispatchEvent(tokenMessage(`token-${index}`));
    }
    config.resolve({ embedOrigins: [APP], auth: true, transferMaxBytes: null });
    await settled();
    expect(tokenAvailable).toHaveBeenCalledTimes(8);
    expect(tokens.token).toBe("token-8");
  });

  it("accepts no messages outside a frame", async () => {
    const tokens = start(null);
    events.dispatchEvent(tokenMessage("early"));
    config.resolve({ embedOrigins: [APP], auth: true, transferMaxBytes: null });
    await settled();
    events.dispatchEvent(tokenMessage("late"));
    expect(tokens.token).toBeNull();
    expect(tokenAvailable).not.toHaveBeenCalled();
  });

  it("asks the parent for a token only once the configuration says whom to ask", async () => {
    const tokens = start();
    tokens.requestToken();
    expect(posted).toEqual([]);

    config.resolve({ embedOrigins: [APP, "https://other.example"], auth: true, transferMaxBytes: null });
    await settled();
    expect(posted).toEqual([]); // Nobody was waiting.

    tokens.requestToken();
    expect(posted).toEqual([
      { message: { type: TOKEN_REQUEST_TYPE }, origin: APP },
      { message: { type: TOKEN_REQUEST_TYPE }, origin: "https://other.example" },
    ]);
  });

  it("asks as soon as the configuration arrives if sign-in was required before", async () => {
    start();
    waiting = true;
    config.resolve({ embedOrigins: [APP], auth: true, transferMaxBytes: null });
    await settled();
    expect(posted).toEqual([{ message: { type: TOKEN_REQUEST_TYPE }, origin: APP }]);
  });
});
