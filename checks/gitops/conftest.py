"""Shared fixtures: a disposable copy of the bundle for the broken-copy tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gitops_checks  # noqa: E402

ROOT = gitops_checks.repo_root()
COPIED = ("kustomize", "argocd", "monitoring", "deploy", "docs", ".github", "scripts", "checks", ".yamllint")


class Tree:
    """A copy of the bundle's sources in a temporary directory, with helpers to break it."""

    def __init__(self, path: Path) -> None:
        self.root = path

    def edit(self, relative: str, old: str, new: str, count: int = 1) -> None:
        """Replace `old` by `new` in a file; the old text must be there, so a test that breaks
        nothing fails loudly instead of passing by accident."""
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, count))

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def render(self) -> dict[str, Path]:
        return gitops_checks.render(self.root, self.root / ".rendered")


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    return Tree(tmp_path)


@pytest.fixture
def shared() -> Path:
    return gitops_checks.shared_dir(ROOT)
