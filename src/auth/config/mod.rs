//! Authentication configuration: built-in defaults, then the YAML file named by
//! `WEB_TERMINAL_AUTH_CONFIG`, then `AUTH_*` environment variables, each overriding the one
//! before (`docs/authentication.md` lists every key).
//!
//! Like [`crate::config`], loading never reads the process environment itself: callers pass the
//! variables in, so tests can load configurations side by side.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::identity::{DefaultKind, normalize_ref};

mod env;
mod validate;

/// Names the YAML file.
pub const AUTH_CONFIG_ENV: &str = "WEB_TERMINAL_AUTH_CONFIG";
/// Default JWKS cache lifetime, in seconds.
pub const DEFAULT_CACHE_TTL: u64 = 3600;
/// Algorithms accepted when a provider lists none: every asymmetric JWS algorithm
/// `jsonwebtoken` verifies. HMAC and `none` are never accepted, whatever the configuration says.
pub const ASYMMETRIC_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// An authentication configuration that could not be loaded or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// The YAML file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The YAML file does not parse, or has an unknown key.
    #[error("{path}: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        source: serde_yaml_ng::Error,
    },
    /// An `AUTH_*` variable has a value that does not parse.
    #[error("invalid {name}: {reason}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Why its value is refused.
        reason: String,
    },
    /// A key has a value that parses but is not acceptable.
    #[error("invalid authentication setting `{key}`: {reason}")]
    Invalid {
        /// The offending key, as a path such as `jwks_providers[0].url`.
        key: String,
        /// Why the value is refused.
        reason: String,
    },
}

/// The YAML file: everything lives under `authentication:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    #[serde(default)]
    authentication: AuthConfig,
}

/// The effective authentication configuration (the `authentication:` section of the YAML file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Require a verified token for terminals and protected routes.
    pub enabled: bool,
    /// Trusted token issuers and where their signing keys are published.
    pub jwks_providers: Vec<ProviderConfig>,
    /// JWKS cache lifetime in seconds for providers that do not set `cache_ttl`.
    pub jwks_cache_ttl: u64,
    /// Clock skew allowed when checking `exp` and `nbf`, in seconds.
    pub leeway: u64,
    /// Who may have a terminal.
    pub authorization: AuthorizationConfig,
    /// The audit log.
    pub audit: AuditConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            jwks_providers: Vec::new(),
            jwks_cache_ttl: DEFAULT_CACHE_TTL,
            leeway: 30,
            authorization: AuthorizationConfig::default(),
            audit: AuditConfig::default(),
        }
    }
}

/// Where a provider's group memberships come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenID Connect issuer: groups from the `groups_claim` claim.
    #[default]
    Oidc,
    /// Backstage: groups from the `ent` claim, or from the user-info endpoint when the token
    /// leaves `ent` out.
    Backstage,
}

/// One string or a list of strings (`aud` may be either).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(value) => vec![value.clone()],
            Self::Many(values) => values.clone(),
        }
    }
}

/// A trusted token issuer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Short name for logs and metrics: `[a-z0-9_-]`, unique.
    pub name: String,
    /// The JWKS URL (https, or http to a loopback address).
    pub url: String,
    /// The exact `iss` of this provider's tokens; unique across providers.
    pub issuer: String,
    /// Seconds the fetched keys are fresh; `jwks_cache_ttl` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<u64>,
    /// After a failed refresh, seconds past `cache_ttl` the cached keys still verify tokens.
    #[serde(default = "default_stale_window")]
    pub stale_window: u64,
    /// Fewest seconds between two fetches of this JWKS, however many unknown `kid`s arrive;
    /// also the retry delay while the JWKS cannot be fetched.
    #[serde(default = "default_min_refresh_interval")]
    pub min_refresh_interval: u64,
    /// Accepted `aud` values; when set, tokens must carry one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<OneOrMany>,
    /// Accepted signing algorithms; every asymmetric one when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Vec<String>>,
    /// `oidc` (default) or `backstage`.
    #[serde(default)]
    pub kind: ProviderKind,
    /// Claim holding group names: `groups` for `oidc`, `ent` for `backstage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    /// Backstage only: the user-info endpoint, `<issuer>/v1/userinfo` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info_url: Option<String>,
}

fn default_stale_window() -> u64 {
    3600
}

fn default_min_refresh_interval() -> u64 {
    10
}

impl ProviderConfig {
    /// The accepted algorithms, as configured or by default.
    pub fn algorithm_names(&self) -> Vec<String> {
        match &self.algorithms {
            Some(names) => names.clone(),
            None => ASYMMETRIC_ALGORITHMS.map(str::to_owned).to_vec(),
        }
    }

    /// The claim groups are read from.
    pub fn groups_claim(&self) -> &str {
        match (&self.groups_claim, self.kind) {
            (Some(claim), _) => claim,
            (None, ProviderKind::Backstage) => "ent",
            (None, ProviderKind::Oidc) => "groups",
        }
    }

    /// The Backstage user-info URL (the auth backend's `/v1/userinfo`).
    pub fn user_info_url(&self) -> String {
        match &self.user_info_url {
            Some(url) => url.clone(),
            None => format!("{}/v1/userinfo", self.issuer.trim_end_matches('/')),
        }
    }
}

/// Allow and deny lists of entity refs (`user:default/admin`, `group:default/team`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorizationConfig {
    /// Users allowed a terminal.
    pub allowed_users: Vec<String>,
    /// Members of these groups are allowed a terminal.
    pub allowed_groups: Vec<String>,
    /// Users refused whatever else is listed.
    pub deny_users: Vec<String>,
    /// Members of these groups are refused whatever else is listed.
    pub deny_groups: Vec<String>,
}

impl AuthorizationConfig {
    /// Whether nobody can be allowed.
    pub fn allows_nobody(&self) -> bool {
        self.allowed_users.is_empty() && self.allowed_groups.is_empty()
    }
}

/// Which audit events are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditLevel {
    /// Every event.
    #[default]
    Info,
    /// Only `auth_failure` and `access_denied`.
    Warn,
}

/// The audit log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Record audit events; on by default when authentication is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// JSON-lines file, opened for append with mode 0600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<PathBuf>,
    /// Write events to standard output as JSON lines with `"log_type":"audit"`; by default on
    /// when there is no `log_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<bool>,
    /// The file is rotated once it holds this many bytes.
    pub max_file_bytes: u64,
    /// Rotated files kept besides the current one (`audit.log.1` is the newest).
    pub max_files: u32,
    /// `info` records every event, `warn` only failures and denials.
    pub log_level: AuditLevel,
    /// Add the verified token's claims to success events (never the token itself).
    pub include_claims: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            enabled: None,
            log_file: None,
            stdout: None,
            max_file_bytes: 100 * 1024 * 1024,
            max_files: 5,
            log_level: AuditLevel::default(),
            include_claims: false,
        }
    }
}

impl AuditConfig {
    /// Whether events go to standard output: `stdout`, by default when there is no file.
    pub fn writes_stdout(&self) -> bool {
        self.stdout.unwrap_or(self.log_file.is_none())
    }
}

impl AuthConfig {
    /// Loads defaults, then the YAML file named by `WEB_TERMINAL_AUTH_CONFIG` among `env`, then
    /// the `AUTH_*` variables among `env`, and validates the result.
    pub fn load(env: impl IntoIterator<Item = (String, String)>) -> Result<Self, AuthConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let get = |name: &str| {
            env.iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let mut config = match get(AUTH_CONFIG_ENV).filter(|path| !path.is_empty()) {
            Some(path) => Self::from_file(Path::new(path))?,
            None => Self::default(),
        };
        config.apply_env(get)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads the YAML file, without validating.
    fn from_file(path: &Path) -> Result<Self, AuthConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|source| AuthConfigError::Yaml {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses the YAML file's text, without validating.
    pub(crate) fn from_yaml(text: &str) -> Result<Self, serde_yaml_ng::Error> {
        let file: AuthFile = serde_yaml_ng::from_str(text)?;
        Ok(file.authentication)
    }

    /// Whether audit events are recorded: `audit.enabled`, by default whether auth is on.
    pub fn audit_enabled(&self) -> bool {
        self.audit.enabled.unwrap_or(self.enabled)
    }

    /// The JWKS cache lifetime of `provider`.
    pub fn cache_ttl(&self, provider: &ProviderConfig) -> Duration {
        Duration::from_secs(provider.cache_ttl.unwrap_or(self.jwks_cache_ttl))
    }

    /// Things that are allowed but probably not what was meant.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.enabled && self.authorization.allows_nobody() {
            warnings.push(
                "authentication is on but allowed_users and allowed_groups are both empty: \
                 every user will be refused"
                    .to_owned(),
            );
        }
        if !self.enabled && self.jwks_providers.iter().len() > 0 {
            warnings.push("jwks_providers are configured but authentication is off".to_owned());
        }
        warnings
    }

    /// The effective configuration as YAML for `check-config`: URLs without credentials, every
    /// default filled in, and the warnings as comments.
    pub fn to_redacted_yaml(&self) -> String {
        let mut shown = self.clone();
        for provider in &mut shown.jwks_providers {
            provider.url = redact_url(&provider.url);
            provider.user_info_url = Some(redact_url(&provider.user_info_url()))
                .filter(|_| provider.kind == ProviderKind::Backstage);
            provider.cache_ttl = Some(self.cache_ttl(provider).as_secs());
            provider.groups_claim = Some(provider.groups_claim().to_owned());
            provider.algorithms = Some(provider.algorithm_names());
        }
        shown.audit.enabled = Some(self.audit_enabled());
        shown.audit.stdout = Some(self.audit.writes_stdout());
        // Show the lists as they are compared: `platform` in a group list is
        // `group:default/platform`.
        let lists = &mut shown.authorization;
        for (list, kind) in [
            (&mut lists.allowed_users, DefaultKind::User),
            (&mut lists.allowed_groups, DefaultKind::Group),
            (&mut lists.deny_users, DefaultKind::User),
            (&mut lists.deny_groups, DefaultKind::Group),
        ] {
            for entry in list.iter_mut() {
                *entry = normalize_ref(entry, kind);
            }
        }
        let mut text = String::new();
        for warning in self.warnings() {
            text.push_str(&format!("# warning: {warning}\n"));
        }
        text.push_str(
            &serde_yaml_ng::to_string(&AuthFileOut {
                authentication: &shown,
            })
            .expect("the authentication configuration always serializes"),
        );
        text
    }
}

#[derive(Serialize)]
struct AuthFileOut<'a> {
    authentication: &'a AuthConfig,
}

/// The URL without user name, password, query or fragment, which may hold secrets.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let had_secrets = !parsed.username().is_empty()
                || parsed.password().is_some()
                || parsed.query().is_some();
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            if had_secrets {
                format!("{parsed} (credentials or query redacted)")
            } else {
                parsed.to_string()
            }
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    const PROVIDERS: &str =
        r#"[{"name":"idp","url":"https://idp.example/jwks","issuer":"https://idp.example"}]"#;

    fn with_file(yaml: &str, vars: &[(&str, &str)]) -> Result<AuthConfig, AuthConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.yaml");
        std::fs::write(&path, yaml).unwrap();
        let mut all = env(&[(AUTH_CONFIG_ENV, path.to_str().unwrap())]);
        all.extend(env(vars));
        AuthConfig::load(all)
    }

    #[test]
    fn off_by_default() {
        let config = AuthConfig::load(Vec::new()).unwrap();
        assert_eq!(config, AuthConfig::default());
        assert!(!config.enabled);
        assert!(!config.audit_enabled());
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let yaml = r#"
authentication:
  enabled: false
  jwks_providers:
    - name: backstage
      url: https://backstage.example.com/api/auth/.well-known/jwks.json
      issuer: https://backstage.example.com/api/auth
      cache_ttl: 600
      kind: backstage
  authorization:
    allowed_users: ["user:default/admin"]
    deny_groups: ["group:default/contractors"]
  audit:
    log_file: /tmp/from-file.log
"#;
        let config = with_file(yaml, &[]).unwrap();
        assert!(!config.enabled);
        assert_eq!(config.cache_ttl(&config.jwks_providers[0]).as_secs(), 600);
        assert_eq!(config.jwks_providers[0].groups_claim(), "ent");
        assert_eq!(
            config.jwks_providers[0].user_info_url(),
            "https://backstage.example.com/api/auth/v1/userinfo"
        );

        let config = with_file(
            yaml,
            &[
                ("AUTH_ENABLED", "true"),
                ("AUTH_JWKS_CACHE_TTL", "120"),
                ("AUTH_ALLOWED_GROUPS", r#"["group:default/platform-team"]"#),
                ("AUTH_AUDIT_LOG_FILE", "/tmp/from-env.log"),
                ("AUTH_SERVICE_HOST", "10.0.0.1"),
            ],
        )
        .unwrap();
        assert!(config.enabled);
        assert!(config.audit_enabled(), "audit defaults to on with auth on");
        assert_eq!(config.cache_ttl(&config.jwks_providers[0]).as_secs(), 120);
        assert_eq!(config.authorization.allowed_users, ["user:default/admin"]);
        assert_eq!(
            config.authorization.allowed_groups,
            ["group:default/platform-team"]
        );
        assert_eq!(
            config.audit.log_file.as_deref(),
            Some(Path::new("/tmp/from-env.log"))
        );

        let config = with_file(
            yaml,
            &[
                ("AUTH_ENABLED", "1"),
                ("AUTH_JWKS_PROVIDERS", PROVIDERS),
                ("AUTH_AUDIT_LOG", "false"),
            ],
        )
        .unwrap();
        assert_eq!(config.jwks_providers.len(), 1);
        assert_eq!(config.jwks_providers[0].name, "idp");
        assert_eq!(config.jwks_providers[0].kind, ProviderKind::Oidc);
        assert_eq!(config.jwks_providers[0].groups_claim(), "groups");
        assert_eq!(
            config.cache_ttl(&config.jwks_providers[0]).as_secs(),
            DEFAULT_CACHE_TTL
        );
        assert!(!config.audit_enabled());
    }

    #[test]
    fn refusals_name_the_key_and_the_reason() {
        let cases: [(&[(&str, &str)], &str); 10] = [
            (&[("AUTH_ENABLED", "maybe")], "AUTH_ENABLED"),
            (&[("AUTH_ENABLED", "true")], "no provider"),
            (
                &[("AUTH_JWKS_PROVIDERS", "not json")],
                "AUTH_JWKS_PROVIDERS",
            ),
            (
                &[("AUTH_ALLOWED_USERS", "user:default/admin")],
                "AUTH_ALLOWED_USERS",
            ),
            (&[("AUTH_JWKS_CACHE_TTL", "an hour")], "AUTH_JWKS_CACHE_TTL"),
            (
                &[(
                    "AUTH_JWKS_PROVIDERS",
                    r#"[{"name":"a","url":"http://idp.example/jwks","issuer":"x"}]"#,
                )],
                "jwks_providers[0].url",
            ),
            (
                &[(
                    "AUTH_JWKS_PROVIDERS",
                    r#"[{"name":"A B","url":"https://idp.example/jwks","issuer":"x"}]"#,
                )],
                "jwks_providers[0].name",
            ),
            (
                &[(
                    "AUTH_JWKS_PROVIDERS",
                    r#"[{"name":"a","url":"https://a/jwks","issuer":"x","algorithms":["HS256"]}]"#,
                )],
                "never accepted",
            ),
            (
                &[(
                    "AUTH_JWKS_PROVIDERS",
                    r#"[{"name":"a","url":"https://a/j","issuer":"x"},{"name":"b","url":"https://b/j","issuer":"x"}]"#,
                )],
                "jwks_providers[1].issuer",
            ),
            (
                &[(
                    "AUTH_JWKS_PROVIDERS",
                    r#"[{"name":"a","url":"https://a/j","issuer":"x","scope":"y"}]"#,
                )],
                "unknown field `scope`",
            ),
        ];
        for (vars, expected) in cases {
            let error = AuthConfig::load(env(vars)).unwrap_err().to_string();
            assert!(error.contains(expected), "{vars:?} gave {error:?}");
        }
        let error = with_file("authentication:\n  enable: true\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `enable`"), "{error}");
        let error = AuthConfig::load(env(&[(AUTH_CONFIG_ENV, "/nonexistent/auth.yaml")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/auth.yaml"), "{error}");
    }

    #[test]
    fn empty_allow_lists_warn() {
        let config = AuthConfig::load(env(&[
            ("AUTH_ENABLED", "true"),
            ("AUTH_JWKS_PROVIDERS", PROVIDERS),
        ]))
        .unwrap();
        let warnings = config.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("every user will be refused"));
        assert!(config.to_redacted_yaml().starts_with("# warning: "));
    }

    #[test]
    fn redacted_yaml_hides_url_credentials_and_shows_defaults() {
        let providers = r#"[{"name":"idp","url":"https://user:s3cret@idp.example/jwks?key=s3cret","issuer":"https://idp.example","kind":"backstage"}]"#;
        let config = AuthConfig::load(env(&[
            ("AUTH_ENABLED", "true"),
            ("AUTH_JWKS_PROVIDERS", providers),
            ("AUTH_ALLOWED_USERS", r#"["user:default/admin"]"#),
        ]))
        .unwrap();
        let shown = config.to_redacted_yaml();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://idp.example/jwks"), "{shown}");
        assert!(shown.contains("cache_ttl: 3600"), "{shown}");
        assert!(shown.contains("groups_claim: ent"), "{shown}");
        assert!(shown.contains("user:default/admin"), "{shown}");
        // What is printed loads again.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shown.yaml");
        std::fs::write(&path, shown.replace("s3cret", "")).unwrap();
        AuthConfig::from_file(&path).unwrap();
    }

    #[test]
    fn shipped_example_file_loads_and_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/auth.yaml");
        let config = AuthConfig::load(env(&[(AUTH_CONFIG_ENV, path.to_str().unwrap())])).unwrap();
        assert!(config.enabled);
        assert!(config.warnings().is_empty(), "{:?}", config.warnings());
        assert_eq!(config.jwks_providers[0].kind, ProviderKind::Backstage);
    }
}
