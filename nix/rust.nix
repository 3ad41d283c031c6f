# The server, built with crane in the layout of crane's quick-start example: the dependencies are
# built once (`cargoArtifacts`) and reused by the package and by every cargo check.
{
  lib,
  craneLib,
  frontend,
  procps,
}:
let
  root = ../.;

  # crane's Cargo sources (.rs, .toml, Cargo.lock; build.rs and deny.toml included), plus the other
  # files the tests read through CARGO_MANIFEST_DIR: the example configurations (config/auth.yaml
  # among them), the generated TypeScript protocol types that a unit test compares with
  # src/protocol.rs, and the fuzzer's regression inputs. A test that reads a new file needs it
  # added here.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (craneLib.fileset.commonCargoSources root)
      ../config
      ../frontend/src/generated/protocol.ts
      # Every input the fuzzer ever crashed on, replayed by its smoke test (src/fuzz.rs).
      ../tests/fuzz-regressions
    ];
  };

  commonArgs = {
    inherit src;
    strictDeps = true;
  };

  # Never given WEB_TERMINAL_UI_DIST: the UI is no input of the dependency build, so a UI change
  # does not rebuild the dependencies. Without it (and without frontend/dist, which `src` leaves
  # out) build.rs embeds a placeholder page, which is all clippy and the tests need.
  #
  # The dependencies of the default features and of the `tls` feature (tokio-rustls and rustls,
  # which checks.clippy-tls and checks.nextest compile against) are both built and cached: crane's
  # default commands (check, build, and test --no-run, each with --locked) run once without and
  # once with `--features tls`. cargo keeps both sets side by side in target/.
  cargoArtifacts = craneLib.buildDepsOnly (
    commonArgs
    // {
      buildPhaseCargoCommand = ''
        cargoWithProfile check --locked --all-targets
        cargoWithProfile build --locked
        cargoWithProfile check --locked --all-targets --features tls
        cargoWithProfile build --locked --features tls
      '';
      checkPhaseCargoCommand = ''
        cargoWithProfile test --locked --no-run
        cargoWithProfile test --locked --no-run --features tls
      '';
    }
  );

  # clippy with warnings denied, with the same flags as checks/rust.sh (`make test`).
  clippy =
    flags:
    craneLib.cargoClippy (
      commonArgs
      // {
        inherit cargoArtifacts;
        cargoClippyExtraArgs = "${flags} -- --deny warnings";
      }
    );
in
{
  package = craneLib.buildPackage (
    commonArgs
    // {
      inherit cargoArtifacts;
      # build.rs embeds this directory (index.html and assets/) into the binary.
      WEB_TERMINAL_UI_DIST = frontend;
      # The tests run once, in checks.nextest.
      doCheck = false;
      meta = {
        description = "Self-hosted browser terminal: one binary serving an xterm.js UI and PTY sessions over WebSocket";
        homepage = "https://github.com/web-terminal/web-terminal";
        # Cargo.toml: license = "MIT".
        license = lib.licenses.mit;
        mainProgram = "web-terminal";
        platforms = lib.platforms.unix;
      };
    }
  );

  checks = {
    clippy = clippy "--all-targets";
    # The code behind the `tls` feature (src/web/tls.rs and its tests) compiles only with it.
    clippy-tls = clippy "--all-targets --features tls";
    # The server without metrics, as checks/rust.sh lints it.
    clippy-no-default-features = clippy "--lib --no-default-features";

    fmt = craneLib.cargoFmt { inherit src; };

    # deny.toml: licenses, bans and sources (the default Rust registry only). Advisories need a
    # network database.
    deny = craneLib.cargoDeny { inherit src; };

    # Every unit and integration test, the `tls` feature's included, except tests/snapshot.rs,
    # which compares the terminal model with xterm.js under Node and needs the npm packages of
    # tests/xterm (`make test` runs it; the model's own unit tests run here). The integration tests
    # run real PTYs with /bin/sh (the sandbox has /dev/ptmx and /bin/sh); the commands they type
    # (stty, yes, sleep, head) and the `kill` that tests/cli.rs runs come from stdenv's coreutils.
    # procps is there for ps and kill should a test want them.
    nextest = craneLib.cargoNextest (
      commonArgs
      // {
        inherit cargoArtifacts;
        partitions = 1;
        partitionType = "count";
        cargoNextestExtraArgs = "--features tls -E 'not binary(snapshot)'";
        nativeCheckInputs = [ procps ];
      }
    );
  };
}
