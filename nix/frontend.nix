# The browser UI (frontend/): `npm run build` into $out, which is the dist directory itself
# (index.html and assets/), ready for the server's WEB_TERMINAL_UI_DIST. The check phase runs the
# UI's typecheck and unit tests (Vitest); the browser end-to-end test runs in `make test` only.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs_22,
  npmDepsOf,
}:
let
  root = ../frontend;
  packageJson = lib.importJSON ../frontend/package.json;

  leftovers = lib.fileset.unions [
    (lib.fileset.maybeMissing ../frontend/node_modules)
    (lib.fileset.maybeMissing ../frontend/dist)
    (lib.fileset.maybeMissing ../frontend/e2e/artifacts)
    (lib.fileset.maybeMissing ../frontend/coverage)
  ];
in
buildNpmPackage {
  pname = packageJson.name;
  inherit (packageJson) version;

  # frontend/ without what a local `npm ci` or `npm run build` leaves behind.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.difference root leftovers;
  };

  # Every package is pinned by its package-lock.json integrity hash: no npmDepsHash to compute.
  npmDeps = npmDepsOf root;
  npmConfigHook = importNpmLock.npmConfigHook;

  # Node 20 reached end of life in April 2026.
  nodejs = nodejs_22;

  doCheck = true;
  checkPhase = ''
    runHook preCheck
    npm run typecheck
    npm test
    runHook postCheck
  '';

  # Replaces npm's install hook: the output is the built site, not an npm package.
  installPhase = ''
    runHook preInstall
    cp -r dist $out
    runHook postInstall
  '';

  meta = {
    description = "Browser UI of web-terminal (xterm.js over the protocol v1 WebSocket)";
    license = lib.licenses.mit;
  };
}
