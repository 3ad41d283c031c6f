//! What the session API shows and changes of a live session: its summary (for the list, with
//! who is watching it now), its name, its shares, and ending it at its owner's request; and who
//! may do what in it (the owner's and the shares' roles). The rules are here, next to the data;
//! `web/` only translates.

use std::time::{Duration, Instant, SystemTime};

use super::access::{Role, Share, role_in};
use super::events::EndCause;
use super::state::State;
use super::{Session, SessionId};
use crate::auth::Identity;

/// Longest session name, in characters.
pub(crate) const MAX_NAME: usize = 64;

/// A live session as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionSummary {
    pub(crate) id: SessionId,
    /// The user it belongs to.
    pub(crate) owner: String,
    /// What the requester may do with it.
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
    /// Who else may attach, and how; shown to the owner only (empty for everyone else).
    pub(crate) shares: Vec<Share>,
    /// Who is watching now, one entry per user and role; see [`Watcher`].
    pub(crate) watchers: Vec<Watcher>,
    /// The session is recorded and the requester may replay it (its owner; auditors find every
    /// recording in the recordings list).
    pub(crate) recording: bool,
}

/// A user attached to a session now, with how many connections. Everyone who may reach the
/// session sees who watches it (being watched is not a secret from the watched); the roles are
/// the owner's business, like the shares, so only the owner sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watcher {
    /// Their entity ref.
    pub(crate) user: String,
    /// What they may do; `None` unless the requester owns the session.
    pub(crate) role: Option<Role>,
    /// Their connections attached now (several tabs or devices count once each).
    pub(crate) connections: usize,
}

/// The attached connections `attached` (user and role each) as one [`Watcher`] per user and
/// role, the most powerful first, then by user; roles kept only when `with_roles`.
fn watchers<'a>(attached: impl Iterator<Item = (&'a str, Role)>, with_roles: bool) -> Vec<Watcher> {
    let mut counted: Vec<(Role, &str, usize)> = Vec::new();
    for (user, role) in attached {
        match counted
            .iter_mut()
            .find(|(seen_role, seen_user, _)| *seen_user == user && *seen_role == role)
        {
            Some((_, _, connections)) => *connections += 1,
            None => counted.push((role, user, 1)),
        }
    }
    counted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut watchers: Vec<Watcher> = Vec::new();
    for (role, user, connections) in counted {
        // Without roles, one user attached with two roles (a share changed) is one watcher.
        if !with_roles && let Some(seen) = watchers.iter_mut().find(|seen| seen.user == user) {
            seen.connections += connections;
            continue;
        }
        watchers.push(Watcher {
            user: user.to_owned(),
            role: with_roles.then_some(role),
            connections,
        });
    }
    watchers
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
    /// What `identity` may do in this session: owner, or the best role a share gives the user
    /// or one of their groups; `None` when nothing does.
    pub(super) fn role_for(&self, identity: &Identity) -> Option<Role> {
        if self.owner_user() == identity.user {
            return Some(Role::Owner);
        }
        role_in(&self.lock().shares, identity)
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
            shares: if role == Role::Owner {
                state.shares.clone()
            } else {
                Vec::new()
            },
            watchers: watchers(state.attached(), role == Role::Owner),
            recording: role == Role::Owner && self.inner.recorder.is_some(),
        }
    }

    /// Shares the session with `subject` as `role`, replacing an earlier share with it. Viewers
    /// whose role this lowers are cut off.
    pub(super) fn share(&self, subject: String, role: Role) {
        let mut state = self.lock();
        state.shares.retain(|share| share.subject != subject);
        state.shares.push(Share { subject, role });
        self.cut_off_changed_viewers(&mut state);
    }

    /// Revokes the share with `subject`; `false` if there was none. Viewers attached through
    /// it (whose role it changes) are cut off at once.
    pub(super) fn unshare(&self, subject: &str) -> bool {
        let mut state = self.lock();
        let before = state.shares.len();
        state.shares.retain(|share| share.subject != subject);
        let found = state.shares.len() != before;
        self.cut_off_changed_viewers(&mut state);
        found
    }

    /// Marks revoked every viewer whose role the shares no longer give it, and wakes them.
    fn cut_off_changed_viewers(&self, state: &mut State) {
        let owner = self.owner_user().to_owned();
        let shares = state.shares.clone();
        let changed = state.revoke_viewers(|identity, role| {
            let now = if identity.user == owner {
                Some(Role::Owner)
            } else {
                role_in(&shares, identity)
            };
            now != Some(role)
        });
        if changed {
            self.inner.progress.send_modify(|_| {});
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
    fn watchers_are_one_per_user_and_role_with_their_connections() {
        let attached = [
            ("user:default/bob", Role::View),
            ("user:default/alice", Role::Owner),
            ("user:default/bob", Role::View),
            ("user:default/carol", Role::Write),
            ("user:default/alice", Role::Owner),
            ("user:default/bob", Role::Write),
        ];
        let watcher = |user: &str, role, connections| Watcher {
            user: user.to_owned(),
            role,
            connections,
        };
        assert_eq!(
            watchers(attached.into_iter(), true),
            [
                watcher("user:default/alice", Some(Role::Owner), 2),
                watcher("user:default/bob", Some(Role::Write), 1),
                watcher("user:default/carol", Some(Role::Write), 1),
                watcher("user:default/bob", Some(Role::View), 2),
            ]
        );
        assert_eq!(
            watchers(attached.into_iter(), false),
            [
                watcher("user:default/alice", None, 2),
                watcher("user:default/bob", None, 3),
                watcher("user:default/carol", None, 1),
            ],
            "without roles a user is listed once"
        );
        assert!(watchers(std::iter::empty(), true).is_empty());
    }

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
