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
        project: ["./tsconfig.json", "./tsconfig.node.json"],
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
      // The end-to-end test reports progress and server logs on the console on purpose.
      "no-console": "off",
    },
  },
);
