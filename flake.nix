{
  description = "web-terminal: a self-hosted browser terminal, its OCI image and its NixOS module";

  # Only these two inputs. flake.lock holds exactly the nodes in ../shared/nix/flake-pins.json
  # (see ../shared/nix/PINS.md); `checks/nix.sh` keeps the two equal. crane 0.23 needs Nix 2.31.2
  # or newer.
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    crane.url = "github:ipetkov/crane/v0.23.4";
  };

  outputs =
    {
      self,
      nixpkgs,
      crane,
    }:
    let
      inherit (nixpkgs) lib;

      # Checks, the image and the NixOS test need Linux; the server, the UI and the dev shell
      # also build on macOS.
      linuxSystems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      allSystems = linuxSystems ++ [
        "aarch64-darwin"
        "x86_64-darwin"
      ];

      # Everything this repository builds for one system (nix/default.nix).
      perSystem = lib.genAttrs allSystems (
        system:
        import ./nix {
          pkgs = nixpkgs.legacyPackages.${system};
          inherit crane self;
          inherit (nixpkgs.lib) nixosSystem;
          nixosModule = self.nixosModules.default;
        }
      );
    in
    {
      packages = lib.mapAttrs (_: outputs: outputs.packages) perSystem;

      checks = lib.genAttrs linuxSystems (system: perSystem.${system}.checks);

      # `nix run`: the server on 127.0.0.1:8080 (the built-in defaults), data under ./data.
      apps = lib.mapAttrs (_: outputs: { default = outputs.app; }) perSystem;

      devShells = lib.mapAttrs (_: outputs: { default = outputs.devShell; }) perSystem;

      formatter = lib.genAttrs allSystems (system: nixpkgs.legacyPackages.${system}.nixfmt-tree);

      # services.web-terminal; `package` defaults to this flake's package for the host system.
      nixosModules.default = import ./nixos-module self;
    };
}
