import { defineConfig } from "vitest/config";
import { cspSafeHtml } from "./build/csp-check.ts";
import { precompress } from "./build/precompress.ts";
import { preloadDynamicImport } from "./build/preload-ui.ts";

export default defineConfig({
  // Relative asset URLs, so the UI also works behind a reverse proxy under a path prefix.
  base: "./",
  // index.html's entry (src/boot.ts) imports the UI (src/main.ts) dynamically: its chunks are
  // preloaded by the page itself (build/preload-ui.ts).
  // Every text file also gzipped, for browsers that accept it (build/precompress.ts).
  plugins: [cspSafeHtml(), preloadDynamicImport("index.html", "/src/main.ts"), precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Never inline the entry script or small assets as data: URLs: the CSP allows neither.
    assetsInlineLimit: 0,
    target: "es2022",
    sourcemap: false,
    // Two pages: the terminal, and the replay page, whose code loads only there.
    rollupOptions: {
      input: { main: "index.html", replay: "replay.html" },
    },
  },
  test: {
    include: ["src/**/*.test.ts", "build/**/*.test.ts"],
    environment: "node",
    restoreMocks: true,
    // `npm test` turns coverage on (`--coverage`); a plain `npx vitest run FILE` skips it.
    coverage: {
      provider: "v8",
      // The UI's own code; not the tests and their helpers, the type-only test hook or the file
      // generated from src/protocol.rs. (build/ is Node tooling for `vite build`, not the UI.)
      include: ["src/**/*.ts"],
      exclude: ["src/**/*.test.ts", "src/**/*.test-helper.ts", "src/**/*.d.ts", "src/test-hook.ts", "src/generated/**"],
      reporter: ["text-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 75, statements: 75, functions: 75, branches: 75 },
    },
  },
});
