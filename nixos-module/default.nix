# services.web-terminal: a browser terminal giving shells as a dedicated system user.
#
# Modelled on nixpkgs' miniflux and ntfy-sh modules: freeform `settings` through pkgs.formats,
# secrets only through `environmentFile` (never the Nix store or the command line), an assertion
# for the one dangerous combination, and deliberate systemd hardening. Unlike those modules it
# does not use DynamicUser: the terminal's shells need a real user with a home directory and a
# login shell.
#
# flake.nix imports this file with the flake itself, so that `package` defaults to its build.
flake:
{
  config,
  options,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    literalExpression
    mkEnableOption
    mkIf
    mkOption
    types
    ;

  cfg = config.services.web-terminal;

  settingsFormat = pkgs.formats.toml { };
  authFormat = pkgs.formats.yaml { };

  configFile = settingsFormat.generate "web-terminal.toml" cfg.settings;
  authFile = authFormat.generate "web-terminal-auth.yaml" cfg.auth.settings;

  # What Nix can see. AUTH_ENABLED in environmentFile would also switch authentication on, but is
  # invisible here: set authentication.enabled in auth.settings (it is no secret).
  authEnabled = cfg.auth.settings.authentication.enabled or false;
  loopback = host: lib.hasPrefix "127." host || host == "::1";

  # ProtectHome= below makes these inaccessible to the service, and systemd cannot nest
  # ReadWritePaths= inside them: neither stateDir nor workspaces_dir may be there.
  underHiddenDir =
    path:
    lib.any (dir: path == dir || lib.hasPrefix "${dir}/" path) [
      "/home"
      "/root"
      "/run/user"
    ];

  privilegedPort = cfg.settings.port < 1024;

  # An empty recording_dir records nothing (and needs no directory).
  recordingDir = cfg.settings.recording_dir;
  recording = recordingDir != "";

  # The server stops within shutdown_timeout_secs of SIGTERM; systemd waits this much longer
  # before it kills what is left.
  stopMarginSecs = 10;

  # What the backup takes: the state directory (by default the workspaces, the recordings and the
  # logs), and the workspaces and recordings wherever the settings moved them.
  underStateDir = path: path == cfg.stateDir || lib.hasPrefix "${cfg.stateDir}/" path;
  backupPaths = [
    cfg.stateDir
  ]
  ++ lib.filter (path: path != "" && !underStateDir path) (
    lib.unique [
      cfg.settings.workspaces_dir
      recordingDir
    ]
  );

  # nixpkgs' restic module took the repository and the password file as `repository` and
  # `passwordFile` until its RFC 42 rework, which moved them into `settings` (RESTIC_REPOSITORY,
  # RESTIC_PASSWORD_FILE) and refuses the old names with an assertion. Whichever this nixpkgs has:
  resticHasSettings = (options.services.restic.backups.type.getSubOptions [ ]) ? settings;
  resticTarget =
    if resticHasSettings then
      {
        settings = {
          RESTIC_REPOSITORY = cfg.backup.repository;
          RESTIC_PASSWORD_FILE = cfg.backup.passwordFile;
        };
      }
    else
      {
        inherit (cfg.backup) repository passwordFile;
      };
in
{
  options.services.web-terminal = {
    enable = mkEnableOption "web-terminal, a browser terminal that gives shells as {option}`services.web-terminal.user`";

    package = mkOption {
      type = types.package;
      default = flake.packages.${pkgs.stdenv.hostPlatform.system}.default;
      defaultText = literalExpression "web-terminal.packages.\${pkgs.stdenv.hostPlatform.system}.default";
      description = "The web-terminal package to run.";
    };

    settings = mkOption {
      type = types.submodule {
        freeformType = settingsFormat.type;
        options = {
          host = mkOption {
            type = types.str;
            default = "127.0.0.1";
            example = "0.0.0.0";
            description = ''
              IP address to listen on. A non-loopback address needs authentication
              ({option}`services.web-terminal.auth.settings`) or
              {option}`services.web-terminal.settings.allow_unauthenticated`.
            '';
          };
          port = mkOption {
            type = types.port;
            default = 8080;
            description = "TCP port for the UI, the WebSocket, /health, /ready and the metrics.";
          };
          workspaces_dir = mkOption {
            type = types.str;
            default = "${cfg.stateDir}/workspaces";
            defaultText = literalExpression ''"''${config.services.web-terminal.stateDir}/workspaces"'';
            description = "Directory of the workspaces the shells start in (and use as HOME).";
          };
          recording_dir = mkOption {
            type = types.str;
            default = "${cfg.stateDir}/recordings";
            defaultText = literalExpression ''"''${config.services.web-terminal.stateDir}/recordings"'';
            example = "";
            description = ''
              Directory of the session recordings (asciicast v3, kept recording_retention_days,
              30 by default); the empty string records nothing. On by default, as in the OCI
              image. The shells run as the same user and can read them.
            '';
          };
          allow_unauthenticated = mkOption {
            type = types.bool;
            default = false;
            description = ''
              Allow listening on a non-loopback address with authentication off. Anyone who can
              reach the port gets a shell as {option}`services.web-terminal.user`: only for
              networks you control completely.
            '';
          };
          shutdown_timeout_secs = mkOption {
            type = types.ints.positive;
            default = 20;
            description = ''
              Seconds allowed for a graceful shutdown before the remaining shells are killed. The
              unit's TimeoutStopSec is this plus the drain and ${toString stopMarginSecs}.
            '';
          };
          drain_timeout_secs = mkOption {
            type = types.ints.unsigned;
            default = 0;
            description = ''
              On stop, first drain for up to this many seconds: no new sessions, the existing ones
              go on until they end or the time is up, then the shutdown above. 0 (the default)
              stops at once, as before. The unit's TimeoutStopSec includes it.
            '';
          };
        };
      };
      default = { };
      example = literalExpression ''
        {
          host = "0.0.0.0";
          log_format = "json";
          idle_timeout_secs = 3600;
          allowed_origins = [ "https://backstage.example.com" ];
        }
      '';
      description = ''
        The server's configuration, written to a TOML file passed as WEB_TERMINAL_CONFIG. Keys are
        the server's (docs/configuration.md); unknown keys stop the server at start-up. Secrets
        do not belong here: the file is in the world-readable Nix store.
      '';
    };

    auth.settings = mkOption {
      type = authFormat.type;
      default = { };
      example = literalExpression ''
        {
          authentication = {
            enabled = true;
            jwks_providers = [
              {
                name = "company";
                url = "https://login.example.com/.well-known/jwks.json";
                issuer = "https://login.example.com";
                audience = "web-terminal";
              }
            ];
            authorization.allowed_groups = [ "platform" ];
            audit.log_file = "/var/lib/web-terminal/logs/auth-audit.log";
          };
        }
      '';
      description = ''
        Authentication configuration, written to a YAML file passed as WEB_TERMINAL_AUTH_CONFIG
        (docs/authentication.md). Nothing in it is secret; put AUTH_* overrides that are in
        {option}`services.web-terminal.environmentFile`.
      '';
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/web-terminal.env";
      description = ''
        A file of extra environment variables (systemd's EnvironmentFile= format), for anything
        secret: WEB_TERMINAL_* and AUTH_* variables override both configuration files. Give it as
        a string, so that it is not copied into the Nix store.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open {option}`services.web-terminal.settings.port` in the firewall.";
    };

    user = mkOption {
      type = types.str;
      default = "web-terminal";
      description = ''
        The user the server and every shell run as. The default user is created with
        {option}`services.web-terminal.stateDir` as its home and bash as its login shell.
      '';
    };

    group = mkOption {
      type = types.str;
      default = "web-terminal";
      description = ''
        The group of {option}`services.web-terminal.user`. The module creates the default group;
        another one must be declared in {option}`users.groups`.
      '';
    };

    stateDir = mkOption {
      # A string, never a Nix path literal (which "${stateDir}/..." would copy into the store).
      type = types.pathWith {
        absolute = true;
        inStore = false;
      };
      default = "/var/lib/web-terminal";
      description = ''
        The user's home, holding the workspaces and the logs (logs/, for the authentication audit
        log). The only place the service can write besides its private /tmp.
      '';
    };

    extraPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = literalExpression "[ pkgs.git pkgs.htop pkgs.vim ]";
      description = "Packages added to the terminal's PATH.";
    };

    backup = {
      enable = mkEnableOption ''
        a daily restic backup of {option}`services.web-terminal.stateDir` (the workspaces, the
        recordings and the logs), as {option}`services.restic.backups.web-terminal`, run as root
        so that the shells cannot read the repository's password or credentials
      '';

      repository = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "s3:s3.eu-central-1.amazonaws.com/example-backups/web-terminal";
        description = "The restic repository the backup goes to.";
      };

      passwordFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        example = "/run/secrets/web-terminal-restic-password";
        description = ''
          A file holding the repository's password, readable by root only. Give it as a string, so
          that it is not copied into the Nix store.
        '';
      };

      environmentFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        example = "/run/secrets/web-terminal-restic.env";
        description = ''
          A file of environment variables for restic (systemd's EnvironmentFile= format): the
          storage's credentials, for example AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Give it
          as a string.
        '';
      };

      timerConfig = mkOption {
        type = types.attrsOf types.str;
        default = {
          OnCalendar = "daily";
          Persistent = "true";
          RandomizedDelaySec = "1h";
        };
        description = "When the backup runs ({manpage}`systemd.timer(5)`).";
      };

      pruneOpts = mkOption {
        type = types.listOf types.str;
        default = [ "--keep-within 30d" ];
        example = [ "--keep-daily 30" ];
        description = ''
          What `restic forget --prune` keeps after each backup: by default every snapshot of the
          last 30 days. Needs at least one --keep-* option.
        '';
      };
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = loopback cfg.settings.host || authEnabled || cfg.settings.allow_unauthenticated;
        message = ''
          services.web-terminal: settings.host = "${cfg.settings.host}" is not a loopback address
          and authentication is off, so anyone who can reach port ${toString cfg.settings.port}
          would get a shell as ${cfg.user}. Turn authentication on
          (auth.settings.authentication.enabled = true, with a JWKS provider), or set
          settings.allow_unauthenticated = true if you control the network completely.
          Authentication switched on only by AUTH_ENABLED in environmentFile is invisible to this
          check.
        '';
      }
      {
        assertion = !(builtins.isPath cfg.environmentFile);
        message = ''
          services.web-terminal: environmentFile is a Nix path, which would copy the secrets into
          the world-readable Nix store. Give it as a string: "/run/secrets/web-terminal.env".
        '';
      }
      {
        assertion = !(recording && underHiddenDir recordingDir);
        message = "services.web-terminal: settings.recording_dir must not be under /home, /root or /run/user (set it to \"\" to record nothing).";
      }
      {
        assertion = !(underHiddenDir cfg.stateDir || underHiddenDir cfg.settings.workspaces_dir);
        message = "services.web-terminal: stateDir and settings.workspaces_dir must not be under /home, /root or /run/user.";
      }
      {
        assertion =
          !cfg.backup.enable || (cfg.backup.repository != null && cfg.backup.passwordFile != null);
        message = "services.web-terminal.backup: repository and passwordFile must be set to enable the backup.";
      }
      {
        assertion =
          !(builtins.isPath cfg.backup.passwordFile || builtins.isPath cfg.backup.environmentFile);
        message = ''
          services.web-terminal.backup: passwordFile or environmentFile is a Nix path, which would
          copy the secret into the world-readable Nix store. Give it as a string.
        '';
      }
      {
        assertion = !cfg.backup.enable || lib.any (lib.hasPrefix "--keep-") cfg.backup.pruneOpts;
        message = "services.web-terminal.backup.pruneOpts: needs a --keep-* option (the default keeps 30 days), or the repository only ever grows.";
      }
    ];

    # Root, not cfg.user: the shells run as cfg.user, and must not be able to read the
    # repository's password and credentials (and so delete the backups).
    services.restic.backups.web-terminal = mkIf cfg.backup.enable (
      {
        user = "root";
        paths = backupPaths;
        initialize = true;
        inherit (cfg.backup) environmentFile timerConfig pruneOpts;
      }
      // resticTarget
    );

    users.users = mkIf (cfg.user == "web-terminal") {
      web-terminal = {
        isSystemUser = true;
        inherit (cfg) group;
        description = "web-terminal shells";
        home = cfg.stateDir;
        createHome = true;
        shell = pkgs.bashInteractive;
      };
    };
    users.groups = mkIf (cfg.group == "web-terminal") {
      web-terminal = { };
    };

    systemd.tmpfiles.rules = [
      "d '${cfg.stateDir}' 0700 ${cfg.user} ${cfg.group} - -"
      "d '${cfg.stateDir}/logs' 0700 ${cfg.user} ${cfg.group} - -"
      "d '${cfg.settings.workspaces_dir}' 0700 ${cfg.user} ${cfg.group} - -"
    ]
    ++ lib.optional recording "d '${recordingDir}' 0700 ${cfg.user} ${cfg.group} - -";

    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall [ cfg.settings.port ];

    # `web-terminal check-config` and `web-terminal healthcheck` for the administrator.
    environment.systemPackages = [ cfg.package ];

    systemd.services.web-terminal = {
      description = "web-terminal browser terminal";
      wantedBy = [ "multi-user.target" ];
      # The server fetches the identity providers' keys (JWKS) at start-up: wait until the network
      # is up, not only configured. `wants` pulls network-online.target in; `after` orders it.
      wants = [ "network-online.target" ];
      after = [
        "network.target"
        "network-online.target"
      ];

      # The shells' PATH, besides systemd's default coreutils, findutils, grep and sed.
      path = [
        pkgs.bashInteractive
        pkgs.gawk
        pkgs.less
        pkgs.ncurses
        pkgs.procps
      ]
      ++ cfg.extraPackages;

      environment = {
        WEB_TERMINAL_CONFIG = configFile;
      }
      // lib.optionalAttrs (cfg.auth.settings != { }) { WEB_TERMINAL_AUTH_CONFIG = authFile; };

      serviceConfig = {
        ExecStart = "${lib.getExe cfg.package} start";
        User = cfg.user;
        Group = cfg.group;
        WorkingDirectory = cfg.stateDir;
        EnvironmentFile = mkIf (cfg.environmentFile != null) cfg.environmentFile;

        Restart = "on-failure";
        RestartSec = 5;

        # On SIGTERM the server turns /ready to 503, closes the clients and hangs up its shells
        # within shutdown_timeout_secs. KillMode=mixed sends SIGTERM to the server only (the
        # shells would otherwise get it at the same moment, before the server could close them),
        # and SIGKILL to whatever is left in the unit (programs a shell left behind) once the
        # server has exited, or to everything after TimeoutStopSec.
        KillMode = "mixed";
        TimeoutStopSec =
          cfg.settings.drain_timeout_secs + cfg.settings.shutdown_timeout_secs + stopMarginSecs;

        # Hardening that leaves a shell usable. Every choice, and what it costs inside a terminal:
        #
        # Writable: only the state directory (and the workspaces and recordings, if elsewhere) and a private
        # /tmp. The rest of the file system is read-only; /home, /root and /run/user are hidden.
        ProtectSystem = "strict";
        ReadWritePaths = lib.unique (
          [
            cfg.stateDir
            cfg.settings.workspaces_dir
          ]
          ++ lib.optional recording recordingDir
        );
        ProtectHome = true;
        PrivateTmp = true;
        # Workspaces and files the shells create are private to the user.
        UMask = "0077";
        # No privilege gain: sudo, su and other setuid programs fail in the terminal, on purpose.
        # The terminal gives exactly the rights of `user`; give that user more, not the shells.
        NoNewPrivileges = true;
        RestrictSUIDSGID = true;
        # No capabilities, except binding a port below 1024 when one is configured.
        CapabilityBoundingSet = if privilegedPort then [ "CAP_NET_BIND_SERVICE" ] else [ "" ];
        AmbientCapabilities = mkIf privilegedPort [ "CAP_NET_BIND_SERVICE" ];
        # A private /dev with the pseudo devices only; /dev/ptmx and /dev/pts, which the
        # terminal's PTYs need, are among them.
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        # Other users' processes are invisible to `ps`; /proc itself stays whole (ProcSubset= is
        # not set) because free, top and ps read /proc/meminfo, /proc/stat and friends.
        ProtectProc = "invisible";
        # The network families a server and ordinary tools use: AF_UNIX, IP, and netlink for ip
        # and ss.
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
          "AF_NETLINK"
        ];
        # No user namespaces (so no rootless containers or bubblewrap in the terminal).
        RestrictNamespaces = true;
        RestrictRealtime = true;
        LockPersonality = true;
        SystemCallArchitectures = "native";
        # The system-service set; a program calling anything else (mount, ptrace for strace or
        # gdb, swap, reboot, modules) gets EPERM instead of being killed.
        SystemCallFilter = [ "@system-service" ];
        SystemCallErrorNumber = "EPERM";
        # Not set, on purpose: MemoryDenyWriteExecute= (breaks JITs such as node and java),
        # PrivateUsers= (user and group names would show as nobody), PrivateNetwork= and
        # IPAddressDeny= (the terminal is for working with the network).
      };
    };
  };
}
