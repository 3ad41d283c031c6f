// The server's Content-Security-Policy allows scripts only from 'self': an inline <script>, an
// inline event handler or a javascript: URL in index.html would be blocked and the UI would not
// start. This plugin fails `vite build` when the built index.html contains any of them.
import type { Plugin } from "vite";

/** Each way `html` would break under `script-src 'self'` (no 'unsafe-inline'); empty when clean. */
export function inlineScriptProblems(html: string): string[] {
  const problems: string[] = [];
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, "");
  for (const match of withoutComments.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const attributes = match[1] ?? "";
    const body = match[2] ?? "";
    if (!/\ssrc\s*=/i.test(attributes)) {
      problems.push("inline <script> without src");
    } else if (body.trim() !== "") {
      problems.push("<script src> with an inline body");
    }
  }
  for (const tag of withoutComments.matchAll(/<[a-z][^>]*>/gi)) {
    const handler = /\s(on[a-z]+)\s*=/i.exec(tag[0]);
    if (handler) {
      problems.push(`inline event handler ${handler[1] ?? ""}`);
    }
    if (/=\s*["']?\s*javascript:/i.test(tag[0])) {
      problems.push("javascript: URL");
    }
  }
  return problems;
}

/** A Vite plugin that fails the build when the emitted index.html needs inline script. */
export function cspSafeHtml(): Plugin {
  return {
    name: "web-terminal:csp-safe-html",
    apply: "build",
    writeBundle(_options, bundle) {
      for (const [fileName, output] of Object.entries(bundle)) {
        if (!fileName.endsWith(".html") || output.type !== "asset") {
          continue;
        }
        const html = typeof output.source === "string" ? output.source : new TextDecoder().decode(output.source);
        const problems = inlineScriptProblems(html);
        if (problems.length > 0) {
          this.error(`${fileName} would be blocked by the server's CSP: ${problems.join("; ")}`);
        }
      }
    },
  };
}
