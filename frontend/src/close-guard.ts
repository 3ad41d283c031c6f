// Closing or reloading the tab of a running session asks first, as ttyd does: a `beforeunload`
// handler that asks the browser for its "Leave site?" question while `active()` holds (connected
// to a live session, and the "Ask before closing" setting on). Browsers show their own words, and
// only after the user has interacted with the page.

interface UnloadTarget {
  addEventListener(type: "beforeunload", listener: (event: BeforeUnloadEvent) => void): void;
  removeEventListener(type: "beforeunload", listener: (event: BeforeUnloadEvent) => void): void;
}

/** Installs the handler; returns what removes it. */
export function installCloseGuard(target: UnloadTarget, active: () => boolean): () => void {
  const listener = (event: BeforeUnloadEvent): void => {
    if (!active()) {
      return;
    }
    event.preventDefault();
    // Older browsers ask only when returnValue is set (the standard way is preventDefault).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    event.returnValue = true;
  };
  target.addEventListener("beforeunload", listener);
  return () => {
    target.removeEventListener("beforeunload", listener);
  };
}
