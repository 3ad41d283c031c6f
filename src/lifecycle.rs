//! What the server records about sessions: each [`SessionEvent`] becomes a log line, an audit
//! record and metrics, here and nowhere else.

use crate::auth::{AuditEvent, AuditLog, Record};
use crate::metrics::{AuthResult, Metrics, SessionOutcome};
use crate::session::{Direction, Observer, Role, SessionError, SessionEvent};

/// The observer the registry reports to: logs, the audit log (when enabled) and the metrics.
pub(crate) fn observer(audit: Option<AuditLog>, metrics: Metrics) -> Observer {
    Box::new(move |event| record(event, audit.as_ref(), &metrics))
}

fn record(event: &SessionEvent<'_>, audit: Option<&AuditLog>, metrics: &Metrics) {
    let audit = |event, record| {
        if let Some(audit) = audit {
            audit.record(event, record);
        }
    };
    match *event {
        SessionEvent::Opened { session, by, pid } => {
            tracing::info!(session_id = %session, user = by.identity.user, pid, "session opened");
            metrics.session_opened();
            audit(
                AuditEvent::SessionOpen,
                Record {
                    identity: Some(&by.identity),
                    session_id: Some(session.as_str()),
                    client: Some(&by.client),
                    ..Record::default()
                },
            );
        }
        SessionEvent::Attached { session, by, .. } | SessionEvent::Detached { session, by } => {
            let role = match event {
                SessionEvent::Attached { role, .. } => Some(role.label()),
                _ => None,
            };
            let attached = role.is_some();
            tracing::debug!(session_id = %session, user = by.identity.user, attached, "viewer");
            audit(
                if attached {
                    AuditEvent::SessionAttach
                } else {
                    AuditEvent::SessionDetach
                },
                Record {
                    identity: Some(&by.identity),
                    session_id: Some(session.as_str()),
                    client: Some(&by.client),
                    role,
                    ..Record::default()
                },
            );
        }
        SessionEvent::RecordingTruncated { session, reason } => audit(
            AuditEvent::RecordingTruncated,
            Record {
                session_id: Some(session.as_str()),
                reason: Some(reason),
                ..Record::default()
            },
        ),
        SessionEvent::Shared {
            session,
            by,
            subject,
            role,
        } => {
            tracing::info!(session_id = %session, user = by.identity.user, subject, role = role.map(Role::label), "share");
            audit(
                if role.is_some() {
                    AuditEvent::SessionShare
                } else {
                    AuditEvent::SessionUnshare
                },
                Record {
                    identity: Some(&by.identity),
                    session_id: Some(session.as_str()),
                    client: Some(&by.client),
                    subject: Some(subject),
                    role: role.map(Role::label),
                    ..Record::default()
                },
            );
        }
        SessionEvent::Transferred {
            session,
            by,
            direction,
            name,
            bytes,
        } => {
            let (event, what) = match direction {
                Direction::Upload => (AuditEvent::FileUpload, "upload"),
                Direction::Download => (AuditEvent::FileDownload, "download"),
            };
            tracing::info!(session_id = %session, user = by.identity.user, file = name, bytes, "{what}");
            audit(
                event,
                Record {
                    identity: Some(&by.identity),
                    session_id: Some(session.as_str()),
                    client: Some(&by.client),
                    file: Some(name),
                    bytes: Some(bytes),
                    ..Record::default()
                },
            );
        }
        SessionEvent::Refused { session, by, error } => match error {
            SessionError::ServerLimit(_) | SessionError::UserLimit(_) => {
                tracing::warn!(%error, user = by.identity.user, "session refused");
                metrics.session_refused();
            }
            SessionError::NotOwner => {
                const REASON: &str = "not_owner";
                tracing::warn!(
                    session_id = session,
                    user = by.identity.user,
                    "another user's session"
                );
                metrics.auth_result(AuthResult::Denied, REASON);
                audit(
                    AuditEvent::AccessDenied,
                    Record {
                        identity: Some(&by.identity),
                        session_id: session,
                        client: Some(&by.client),
                        reason: Some(REASON),
                        ..Record::default()
                    },
                );
            }
            SessionError::Workspace(_) | SessionError::Spawn(_) => {
                tracing::error!(%error, user = by.identity.user, "could not start a session");
                metrics.session_start_failed();
            }
            SessionError::Unknown | SessionError::Draining | SessionError::ReadOnly => {}
        },
        SessionEvent::Closed {
            session,
            owner,
            cause,
            exit_code,
            lifetime,
        } => {
            tracing::info!(
                session_id = %session,
                user = owner.identity.user,
                code = exit_code,
                reason = cause.label(),
                "session closed"
            );
            let outcome = if exit_code == 0 {
                SessionOutcome::Exited
            } else {
                SessionOutcome::Failed
            };
            metrics.session_closed(outcome, lifetime);
            audit(
                AuditEvent::SessionClose,
                Record {
                    identity: Some(&owner.identity),
                    session_id: Some(session.as_str()),
                    client: Some(&owner.client),
                    reason: Some(cause.label()),
                    exit_code: Some(exit_code),
                    duration: Some(lifetime),
                    ..Record::default()
                },
            );
        }
    }
}
