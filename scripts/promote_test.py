"""Tests of scripts/promote.sh on a temporary copy of the overlays (run by checks/gitops.sh)."""

from __future__ import annotations

import difflib
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "sha256:" + "0" * 64
IMAGE = "ghcr.io/web-terminal/web-terminal"


def digest_of(text: str) -> str:
    """A well-formed digest computed from test data: never a real image's."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    for env in ("staging", "production"):
        target = tmp_path / "kustomize" / "overlays" / env
        target.mkdir(parents=True)
        shutil.copy(ROOT / "kustomize" / "overlays" / env / "version.yaml", target)
    return tmp_path


def promote(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(tree / "scripts" / "promote.sh"), *args], capture_output=True, text=True, check=False
    )


def version(tree: Path, env: str) -> str:
    return (tree / "kustomize" / "overlays" / env / "version.yaml").read_text()


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_the_placeholder_is_never_promoted(tree: Path) -> None:
    before = version(tree, "production")
    result = promote(tree)
    assert result.returncode != 0
    assert "placeholder" in result.stderr
    assert version(tree, "production") == before
    assert promote(tree, "staging", PLACEHOLDER).returncode != 0


def test_release_then_promotion_is_a_one_line_change(tree: Path) -> None:
    release = digest_of("release 0.1.0")
    staging_before = version(tree, "staging")
    result = promote(tree, "staging", release)
    assert result.returncode == 0, result.stderr
    assert changed_lines(staging_before, version(tree, "staging")) == [
        f"-          image: {IMAGE}@{PLACEHOLDER}",
        f"+          image: {IMAGE}@{release}",
    ]

    production_before = version(tree, "production")
    result = promote(tree)
    assert result.returncode == 0, result.stderr
    diff = changed_lines(production_before, version(tree, "production"))
    assert len(diff) == 2 and diff[1] == f"+          image: {IMAGE}@{release}"

    # Running it again changes nothing.
    again = promote(tree)
    assert again.returncode == 0 and "nothing to change" in again.stdout


def test_rollback_with_an_older_digest_and_the_full_image_reference(tree: Path) -> None:
    older, newer = digest_of("release 0.1.0"), digest_of("release 0.2.0")
    assert promote(tree, "production", newer).returncode == 0
    result = promote(tree, "production", f"{IMAGE}@{older}")
    assert result.returncode == 0, result.stderr
    assert f"{IMAGE}@{older}" in version(tree, "production")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "latest",
        "0.1.0",
        "sha256:abc",
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha512:" + "a" * 128,
        "sha256:" + "g" * 64,
        "sha256:" + "a" * 64 + "\nimage: evil",
        f"ghcr.io/someone-else/web-terminal@sha256:{'a' * 64}",
    ],
)
def test_malformed_digests_are_refused(tree: Path, bad: str) -> None:
    before = version(tree, "production")
    result = promote(tree, "production", bad)
    assert result.returncode != 0
    assert version(tree, "production") == before


def test_only_staging_and_production(tree: Path) -> None:
    result = promote(tree, "dev", digest_of("x"))
    assert result.returncode != 0 and "unknown environment" in result.stderr


def test_a_version_file_with_two_image_lines_is_refused(tree: Path) -> None:
    path = tree / "kustomize" / "overlays" / "production" / "version.yaml"
    path.write_text(path.read_text() + f"        - name: sidecar\n          image: {IMAGE}@{digest_of('s')}\n")
    result = promote(tree, "production", digest_of("release"))
    assert result.returncode != 0 and "exactly one" in result.stderr


def test_staging_with_a_tag_cannot_be_promoted(tree: Path) -> None:
    path = tree / "kustomize" / "overlays" / "staging" / "version.yaml"
    path.write_text(path.read_text().replace(f"@{PLACEHOLDER}", ":0.1.0"))
    before = version(tree, "production")
    assert promote(tree).returncode != 0
    assert version(tree, "production") == before
