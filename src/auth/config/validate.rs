//! Checks on values that parse but make no sense, each naming the offending key.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{ASYMMETRIC_ALGORITHMS, AuthConfig, AuthConfigError, ProviderKind, redact_url};

impl AuthConfig {
    /// Checks values that parse but make no sense, naming the key.
    pub(super) fn validate(&self) -> Result<(), AuthConfigError> {
        fn invalid(key: impl Into<String>, reason: impl Into<String>) -> AuthConfigError {
            AuthConfigError::Invalid {
                key: key.into(),
                reason: reason.into(),
            }
        }
        if self.enabled && self.jwks_providers.is_empty() {
            return Err(invalid(
                "jwks_providers",
                "authentication is enabled but no provider is configured",
            ));
        }
        if self.leeway > 300 {
            return Err(invalid("leeway", "must be at most 300 seconds"));
        }
        if self.jwks_cache_ttl == 0 {
            return Err(invalid("jwks_cache_ttl", "must be at least 1 second"));
        }
        if self.audit.max_file_bytes < 4096 {
            return Err(invalid(
                "audit.max_file_bytes",
                "must be at least 4096 bytes",
            ));
        }
        if self.audit.max_files > 1000 {
            return Err(invalid("audit.max_files", "must be at most 1000"));
        }
        let mut names = BTreeSet::new();
        let mut issuers = BTreeSet::new();
        for (index, provider) in self.jwks_providers.iter().enumerate() {
            let key = |field: &str| format!("jwks_providers[{index}].{field}");
            let name_ok = !provider.name.is_empty()
                && provider.name.len() <= 64
                && provider.name.bytes().all(|byte| {
                    byte.is_ascii_lowercase()
                        || byte.is_ascii_digit()
                        || byte == b'-'
                        || byte == b'_'
                });
            if !name_ok {
                return Err(invalid(
                    key("name"),
                    format!(
                        "{:?} must be 1 to 64 characters of a-z, 0-9, - and _",
                        provider.name
                    ),
                ));
            }
            if !names.insert(provider.name.as_str()) {
                return Err(invalid(
                    key("name"),
                    format!("{:?} is used twice", provider.name),
                ));
            }
            check_url(&provider.url).map_err(|reason| invalid(key("url"), reason))?;
            if provider.issuer.trim().is_empty() {
                return Err(invalid(key("issuer"), "must not be empty"));
            }
            if !issuers.insert(provider.issuer.as_str()) {
                return Err(invalid(
                    key("issuer"),
                    format!("{:?} is used by two providers", provider.issuer),
                ));
            }
            if provider.cache_ttl == Some(0) {
                return Err(invalid(key("cache_ttl"), "must be at least 1 second"));
            }
            if provider.min_refresh_interval > 3600 {
                return Err(invalid(
                    key("min_refresh_interval"),
                    "must be at most 3600 seconds",
                ));
            }
            if let Some(audience) = &provider.audience
                && audience.to_vec().iter().any(|aud| aud.is_empty())
            {
                return Err(invalid(key("audience"), "must not contain an empty value"));
            }
            if let Some(algorithms) = &provider.algorithms {
                if algorithms.is_empty() {
                    return Err(invalid(
                        key("algorithms"),
                        "must list at least one algorithm (or be left out)",
                    ));
                }
                for algorithm in algorithms {
                    if !ASYMMETRIC_ALGORITHMS.contains(&algorithm.as_str()) {
                        return Err(invalid(
                            key("algorithms"),
                            format!(
                                "{algorithm:?} is not accepted; choose from {} (HMAC and none are never accepted)",
                                ASYMMETRIC_ALGORITHMS.join(", ")
                            ),
                        ));
                    }
                }
            }
            if provider.groups_claim.as_deref().is_some_and(str::is_empty) {
                return Err(invalid(key("groups_claim"), "must not be empty"));
            }
            if let Some(url) = &provider.user_info_url {
                if provider.kind != ProviderKind::Backstage {
                    return Err(invalid(
                        key("user_info_url"),
                        "only applies to kind: backstage",
                    ));
                }
                check_url(url).map_err(|reason| invalid(key("user_info_url"), reason))?;
            }
        }
        let lists = [
            (
                "authorization.allowed_users",
                &self.authorization.allowed_users,
            ),
            (
                "authorization.allowed_groups",
                &self.authorization.allowed_groups,
            ),
            ("authorization.deny_users", &self.authorization.deny_users),
            ("authorization.deny_groups", &self.authorization.deny_groups),
        ];
        for (key, list) in lists {
            if list.iter().any(|entry| entry.trim().is_empty()) {
                return Err(invalid(key, "must not contain an empty entry"));
            }
        }
        Ok(())
    }
}

/// Accepts `https://…`, or `http://` to a loopback host (a sidecar or a test).
fn check_url(url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|error| format!("{url:?} is not a URL: {error}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(format!(
            "{:?} must use https (plain http is accepted only for loopback addresses)",
            redact_url(url)
        )),
        _ => Err(format!("{:?} must be an https URL", redact_url(url))),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_accepted_only_for_loopback() {
        assert!(check_url("https://idp.example/jwks").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_url("http://[::1]:8080/jwks").is_ok());
        assert!(check_url("http://localhost/jwks").is_ok());
        assert!(check_url("http://idp.example/jwks").is_err());
        assert!(check_url("ftp://idp.example/jwks").is_err());
        assert!(check_url("/jwks").is_err());
    }
}
