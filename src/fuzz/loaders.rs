//! The fuzz targets of the configuration loaders: `Config` from TOML text and `WEB_TERMINAL_*`
//! variables, `AuthConfig` from YAML text and `AUTH_*` variables.

use super::targets::tokens;
use super::{Target, text_signature};
use crate::auth::AuthConfig;
use crate::auth::config::AUTH_CONFIG_ENV;
use crate::config::{Config, ENV_PREFIX};

/// Splits `input` into text and `NAME=value` lines after an `%%env` line.
fn text_and_env(input: &[u8], prefix: &str) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(input);
    let (text, env) = text.split_once("\n%%env\n").unwrap_or((&text, ""));
    let env = env
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| {
            let name = if name.starts_with(prefix) {
                name.to_owned()
            } else {
                format!("{prefix}{name}")
            };
            (name, value.to_owned())
        })
        .collect();
    (text.to_owned(), env)
}

/// `Config` from TOML text and `WEB_TERMINAL_*` variables (a name without the prefix gets it);
/// a configuration that loads must print (`check-config`) as TOML that loads again.
pub(super) struct ServerConfig;

impl Target for ServerConfig {
    fn name(&self) -> &'static str {
        "config"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "host = \"127.0.0.1\"\nport = 8080\nshell = \"/bin/bash\"\nshell_args = [\"-l\"]\n",
            "max_sessions = 10\nmax_sessions_per_user = 2\nscrollback_bytes = 65536\n[shell_env]\nLANG = \"C.UTF-8\"\n",
            "allowed_origins = [\"https://backstage.example.com\"]\nframe_ancestors = [\"'self'\", \"https://a.example\"]\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]\n",
            "log_level = \"info,web_terminal=debug\"\nlog_format = \"json\"\nrecording_dir = \"/tmp/rec\"\nrecording_auditors = [\"group:default/sec\"]\n",
            "port = 0\n%%env\nWEB_TERMINAL_PORT=9000\nWEB_TERMINAL_SHELL_ARGS=-l,-i\nWEB_TERMINAL_ALLOW_UNAUTHENTICATED=true\nHOST=0.0.0.0\n",
            "%%env\nMAX_CONNECTIONS=10\nTRUSTED_PROXIES=127.0.0.1,::1\nDRAIN_TIMEOUT_SECS=30\nTLS_CERT=/c\n",
        ])
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        let mut dictionary = tokens(&[
            "host",
            "port",
            "shell",
            "shell_args",
            "shell_env",
            "workspaces_dir",
            "max_connections",
            "max_connections_per_client",
            "max_sessions",
            "max_sessions_per_user",
            "idle_timeout_secs",
            "grace_period_secs",
            "scrollback_bytes",
            "scrollback_lines",
            "recording_dir",
            "recording_input",
            "recording_retention_days",
            "recording_max_bytes",
            "recording_auditors",
            "max_message_bytes",
            "handshake_timeout_secs",
            "ping_interval_secs",
            "allowed_origins",
            "frame_ancestors",
            "log_level",
            "log_format",
            "shutdown_timeout_secs",
            "drain_timeout_secs",
            "worker_threads",
            "allow_unauthenticated",
            "metrics_public",
            "trusted_proxies",
            "tls_cert",
            "tls_key",
            " = ",
            "\n",
            "[",
            "]",
            "[[",
            "]]",
            "{",
            "}",
            "\"",
            "'''",
            "\"\"\"",
            ",",
            ".",
            "true",
            "false",
            "0.0.0.0",
            "::",
            "1979-05-27T07:32:00Z",
            "inf",
            "nan",
            "0x10",
            "1_000",
            "\n%%env\n",
            "WEB_TERMINAL_",
            "=",
            "__",
            "CONFIG",
            "AUTH_CONFIG",
            "UI_DIST",
        ]);
        dictionary.extend(
            [
                "PORT=",
                "HOST=",
                "SHELL_ENV=",
                "SHELL_ARGS=",
                "TRUSTED_PROXIES=",
                "LOG_LEVEL=",
            ]
            .iter()
            .map(|name| format!("\n{ENV_PREFIX}{name}").into_bytes()),
        );
        dictionary
    }

    fn max_len(&self) -> usize {
        4096
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        let (toml, env) = text_and_env(input, ENV_PREFIX);
        let auth_enabled = input.len().is_multiple_of(2);
        let file = config::File::from_str(&toml, config::FileFormat::Toml);
        match Config::load_from(Some(file), env, auth_enabled) {
            Ok(config) => {
                let printed = config.to_redacted_toml();
                let file = config::File::from_str(&printed, config::FileFormat::Toml);
                if let Err(error) = Config::load_from(Some(file), Vec::new(), auth_enabled) {
                    panic!("the printed configuration does not load: {error}\n{printed}")
                }
                let _ = (
                    config.listen_addr(),
                    config.runtime_threads(),
                    config.recordings(),
                );
                1
            }
            Err(error) => text_signature(&error.to_string()),
        }
    }
}

/// `AuthConfig` from YAML text and `AUTH_*` variables (a name without the prefix gets it): the
/// text is parsed (`from_yaml`), and when it parses, loaded from a file with the variables and
/// validated; a configuration that loads must print (`check-config`) as YAML that parses again.
pub(super) struct Auth {
    folder: tempfile::TempDir,
}

impl Auth {
    pub(super) fn new() -> Self {
        Self {
            folder: tempfile::tempdir().expect("a temporary folder"),
        }
    }
}

impl Target for Auth {
    fn name(&self) -> &'static str {
        "auth-config"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "authentication:\n  enabled: true\n  jwks_providers:\n    - name: backstage\n      url: https://backstage.example.com/api/auth/.well-known/jwks.json\n      issuer: https://backstage.example.com/api/auth\n      kind: backstage\n      audience: [web-terminal]\n  authorization:\n    allowed_groups: [group:default/platform]\n    deny_users: [mallory]\n",
            "authentication:\n  enabled: false\n  leeway: 5\n  audit:\n    enabled: true\n    log_file: /tmp/audit.log\n    max_files: 2\n    log_level: warn\n",
            "authentication:\n  jwks_cache_ttl: 60\n  jwks_providers:\n  - {name: a, url: 'http://127.0.0.1:1/jwks', issuer: a, algorithms: [ES256], stale_window: 0}\n",
            "authentication: {}\n%%env\nAUTH_ENABLED=true\nAUTH_ALLOWED_USERS=[\"user:default/alice\"]\nAUTH_JWKS_PROVIDERS=[{\"name\":\"k\",\"url\":\"https://k.example/jwks\",\"issuer\":\"https://k.example\"}]\n",
            "%%env\nAUTH_AUDIT_LOG=on\nAUTH_AUDIT_LOG_MAX_FILE_BYTES=4096\nAUTH_JWKS_CACHE_TTL=10\nAUTH_DENY_GROUPS=[\"ops\"]\n",
        ])
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "authentication:",
            "enabled: ",
            "jwks_providers:",
            "jwks_cache_ttl: ",
            "leeway: ",
            "authorization:",
            "audit:",
            "name: ",
            "url: ",
            "issuer: ",
            "cache_ttl: ",
            "stale_window: ",
            "min_refresh_interval: ",
            "audience: ",
            "algorithms: ",
            "kind: ",
            "groups_claim: ",
            "user_info_url: ",
            "allowed_users: ",
            "allowed_groups: ",
            "deny_users: ",
            "deny_groups: ",
            "log_file: ",
            "stdout: ",
            "max_file_bytes: ",
            "max_files: ",
            "log_level: ",
            "include_claims: ",
            "backstage",
            "oidc",
            "HS256",
            "none",
            "EdDSA",
            "\n  ",
            "\n    - ",
            "- ",
            "&a ",
            "*a",
            "!!binary ",
            "!!str ",
            "---",
            "...",
            "? ",
            "|",
            ">-",
            "~",
            "{",
            "}",
            "[",
            "]",
            "'",
            "\"",
            "<<: ",
            "\n%%env\n",
            "AUTH_ENABLED=",
            "AUTH_JWKS_PROVIDERS=",
            "AUTH_ALLOWED_USERS=",
            "AUTH_AUDIT_LOG_FILE=",
            "AUTH_AUDIT_LOG_MAX_FILES=",
            "https://",
            "http://localhost:",
            "user:default/",
        ])
    }

    fn max_len(&self) -> usize {
        4096
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        let (yaml, mut env) = text_and_env(input, "AUTH_");
        let parsed = match AuthConfig::from_yaml(&yaml) {
            Ok(parsed) => parsed,
            Err(error) => {
                let _ = AuthConfig::load(env);
                return text_signature(&error.to_string());
            }
        };
        let _ = (parsed.warnings(), parsed.to_redacted_yaml());
        let file = self.folder.path().join("auth.yaml");
        std::fs::write(&file, &yaml).expect("the YAML file can be written");
        env.insert(0, (AUTH_CONFIG_ENV.to_owned(), file.display().to_string()));
        match AuthConfig::load(env) {
            Ok(config) => {
                let printed = config.to_redacted_yaml();
                if let Err(error) = AuthConfig::from_yaml(&printed) {
                    panic!("the printed configuration does not parse: {error}\n{printed}");
                }
                1
            }
            Err(error) => text_signature(&error.to_string()) ^ 2,
        }
    }
}
