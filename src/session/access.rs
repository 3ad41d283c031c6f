//! Who may do what in a session: the roles (view, write, owner) and the shares that grant them
//! to users and groups.

use crate::auth::Identity;

/// A session shared with a user or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    /// A normalised entity ref: `user:default/bob` or `group:default/ops`.
    pub(crate) subject: String,
    /// `Write` or `View`, never `Owner`.
    pub(crate) role: Role,
}

/// What a user may do with a session, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    /// Watches: input and resizes are dropped, and its size never applies.
    View,
    /// Types and resizes as the owner does, but cannot rename, share or end the session.
    Write,
    /// Opened it: may also rename, share and end it.
    Owner,
}

impl Role {
    /// Its name in the API and the protocol.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Write => "write",
            Self::Owner => "owner",
        }
    }

    /// A role a share may grant: `view` or `write`.
    pub(crate) fn of_share(label: &str) -> Option<Self> {
        match label {
            "view" => Some(Self::View),
            "write" => Some(Self::Write),
            _ => None,
        }
    }

    /// Whether its input and size reach the shell.
    pub(crate) fn may_type(self) -> bool {
        self != Self::View
    }
}

/// The best role `shares` give `identity` (as a user or through a group).
pub(super) fn role_in(shares: &[Share], identity: &Identity) -> Option<Role> {
    shares
        .iter()
        .filter(|share| share.subject == identity.user || identity.groups.contains(&share.subject))
        .map(|share| share.role)
        .max()
}

/// Whether `identity` may replay a recording that belongs to `owner`: its owner, or a member of
/// one of the `auditors` groups (normalised entity refs). A share never gives it: a share lets
/// someone watch from now on, not see what happened before they were let in.
pub(super) fn may_replay(owner: &str, identity: &Identity, auditors: &[String]) -> bool {
    owner == identity.user || identity.groups.iter().any(|group| auditors.contains(group))
}
