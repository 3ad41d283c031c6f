// A terminal opened after its first lines are written (main.ts, on a reload that attached early).
// xterm.js writes a snapshot fastest into a terminal that is not open yet: no viewport to update
// for each of its lines (the scrollbar's size and a timer, 300 times for 300 lines of history), no
// renderer drawing rows the next line replaces; then open() draws once. Two things of xterm.js
// 6.0.0 assume the terminal was opened first, and `finishLateOpen` puts them right; neither has a
// public call, so it reaches into xterm.js's internals, and does nothing where they are not there
// (the browser tests, sessions.e2e.mjs, hold the scrollbar to working after a reload).

/** The internals of xterm.js 6.0.0 that `finishLateOpen` uses. */
interface LateOpenInternals {
  _core?: {
    _viewport?: { queueSync?(): void };
    _renderService?: { _needsSelectionRefresh?: boolean };
  };
}

/**
 * Right after `terminal.open()` of a terminal that has lines already:
 * - the scrollbar is sized (its Viewport syncs only on a scroll, a resize or a switch of buffers,
 *   and none comes when the terminal opens at the size it was written at): else the scrollbar
 *   and the mouse wheel would ignore the history until the next line of output;
 * - the first frame draws the rows once: a new renderer redraws every row for the selection after
 *   its first drawing, and a terminal just opened has no selection to draw.
 */
export function finishLateOpen(terminal: object): void {
  const core = (terminal as LateOpenInternals)._core;
  core?._viewport?.queueSync?.();
  if (typeof core?._renderService?._needsSelectionRefresh === "boolean") {
    core._renderService._needsSelectionRefresh = false;
  }
}
