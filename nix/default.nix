# Everything the flake builds for one system: packages, the `nix run` app, checks and the dev shell.
# flake.nix maps this over the systems; the checks are exposed for Linux only.
{
  pkgs,
  crane,
  self,
  nixosSystem,
  nixosModule,
}:
let
  inherit (pkgs) lib;

  craneLib = crane.mkLib pkgs;

  # npmDeps for a package-lock.json without download addresses (the UI, the CRD models).
  npmDepsOf = import ./npm-deps.nix {
    inherit (pkgs)
      lib
      cacert
      importNpmLock
      nodejs_22
      runCommand
      ;
  };

  frontend = pkgs.callPackage ./frontend.nix { inherit npmDepsOf; };

  rust = import ./rust.nix {
    inherit lib craneLib frontend;
    inherit (pkgs) procps;
  };
  web-terminal = rust.package;

  # The release's binary: static (musl), for any Linux of this architecture.
  web-terminal-static = import ./static.nix {
    inherit lib crane frontend;
    inherit (pkgs) pkgsStatic;
  };

  image = pkgs.callPackage ./image.nix {
    inherit web-terminal;
    # The OCI revision label; "dirty" for a tree with uncommitted changes.
    revision = self.rev or "dirty";
  };

  # `web-terminal start` with the built-in defaults: 127.0.0.1:8080, workspaces in ./data.
  start = pkgs.writeShellApplication {
    name = "web-terminal-start";
    text = ''exec ${lib.getExe web-terminal} start "$@"'';
  };
in
{
  packages = {
    inherit frontend web-terminal;
    default = web-terminal;
  }
  // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux { inherit image web-terminal-static; };

  app = {
    type = "app";
    program = lib.getExe start;
    meta.description = "Serve web-terminal on 127.0.0.1:8080";
  };

  checks = rust.checks // {
    inherit frontend web-terminal image;

    # The manifest validation `make test` runs (checks/gitops.sh), with nixpkgs' tools.
    gitops = pkgs.callPackage ./gitops-check.nix { inherit web-terminal npmDepsOf; };

    # nixfmt-tree in check mode over every .nix file.
    formatting = pkgs.callPackage ./formatting-check.nix { };

    # The NixOS module: its assertion, by evaluation, and the service itself, in VMs.
    nixos-module-assertions = pkgs.callPackage ./module-assertions.nix {
      inherit nixosSystem nixosModule;
    };
    nixos-vm = pkgs.callPackage ./vm-test.nix { inherit nixosModule; };
  };

  devShell = craneLib.devShell {
    # The server's build inputs, as crane's quick-start does with its checks.
    checks = {
      inherit web-terminal;
    };
    packages = [
      pkgs.nodejs_22
      pkgs.cargo-nextest
      pkgs.cargo-deny
      pkgs.kubectl
      pkgs.kustomize
      pkgs.prometheus.cli
      pkgs.nixfmt-tree
      pkgs.deadnix
    ];
  };
}
