//! The live sessions of one server: opening them for a requester (limits, workspace, shell
//! command, `HOME`), lookup for reattach, and the housekeeping that reaps shells and ends
//! sessions whose grace period or idle time ran out. Every outcome is also a [`SessionEvent`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};

use super::access::{Role, may_replay};
use super::downloads::Offers;
use super::error::{RecordingError, SessionError};
use super::events::{EndCause, Events, Observer, Requester, SessionEvent};
use super::listing::{SessionName, SessionSummary};
use super::recording::{self, RecordingPolicy, RecordingSummary};
use super::shell::{configured_shell, with_control, with_home};
use super::workspace::Workspaces;
use super::{Birth, Buffers, Session, SessionId, Viewer};
use crate::auth::identity::normalize_groups;
use crate::config::Config;
use crate::memory;
use crate::metrics::Metrics;
use crate::pty::{self, Pty, ShellCommand};
use crate::shutdown::Shutdown;

/// How often housekeeping runs even without SIGCHLD.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);
/// How often recordings past their retention are looked for.
const RETENTION_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// SIGHUP-to-SIGKILL delay for sessions ended by the grace period or idle timeout.
const END_GRACE: Duration = Duration::from_secs(3);

/// Limits and timings the registry enforces, from the configuration.
#[derive(Debug, Clone)]
struct SessionLimits {
    /// Most live sessions.
    max_sessions: usize,
    /// Most live sessions per owner.
    max_sessions_per_user: usize,
    /// How long a session without viewers lives.
    grace_period: Duration,
    /// End sessions without input or output for this long.
    idle_timeout: Option<Duration>,
    /// Output and history kept per session.
    buffers: Buffers,
}

/// All live sessions. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub(crate) struct SessionRegistry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: SessionLimits,
    workspaces: Workspaces,
    /// The shell, without `HOME` (that comes from the workspace).
    shell: ShellCommand,
    metrics: Metrics,
    events: Events,
    /// Once started, no new sessions.
    shutdown: Shutdown,
    /// This replica's name, when there are replicas.
    node: Option<Arc<str>>,
    /// Files offered for download, waiting to be fetched.
    offers: Offers,
    /// How sessions are recorded; `None` while recording is off.
    recording: Option<RecordingPolicy>,
    /// When old recordings were last deleted.
    last_retention: Mutex<Option<Instant>>,
    /// A std mutex: held only to insert, remove or copy out handles, never across an await.
    sessions: Mutex<HashMap<SessionId, Session>>,
    /// A session ended since housekeeping last gave free memory back.
    ended_since_trim: AtomicBool,
}

impl SessionRegistry {
    /// An empty registry for `config`, reporting to `observers`. Call
    /// [`run_housekeeping`](Self::run_housekeeping) in a task.
    pub(crate) fn new(
        config: &Config,
        control: Option<(&str, &Path)>,
        metrics: Metrics,
        shutdown: Shutdown,
        observers: Vec<Observer>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                limits: SessionLimits {
                    max_sessions: config.max_sessions,
                    max_sessions_per_user: config.max_sessions_per_user,
                    grace_period: config.grace_period(),
                    idle_timeout: config.idle_timeout(),
                    buffers: Buffers {
                        output_bytes: config.scrollback_bytes,
                        scrollback_lines: config.scrollback_lines,
                    },
                },
                // With authentication off everybody is the same anonymous user: one folder.
                workspaces: Workspaces::new(config.workspaces_dir.clone(), config.auth.enabled),
                shell: with_control(configured_shell(config), control),
                metrics,
                events: Events::new(observers),
                shutdown,
                node: config.node_name.as_deref().map(Arc::from),
                offers: Offers::default(),
                recording: config.recordings().map(|dir| RecordingPolicy {
                    dir: dir.to_path_buf(),
                    input: config.recording_input,
                    max_bytes: config.recording_max_bytes,
                    retention: (config.recording_retention_days > 0).then(|| {
                        Duration::from_secs(config.recording_retention_days * 24 * 60 * 60)
                    }),
                    auditors: normalize_groups(
                        config.recording_auditors.iter().map(String::as_str),
                    ),
                }),
                last_retention: Mutex::new(None),
                sessions: Mutex::new(HashMap::new()),
                ended_since_trim: AtomicBool::new(false),
            }),
        }
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<SessionId, Session>> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Live sessions now.
    pub(crate) fn len(&self) -> usize {
        self.sessions().len()
    }

    /// Whether there are no live sessions.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts a shell of `cols`×`rows` for `by` in their workspace and attaches its first viewer,
    /// so no output is missed. `resync`: the viewer can take a fresh snapshot when it falls
    /// behind (else it is told it lagged). The start runs on a blocking thread: preparing the
    /// workspace touches the disk, and starting the shell waits until it has exec'd, time in
    /// which no other task on a runtime thread could run.
    pub(crate) async fn open(
        &self,
        by: &Requester,
        cols: u16,
        rows: u16,
        resync: bool,
    ) -> Result<Viewer, SessionError> {
        let registry = self.clone();
        let requester = by.clone();
        let (session, viewer) =
            tokio::task::spawn_blocking(move || registry.start(&requester, (cols, rows), resync))
                .await
                .expect("starting a session does not panic")
                .inspect_err(|error| self.refused(None, by, error))?;
        self.inner.events.emit(&SessionEvent::Opened {
            session: session.id(),
            by,
            pid: session.pid(),
        });
        tokio::spawn(self.clone().close_when_finished(session));
        Ok(viewer)
    }

    /// Starts a shell of `size` for `by`, within the limits, and adds it to the live sessions,
    /// with its owner's first viewer, which misses none of the shell's output.
    fn start(
        &self,
        by: &Requester,
        size: (u16, u16),
        resync: bool,
    ) -> Result<(Session, Viewer), SessionError> {
        if self.inner.shutdown.is_draining() {
            return Err(SessionError::Draining);
        }
        let user = by.identity.user.as_str();
        self.check_limits(&self.sessions(), user)?;
        let workspace = self.inner.workspaces.prepare(user)?;
        let shell = with_home(&self.inner.shell, &workspace);
        let pty = Pty::spawn(&shell, &workspace, size.0, size.1)?;
        let birth = Birth {
            node: self.inner.node.clone(),
            owner: by.clone(),
            size,
        };
        let (session, viewer) = Session::start(
            birth,
            pty,
            self.inner.limits.buffers,
            self.inner.metrics.clone(),
            self.inner.events.clone(),
            self.inner.recording.as_ref(),
            resync,
        );
        // Checked again under the lock that inserts, so concurrent opens cannot overshoot.
        let mut sessions = self.sessions();
        if let Err(error) = self.check_limits(&sessions, user) {
            drop(sessions);
            session.end(EndCause::Shutdown, Duration::ZERO);
            return Err(error);
        }
        sessions.insert(session.id().clone(), session.clone());
        Ok((session, viewer))
    }

    /// Whether `user` may have one more session besides `sessions`.
    fn check_limits(
        &self,
        sessions: &HashMap<SessionId, Session>,
        user: &str,
    ) -> Result<(), SessionError> {
        let limits = &self.inner.limits;
        if sessions.len() >= limits.max_sessions {
            return Err(SessionError::ServerLimit(limits.max_sessions));
        }
        let owned = sessions.values().filter(|s| s.owner_user() == user).count();
        if owned >= limits.max_sessions_per_user {
            return Err(SessionError::UserLimit(limits.max_sessions_per_user));
        }
        Ok(())
    }

    /// Removes `session` once it has finished and reports that it closed.
    async fn close_when_finished(self, session: Session) {
        let exit_code = session.finished().await;
        session.record(|recorder| recorder.exit(exit_code));
        self.sessions().remove(session.id());
        self.inner.ended_since_trim.store(true, Ordering::Relaxed);
        self.inner.events.emit(&SessionEvent::Closed {
            session: session.id(),
            owner: session.owner(),
            cause: session.end_cause(),
            exit_code,
            lifetime: session.age(),
        });
    }

    /// Attaches a new viewer for `by` to the live session `id`, which must be theirs or shared
    /// with them (the viewer gets the role that gives); `resync` as for [`open`](Self::open).
    pub(crate) fn attach(
        &self,
        id: &str,
        by: &Requester,
        size: Option<(u16, u16)>,
        resync: bool,
    ) -> Result<Viewer, SessionError> {
        let (session, role) = self.reachable(id, by)?;
        let viewer = session.attach(by.clone(), size, resync, role);
        session.record(|recorder| {
            recorder.marker(format!("attach {} ({})", by.identity.user, role.label()));
        });
        self.inner.events.emit(&SessionEvent::Attached {
            session: session.id(),
            by,
            role,
        });
        Ok(viewer)
    }

    /// The live sessions `by` may reach, oldest first: their own and those shared with them or
    /// their groups (with authentication off, everyone is the one anonymous user, who owns every
    /// session).
    pub(crate) fn list(&self, by: &Requester) -> Vec<SessionSummary> {
        let mut sessions: Vec<SessionSummary> = self
            .snapshot()
            .into_iter()
            .filter(|session| !session.is_finished())
            .filter_map(|session| Some(session.summary(session.role_for(&by.identity)?)))
            .collect();
        sessions.sort_by_key(|summary| summary.created);
        sessions
    }

    /// Names the live session `id`, which must be `by`'s.
    pub(crate) fn rename(
        &self,
        id: &str,
        by: &Requester,
        name: SessionName,
    ) -> Result<(), SessionError> {
        self.owned(id, by)?.rename(name);
        Ok(())
    }

    /// Ends the live session `id`, which must be `by`'s: its shell is hung up, its viewers see it
    /// exit.
    pub(crate) fn end(&self, id: &str, by: &Requester) -> Result<(), SessionError> {
        self.owned(id, by)?.end_for_owner(END_GRACE);
        Ok(())
    }

    /// Shares the live session `id`, which must be `by`'s, with `subject` (a normalised user or
    /// group entity ref) as `role` (`View` or `Write`), replacing an earlier share with it.
    pub(crate) fn share(
        &self,
        id: &str,
        by: &Requester,
        subject: &str,
        role: Role,
    ) -> Result<(), SessionError> {
        let session = self.owned(id, by)?;
        session.share(subject.to_owned(), role);
        session.record(|recorder| recorder.marker(format!("share {subject} ({})", role.label())));
        self.inner.events.emit(&SessionEvent::Shared {
            session: session.id(),
            by,
            subject,
            role: Some(role),
        });
        Ok(())
    }

    /// Revokes the share of the live session `id` (which must be `by`'s) with `subject`; the
    /// viewers attached through it are cut off at once. `Ok(false)` if there was no such share.
    pub(crate) fn unshare(
        &self,
        id: &str,
        by: &Requester,
        subject: &str,
    ) -> Result<bool, SessionError> {
        let session = self.owned(id, by)?;
        let found = session.unshare(subject);
        if found {
            session.record(|recorder| recorder.marker(format!("unshare {subject}")));
            self.inner.events.emit(&SessionEvent::Shared {
                session: session.id(),
                by,
                subject,
                role: None,
            });
        }
        Ok(found)
    }

    /// The live session `id` if `by` owns it; a refusal is reported like an attach's.
    fn owned(&self, id: &str, by: &Requester) -> Result<Session, SessionError> {
        match self.reachable(id, by)? {
            (session, Role::Owner) => Ok(session),
            _ => {
                let error = SessionError::NotOwner;
                self.refused(Some(id), by, &error);
                Err(error)
            }
        }
    }

    /// The live session `id` and `by`'s role in it, if they have one; a refusal is reported.
    pub(super) fn reachable(
        &self,
        id: &str,
        by: &Requester,
    ) -> Result<(Session, Role), SessionError> {
        let session = self.sessions().get(id).cloned();
        let session = match session {
            Some(session) if !session.is_finished() => session,
            _ => return Err(SessionError::Unknown),
        };
        match session.role_for(&by.identity) {
            Some(role) => Ok((session, role)),
            None => {
                let error = SessionError::NotOwner;
                self.refused(Some(id), by, &error);
                Err(error)
            }
        }
    }

    /// The files offered for download.
    pub(super) fn offers(&self) -> &Offers {
        &self.inner.offers
    }

    /// The sessions whose shells still run.
    pub(super) fn live_sessions(&self) -> Vec<Session> {
        self.snapshot()
            .into_iter()
            .filter(|session| !session.is_finished())
            .collect()
    }

    /// Tells the observers of `event`.
    pub(super) fn emit(&self, event: &SessionEvent<'_>) {
        self.inner.events.emit(event);
    }

    fn refused(&self, session: Option<&str>, by: &Requester, error: &SessionError) {
        self.inner
            .events
            .emit(&SessionEvent::Refused { session, by, error });
    }

    /// Hangs up every session (the server is shutting down): SIGHUP now, SIGKILL after `grace`.
    pub(crate) fn hang_up_all(&self, grace: Duration) {
        for session in self.snapshot() {
            session.end(EndCause::Shutdown, grace);
        }
    }

    /// Waits until every session has finished, or `deadline` passes.
    pub(crate) async fn wait_empty(&self, deadline: Instant) -> bool {
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
    /// SIGCHLD and every second, and gives memory back once sessions have ended. Runs until the
    /// process ends.
    pub(crate) async fn run_housekeeping(self) {
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
                _ = tick.tick() => {
                    self.end_expired();
                    self.delete_old_recordings();
                    if self.inner.ended_since_trim.swap(false, Ordering::Relaxed) {
                        // It walks the whole heap: beside the runtime, not on it.
                        tokio::task::spawn_blocking(memory::release_free_memory);
                    }
                }
                Some(()) = async { children.as_mut()?.recv().await } => {}
            }
            // A waitpid per session: milliseconds with a thousand of them, beside the runtime.
            let registry = self.clone();
            let _ = tokio::task::spawn_blocking(move || registry.reap()).await;
        }
    }

    /// Once an hour (and at start-up), deletes the recordings past their retention, on a
    /// blocking thread.
    fn delete_old_recordings(&self) {
        let Some(policy) = &self.inner.recording else {
            return;
        };
        let Some(retention) = policy.retention else {
            return;
        };
        {
            let mut last = self
                .inner
                .last_retention
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if last.is_some_and(|last| last.elapsed() < RETENTION_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        let dir = policy.dir.clone();
        tokio::task::spawn_blocking(move || {
            let deleted = recording::delete_older_than(&dir, retention);
            if deleted > 0 {
                tracing::info!(deleted, dir = %dir.display(), "deleted recordings past their retention");
            }
        });
    }

    /// The recording of session `id` (live or ended), for its owner or an auditor.
    pub(crate) fn recording(&self, id: &str, by: &Requester) -> Result<Vec<u8>, RecordingError> {
        let policy = self.inner.recording.as_ref().ok_or(RecordingError::Off)?;
        let (owner, cast) =
            recording::read_recording(&policy.dir, id).ok_or(RecordingError::Unknown)?;
        if !may_replay(&owner, &by.identity, &policy.auditors) {
            self.refused(Some(id), by, &SessionError::NotOwner);
            return Err(RecordingError::NotAllowed);
        }
        Ok(cast)
    }

    /// The recordings `by` may replay (live sessions' and ended ones'), most recent first, at
    /// most `limit`.
    pub(crate) fn recordings(
        &self,
        by: &Requester,
        limit: usize,
    ) -> Result<Vec<RecordingSummary>, RecordingError> {
        let policy = self.inner.recording.as_ref().ok_or(RecordingError::Off)?;
        let visible = |owner: &str| may_replay(owner, &by.identity, &policy.auditors);
        Ok(recording::list_recordings(&policy.dir, visible, limit))
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
            if detached_too_long {
                session.end(EndCause::GracePeriod, END_GRACE);
            } else if idle_too_long {
                session.end(EndCause::IdleTimeout, END_GRACE);
            }
        }
    }
}
