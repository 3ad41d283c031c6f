#!/usr/bin/env bash
# Verifies a released image by digest before anything points an environment at it: the staging
# pull request of release.yml and promote.yml run it first, and refuse to open a pull request
# unless it passes. By hand, after `cosign login ghcr.io` (or `docker login ghcr.io`) if the
# package is private:
#
#   scripts/verify-image.sh sha256:<64 hex>
#
# The digest must be in the registry (skopeo), carry a keyless cosign signature made by this
# repository's release workflow on a tag (cosign verify), and have the SLSA build provenance
# (gh attestation verify) and the CycloneDX SBOM (cosign verify-attestation) that the release
# attached. GITHUB_REPOSITORY (owner/name) names the repository; IMAGE overrides the image name.
# Needs skopeo, cosign and gh (with a token: GH_TOKEN).
set -euo pipefail

readonly IMAGE=${IMAGE:-ghcr.io/web-terminal/web-terminal}
readonly REPOSITORY=${GITHUB_REPOSITORY:-web-terminal/web-terminal}
readonly PLACEHOLDER=sha256:0000000000000000000000000000000000000000000000000000000000000000
readonly ISSUER=https://token.actions.githubusercontent.com

refuse() {
  echo "verify-image: REFUSED: $*" >&2
  exit 1
}

[[ $# == 1 ]] || refuse "usage: verify-image.sh sha256:<64 hex>"
digest=${1#"$IMAGE@"}
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || refuse "'$1' is not a digest (sha256: and 64 lowercase hex digits)"
[[ $digest != "$PLACEHOLDER" ]] || refuse "the all-zero placeholder digest is no release"
[[ $REPOSITORY =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || refuse "GITHUB_REPOSITORY '$REPOSITORY' is not owner/name"
ref="$IMAGE@$digest"
# The release workflow of this repository, run for a tag v*: the identity keyless signing records.
identity="^https://github\\.com/${REPOSITORY//./\\.}/\\.github/workflows/release\\.yml@refs/tags/v"

echo "== $ref exists in the registry"
skopeo inspect --raw "docker://$ref" >/dev/null ||
  refuse "$ref is not in the registry (or not readable with these credentials)"

echo "== signed by $REPOSITORY's release workflow (cosign, keyless)"
cosign verify "$ref" \
  --certificate-identity-regexp "$identity" \
  --certificate-oidc-issuer "$ISSUER" >/dev/null ||
  refuse "$ref has no valid signature from $REPOSITORY/.github/workflows/release.yml on a tag"

echo "== build provenance from the same workflow (gh attestation verify)"
gh attestation verify "oci://$ref" \
  --repo "$REPOSITORY" \
  --signer-workflow "$REPOSITORY/.github/workflows/release.yml" ||
  refuse "$ref has no SLSA build provenance from $REPOSITORY's release workflow"

echo "== SBOM attestation from the same workflow (CycloneDX, cosign verify-attestation)"
cosign verify-attestation "$ref" --type cyclonedx \
  --certificate-identity-regexp "$identity" \
  --certificate-oidc-issuer "$ISSUER" >/dev/null ||
  refuse "$ref has no valid CycloneDX SBOM attestation from $REPOSITORY's release workflow"

echo "verify-image: $ref is in the registry, signed, with build provenance and an SBOM"
