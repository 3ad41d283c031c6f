//! What every request handler shares: one cheap `Clone` handle over the configuration, the
//! session registry, authentication, metrics and the shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use super::control_socket::{CONTROL_ENV, ControlSocket};
use super::listener::PerClient;
use super::peers::Peers;
use crate::auth::{AuditLog, AuthError, Authenticator};
use crate::config::Config;
use crate::lifecycle;
use crate::metrics::Metrics;
use crate::session::SessionRegistry;
use crate::shutdown::Shutdown;

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
    shutdown: Shutdown,
    /// Token verification and policy; `None` while authentication is off.
    auth: Option<Authenticator>,
    /// Open terminal connections per client address.
    terminal_clients: PerClient,
    /// The other replicas, which own the sessions whose ids name them.
    peers: Peers,
    /// The socket programs in the sessions reach the server through (`None` if it could not be
    /// made: downloads are then unavailable).
    control: Option<ControlSocket>,
}

impl AppState {
    /// State for a server with `config`. Fails when the audit log cannot be opened.
    pub(crate) fn new(config: Config) -> Result<Self, AuthError> {
        let metrics = Metrics::new(config.max_sessions);
        let shutdown = Shutdown::new();
        let audit = if config.auth.audit_enabled() {
            Some(AuditLog::open(&config.auth.audit)?)
        } else {
            None
        };
        let control = ControlSocket::bind()
            .inspect_err(|error| {
                tracing::warn!(%error, "no control socket: `web-terminal download` will not work");
            })
            .ok();
        let registry = SessionRegistry::new(
            &config,
            control
                .as_ref()
                .map(|control| (CONTROL_ENV, control.path())),
            metrics.clone(),
            shutdown.clone(),
            vec![lifecycle::observer(audit.clone(), metrics.clone())],
        );
        let auth = if config.auth.enabled {
            Some(Authenticator::new(&config.auth, metrics.clone(), audit)?)
        } else {
            None
        };
        let terminal_clients = PerClient::new(config.max_connections_per_client);
        let peers = Peers::new(&config);
        Ok(Self {
            inner: Arc::new(AppInner {
                terminal_clients,
                peers,
                control,
                config,
                registry,
                metrics,
                shutdown,
                auth,
            }),
        })
    }

    /// Token verification and policy, when authentication is on.
    pub(crate) fn auth(&self) -> Option<&Authenticator> {
        self.inner.auth.as_ref()
    }

    /// Whether tokens can be verified: always with authentication off, else once at least one
    /// provider's signing keys are loaded.
    pub fn keys_ready(&self) -> bool {
        self.inner.auth.as_ref().is_none_or(Authenticator::is_ready)
    }

    /// Whether the server accepts new sessions (`/ready`).
    pub fn is_ready(&self) -> bool {
        !self.inner.shutdown.is_draining()
    }

    /// Where the control socket is, if there is one.
    pub fn control_socket_path(&self) -> Option<&std::path::Path> {
        self.control().map(ControlSocket::path)
    }

    /// Live sessions now.
    pub fn session_count(&self) -> usize {
        self.inner.registry.len()
    }

    /// The effective configuration.
    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The live sessions.
    pub(crate) fn registry(&self) -> &SessionRegistry {
        &self.inner.registry
    }

    /// The metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The control socket, if there is one.
    pub(crate) fn control(&self) -> Option<&ControlSocket> {
        self.inner.control.as_ref()
    }

    /// The other replicas.
    pub(crate) fn peers(&self) -> &Peers {
        &self.inner.peers
    }

    /// Open terminal connections per client address.
    pub(crate) fn terminal_clients(&self) -> &PerClient {
        &self.inner.terminal_clients
    }

    /// The server's shutdown.
    pub(crate) fn shutdown(&self) -> &Shutdown {
        &self.inner.shutdown
    }
}

/// The remote address of a connection, whether plain TCP or TLS; handlers extract it as
/// `ConnectInfo<PeerAddr>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);
