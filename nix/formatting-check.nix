# `nix fmt` in check mode: nixfmt-tree (treefmt with nixfmt, the flake's formatter) over every .nix
# file, failing on any file it would change. Like nixpkgs' treefmt check, it formats a git copy and
# then also asks git whether anything changed.
{
  lib,
  runCommand,
  gitMinimal,
  nixfmt-tree,
}:
let
  root = ../.;
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.fileFilter (file: file.hasExt "nix") root;
  };
in
runCommand "web-terminal-formatting"
  {
    nativeBuildInputs = [
      gitMinimal
      nixfmt-tree
    ];
  }
  ''
    cp -r ${src} tree
    chmod -R u+w tree
    cd tree
    export HOME=$TMPDIR
    # treefmt finds the project root and the files through git.
    git init --quiet --initial-branch main
    git add .
    git -c user.name=nix -c user.email=nix@localhost commit --quiet -m tree
    treefmt --ci
    git diff --exit-code
    touch $out
  ''
