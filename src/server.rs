//! The server: shared application state, the listener, and graceful shutdown.
//!
//! Shutdown, in order (SIGTERM, SIGINT, or [`ShutdownHandle::shut_down`]):
//! 1. `/ready` turns 503 and the registry refuses new sessions;
//! 2. every WebSocket is told 1001 "server shutting down" and closed;
//! 3. the listener stops accepting, and open HTTP requests get up to two seconds (half the
//!    shutdown timeout, if shorter) to finish;
//! 4. every session's process group gets SIGHUP, and SIGKILL one second before the shutdown
//!    timeout; the server returns once all sessions are gone or the timeout is reached.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{AuditLog, AuthError, Authenticator};
use crate::config::Config;
use crate::listener::LimitedListener;
use crate::metrics::Metrics;
use crate::pty::ShellCommand;
use crate::routes;
use crate::serve::serve;
use crate::session::SessionRegistry;
use crate::session::registry::SessionLimits;

/// Everything request handlers share. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<AppInner>,
}

#[derive(Debug)]
struct AppInner {
    config: Config,
    registry: SessionRegistry,
    metrics: Metrics,
    /// Flips to `true` once, when shutdown starts; connections watch it.
    shutting_down: watch::Sender<bool>,
    /// Open WebSocket connections, so shutdown can wait for their close frames to go out.
    connections: AtomicUsize,
    /// Token verification and policy; `None` while authentication is off.
    auth: Option<Authenticator>,
    /// The audit log, when enabled.
    audit: Option<AuditLog>,
}

impl AppState {
    /// State for a server with `config`. Fails when the audit log cannot be opened.
    pub fn new(config: Config) -> Result<Self, AuthError> {
        let metrics = Metrics::new(config.max_sessions);
        let registry = SessionRegistry::new(
            SessionLimits {
                max_sessions: config.max_sessions,
                max_sessions_per_user: config.max_sessions_per_user,
                grace_period: config.grace_period(),
                idle_timeout: config.idle_timeout(),
                scrollback_bytes: config.scrollback_bytes,
            },
            shell_command(&config),
            metrics.clone(),
        );
        let audit = if config.auth.audit_enabled() {
            Some(AuditLog::open(&config.auth.audit)?)
        } else {
            None
        };
        if let Some(audit) = audit.clone() {
            registry.on_close(Box::new(move |id, owner, code, lifetime| {
                audit.session_closed(id, owner, code, lifetime);
            }));
        }
        let auth = if config.auth.enabled {
            Some(Authenticator::new(
                &config.auth,
                metrics.clone(),
                audit.clone(),
            )?)
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(AppInner {
                config,
                registry,
                metrics,
                shutting_down: watch::Sender::new(false),
                connections: AtomicUsize::new(0),
                auth,
                audit,
            }),
        })
    }

    /// Token verification and policy, when authentication is on.
    pub fn auth(&self) -> Option<&Authenticator> {
        self.inner.auth.as_ref()
    }

    /// The audit log, when enabled.
    pub fn audit(&self) -> Option<&AuditLog> {
        self.inner.audit.as_ref()
    }

    /// Whether tokens can be verified: always with authentication off, else once at least one
    /// provider's signing keys are loaded.
    pub fn keys_ready(&self) -> bool {
        self.inner.auth.as_ref().is_none_or(Authenticator::is_ready)
    }

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The live sessions.
    pub fn registry(&self) -> &SessionRegistry {
        &self.inner.registry
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Whether the server accepts new sessions.
    pub fn is_ready(&self) -> bool {
        !*self.inner.shutting_down.borrow() && !self.inner.registry.is_draining()
    }

    /// A receiver that sees `true` once shutdown starts.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutting_down.subscribe()
    }

    /// Counts a WebSocket connection until the guard drops.
    pub fn track_connection(&self) -> ConnectionGuard {
        self.inner.connections.fetch_add(1, Ordering::SeqCst);
        self.inner.metrics.websocket_connections(1);
        ConnectionGuard {
            state: self.clone(),
        }
    }

    fn begin_shutdown(&self) {
        self.inner.registry.start_draining();
        self.inner.shutting_down.send_replace(true);
    }
}

/// Keeps a WebSocket connection counted while alive.
#[derive(Debug)]
pub struct ConnectionGuard {
    state: AppState,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.state.inner.connections.fetch_sub(1, Ordering::SeqCst);
        self.state.inner.metrics.websocket_connections(-1);
    }
}

/// The shell every session runs, from the configuration.
fn shell_command(config: &Config) -> ShellCommand {
    let program = config
        .shell
        .clone()
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .filter(|shell| !shell.is_empty())
        })
        .unwrap_or_else(|| "/bin/sh".to_owned());
    let mut env = vec![
        ("TERM".to_owned(), "xterm-256color".to_owned()),
        ("COLORTERM".to_owned(), "truecolor".to_owned()),
        ("SHELL".to_owned(), program.clone()),
    ];
    env.extend(config.shell_env.clone());
    ShellCommand {
        program,
        args: config.shell_args.clone(),
        env,
        // The server's own settings and secrets are none of the shell's business.
        env_remove_prefixes: vec![crate::config::ENV_PREFIX.to_owned(), "AUTH_".to_owned()],
    }
}

/// Asks a running server to shut down gracefully.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    state: AppState,
}

impl ShutdownHandle {
    /// Starts the graceful shutdown described in the module docs.
    pub fn shut_down(&self) {
        self.state.begin_shutdown();
    }
}

/// The remote address of a connection, whether plain TCP or TLS; handlers extract it as
/// `ConnectInfo<PeerAddr>`.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// A bound, not yet serving, web-terminal server.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    /// Set when `tls_cert` and `tls_key` are configured: serve HTTPS.
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds the configured address (port 0 picks a free port), loading the TLS certificate
    /// and key first when configured, so a bad file stops the start.
    pub async fn bind(config: Config) -> std::io::Result<Self> {
        #[cfg(feature = "tls")]
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                Some(crate::tls::server_config(cert, key).map_err(std::io::Error::other)?)
            }
            _ => None,
        };
        let listener = TcpListener::bind(config.listen_addr()).await?;
        Ok(Self {
            listener,
            state: AppState::new(config).map_err(std::io::Error::other)?,
            #[cfg(feature = "tls")]
            tls,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that shuts this server down.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.state.clone(),
        }
    }

    /// The shared state, for tests and embedding.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until shutdown; see the module docs for the order of events.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        tokio::spawn(state.registry().clone().run_housekeeping());
        if let Some(auth) = state.auth() {
            tokio::spawn(auth.jwks().clone().run_refresh());
        }
        let app = routes::router(state.clone());
        let mut shutting_down = state.shutdown_signal();
        let stop_accepting = async move {
            let _ = shutting_down.wait_for(|down| *down).await;
        };
        let config = state.config();
        let header_timeout = config.handshake_timeout();
        let finish_within = close_grace(config.shutdown_timeout());
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls {
            let listener = limited(crate::tls::TlsListener::new(self.listener, tls), config);
            serve(listener, app, header_timeout, stop_accepting, finish_within).await;
            drain(&state).await;
            return Ok(());
        }
        let listener = limited(self.listener, config);
        serve(listener, app, header_timeout, stop_accepting, finish_within).await;
        drain(&state).await;
        Ok(())
    }
}

/// `listener` under the configured connection cap and silence timeout.
fn limited<L>(listener: L, config: &Config) -> LimitedListener<L> {
    LimitedListener::new(
        listener,
        config.max_connections,
        config.connection_idle_timeout(),
    )
}

/// How long shutdown lets open connections finish (HTTP requests, WebSocket close frames) before
/// it moves on: two seconds, or half the shutdown timeout if that is shorter.
fn close_grace(shutdown_timeout: Duration) -> Duration {
    Duration::from_secs(2).min(shutdown_timeout / 2)
}

/// Ends every session within the shutdown timeout (steps 2 and 4 of the module docs).
async fn drain(state: &AppState) {
    let started = Instant::now();
    let timeout = state.config().shutdown_timeout();
    let deadline = started + timeout;
    // Let the connections send their 1001 close frames before the shells go.
    while state.inner.connections.load(Ordering::SeqCst) > 0
        && started.elapsed() < close_grace(timeout)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sessions = state.registry().len();
    let kill_after = timeout.saturating_sub(Duration::from_secs(1));
    state
        .registry()
        .hang_up_all(kill_after.saturating_sub(started.elapsed()));
    let clean = state.registry().wait_empty(deadline).await;
    tracing::info!(
        sessions,
        clean,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "shutdown complete"
    );
}
