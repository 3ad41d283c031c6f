//! Token verification: pick the provider by `iss`, check the algorithm against its list before
//! touching any key, then the signature with a key from its JWKS, then `exp`, `nbf`, `iss` and
//! (when configured) `aud`.
//!
//! **Invariant:** only asymmetric algorithms reach `jsonwebtoken`. `none` and HMAC are refused
//! from the raw header, so neither an unsigned token nor one "signed" with a public key as an
//! HMAC secret is ever checked against anything.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::config::{AuthConfig, ProviderConfig};
use super::jwks::{JwksCache, Lookup};

/// Longest token accepted, in bytes: far beyond any real JWT, small enough to parse cheaply.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest `sub` accepted, in bytes.
const MAX_SUBJECT_BYTES: usize = 1024;

/// Why a token is not accepted. The variants are for logs and metrics; clients only learn
/// "invalid token", "token expired" or "authentication required".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not three base64url parts of JSON, or a claim of the wrong type.
    #[error("malformed token")]
    Malformed,
    /// `alg` is `none`, HMAC, or not in the provider's list.
    #[error("algorithm {0:?} is not accepted")]
    AlgorithmNotAllowed(String),
    /// No configured provider has this `iss`.
    #[error("unknown issuer")]
    UnknownIssuer,
    /// The provider's JWKS has no key with the token's `kid`, even after a refetch.
    #[error("no key with the token's kid")]
    UnknownKey,
    /// The provider's keys could not be loaded (or are stale past the stale window).
    #[error("the issuer's signing keys are unavailable")]
    KeysUnavailable,
    /// No key verifies the signature.
    #[error("bad signature")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `aud` does not name an accepted audience.
    #[error("wrong audience")]
    WrongAudience,
    /// A required claim is missing or unusable.
    #[error("missing or invalid claim `{0}`")]
    MissingClaim(&'static str),
}

impl VerifyError {
    /// A stable label for metrics and the audit log.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            Self::UnknownIssuer => "unknown_issuer",
            Self::UnknownKey => "unknown_kid",
            Self::KeysUnavailable => "keys_unavailable",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
        }
    }
}

/// A token whose signature and claims checked out.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken {
    /// Index of the provider in the configuration.
    pub provider: usize,
    /// Every claim.
    pub claims: Map<String, Value>,
    /// `sub`, as given.
    pub subject: String,
    /// `exp`, Unix seconds.
    pub expires: u64,
}

/// Checks tokens against the configured providers.
#[derive(Debug, Clone)]
pub(crate) struct TokenVerifier {
    providers: Vec<ProviderRules>,
    jwks: JwksCache,
}

#[derive(Debug, Clone)]
struct ProviderRules {
    issuer: String,
    algorithms: Vec<Algorithm>,
    audience: Option<Vec<String>>,
    leeway: u64,
}

impl ProviderRules {
    fn new(config: &AuthConfig, provider: &ProviderConfig) -> Self {
        Self {
            issuer: provider.issuer.clone(),
            algorithms: provider
                .algorithm_names()
                .iter()
                .filter_map(|name| name.parse().ok())
                .filter(|algorithm| {
                    super::jwks::family_of(*algorithm) != jsonwebtoken::AlgorithmFamily::Hmac
                })
                .collect(),
            audience: provider.audience.as_ref().map(|audience| audience.to_vec()),
            leeway: config.leeway,
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        let mut required: HashSet<String> = ["exp", "iss", "sub"].map(str::to_owned).into();
        match &self.audience {
            Some(audience) => {
                validation.set_audience(audience);
                required.insert("aud".to_owned());
            }
            // Without a configured audience any `aud` is acceptable.
            None => validation.validate_aud = false,
        }
        validation.required_spec_claims = required;
        validation
    }
}

impl TokenVerifier {
    /// A verifier for the providers of `config`, with their keys in `jwks`.
    pub(crate) fn new(config: &AuthConfig, jwks: JwksCache) -> Self {
        Self {
            providers: config
                .jwks_providers
                .iter()
                .map(|provider| ProviderRules::new(config, provider))
                .collect(),
            jwks,
        }
    }

    /// Verifies `token`.
    pub(crate) async fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        let header = decode_part(header)?;
        let algorithm_name = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(VerifyError::Malformed)?
            .to_owned();
        let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
        // The issuer only chooses which provider's keys to try; nothing is trusted until the
        // signature is checked.
        let unverified = decode_part(payload)?;
        let issuer = unverified
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(VerifyError::MissingClaim("iss"))?;
        let index = self
            .providers
            .iter()
            .position(|provider| provider.issuer == issuer)
            .ok_or(VerifyError::UnknownIssuer)?;
        let rules = &self.providers[index];
        let algorithm = rules
            .algorithms
            .iter()
            .copied()
            .find(|algorithm| format!("{algorithm:?}") == algorithm_name)
            .ok_or_else(|| VerifyError::AlgorithmNotAllowed(truncate(&algorithm_name)))?;
        let keys = match self.jwks.keys_for(index, kid.as_deref(), algorithm).await {
            Lookup::Keys(keys) => keys,
            Lookup::UnknownKid => return Err(VerifyError::UnknownKey),
            Lookup::Unavailable => return Err(VerifyError::KeysUnavailable),
        };
        let validation = rules.validation(algorithm);
        let mut outcome = Err(VerifyError::BadSignature);
        for key in &keys {
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => {
                    outcome = Ok(data.claims);
                    break;
                }
                // Another key with the same kid (or, without a kid, any key) may fit.
                Err(error) if is_signature_error(error.kind()) => continue,
                Err(error) => {
                    outcome = Err(claim_error(error.kind()));
                    break;
                }
            }
        }
        let claims = outcome?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.trim().is_empty() && sub.len() <= MAX_SUBJECT_BYTES)
            .filter(|sub| !sub.chars().any(char::is_control))
            .ok_or(VerifyError::MissingClaim("sub"))?
            .to_owned();
        let expires = claims
            .get("exp")
            .and_then(Value::as_f64)
            .filter(|exp| exp.is_finite() && *exp > 0.0)
            .ok_or(VerifyError::MissingClaim("exp"))? as u64;
        Ok(VerifiedToken {
            provider: index,
            claims,
            subject,
            expires,
        })
    }
}

/// One base64url JSON object of a JWT.
fn decode_part(part: &str) -> Result<Map<String, Value>, VerifyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)
}

fn is_signature_error(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidSignature
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidAlgorithm
    )
}

fn claim_error(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        ErrorKind::InvalidAudience => VerifyError::WrongAudience,
        ErrorKind::InvalidIssuer => VerifyError::UnknownIssuer,
        ErrorKind::MissingRequiredClaim(claim) => VerifyError::MissingClaim(match claim.as_str() {
            "exp" => "exp",
            "aud" => "aud",
            "iss" => "iss",
            "sub" => "sub",
            _ => "nbf",
        }),
        _ => VerifyError::Malformed,
    }
}

/// An attacker-chosen string, shortened for the log.
fn truncate(text: &str) -> String {
    text.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_requires_the_right_claims() {
        let mut config = AuthConfig::default();
        let provider: ProviderConfig = serde_json::from_str(
            r#"{"name":"p","url":"https://p/jwks","issuer":"https://p","audience":"terminal"}"#,
        )
        .unwrap();
        config.jwks_providers.push(provider.clone());
        let rules = ProviderRules::new(&config, &provider);
        assert!(!rules.algorithms.is_empty());
        let validation = rules.validation(Algorithm::ES256);
        assert_eq!(validation.algorithms, [Algorithm::ES256]);
        assert!(validation.validate_nbf && validation.validate_exp && validation.validate_aud);
        assert_eq!(validation.leeway, 30);
        for claim in ["exp", "iss", "sub", "aud"] {
            assert!(validation.required_spec_claims.contains(claim), "{claim}");
        }
    }

    #[test]
    fn hmac_never_makes_it_into_the_rules() {
        let provider: ProviderConfig = serde_json::from_str(
            r#"{"name":"p","url":"https://p/jwks","issuer":"https://p","algorithms":["HS256","ES256"]}"#,
        )
        .unwrap();
        let rules = ProviderRules::new(&AuthConfig::default(), &provider);
        assert_eq!(rules.algorithms, [Algorithm::ES256]);
    }

    #[test]
    fn parts_must_be_base64url_json() {
        assert!(decode_part("eyJhbGciOiJub25lIn0").is_ok());
        assert_eq!(decode_part("!!!"), Err(VerifyError::Malformed));
        assert_eq!(decode_part("bm90IGpzb24"), Err(VerifyError::Malformed));
    }
}
