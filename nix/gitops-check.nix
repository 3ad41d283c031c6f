# checks/gitops.sh, the script `make test` runs, with nixpkgs' tools on PATH instead of the ones it
# installs itself (CHECKS_NO_INSTALL=1): kustomize and kubectl, kubernetes-validate, checkov,
# yamllint, actionlint, ShellCheck, promtool and prometheus, and Python with pytest, PyYAML,
# jsonschema and websockets. Every tool the script asks for exists in nixpkgs, so nothing is skipped.
# The versions are nixpkgs', not the pins in checks/gitops/requirements*.txt.
{
  lib,
  runCommand,
  fetchurl,
  linkFarm,
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

  # The CRD schemas the checks read from ../shared/schemas beside a checkout: the same upstream files
  # at the same commits, with the sha256 sums listed in shared/schemas/*/README.md (and checked the
  # same way by .github/workflows/ci.yml). The action pins list (shared/github/ACTION-PINS.md) has no
  # upstream; without it the check still requires every `uses:` to be pinned to a full SHA.
  argocd = "https://raw.githubusercontent.com/argoproj/argo-cd/109ca7ca71139e514114499d294a492e7910a965/manifests/crds";
  prometheusOperator = "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/f8fafd475f3d132e239432ae6172de60a6cb6516/example/prometheus-operator-crd";
  shared = linkFarm "web-terminal-shared-schemas" [
    {
      name = "schemas/argocd/application-crd.yaml";
      path = fetchurl {
        url = "${argocd}/application-crd.yaml";
        sha256 = "5dde0e229249b6b707beb98674c1deae3949d5c319a6c45b9f5a80c99618e40c";
      };
    }
    {
      name = "schemas/argocd/applicationset-crd.yaml";
      path = fetchurl {
        url = "${argocd}/applicationset-crd.yaml";
        sha256 = "7d282054f41ca2b71a22bab04a8caf0000e07e53a62432e6ea292dae5ab4f07d";
      };
    }
    {
      name = "schemas/argocd/appproject-crd.yaml";
      path = fetchurl {
        url = "${argocd}/appproject-crd.yaml";
        sha256 = "ab225266944322750136f1198d93786e4a79a0e43c8d149abfba44da30a3eac8";
      };
    }
    {
      name = "schemas/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml";
      path = fetchurl {
        url = "${prometheusOperator}/monitoring.coreos.com_servicemonitors.yaml";
        sha256 = "a99047972c9dd7679ce2050b9968e8a08773492e671b3e17abd476d42aa78a32";
      };
    }
    {
      name = "schemas/prometheus-operator/monitoring.coreos.com_podmonitors.yaml";
      path = fetchurl {
        url = "${prometheusOperator}/monitoring.coreos.com_podmonitors.yaml";
        sha256 = "45a93443daa687d3654f7e9631909ff7edcdf3ec09c5e60251b74aa2722aee5d";
      };
    }
    {
      name = "schemas/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml";
      path = fetchurl {
        url = "${prometheusOperator}/monitoring.coreos.com_prometheusrules.yaml";
        sha256 = "78be98554b9c8506ab2b4f4feb91c5f3a56e536a0a510f3a8e876a459970d56d";
      };
    }
  ];

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
      WEB_TERMINAL_SHARED_DIR = "${shared}";
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
