// @ts-check
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "e2e/artifacts/", "src/generated/"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Browser code and Node code (configs, build checks, the e2e test) have separate
        // tsconfigs with different globals and libraries.
        project: ["./tsconfig.json", "./tsconfig.node.json", "./e2e/tsconfig.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The token must never reach the console; diagnostics go to the status bar instead.
      "no-console": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  {
    files: ["src/**/*.ts"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["e2e/**/*.mjs", "build/**/*.ts", "*.config.{js,ts}"],
    languageOptions: { globals: globals.node },
    rules: {
      // The end-to-end test reports progress on the console on purpose.
      "no-console": "off",
      // tsc (checkJs) checks names, and knows which callbacks run in the browser.
      "no-undef": "off",
      // node:test tracks the promises that describe() and it() return.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it"] }] },
      ],
    },
  },
);
