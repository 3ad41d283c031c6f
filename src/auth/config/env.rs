//! The `AUTH_*` environment variables, applied over the YAML file: each names one key, and a
//! value that does not parse is refused with the variable's name.

use std::path::PathBuf;

use super::{AuthConfig, AuthConfigError};

/// Environment variables read, in the order applied.
const ENV_ENABLED: &str = "AUTH_ENABLED";
const ENV_PROVIDERS: &str = "AUTH_JWKS_PROVIDERS";
const ENV_CACHE_TTL: &str = "AUTH_JWKS_CACHE_TTL";
const ENV_ALLOWED_USERS: &str = "AUTH_ALLOWED_USERS";
const ENV_ALLOWED_GROUPS: &str = "AUTH_ALLOWED_GROUPS";
const ENV_DENY_USERS: &str = "AUTH_DENY_USERS";
const ENV_DENY_GROUPS: &str = "AUTH_DENY_GROUPS";
const ENV_AUDIT: &str = "AUTH_AUDIT_LOG";
const ENV_AUDIT_FILE: &str = "AUTH_AUDIT_LOG_FILE";
const ENV_AUDIT_STDOUT: &str = "AUTH_AUDIT_LOG_STDOUT";
const ENV_AUDIT_MAX_FILE_BYTES: &str = "AUTH_AUDIT_LOG_MAX_FILE_BYTES";
const ENV_AUDIT_MAX_FILES: &str = "AUTH_AUDIT_LOG_MAX_FILES";

impl AuthConfig {
    /// Applies the `AUTH_*` variables. Other `AUTH_` variables are ignored rather than refused:
    /// Kubernetes injects `<SERVICE>_SERVICE_HOST` variables, so a Service named `auth` would
    /// otherwise stop the server.
    pub(super) fn apply_env<'a>(
        &mut self,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<(), AuthConfigError> {
        if let Some(value) = get(ENV_ENABLED) {
            self.enabled = parse_bool(ENV_ENABLED, value)?;
        }
        if let Some(value) = get(ENV_CACHE_TTL) {
            let ttl = value.trim().parse().map_err(|_| AuthConfigError::Env {
                name: ENV_CACHE_TTL,
                reason: format!("{value:?} is not a number of seconds"),
            })?;
            // The environment wins over the file, including the file's per-provider values.
            self.jwks_cache_ttl = ttl;
            for provider in &mut self.jwks_providers {
                provider.cache_ttl = None;
            }
        }
        if let Some(value) = get(ENV_PROVIDERS) {
            self.jwks_providers =
                serde_json::from_str(value).map_err(|error| AuthConfigError::Env {
                    name: ENV_PROVIDERS,
                    reason: format!("expected a JSON list of {{name, url, issuer, …}}: {error}"),
                })?;
        }
        let lists = [
            (ENV_ALLOWED_USERS, &mut self.authorization.allowed_users),
            (ENV_ALLOWED_GROUPS, &mut self.authorization.allowed_groups),
            (ENV_DENY_USERS, &mut self.authorization.deny_users),
            (ENV_DENY_GROUPS, &mut self.authorization.deny_groups),
        ];
        for (name, list) in lists {
            if let Some(value) = get(name) {
                *list = serde_json::from_str(value).map_err(|error| AuthConfigError::Env {
                    name,
                    reason: format!(
                        "expected a JSON list of strings such as [\"user:default/admin\"]: {error}"
                    ),
                })?;
            }
        }
        if let Some(value) = get(ENV_AUDIT) {
            self.audit.enabled = Some(parse_bool(ENV_AUDIT, value)?);
        }
        if let Some(value) = get(ENV_AUDIT_FILE) {
            self.audit.log_file = (!value.is_empty()).then(|| PathBuf::from(value));
        }
        if let Some(value) = get(ENV_AUDIT_STDOUT) {
            self.audit.stdout = Some(parse_bool(ENV_AUDIT_STDOUT, value)?);
        }
        if let Some(value) = get(ENV_AUDIT_MAX_FILE_BYTES) {
            self.audit.max_file_bytes = parse_number(ENV_AUDIT_MAX_FILE_BYTES, value)?;
        }
        if let Some(value) = get(ENV_AUDIT_MAX_FILES) {
            self.audit.max_files = parse_number(ENV_AUDIT_MAX_FILES, value)?;
        }
        Ok(())
    }
}

fn parse_number<T: std::str::FromStr>(
    name: &'static str,
    value: &str,
) -> Result<T, AuthConfigError> {
    value.trim().parse().map_err(|_| AuthConfigError::Env {
        name,
        reason: format!("{value:?} is not a whole number"),
    })
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, AuthConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(AuthConfigError::Env {
            name,
            reason: format!("{value:?} is not true or false"),
        }),
    }
}
