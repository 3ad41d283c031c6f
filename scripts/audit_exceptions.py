#!/usr/bin/env python3
"""Accepted findings of the supply-chain gates: each names a reason and an expiry date.

    scripts/audit_exceptions.py check
        Every exception below has a reason and an expiry date at most a year ahead, and none has
        expired. CI's supply-chain job runs it, so an expired exception fails CI on its own.

    scripts/audit_exceptions.py npm-audit DIR
        `npm audit --json` in DIR; fails on any advisory of high or critical severity that
        npm-audit-exceptions.toml does not accept (what `npm audit --audit-level=high` fails on,
        minus the exceptions).

Where the exceptions live (docs/release.md says how to add one):

    deny.toml                  [advisories] ignore = [{ id = "RUSTSEC-...", reason = "... expires YYYY-MM-DD" }]
    .trivyignore.yaml          vulnerabilities: [{ id, statement, expired_at: YYYY-MM-DD }]
                               (Trivy itself stops ignoring an entry after its expired_at)
    npm-audit-exceptions.toml  [[exception]] id = "GHSA-...", reason = "...", expires = YYYY-MM-DD

AUDIT_TODAY=YYYY-MM-DD replaces today's date (for the tests).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DENY_TOML = "deny.toml"
TRIVY_IGNORE = ".trivyignore.yaml"
NPM_EXCEPTIONS = "npm-audit-exceptions.toml"

# An exception is a decision to look again, not a waiver: at most a year.
MAX_DAYS = 366
EXPIRES_IN_REASON = re.compile(r"\bexpires (\d{4}-\d{2}-\d{2})\b")
GATING_SEVERITIES = ("high", "critical")


@dataclass(frozen=True)
class Accepted:
    source: str
    id: str
    reason: str
    expires: datetime.date | None


def today() -> datetime.date:
    override = os.environ.get("AUDIT_TODAY")
    return datetime.date.fromisoformat(override) if override else datetime.date.today()


def as_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def cargo_deny_exceptions(root: Path) -> list[Accepted]:
    data = tomllib.loads((root / DENY_TOML).read_text())
    found = []
    for entry in data.get("advisories", {}).get("ignore", []):
        if isinstance(entry, str):
            found.append(Accepted(DENY_TOML, entry, "", None))
            continue
        reason = str(entry.get("reason", ""))
        match = EXPIRES_IN_REASON.search(reason)
        found.append(Accepted(DENY_TOML, str(entry.get("id", "")), reason, as_date(match.group(1)) if match else None))
    return found


def trivy_exceptions(root: Path) -> list[Accepted]:
    path = root / TRIVY_IGNORE
    if not path.exists():
        return []
    import yaml  # only here: the npm-audit subcommand needs nothing beyond the standard library

    data = yaml.safe_load(path.read_text()) or {}
    found = []
    for kind in ("vulnerabilities", "misconfigurations", "secrets", "licenses"):
        for entry in data.get(kind) or []:
            found.append(
                Accepted(TRIVY_IGNORE, str(entry.get("id", "")), str(entry.get("statement", "") or ""), as_date(entry.get("expired_at")))
            )
    return found


def npm_exceptions(root: Path) -> list[Accepted]:
    path = root / NPM_EXCEPTIONS
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text())
    return [
        Accepted(NPM_EXCEPTIONS, str(entry.get("id", "")), str(entry.get("reason", "")), as_date(entry.get("expires")))
        for entry in data.get("exception", [])
    ]


def problems_with(exceptions: list[Accepted], on: datetime.date) -> list[str]:
    problems = []
    for exception in exceptions:
        where = f"{exception.source}: {exception.id or '(no id)'}"
        if not exception.id:
            problems.append(f"{where}: names no advisory id")
        if not exception.reason.strip():
            problems.append(f"{where}: gives no reason")
        if exception.expires is None:
            how = "'expires YYYY-MM-DD' in its reason" if exception.source == DENY_TOML else "an expiry date"
            problems.append(f"{where}: needs {how}")
        elif exception.expires < on:
            problems.append(f"{where}: expired on {exception.expires}; fix the finding, or decide again with a new date")
        elif (exception.expires - on).days > MAX_DAYS:
            problems.append(f"{where}: expires {exception.expires}, more than a year ahead")
    return problems


def check(root: Path) -> int:
    exceptions = cargo_deny_exceptions(root) + trivy_exceptions(root) + npm_exceptions(root)
    problems = problems_with(exceptions, today())
    for exception in exceptions:
        print(f"accepted until {exception.expires}: {exception.source}: {exception.id}: {exception.reason}")
    if problems:
        print("audit exceptions:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"{len(exceptions)} accepted finding(s), each with a reason and a date that has not passed")
    return 0


def npm_findings(report: dict) -> dict[str, str]:
    """The advisories of high or critical severity in an `npm audit --json` report (version 2),
    by id (GHSA-..., from the advisory's URL), with a line describing each."""
    findings = {}
    for package in report.get("vulnerabilities", {}).values():
        for via in package.get("via", []):
            if not isinstance(via, dict) or via.get("severity") not in GATING_SEVERITIES:
                continue
            url = str(via.get("url", ""))
            advisory = url.rstrip("/").rsplit("/", 1)[-1] or str(via.get("source", "?"))
            findings[advisory] = f"{advisory} ({via['severity']}) in {via.get('name', '?')} {via.get('range', '')}: {via.get('title', '')} {url}"
    return findings


def npm_audit(root: Path, directory: Path) -> int:
    proc = subprocess.run(["npm", "audit", "--json"], cwd=directory, capture_output=True, text=True, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"npm audit gave no report (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        return 1
    if "error" in report or "vulnerabilities" not in report:
        print(f"npm audit failed:\n{json.dumps(report, indent=2)}\n{proc.stderr}", file=sys.stderr)
        return 1
    on = today()
    exceptions = npm_exceptions(root)
    problems = problems_with(exceptions, on)
    # An expired or incomplete exception accepts nothing.
    accepted = {exception.id for exception in exceptions if not problems_with([exception], on)}
    findings = npm_findings(report)
    for advisory, line in sorted(findings.items()):
        print(("accepted (npm-audit-exceptions.toml): " if advisory in accepted else "FINDING: ") + line)
    for advisory in sorted({exception.id for exception in exceptions} - set(findings)):
        print(f"note: {NPM_EXCEPTIONS} accepts {advisory}, which npm audit no longer reports; remove it")
    if problems:
        print("npm-audit-exceptions.toml:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    refused = sorted(set(findings) - accepted)
    if refused:
        print(f"{len(refused)} advisory(ies) of high or critical severity: update the package, or accept it in {NPM_EXCEPTIONS} (docs/release.md)", file=sys.stderr)
        return 1
    print("npm audit: no advisory of high or critical severity that is not accepted")
    return 0


def main(argv: list[str]) -> int:
    root = Path(os.environ.get("AUDIT_ROOT", ROOT))
    if argv[1:2] == ["check"] and len(argv) == 2:
        return check(root)
    if argv[1:2] == ["npm-audit"] and len(argv) == 3:
        return npm_audit(root, Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
