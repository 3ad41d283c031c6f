# The NixOS module's assertions, by evaluation alone (no VM): listening on a non-loopback address
# with authentication off is refused unless allow_unauthenticated is set on purpose, so are state
# and workspace directories that ProtectHome= would hide, and the configurations that are fine pass.
# Also the unit's ordering: it wants and starts after network-online.target. And the backup: it
# needs a repository, a password file that is no Nix path and a retention, and it becomes nixpkgs'
# services.restic.backups.web-terminal over the state directory, as root, keeping 30 days.
{
  lib,
  stdenv,
  runCommand,
  nixosSystem,
  nixosModule,
}:
let
  # The NixOS configuration of a minimal machine with these services.web-terminal settings.
  evaluate =
    webTerminal:
    nixosSystem {
      modules = [
        nixosModule
        {
          nixpkgs.hostPlatform = stdenv.hostPlatform.system;
          # A minimal machine, so that only this module's assertions can fail.
          boot.loader.grub.enable = false;
          fileSystems."/" = {
            device = "/dev/vda";
            fsType = "ext4";
          };
          system.stateVersion = "26.05";
          services.web-terminal = webTerminal // {
            enable = true;
          };
        }
      ];
    };

  # The messages of the module's failed assertions for these services.web-terminal settings.
  failures =
    webTerminal:
    let
      failed = lib.filter (assertion: !assertion.assertion) (evaluate webTerminal).config.assertions;
    in
    lib.filter (lib.hasPrefix "services.web-terminal") (map (assertion: assertion.message) failed);

  # The unit itself, with the defaults: it waits for the network (the JWKS fetch at start-up needs
  # it), which takes both `wants` and `after` on network-online.target.
  unit = (evaluate { }).config.systemd.services.web-terminal;
  unitProblems =
    lib.optional (!(lib.elem "network-online.target" unit.wants)) "wants lacks network-online.target"
    ++ lib.optional (
      !(lib.elem "network-online.target" unit.after)
    ) "after lacks network-online.target";

  # The backup, with the defaults: what it hands nixpkgs' restic module.
  restic =
    (evaluate {
      backup = {
        enable = true;
        repository = "/srv/backups/web-terminal";
        passwordFile = "/run/secrets/restic-password";
      };
    }).config.services.restic.backups.web-terminal;
  backupProblems =
    lib.optional (!(lib.elem "/var/lib/web-terminal" restic.paths)) "paths lack the state directory"
    ++ lib.optional (restic.pruneOpts != [ "--keep-within 30d" ]) "pruneOpts do not keep 30 days"
    ++ lib.optional (restic.user != "root") "does not run as root";

  backupOn = {
    enable = true;
    repository = "/srv/backups/web-terminal";
    passwordFile = "/run/secrets/restic-password";
  };

  authOn = {
    authentication = {
      enabled = true;
      jwks_providers = [
        {
          name = "example";
          url = "https://login.example.com/jwks.json";
          issuer = "https://login.example.com";
        }
      ];
    };
  };

  cases = {
    "defaults (loopback, auth off)" = {
      settings = { };
      refused = false;
    };
    "0.0.0.0 with auth off" = {
      settings.host = "0.0.0.0";
      refused = true;
    };
    "[::] with auth off" = {
      settings.host = "::";
      refused = true;
    };
    "0.0.0.0 with allow_unauthenticated" = {
      settings = {
        host = "0.0.0.0";
        allow_unauthenticated = true;
      };
      refused = false;
    };
    "0.0.0.0 with auth on" = {
      settings.host = "0.0.0.0";
      auth = authOn;
      refused = false;
    };
    "::1 with auth off" = {
      settings.host = "::1";
      refused = false;
    };
    "workspaces under /home" = {
      settings.workspaces_dir = "/home/web-terminal/workspaces";
      refused = true;
    };
    "stateDir /root" = {
      settings = { };
      stateDir = "/root";
      refused = true;
    };
    "stateDir /srv/web-terminal" = {
      settings = { };
      stateDir = "/srv/web-terminal";
      refused = false;
    };
    "backup with a repository and a password file" = {
      settings = { };
      backup = backupOn;
      refused = false;
    };
    "backup without a repository" = {
      settings = { };
      backup = backupOn // {
        repository = null;
      };
      refused = true;
    };
    "backup with the password file as a Nix path" = {
      settings = { };
      backup = backupOn // {
        passwordFile = ./module-assertions.nix;
      };
      refused = true;
    };
    "backup that keeps everything forever" = {
      settings = { };
      backup = backupOn // {
        pruneOpts = [ ];
      };
      refused = true;
    };
  };

  wrong = lib.filterAttrs (
    _: case:
    let
      messages = failures (
        {
          inherit (case) settings;
          auth.settings = case.auth or { };
        }
        // lib.optionalAttrs (case ? stateDir) { inherit (case) stateDir; }
        // lib.optionalAttrs (case ? backup) { inherit (case) backup; }
      );
    in
    (messages != [ ]) != case.refused
  ) cases;
in
runCommand "web-terminal-nixos-module-assertions" { } (
  if wrong == { } && unitProblems == [ ] && backupProblems == [ ] then
    ''
      echo "${toString (lib.length (lib.attrNames cases))} configurations evaluated as expected; the unit waits for the network; the backup keeps the state directory 30 days"
      touch $out
    ''
  else
    ''
      echo "the assertion decided wrongly for: ${lib.concatStringsSep "; " (lib.attrNames wrong)}"
      echo "the unit: ${lib.concatStringsSep "; " unitProblems}"
      echo "the backup: ${lib.concatStringsSep "; " backupProblems}"
      exit 1
    ''
)
