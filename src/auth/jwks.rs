//! `JwksCache`: each provider's signing keys, fetched over HTTPS and cached.
//!
//! - Keys are fresh for the provider's `cache_ttl`; a background task refreshes them when that
//!   runs out, and retries every `min_refresh_interval` while the JWKS cannot be fetched.
//! - A token with an unknown `kid` triggers a refetch, but at most one fetch per provider per
//!   `min_refresh_interval`, and concurrent misses share that one fetch: a flood of made-up
//!   `kid`s cannot turn into a flood of requests to the provider.
//! - When refreshing fails, the cached keys keep verifying for `stale_window` past their
//!   freshness; after that the provider fails closed until a fetch succeeds.
//!
//! Only asymmetric signature keys are kept: `oct` (HMAC) keys, encryption keys and keys for
//! algorithms the provider does not accept are dropped when the JWKS is read.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

use super::config::{AuthConfig, ProviderConfig, redact_url};
use super::identity::read_limited;
use crate::metrics::Metrics;

/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Most keys kept from one JWKS.
const MAX_KEYS: usize = 100;
/// Time allowed for one JWKS request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The JWKS request failed.
    #[error("fetching the JWKS failed: {0}")]
    Fetch(String),
    /// The JWKS answered with an error status.
    #[error("the JWKS answered with status {0}")]
    Status(u16),
    /// The answer is not a JWKS.
    #[error("the answer is not a JWKS: {0}")]
    Parse(String),
    /// The JWKS holds no key this server can use.
    #[error("the JWKS holds no usable signing key ({0} skipped)")]
    NoUsableKeys(usize),
    /// No fetch is allowed yet (see `min_refresh_interval`).
    #[error("fetched too recently to fetch again")]
    RateLimited,
}

/// One public key from a JWKS, ready to verify with.
#[derive(Clone)]
pub struct VerifyingKey {
    /// The key's `kid`, if it has one.
    pub kid: Option<String>,
    /// The algorithm the JWK is restricted to (`alg`), if any.
    pub algorithm: Option<Algorithm>,
    /// RSA, EC or Ed.
    pub family: AlgorithmFamily,
    /// The curve of an EC or OKP key.
    pub curve: Option<EllipticCurve>,
    /// The key itself.
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    // Public keys are not secret, but there is no reason to print key material either.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Whether this key may verify a signature made with `algorithm`.
    pub fn fits(&self, algorithm: Algorithm) -> bool {
        let curve_fits = match algorithm {
            Algorithm::ES256 => self.curve == Some(EllipticCurve::P256),
            Algorithm::ES384 => self.curve == Some(EllipticCurve::P384),
            Algorithm::EdDSA => self.curve == Some(EllipticCurve::Ed25519),
            _ => true,
        };
        self.family == family_of(algorithm)
            && self.algorithm.is_none_or(|only| only == algorithm)
            && curve_fits
    }
}

/// The family an algorithm belongs to.
pub(super) fn family_of(algorithm: Algorithm) -> AlgorithmFamily {
    match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
        Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ec,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
        _ => AlgorithmFamily::Rsa,
    }
}

/// Every provider's keys. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    providers: Vec<ProviderKeys>,
    http: reqwest::Client,
    metrics: Metrics,
}

#[derive(Debug)]
struct ProviderKeys {
    name: String,
    url: String,
    algorithms: Vec<Algorithm>,
    ttl: Duration,
    stale_window: Duration,
    min_interval: Duration,
    /// A std lock: read on every verification, written after a fetch, never held across an await.
    state: RwLock<KeyState>,
    /// A tokio mutex because it is held across the fetch: concurrent misses wait for the one
    /// fetch in flight instead of starting their own.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct KeyState {
    keys: Arc<Vec<VerifyingKey>>,
    /// When the current keys were fetched; `None` until the first success.
    fetched: Option<Instant>,
    /// When the last fetch started, successful or not.
    attempted: Option<Instant>,
    /// Why the last fetch failed, if it did.
    last_error: Option<String>,
}

/// Which keys a token may be checked against.
#[derive(Debug)]
pub enum Lookup {
    /// Keys that match the token's `kid` (or all keys, when it has none).
    Keys(Vec<VerifyingKey>),
    /// The provider has usable keys, but none with this `kid`, even after a refetch.
    UnknownKid,
    /// The provider has no usable keys: never fetched, or stale past `stale_window`.
    Unavailable,
}

impl JwksCache {
    /// A cache for the providers of `config`; nothing is fetched until
    /// [`run_refresh`](Self::run_refresh) runs or a token arrives.
    pub fn new(config: &AuthConfig, http: reqwest::Client, metrics: Metrics) -> Self {
        let providers = config
            .jwks_providers
            .iter()
            .map(|provider| ProviderKeys::new(config, provider))
            .collect();
        Self {
            inner: Arc::new(Inner {
                providers,
                http,
                metrics,
            }),
        }
    }

    /// Whether at least one provider has keys that verify now.
    pub fn any_usable(&self) -> bool {
        let now = Instant::now();
        self.inner
            .providers
            .iter()
            .any(|provider| provider.usable_keys(now).is_some())
    }

    /// Why no provider has usable keys, for `/ready` logging.
    pub fn status(&self) -> Vec<(String, Option<String>)> {
        self.inner
            .providers
            .iter()
            .map(|provider| {
                let state = provider.read();
                (provider.name.clone(), state.last_error.clone())
            })
            .collect()
    }

    /// Keys of provider `index` for a token with `kid` signed with `algorithm`, refetching once
    /// (rate-limited) when the keys are missing or the `kid` is unknown.
    pub async fn keys_for(&self, index: usize, kid: Option<&str>, algorithm: Algorithm) -> Lookup {
        let provider = &self.inner.providers[index];
        match provider.select(kid, algorithm) {
            Lookup::Keys(keys) => return Lookup::Keys(keys),
            Lookup::UnknownKid | Lookup::Unavailable => {}
        }
        // A miss: fetch again unless a fetch happened within min_refresh_interval. If one is in
        // flight, wait for it and use its result.
        let _ = self.refresh_provider(provider, false).await;
        provider.select(kid, algorithm)
    }

    /// Fetches provider `index`'s JWKS now, unless fetched within `min_refresh_interval`.
    pub async fn refresh(&self, index: usize) -> Result<usize, JwksError> {
        self.refresh_provider(&self.inner.providers[index], false)
            .await
    }

    async fn refresh_provider(
        &self,
        provider: &ProviderKeys,
        scheduled: bool,
    ) -> Result<usize, JwksError> {
        let started_waiting = Instant::now();
        let _fetching = provider.fetching.lock().await;
        {
            let mut state = provider.write();
            let recent = state.attempted.is_some_and(|attempted| {
                // A fetch that finished while we waited for the lock counts as ours.
                attempted >= started_waiting || attempted.elapsed() < provider.min_interval
            });
            if recent && !scheduled {
                return Err(JwksError::RateLimited);
            }
            state.attempted = Some(Instant::now());
        }
        let result = self.fetch(provider).await;
        let mut state = provider.write();
        match result {
            Ok(keys) => {
                let count = keys.len();
                state.keys = Arc::new(keys);
                state.fetched = Some(Instant::now());
                if let Some(error) = state.last_error.take() {
                    tracing::info!(provider = %provider.name, keys = count, previous_error = %error, "JWKS loaded again");
                } else {
                    tracing::debug!(provider = %provider.name, keys = count, "JWKS loaded");
                }
                self.inner.metrics.jwks_refresh(&provider.name, true);
                self.inner.metrics.jwks_keys(&provider.name, count);
                Ok(count)
            }
            Err(error) => {
                let usable = provider
                    .usable_keys_locked(&state, Instant::now())
                    .is_some();
                tracing::warn!(
                    provider = %provider.name,
                    url = %redact_url(&provider.url),
                    %error,
                    cached_keys_still_used = usable,
                    "cannot refresh the JWKS"
                );
                state.last_error = Some(error.to_string());
                self.inner.metrics.jwks_refresh(&provider.name, false);
                if !usable {
                    self.inner.metrics.jwks_keys(&provider.name, 0);
                }
                Err(error)
            }
        }
    }

    async fn fetch(&self, provider: &ProviderKeys) -> Result<Vec<VerifyingKey>, JwksError> {
        let response = self
            .inner
            .http
            .get(&provider.url)
            .header(
                reqwest::header::ACCEPT,
                "application/json, application/jwk-set+json",
            )
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|error| JwksError::Fetch(error.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(JwksError::Status(response.status().as_u16()));
        }
        let body = read_limited(response, MAX_JWKS_BYTES)
            .await
            .map_err(JwksError::Fetch)?;
        parse_jwks(&body, &provider.algorithms)
    }

    /// Keeps every provider's keys fresh, forever: refreshes each when its `cache_ttl` runs out,
    /// and every `min_refresh_interval` while it has no fresh keys. Run it in a task.
    pub async fn run_refresh(self) {
        let mut next: Vec<Instant> = vec![Instant::now(); self.inner.providers.len()];
        loop {
            let Some(due) = next.iter().min().copied() else {
                return;
            };
            tokio::time::sleep_until(due.into()).await;
            let now = Instant::now();
            for (index, provider) in self.inner.providers.iter().enumerate() {
                if next[index] > now {
                    continue;
                }
                let result = self.refresh_provider(provider, true).await;
                let state = provider.read();
                next[index] = match (result, state.fetched) {
                    (Ok(_), Some(fetched)) => fetched + provider.ttl,
                    _ => Instant::now() + provider.min_interval.max(Duration::from_secs(1)),
                };
                if !self.any_usable() {
                    // Without keys, every token is refused and /ready says 503: keep saying why.
                    tracing::warn!(provider = %provider.name, "no provider has usable signing keys yet; tokens are refused");
                }
            }
        }
    }

    /// The provider names, in configuration order.
    pub fn provider_count(&self) -> usize {
        self.inner.providers.len()
    }
}

impl ProviderKeys {
    fn new(config: &AuthConfig, provider: &ProviderConfig) -> Self {
        let algorithms = provider
            .algorithm_names()
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        Self {
            name: provider.name.clone(),
            url: provider.url.clone(),
            algorithms,
            ttl: config.cache_ttl(provider),
            stale_window: Duration::from_secs(provider.stale_window),
            min_interval: Duration::from_secs(provider.min_refresh_interval),
            state: RwLock::new(KeyState::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KeyState> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeyState> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn usable_keys(&self, now: Instant) -> Option<Arc<Vec<VerifyingKey>>> {
        self.usable_keys_locked(&self.read(), now)
    }

    /// The keys, unless never fetched or older than `cache_ttl + stale_window`.
    fn usable_keys_locked(&self, state: &KeyState, now: Instant) -> Option<Arc<Vec<VerifyingKey>>> {
        let fetched = state.fetched?;
        (now.duration_since(fetched) < self.ttl + self.stale_window).then(|| state.keys.clone())
    }

    fn select(&self, kid: Option<&str>, algorithm: Algorithm) -> Lookup {
        let Some(keys) = self.usable_keys(Instant::now()) else {
            return Lookup::Unavailable;
        };
        let matching: Vec<VerifyingKey> = keys
            .iter()
            .filter(|key| match kid {
                Some(kid) => key.kid.as_deref() == Some(kid),
                None => true,
            })
            .filter(|key| key.fits(algorithm))
            .cloned()
            .collect();
        if matching.is_empty() {
            Lookup::UnknownKid
        } else {
            Lookup::Keys(matching)
        }
    }
}

/// Reads a JWKS document, keeping the keys that can verify one of `algorithms`.
pub(super) fn parse_jwks(
    body: &[u8],
    algorithms: &[Algorithm],
) -> Result<Vec<VerifyingKey>, JwksError> {
    let document: Value =
        serde_json::from_slice(body).map_err(|error| JwksError::Parse(error.to_string()))?;
    let entries = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| JwksError::Parse("no `keys` list".into()))?;
    let mut keys = Vec::new();
    let mut skipped = 0;
    for entry in entries {
        match key_from_jwk(entry, algorithms) {
            Some(key) if keys.len() < MAX_KEYS => keys.push(key),
            _ => skipped += 1,
        }
    }
    if keys.is_empty() {
        return Err(JwksError::NoUsableKeys(skipped));
    }
    Ok(keys)
}

/// One JWK as a verifying key, or `None` when it is not a usable public signature key.
fn key_from_jwk(entry: &Value, algorithms: &[Algorithm]) -> Option<VerifyingKey> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let (family, curve) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (AlgorithmFamily::Rsa, None),
        AlgorithmParameters::EllipticCurve(params) => {
            (AlgorithmFamily::Ec, Some(params.curve.clone()))
        }
        AlgorithmParameters::OctetKeyPair(params) => {
            (AlgorithmFamily::Ed, Some(params.curve.clone()))
        }
        // Symmetric keys have no place in a public key set; never verify with one.
        _ => return None,
    };
    let algorithm = match &jwk.common.key_algorithm {
        None => None,
        Some(key_algorithm) => Some(key_algorithm.to_string().parse::<Algorithm>().ok()?),
    };
    let key = VerifyingKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        family,
        curve,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    };
    algorithms
        .iter()
        .any(|algorithm| key.fits(*algorithm))
        .then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    #[test]
    fn keeps_only_public_signature_keys() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "kid": "ec",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "alg": "EdDSA",
             "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "RSA", "kid": "weird", "alg": "RSA-OAEP", "n": "AQAB", "e": "AQAB"},
            {"kty": "nonsense"},
            "not even an object"
        ]});
        let keys = parse_jwks(jwks.to_string().as_bytes(), &ALL).unwrap();
        let kids: Vec<_> = keys.iter().map(|key| key.kid.clone().unwrap()).collect();
        assert_eq!(kids, ["ec", "ed"]);
        assert!(keys[0].fits(Algorithm::ES256));
        assert!(!keys[0].fits(Algorithm::ES384));
        assert!(!keys[0].fits(Algorithm::HS256));
        assert!(keys[1].fits(Algorithm::EdDSA));
    }

    #[test]
    fn keys_for_refused_algorithms_are_dropped() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed",
             "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ]});
        let error = parse_jwks(jwks.to_string().as_bytes(), &[Algorithm::RS256]).unwrap_err();
        assert!(matches!(error, JwksError::NoUsableKeys(1)), "{error}");
    }

    #[test]
    fn refuses_what_is_not_a_jwks() {
        for body in [&b"not json"[..], b"{}", b"{\"keys\": 3}", b"{\"keys\": []}"] {
            assert!(
                parse_jwks(body, &ALL).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
