// Which renderer draws the terminal. xterm.js's WebGL renderer is the fastest where WebGL runs on
// a GPU; where it runs in software (SwiftShader or llvmpipe: a VM, a remote desktop, a headless
// browser) it is several times slower than the DOM renderer, at reattach and during floods alike.
// So, as VS Code's `gpuAcceleration: "auto"` does, WebGL is used only when the browser offers a
// WebGL2 context without a "major performance caveat" (browsers refuse such a context when they
// would render in software). `?renderer=webgl` or `?renderer=dom` in the page's address overrides.

/** xterm.js's WebGL addon: a chunk of its own, fetched only where it draws. */
export type WebglModule = typeof import("@xterm/addon-webgl");

let webglLoaded: WebglModule | null = null;

/**
 * Fetches the WebGL addon's chunk (once: a module is fetched once however often it is asked
 * for). boot.ts asks as the page starts where the terminal will open with WebGL (see
 * `webglAtOpen`), and runs the UI once it is here (`loadedWebgl`).
 */
export async function loadWebgl(): Promise<WebglModule> {
  webglLoaded = await import("@xterm/addon-webgl");
  return webglLoaded;
}

/** The WebGL addon's module, if `loadWebgl` has fetched it. */
export function loadedWebgl(): WebglModule | null {
  return webglLoaded;
}

/**
 * Whether the terminal opens with WebGL: asked for in the address, or this tab found on an
 * earlier load that the browser draws WebGL on a GPU. (Else the DOM renderer draws first, and
 * main.ts asks the browser once the first output is drawn.)
 */
export function webglAtOpen(search: string, kept: AnswerStore): boolean {
  return wantsWebgl(rendererChoice(search), () => keptHardwareWebgl(kept) === true);
}

/** What the page asks for: `auto` unless its query says `renderer=webgl` or `renderer=dom`. */
export type RendererChoice = "auto" | "webgl" | "dom";

export function rendererChoice(search: string): RendererChoice {
  const asked = new URLSearchParams(search).get("renderer");
  return asked === "webgl" || asked === "dom" ? asked : "auto";
}

/** Whether to try the WebGL renderer; `hardwareWebgl` is asked only for `auto`. */
export function wantsWebgl(choice: RendererChoice, hardwareWebgl: () => boolean): boolean {
  return choice === "webgl" || (choice === "auto" && hardwareWebgl());
}

/** Renderer names of software rasterisers (Chromium's SwiftShader, Mesa's llvmpipe and softpipe,
 * Windows' WARP). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** The answers so far: the probe creates a WebGL context (15-20 ms), so it is made once. */
const answers = new WeakMap<Document, boolean>();

/** Where a tab keeps the answer for its next page load (sessionStorage): `gpu` or `software`. */
export const WEBGL_KEY = "web-terminal.webgl";

/** The part of a key-value store (token.ts's `KeyValueStore`) the answer is kept in. */
export interface AnswerStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

/**
 * The answer this tab found on an earlier page load (`kept`, its sessionStorage), without asking
 * the browser: null when there is none. A tab's browser does not change its GPU between loads (a
 * WebGL context lost later falls back to the DOM renderer).
 */
export function keptHardwareWebgl(kept: AnswerStore): boolean | null {
  const stored = kept.get(WEBGL_KEY);
  return stored === "gpu" ? true : stored === "software" ? false : null;
}

/**
 * Whether `document` can have a WebGL2 context that the browser does not render in software: one
 * without a major performance caveat (Chromium still grants one from SwiftShader when it was
 * started without a GPU), whose renderer is not a software rasteriser. Asked once per document,
 * and once per tab with `kept` (see `keptHardwareWebgl`). The probe costs some 15-20 ms of the
 * main thread: main.ts asks only once the first output is drawn, and opens the terminal with
 * the answer kept, if any.
 */
export function hardwareWebgl(document: Document, kept?: AnswerStore): boolean {
  let answer = answers.get(document);
  if (answer === undefined) {
    answer = (kept === undefined ? null : keptHardwareWebgl(kept)) ?? probeWebgl(document);
    answers.set(document, answer);
    kept?.set(WEBGL_KEY, answer ? "gpu" : "software");
  }
  return answer;
}

function probeWebgl(document: Document): boolean {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("webgl2", { failIfMajorPerformanceCaveat: true });
  if (context === null) {
    return false;
  }
  const info = context.getExtension("WEBGL_debug_renderer_info");
  const name: unknown = context.getParameter(info === null ? context.RENDERER : info.UNMASKED_RENDERER_WEBGL);
  // Browsers keep only so many contexts: give the probe's back at once.
  context.getExtension("WEBGL_lose_context")?.loseContext();
  return !(typeof name === "string" && SOFTWARE_RENDERER.test(name));
}
