//! Terminal sessions: a shell on a PTY that outlives its connections.
//!
//! A [`Session`] owns the PTY, a [`ScrollbackRing`] of recent output and the state of its viewers.
//! Two tasks drive it: the *pump* copies PTY output into the ring, and the *input task* writes
//! viewers' keystrokes to the PTY. A [`Viewer`] is one connection's view: it reads output from the
//! ring at its own offset and sends input. The session knows nothing about WebSockets or JSON.
//!
//! Backpressure: the pump reads the PTY only while every viewer is less than one ring behind, so
//! a slow viewer makes the shell's writes block as on a real terminal, and memory per session is
//! the ring plus one chunk in flight per viewer. A viewer that holds the others up for longer
//! than [`SLOW_VIEWER_LIMIT`] is marked lagging and detached from the backpressure.

pub mod registry;
mod scrollback;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc, watch};

use crate::metrics::Metrics;
use crate::pty::{Hangup, Pty, signal_group, signal_leftover_group};
pub use registry::{SessionError, SessionRegistry};
pub use scrollback::ScrollbackRing;

/// How long one viewer may stall a session's other viewers before it is dropped.
pub const SLOW_VIEWER_LIMIT: Duration = Duration::from_secs(2);
/// Largest chunk read from the PTY or handed to a viewer at once.
pub const CHUNK: usize = 64 * 1024;
/// First size of a session's PTY read buffer.
const SMALL_READ: usize = 4 * 1024;
/// Input chunks queued per session before senders wait (each at most `max_message_bytes`).
const INPUT_QUEUE: usize = 8;
/// After SIGHUP, how long a session's processes get before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_secs(3);
/// After the shell exits, how long to wait for more output before calling the session done.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(100);

/// A session's id: 128 random bits as 32 lowercase hex characters.
pub type SessionId = String;

/// What viewers observe of a session's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// Offset one past the newest output byte.
    end: u64,
    /// The exit code, once the shell has exited and its output is all in the ring.
    finished: Option<i32>,
}

/// One viewer's place in the session, as the session sees it.
#[derive(Debug)]
struct ViewerState {
    id: u64,
    /// Offset of the next byte this viewer will take.
    cursor: u64,
    /// Its terminal size, once known.
    size: Option<(u16, u16)>,
    /// When it last typed, resized or attached: the most recent one's size wins.
    last_active: Instant,
    /// Detached from backpressure for holding others up; it must reattach.
    lagging: bool,
}

/// Mutable state behind one lock. A std mutex: it is never held across an await, and every
/// critical section is a few field updates or one memcpy.
#[derive(Debug)]
struct State {
    ring: ScrollbackRing,
    viewers: Vec<ViewerState>,
    next_viewer: u64,
    /// The size the PTY has now.
    size: (u16, u16),
    /// Last input or output, for the idle timeout.
    last_activity: Instant,
    /// When the last viewer left; `None` while any is attached.
    detached_since: Option<Instant>,
    /// The shell's exit code, once reaped.
    exit_code: Option<i32>,
    /// Set once SIGHUP has been sent, so termination happens once.
    hung_up: bool,
}

impl State {
    /// Bytes the pump may read before overwriting output a viewer has not taken.
    fn room(&self) -> usize {
        let capacity = self.ring.capacity();
        self.viewers
            .iter()
            .filter(|viewer| !viewer.lagging)
            .map(|viewer| capacity.saturating_sub((self.ring.end() - viewer.cursor) as usize))
            .min()
            .unwrap_or(capacity)
    }

    /// The size of the most recently active viewer that has one.
    fn wanted_size(&self) -> Option<(u16, u16)> {
        self.viewers
            .iter()
            .filter(|viewer| viewer.size.is_some())
            .max_by_key(|viewer| viewer.last_active)
            .and_then(|viewer| viewer.size)
    }

    fn viewer_mut(&mut self, id: u64) -> Option<&mut ViewerState> {
        self.viewers.iter_mut().find(|viewer| viewer.id == id)
    }
}

/// A shell session. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: SessionId,
    owner: String,
    started: Instant,
    pty: Pty,
    state: Mutex<State>,
    progress: watch::Sender<Progress>,
    /// Wakes the pump when a viewer takes output (room may have appeared) or leaves.
    room_freed: Notify,
    /// Wakes the pump when the shell has been reaped.
    exited: Notify,
    input: mpsc::Sender<Bytes>,
    metrics: Metrics,
}

impl Session {
    /// Starts the pump and input tasks of a freshly spawned `pty`.
    fn start(
        id: SessionId,
        owner: String,
        pty: Pty,
        size: (u16, u16),
        scrollback_bytes: usize,
        metrics: Metrics,
    ) -> Self {
        let (input, input_queue) = mpsc::channel(INPUT_QUEUE);
        let now = Instant::now();
        let session = Self {
            inner: Arc::new(Inner {
                id,
                owner,
                started: now,
                pty,
                state: Mutex::new(State {
                    ring: ScrollbackRing::new(scrollback_bytes),
                    viewers: Vec::new(),
                    next_viewer: 0,
                    size,
                    last_activity: now,
                    detached_since: Some(now),
                    exit_code: None,
                    hung_up: false,
                }),
                progress: watch::Sender::new(Progress {
                    end: 0,
                    finished: None,
                }),
                room_freed: Notify::new(),
                exited: Notify::new(),
                input,
                metrics,
            }),
        };
        tokio::spawn(session.clone().pump());
        tokio::spawn(session.clone().write_input(input_queue));
        session
    }

    /// The session's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The user the session belongs to.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// The shell's process group id.
    pub fn pid(&self) -> i32 {
        self.inner.pty.pid()
    }

    /// Time since the session started.
    pub fn age(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Whether the shell has exited and its output is all in the ring.
    pub fn is_finished(&self) -> bool {
        self.inner.progress.borrow().finished.is_some()
    }

    /// Waits until the shell has exited and its output is all in the ring; returns the exit code.
    pub async fn finished(&self) -> i32 {
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

    /// Adds a viewer that will see the retained output first, then live output.
    pub fn attach(&self, size: Option<(u16, u16)>) -> Viewer {
        let mut state = self.lock();
        let id = state.next_viewer;
        state.next_viewer += 1;
        let cursor = state.ring.start();
        state.viewers.push(ViewerState {
            id,
            cursor,
            size,
            last_active: Instant::now(),
            lagging: false,
        });
        state.detached_since = None;
        self.apply_size(&mut state);
        drop(state);
        Viewer {
            session: self.clone(),
            id,
            cursor,
            progress: self.inner.progress.subscribe(),
        }
    }

    /// Resizes the PTY to the most recently active viewer's size, if that changed it.
    fn apply_size(&self, state: &mut State) {
        if let Some(size) = state.wanted_size()
            && size != state.size
        {
            state.size = size;
            if let Err(error) = self.inner.pty.resize(size.0, size.1) {
                tracing::warn!(session_id = %self.inner.id, %error, "resizing the PTY failed");
            }
        }
    }

    /// When the last viewer left, if none is attached now.
    pub fn detached_since(&self) -> Option<Instant> {
        self.lock().detached_since
    }

    /// When the session last had input or output.
    pub fn last_activity(&self) -> Instant {
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

    /// Ends the session: SIGHUP to its process group now, SIGKILL if it is still running after
    /// `grace`. Idempotent.
    pub fn hang_up(&self, grace: Duration) {
        let mut state = self.lock();
        if state.hung_up || state.exit_code.is_some() {
            return;
        }
        state.hung_up = true;
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

    /// Copies PTY output into the ring until the shell is gone.
    async fn pump(self) {
        // Idle sessions are the common case: start with a small buffer and grow to CHUNK only
        // once a read fills it, so a thousand quiet shells do not pin 64 KiB each.
        let mut buf = vec![0u8; SMALL_READ];
        let mut shell_exited = false;
        loop {
            let room = self.lock().room();
            if room == 0 {
                if tokio::time::timeout(SLOW_VIEWER_LIMIT, self.inner.room_freed.notified())
                    .await
                    .is_err()
                {
                    self.drop_laggards();
                }
                continue;
            }
            let want = room.min(buf.len());
            let read = self.inner.pty.read(&mut buf[..want]);
            let result = if shell_exited {
                // The shell is gone; take what is buffered, but a background job holding the
                // PTY open must not keep the session alive.
                match tokio::time::timeout(DRAIN_AFTER_EXIT, read).await {
                    Ok(result) => result,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    result = read => result,
                    () = self.inner.exited.notified() => {
                        shell_exited = true;
                        continue;
                    }
                }
            };
            match result {
                Ok(0) => break,
                Ok(count) => {
                    self.push_output(&buf[..count]);
                    if count == buf.len() && buf.len() < CHUNK {
                        buf.resize(CHUNK, 0);
                    }
                }
                Err(error) => {
                    tracing::debug!(session_id = %self.inner.id, %error, "PTY read failed");
                    break;
                }
            }
        }
        // Every slave fd is closed or the shell exited: wait for its status, then finish. A shell
        // that closed its terminal but lives on gets hung up on.
        if !shell_exited
            && self.exit_code().is_none()
            && tokio::time::timeout(HANGUP_GRACE, self.inner.exited.notified())
                .await
                .is_err()
        {
            self.hang_up(HANGUP_GRACE);
            self.inner.exited.notified().await;
        }
        let code = self.exit_code().unwrap_or(-1);
        // Background jobs of the shell go with it. The shell has been reaped, so its pid may be
        // reused by then: signal_leftover_group refuses to signal a stranger's group.
        signal_leftover_group(self.pid(), Hangup::Polite);
        let pid = self.pid();
        tokio::spawn(async move {
            tokio::time::sleep(HANGUP_GRACE).await;
            signal_leftover_group(pid, Hangup::Forced);
        });
        self.inner
            .progress
            .send_modify(|progress| progress.finished = Some(code));
    }

    fn push_output(&self, bytes: &[u8]) {
        let mut state = self.lock();
        state.ring.push(bytes);
        state.last_activity = Instant::now();
        let end = state.ring.end();
        drop(state);
        self.inner.metrics.bytes_out(bytes.len());
        self.inner
            .progress
            .send_modify(|progress| progress.end = end);
    }

    /// The pump has waited too long for room: detach the viewers that hold it up, unless every
    /// viewer is that slow, in which case the shell simply waits (real backpressure).
    fn drop_laggards(&self) {
        let mut state = self.lock();
        let capacity = state.ring.capacity() as u64;
        let end = state.ring.end();
        let active = state
            .viewers
            .iter()
            .filter(|viewer| !viewer.lagging)
            .count();
        let blocking = state
            .viewers
            .iter()
            .filter(|viewer| !viewer.lagging && end - viewer.cursor >= capacity)
            .count();
        if blocking == 0 || blocking == active {
            return;
        }
        for viewer in &mut state.viewers {
            if end - viewer.cursor >= capacity {
                viewer.lagging = true;
            }
        }
        drop(state);
        // Wake the lagging viewers so they notice.
        self.inner.progress.send_modify(|_| {});
    }

    /// Writes queued input to the PTY until the session finishes.
    async fn write_input(self, mut queue: mpsc::Receiver<Bytes>) {
        let mut progress = self.inner.progress.subscribe();
        loop {
            let chunk = tokio::select! {
                chunk = queue.recv() => chunk,
                _ = progress.wait_for(|progress| progress.finished.is_some()) => None,
            };
            let Some(chunk) = chunk else { return };
            if let Err(error) = self.inner.pty.write_all(&chunk).await {
                tracing::debug!(session_id = %self.inner.id, %error, "PTY write failed");
                return;
            }
        }
    }
}

/// What a viewer gets next.
#[derive(Debug, PartialEq, Eq)]
pub enum ViewerEvent {
    /// Output bytes, in order.
    Output(Vec<u8>),
    /// The shell exited with this code; there is no more output.
    Finished(i32),
    /// This viewer fell too far behind and must reattach.
    Lagged,
}

/// One connection's view of a session. Dropping it detaches.
#[derive(Debug)]
pub struct Viewer {
    session: Session,
    id: u64,
    cursor: u64,
    progress: watch::Receiver<Progress>,
}

impl Viewer {
    /// The session this viewer is attached to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Waits for the next output chunk (at most [`CHUNK`] bytes), the end, or a lag.
    pub async fn next_event(&mut self) -> ViewerEvent {
        loop {
            let finished = self.progress.borrow_and_update().finished;
            {
                let mut state = self.session.lock();
                let ring = &state.ring;
                let chunk = ring.read_from(self.cursor, CHUNK);
                let Some(viewer) = state.viewer_mut(self.id) else {
                    return ViewerEvent::Lagged;
                };
                if viewer.lagging {
                    return ViewerEvent::Lagged;
                }
                match chunk {
                    Err(_) => {
                        viewer.lagging = true;
                        return ViewerEvent::Lagged;
                    }
                    Ok(chunk) if !chunk.is_empty() => {
                        self.cursor += chunk.len() as u64;
                        viewer.cursor = self.cursor;
                        drop(state);
                        self.session.inner.room_freed.notify_one();
                        return ViewerEvent::Output(chunk);
                    }
                    Ok(_) => {}
                }
            }
            if let Some(code) = finished {
                return ViewerEvent::Finished(code);
            }
            if self.progress.changed().await.is_err() {
                return ViewerEvent::Finished(-1);
            }
        }
    }

    /// A handle for this viewer's input, usable while output is being awaited.
    pub fn input(&self) -> ViewerInput {
        ViewerInput {
            session: self.session.clone(),
            id: self.id,
        }
    }
}

/// The input side of a [`Viewer`]: keystrokes and resizes.
#[derive(Debug, Clone)]
pub struct ViewerInput {
    session: Session,
    id: u64,
}

impl ViewerInput {
    /// Queues input for the shell, waiting while the session's input queue is full. Returns
    /// `false` once the session no longer takes input.
    pub async fn send(&self, bytes: Bytes) -> bool {
        self.session.inner.metrics.bytes_in(bytes.len());
        self.touch(None);
        self.session.inner.input.send(bytes).await.is_ok()
    }

    /// Records this viewer's new size; the PTY follows if this viewer is the most recent.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.touch(Some((cols, rows)));
    }

    fn touch(&self, size: Option<(u16, u16)>) {
        let mut state = self.session.lock();
        let now = Instant::now();
        state.last_activity = now;
        if let Some(viewer) = state.viewer_mut(self.id) {
            viewer.last_active = now;
            if size.is_some() {
                viewer.size = size;
            }
        }
        self.session.apply_size(&mut state);
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let mut state = self.session.lock();
        state.viewers.retain(|viewer| viewer.id != self.id);
        if state.viewers.is_empty() {
            state.detached_since = Some(Instant::now());
        }
        self.session.apply_size(&mut state);
        drop(state);
        self.session.inner.room_freed.notify_one();
    }
}
