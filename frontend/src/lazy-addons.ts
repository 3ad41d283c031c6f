// The addons that are not in the page's first script: each is its own chunk, fetched with a
// dynamic import() the first time it is needed (find: the first Ctrl+Shift+F; images: when the
// browser is idle after the first prompt, or at the first image, see inline-images.ts).
import type { ImageAddon } from "@xterm/addon-image";
import type { SearchAddon } from "@xterm/addon-search";
import type { Terminal } from "@xterm/xterm";
import { IMAGE_PIXEL_LIMIT, IMAGE_STORAGE_LIMIT_MB } from "./inline-images";
import { SEARCH_HIGHLIGHT_LIMIT } from "./search-bar";

/** The part of the terminal an addon is loaded into. */
export type AddonHost = Pick<Terminal, "loadAddon">;

/** Fetches xterm.js's search addon and loads it into `terminal`. */
export async function loadSearchAddon(terminal: AddonHost): Promise<SearchAddon> {
  const { SearchAddon } = await import("@xterm/addon-search");
  const addon = new SearchAddon({ highlightLimit: SEARCH_HIGHLIGHT_LIMIT });
  terminal.loadAddon(addon);
  return addon;
}

/** The smallest WebAssembly module: its magic number and version. */
const EMPTY_WASM_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * Whether the page may compile WebAssembly, which the addon's sixel decoder needs: the server's
 * Content-Security-Policy must allow it (`'wasm-unsafe-eval'`).
 */
export function webAssemblyAllowed(wasm: Pick<typeof WebAssembly, "Module"> = WebAssembly): boolean {
  try {
    new wasm.Module(EMPTY_WASM_MODULE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fetches xterm.js's image addon (sixel, iTerm images) and loads it into `terminal`, with the
 * UI's memory limits; rejects where the page may not compile WebAssembly.
 */
export async function loadImageAddon(terminal: AddonHost, wasmAllowed: () => boolean = webAssemblyAllowed): Promise<ImageAddon> {
  if (!wasmAllowed()) {
    throw new Error("the page may not compile WebAssembly, which the image decoders need");
  }
  const { ImageAddon } = await import("@xterm/addon-image");
  const addon = new ImageAddon({ storageLimit: IMAGE_STORAGE_LIMIT_MB, pixelLimit: IMAGE_PIXEL_LIMIT });
  terminal.loadAddon(addon);
  await sixelDecoderReady(addon);
  return addon;
}

/** How often, and how many times, `sixelDecoderReady` looks. */
const DECODER_POLL_MS = 5;
const DECODER_POLLS = 400;

/**
 * Resolves once the addon's sixel decoder is ready. The addon compiles it (WebAssembly) in the
 * background after it is loaded, and drops a sixel that comes before: the output held for an
 * image must wait for it too. The addon has no public signal for this, so this looks at its
 * handler (`_handlers.get("sixel")._dec`, set once the decoder is ready, as in @xterm/addon-image 0.9.0); should that shape ever
 * change, it resolves at once (and the browser test of an early image fails), and after two
 * seconds it gives up waiting.
 */
export async function sixelDecoderReady(addon: object, sleep: (ms: number) => Promise<void> = wait): Promise<void> {
  const handlers = (addon as { _handlers?: unknown })._handlers;
  if (!(handlers instanceof Map)) {
    return;
  }
  // The handler sets `_dec` only when the decoder is ready; `_aborted` is there from the start.
  const sixel: unknown = handlers.get("sixel");
  if (typeof sixel !== "object" || sixel === null || !("_aborted" in sixel)) {
    return;
  }
  const handler = sixel as { _dec?: unknown };
  for (let poll = 0; poll < DECODER_POLLS && handler._dec === undefined; poll++) {
    await sleep(DECODER_POLL_MS);
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
