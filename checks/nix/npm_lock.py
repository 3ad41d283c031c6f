#!/usr/bin/env python3
"""The UI's dependencies install the way `packages.frontend` installs them, without Nix.

nix/frontend.nix hands importNpmLock one fixed-output derivation per registry package: `npm pack
NAME@VERSION`, whose output must hash to the lockfile's integrity. importNpmLock then rewrites
package.json and package-lock.json to point at those tarballs (`file:/nix/store/...`), and its
npmConfigHook runs `npm install --offline`. This script repeats each step with the machine's npm:

1. every package-lock.json entry is a registry package with one sha512 integrity hash and no
   download address (anything else would need a fetcher nix/frontend.nix does not have);
2. `npm pack` fetches every package, and each tarball hashes to its integrity (the fixed-output
   check);
3. with the files rewritten as importNpmLock rewrites them, `npm install --offline` into an empty
   cache, with no reachable registry, installs everything, and `npm run build` builds the UI.

Usage: npm_lock.py FRONTEND_DIR. Exits non-zero, saying why, on the first step that fails.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# npm without its update check, fund and audit requests.
NPM_ENV = {
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
}
# For the offline install: a registry nobody listens on, so that any attempt to fetch fails
# instead of quietly going to the network.
UNREACHABLE_REGISTRY = "http://127.0.0.1:9/"


def fail(message):
    sys.exit(f"npm_lock: {message}")


def package_name(path, entry):
    """The registry name of a lock entry: its last node_modules/ segment, or an alias's target."""
    return entry.get("name") or path.rsplit("node_modules/", 1)[-1]


def registry_packages(lock):
    """{lock path: (name, version, integrity)}, refusing entries nix/frontend.nix cannot fetch."""
    packages = {}
    for path, entry in lock["packages"].items():
        if path == "":
            continue
        if "resolved" in entry or entry.get("link"):
            fail(f"{path} records a download address or link ({entry.get('resolved')!r}); "
                 "nix/frontend.nix fetches registry packages by name and version only")
        integrity = entry.get("integrity", "")
        if not integrity.startswith("sha512-") or " " in integrity:
            fail(f"{path} has integrity {integrity!r}; "
                 "a fixed-output derivation needs one sha512 hash")
        packages[path] = (package_name(path, entry), entry["version"], integrity)
    return packages


def sri_sha512(file):
    return "sha512-" + base64.b64encode(hashlib.sha512(file.read_bytes()).digest()).decode()


def npm(args, cwd, env=None):
    result = subprocess.run(["npm", *args], cwd=cwd, env={**os.environ, **NPM_ENV, **(env or {})},
                            capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"npm {' '.join(args[:3])} ... failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def pack(packages, work):
    """npm-packs every package into work/tarballs: {(name, version): tarball path}."""
    destination = work / "tarballs"
    destination.mkdir()
    specs = sorted({f"{name}@{version}" for name, version, _ in packages.values()})
    packed = json.loads(npm(["pack", "--ignore-scripts", "--json", "--pack-destination",
                             str(destination), *specs], cwd=work))
    return {(item["name"], item["version"]): destination / item["filename"] for item in packed}


def verify(packages, tarballs):
    for path, (name, version, integrity) in sorted(packages.items()):
        tarball = tarballs.get((name, version))
        if tarball is None:
            fail(f"npm pack produced nothing for {name}@{version} ({path})")
        actual = sri_sha512(tarball)
        if actual != integrity:
            fail(f"{name}@{version} ({path}) hashes to {actual}, the lockfile pins {integrity}")


def rewrite(package, lock, packages, tarballs):
    """package.json and package-lock.json as importNpmLock writes them: file: tarballs."""
    for path, (name, version, _) in packages.items():
        lock["packages"][path]["resolved"] = f"file:{tarballs[(name, version)]}"
    for section in ("dependencies", "devDependencies"):
        for name in package.get(section, {}):
            entry = lock["packages"].get(f"node_modules/{name}")
            if entry is None:
                fail(f"package.json's {section} name {name}, which package-lock.json lacks")
            package[section][name] = entry["resolved"]


def install_and_build(frontend, package, lock, work):
    source = work / "frontend"
    shutil.copytree(frontend, source, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (source / "package.json").write_text(json.dumps(package, indent=2))
    (source / "package-lock.json").write_text(json.dumps(lock, indent=2))
    offline = {"HOME": str(work), "npm_config_cache": str(work / "empty-cache"),
               "npm_config_offline": "true", "npm_config_registry": UNREACHABLE_REGISTRY}
    npm(["install", "--ignore-scripts"], cwd=source, env=offline)
    npm(["rebuild"], cwd=source, env=offline)
    npm(["run", "build"], cwd=source, env=offline)
    if not (source / "dist" / "index.html").is_file():
        fail("npm run build left no dist/index.html")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    frontend = Path(sys.argv[1]).resolve()
    package = json.loads((frontend / "package.json").read_text())
    lock = json.loads((frontend / "package-lock.json").read_text())
    packages = registry_packages(lock)
    with tempfile.TemporaryDirectory(prefix="npm-lock-") as scratch:
        work = Path(scratch)
        tarballs = pack(packages, work)
        verify(packages, tarballs)
        print(f"{len(packages)} lock entries: every npm-packed tarball matches its integrity hash")
        rewrite(package, lock, packages, tarballs)
        install_and_build(frontend, package, lock, work)
        print("offline install from the tarballs alone, and npm run build: ok")


if __name__ == "__main__":
    main()
