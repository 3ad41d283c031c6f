import { describe, expect, it, vi } from "vitest";
import { finishLateOpen } from "./late-open";

describe("finishLateOpen", () => {
  it("sizes the scrollbar and spares the first frame the selection's redraw", () => {
    const queueSync = vi.fn();
    const renderService = { _needsSelectionRefresh: true };
    finishLateOpen({ _core: { _viewport: { queueSync }, _renderService: renderService } });
    expect(queueSync).toHaveBeenCalledOnce();
    expect(renderService._needsSelectionRefresh).toBe(false);
  });

  it("does nothing where xterm.js's internals are not what it knows", () => {
    expect(() => {
      finishLateOpen({});
    }).not.toThrow();
    const renderService = {};
    finishLateOpen({ _core: { _viewport: {}, _renderService: renderService } });
    expect(renderService).toEqual({});
  });
});
