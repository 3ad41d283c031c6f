//! What happens to sessions, as typed events: opened, attached, detached, refused and closed.
//!
//! The registry and its sessions emit them; observers given to the registry when it is built
//! (the audit log and the metrics, wired in `lifecycle.rs`) turn them into records. Observers
//! run synchronously, outside every session lock, in the order events happen, and are never
//! dropped: an audit trail must not lose a line to a full channel.

use std::sync::Arc;
use std::time::Duration;

use super::SessionId;
use super::access::Role;
use super::error::SessionError;
use crate::auth::{ClientInfo, Identity};

/// Who asks for a session: the verified (or, with authentication off, anonymous) user and where
/// the request came from.
#[derive(Debug, Clone)]
pub(crate) struct Requester {
    /// The user.
    pub(crate) identity: Identity,
    /// Their address and user agent.
    pub(crate) client: ClientInfo,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndCause {
    /// The shell exited by itself (or closed its terminal).
    Exited,
    /// Nobody reattached within the grace period.
    GracePeriod,
    /// No input or output for the idle timeout.
    IdleTimeout,
    /// The server shut down.
    Shutdown,
    /// Its owner ended it (`DELETE /api/v1/sessions/{id}`).
    Owner,
}

impl EndCause {
    /// A stable label for logs and the audit log.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Exited => "exited",
            Self::GracePeriod => "grace_period",
            Self::IdleTimeout => "idle_timeout",
            Self::Shutdown => "shutdown",
            Self::Owner => "ended_by_owner",
        }
    }
}

/// Something that happened to a session.
#[derive(Debug)]
pub(crate) enum SessionEvent<'a> {
    /// A shell started for `by`, with its first viewer attached.
    Opened {
        /// The new session.
        session: &'a SessionId,
        /// Its owner.
        by: &'a Requester,
        /// The shell's process id.
        pid: i32,
    },
    /// A viewer attached to a live session.
    Attached {
        /// The session.
        session: &'a SessionId,
        /// Who attached.
        by: &'a Requester,
        /// What they may do there.
        role: Role,
    },
    /// The session's recording lost events or stopped early; the session went on.
    RecordingTruncated {
        /// The session.
        session: &'a SessionId,
        /// A stable label: `events_dropped`, `size_limit` or `write_failed`.
        reason: &'static str,
    },
    /// The owner shared the session with `subject` as `role`, or revoked its share (`None`).
    Shared {
        /// The session.
        session: &'a SessionId,
        /// The owner.
        by: &'a Requester,
        /// A normalised user or group entity ref.
        subject: &'a str,
        /// The role granted; `None` for a revocation.
        role: Option<Role>,
    },
    /// A file went between a browser and the session.
    Transferred {
        /// The session.
        session: &'a SessionId,
        /// Who moved it.
        by: &'a Requester,
        /// Which way.
        direction: Direction,
        /// Its name.
        name: &'a str,
        /// Its size.
        bytes: u64,
    },
    /// A viewer left (its connection ended).
    Detached {
        /// The session.
        session: &'a SessionId,
        /// Who left.
        by: &'a Requester,
    },
    /// A request to open or attach was refused.
    Refused {
        /// The session asked for, for an attach.
        session: Option<&'a str>,
        /// Who asked.
        by: &'a Requester,
        /// Why not.
        error: &'a SessionError,
    },
    /// The session ended: its shell has exited and its output is all delivered to the ring.
    Closed {
        /// The session.
        session: &'a SessionId,
        /// Who opened it.
        owner: &'a Requester,
        /// Why it ended.
        cause: EndCause,
        /// The shell's exit status (128 + the signal for a killed shell, -1 if unknown).
        exit_code: i32,
        /// How long it lived.
        lifetime: Duration,
    },
}

/// Which way a file went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From a browser into the session's current directory.
    Upload,
    /// A file the session offered, to a browser.
    Download,
}

/// Receives every session event.
pub(crate) type Observer = Box<dyn Fn(&SessionEvent<'_>) + Send + Sync>;

/// The observers of one registry, shared with its sessions.
#[derive(Clone)]
pub(crate) struct Events(Arc<[Observer]>);

impl Events {
    /// Events delivered to `observers`, in order.
    pub(crate) fn new(observers: Vec<Observer>) -> Self {
        Self(observers.into())
    }

    /// Hands `event` to every observer.
    pub(crate) fn emit(&self, event: &SessionEvent<'_>) {
        for observer in self.0.iter() {
            observer(event);
        }
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("observers", &self.0.len())
            .finish()
    }
}
