//! The live sessions of one server: creation under limits, lookup for reattach, and the
//! housekeeping that reaps shells and ends sessions whose grace period or idle time ran out.

use std::collections::HashMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};

use super::{Session, SessionId, Viewer};
use crate::metrics::Metrics;
use crate::pty::{self, Pty, ShellCommand};

/// How often housekeeping runs even without SIGCHLD.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);
/// SIGHUP-to-SIGKILL delay for sessions ended by the grace period or idle timeout.
const END_GRACE: Duration = Duration::from_secs(3);

/// Why a session could not be opened or attached.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The server-wide limit is reached.
    #[error("the server's session limit ({0}) is reached")]
    ServerLimit(usize),
    /// This user's limit is reached.
    #[error("the per-user session limit ({0}) is reached")]
    UserLimit(usize),
    /// No live session has that id.
    #[error("unknown or expired session")]
    Unknown,
    /// The session belongs to someone else.
    #[error("the session belongs to another user")]
    NotOwner,
    /// The server is draining and takes no new sessions.
    #[error("the server is shutting down")]
    Draining,
    /// The workspace or the PTY could not be set up.
    #[error("could not start the shell: {0}")]
    Spawn(#[from] std::io::Error),
}

/// Limits and timings the registry enforces.
#[derive(Debug, Clone)]
pub struct SessionLimits {
    /// Most live sessions.
    pub max_sessions: usize,
    /// Most live sessions per owner.
    pub max_sessions_per_user: usize,
    /// How long a session without viewers lives.
    pub grace_period: Duration,
    /// End sessions without input or output for this long.
    pub idle_timeout: Option<Duration>,
    /// Output retained per session.
    pub scrollback_bytes: usize,
}

/// Called when a session ends, with its id, owner, exit code and lifetime (the audit log's
/// `session_close`).
pub type CloseHook = Box<dyn Fn(&str, &str, i32, Duration) + Send + Sync>;

/// All live sessions. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct SessionRegistry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: SessionLimits,
    shell: ShellCommand,
    metrics: Metrics,
    /// A std mutex: held only to insert, remove or copy out handles, never across an await.
    sessions: Mutex<HashMap<SessionId, Session>>,
    draining: std::sync::atomic::AtomicBool,
    on_close: OnClose,
}

/// The optional [`CloseHook`], set once.
struct OnClose(OnceLock<CloseHook>);

impl std::fmt::Debug for OnClose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OnClose")
            .field(&self.0.get().is_some())
            .finish()
    }
}

impl SessionRegistry {
    /// An empty registry. Call [`run_housekeeping`](Self::run_housekeeping) in a task.
    pub fn new(limits: SessionLimits, shell: ShellCommand, metrics: Metrics) -> Self {
        Self {
            inner: Arc::new(Inner {
                limits,
                shell,
                metrics,
                sessions: Mutex::new(HashMap::new()),
                draining: Default::default(),
                on_close: OnClose(OnceLock::new()),
            }),
        }
    }

    /// Sets the hook called whenever a session ends; only the first call has an effect.
    pub fn on_close(&self, hook: CloseHook) {
        let _ = self.inner.on_close.0.set(hook);
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<SessionId, Session>> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Live sessions now.
    pub fn len(&self) -> usize {
        self.sessions().len()
    }

    /// Whether there are no live sessions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts a shell for `owner` in `workspace` (created 0700 if missing) and attaches its first
    /// viewer, so no output is missed.
    pub fn open(
        &self,
        owner: &str,
        workspace: &Path,
        cols: u16,
        rows: u16,
    ) -> Result<Viewer, SessionError> {
        if self.is_draining() {
            return Err(SessionError::Draining);
        }
        {
            let sessions = self.sessions();
            let limits = &self.inner.limits;
            if sessions.len() >= limits.max_sessions {
                return Err(SessionError::ServerLimit(limits.max_sessions));
            }
            let owned = sessions.values().filter(|s| s.owner() == owner).count();
            if owned >= limits.max_sessions_per_user {
                return Err(SessionError::UserLimit(limits.max_sessions_per_user));
            }
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(workspace)?;
        let mut shell = self.inner.shell.clone();
        shell
            .env
            .push(("HOME".to_owned(), workspace.display().to_string()));
        let pty = Pty::spawn(&shell, workspace, cols, rows)?;
        let session = Session::start(
            new_session_id(),
            owner.to_owned(),
            pty,
            (cols, rows),
            self.inner.limits.scrollback_bytes,
            self.inner.metrics.clone(),
        );
        let viewer = session.attach(Some((cols, rows)));
        {
            // Checked again under the lock that inserts, so concurrent opens cannot overshoot.
            let mut sessions = self.sessions();
            if sessions.len() >= self.inner.limits.max_sessions {
                drop(sessions);
                session.hang_up(Duration::ZERO);
                return Err(SessionError::ServerLimit(self.inner.limits.max_sessions));
            }
            sessions.insert(session.id().to_owned(), session.clone());
        }
        self.inner.metrics.session_opened();
        tracing::info!(session_id = %session.id(), user = owner, pid = session.pid(), "session opened");
        let registry = self.clone();
        tokio::spawn(async move {
            let code = session.finished().await;
            registry.sessions().remove(session.id());
            registry
                .inner
                .metrics
                .session_closed(if code == 0 { "exited" } else { "failed" }, session.age());
            tracing::info!(session_id = %session.id(), user = session.owner(), code, "session closed");
            if let Some(hook) = registry.inner.on_close.0.get() {
                hook(session.id(), session.owner(), code, session.age());
            }
        });
        Ok(viewer)
    }

    /// Attaches a new viewer to the live session `id` owned by `owner`.
    pub fn attach(
        &self,
        id: &str,
        owner: &str,
        size: Option<(u16, u16)>,
    ) -> Result<Viewer, SessionError> {
        let session = self
            .sessions()
            .get(id)
            .cloned()
            .ok_or(SessionError::Unknown)?;
        if session.is_finished() {
            return Err(SessionError::Unknown);
        }
        if session.owner() != owner {
            return Err(SessionError::NotOwner);
        }
        Ok(session.attach(size))
    }

    /// Whether the server has started draining.
    pub fn is_draining(&self) -> bool {
        self.inner
            .draining
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Refuses new sessions from now on.
    pub fn start_draining(&self) {
        self.inner
            .draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Hangs up every session: SIGHUP now, SIGKILL after `grace`.
    pub fn hang_up_all(&self, grace: Duration) {
        for session in self.snapshot() {
            session.hang_up(grace);
        }
    }

    /// Waits until every session has finished, or `deadline` passes.
    pub async fn wait_empty(&self, deadline: Instant) -> bool {
        while !self.is_empty() {
            if Instant::now() >= deadline {
                return false;
            }
            self.reap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    fn snapshot(&self) -> Vec<Session> {
        self.sessions().values().cloned().collect()
    }

    /// Reaps exited shells and ends sessions past their grace period or idle timeout, on every
    /// SIGCHLD and every second. Runs until the process ends.
    pub async fn run_housekeeping(self) {
        let mut children = match signal(SignalKind::child()) {
            Ok(children) => Some(children),
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGCHLD; reaping every second");
                None
            }
        };
        let mut tick = tokio::time::interval(HOUSEKEEPING_INTERVAL);
        loop {
            tokio::select! {
                _ = tick.tick() => self.end_expired(),
                Some(()) = async { children.as_mut()?.recv().await } => {}
            }
            self.reap();
        }
    }

    /// Collects the exit status of every shell that has exited.
    fn reap(&self) {
        if pty::is_init_process() {
            // As PID 1 we also inherit orphaned grandchildren; collect everything.
            let sessions = self.snapshot();
            while let Some((pid, code)) = pty::reap_any() {
                if let Some(session) = sessions.iter().find(|s| s.pid() == pid) {
                    session.exited(code);
                }
            }
        } else {
            for session in self.snapshot() {
                if session.exit_code().is_none()
                    && let Some(code) = pty::reap(session.pid())
                {
                    session.exited(code);
                }
            }
        }
    }

    fn end_expired(&self) {
        let limits = &self.inner.limits;
        let now = Instant::now();
        for session in self.snapshot() {
            let detached_too_long = session
                .detached_since()
                .is_some_and(|since| now.duration_since(since) >= limits.grace_period);
            let idle_too_long = limits
                .idle_timeout
                .is_some_and(|idle| now.duration_since(session.last_activity()) >= idle);
            if detached_too_long || idle_too_long {
                tracing::info!(
                    session_id = %session.id(),
                    user = session.owner(),
                    reason = if detached_too_long { "grace period over" } else { "idle timeout" },
                    "ending session"
                );
                session.hang_up(END_GRACE);
            }
        }
    }
}

/// 128 random bits, hex-encoded: unguessable, because knowing the id lets a client reattach.
fn new_session_id() -> SessionId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
