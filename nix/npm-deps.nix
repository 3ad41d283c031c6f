# importNpmLock's npmDeps for an npm project whose package-lock.json names each registry package
# and pins its integrity hash but records no download address (npm's
# omit-lockfile-registry-resolved), so that importNpmLock has no URL to fetch. Each such package is
# fetched by npm itself, from npm's configured registry, in a fixed-output derivation whose hash is
# the lockfile's integrity: the tarball is the one the lockfile pinned or the build fails. A registry
# mirror can be set with npm_config_registry in the Nix daemon's environment.
# checks/nix/npm_lock.py repeats this path without Nix in `make test`.
#
# Used by nix/frontend.nix (the UI) and nix/gitops-check.nix (checks/gitops/crd-models).
{
  lib,
  cacert,
  importNpmLock,
  nodejs_22,
  runCommand,
}:
npmRoot:
let
  packageLock = lib.importJSON (npmRoot + "/package-lock.json");

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
in
importNpmLock {
  inherit npmRoot;
  packageSourceOverrides = lib.mapAttrs fetchRegistryPackage registryPackages;
}
