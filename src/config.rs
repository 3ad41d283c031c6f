//! Server configuration: built-in defaults, then a TOML file, then `WEB_TERMINAL_*` environment
//! variables, each overriding the one before (`docs/configuration.md` lists every key).
//!
//! Loading never reads the process environment itself: callers pass the variables in, so tests can
//! load configurations side by side.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::address_block::AddressBlock;

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "WEB_TERMINAL_";

/// Environment variables with the prefix that are not configuration keys.
const RESERVED_ENV: [&str; 4] = [
    "WEB_TERMINAL_CONFIG",
    "WEB_TERMINAL_AUTH_CONFIG",
    "WEB_TERMINAL_UI_DIST",
    // The control socket, named to the shells (`web-terminal download` runs there).
    "WEB_TERMINAL_CONTROL",
];

/// Keys whose environment value is a comma-separated list.
const LIST_KEYS: [&str; 6] = [
    "shell_args",
    "recording_auditors",
    "allowed_origins",
    "frame_ancestors",
    "trusted_proxies",
    "peers",
];

/// A configuration that could not be loaded or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or the environment could not be read or parsed, or a key is unknown.
    #[error("{0}")]
    Load(#[from] config::ConfigError),
    /// A key has a value that parses but is not acceptable.
    #[error("invalid value for `{key}`: {reason}")]
    Invalid {
        /// The offending key.
        key: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// The combination of keys is unsafe.
    #[error(
        "refusing to listen on {host} without authentication: anyone who can reach this address \
         would get a shell. Turn authentication on (see docs/authentication.md), listen on a \
         loopback address (host = \"127.0.0.1\"), or set allow_unauthenticated = true \
         (WEB_TERMINAL_ALLOW_UNAUTHENTICATED=true) if this is really what you want"
    )]
    UnauthenticatedOnNetwork {
        /// The non-loopback host.
        host: IpAddr,
    },
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when the output is a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The effective server configuration. Every field is a configuration key of the same name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Loopback unless configured otherwise.
    pub host: IpAddr,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Program run in each session; `$SHELL` or `/bin/sh` when unset.
    pub shell: Option<String>,
    /// Arguments passed to the shell.
    pub shell_args: Vec<String>,
    /// Extra environment variables for the shell.
    pub shell_env: BTreeMap<String, String>,
    /// Folder holding the workspaces the shells start in.
    pub workspaces_dir: PathBuf,
    /// Most open TCP connections. At the cap the oldest connection that has not sent a request
    /// gives way; when every one is busy, more wait in the kernel's backlog until one closes.
    pub max_connections: usize,
    /// Most open connections from one client address (behind trusted proxies, terminal
    /// connections are counted by the forwarded address).
    pub max_connections_per_client: usize,
    /// Most live sessions on this server.
    pub max_sessions: usize,
    /// Most live sessions per user (with authentication off, all share one user).
    pub max_sessions_per_user: usize,
    /// A session with no input and no output for this long is ended; 0 means never.
    pub idle_timeout_secs: u64,
    /// How long a session with no connection stays alive for a reattach.
    pub grace_period_secs: u64,
    /// Output buffered per session for its viewers, in bytes: how far one viewer may fall behind
    /// the others before it is resynchronised.
    pub scrollback_bytes: usize,
    /// Rows of history the server's terminal model keeps per session, and a reattaching viewer
    /// gets back.
    pub scrollback_lines: usize,
    /// Where session recordings go (asciicast v3, one `<session id>.cast` each, mode 0600); unset
    /// or empty (the default) records nothing.
    pub recording_dir: Option<PathBuf>,
    /// Record typed input too (`"i"` events). Off by default: what people type includes
    /// passwords.
    pub recording_input: bool,
    /// Recordings older than this many days are deleted; 0 keeps them.
    pub recording_retention_days: u64,
    /// Largest recording per session, in bytes: past it the recording is marked truncated and
    /// stops (the session goes on).
    pub recording_max_bytes: u64,
    /// Groups (entity refs) whose members may fetch any recording, besides its session's owner.
    pub recording_auditors: Vec<String>,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Time a client has to send an HTTP request head, and a new terminal WebSocket to send
    /// `open` or `attach`.
    pub handshake_timeout_secs: u64,
    /// Interval between WebSocket pings; a peer silent for three intervals is dropped.
    pub ping_interval_secs: u64,
    /// Origins allowed besides the server's own (for example an embedding Backstage).
    pub allowed_origins: Vec<String>,
    /// CSP `frame-ancestors` sources: who may embed the UI in a frame.
    pub frame_ancestors: Vec<String>,
    /// Log filter, a level or a `tracing` filter directive such as `info,web_terminal=debug`.
    pub log_level: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Time allowed for a graceful shutdown before remaining sessions are killed.
    pub shutdown_timeout_secs: u64,
    /// On SIGTERM, first drain for up to this long: `/ready` turns 503 and no new session
    /// starts, while the existing ones go on until they end or the time is up; then the
    /// shutdown proper. 0 (the default) shuts down at once.
    pub drain_timeout_secs: u64,
    /// Async runtime threads; 0 means half the CPUs, at least one (see `docs/performance.md`).
    pub worker_threads: usize,
    /// Allow listening on a non-loopback address with authentication off.
    pub allow_unauthenticated: bool,
    /// Serve `/api/v1/metrics` without a token when authentication is on.
    pub metrics_public: bool,
    /// Largest file a browser may upload into a session, or download from one, in bytes.
    pub transfer_max_bytes: u64,
    /// Proxies whose `X-Forwarded-For` header is believed: addresses or CIDR blocks.
    pub trusted_proxies: Vec<AddressBlock>,
    /// This instance's name among its replicas, a DNS label: the ids of the sessions it starts
    /// carry it, so that any replica can find their owner. Unset: a single instance.
    pub node_name: Option<String>,
    /// How to reach a replica: a base URL with `{node}` where its name goes, for example
    /// `http://{node}.web-terminal-peers.web-terminal.svc:8080`.
    pub peer_url_template: Option<String>,
    /// The replicas' names, when they are fixed (tests, a static set of hosts).
    pub peers: Vec<String>,
    /// The headless Service whose addresses are the current replicas: a session's owner is
    /// reached only if its name resolves to one of them.
    pub peer_service: Option<String>,
    /// PEM certificate chain; with `tls_key`, serve HTTPS (needs the `tls` feature).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Authentication, from `WEB_TERMINAL_AUTH_CONFIG` and `AUTH_*` (see
    /// [`AuthConfig::load`](crate::auth::AuthConfig::load)); not a TOML key.
    #[serde(skip)]
    pub auth: crate::auth::AuthConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            shell: None,
            shell_args: Vec::new(),
            shell_env: BTreeMap::new(),
            workspaces_dir: PathBuf::from("data/workspaces"),
            max_connections: 1024,
            max_connections_per_client: 128,
            max_sessions: 64,
            max_sessions_per_user: 8,
            idle_timeout_secs: 0,
            grace_period_secs: 60,
            scrollback_bytes: 256 * 1024,
            scrollback_lines: 5000,
            recording_dir: None,
            recording_input: false,
            recording_retention_days: 30,
            recording_max_bytes: 100 * 1024 * 1024,
            recording_auditors: Vec::new(),
            max_message_bytes: 1024 * 1024,
            handshake_timeout_secs: 10,
            ping_interval_secs: 20,
            allowed_origins: Vec::new(),
            frame_ancestors: vec!["'self'".to_owned()],
            log_level: "info".to_owned(),
            log_format: LogFormat::Pretty,
            shutdown_timeout_secs: 20,
            drain_timeout_secs: 0,
            worker_threads: 0,
            allow_unauthenticated: false,
            metrics_public: true,
            transfer_max_bytes: 100 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            node_name: None,
            peer_url_template: None,
            peers: Vec::new(),
            peer_service: None,
            tls_cert: None,
            tls_key: None,
            auth: crate::auth::AuthConfig::default(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` if given, then the `WEB_TERMINAL_*` variables among `env`, and
    /// validates the result. `auth_enabled` says whether authentication is on, which decides
    /// whether a non-loopback host is acceptable.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        auth_enabled: bool,
    ) -> Result<Self, ConfigError> {
        let file = file.map(|file| config::File::from(file).format(config::FileFormat::Toml));
        Self::load_from(file, env, auth_enabled)
    }

    /// [`load`](Self::load) with the file as any source of the `config` crate, so that TOML text
    /// loads the same way (`config::File::from_str`; the fuzzer's configuration target).
    pub(crate) fn load_from<S>(
        file: Option<S>,
        env: impl IntoIterator<Item = (String, String)>,
        auth_enabled: bool,
    ) -> Result<Self, ConfigError>
    where
        S: config::Source + Send + Sync + 'static,
    {
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter(|(name, _)| {
                name.starts_with(ENV_PREFIX) && !RESERVED_ENV.contains(&name.as_str())
            })
            .collect();
        let mut environment = config::Environment::with_prefix("WEB_TERMINAL")
            .prefix_separator("_")
            .try_parsing(true)
            .list_separator(",")
            .source(Some(overrides));
        for key in LIST_KEYS {
            environment = environment.with_list_parse_key(key);
        }
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(file);
        }
        let config: Self = builder.add_source(environment).build()?.try_deserialize()?;
        config.validate(auth_enabled)?;
        Ok(config)
    }

    /// Checks values that parse but make no sense, naming the key.
    fn validate(&self, auth_enabled: bool) -> Result<(), ConfigError> {
        fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
            ConfigError::Invalid {
                key,
                reason: reason.into(),
            }
        }
        if self
            .shell
            .as_deref()
            .is_some_and(|shell| shell.trim().is_empty())
        {
            return Err(invalid(
                "shell",
                "must not be empty; leave it unset for $SHELL",
            ));
        }
        if self.workspaces_dir.as_os_str().is_empty() {
            return Err(invalid("workspaces_dir", "must not be empty"));
        }
        for (key, value, range) in self.numeric_ranges() {
            if !range.contains(&value) {
                return Err(invalid(key, describe_range(&range)));
            }
        }
        if self.max_sessions_per_user == 0 || self.max_sessions_per_user > self.max_sessions {
            return Err(invalid(
                "max_sessions_per_user",
                format!("must be between 1 and max_sessions ({})", self.max_sessions),
            ));
        }
        if !(4096..=64 * 1024 * 1024).contains(&self.scrollback_bytes) {
            return Err(invalid(
                "scrollback_bytes",
                "must be between 4096 and 67108864",
            ));
        }
        if self.scrollback_lines > 100_000 {
            return Err(invalid("scrollback_lines", "must be at most 100000"));
        }
        if self.recording_retention_days > 3650 {
            return Err(invalid(
                "recording_retention_days",
                "must be at most 3650 (0 keeps recordings)",
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.max_message_bytes) {
            return Err(invalid(
                "max_message_bytes",
                "must be between 1024 and 67108864",
            ));
        }
        if self.drain_timeout_secs > 7 * 24 * 3600 {
            return Err(invalid(
                "drain_timeout_secs",
                "must be at most 604800 (a week)",
            ));
        }
        if self.worker_threads > 256 {
            return Err(invalid(
                "worker_threads",
                "must be at most 256 (0 picks automatically)",
            ));
        }
        self.validate_peers()
            .map_err(|(key, reason)| invalid(key, reason))?;
        for origin in &self.allowed_origins {
            check_origin(origin).map_err(|reason| invalid("allowed_origins", reason))?;
        }
        for source in &self.frame_ancestors {
            if source.is_empty() || source.contains([';', ',', ' ', '\n']) {
                return Err(invalid(
                    "frame_ancestors",
                    format!("{source:?} is not a single CSP source expression"),
                ));
            }
        }
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log_level) {
            return Err(invalid("log_level", error.to_string()));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return Err(invalid("tls_key", "required when tls_cert is set")),
            (None, Some(_)) => return Err(invalid("tls_cert", "required when tls_key is set")),
            (Some(_), Some(_)) if !cfg!(feature = "tls") => {
                return Err(invalid(
                    "tls_cert",
                    "this build has no TLS support (build with --features tls)",
                ));
            }
            _ => {}
        }
        if !self.host.is_loopback() && !auth_enabled && !self.allow_unauthenticated {
            return Err(ConfigError::UnauthenticatedOnNetwork { host: self.host });
        }
        Ok(())
    }

    /// The socket address to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The effective configuration as TOML, with secret values redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        for value in shown.shell_env.values_mut() {
            *value = "<redacted>".to_owned();
        }
        toml::to_string(&shown).expect("the configuration always serializes")
    }

    /// Grace period as a duration.
    pub fn grace_period(&self) -> Duration {
        Duration::from_secs(self.grace_period_secs)
    }

    /// Idle timeout as a duration; `None` when sessions never idle out.
    pub fn idle_timeout(&self) -> Option<Duration> {
        (self.idle_timeout_secs > 0).then(|| Duration::from_secs(self.idle_timeout_secs))
    }

    /// Handshake timeout as a duration.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs)
    }

    /// How long a connection may stay silent before it is closed: four ping intervals (80 s by
    /// default), so a live WebSocket, which answers every ping, never hits it.
    pub fn connection_idle_timeout(&self) -> Duration {
        self.ping_interval() * 4
    }

    /// Ping interval as a duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    /// The recordings folder, when recording is on (`recording_dir` set and not empty).
    pub fn recordings(&self) -> Option<&Path> {
        self.recording_dir
            .as_deref()
            .filter(|dir| !dir.as_os_str().is_empty())
    }

    /// Runtime threads to start: `worker_threads`, or half the CPUs (at least one) when 0. The
    /// per-byte work is small, and on few cores one thread avoids cross-thread wake-ups between
    /// a session's PTY pump and its WebSocket (measured in `docs/performance.md`).
    pub fn runtime_threads(&self) -> usize {
        if self.worker_threads > 0 {
            return self.worker_threads;
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cpus / 2).max(1)
    }

    /// Shutdown timeout as a duration.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    /// Drain timeout as a duration (zero: no drain).
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_secs(self.drain_timeout_secs)
    }
}

/// A day, a year and a tebibyte, for the bounds below.
const DAY_SECS: u64 = 24 * 3600;
const YEAR_SECS: u64 = 365 * DAY_SECS;
const TIB: u64 = 1 << 40;

impl Config {
    /// The counts, sizes and durations with plain bounds: each key, its value and the values it
    /// may take. Upper bounds stop a typo (or `1e30` from the environment) from meaning "never"
    /// or "unlimited", and keep every value printable as TOML (`check-config`).
    fn numeric_ranges(&self) -> [(&'static str, u64, RangeInclusive<u64>); 10] {
        [
            (
                "max_connections",
                self.max_connections as u64,
                1..=1_000_000,
            ),
            (
                "max_connections_per_client",
                self.max_connections_per_client as u64,
                1..=1_000_000,
            ),
            ("max_sessions", self.max_sessions as u64, 1..=100_000),
            ("idle_timeout_secs", self.idle_timeout_secs, 0..=YEAR_SECS),
            ("grace_period_secs", self.grace_period_secs, 0..=YEAR_SECS),
            (
                "handshake_timeout_secs",
                self.handshake_timeout_secs,
                1..=3600,
            ),
            ("ping_interval_secs", self.ping_interval_secs, 1..=3600),
            (
                "shutdown_timeout_secs",
                self.shutdown_timeout_secs,
                1..=DAY_SECS,
            ),
            ("recording_max_bytes", self.recording_max_bytes, 4096..=TIB),
            ("transfer_max_bytes", self.transfer_max_bytes, 0..=TIB),
        ]
    }

    /// Checks the replica settings: names are DNS labels, the template makes an `http(s)` URL
    /// of any of them, and replicas are configured only with a name and a template.
    fn validate_peers(&self) -> Result<(), (&'static str, String)> {
        if let Some(node) = &self.node_name
            && !is_dns_label(node)
        {
            return Err((
                "node_name",
                "must be a DNS label: 1 to 63 of a-z, 0-9 and -, not starting or ending with -"
                    .into(),
            ));
        }
        if let Some(peer) = self.peers.iter().find(|peer| !is_dns_label(peer)) {
            return Err(("peers", format!("{peer:?} is not a DNS label")));
        }
        if let Some(template) = &self.peer_url_template {
            let url = template.replace("{node}", "0");
            let parsed = reqwest::Url::parse(&url).map_err(|error| {
                (
                    "peer_url_template",
                    format!("{template:?} is not a URL: {error}"),
                )
            })?;
            if !template.contains("{node}")
                || !matches!(parsed.scheme(), "http" | "https")
                || parsed.query().is_some()
                || parsed.path() != "/"
            {
                return Err((
                    "peer_url_template",
                    format!("{template:?} must be an http(s) base URL with {{node}} in it"),
                ));
            }
        }
        let replicated = !self.peers.is_empty() || self.peer_service.is_some();
        if replicated && (self.node_name.is_none() || self.peer_url_template.is_none()) {
            return Err((
                "node_name",
                "peers and peer_service need node_name and peer_url_template".into(),
            ));
        }
        Ok(())
    }
}

/// "must be at most 3600" or "must be between 1 and 3600".
fn describe_range(range: &RangeInclusive<u64>) -> String {
    match (*range.start(), *range.end()) {
        (0, most) => format!("must be at most {most}"),
        (least, most) => format!("must be between {least} and {most}"),
    }
}

/// Whether `name` is a DNS label (RFC 1123): what a replica's name must be, so that it can go
/// into a host name and can never carry a path, a port or another host.
pub(crate) fn is_dns_label(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Accepts `scheme://host[:port]` with nothing after it, as browsers send in `Origin`.
fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err(format!(
            "{origin:?} must be an exact origin like https://backstage.example.com (no path, no wildcard)"
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Environment variables as `load` takes them.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn load_toml(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path), env(vars), false)
    }

    #[test]
    fn replica_settings_are_checked_by_name() {
        let replicas = [
            ("WEB_TERMINAL_NODE_NAME", "web-terminal-0"),
            (
                "WEB_TERMINAL_PEER_URL_TEMPLATE",
                "http://{node}.web-terminal-peers.web-terminal.svc:8080",
            ),
            ("WEB_TERMINAL_PEERS", "web-terminal-0,web-terminal-1"),
        ];
        let config = Config::load(None, env(&replicas), false).unwrap();
        assert_eq!(config.peers, ["web-terminal-0", "web-terminal-1"]);
        let refused = |extra: &[(&str, &str)]| {
            let mut vars = replicas.to_vec();
            vars.extend_from_slice(extra);
            Config::load(None, env(&vars), false)
                .unwrap_err()
                .to_string()
        };
        for (bad, key) in [
            (("WEB_TERMINAL_NODE_NAME", "Web_Terminal"), "node_name"),
            (("WEB_TERMINAL_NODE_NAME", "a.b"), "node_name"),
            (("WEB_TERMINAL_PEERS", "ok,evil.example.com"), "peers"),
            (
                ("WEB_TERMINAL_PEER_URL_TEMPLATE", "http://fixed:8080"),
                "peer_url_template",
            ),
            (
                ("WEB_TERMINAL_PEER_URL_TEMPLATE", "ftp://{node}:21"),
                "peer_url_template",
            ),
            (
                ("WEB_TERMINAL_PEER_URL_TEMPLATE", "http://{node}/x"),
                "peer_url_template",
            ),
        ] {
            let error = refused(&[bad]);
            assert!(error.contains(key), "{bad:?}: {error}");
        }
        // Peers without a name or a template for this replica.
        let error = Config::load(None, env(&[("WEB_TERMINAL_PEERS", "a,b")]), false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("need node_name and peer_url_template"),
            "{error}"
        );
    }

    #[test]
    fn defaults_listen_on_loopback_8080() {
        let config = Config::load(None, Vec::new(), false).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen_addr().to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let config = load_toml(
            "port = 9000\nlog_level = \"debug\"\ngrace_period_secs = 5\n",
            &[
                ("WEB_TERMINAL_PORT", "9100"),
                ("WEB_TERMINAL_LOG_FORMAT", "json"),
                (
                    "WEB_TERMINAL_ALLOWED_ORIGINS",
                    "https://a.example,https://b.example:8443",
                ),
                ("WEB_TERMINAL_CONFIG", "ignored because it names the file"),
                ("OTHER_VARIABLE", "ignored"),
            ],
        )
        .unwrap();
        assert_eq!(config.port, 9100);
        assert_eq!(config.log_level, "debug");
        assert_eq!(config.grace_period_secs, 5);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.allowed_origins,
            ["https://a.example", "https://b.example:8443"]
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = load_toml("prot = 1\n", &[]).unwrap_err().to_string();
        assert!(error.contains("unknown field `prot`"), "{error}");
        let error = Config::load(None, env(&[("WEB_TERMINAL_PROT", "1")]), false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `prot`"), "{error}");
    }

    #[test]
    fn invalid_values_name_the_key_and_the_reason() {
        let cases: [(&str, &str); 10] = [
            ("port = \"eighty\"\n", "port"),
            ("port = 70000\n", "port"),
            ("max_sessions = 0\n", "max_sessions"),
            (
                "max_sessions = 4\nmax_sessions_per_user = 5\n",
                "max_sessions_per_user",
            ),
            ("scrollback_bytes = 10\n", "scrollback_bytes"),
            ("scrollback_lines = 100001\n", "scrollback_lines"),
            (
                "allowed_origins = [\"https://x.example/path\"]\n",
                "allowed_origins",
            ),
            ("log_format = \"xml\"\n", "xml"),
            ("log_level = \"info,[\"\n", "log_level"),
            ("tls_cert = \"/c.pem\"\n", "tls_key"),
        ];
        for (text, key) in cases {
            let error = load_toml(text, &[]).unwrap_err().to_string();
            assert!(error.contains(key), "{text:?} gave {error:?}");
        }
    }

    #[test]
    fn trusted_proxies_take_addresses_and_blocks() {
        let vars = [("WEB_TERMINAL_TRUSTED_PROXIES", "10.0.0.0/8,192.168.1.7")];
        let config = Config::load(None, env(&vars), false).unwrap();
        let shown: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.7"]);
        assert!(load_toml(&config.to_redacted_toml(), &[]).is_ok());
        let error = load_toml("trusted_proxies = [\"10.0.0.1/8\"]\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("trusted_proxies"), "{error}");
        assert!(error.contains("bits set past its prefix"), "{error}");
    }

    #[test]
    fn counts_sizes_and_durations_have_upper_bounds() {
        let refused = [
            (
                "max_connections = 1000001\n",
                "`max_connections`: must be between 1 and 1000000",
            ),
            (
                "max_sessions = 100001\n",
                "`max_sessions`: must be between 1 and 100000",
            ),
            (
                "grace_period_secs = 31536001\n",
                "`grace_period_secs`: must be at most 31536000",
            ),
            (
                "ping_interval_secs = 0\n",
                "`ping_interval_secs`: must be between 1 and 3600",
            ),
            (
                "recording_max_bytes = 4095\n",
                "`recording_max_bytes`: must be between 4096",
            ),
            (
                "transfer_max_bytes = 1099511627777\n",
                "`transfer_max_bytes`: must be at most",
            ),
        ];
        for (text, reason) in refused {
            let error = load_toml(text, &[]).unwrap_err().to_string();
            assert!(error.contains(reason), "{text:?} gave {error:?}");
        }
        // Past i64::MAX from the environment: refused by name, never printed as TOML that does
        // not load back.
        let huge = [("WEB_TERMINAL_MAX_SESSIONS", "18446744073709551615")];
        let error = Config::load(None, env(&huge), false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_sessions"), "{error}");
        let edges = "max_connections = 1000000\nmax_sessions = 100000\ntransfer_max_bytes = 0\n";
        let config = load_toml(edges, &[]).unwrap();
        assert!(load_toml(&config.to_redacted_toml(), &[]).is_ok());
    }

    #[test]
    fn refuses_unauthenticated_non_loopback_unless_allowed() {
        let vars = [("WEB_TERMINAL_HOST", "0.0.0.0")];
        let error = Config::load(None, env(&vars), false).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::UnauthenticatedOnNetwork { .. }
        ));
        assert!(error.to_string().contains("allow_unauthenticated = true"));
        assert!(Config::load(None, env(&vars), true).is_ok());
        let allowed = [
            ("WEB_TERMINAL_HOST", "0.0.0.0"),
            ("WEB_TERMINAL_ALLOW_UNAUTHENTICATED", "true"),
        ];
        assert!(Config::load(None, env(&allowed), false).is_ok());
    }

    #[test]
    fn redacts_shell_environment_values() {
        let config = load_toml("[shell_env]\nAPI_TOKEN = \"s3cret\"\n", &[]).unwrap();
        assert_eq!(config.shell_env["API_TOKEN"], "s3cret");
        let shown = config.to_redacted_toml();
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("API_TOKEN = \"<redacted>\""));
    }

    #[test]
    fn shipped_example_files_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let base = Config::load(Some(&root.join("config.toml")), Vec::new(), false).unwrap();
        assert_eq!(
            base,
            Config::default(),
            "config.toml must list the defaults"
        );
        for name in ["dev.toml", "staging.toml", "production.toml"] {
            Config::load(Some(&root.join(name)), Vec::new(), true)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
        }
    }
}
