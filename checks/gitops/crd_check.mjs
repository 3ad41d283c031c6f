// Validates the objects of CRD-backed kinds (Argo CD, Argo Rollouts, prometheus-operator, Gateway
// API, cert-manager) against the models that the @kubernetes-models packages generate from those
// projects' CRDs or API types (pinned, with their integrity
// hashes, in crd-models/package-lock.json). Called by check_crd_schemas in gitops_checks.py:
//
//   node crd_check.mjs <models dir> <documents.json> <work dir>
//
// <models dir> holds the node_modules that `npm ci` installed from crd-models/ (the tools cache,
// or a Nix store path); <documents.json> is a list of {"where": "...", "doc": {...}}. Each object
// passes two checks, and every problem is printed as "<where>: <what>":
//   1. the package's own validator (generated JSON Schema: types, required fields, enums,
//      patterns, formats). It lets unknown fields through, as the CRDs' schemas do;
//   2. the package's TypeScript type, with the object written as an object literal and compiled by
//      tsc: TypeScript refuses properties a type does not declare, at every depth, which is what
//      the API server's strict field validation does (a misspelled `selfHeal` or `scrapeTimeout`).
// Exit status: 0 when every object passes, 1 when any fails, 2 on a usage or setup error.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// The package that models each API group; a group missing here has no schema and fails. Argo CD
// and Argo Rollouts share argoproj.io, so their kinds are told apart by ROLLOUTS_KINDS.
const PACKAGES = {
  "argoproj.io": "@kubernetes-models/argo-cd",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
  "cert-manager.io": "@kubernetes-models/cert-manager",
};
const ROLLOUTS_KINDS = new Set(["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"]);

function usage(message) {
  console.error(`crd_check.mjs: ${message}`);
  console.error("usage: node crd_check.mjs <models dir> <documents.json> <work dir>");
  process.exit(2);
}

/** The model module of one object, as a package path ("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application"). */
function modelPath(doc) {
  const group = String(doc.apiVersion ?? "").split("/")[0];
  const pkg = group === "argoproj.io" && ROLLOUTS_KINDS.has(doc.kind) ? "@kubernetes-models/argo-rollouts" : PACKAGES[group];
  return pkg && typeof doc.kind === "string" && /^\w+$/.test(doc.kind) ? `${pkg}/${doc.apiVersion}/${doc.kind}` : undefined;
}

/** Check 1: the generated validators. Returns the problems and the objects that have a model. */
async function validateWithModels(modules, documents) {
  const problems = [];
  const modelled = [];
  for (const [index, { where, doc }] of documents.entries()) {
    const model = modelPath(doc);
    const file = model && path.join(modules, `${model}.js`);
    if (!file || !existsSync(file)) {
      problems.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    const Model = (await import(pathToFileURL(file).href))[doc.kind];
    try {
      new Model(doc).validate();
    } catch (error) {
      // A ValidationError carries ajv's errors, each with the JSON pointer of the bad value.
      const errors = Array.isArray(error?.errors) ? error.errors : [{ instancePath: "", message: String(error?.message ?? error) }];
      for (const { instancePath, message } of errors) {
        problems.push(`${where}: ${instancePath.slice(1) || "(root)"}: ${message}`);
      }
    }
    modelled.push({ index, where, doc, model });
  }
  return { problems, modelled };
}

/**
 * A value as TypeScript source lines, pretty-printed like JSON, each line paired with the path of
 * the value it starts ("spec/endpoints/0/scrapeTimeout"), so that a tsc error points at a field.
 */
function literalLines(value, pathSoFar, indent, prefix, suffix, out) {
  const pad = "  ".repeat(indent);
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), "", item])
    : value !== null && typeof value === "object"
      ? Object.entries(value).map(([key, item]) => [key, `${JSON.stringify(key)}: `, item])
      : undefined;
  if (!entries || entries.length === 0) {
    out.push({ text: `${pad}${prefix}${JSON.stringify(value)}${suffix}`, path: pathSoFar });
    return;
  }
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  out.push({ text: `${pad}${prefix}${open}`, path: pathSoFar });
  entries.forEach(([key, label, item], i) => {
    const child = pathSoFar ? `${pathSoFar}/${key}` : key;
    literalLines(item, child, indent + 1, label, i < entries.length - 1 ? "," : "", out);
  });
  out.push({ text: `${pad}${close}${suffix}`, path: pathSoFar });
}

/** Check 2: every object as a typed object literal, compiled with tsc's strict checks. */
function checkTypes(modules, work, modelled) {
  if (modelled.length === 0) {
    return [];
  }
  // One entry per line of documents.ts; a document's lines say whose they are and which path.
  const lines = [{ text: "// Generated by checks/gitops/crd_check.mjs: one typed constant per rendered document." }];
  for (const { index, doc, model } of modelled) {
    lines.push({ text: `import type { I${doc.kind} as T${index} } from "${model}";` });
  }
  for (const { index, where, doc } of modelled) {
    const body = [];
    literalLines(doc, "", 0, `export const document${index}: T${index} = `, ";", body);
    lines.push(...body.map((line) => ({ ...line, where })));
  }
  writeFileSync(path.join(work, "documents.ts"), lines.map((line) => line.text).join("\n") + "\n");
  writeFileSync(
    path.join(work, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: "es2022",
        module: "esnext",
        moduleResolution: "bundler",
        types: [],
        paths: { "@kubernetes-models/*": [path.join(modules, "@kubernetes-models/*")] },
      },
      files: ["documents.ts"],
    }),
  );
  const tsc = path.join(modules, "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "--project", work, "--pretty", "false"], { encoding: "utf8", cwd: work });
  if (run.status === 0) {
    return [];
  }
  const problems = [];
  for (const line of `${run.stdout}${run.stderr}`.split("\n")) {
    const match = /^documents\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
    if (match) {
      const { where = "documents.ts", path: field = "" } = lines[Number(match[1]) - 1] ?? {};
      problems.push(`${where}: ${field || "(root)"}: ${match[2]}`);
    } else if (line.trim() && !line.startsWith(" ")) {
      problems.push(`tsc: ${line}`);
    }
  }
  if (problems.length === 0) {
    problems.push(`tsc failed (exit ${run.status}):\n${run.stdout}${run.stderr}`);
  }
  return problems;
}

const [modelsDir, documentsFile, work] = process.argv.slice(2);
if (!modelsDir || !documentsFile || !work) {
  usage("three arguments expected");
}
const modules = path.join(path.resolve(modelsDir), "node_modules");
if (!existsSync(path.join(modules, "typescript", "bin", "tsc"))) {
  usage(`${modules} has no installed CRD models (checks/gitops.sh installs them from checks/gitops/crd-models)`);
}
const documents = JSON.parse(readFileSync(documentsFile, "utf8"));
const { problems, modelled } = await validateWithModels(modules, documents);
problems.push(...checkTypes(modules, path.resolve(work), modelled));
for (const problem of new Set(problems)) {
  console.log(problem);
}
process.exit(problems.length === 0 ? 0 : 1);
