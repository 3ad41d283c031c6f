# The server as a static executable, for the GitHub release: musl, linked statically, the UI
# embedded as in the normal package (nix/rust.nix). It has no program interpreter and loads no
# shared library, so it runs on any Linux of its architecture; the release workflow checks that
# on plain Ubuntu runners.
#
# crane cross-compiles it to nixpkgs' pkgsStatic (x86_64-unknown-linux-musl or
# aarch64-unknown-linux-musl): for a package set whose host platform differs from the build
# platform, crane's cross-compilation environment sets Cargo's target, the target's linker and the
# cc crate's compilers, and nixpkgs' Rust adds the standard library for that target. (crane's own
# musl example takes its toolchain from rust-overlay; this flake has no such input.)
{
  lib,
  crane,
  pkgsStatic,
  frontend,
}:
let
  craneLib = crane.mkLib pkgsStatic;
  inherit (pkgsStatic.stdenv) hostPlatform;

  root = ../.;

  # Only what the build reads: no test runs here (checks.nextest runs them on the normal build).
  src = lib.fileset.toSource {
    inherit root;
    fileset = craneLib.fileset.commonCargoSources root;
  };

  # The crates' sources, named here so that their store path can be mapped away below.
  cargoVendorDir = craneLib.vendorCargoDeps { inherit src; };

  commonArgs = {
    inherit src cargoVendorDir;
    pname = "web-terminal-static";
    strictDeps = true;
    doCheck = false;

    # pkgsStatic puts -static into NIX_CFLAGS_LINK for every link, the build scripts' too: those
    # run on the build machine and link against its glibc, which has no static libraries here.
    # rustc links the musl executable statically by itself (crt-static, below).
    preBuild = ''
      unset NIX_CFLAGS_LINK
    '';

    # For the target only (build scripts and proc-macros run on the build machine): crt-static,
    # musl's default, said explicitly; and the vendored crates' store path, which panic messages
    # would name, mapped to a neutral prefix, so that the binary names no /nix/store path.
    "CARGO_TARGET_${hostPlatform.rust.cargoEnvVarTarget}_RUSTFLAGS" =
      "-C target-feature=+crt-static --remap-path-prefix=${cargoVendorDir}=/cargo/vendor";
  }
  // lib.optionalAttrs hostPlatform.isAarch64 {
    # For the crates' C code (the cc crate reads this): gcc would compile atomics there to calls
    # into libgcc's outline atomics, whose start-up code needs getauxval from a libc linked after
    # libgcc, which a static musl link need not give (rust-lang/rust#89626). Inline atomics need
    # nothing.
    "CFLAGS_${lib.replaceStrings [ "-" ] [ "_" ] hostPlatform.rust.rustcTarget}" =
      "-mno-outline-atomics";
  };

  # The dependencies alone, as in rust.nix; never given the UI.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;
    # build.rs embeds this directory (index.html and assets/) into the binary.
    WEB_TERMINAL_UI_DIST = frontend;
    meta = {
      description = "web-terminal as one static executable (musl), for any Linux";
      homepage = "https://github.com/web-terminal/web-terminal";
      license = lib.licenses.mit;
      mainProgram = "web-terminal";
      platforms = lib.platforms.linux;
    };
  }
)
