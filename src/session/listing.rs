//! What the session API shows and changes of a live session: its summary (for the list), its
//! name, and ending it at its owner's request. The rules about who may do what are here, next to
//! the data; `web/` only translates.

use std::time::{Duration, Instant, SystemTime};

use super::events::{EndCause, Requester};
use super::{Session, SessionId};

/// Longest session name, in characters.
pub(crate) const MAX_NAME: usize = 64;

/// A live session as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionSummary {
    pub(crate) id: SessionId,
    /// The user it belongs to.
    pub(crate) owner: String,
    /// What the requester may do with it: `owner` for now (sharing adds `write` and `view`).
    pub(crate) role: Role,
    /// Set by its owner; empty until then.
    pub(crate) name: String,
    pub(crate) created: SystemTime,
    /// Last input or output.
    pub(crate) last_activity: SystemTime,
    /// Connections attached now.
    pub(crate) viewers: usize,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
}

/// What a user may do with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Opened it: may attach, type, rename and end it.
    Owner,
}

impl Role {
    /// Its name in the API and the protocol.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Owner => "owner",
        }
    }
}

/// A session name, checked: at most [`MAX_NAME`] characters, no control characters, surrounding
/// white space trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionName(String);

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid session name: {0}")]
pub(crate) struct InvalidName(&'static str);

impl SessionName {
    pub(crate) fn parse(name: &str) -> Result<Self, InvalidName> {
        let name = name.trim();
        if name.chars().count() > MAX_NAME {
            return Err(InvalidName("at most 64 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidName("no control characters"));
        }
        Ok(Self(name.to_owned()))
    }
}

impl Session {
    /// Whether `by` owns this session.
    pub(super) fn is_owned_by(&self, by: &Requester) -> bool {
        self.owner_user() == by.identity.user
    }

    /// The session as the list shows it to `role`.
    pub(super) fn summary(&self, role: Role) -> SessionSummary {
        let state = self.lock();
        let (now, wall_now) = (Instant::now(), SystemTime::now());
        let wall = |at: Instant| wall_now - now.saturating_duration_since(at);
        SessionSummary {
            id: self.id().clone(),
            owner: self.owner_user().to_owned(),
            role,
            name: state.name.clone(),
            created: self.inner.created,
            last_activity: wall(state.last_activity),
            viewers: state.viewer_count(),
            cols: state.size.0,
            rows: state.size.1,
        }
    }

    pub(super) fn rename(&self, name: SessionName) {
        self.lock().name = name.0;
    }

    /// Ends the session because its owner asked: SIGHUP now, SIGKILL after `grace`.
    pub(super) fn end_for_owner(&self, grace: Duration) {
        self.end(EndCause::Owner, grace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(
            SessionName::parse("  build box "),
            Ok(SessionName("build box".into()))
        );
        assert_eq!(SessionName::parse(""), Ok(SessionName(String::new())));
        assert_eq!(
            SessionName::parse(&"é".repeat(64)).map(|name| name.0.chars().count()),
            Ok(64)
        );
        assert_eq!(
            SessionName::parse(&"x".repeat(65)),
            Err(InvalidName("at most 64 characters"))
        );
        assert_eq!(
            SessionName::parse("a\u{1b}[31mb"),
            Err(InvalidName("no control characters"))
        );
    }
}
