//! Authentication and authorization (`docs/authentication.md`).
//!
//! A request with a token goes through, in order:
//! 1. [`verify`]: the provider whose `issuer` is the token's `iss`, an accepted asymmetric
//!    algorithm, a key from that provider's JWKS ([`jwks::JwksCache`]), `exp`/`nbf`/`aud`;
//! 2. [`identity`]: the user (`sub`) and groups (a claim, or Backstage's user-info endpoint),
//!    normalised as entity refs;
//! 3. [`policy`]: deny lists, then allow lists, everyone else refused;
//! 4. [`workspace`]: the user's own folder under the workspaces root.
//!
//! [`audit`] records each outcome. [`Authenticator`] ties 1 to 3 together and maps every
//! refusal to a [`Refusal`], which alone decides the close code or HTTP status a client sees.
//! **Invariant:** tokens are never logged, stored or put in a client-visible reason; client
//! reasons are compile-time constants.

pub mod audit;
pub mod config;
pub mod identity;
pub mod jwks;
pub mod policy;
pub mod verify;
pub mod workspace;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

pub use audit::{AuditEvent, AuditLog, ClientInfo};
pub use config::AuthConfig;
pub use identity::Identity;

use audit::Record;
use config::ProviderKind;
use identity::{DefaultKind, UserInfoClient, groups_from_claim, normalize_ref};
use jwks::JwksCache;
use policy::{Decision, DenyReason, Policy};
use verify::{TokenVerifier, VerifyError};

use crate::metrics::Metrics;
use crate::protocol::CloseReason;

/// Query parameters that look like a token: refused, because URLs end up in logs and history.
pub const TOKEN_QUERY_PARAMETERS: [&str; 3] = ["token", "access_token", "jwt"];

/// Why the authenticator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The HTTP client for JWKS and user info could not be built.
    #[error("cannot build the HTTP client for JWKS requests: {0}")]
    Http(String),
}

/// Why a token did not establish an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No token was sent.
    Missing,
    /// A token was sent in the URL query.
    InUrl,
    /// The token was refused.
    Invalid(VerifyError),
    /// Backstage's user-info endpoint could not tell the user's groups.
    GroupsUnavailable,
}

/// A request refused by authentication or authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No valid token: close code 4401, HTTP 401.
    Unauthenticated(Failure),
    /// A valid token for a user the policy refuses: close code 4403, HTTP 403.
    Denied(DenyReason),
}

impl Refusal {
    /// A stable label for metrics and the audit log.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Unauthenticated(Failure::Missing) => "missing_token",
            Self::Unauthenticated(Failure::InUrl) => "token_in_url",
            Self::Unauthenticated(Failure::Invalid(error)) => error.label(),
            Self::Unauthenticated(Failure::GroupsUnavailable) => "groups_unavailable",
            Self::Denied(reason) => reason.label(),
        }
    }

    /// The close frame the client gets: a fixed text, never internals.
    pub fn close_reason(&self) -> CloseReason {
        match self {
            Self::Unauthenticated(Failure::Missing) => {
                CloseReason::Unauthorized("authentication required")
            }
            Self::Unauthenticated(Failure::InUrl) => CloseReason::Unauthorized(
                "token in URL refused: send it in the Authorization header or the first message",
            ),
            Self::Unauthenticated(Failure::Invalid(VerifyError::Expired)) => {
                CloseReason::Unauthorized("token expired")
            }
            Self::Unauthenticated(_) => CloseReason::Unauthorized("invalid token"),
            Self::Denied(_) => CloseReason::Forbidden,
        }
    }

    /// The HTTP status for a protected route.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Denied(_) => StatusCode::FORBIDDEN,
        }
    }
}

/// An authenticated and authorized user.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Who.
    pub identity: Identity,
    /// When the token expires, Unix seconds.
    pub expires: u64,
}

impl Grant {
    /// Time left until the token expires (zero if it already has).
    pub fn remaining(&self) -> Duration {
        Duration::from_secs(self.expires.saturating_sub(identity::unix_now()))
    }
}

/// Verifies tokens and applies the policy. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    providers: Vec<config::ProviderConfig>,
    jwks: JwksCache,
    verifier: TokenVerifier,
    user_info: UserInfoClient,
    policy: Policy,
    audit: Option<AuditLog>,
    metrics: Metrics,
}

impl Authenticator {
    /// An authenticator for `config`. Keys load once [`JwksCache::run_refresh`] runs (see
    /// [`Authenticator::jwks`]); until then every token is refused.
    pub fn new(
        config: &AuthConfig,
        metrics: Metrics,
        audit: Option<AuditLog>,
    ) -> Result<Self, AuthError> {
        let http = http_client()?;
        let jwks = JwksCache::new(config, http.clone(), metrics.clone());
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                providers: config.jwks_providers.clone(),
                verifier: TokenVerifier::new(config, jwks.clone()),
                jwks,
                user_info: UserInfoClient::new(http),
                policy: Policy::new(&config.authorization),
                audit,
                metrics,
            }),
        })
    }

    /// The key cache; run [`JwksCache::run_refresh`] in a task to keep it loaded.
    pub fn jwks(&self) -> &JwksCache {
        &self.inner.jwks
    }

    /// Whether at least one provider's keys are loaded (`/ready`).
    pub fn is_ready(&self) -> bool {
        self.inner.jwks.any_usable()
    }

    /// Authenticates `token` and applies the policy, recording the outcome in the audit log
    /// and the metrics.
    pub async fn authenticate(
        &self,
        token: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Grant, Refusal> {
        let result = self.check(token).await;
        let metrics = &self.inner.metrics;
        match &result {
            Ok((grant, claims)) => {
                metrics.auth_result("success", "allowed");
                self.audit(
                    AuditEvent::AuthSuccess,
                    Record {
                        identity: Some(&grant.identity),
                        client: Some(client),
                        claims: Some(claims),
                        ..Record::default()
                    },
                );
            }
            Err((refusal, identity)) => {
                let (result, event) = match refusal {
                    Refusal::Unauthenticated(_) => ("failure", AuditEvent::AuthFailure),
                    Refusal::Denied(_) => ("denied", AuditEvent::AccessDenied),
                };
                metrics.auth_result(result, refusal.label());
                self.audit(
                    event,
                    Record {
                        identity: identity.as_ref(),
                        client: Some(client),
                        reason: Some(refusal.label()),
                        ..Record::default()
                    },
                );
            }
        }
        result
            .map(|(grant, _)| grant)
            .map_err(|(refusal, _)| refusal)
    }

    /// Records that a verified user was refused something other than by the policy (another
    /// user's session).
    pub fn record_denied(
        &self,
        identity: &Identity,
        client: &ClientInfo,
        session_id: &str,
        reason: &'static str,
    ) {
        self.inner.metrics.auth_result("denied", reason);
        self.audit(
            AuditEvent::AccessDenied,
            Record {
                identity: Some(identity),
                session_id: Some(session_id),
                client: Some(client),
                reason: Some(reason),
                ..Record::default()
            },
        );
    }

    /// Records a refusal that happened before a token could be looked at (a token in the URL).
    pub fn record_refusal(&self, refusal: &Refusal, client: &ClientInfo) {
        self.inner.metrics.auth_result("failure", refusal.label());
        self.audit(
            AuditEvent::AuthFailure,
            Record {
                client: Some(client),
                reason: Some(refusal.label()),
                ..Record::default()
            },
        );
    }

    fn audit(&self, event: AuditEvent, record: Record<'_>) {
        if let Some(audit) = &self.inner.audit {
            audit.record(event, record);
        }
    }

    /// Verification, identity and policy; on refusal, the identity if one was established.
    #[allow(clippy::type_complexity)]
    async fn check(
        &self,
        token: Option<&str>,
    ) -> Result<(Grant, Map<String, Value>), (Refusal, Option<Identity>)> {
        let unauthenticated = |failure| (Refusal::Unauthenticated(failure), None);
        let token = token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| unauthenticated(Failure::Missing))?;
        let verified = self.inner.verifier.verify(token).await.map_err(|error| {
            tracing::debug!(%error, "token refused");
            unauthenticated(Failure::Invalid(error))
        })?;
        let provider = &self.inner.providers[verified.provider];
        let user = normalize_ref(&verified.subject, DefaultKind::User);
        let groups = match groups_from_claim(&verified.claims, provider.groups_claim()) {
            Some(groups) => groups,
            None if provider.kind == ProviderKind::Backstage => self
                .inner
                .user_info
                .ownership_refs(&provider.user_info_url(), token, &verified.subject, verified.expires)
                .await
                .map_err(|error| {
                    tracing::warn!(provider = %provider.name, %error, "cannot look up the user's Backstage groups");
                    unauthenticated(Failure::GroupsUnavailable)
                })?,
            None => Vec::new(),
        };
        let identity = Identity {
            user,
            groups,
            provider: provider.name.clone(),
        };
        match self.inner.policy.decide(&identity) {
            Decision::Denied(reason) => Err((Refusal::Denied(reason), Some(identity))),
            Decision::AllowedUser | Decision::AllowedGroup(_) => Ok((
                Grant {
                    identity,
                    expires: verified.expires,
                },
                verified.claims,
            )),
        }
    }
}

/// The HTTP client for JWKS and user-info requests: rustls on ring, the system's CA roots.
fn http_client() -> Result<reqwest::Client, AuthError> {
    // reqwest is built without a bundled crypto provider; install ring (pure Rust and assembly,
    // no cmake) for the process. Fails harmlessly when one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("web-terminal/", env!("CARGO_PKG_VERSION")))
    };
    match builder().build() {
        Ok(client) => Ok(client),
        Err(error) => {
            // Typically no CA certificates in the image. Start anyway (loopback http JWKS still
            // work, and /ready says 503 while no keys load), but say what is wrong.
            tracing::error!(
                error = %error,
                "cannot load the system's CA certificates; HTTPS JWKS requests will fail. \
                 Install ca-certificates or point SSL_CERT_FILE at a CA bundle"
            );
            builder()
                .tls_certs_only(Vec::new())
                .build()
                .map_err(|error| AuthError::Http(error.to_string()))
        }
    }
}

/// The bearer token of an `Authorization` header, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Whether a URL query carries something that looks like a token.
pub fn query_has_token(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            TOKEN_QUERY_PARAMETERS
                .iter()
                .any(|parameter| name.eq_ignore_ascii_case(parameter))
        })
    })
}

/// The client's address for the audit log: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_addr(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> String {
    if !trusted_proxies.contains(&peer.ip()) {
        return peer.ip().to_string();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|address| !trusted_proxies.contains(address))
        .or(forwarded.first())
        .unwrap_or(&peer.ip())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer abc.def.ghi")])),
            Some("abc.def.ghi")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "bearer   x ")])),
            Some("x")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Basic dXNlcjpwYXNz")])),
            None
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer ")])),
            None
        );
        assert_eq!(bearer_token(&headers(&[])), None);
    }

    #[test]
    fn spots_tokens_in_queries() {
        for query in [
            "token=x",
            "a=1&access_token=y",
            "JWT=z",
            "token",
            "x=1&Token=",
        ] {
            assert!(query_has_token(Some(query)), "{query}");
        }
        for query in ["tokens=x", "a=token", "session=abc", ""] {
            assert!(!query_has_token(Some(query)), "{query}");
        }
        assert!(!query_has_token(None));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let peer = SocketAddr::new(proxy, 5000);
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9")]);
        assert_eq!(client_addr(peer, &forwarded, &[]), "10.0.0.2");
        assert_eq!(client_addr(peer, &forwarded, &[proxy]), "203.0.113.9");
        // The client cannot hide behind an entry it wrote itself when a second proxy is trusted.
        let second: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_addr(peer, &forwarded, &[proxy, second]),
            "198.51.100.7"
        );
        assert_eq!(
            client_addr(peer, &headers(&[("x-forwarded-for", "garbage")]), &[proxy]),
            "10.0.0.2"
        );
    }

    #[test]
    fn refusals_map_to_4401_or_4403_with_fixed_reasons() {
        let cases = [
            (Refusal::Unauthenticated(Failure::Missing), 4401),
            (Refusal::Unauthenticated(Failure::InUrl), 4401),
            (
                Refusal::Unauthenticated(Failure::Invalid(VerifyError::BadSignature)),
                4401,
            ),
            (
                Refusal::Unauthenticated(Failure::Invalid(VerifyError::Expired)),
                4401,
            ),
            (Refusal::Unauthenticated(Failure::GroupsUnavailable), 4401),
            (Refusal::Denied(DenyReason::NotAllowed), 4403),
        ];
        for (refusal, code) in cases {
            let reason = refusal.close_reason();
            assert_eq!(reason.close_code(), code, "{refusal:?}");
            assert!(reason.reason().len() <= 123);
            assert_eq!(refusal.status().as_u16(), code - 4000);
        }
        assert!(
            Refusal::Unauthenticated(Failure::InUrl)
                .close_reason()
                .reason()
                .contains("Authorization header")
        );
    }
}
