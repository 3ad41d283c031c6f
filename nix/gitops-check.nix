# checks/gitops.sh, the script `make test` runs, with nixpkgs' tools on PATH instead of the ones it
# installs itself (CHECKS_NO_INSTALL=1): kustomize and kubectl, kubernetes-validate, checkov,
# yamllint, actionlint, ShellCheck, promtool and prometheus, Node with the CRD models, and Python
# with pytest, PyYAML, jsonschema and websockets. Every tool the script asks for exists in nixpkgs,
# so nothing is skipped. The versions are nixpkgs', not the pins in checks/gitops/requirements*.txt;
# the CRD models are the lockfile's.
{
  lib,
  runCommand,
  stdenvNoCC,
  importNpmLock,
  nodejs_22,
  npmDepsOf,
  python3,
  kubectl,
  kustomize,
  checkov,
  yamllint,
  actionlint,
  shellcheck,
  prometheus,
  web-terminal,
}:
let
  root = ../.;

  # The whole repository, since ShellCheck covers every *.sh in it, without a local build's
  # leftovers (a flake evaluated from git never has them; `path:` flakes can).
  leftovers = lib.fileset.unions [
    (lib.fileset.maybeMissing ../target)
    (lib.fileset.maybeMissing ../.tools)
    (lib.fileset.maybeMissing ../frontend/node_modules)
    (lib.fileset.maybeMissing ../frontend/dist)
    (lib.fileset.maybeMissing ../tests/oidc/node_modules)
  ];
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.difference root leftovers;
  };

  # checks/gitops/crd-models installed as checks/gitops.sh installs it into the tools cache
  # (`npm ci` from its lockfile): the Argo CD and prometheus-operator models and TypeScript.
  crdModels = stdenvNoCC.mkDerivation {
    pname = "web-terminal-crd-models";
    version = "0";
    src = ../checks/gitops/crd-models;
    npmDeps = npmDepsOf ../checks/gitops/crd-models;
    nativeBuildInputs = [
      nodejs_22
      importNpmLock.npmConfigHook
    ];
    dontBuild = true;
    installPhase = ''
      runHook preInstall
      mkdir $out
      mv node_modules $out/
      runHook postInstall
    '';
  };

  python = python3.withPackages (ps: [
    ps.jsonschema
    ps.kubernetes-validate
    ps.pytest
    ps.pyyaml
    ps.websockets
  ]);
in
runCommand "web-terminal-gitops-checks"
  {
    nativeBuildInputs = [
      python
      nodejs_22
      kubectl
      kustomize
      checkov
      yamllint
      actionlint
      shellcheck
      # promtool; and prometheus itself for the live scrape test.
      prometheus.cli
      prometheus
    ];
    env = {
      CHECKS_NO_INSTALL = "1";
      WEB_TERMINAL_CRD_MODELS = "${crdModels}";
      # The live test runs this server and `check-config` on every overlay's configuration.
      WEB_TERMINAL_BIN = lib.getExe web-terminal;
    };
  }
  ''
    cp -r ${src} repo
    chmod -R u+w repo
    cd repo
    export HOME=$TMPDIR
    # The sandbox has no /usr/bin/env; the tests run scripts/promote.sh directly.
    patchShebangs checks scripts
    bash checks/gitops.sh
    touch $out
  ''
