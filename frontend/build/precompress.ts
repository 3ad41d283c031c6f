// The server sends a gzipped copy of each text file of the built UI to browsers that accept one
// (src/web/assets.rs): about a quarter of the bytes over the wire. This plugin writes those copies
// beside the files (`main-….js.gz`), gzipped once at the highest level when the UI is built,
// rather than on every request.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** The files worth compressing: text. Images other than SVG and fonts are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|webmanifest)$/;

/** The gzipped copy of `contents`, or null when it would not be smaller. */
export function gzipped(contents: Uint8Array): Uint8Array | null {
  const compressed = gzipSync(contents, { level: 9 });
  return compressed.length < contents.length ? compressed : null;
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** A Vite plugin that writes `NAME.gz` beside each compressible file of the build's output. */
export function precompress(): Plugin {
  let outDir = "";
  return {
    name: "web-terminal:precompress",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      for (const name of await filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(name)) {
          continue;
        }
        const file = path.join(outDir, name);
        const compressed = gzipped(await readFile(file));
        if (compressed !== null) {
          await writeFile(`${file}.gz`, compressed);
        }
      }
    },
  };
}
