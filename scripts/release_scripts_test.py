"""The release workflow's gates, with fake gh, skopeo and cosign on PATH: scripts/wait-for-ci.sh
releases only a commit CI passed on, and scripts/verify-image.sh refuses a digest unless every
verification passes. Runs with `python3 scripts/release_scripts_test.py` (CI's supply-chain job)
or pytest."""

from __future__ import annotations

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32

# Each fake logs its arguments, then fails when FAIL names it (the first word of its arguments
# for cosign: verify or verify-attestation).
FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >>"$FAKE_LOG"
case "$(basename "$0")" in
  gh)
    if [ "$1" = api ]; then
      n=$(cat "$FAKE_DIR/count" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"$FAKE_DIR/count"
      if [ -f "$FAKE_DIR/runs.$n" ]; then cat "$FAKE_DIR/runs.$n"; else cat "$FAKE_DIR/runs.last"; fi
      exit 0
    fi
    name=gh ;;
  cosign) name="cosign-$1" ;;
  *) name=$(basename "$0") ;;
esac
[ "$FAIL" = "$name" ] && exit 1
exit 0
"""


class Fakes:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        for tool in ("gh", "skopeo", "cosign"):
            path = self.bin / tool
            path.write_text(FAKE)
            path.chmod(0o755)
        self.log = root / "log"
        self.log.write_text("")

    def runs(self, *answers: str) -> None:
        """What successive `gh api` calls print; the last one repeats."""
        for number, answer in enumerate(answers, 1):
            (self.root / f"runs.{number}").write_text(answer)
        (self.root / "runs.last").write_text(answers[-1])

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "FAKE_LOG": str(self.log),
            "FAKE_DIR": str(self.root),
            "GITHUB_REPOSITORY": "web-terminal/web-terminal",
            "POLL_SECONDS": "0",
            **env,
        }
        return subprocess.run([str(SCRIPTS / script), *args], env=environment, capture_output=True, text=True, check=False, timeout=60)


class Case(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.fakes = Fakes(Path(self.tmp.name))

    def tearDown(self) -> None:
        self.tmp.cleanup()


class WaitForCiTest(Case):
    def test_passes_when_a_push_run_succeeded(self) -> None:
        self.fakes.runs("completed success https://example/runs/1\n")
        proc = self.fakes.run("wait-for-ci.sh", SHA)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("CI passed", proc.stdout)
        calls = self.fakes.log.read_text()
        self.assertIn(f"head_sha={SHA}", calls)
        self.assertIn("event=push", calls)
        self.assertIn("actions/workflows/ci.yml/runs", calls)

    def test_waits_for_a_running_ci(self) -> None:
        self.fakes.runs("in_progress none https://example/runs/1\n", "completed success https://example/runs/1\n")
        proc = self.fakes.run("wait-for-ci.sh", SHA)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("still running", proc.stdout)

    def test_refuses_a_commit_ci_failed_on(self) -> None:
        self.fakes.runs("completed failure https://example/runs/1\n")
        proc = self.fakes.run("wait-for-ci.sh", SHA)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("did not pass", proc.stderr)

    def test_a_success_among_failures_counts(self) -> None:
        self.fakes.runs("completed failure https://example/runs/1\ncompleted success https://example/runs/2\n")
        proc = self.fakes.run("wait-for-ci.sh", SHA)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_refuses_a_commit_ci_never_ran_on(self) -> None:
        self.fakes.runs("")
        proc = self.fakes.run("wait-for-ci.sh", SHA, APPEAR_MINUTES="0")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no ci.yml run for a push", proc.stderr)

    def test_gives_up_on_a_ci_that_runs_too_long(self) -> None:
        self.fakes.runs("queued none https://example/runs/1\n")
        proc = self.fakes.run("wait-for-ci.sh", SHA, WAIT_MINUTES="0")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("still runs", proc.stderr)

    def test_refuses_what_is_not_a_commit(self) -> None:
        proc = self.fakes.run("wait-for-ci.sh", "v0.1.0")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(self.fakes.log.read_text(), "")


class VerifyImageTest(Case):
    def test_passes_when_every_verification_passes(self) -> None:
        proc = self.fakes.run("verify-image.sh", DIGEST)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        calls = self.fakes.log.read_text()
        ref = f"ghcr.io/web-terminal/web-terminal@{DIGEST}"
        self.assertIn(f"skopeo inspect --raw docker://{ref}", calls)
        identity = r"^https://github\.com/web-terminal/web-terminal/\.github/workflows/release\.yml@refs/tags/v"
        self.assertIn(
            f"cosign verify {ref} --certificate-identity-regexp {identity} "
            "--certificate-oidc-issuer https://token.actions.githubusercontent.com",
            calls,
        )
        self.assertIn(
            f"gh attestation verify oci://{ref} --repo web-terminal/web-terminal "
            "--signer-workflow web-terminal/web-terminal/.github/workflows/release.yml",
            calls,
        )
        self.assertIn(f"cosign verify-attestation {ref} --type cyclonedx --certificate-identity-regexp {identity}", calls)

    def test_accepts_the_image_reference_form(self) -> None:
        proc = self.fakes.run("verify-image.sh", f"ghcr.io/web-terminal/web-terminal@{DIGEST}")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def refused(self, failing: str, message: str) -> None:
        proc = self.fakes.run("verify-image.sh", DIGEST, FAIL=failing)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("REFUSED", proc.stderr)
        self.assertIn(message, proc.stderr)

    def test_refuses_a_digest_the_registry_lacks(self) -> None:
        self.refused("skopeo", "is not in the registry")

    def test_refuses_an_unsigned_image(self) -> None:
        self.refused("cosign-verify", "has no valid signature")

    def test_refuses_an_image_without_provenance(self) -> None:
        self.refused("gh", "has no SLSA build provenance")

    def test_refuses_an_image_without_an_sbom(self) -> None:
        self.refused("cosign-verify-attestation", "has no valid CycloneDX SBOM attestation")

    def test_refuses_the_placeholder_and_malformed_digests_before_asking_anyone(self) -> None:
        for digest in ("sha256:" + "0" * 64, "sha256:ABC", "latest", DIGEST + "0"):
            proc = self.fakes.run("verify-image.sh", digest)
            self.assertEqual(proc.returncode, 1, digest)
            self.assertIn("REFUSED", proc.stderr)
        self.assertEqual(self.fakes.log.read_text(), "")


if __name__ == "__main__":
    unittest.main()
