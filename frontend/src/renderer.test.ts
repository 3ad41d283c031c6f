import { describe, expect, it, vi } from "vitest";
import { hardwareWebgl, rendererChoice, wantsWebgl, webglAtOpen, WEBGL_KEY } from "./renderer";

describe("rendererChoice", () => {
  it("reads renderer=webgl or renderer=dom from the query", () => {
    expect(rendererChoice("?renderer=webgl")).toBe("webgl");
    expect(rendererChoice("?a=1&renderer=dom")).toBe("dom");
  });

  it("is auto without the parameter, or with any other value", () => {
    expect(rendererChoice("")).toBe("auto");
    expect(rendererChoice("?renderer=canvas")).toBe("auto");
    expect(rendererChoice("?renderer=")).toBe("auto");
  });
});

describe("wantsWebgl", () => {
  it("opens with WebGL when the address asks for it, or this tab kept that the browser draws it on a GPU", () => {
    const kept = new Map<string, string>();
    const store = { get: (key: string) => kept.get(key) ?? null, set: (key: string, value: string) => void kept.set(key, value) };
    expect(webglAtOpen("", store)).toBe(false); // Not known yet: asked after the first output.
    expect(webglAtOpen("?renderer=webgl", store)).toBe(true);
    kept.set(WEBGL_KEY, "gpu");
    expect(webglAtOpen("", store)).toBe(true);
    expect(webglAtOpen("?renderer=dom", store)).toBe(false);
    kept.set(WEBGL_KEY, "software");
    expect(webglAtOpen("", store)).toBe(false);
  });

  it("asks the browser only for auto", () => {
    const probe = vi.fn(() => false);
    expect(wantsWebgl("webgl", probe)).toBe(true);
    expect(wantsWebgl("dom", probe)).toBe(false);
    expect(probe).not.toHaveBeenCalled();
    expect(wantsWebgl("auto", probe)).toBe(false);
    expect(wantsWebgl("auto", () => true)).toBe(true);
  });
});

describe("hardwareWebgl", () => {
  const RENDERER = 0x1f01;
  const UNMASKED_RENDERER_WEBGL = 0x9246;

  /** A document whose canvases give `context` (null: none), with `renderer` as its GPU's name. */
  function documentWith(context: "none" | "masked" | "unmasked", renderer = "ANGLE (NVIDIA GeForce RTX 3060)") {
    const loseContext = vi.fn();
    const gl = {
      RENDERER,
      getExtension: (name: string) => {
        if (name === "WEBGL_lose_context") return { loseContext };
        if (name === "WEBGL_debug_renderer_info" && context === "unmasked") return { UNMASKED_RENDERER_WEBGL };
        return null;
      },
      getParameter: (parameter: number) =>
        parameter === (context === "unmasked" ? UNMASKED_RENDERER_WEBGL : RENDERER) ? renderer : "WebKit WebGL",
    };
    const getContext = vi.fn(() => (context === "none" ? null : gl));
    const document = { createElement: () => ({ getContext }) } as unknown as Document;
    return { document, getContext, loseContext };
  }

  it("is true for a GPU, asking for WebGL2 without a major performance caveat and freeing the probe", () => {
    const { document, getContext, loseContext } = documentWith("unmasked");
    expect(hardwareWebgl(document)).toBe(true);
    expect(getContext).toHaveBeenCalledWith("webgl2", { failIfMajorPerformanceCaveat: true });
    expect(loseContext).toHaveBeenCalledOnce();
  });

  it("asks the browser once per document", () => {
    const { document, getContext } = documentWith("masked", "llvmpipe (LLVM 15.0.6, 256 bits)");
    expect(hardwareWebgl(document)).toBe(false);
    expect(hardwareWebgl(document)).toBe(false);
    expect(getContext).toHaveBeenCalledOnce();
  });

  it("keeps the answer in the tab's store, and takes it from there on the next load", () => {
    const kept = new Map<string, string>();
    const store = { get: (key: string) => kept.get(key) ?? null, set: (key: string, value: string) => void kept.set(key, value) };
    const first = documentWith("unmasked", "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)");
    expect(hardwareWebgl(first.document, store)).toBe(false);
    expect(kept.get(WEBGL_KEY)).toBe("software");
    const reloaded = documentWith("unmasked");
    expect(hardwareWebgl(reloaded.document, store)).toBe(false);
    expect(reloaded.getContext).not.toHaveBeenCalled();
    kept.set(WEBGL_KEY, "gpu");
    const again = documentWith("none");
    expect(hardwareWebgl(again.document, store)).toBe(true);
    expect(again.getContext).not.toHaveBeenCalled();
  });

  it("is false where the browser refuses such a context", () => {
    expect(hardwareWebgl(documentWith("none").document)).toBe(false);
  });

  it("is false for a software rasteriser, named by the debug extension or by RENDERER", () => {
    const swiftshader = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)";
    expect(hardwareWebgl(documentWith("unmasked", swiftshader).document)).toBe(false);
    expect(hardwareWebgl(documentWith("masked", "llvmpipe (LLVM 15.0.6, 256 bits)").document)).toBe(false);
    expect(hardwareWebgl(documentWith("masked", "Mesa Intel(R) UHD Graphics 620").document)).toBe(true);
  });
});
