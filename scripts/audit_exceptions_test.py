"""scripts/audit_exceptions.py on small trees: the exceptions' dates and reasons are enforced, and
the npm audit gate fails on exactly the advisories no valid exception accepts. `npm` is a fake that
prints a canned report. Runs with `python3 scripts/audit_exceptions_test.py` (CI's supply-chain
job) or pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().with_name("audit_exceptions.py")
TODAY = "2026-11-26"
DENY_BASE = '[licenses]\nallow = ["MIT"]\n'

GHSA_HIGH = "GHSA-aaaa-bbbb-cccc"
GHSA_MODERATE = "GHSA-dddd-eeee-ffff"


def npm_report(*advisories: tuple[str, str]) -> dict:
    """A report in npm audit's version 2 format: one vulnerable package per advisory, plus a
    package that is vulnerable only through another (its `via` names the package)."""
    vulnerabilities = {}
    for number, (ghsa, severity) in enumerate(advisories):
        name = f"pkg{number}"
        vulnerabilities[name] = {
            "name": name,
            "severity": severity,
            "isDirect": False,
            "via": [
                {
                    "source": 1000 + number,
                    "name": name,
                    "dependency": name,
                    "title": "synthetic advisory",
                    "url": f"https://github.com/advisories/{ghsa}",
                    "severity": severity,
                    "range": "<2.0.0",
                }
            ],
            "effects": ["parent"],
            "range": "<2.0.0",
            "nodes": [f"node_modules/{name}"],
            "fixAvailable": True,
        }
    if advisories:
        vulnerabilities["parent"] = {"name": "parent", "severity": advisories[0][1], "via": ["pkg0"], "effects": []}
    return {"auditReportVersion": 2, "vulnerabilities": vulnerabilities, "metadata": {"vulnerabilities": {}}}


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "frontend").mkdir()
        (root / "bin").mkdir()
        self.write("deny.toml", DENY_BASE)
        fake_npm = root / "bin" / "npm"
        fake_npm.write_text('#!/bin/sh\ncat "$FAKE_NPM_REPORT"\nexit 1\n')
        fake_npm.chmod(0o755)

    def write(self, name: str, text: str) -> None:
        (self.root / name).write_text(text)

    def run(self, *args: str, report: dict | None = None) -> subprocess.CompletedProcess[str]:
        report_file = self.root / "report.json"
        report_file.write_text(json.dumps(report or {}))
        env = {
            **os.environ,
            "AUDIT_ROOT": str(self.root),
            "AUDIT_TODAY": TODAY,
            "FAKE_NPM_REPORT": str(report_file),
            "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False)


class ExceptionDatesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.tree = Tree(Path(self.tmp.name))

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def deny_ignore(self, entry: str) -> None:
        self.tree.write("deny.toml", DENY_BASE + f"\n[advisories]\nignore = [\n  {entry},\n]\n")

    def assert_check_fails(self, message: str) -> None:
        proc = self.tree.run("check")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(message, proc.stderr)

    def test_no_exceptions_pass(self) -> None:
        proc = self.tree.run("check")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_a_current_cargo_deny_exception_passes(self) -> None:
        self.deny_ignore('{ id = "RUSTSEC-2023-0071", reason = "not reachable. expires 2027-01-31" }')
        proc = self.tree.run("check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("accepted until 2027-01-31", proc.stdout)

    def test_an_expired_cargo_deny_exception_fails(self) -> None:
        self.deny_ignore('{ id = "RUSTSEC-2023-0071", reason = "not reachable. expires 2026-11-25" }')
        self.assert_check_fails("RUSTSEC-2023-0071: expired on 2026-11-25")

    def test_a_cargo_deny_exception_without_a_date_fails(self) -> None:
        self.deny_ignore('{ id = "RUSTSEC-2023-0071", reason = "not reachable" }')
        self.assert_check_fails("needs 'expires YYYY-MM-DD' in its reason")

    def test_a_bare_cargo_deny_id_fails(self) -> None:
        self.deny_ignore('"RUSTSEC-2023-0071"')
        self.assert_check_fails("RUSTSEC-2023-0071: gives no reason")

    def test_an_exception_for_more_than_a_year_fails(self) -> None:
        self.deny_ignore('{ id = "RUSTSEC-2023-0071", reason = "later. expires 2028-01-01" }')
        self.assert_check_fails("more than a year ahead")

    def test_a_trivy_entry_without_expired_at_fails(self) -> None:
        self.tree.write(".trivyignore.yaml", "vulnerabilities:\n  - id: CVE-2026-1\n    statement: not reachable\n")
        self.assert_check_fails(".trivyignore.yaml: CVE-2026-1: needs an expiry date")

    def test_an_expired_trivy_entry_fails(self) -> None:
        self.tree.write(".trivyignore.yaml", "vulnerabilities:\n  - id: CVE-2026-1\n    statement: x\n    expired_at: 2026-01-01\n")
        self.assert_check_fails("CVE-2026-1: expired on 2026-01-01")

    def test_an_npm_exception_without_a_reason_fails(self) -> None:
        self.tree.write("npm-audit-exceptions.toml", f'[[exception]]\nid = "{GHSA_HIGH}"\nexpires = 2027-01-31\n')
        self.assert_check_fails(f"{GHSA_HIGH}: gives no reason")


class NpmAuditTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.tree = Tree(Path(self.tmp.name))

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def audit(self, report: dict) -> subprocess.CompletedProcess[str]:
        return self.tree.run("npm-audit", str(self.tree.root / "frontend"), report=report)

    def accept(self, expires: str) -> None:
        self.tree.write(
            "npm-audit-exceptions.toml",
            f'[[exception]]\nid = "{GHSA_HIGH}"\nreason = "build tool only"\nexpires = {expires}\n',
        )

    def test_a_clean_report_passes(self) -> None:
        proc = self.audit(npm_report())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_a_moderate_advisory_passes(self) -> None:
        proc = self.audit(npm_report((GHSA_MODERATE, "moderate")))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_a_high_advisory_fails(self) -> None:
        proc = self.audit(npm_report((GHSA_HIGH, "high")))
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"FINDING: {GHSA_HIGH} (high)", proc.stdout)

    def test_a_critical_advisory_fails(self) -> None:
        proc = self.audit(npm_report((GHSA_HIGH, "critical")))
        self.assertEqual(proc.returncode, 1)

    def test_an_accepted_advisory_passes(self) -> None:
        self.accept("2027-01-31")
        proc = self.audit(npm_report((GHSA_HIGH, "high"), (GHSA_MODERATE, "moderate")))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(f"accepted (npm-audit-exceptions.toml): {GHSA_HIGH}", proc.stdout)

    def test_an_expired_acceptance_fails(self) -> None:
        self.accept("2026-11-01")
        proc = self.audit(npm_report((GHSA_HIGH, "high")))
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"FINDING: {GHSA_HIGH}", proc.stdout)
        self.assertIn("expired on 2026-11-01", proc.stderr)

    def test_an_acceptance_covers_only_its_advisory(self) -> None:
        self.accept("2027-01-31")
        proc = self.audit(npm_report((GHSA_HIGH, "high"), ("GHSA-gggg-hhhh-iiii", "critical")))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("FINDING: GHSA-gggg-hhhh-iiii", proc.stdout)

    def test_npm_failing_to_audit_fails(self) -> None:
        proc = self.audit({"message": "405 Method Not Allowed", "error": {"summary": ""}})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("npm audit failed", proc.stderr)


if __name__ == "__main__":
    unittest.main()
