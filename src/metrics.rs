//! Prometheus metrics (`docs/metrics.md`). Each server has its own registry, so tests can run
//! servers side by side. Without the `metrics` feature every method is a no-op.

use std::time::Duration;

/// How a session ended, as `web_terminal_sessions_total{outcome}` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionOutcome {
    /// The shell exited with status 0.
    Exited,
    /// The shell exited otherwise, or was killed.
    Failed,
}

impl SessionOutcome {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn label(self) -> &'static str {
        match self {
            Self::Exited => "exited",
            Self::Failed => "failed",
        }
    }
}

/// The result of an authentication, as `web_terminal_auth_total{result}` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthResult {
    /// A valid token of an allowed user.
    Success,
    /// No valid token.
    Failure,
    /// A valid token, refused by the policy or for another user's session.
    Denied,
}

impl AuthResult {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// The server's metrics. Cheap to clone: a handle over shared collectors.
#[derive(Debug, Clone)]
pub struct Metrics {
    #[cfg(feature = "metrics")]
    inner: std::sync::Arc<collectors::Collectors>,
}

#[cfg(feature = "metrics")]
mod collectors {
    use prometheus::{
        Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
        Opts, Registry,
    };

    /// Every collector, registered in `registry`.
    #[derive(Debug)]
    pub(super) struct Collectors {
        pub(super) registry: Registry,
        pub(super) sessions_active: IntGauge,
        pub(super) sessions_limit: IntGauge,
        pub(super) sessions_total: IntCounterVec,
        pub(super) session_duration: Histogram,
        pub(super) snapshot_duration: Histogram,
        pub(super) websocket_connections_active: IntGauge,
        pub(super) bytes_in: IntCounter,
        pub(super) bytes_out: IntCounter,
        pub(super) http_requests_total: IntCounterVec,
        pub(super) http_request_duration: HistogramVec,
        pub(super) auth_total: IntCounterVec,
        pub(super) jwks_refresh_total: IntCounterVec,
        pub(super) jwks_keys: IntGaugeVec,
    }

    impl Collectors {
        pub(super) fn new() -> prometheus::Result<Self> {
            let registry = Registry::new();
            let sessions_active = IntGauge::new(
                "web_terminal_sessions_active",
                "Live terminal sessions, attached or within their grace period.",
            )?;
            let sessions_limit = IntGauge::new(
                "web_terminal_sessions_limit",
                "The configured maximum number of live sessions (max_sessions).",
            )?;
            let sessions_total = IntCounterVec::new(
                Opts::new(
                    "web_terminal_sessions_total",
                    "Sessions by outcome: opened, refused_limit, start_failed, exited (code 0), failed (other code).",
                ),
                &["outcome"],
            )?;
            let session_duration = Histogram::with_opts(
                HistogramOpts::new(
                    "web_terminal_session_duration_seconds",
                    "Lifetime of finished sessions.",
                )
                .buckets(vec![
                    1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0,
                ]),
            )?;
            let snapshot_duration = Histogram::with_opts(
                HistogramOpts::new(
                    "web_terminal_snapshot_duration_seconds",
                    "Time to build a terminal snapshot for an attaching or resynchronised viewer.",
                )
                .buckets(vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                ]),
            )?;
            let websocket_connections_active = IntGauge::new(
                "web_terminal_websocket_connections_active",
                "Open terminal WebSocket connections.",
            )?;
            let bytes = IntCounterVec::new(
                Opts::new(
                    "web_terminal_bytes_total",
                    "Terminal bytes: in = keyboard input to shells, out = shell output.",
                ),
                &["direction"],
            )?;
            let http_requests_total = IntCounterVec::new(
                Opts::new(
                    "web_terminal_http_requests_total",
                    "HTTP requests by route and status code.",
                ),
                &["route", "status"],
            )?;
            let http_request_duration = HistogramVec::new(
                HistogramOpts::new(
                    "web_terminal_http_request_duration_seconds",
                    "HTTP request latency by route (for the WebSocket route: until the upgrade).",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                ]),
                &["route"],
            )?;
            let auth_total = IntCounterVec::new(
                Opts::new(
                    "web_terminal_auth_total",
                    "Authentication outcomes: result = success, failure (no valid token) or denied (by policy or session owner), with a reason label.",
                ),
                &["result", "reason"],
            )?;
            let jwks_refresh_total = IntCounterVec::new(
                Opts::new(
                    "web_terminal_jwks_refresh_total",
                    "JWKS fetches per provider by result (success or failure).",
                ),
                &["provider", "result"],
            )?;
            let jwks_keys = IntGaugeVec::new(
                Opts::new(
                    "web_terminal_jwks_keys",
                    "Usable signing keys cached per provider (0 when none load).",
                ),
                &["provider"],
            )?;
            registry.register(Box::new(auth_total.clone()))?;
            registry.register(Box::new(jwks_refresh_total.clone()))?;
            registry.register(Box::new(jwks_keys.clone()))?;
            registry.register(Box::new(sessions_active.clone()))?;
            registry.register(Box::new(sessions_limit.clone()))?;
            registry.register(Box::new(sessions_total.clone()))?;
            registry.register(Box::new(session_duration.clone()))?;
            registry.register(Box::new(snapshot_duration.clone()))?;
            registry.register(Box::new(websocket_connections_active.clone()))?;
            registry.register(Box::new(bytes.clone()))?;
            registry.register(Box::new(http_requests_total.clone()))?;
            registry.register(Box::new(http_request_duration.clone()))?;
            #[cfg(target_os = "linux")]
            registry.register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))?;
            Ok(Self {
                registry,
                sessions_active,
                sessions_limit,
                sessions_total,
                session_duration,
                snapshot_duration,
                websocket_connections_active,
                bytes_in: bytes.with_label_values(&["in"]),
                bytes_out: bytes.with_label_values(&["out"]),
                http_requests_total,
                http_request_duration,
                auth_total,
                jwks_refresh_total,
                jwks_keys,
            })
        }
    }
}

impl Metrics {
    /// Fresh collectors in a registry of their own.
    pub fn new(max_sessions: usize) -> Self {
        #[cfg(feature = "metrics")]
        {
            let collectors =
                collectors::Collectors::new().expect("metric names and labels are valid");
            collectors
                .sessions_limit
                .set(i64::try_from(max_sessions).unwrap_or(i64::MAX));
            Self {
                inner: std::sync::Arc::new(collectors),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = max_sessions;
            Self {}
        }
    }

    /// The exposition text, or `None` in a build without metrics.
    pub fn render(&self) -> Option<String> {
        #[cfg(feature = "metrics")]
        {
            use prometheus::Encoder;
            let mut buffer = Vec::new();
            prometheus::TextEncoder::new()
                .encode(&self.inner.registry.gather(), &mut buffer)
                .ok()?;
            String::from_utf8(buffer).ok()
        }
        #[cfg(not(feature = "metrics"))]
        None
    }

    /// A session started.
    pub fn session_opened(&self) {
        #[cfg(feature = "metrics")]
        {
            self.inner.sessions_active.inc();
            self.inner
                .sessions_total
                .with_label_values(&["opened"])
                .inc();
        }
    }

    /// A session could not start: its workspace or its shell failed.
    pub(crate) fn session_start_failed(&self) {
        #[cfg(feature = "metrics")]
        self.inner
            .sessions_total
            .with_label_values(&["start_failed"])
            .inc();
    }

    /// A session was refused because a limit is reached.
    pub fn session_refused(&self) {
        #[cfg(feature = "metrics")]
        self.inner
            .sessions_total
            .with_label_values(&["refused_limit"])
            .inc();
    }

    /// A session ended after `lifetime`, with `outcome`.
    pub(crate) fn session_closed(&self, outcome: SessionOutcome, lifetime: Duration) {
        #[cfg(feature = "metrics")]
        {
            self.inner.sessions_active.dec();
            self.inner
                .sessions_total
                .with_label_values(&[outcome.label()])
                .inc();
            self.inner.session_duration.observe(lifetime.as_secs_f64());
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (outcome, lifetime);
    }

    /// A snapshot of a session's terminal took `elapsed` to build.
    pub(crate) fn snapshot_built(&self, elapsed: Duration) {
        #[cfg(feature = "metrics")]
        self.inner.snapshot_duration.observe(elapsed.as_secs_f64());
        #[cfg(not(feature = "metrics"))]
        let _ = elapsed;
    }

    /// A terminal WebSocket opened (`+1`) or closed (`-1`).
    pub fn websocket_connections(&self, delta: i64) {
        #[cfg(feature = "metrics")]
        self.inner.websocket_connections_active.add(delta);
        #[cfg(not(feature = "metrics"))]
        let _ = delta;
    }

    /// Input bytes written to shells.
    pub fn bytes_in(&self, count: usize) {
        #[cfg(feature = "metrics")]
        self.inner.bytes_in.inc_by(count as u64);
        #[cfg(not(feature = "metrics"))]
        let _ = count;
    }

    /// Output bytes read from shells.
    pub fn bytes_out(&self, count: usize) {
        #[cfg(feature = "metrics")]
        self.inner.bytes_out.inc_by(count as u64);
        #[cfg(not(feature = "metrics"))]
        let _ = count;
    }

    /// An HTTP request on `route` finished with `status` after `elapsed`.
    pub fn http_request(&self, route: &str, status: u16, elapsed: Duration) {
        #[cfg(feature = "metrics")]
        {
            self.inner
                .http_requests_total
                .with_label_values(&[route, &status.to_string()])
                .inc();
            self.inner
                .http_request_duration
                .with_label_values(&[route])
                .observe(elapsed.as_secs_f64());
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (route, status, elapsed);
    }

    /// An authentication ended with `result` for `reason` (a refusal's stable label).
    pub(crate) fn auth_result(&self, result: AuthResult, reason: &'static str) {
        #[cfg(feature = "metrics")]
        self.inner
            .auth_total
            .with_label_values(&[result.label(), reason])
            .inc();
        #[cfg(not(feature = "metrics"))]
        let _ = (result, reason);
    }

    /// A JWKS fetch for `provider` succeeded or failed.
    pub fn jwks_refresh(&self, provider: &str, success: bool) {
        #[cfg(feature = "metrics")]
        self.inner
            .jwks_refresh_total
            .with_label_values(&[provider, if success { "success" } else { "failure" }])
            .inc();
        #[cfg(not(feature = "metrics"))]
        let _ = (provider, success);
    }

    /// `provider` now has `count` usable keys.
    pub fn jwks_keys(&self, provider: &str, count: usize) {
        #[cfg(feature = "metrics")]
        self.inner
            .jwks_keys
            .with_label_values(&[provider])
            .set(i64::try_from(count).unwrap_or(i64::MAX));
        #[cfg(not(feature = "metrics"))]
        let _ = (provider, count);
    }
}
