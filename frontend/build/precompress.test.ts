import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipped, precompress } from "./precompress.ts";

describe("gzipped", () => {
  it("is the file gzipped, when that is smaller", () => {
    const text = new TextEncoder().encode("terminal ".repeat(1000));
    const compressed = gzipped(text);
    expect(compressed).not.toBeNull();
    expect(compressed?.length).toBeLessThan(text.length / 10);
    expect(gunzipSync(compressed ?? new Uint8Array())).toEqual(Buffer.from(text));
  });

  it("is null when gzip would not make it smaller", () => {
    expect(gzipped(new TextEncoder().encode("x"))).toBeNull();
  });
});

describe("precompress", () => {
  it("writes NAME.gz beside each compressible file of the output, and nothing beside the rest", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "precompress-"));
    try {
      await writeFile(path.join(root, "index.html"), "<!doctype html>".repeat(100));
      await mkdir(path.join(root, "assets"));
      await writeFile(path.join(root, "assets", "main-1.js"), "console.log('terminal');\n".repeat(100));
      await writeFile(path.join(root, "assets", "image.png"), "PNG".repeat(100));
      await writeFile(path.join(root, "assets", "tiny.css"), "a{}");
      const plugin = precompress();
      const configResolved = plugin.configResolved as (config: { root: string; build: { outDir: string } }) => void;
      configResolved({ root, build: { outDir: "." } });
      await (plugin.closeBundle as () => Promise<void>)();
      const names = (await readdir(root, { recursive: true })).map(String).sort();
      expect(names).toEqual(["assets", "assets/image.png", "assets/main-1.js", "assets/main-1.js.gz", "assets/tiny.css", "index.html", "index.html.gz"]);
      const original = await readFile(path.join(root, "assets", "main-1.js"));
      expect(gunzipSync(await readFile(path.join(root, "assets", "main-1.js.gz")))).toEqual(original);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
