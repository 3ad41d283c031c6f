//! Who a verified token names: the user (`sub`) and their groups, as normalised entity refs.
//!
//! Backstage names users and groups with entity refs, `kind:namespace/name`, compared
//! case-insensitively with the namespace defaulting to `default`. Every name here, from any
//! provider and from the configured allow and deny lists, goes through [`normalize_ref`], so a
//! list entry `admin`, `User:Default/Admin` and a token's `user:default/admin` are the same user.
//!
//! Groups come from a claim (`ent` for Backstage, `groups` by default for OIDC). Backstage can
//! leave `ent` out of its tokens; then [`UserInfoClient`] asks the Backstage auth backend's
//! `/v1/userinfo` endpoint with the caller's own token and caches the answer until the token
//! expires.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Most groups taken from one token or user-info answer.
pub(crate) const MAX_GROUPS: usize = 1024;
/// Longest user or group name accepted, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 1024;
/// Most cached user-info answers (one per live token).
const USER_INFO_CACHE_ENTRIES: usize = 10_000;
/// Largest user-info answer read.
const USER_INFO_MAX_BYTES: usize = 1024 * 1024;

/// Why groups could not be looked up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IdentityError {
    /// The user-info endpoint could not be reached or answered with an error status.
    #[error("user-info request failed: {0}")]
    Request(String),
    /// The user-info answer is not the expected JSON.
    #[error("user-info answer is not usable: {0}")]
    Answer(String),
}

/// The verified user behind a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The normalised user entity ref, from `sub`.
    pub user: String,
    /// Normalised group (and other ownership) entity refs.
    pub groups: Vec<String>,
    /// The name of the provider that issued the token.
    pub provider: String,
}

impl Identity {
    /// Everybody, while authentication is off: one user who owns every session.
    pub(crate) fn anonymous() -> Self {
        Self {
            user: "anonymous".to_owned(),
            groups: Vec::new(),
            provider: String::new(),
        }
    }
}

/// What kind an entity ref gets when it does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultKind {
    /// `user`, for subjects and user lists.
    User,
    /// `group`, for group claims and group lists.
    Group,
}

impl DefaultKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }
}

/// Backstage's normal form of an entity ref: `kind:namespace/name`, lowercased, the kind
/// defaulting to `default_kind` and the namespace to `default`.
///
/// Only ASCII letters are lowercased: Unicode case mapping would make look-alikes such as the
/// Kelvin sign (U+212A, lowercased to `k`) equal to plain ASCII names.
pub(crate) fn normalize_ref(reference: &str, default_kind: DefaultKind) -> String {
    let reference = reference.trim();
    // As Backstage's parseEntityRef: a colon before the first slash ends the kind.
    let (kind, rest) = match (reference.find(':'), reference.find('/')) {
        (Some(colon), slash) if slash.is_none_or(|slash| colon < slash) => {
            (&reference[..colon], &reference[colon + 1..])
        }
        _ => ("", reference),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (namespace, name),
        None => ("", rest),
    };
    let kind = if kind.is_empty() {
        default_kind.as_str()
    } else {
        kind
    };
    let namespace = if namespace.is_empty() {
        "default"
    } else {
        namespace
    };
    format!("{kind}:{namespace}/{name}").to_ascii_lowercase()
}

/// The string (or strings) in `claims[name]`, normalised as group refs. Anything that is not a
/// string is skipped; at most [`MAX_GROUPS`] are taken.
pub(crate) fn groups_from_claim(claims: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    let value = claims.get(name)?;
    let names: Vec<&str> = match value {
        Value::String(single) => vec![single.as_str()],
        Value::Array(values) => values.iter().filter_map(Value::as_str).collect(),
        _ => return Some(Vec::new()),
    };
    Some(normalize_groups(names))
}

/// Normalises, bounds, sorts and de-duplicates group names.
pub(crate) fn normalize_groups<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut groups: Vec<String> = names
        .into_iter()
        .filter(|name| !name.trim().is_empty() && name.len() <= MAX_NAME_BYTES)
        .take(MAX_GROUPS)
        .map(|name| normalize_ref(name, DefaultKind::Group))
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// Asks Backstage for a user's ownership refs when the token leaves `ent` out, and remembers
/// the answer until that token expires. Cheap to share: one HTTP client and one cache.
#[derive(Debug)]
pub(crate) struct UserInfoClient {
    http: reqwest::Client,
    /// Keyed by the SHA-256 of the token, so the cache holds no tokens. A std mutex: held only
    /// for a lookup or an insert, never across an await.
    cache: Mutex<HashMap<[u8; 32], CachedGroups>>,
}

#[derive(Debug, Clone)]
struct CachedGroups {
    groups: Vec<String>,
    /// The token's `exp`, in Unix seconds.
    expires: u64,
}

impl UserInfoClient {
    /// A client using `http`.
    pub(crate) fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The ownership refs of the user holding `token` (whose subject is `sub` and which expires
    /// at `expires`, Unix seconds), from `url`, normalised.
    pub(crate) async fn ownership_refs(
        &self,
        url: &str,
        token: &str,
        sub: &str,
        expires: u64,
    ) -> Result<Vec<String>, IdentityError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = unix_now();
        if let Some(cached) = self.lock().get(&key).filter(|cached| cached.expires > now) {
            return Ok(cached.groups.clone());
        }
        let groups = self.fetch(url, token, sub).await?;
        let mut cache = self.lock();
        cache.retain(|_, cached| cached.expires > now);
        if cache.len() < USER_INFO_CACHE_ENTRIES {
            cache.insert(
                key,
                CachedGroups {
                    groups: groups.clone(),
                    expires,
                },
            );
        }
        Ok(groups)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], CachedGroups>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn fetch(&self, url: &str, token: &str, sub: &str) -> Result<Vec<String>, IdentityError> {
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|error| IdentityError::Request(error.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(IdentityError::Request(format!("status {status}")));
        }
        let body = read_limited(response, USER_INFO_MAX_BYTES)
            .await
            .map_err(IdentityError::Request)?;
        // The auth backend answers `{"claims": {"sub": "user:…", "ent": [...]}}`.
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|error| IdentityError::Answer(error.to_string()))?;
        let claims = answer
            .get("claims")
            .and_then(Value::as_object)
            .ok_or_else(|| IdentityError::Answer("no `claims` object".into()))?;
        if let Some(answered) = claims.get("sub").and_then(Value::as_str)
            && normalize_ref(answered, DefaultKind::User) != normalize_ref(sub, DefaultKind::User)
        {
            return Err(IdentityError::Answer(
                "the answer names a different user than the token".into(),
            ));
        }
        groups_from_claim(claims, "ent")
            .ok_or_else(|| IdentityError::Answer("no `ent` list in `claims`".into()))
    }
}

/// Reads a response body, refusing one over `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(format!("answer larger than {limit} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| error.without_url().to_string())?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("answer larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DefaultKind::{Group, User};

    #[test]
    fn refs_get_backstage_normal_form() {
        let cases = [
            ("user:default/admin", User, "user:default/admin"),
            ("User:Default/Admin", User, "user:default/admin"),
            ("admin", User, "user:default/admin"),
            ("default/admin", User, "user:default/admin"),
            ("user:admin", User, "user:default/admin"),
            ("  admin ", User, "user:default/admin"),
            ("platform-team", Group, "group:default/platform-team"),
            ("group:ops/sre", Group, "group:ops/sre"),
            ("user:default/admin", Group, "user:default/admin"),
            ("auth0|12345", User, "user:default/auth0|12345"),
            // A slash before the colon: no kind, as in Backstage.
            ("team/a:b", Group, "group:team/a:b"),
        ];
        for (input, kind, expected) in cases {
            assert_eq!(normalize_ref(input, kind), expected, "{input}");
        }
    }

    #[test]
    fn only_ascii_is_case_folded() {
        // KELVIN SIGN lowercases to ASCII `k` under Unicode rules; it must stay distinct.
        assert_ne!(
            normalize_ref("\u{212A}im", User),
            normalize_ref("kim", User)
        );
        // Cyrillic `а` is not Latin `a`.
        assert_ne!(
            normalize_ref("\u{0430}dmin", User),
            normalize_ref("admin", User)
        );
        assert_eq!(normalize_ref("ÅSA", User), "user:default/Åsa");
    }

    #[test]
    fn groups_come_from_a_string_or_a_list() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"groups":["Ops","group:default/ops",7,"", "dev"],"role":"admin","n":3}"#,
        )
        .unwrap();
        assert_eq!(
            groups_from_claim(&claims, "groups").unwrap(),
            ["group:default/dev", "group:default/ops"]
        );
        assert_eq!(
            groups_from_claim(&claims, "role").unwrap(),
            ["group:default/admin"]
        );
        assert_eq!(
            groups_from_claim(&claims, "n").unwrap(),
            Vec::<String>::new()
        );
        assert!(groups_from_claim(&claims, "missing").is_none());
    }

    #[test]
    fn groups_are_bounded() {
        let names: Vec<String> = (0..MAX_GROUPS + 50).map(|i| format!("g{i}")).collect();
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        let groups = normalize_groups(
            std::iter::once(long.as_str()).chain(names.iter().map(String::as_str)),
        );
        assert_eq!(groups.len(), MAX_GROUPS);
        assert!(groups.iter().all(|group| group.len() < 100));
    }
}
