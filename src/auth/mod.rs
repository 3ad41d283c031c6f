//! Authentication and authorization (`docs/authentication.md`).
//!
//! A request with a token goes through, in order:
//! 1. [`verify`]: the provider whose `issuer` is the token's `iss`, an accepted asymmetric
//!    algorithm, a key from that provider's JWKS ([`jwks::JwksCache`]), `exp`/`nbf`/`aud`;
//! 2. [`identity`]: the user (`sub`) and groups (a claim, or Backstage's user-info endpoint),
//!    normalised as entity refs;
//! 3. [`policy`]: deny lists, then allow lists, everyone else refused.
//!
//! [`audit`] records each outcome. [`Authenticator`] ties 1 to 3 together and returns either a
//! [`Grant`] or a [`Refusal`]; the web layer alone turns a refusal into a close code or an HTTP
//! status. **Architecture Invariant:** this module knows nothing about HTTP, WebSockets or the
//! wire protocol. **Invariant:** tokens are never logged, stored or put in a client-visible
//! reason.

pub(crate) mod audit;
pub mod config;
pub(crate) mod identity;
mod jwks;
pub(crate) mod policy;
mod rotating_file;
pub(crate) mod verify;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

pub(crate) use audit::{AuditEvent, AuditLog, ClientInfo, Record, rfc3339};
pub use config::AuthConfig;
pub(crate) use identity::Identity;

use config::ProviderKind;
use identity::{DefaultKind, UserInfoClient, groups_from_claim, normalize_ref};
use jwks::JwksCache;
use policy::{Decision, DenyReason, Policy};
use verify::{TokenVerifier, VerifyError};

use crate::metrics::{AuthResult, Metrics};

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
    pub(crate) async fn authenticate(
        &self,
        token: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Grant, Refusal> {
        match self.check(token).await {
            Ok(Checked { grant, claims }) => {
                self.inner
                    .metrics
                    .auth_result(AuthResult::Success, "allowed");
                self.audit(
                    AuditEvent::AuthSuccess,
                    Record {
                        identity: Some(&grant.identity),
                        client: Some(client),
                        claims: Some(&claims),
                        ..Record::default()
                    },
                );
                Ok(grant)
            }
            Err(Rejected { refusal, identity }) => {
                self.record(&refusal, identity.as_ref(), client);
                Err(refusal)
            }
        }
    }

    /// Records a refusal that happened before a token could be looked at (a token in the URL).
    pub(crate) fn record_refusal(&self, refusal: &Refusal, client: &ClientInfo) {
        self.record(refusal, None, client);
    }

    /// Counts `refusal` and writes it to the audit log.
    fn record(&self, refusal: &Refusal, identity: Option<&Identity>, client: &ClientInfo) {
        let (result, event) = match refusal {
            Refusal::Unauthenticated(_) => (AuthResult::Failure, AuditEvent::AuthFailure),
            Refusal::Denied(_) => (AuthResult::Denied, AuditEvent::AccessDenied),
        };
        self.inner.metrics.auth_result(result, refusal.label());
        self.audit(
            event,
            Record {
                identity,
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

    /// Verification, identity and policy.
    async fn check(&self, token: Option<&str>) -> Result<Checked, Rejected> {
        let unauthenticated = |failure| Rejected {
            refusal: Refusal::Unauthenticated(failure),
            identity: None,
        };
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
            Decision::Denied(reason) => Err(Rejected {
                refusal: Refusal::Denied(reason),
                identity: Some(identity),
            }),
            Decision::AllowedUser | Decision::AllowedGroup(_) => Ok(Checked {
                grant: Grant {
                    identity,
                    expires: verified.expires,
                },
                claims: verified.claims,
            }),
        }
    }
}

/// A token that passed verification, identity and policy.
struct Checked {
    grant: Grant,
    /// Its verified claims, for the audit log's `include_claims`.
    claims: Map<String, Value>,
}

/// A refused token, with the identity it established if it got that far (for the audit log).
struct Rejected {
    refusal: Refusal,
    identity: Option<Identity>,
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
