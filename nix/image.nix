# The OCI image, without a Dockerfile. `nix build .#image` gives a script that streams the image
# as a docker-archive tarball: `./result | docker load`, `./result | podman load`, or
# `./result > image.tar` for skopeo (docs/nix.md).
#
# Choose the terminal's userland with `.override { extraPackages = [ ... ]; }`.
{
  lib,
  dockerTools,
  web-terminal,
  revision ? "unknown",
  bashInteractive,
  coreutils,
  findutils,
  gawk,
  gnugrep,
  gnused,
  less,
  ncurses,
  procps,
  extraPackages ? [
    coreutils
    findutils
    gawk
    gnugrep
    gnused
    less
    ncurses
    procps
  ],
}:
let
  uid = 1000;
  gid = 1000;
  user = "webterminal";
  home = "/home/${user}";
  ids = "${toString uid}:${toString gid}";
in
dockerTools.streamLayeredImage {
  name = "ghcr.io/web-terminal/web-terminal";
  tag = web-terminal.version;

  contents = [
    web-terminal
    # /bin/bash and /bin/sh: the terminal's shell.
    bashInteractive
    # /etc/ssl/certs/ca-bundle.crt (and its other usual names), for the JWKS fetches over HTTPS.
    dockerTools.caCertificates
    dockerTools.usrBinEnv
    # /etc/passwd and /etc/group with the non-root user, so that `id`, `whoami` and $HOME work.
    (dockerTools.fakeNss.override {
      extraPasswdLines = [ "${user}:x:${ids}:web-terminal:${home}:/bin/bash" ];
      extraGroupLines = [ "${user}:x:${toString gid}:" ];
    })
  ]
  ++ extraPackages;

  # Runs in the image's root directory under fakeroot, so the ownership is recorded in the layer.
  fakeRootCommands = ''
    mkdir -p app/data/workspaces app/data/recordings app/data/logs .${home} tmp
    chown -R ${ids} app/data .${home}
    chmod 1777 tmp
  '';

  config = {
    Cmd = [
      "web-terminal"
      "start"
    ];
    User = ids;
    WorkingDir = "/app/data";
    Env = [
      "PATH=/bin:/usr/bin"
      "HOME=${home}"
      "SHELL=/bin/bash"
      "LANG=C.UTF-8"
      "SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"
      # Listening on every address needs authentication, or WEB_TERMINAL_ALLOW_UNAUTHENTICATED=true
      # (the server refuses to start otherwise).
      "WEB_TERMINAL_HOST=0.0.0.0"
      "WEB_TERMINAL_PORT=8080"
      "WEB_TERMINAL_WORKSPACES_DIR=/app/data/workspaces"
      # Every session recorded (asciicast v3, output only), kept 30 days: on by default, next to
      # the workspaces under /app/data. With a read-only root filesystem mount a volume there (or
      # at /app/data), or set WEB_TERMINAL_RECORDING_DIR= (empty) to record nothing (docs/nix.md).
      "WEB_TERMINAL_RECORDING_DIR=/app/data/recordings"
    ];
    ExposedPorts = {
      "8080/tcp" = { };
    };
    Labels = {
      "org.opencontainers.image.title" = "web-terminal";
      "org.opencontainers.image.description" = web-terminal.meta.description;
      "org.opencontainers.image.source" = web-terminal.meta.homepage;
      "org.opencontainers.image.revision" = revision;
      "org.opencontainers.image.version" = web-terminal.version;
      "org.opencontainers.image.licenses" = web-terminal.meta.license.spdxId;
    };
  };

  meta = {
    description = "OCI image of web-terminal (a script that streams it)";
    platforms = lib.platforms.linux;
  };
}
