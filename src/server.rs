//! The server: binding, serving through the web edge, draining, and graceful shutdown.
//!
//! Draining, when `drain_timeout_secs` is set (SIGTERM or SIGINT, or [`ShutdownHandle::drain`]):
//! `/ready` turns 503 and the registry refuses new sessions, while the existing ones go on and
//! can be reattached; clients that understand it are told how long they have left. Once the
//! last session has ended, or the drain timeout has passed, or a second signal arrives, the
//! shutdown below begins.
//!
//! Shutdown, in order (SIGTERM, SIGINT, or [`ShutdownHandle::shut_down`]):
//! 1. `/ready` turns 503 and the registry refuses new sessions;
//! 2. every WebSocket is told 1001 "server shutting down" and closed;
//! 3. the listener stops accepting, and open HTTP requests get up to two seconds (half the
//!    shutdown timeout, if shorter) to finish;
//! 4. every session's process group gets SIGHUP, and SIGKILL one second before the shutdown
//!    timeout; the server returns once all sessions are gone or the timeout is reached.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::serve::{Listener, ListenerExt};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::web::listener::{LimitedListener, Limits};
use crate::web::routes;
use crate::web::serve::serve;
pub use crate::web::state::AppState;

/// Asks a running server to shut down gracefully.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    state: AppState,
}

impl ShutdownHandle {
    /// Starts the graceful shutdown described in the module docs.
    pub fn shut_down(&self) {
        self.state.shutdown().start();
    }

    /// Starts the drain described in the module docs, then the shutdown; without a drain
    /// timeout, the shutdown at once.
    pub fn drain(&self) {
        let timeout = self.state.config().drain_timeout();
        if timeout.is_zero() {
            self.shut_down();
            return;
        }
        let shutdown = self.state.shutdown();
        if shutdown.is_draining() {
            return;
        }
        shutdown.start_draining(Instant::now() + timeout);
        tracing::info!(
            sessions = self.state.registry().len(),
            drain_timeout_secs = timeout.as_secs(),
            "draining: no new sessions; the shutdown follows when the last session ends"
        );
        tokio::spawn(shut_down_once_drained(self.state.clone(), timeout));
    }
}

/// Waits until every session has ended or `timeout` has passed (or the shutdown has begun
/// otherwise), then starts the shutdown.
async fn shut_down_once_drained(state: AppState, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    let drained = async {
        while !state.registry().is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        () = drained => tracing::info!("drained: every session has ended"),
        () = tokio::time::sleep_until(deadline) => tracing::info!(
            sessions = state.registry().len(),
            "drain timeout: closing the remaining sessions"
        ),
        () = state.shutdown().started() => {}
    }
    state.shutdown().start();
}

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
                Some(crate::web::tls::server_config(cert, key).map_err(std::io::Error::other)?)
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

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully (the module docs say how).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        // Handlers go in before anyone can learn the address, so an early SIGTERM is graceful too.
        let mut signals = termination_signals()?;
        let shutdown = self.shutdown_handle();
        tokio::spawn(async move {
            signals.next().await;
            tracing::info!("shutdown requested");
            shutdown.drain();
            // A second signal does not wait for the drain.
            signals.next().await;
            shutdown.shut_down();
        });
        tracing::info!(
            address = %self.local_addr()?,
            version = env!("CARGO_PKG_VERSION"),
            ui = crate::web::assets::ui_embedded(),
            "listening"
        );
        self.run().await
    }

    /// Serves until shutdown; see the module docs for the order of events.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        tokio::spawn(state.registry().clone().run_housekeeping());
        tokio::spawn(crate::web::control::serve(state.clone()));
        if let Some(auth) = state.auth() {
            tokio::spawn(auth.jwks().clone().run_refresh());
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls {
            serve_until_shutdown(
                crate::web::tls::TlsListener::new(self.listener, tls),
                &state,
            )
            .await;
            return Ok(());
        }
        let listener = self.listener.tap_io(|tcp| crate::web::serve::no_delay(tcp));
        serve_until_shutdown(listener, &state).await;
        Ok(())
    }
}

/// Serves on `listener`, under the configured connection cap and silence timeout, until the
/// shutdown starts; then drains.
async fn serve_until_shutdown<L>(listener: L, state: &AppState)
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    let config = state.config();
    let listener = LimitedListener::new(
        listener,
        Limits {
            total: config.max_connections,
            per_client: config.max_connections_per_client,
            idle_timeout: config.connection_idle_timeout(),
            exempt: config.trusted_proxies.clone(),
        },
    );
    let app = routes::router(state.clone());
    let finish_within = close_grace(config.shutdown_timeout());
    serve(
        listener,
        app,
        config.handshake_timeout(),
        state.shutdown(),
        finish_within,
    )
    .await;
    drain(state).await;
}

/// SIGTERM and SIGINT, handled from the moment this is created.
struct TerminationSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl TerminationSignals {
    /// Resolves when either signal arrives.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

/// Installs SIGTERM and SIGINT handlers now.
fn termination_signals() -> std::io::Result<TerminationSignals> {
    use tokio::signal::unix::{SignalKind, signal};
    Ok(TerminationSignals {
        terminate: signal(SignalKind::terminate())?,
        interrupt: signal(SignalKind::interrupt())?,
    })
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
    state
        .shutdown()
        .connections_closed(close_grace(timeout))
        .await;
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
