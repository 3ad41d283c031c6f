import { describe, expect, it } from "vitest";
import { installCloseGuard } from "./close-guard";

type Listener = (event: BeforeUnloadEvent) => void;

function fakeWindow(): { listeners: Set<Listener>; addEventListener(type: string, l: Listener): void; removeEventListener(type: string, l: Listener): void } {
  const listeners = new Set<Listener>();
  return {
    listeners,
    addEventListener: (_type, listener) => listeners.add(listener),
    removeEventListener: (_type, listener) => listeners.delete(listener),
  };
}

function unload(target: ReturnType<typeof fakeWindow>): { prevented: boolean; returnValue: unknown } {
  const event = {
    prevented: false,
    returnValue: undefined as unknown,
    preventDefault() {
      this.prevented = true;
    },
  };
  for (const listener of target.listeners) {
    listener(event as unknown as BeforeUnloadEvent);
  }
  return event;
}

describe("installCloseGuard", () => {
  it("asks before closing only while active, and can be removed", () => {
    const target = fakeWindow();
    let active = true;
    const remove = installCloseGuard(target, () => active);
    expect(unload(target)).toMatchObject({ prevented: true, returnValue: true });
    active = false;
    expect(unload(target)).toMatchObject({ prevented: false, returnValue: undefined });
    active = true;
    remove();
    expect(target.listeners.size).toBe(0);
  });
});
