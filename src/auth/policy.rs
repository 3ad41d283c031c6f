//! Who may have a terminal: deny lists first, then allow lists, everyone else refused.

use std::collections::BTreeSet;

use super::config::AuthorizationConfig;
use super::identity::{DefaultKind, Identity, normalize_ref};

/// The allow and deny lists, normalised once at start-up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    allowed_users: BTreeSet<String>,
    allowed_groups: BTreeSet<String>,
    deny_users: BTreeSet<String>,
    deny_groups: BTreeSet<String>,
}

/// The outcome of [`Policy::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Listed in `allowed_users`.
    AllowedUser,
    /// A member of this group in `allowed_groups`.
    AllowedGroup(String),
    /// Refused, for this reason.
    Denied(DenyReason),
}

/// Why a verified user is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// Listed in `deny_users`.
    DeniedUser,
    /// A member of this group in `deny_groups`.
    DeniedGroup(String),
    /// Allow lists exist but do not name the user or any of their groups.
    NotAllowed,
    /// Both allow lists are empty: nobody is allowed.
    NoAllowRules,
}

impl DenyReason {
    /// A stable label for metrics and the audit log.
    pub fn label(&self) -> &'static str {
        match self {
            Self::DeniedUser => "deny_user",
            Self::DeniedGroup(_) => "deny_group",
            Self::NotAllowed => "not_allowed",
            Self::NoAllowRules => "no_allow_rules",
        }
    }
}

impl Policy {
    /// The policy of `config`, every entry normalised as an entity ref.
    pub(crate) fn new(config: &AuthorizationConfig) -> Self {
        let set = |entries: &[String], kind| {
            entries
                .iter()
                .map(|entry| normalize_ref(entry, kind))
                .collect()
        };
        Self {
            allowed_users: set(&config.allowed_users, DefaultKind::User),
            allowed_groups: set(&config.allowed_groups, DefaultKind::Group),
            deny_users: set(&config.deny_users, DefaultKind::User),
            deny_groups: set(&config.deny_groups, DefaultKind::Group),
        }
    }

    /// Decides for `identity`, whose user and groups are already normalised.
    pub(crate) fn decide(&self, identity: &Identity) -> Decision {
        if self.deny_users.contains(&identity.user) {
            return Decision::Denied(DenyReason::DeniedUser);
        }
        if let Some(group) = identity
            .groups
            .iter()
            .find(|group| self.deny_groups.contains(*group))
        {
            return Decision::Denied(DenyReason::DeniedGroup(group.clone()));
        }
        if self.allowed_users.is_empty() && self.allowed_groups.is_empty() {
            return Decision::Denied(DenyReason::NoAllowRules);
        }
        if self.allowed_users.contains(&identity.user) {
            return Decision::AllowedUser;
        }
        match identity
            .groups
            .iter()
            .find(|group| self.allowed_groups.contains(*group))
        {
            Some(group) => Decision::AllowedGroup(group.clone()),
            None => Decision::Denied(DenyReason::NotAllowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(
        allow_users: &[&str],
        allow_groups: &[&str],
        deny_users: &[&str],
        deny_groups: &[&str],
    ) -> Policy {
        let list = |items: &[&str]| items.iter().map(|item| item.to_string()).collect();
        Policy::new(&AuthorizationConfig {
            allowed_users: list(allow_users),
            allowed_groups: list(allow_groups),
            deny_users: list(deny_users),
            deny_groups: list(deny_groups),
        })
    }

    fn who(user: &str, groups: &[&str]) -> Identity {
        Identity {
            user: normalize_ref(user, DefaultKind::User),
            groups: super::super::identity::normalize_groups(groups.iter().copied()),
            provider: "test".into(),
        }
    }

    #[test]
    fn deny_beats_allow() {
        let policy = policy(
            &["user:default/admin"],
            &["platform-team"],
            &["mallory"],
            &["group:default/contractors"],
        );
        assert_eq!(
            policy.decide(&who("admin", &["contractors"])),
            Decision::Denied(DenyReason::DeniedGroup("group:default/contractors".into()))
        );
        assert_eq!(
            policy.decide(&who("Mallory", &["platform-team"])),
            Decision::Denied(DenyReason::DeniedUser)
        );
    }

    #[test]
    fn allowed_by_user_or_group_else_refused() {
        let policy = policy(
            &["User:Default/Admin"],
            &["group:default/platform-team"],
            &[],
            &[],
        );
        assert_eq!(
            policy.decide(&who("user:default/admin", &[])),
            Decision::AllowedUser
        );
        assert_eq!(
            policy.decide(&who("bob", &["Platform-Team", "other"])),
            Decision::AllowedGroup("group:default/platform-team".into())
        );
        assert_eq!(
            policy.decide(&who("bob", &["other"])),
            Decision::Denied(DenyReason::NotAllowed)
        );
        // A group with the user's name does not make them that user.
        assert_eq!(
            policy.decide(&who("bob", &["admin"])),
            Decision::Denied(DenyReason::NotAllowed)
        );
    }

    #[test]
    fn empty_allow_lists_refuse_everyone() {
        let policy = policy(&[], &[], &[], &["contractors"]);
        assert_eq!(
            policy.decide(&who("admin", &["platform-team"])),
            Decision::Denied(DenyReason::NoAllowRules)
        );
    }
}
