// Which of xterm.js's `onData` calls carry the user's input (keys, pastes, mouse reports, the key
// bar) and which its own answers to a program's questions (cursor position, device attributes,
// colours). While a snapshot is written the answers must go nowhere: they answer questions asked
// long ago, by a program that may be gone (main.ts). The user's keys must not: they are typed at
// the screen the user sees, and dropping them lost the first keys typed after a reattach.
//
// xterm.js 6.0.0 tells the two apart only inside: its core service fires `onUserInput` right
// before `onData` for the user's input, never for its answers. There is no public call, so this
// reaches into the internals, and where they are not there every call counts as an answer (the
// behaviour before: nothing at all is sent while a snapshot is written).

/** The internals of xterm.js 6.0.0 this uses. */
interface UserInputInternals {
  _core?: { coreService?: { onUserInput?(listener: () => void): unknown } };
}

/**
 * Follows `terminal`'s user input; call the function returned at the start of each `onData`
 * listener: whether that data is the user's.
 */
export function userInputTracker(terminal: object): () => boolean {
  const coreService = (terminal as UserInputInternals)._core?.coreService;
  let userInputNext = false;
  if (typeof coreService?.onUserInput === "function") {
    coreService.onUserInput(() => {
      userInputNext = true;
    });
  }
  return () => {
    const user = userInputNext;
    userInputNext = false;
    return user;
  };
}
