# The browser UI (frontend/): `npm run build` into $out, which is the dist directory itself
# (index.html and assets/), ready for the server's WEB_TERMINAL_UI_DIST. The check phase runs the
# UI's typecheck and unit tests (Vitest); the browser end-to-end test runs in `make test` only.
{
  lib,
  buildNpmPackage,
  cacert,
  importNpmLock,
  nodejs_22,
  runCommand,
}:
let
  root = ../frontend;
  packageJson = lib.importJSON ../frontend/package.json;
  packageLock = lib.importJSON ../frontend/package-lock.json;

  # package-lock.json names each registry package and pins its integrity hash, but records no
  # download address (npm's omit-lockfile-registry-resolved), so importNpmLock has no URL to fetch.
  # Each such package is fetched by npm itself, from npm's configured registry, in a fixed-output
  # derivation whose hash is the lockfile's integrity: the tarball is the one the lockfile pinned or
  # the build fails. A registry mirror can be set with npm_config_registry in the Nix daemon's
  # environment. checks/nix/npm_lock.py repeats this path without Nix in `make test`.
  fetchRegistryPackage =
    path: module:
    let
      # "node_modules/a/node_modules/@scope/b" is @scope/b; an aliased package names its target.
      name = module.name or (lib.last (lib.splitString "node_modules/" path));
      spec = "${name}@${module.version}";
    in
    runCommand (lib.strings.sanitizeDerivationName (lib.removePrefix "@" "${spec}.tgz"))
      {
        nativeBuildInputs = [ nodejs_22 ];
        outputHash = module.integrity;
        outputHashMode = "flat";
        impureEnvVars = lib.fetchers.proxyImpureEnvVars ++ [ "npm_config_registry" ];
        # nixpkgs' Node reads the system CA store, and the sandbox has none.
        NODE_EXTRA_CA_CERTS = "${cacert}/etc/ssl/certs/ca-bundle.crt";
      }
      ''
        export HOME=$TMPDIR npm_config_update_notifier=false
        mkdir pack
        npm pack --ignore-scripts --pack-destination pack ${lib.escapeShellArg spec}
        mv pack/*.tgz "$out"
      '';

  registryPackages = lib.filterAttrs (
    path: module: path != "" && module ? integrity && !(module ? resolved)
  ) packageLock.packages;

  leftovers = lib.fileset.unions [
    (lib.fileset.maybeMissing ../frontend/node_modules)
    (lib.fileset.maybeMissing ../frontend/dist)
    (lib.fileset.maybeMissing ../frontend/e2e/artifacts)
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
  npmDeps = importNpmLock {
    npmRoot = root;
    packageSourceOverrides = lib.mapAttrs fetchRegistryPackage registryPackages;
  };
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
