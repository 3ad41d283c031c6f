//! One connection's view of a session: output from the ring at its own offset, input and
//! resizes to the shell. Dropping the [`Viewer`] detaches it.

use std::ops::Range;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;

use super::access::Role;
use super::state::Take;
use super::{CHUNK, Progress, Requester, Session, SessionEvent};
use crate::terminal::Snapshot;

/// What a viewer gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ViewerEvent {
    /// Escape sequences that put a fresh terminal into the session's current state: always the
    /// first event after its size, and again (after its size) when a viewer that can resync fell
    /// behind. Output continues right after it.
    Snapshot(Vec<u8>),
    /// Output bytes, in order.
    Output(Vec<u8>),
    /// What follows (a snapshot, or output) is for a terminal of these columns and rows: sent
    /// before every snapshot, and where the session was resized, between the output before and
    /// the output after.
    Resized(u16, u16),
    /// The shell exited with this code; there is no more output.
    Finished(i32),
    /// This viewer fell too far behind and cannot take a snapshot: it must reattach.
    Lagged,
    /// The share this viewer attached through was revoked or changed: it must go.
    Revoked,
}

/// What became of a viewer's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputOutcome {
    /// Queued for the shell.
    Sent,
    /// Dropped: this viewer may only watch.
    ReadOnly,
    /// The session takes no more input (it is finishing).
    Closed,
}

/// One connection's view of a session. Dropping it detaches.
#[derive(Debug)]
pub(crate) struct Viewer {
    session: Session,
    id: u64,
    /// Who is watching, for the `Detached` event.
    by: Requester,
    /// What they may do.
    role: Role,
    /// Whether it takes a fresh snapshot when it falls behind.
    resync: bool,
    /// The snapshot it starts with (or resyncs with), until taken.
    snapshot: Option<Vec<u8>>,
    /// The size that snapshot is drawn at, until told.
    snapshot_size: Option<(u16, u16)>,
    /// Which bytes of that snapshot draw the screen alone, if it has history.
    snapshot_screen: Option<Range<usize>>,
    progress: watch::Receiver<Progress>,
}

impl Viewer {
    pub(super) fn new(
        session: Session,
        id: u64,
        by: Requester,
        role: Role,
        resync: bool,
        (snapshot, size): (Snapshot, (u16, u16)),
        progress: watch::Receiver<Progress>,
    ) -> Self {
        Self {
            session,
            id,
            by,
            role,
            resync,
            snapshot: Some(snapshot.bytes),
            snapshot_size: Some(size),
            snapshot_screen: snapshot.screen,
            progress,
        }
    }

    /// The session this viewer is attached to.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// Which bytes of the snapshot this viewer starts with draw the screen alone (without the
    /// history), if it has history: the client may draw them first (`opened`'s `screen`).
    pub(crate) fn snapshot_screen(&self) -> Option<Range<usize>> {
        self.snapshot_screen.clone()
    }

    /// What this viewer may do in the session.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// Waits for the next event: the snapshot's size, the snapshot, an output chunk (at most
    /// [`CHUNK`] bytes) or a new size, the end, or a lag.
    pub(crate) async fn next_event(&mut self) -> ViewerEvent {
        if let Some((cols, rows)) = self.snapshot_size.take() {
            return ViewerEvent::Resized(cols, rows);
        }
        if let Some(snapshot) = self.snapshot.take() {
            return ViewerEvent::Snapshot(snapshot);
        }
        loop {
            let finished = self.progress.borrow_and_update().finished;
            let taken = {
                let mut state = self.session.lock();
                if state.is_revoked(self.id) {
                    return ViewerEvent::Revoked;
                }
                state.take(self.id, CHUNK)
            };
            match taken {
                Take::Output(bytes) => {
                    self.session.inner.room_freed.notify_one();
                    return ViewerEvent::Output(bytes);
                }
                Take::Resized((cols, rows)) => return ViewerEvent::Resized(cols, rows),
                Take::Lagged if self.resync => {
                    let (snapshot, (cols, rows)) = self.session.resync(self.id);
                    self.session.inner.room_freed.notify_one();
                    self.snapshot = Some(snapshot);
                    return ViewerEvent::Resized(cols, rows);
                }
                Take::Lagged => return ViewerEvent::Lagged,
                Take::Nothing => {}
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
    pub(crate) fn input(&self) -> ViewerInput {
        ViewerInput {
            session: self.session.clone(),
            id: self.id,
            role: self.role,
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let resize_owed = {
            let mut state = self.session.lock();
            state.remove_viewer(self.id, Instant::now());
            state
                .wanted_size()
                .is_some_and(|wanted| wanted != state.size)
        };
        if resize_owed {
            self.session.follow_wanted_size();
        }
        self.session.inner.room_freed.notify_one();
        self.session.inner.events.emit(&SessionEvent::Detached {
            session: self.session.id(),
            by: &self.by,
        });
    }
}

/// The input side of a [`Viewer`]: keystrokes and resizes.
#[derive(Debug, Clone)]
pub(crate) struct ViewerInput {
    session: Session,
    id: u64,
    role: Role,
}

impl ViewerInput {
    /// Queues input for the shell, waiting while the session's input queue is full; a viewer
    /// that may only watch has its input dropped.
    pub(crate) async fn send(&self, bytes: Bytes) -> InputOutcome {
        if !self.role.may_type() {
            return InputOutcome::ReadOnly;
        }
        self.session.inner.metrics.bytes_in(bytes.len());
        self.touch(None);
        match self.session.inner.input.send(bytes).await {
            Ok(()) => InputOutcome::Sent,
            Err(_) => InputOutcome::Closed,
        }
    }

    /// Records this viewer's new size; the PTY follows if this viewer is the most recent. A
    /// viewer that may only watch has no say: `ReadOnly`.
    pub(crate) fn resize(&self, cols: u16, rows: u16) -> InputOutcome {
        if !self.role.may_type() {
            return InputOutcome::ReadOnly;
        }
        self.touch(Some((cols, rows)));
        InputOutcome::Sent
    }

    fn touch(&self, size: Option<(u16, u16)>) {
        let mut state = self.session.lock();
        state.touch(self.id, size, Instant::now());
        if state
            .wanted_size()
            .is_none_or(|wanted| wanted == state.size)
        {
            // The usual keystroke: no resize, so no need to wait for the model.
            return;
        }
        drop(state);
        self.session.follow_wanted_size();
    }
}
