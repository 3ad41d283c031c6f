// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { followVisualViewport, type VisualViewportLike } from "./viewport";

class FakeViewport extends EventTarget implements VisualViewportLike {
  height = 844;
  offsetTop = 0;
  scale = 1;
  change(type: "resize" | "scroll", values: Partial<Pick<FakeViewport, "height" | "offsetTop" | "scale">>): void {
    Object.assign(this, values);
    this.dispatchEvent(new Event(type));
  }
}

describe("followVisualViewport", () => {
  const setUp = () => {
    const viewport = new FakeViewport();
    const target = document.createElement("body");
    const update = followVisualViewport(viewport, () => 844, target);
    const read = () => ({
      top: target.style.getPropertyValue("--viewport-top"),
      inset: target.style.getPropertyValue("--keyboard-inset"),
      keyboard: target.dataset.keyboard,
    });
    return { viewport, update, read };
  };

  it("starts with nothing hidden", () => {
    expect(setUp().read()).toEqual({ top: "0px", inset: "0px", keyboard: undefined });
  });

  it("says how much of the bottom a keyboard hides, and where the visible part starts", () => {
    const { viewport, read } = setUp();
    viewport.change("resize", { height: 507.6 });
    expect(read()).toEqual({ top: "0px", inset: "336px", keyboard: "open" });
    // The browser scrolled the page to show the focused field: the visible part moved down.
    viewport.change("scroll", { offsetTop: 200 });
    expect(read()).toEqual({ top: "200px", inset: "136px", keyboard: "open" });
    viewport.change("resize", { height: 844, offsetTop: 0 });
    expect(read()).toEqual({ top: "0px", inset: "0px", keyboard: undefined });
  });

  it("stays put while the page is pinch-zoomed", () => {
    const { viewport, read, update } = setUp();
    viewport.change("resize", { height: 400, scale: 2 });
    expect(read()).toEqual({ top: "0px", inset: "0px", keyboard: undefined });
    viewport.scale = 1;
    update();
    expect(read().inset).toBe("444px");
  });
});
