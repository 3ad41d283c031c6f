// The page's entry (src/boot.ts) opens the WebSocket first, then loads the UI (src/main.ts) with a
// dynamic import, so that the socket's handshake does not wait for the UI's code. A dynamic
// import's chunks would only be asked for once the entry has run: this plugin names them in
// index.html (`modulepreload`, and the UI's styles), so the browser fetches them in parallel with
// the entry.
import type { HtmlTagDescriptor, Plugin } from "vite";

/** What this plugin reads of an output chunk. */
export interface ChunkInfo {
  type: "chunk" | "asset";
  fileName: string;
  facadeModuleId?: string | null;
  imports?: string[];
  viteMetadata?: { importedCss: Set<string> };
}

/**
 * The files of the chunk whose entry module ends with `module`: that chunk and the chunks it
 * imports statically (all of them, in order), and the styles they import.
 */
export function chunkFiles(bundle: Record<string, ChunkInfo>, module: string): { scripts: string[]; styles: string[] } {
  const entry = Object.values(bundle).find((chunk) => chunk.type === "chunk" && chunk.facadeModuleId?.endsWith(module) === true);
  const scripts: string[] = [];
  const styles: string[] = [];
  const visit = (fileName: string): void => {
    const chunk = bundle[fileName];
    if (chunk?.type !== "chunk" || scripts.includes(fileName)) {
      return;
    }
    scripts.push(fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) {
      if (!styles.includes(css)) {
        styles.push(css);
      }
    }
    for (const imported of chunk.imports ?? []) {
      visit(imported);
    }
  };
  if (entry !== undefined) {
    visit(entry.fileName);
  }
  return { scripts, styles };
}

/** A Vite plugin that preloads the chunks (and styles) of `module`, imported dynamically, in `page`. */
export function preloadDynamicImport(page: string, module: string): Plugin {
  return {
    name: "web-terminal:preload-dynamic-import",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, context) {
        if (context.bundle === undefined || !context.filename.endsWith(page)) {
          return html;
        }
        const { scripts, styles } = chunkFiles(context.bundle, module);
        if (scripts.length === 0) {
          this.error(`${page}: no chunk for ${module}`);
        }
        // What the page names already (the entry, and what it imports) is left as it is.
        const missing = (file: string) => !html.includes(`"./${file}"`);
        const tags: HtmlTagDescriptor[] = [
          ...styles.filter(missing).map((file) => ({ tag: "link", attrs: { rel: "stylesheet", crossorigin: true, href: `./${file}` }, injectTo: "head" as const })),
          ...scripts.filter(missing).map((file) => ({ tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `./${file}` }, injectTo: "head" as const })),
        ];
        return { html, tags };
      },
    },
  };
}
