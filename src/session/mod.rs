//! Terminal sessions: a shell on a PTY that outlives its connections.
//!
//! A [`Session`] owns the PTY, a terminal model of everything the shell printed, a ring of recent
//! output and the state of its viewers (`state.rs`). Three tasks drive it: the *pump* copies PTY
//! output into the ring and the *input task* writes viewers' keystrokes to the PTY (`pump.rs`),
//! and the *model task* feeds the ring's output to the model (`model.rs`). A [`Viewer`]
//! (`viewer.rs`) is one connection's view: it starts with a snapshot of the model, then reads
//! output from the ring at its own offset, and sends input. The
//! [`SessionRegistry`] opens sessions for a [`Requester`] (workspace, shell command and `HOME` in
//! one place), finds them for reattach, ends them, and emits the [`SessionEvent`]s that audit and
//! metrics observe.
//!
//! **Architecture Invariant:** this layer knows nothing about HTTP, WebSockets, JSON or close
//! codes. It deals in bytes, sizes, identities and domain errors ([`SessionError`]).
//!
//! Ordering: the model reads the ring like a viewer that never lags, so it sees every byte in
//! order. A snapshot is taken under the model's lock once the model has parsed everything in the
//! ring; it covers exactly the output before the model's offset, and the viewer continues from
//! that byte: nothing lost, nothing twice. Locks are taken model first, then state.
//!
//! Backpressure: the pump reads the PTY only while every viewer is less than one ring behind, so
//! a slow viewer makes the shell's writes block as on a real terminal, and memory per session is
//! the model, the ring and one chunk in flight per viewer. A viewer that holds the others up for
//! longer than [`SLOW_VIEWER_LIMIT`] is marked lagging and detached from the backpressure; it
//! then gets a fresh snapshot if it can take one, else it must reattach.

mod access;
mod downloads;
mod error;
mod events;
mod listing;
mod model;
mod pump;
mod recording;
mod registry;
mod scrollback;
mod shell;
mod sizes;
mod state;
mod transfer;
mod viewer;
mod workspace;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc, watch};

use crate::metrics::Metrics;
use crate::pty::{Hangup, Pty, signal_group};
use crate::terminal::TerminalModel;
pub(crate) use access::Role;
pub(crate) use error::{RecordingError, SessionError};
use events::Events;
pub(crate) use events::{Direction, EndCause, Observer, Requester, SessionEvent};
pub(crate) use listing::{SessionName, SessionSummary};
use model::ModelFeed;
use recording::Recorder;
pub(crate) use recording::RecordingPolicy;
pub(crate) use registry::SessionRegistry;
use state::State;
pub(crate) use transfer::TransferError;
pub(crate) use viewer::{InputOutcome, Viewer, ViewerEvent, ViewerInput};
pub use workspace::folder_name;

/// How long one viewer may stall a session's other viewers before it is dropped.
const SLOW_VIEWER_LIMIT: Duration = Duration::from_secs(2);
/// Largest chunk read from the PTY or handed to a viewer at once.
const CHUNK: usize = 64 * 1024;
/// Input chunks queued per session before senders wait (each at most `max_message_bytes`).
const INPUT_QUEUE: usize = 8;

/// A session's id: 128 random bits as 32 lowercase hex characters, after the name of the
/// replica that runs it and a dot when replicas are configured (`web-terminal-0.3f9a…`).
/// Unguessable, because knowing the id is what lets its owner reattach.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SessionId(String);

impl SessionId {
    /// A fresh random id, on replica `node` if there are replicas.
    fn random(node: Option<&str>) -> Self {
        let random = random_hex();
        Self(match node {
            Some(node) => format!("{node}.{random}"),
            None => random,
        })
    }

    /// The replica named in an id, if the id names one; `None` for an id of a single instance
    /// (or one that is not an id at all).
    pub(crate) fn node_of(id: &str) -> Option<&str> {
        let (node, random) = id.split_once('.')?;
        (is_random_hex(random) && crate::config::is_dns_label(node)).then_some(node)
    }

    /// Whether `id` has the form of a session id (with or without a replica's name): the only
    /// ids ever looked up as file names.
    pub(crate) fn is_valid(id: &str) -> bool {
        is_random_hex(id) || Self::node_of(id).is_some()
    }

    /// The id as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SessionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` is 32 lowercase hex characters.
fn is_random_hex(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// 128 random bits as 32 lowercase hex characters: unguessable ids.
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator is available");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Who starts a session, on which replica, and at what size.
#[derive(Debug)]
struct Birth {
    /// This replica's name, when there are replicas: the session's id carries it.
    node: Option<Arc<str>>,
    owner: Requester,
    size: (u16, u16),
}

/// How much of a session's output is kept: bytes for viewers in flight, rows of history in the
/// model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buffers {
    pub(crate) output_bytes: usize,
    pub(crate) scrollback_lines: usize,
}

/// What viewers observe of a session's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// Offset one past the newest output byte.
    end: u64,
    /// The exit code, once the shell has exited and its output is all in the ring.
    finished: Option<i32>,
}

/// A shell session. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: SessionId,
    /// Who opened it.
    owner: Requester,
    started: Instant,
    /// `started` on the wall clock, for the session list.
    created: SystemTime,
    pty: Pty,
    /// What a terminal shows after the output it has parsed. A std mutex, taken before `state`
    /// when both are needed: held while parsing or taking a snapshot, never across an await.
    model: Mutex<ModelFeed>,
    /// A std mutex: never held across an await; see [`State`].
    state: Mutex<State>,
    progress: watch::Sender<Progress>,
    /// Wakes the pump when a viewer takes output (room may have appeared) or leaves.
    room_freed: Notify,
    /// Wakes the pump when the shell has been reaped.
    exited: Notify,
    input: mpsc::Sender<Bytes>,
    metrics: Metrics,
    events: Events,
    /// Its asciicast recording, when recording is on and the file could be created.
    recorder: Option<Recorder>,
}

impl Session {
    /// Starts the pump, input and model tasks of a freshly spawned `pty`, once its owner's first
    /// viewer (of the birth size; `resync` as for [`attach`](Self::attach)) is attached: that
    /// viewer starts from a blank screen and sees every byte the shell writes.
    fn start(
        birth: Birth,
        pty: Pty,
        buffers: Buffers,
        metrics: Metrics,
        events: Events,
        recording: Option<&RecordingPolicy>,
        resync: bool,
    ) -> (Self, Viewer) {
        let (input, input_queue) = mpsc::channel(INPUT_QUEUE);
        let now = Instant::now();
        let Birth { node, owner, size } = birth;
        let id = SessionId::random(node.as_deref());
        let recorder = recording.and_then(|policy| {
            Recorder::start(policy, &id, &owner.identity.user, size, events.clone())
                .inspect_err(|error| {
                    tracing::warn!(session_id = %id, %error, "cannot record this session");
                })
                .ok()
        });
        let session = Self {
            inner: Arc::new(Inner {
                id,
                owner,
                started: now,
                created: SystemTime::now(),
                pty,
                model: Mutex::new(ModelFeed::new(TerminalModel::new(
                    size.0,
                    size.1,
                    buffers.scrollback_lines,
                ))),
                state: Mutex::new(State::new(buffers.output_bytes, size, now)),
                progress: watch::Sender::new(Progress {
                    end: 0,
                    finished: None,
                }),
                room_freed: Notify::new(),
                exited: Notify::new(),
                input,
                metrics,
                events,
                recorder,
            }),
        };
        let owner = session.inner.owner.clone();
        let viewer = session.attach(owner, Some(size), resync, Role::Owner);
        tokio::spawn(session.clone().pump());
        tokio::spawn(session.clone().write_input(input_queue));
        tokio::spawn(session.clone().feed_model());
        (session, viewer)
    }

    /// The session's id.
    pub(crate) fn id(&self) -> &SessionId {
        &self.inner.id
    }

    /// Who opened the session.
    pub(crate) fn owner(&self) -> &Requester {
        &self.inner.owner
    }

    /// Hands the recorder, if the session is recorded, to `record`.
    fn record(&self, record: impl FnOnce(&Recorder)) {
        if let Some(recorder) = &self.inner.recorder {
            record(recorder);
        }
    }

    /// The user the session belongs to.
    fn owner_user(&self) -> &str {
        &self.inner.owner.identity.user
    }

    /// The shell's process group id.
    fn pid(&self) -> i32 {
        self.inner.pty.pid()
    }

    /// Time since the session started.
    fn age(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Whether the shell has exited and its output is all in the ring.
    fn is_finished(&self) -> bool {
        self.inner.progress.borrow().finished.is_some()
    }

    /// Waits until the shell has exited and its output is all in the ring; returns the exit code.
    async fn finished(&self) -> i32 {
        let mut progress = self.inner.progress.subscribe();
        match progress
            .wait_for(|progress| progress.finished.is_some())
            .await
        {
            Ok(progress) => progress.finished.unwrap_or(-1),
            Err(_) => -1,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind, still consistent enough to
        // wind the session down, so poisoning is ignored.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a viewer for `by` of `size` (the PTY follows it, unless `role` may not type); it
    /// sees a snapshot of the screen first, then live output.
    fn attach(&self, by: Requester, size: Option<(u16, u16)>, resync: bool, role: Role) -> Viewer {
        let mut feed = self.lock_model();
        self.catch_up(&mut feed);
        let mut state = self.lock();
        let id = state.add_viewer_as(feed.fed, size, Instant::now(), by.identity.clone(), role);
        self.apply_size(&mut feed, &mut state);
        // The snapshot is drawn at the size the session has now.
        state.skip_to(id, feed.fed);
        let size = state.size;
        drop(state);
        let snapshot = self.snapshot(&mut feed);
        drop(feed);
        Viewer::new(
            self.clone(),
            id,
            by,
            role,
            resync,
            (snapshot, size),
            self.inner.progress.subscribe(),
        )
    }

    /// A snapshot for viewer `id`, which then continues right after what it covers, and the
    /// terminal size it is drawn at.
    fn resync(&self, id: u64) -> (Vec<u8>, (u16, u16)) {
        let mut feed = self.lock_model();
        self.catch_up(&mut feed);
        let snapshot = self.snapshot(&mut feed);
        let mut state = self.lock();
        state.skip_to(id, feed.fed);
        (snapshot.bytes, state.size)
    }

    /// Resizes the PTY and the model to the most recently active viewer's size, if that changed
    /// it; output from the model's offset on is for the new size (call
    /// [`catch_up`](Self::catch_up) first, so that is where the output is now).
    fn apply_size(&self, feed: &mut ModelFeed, state: &mut State) {
        if let Some(size) = state.wanted_size()
            && size != state.size
        {
            state.resized(feed.fed, size);
            feed.model.resize(size.0, size.1);
            // Viewers waiting for output are told of the new size now, output or not.
            self.inner.progress.send_modify(|_| ());
            self.record(|recorder| recorder.resize(size.0, size.1));
            if let Err(error) = self.inner.pty.resize(size.0, size.1) {
                tracing::warn!(session_id = %self.inner.id, %error, "resizing the PTY failed");
            }
        }
    }

    /// [`apply_size`](Self::apply_size) with the model caught up first and both locks taken.
    fn follow_wanted_size(&self) {
        let mut feed = self.lock_model();
        self.catch_up(&mut feed);
        let mut state = self.lock();
        self.apply_size(&mut feed, &mut state);
    }

    /// When the last viewer left, if none is attached now.
    fn detached_since(&self) -> Option<Instant> {
        self.lock().detached_since
    }

    /// When the session last had input or output.
    fn last_activity(&self) -> Instant {
        self.lock().last_activity
    }

    /// Records the shell's exit status, collected by the registry's reaper.
    fn exited(&self, code: i32) {
        let mut state = self.lock();
        if state.exit_code.is_none() {
            state.exit_code = Some(code);
            drop(state);
            self.inner.exited.notify_one();
        }
    }

    fn exit_code(&self) -> Option<i32> {
        self.lock().exit_code
    }

    /// Why the session ended: the server's reason if it ended it, else the shell's own exit.
    fn end_cause(&self) -> EndCause {
        self.lock().ended_by.unwrap_or(EndCause::Exited)
    }

    /// Ends the session for `cause`: SIGHUP to its process group now, SIGKILL if it is still
    /// running after `grace`. Idempotent; the first cause is the one recorded.
    fn end(&self, cause: EndCause, grace: Duration) {
        let mut state = self.lock();
        if state.ended_by.is_some() || state.exit_code.is_some() {
            return;
        }
        state.ended_by = Some(cause);
        drop(state);
        signal_group(self.pid(), Hangup::Polite);
        let session = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            if session.exit_code().is_none() {
                signal_group(session.pid(), Hangup::Forced);
            }
        });
    }
}
