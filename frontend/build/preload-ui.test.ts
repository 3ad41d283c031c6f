import { describe, expect, it } from "vitest";
import { chunkFiles, type ChunkInfo } from "./preload-ui.ts";

describe("chunkFiles", () => {
  const bundle: Record<string, ChunkInfo> = {
    "assets/boot.js": { type: "chunk", fileName: "assets/boot.js", facadeModuleId: "/ui/index.html", imports: ["assets/shared.js"] },
    "assets/main.js": {
      type: "chunk",
      fileName: "assets/main.js",
      facadeModuleId: "/ui/src/main.ts",
      imports: ["assets/vendor.js", "assets/shared.js"],
      viteMetadata: { importedCss: new Set(["assets/main.css"]) },
    },
    "assets/vendor.js": { type: "chunk", fileName: "assets/vendor.js", imports: ["assets/shared.js"], viteMetadata: { importedCss: new Set(["assets/vendor.css"]) } },
    "assets/shared.js": { type: "chunk", fileName: "assets/shared.js", imports: [] },
    "assets/main.css": { type: "asset", fileName: "assets/main.css" },
  };

  it("lists the module's chunk, every chunk it imports statically once, and their styles", () => {
    expect(chunkFiles(bundle, "/src/main.ts")).toEqual({
      scripts: ["assets/main.js", "assets/vendor.js", "assets/shared.js"],
      styles: ["assets/main.css", "assets/vendor.css"],
    });
  });

  it("finds nothing for a module that is in no chunk", () => {
    expect(chunkFiles(bundle, "/src/other.ts")).toEqual({ scripts: [], styles: [] });
  });
});
