import { describe, expect, it, vi } from "vitest";
import { IMAGE_PIXEL_LIMIT, IMAGE_STORAGE_LIMIT_MB } from "./inline-images";
import { loadImageAddon, loadSearchAddon, sixelDecoderReady, webAssemblyAllowed } from "./lazy-addons";
import { SEARCH_HIGHLIGHT_LIMIT } from "./search-bar";

const created = vi.hoisted(() => ({ search: [] as unknown[], image: [] as unknown[] }));
vi.mock("@xterm/addon-search", () => ({
  SearchAddon: class {
    readonly addon = "search";
    constructor(readonly options: unknown) {
      created.search.push(options);
    }
  },
}));
vi.mock("@xterm/addon-image", () => ({
  ImageAddon: class {
    readonly addon = "image";
    constructor(readonly options: unknown) {
      created.image.push(options);
    }
  },
}));

describe("the lazily loaded addons", () => {
  it("loads the search addon into the terminal with the bar's highlight limit", async () => {
    const loaded: unknown[] = [];
    const addon = await loadSearchAddon({ loadAddon: (added) => loaded.push(added) });
    expect(loaded).toEqual([addon]);
    expect(created.search).toEqual([{ highlightLimit: SEARCH_HIGHLIGHT_LIMIT }]);
  });

  it("loads the image addon with the memory limits", async () => {
    const loaded: unknown[] = [];
    const addon = await loadImageAddon({ loadAddon: (added) => loaded.push(added) }, () => true);
    expect(loaded).toEqual([addon]);
    expect(created.image).toEqual([{ storageLimit: IMAGE_STORAGE_LIMIT_MB, pixelLimit: IMAGE_PIXEL_LIMIT }]);
  });

  it("refuses to load the image addon where WebAssembly may not be compiled", async () => {
    const loaded: unknown[] = [];
    await expect(loadImageAddon({ loadAddon: (added) => loaded.push(added) }, () => false)).rejects.toThrow(/WebAssembly/);
    expect(loaded).toEqual([]);
  });
});

describe("webAssemblyAllowed", () => {
  it("compiles the smallest module, and says no where compiling throws", () => {
    expect(webAssemblyAllowed()).toBe(true);
    // What Chromium does under a Content-Security-Policy without 'wasm-unsafe-eval'.
    const refusing = {
      Module: function Module() {
        throw new WebAssembly.CompileError("Compiling or instantiating WebAssembly module violates the Content Security policy");
      },
    } as unknown as Pick<typeof WebAssembly, "Module">;
    expect(webAssemblyAllowed(refusing)).toBe(false);
  });
});

describe("sixelDecoderReady", () => {
  it("waits until the addon's sixel handler has its decoder", async () => {
    const handler: { _aborted: boolean; _dec?: object } = { _aborted: false };
    const addon = { _handlers: new Map([["sixel", handler]]) };
    let sleeps = 0;
    await sixelDecoderReady(addon, () => {
      sleeps++;
      if (sleeps === 3) {
        handler._dec = {};
      }
      return Promise.resolve();
    });
    expect(sleeps).toBe(3);
  });

  it("resolves at once for another shape, and gives up after a bounded wait", async () => {
    let sleeps = 0;
    const sleep = () => {
      sleeps++;
      return Promise.resolve();
    };
    await sixelDecoderReady({}, sleep);
    await sixelDecoderReady({ _handlers: new Map([["sixel", {}]]) }, sleep);
    await sixelDecoderReady({ _handlers: new Map() }, sleep);
    expect(sleeps).toBe(0);
    await sixelDecoderReady({ _handlers: new Map([["sixel", { _aborted: false }]]) }, sleep);
    expect(sleeps).toBe(400);
  });
});
