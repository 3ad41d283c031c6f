import { describe, expect, it, vi } from "vitest";
import { hardwareWebgl, rendererChoice, wantsWebgl } from "./renderer";

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
  function documentWith(context: object | null): { document: Document; getContext: ReturnType<typeof vi.fn> } {
    const getContext = vi.fn(() => context);
    const document = { createElement: () => ({ getContext }) } as unknown as Document;
    return { document, getContext };
  }

  it("asks for WebGL2 without a major performance caveat, and frees the probe's context", () => {
    const loseContext = vi.fn();
    const { document, getContext } = documentWith({ getExtension: () => ({ loseContext }) });
    expect(hardwareWebgl(document)).toBe(true);
    expect(getContext).toHaveBeenCalledWith("webgl2", { failIfMajorPerformanceCaveat: true });
    expect(loseContext).toHaveBeenCalledOnce();
  });

  it("is false where the browser would render WebGL in software (no context)", () => {
    expect(hardwareWebgl(documentWith(null).document)).toBe(false);
  });
});
