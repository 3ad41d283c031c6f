import { defineConfig } from "vitest/config";
import { cspSafeHtml } from "./build/csp-check.ts";

export default defineConfig({
  // Relative asset URLs, so the UI also works behind a reverse proxy under a path prefix.
  base: "./",
  plugins: [cspSafeHtml()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Never inline the entry script or small assets as data: URLs: the CSP allows neither.
    assetsInlineLimit: 0,
    target: "es2022",
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts", "build/**/*.test.ts"],
    environment: "node",
    restoreMocks: true,
  },
});
