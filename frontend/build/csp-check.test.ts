import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import { cspSafeHtml, inlineScriptProblems } from "./csp-check.ts";

const CLEAN = `<!doctype html>
<html lang="en">
  <head>
    <!-- <script>commented out, never run</script> -->
    <script type="module" crossorigin src="./assets/index-abc123.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-def456.css">
  </head>
  <body><main id="terminal" data-online="yes"></main></body>
</html>`;

describe("inlineScriptProblems", () => {
  it("passes a page that loads its script from a file", () => {
    expect(inlineScriptProblems(CLEAN)).toEqual([]);
  });

  it.each([
    ["an inline module script", CLEAN.replace("</head>", '<script type="module">import "./x.js"</script></head>'), "inline <script>"],
    ["a script with src and a body", CLEAN.replace('index-abc123.js"></script>', 'index-abc123.js">init()</script>'), "inline body"],
    ["an inline event handler", CLEAN.replace('<main id="terminal"', '<main id="terminal" onclick="go()"'), "onclick"],
    ["an uppercase handler", CLEAN.replace("<body>", "<BODY ONLOAD='go()'>"), "ONLOAD"],
    ["a javascript: URL", CLEAN.replace("<body>", '<body><a href="javascript:go()">x</a>'), "javascript:"],
  ])("reports %s", (_name, html, problem) => {
    const problems = inlineScriptProblems(html);
    expect(problems.join("; ")).toContain(problem);
  });
});

describe("cspSafeHtml plugin", () => {
  // Builds a throwaway project with the plugin, so the check is shown to stop a real build.
  async function buildWith(indexHtml: string): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), "csp-check-"));
    try {
      await writeFile(join(root, "main.js"), "document.title = 'ok';\n");
      await writeFile(join(root, "index.html"), indexHtml);
      await build({
        root,
        configFile: false,
        logLevel: "silent",
        plugins: [cspSafeHtml()],
        build: { outDir: join(root, "dist") },
      });
      return await readFile(join(root, "dist", "index.html"), "utf8");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  it("lets a clean page build", async () => {
    const html = await buildWith('<!doctype html><html><head><script type="module" src="./main.js"></script></head><body></body></html>');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
  });

  it("fails the build of a page with an inline handler", async () => {
    await expect(
      buildWith('<!doctype html><html><head><script type="module" src="./main.js"></script></head><body onload="x()"></body></html>'),
    ).rejects.toThrow(/would be blocked by the server's CSP: inline event handler onload/);
  });
});
