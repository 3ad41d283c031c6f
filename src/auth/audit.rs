//! The audit log: one JSON object per event, written to `audit.log_file` (opened for append,
//! mode 0600, rotated at `audit.max_file_bytes`), or to standard output with `"log_type":"audit"`
//! so that a cluster's log collector can tell it from the server log (`audit.stdout`, the
//! default without a file). Without the standard-output form, each event also goes through
//! `tracing` with target `web_terminal::audit`.
//!
//! Every line carries `time`, `event`, `user`, `groups`, `provider`, `session_id`,
//! `remote_addr` and `user_agent` (null when unknown), plus `reason` for failures and denials,
//! `exit_code` and `duration_secs` for `session_close` (whose `reason` says why it ended), and
//! `claims` only when `include_claims` is on. Authentication events are recorded by the
//! [`Authenticator`](super::Authenticator), session events by the session lifecycle observer
//! (`lifecycle.rs`): each kind of line is written in one place. **Invariant:** no token is ever
//! passed in, so none can be written.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use super::config::{AuditConfig, AuditLevel};
use super::identity::Identity;
use super::rotating_file::RotatingFile;

/// Longest user agent recorded, in characters.
const MAX_USER_AGENT: usize = 256;

/// Why the audit log could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit log {path}: {source}")]
pub struct AuditError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// An audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// A token was verified.
    AuthSuccess,
    /// A token was missing or refused.
    AuthFailure,
    /// A verified user was refused by the policy, or tried another user's session.
    AccessDenied,
    /// A session started.
    SessionOpen,
    /// A viewer attached to a live session.
    SessionAttach,
    /// A viewer left a live session.
    SessionDetach,
    /// A session ended.
    SessionClose,
    /// A session's owner shared it with a user or group (`subject`, `role`).
    SessionShare,
    /// A session's owner revoked a share (`subject`).
    SessionUnshare,
    /// A session's recording lost events or stopped early (`reason`).
    RecordingTruncated,
    /// A file was uploaded into a session's current directory (`file`, `bytes`).
    FileUpload,
    /// A file a session offered was downloaded (`file`, `bytes`).
    FileDownload,
}

impl AuditEvent {
    fn is_warning(self) -> bool {
        matches!(
            self,
            Self::AuthFailure | Self::AccessDenied | Self::RecordingTruncated
        )
    }
}

/// Where a request came from, as the audit log records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address: the peer, or the `X-Forwarded-For` entry a trusted proxy added.
    pub remote_addr: String,
    /// The `User-Agent` header, shortened.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Client information with the user agent cut to a sane length.
    pub fn new(remote_addr: String, user_agent: Option<&str>) -> Self {
        Self {
            remote_addr,
            user_agent: user_agent.map(|agent| agent.chars().take(MAX_USER_AGENT).collect()),
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
struct Line<'a> {
    /// `audit` on standard output, where the server log's lines have no such field.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_type: Option<&'static str>,
    time: String,
    event: AuditEvent,
    user: Option<&'a str>,
    groups: &'a [String],
    provider: Option<&'a str>,
    session_id: Option<&'a str>,
    remote_addr: &'a str,
    user_agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_secs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<&'a Map<String, Value>>,
}

/// What one audit record is about.
#[derive(Debug, Default)]
pub struct Record<'a> {
    /// The verified user, if known.
    pub identity: Option<&'a Identity>,
    /// The session, if any.
    pub session_id: Option<&'a str>,
    /// Where the request came from.
    pub client: Option<&'a ClientInfo>,
    /// Why, for failures, denials and closes (a stable label).
    pub reason: Option<&'static str>,
    /// Who a session was shared with or revoked from (an entity ref).
    pub subject: Option<&'a str>,
    /// The role a viewer attached with, or a share grants.
    pub role: Option<&'static str>,
    /// A file's name, for `file_upload`.
    pub file: Option<&'a str>,
    /// A file's size, for `file_upload`.
    pub bytes: Option<u64>,
    /// The shell's exit code, for `session_close`.
    pub exit_code: Option<i32>,
    /// The session's lifetime, for `session_close`.
    pub duration: Option<Duration>,
    /// Verified claims; written only when `include_claims` is on.
    pub claims: Option<&'a Map<String, Value>>,
}

/// The audit log. Cheap to clone: a handle over shared state.
#[derive(Debug, Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// A std mutex: each write is one short `write_all`, never across an await.
    file: Option<Mutex<RotatingFile>>,
    /// Events go to standard output as JSON lines, and not through `tracing`.
    stdout: bool,
    level: AuditLevel,
    include_claims: bool,
}

impl AuditLog {
    /// Opens the log as `config` says (creating the file 0600 and its folder 0700).
    pub fn open(config: &AuditConfig) -> Result<Self, AuditError> {
        let file = config
            .log_file
            .as_deref()
            .map(|path| {
                RotatingFile::open(path, config.max_file_bytes, config.max_files).map_err(
                    |source| AuditError {
                        path: path.to_owned(),
                        source,
                    },
                )
            })
            .transpose()?;
        Ok(Self {
            inner: Arc::new(Inner {
                file: file.map(Mutex::new),
                stdout: config.writes_stdout(),
                level: config.log_level,
                include_claims: config.include_claims,
            }),
        })
    }

    /// Records `event`.
    pub fn record(&self, event: AuditEvent, record: Record<'_>) {
        if self.inner.level == AuditLevel::Warn && !event.is_warning() {
            return;
        }
        let identity = record.identity;
        let client = record.client;
        let line = Line {
            log_type: self.inner.stdout.then_some("audit"),
            time: rfc3339(SystemTime::now()),
            event,
            user: identity.map(|identity| identity.user.as_str()),
            groups: identity.map_or(&[], |identity| identity.groups.as_slice()),
            provider: identity.map(|identity| identity.provider.as_str()),
            session_id: record.session_id,
            remote_addr: client.map_or("", |client| client.remote_addr.as_str()),
            user_agent: client.and_then(|client| client.user_agent.as_deref()),
            reason: record.reason,
            subject: record.subject,
            role: record.role,
            file: record.file,
            bytes: record.bytes,
            exit_code: record.exit_code,
            duration_secs: record
                .duration
                .map(|duration| (duration.as_secs_f64() * 1000.0).round() / 1000.0),
            claims: record.claims.filter(|_| self.inner.include_claims),
        };
        let text = serde_json::to_string(&line).expect("audit lines always serialize");
        if self.inner.stdout {
            // One write of a whole line under the lock, as the server log writes its lines.
            if let Err(error) = std::io::stdout()
                .lock()
                .write_all(format!("{text}\n").as_bytes())
            {
                tracing::error!(%error, "cannot write the audit log to standard output");
            }
        } else if event.is_warning() {
            tracing::warn!(target: "web_terminal::audit", event = ?event, "{text}");
        } else {
            tracing::info!(target: "web_terminal::audit", event = ?event, "{text}");
        }
        if let Some(file) = &self.inner.file {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Err(error) = file.append(format!("{text}\n").as_bytes()) {
                tracing::error!(%error, "cannot write the audit log");
            }
        }
    }
}

/// `time` as RFC 3339 UTC with milliseconds, e.g. `2026-05-01T12:00:00.123Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since.as_secs();
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::*;

    #[test]
    fn formats_rfc3339() {
        let at = |secs: u64, millis: u64| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
        };
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(at(1_709_210_096, 999)), "2024-02-29T12:34:56.999Z");
        assert_eq!(rfc3339(at(4_102_444_799, 0)), "2099-12-31T23:59:59.000Z");
    }

    fn identity() -> Identity {
        Identity {
            user: "user:default/admin".into(),
            groups: vec!["group:default/ops".into()],
            provider: "backstage".into(),
        }
    }

    fn lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn writes_json_lines_to_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.log");
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"sub":"user:default/admin","x":1}"#).unwrap();
        let log = AuditLog::open(&AuditConfig {
            log_file: Some(path.clone()),
            ..AuditConfig::default()
        })
        .unwrap();
        let client = ClientInfo::new("203.0.113.9".into(), Some(&"A".repeat(1000)));
        log.record(
            AuditEvent::AuthSuccess,
            Record {
                identity: Some(&identity()),
                client: Some(&client),
                claims: Some(&claims),
                ..Record::default()
            },
        );
        for event in [AuditEvent::SessionOpen, AuditEvent::SessionClose] {
            let closing = event == AuditEvent::SessionClose;
            log.record(
                event,
                Record {
                    identity: Some(&identity()),
                    session_id: Some("abc"),
                    client: Some(&client),
                    reason: closing.then_some("exited"),
                    exit_code: closing.then_some(3),
                    duration: closing.then_some(Duration::from_millis(1500)),
                    ..Record::default()
                },
            );
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let lines = lines(&path);
        assert_eq!(lines.len(), 3);
        for line in &lines {
            for field in [
                "time",
                "event",
                "user",
                "groups",
                "provider",
                "session_id",
                "remote_addr",
                "user_agent",
            ] {
                assert!(line.get(field).is_some(), "{field} missing in {line}");
            }
            assert_eq!(line["remote_addr"], "203.0.113.9");
            assert_eq!(line["user_agent"].as_str().unwrap().len(), MAX_USER_AGENT);
            assert!(
                line.get("claims").is_none(),
                "claims only with include_claims"
            );
        }
        assert_eq!(lines[0]["event"], "auth_success");
        assert_eq!(lines[2]["event"], "session_close");
        assert_eq!(lines[2]["exit_code"], 3);
        assert_eq!(lines[2]["duration_secs"], 1.5);
        assert_eq!(lines[2]["reason"], "exited");
        assert!(lines[1].get("exit_code").is_none());
        assert_eq!(lines[2]["groups"][0], "group:default/ops");
    }

    #[test]
    fn claims_only_when_asked_and_warn_level_filters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = AuditLog::open(&AuditConfig {
            log_file: Some(path.clone()),
            include_claims: true,
            log_level: AuditLevel::Warn,
            ..AuditConfig::default()
        })
        .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let claims: Map<String, Value> = serde_json::from_str(r#"{"sub":"s"}"#).unwrap();
        log.record(
            AuditEvent::AuthSuccess,
            Record {
                claims: Some(&claims),
                ..Record::default()
            },
        );
        log.record(
            AuditEvent::AccessDenied,
            Record {
                identity: Some(&identity()),
                reason: Some("not_allowed"),
                claims: Some(&claims),
                ..Record::default()
            },
        );
        let lines = lines(&path);
        assert_eq!(
            lines.len(),
            1,
            "warn level records only failures and denials"
        );
        assert_eq!(lines[0]["event"], "access_denied");
        assert_eq!(lines[0]["reason"], "not_allowed");
        assert_eq!(lines[0]["claims"]["sub"], "s");
    }
}
