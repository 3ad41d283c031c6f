//! Wire types of the terminal WebSocket, protocol v1 (`docs/protocol.md`).
//!
//! This is the only module that knows the JSON shape of control messages and the numeric close
//! codes. Which [`CloseReason`] an outcome gets is decided in `web/outcome.rs`. The TypeScript side (`frontend/src/generated/protocol.ts`) is generated from these types
//! by the `generated_typescript_is_current` test, so the two cannot drift.

use serde::{Deserialize, Serialize};

/// Largest accepted terminal dimension, in columns or rows.
pub(crate) const MAX_DIMENSION: u16 = 1000;
/// Most binary output bytes the server sends a `flow` client beyond what it has acknowledged.
pub(crate) const FLOW_WINDOW: u64 = 128 * 1024;

/// What `open` and `attach` carry besides the session and size: the token, and the optional
/// protocol features the client supports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub(crate) struct Hello {
    /// Bearer token, for browsers that cannot set an `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub(crate) token: Option<String>,
    /// The client understands `snapshot`: when it falls behind, it gets a fresh snapshot in band
    /// instead of a 4409 close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub(crate) resync: Option<bool>,
    /// The client acknowledges output once its terminal has processed it (`ack`); the server then
    /// keeps at most [`FLOW_WINDOW`] bytes unacknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub(crate) flow: Option<bool>,
    /// The client understands `draining`: it is told when the server starts draining for a
    /// replacement, and how long its session has left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub(crate) draining: Option<bool>,
    /// The client understands `size`: it is told the session's terminal size before every
    /// snapshot and wherever the size changes, in order with the output (a client that only
    /// watches draws at the session's size, not its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub(crate) size: Option<bool>,
}

/// A control message from a client (a text frame).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum ClientMessage {
    /// Start a new session with this size. Only valid as the first message.
    Open {
        /// Terminal width in columns.
        cols: u16,
        /// Terminal height in rows.
        rows: u16,
        /// The token and what the client can do, as `open` and `attach` both carry them.
        #[serde(flatten)]
        #[cfg_attr(test, ts(flatten))]
        hello: Hello,
    },
    /// Reattach to a live session. Only valid as the first message.
    Attach {
        /// The id from an earlier `opened` message.
        session: String,
        /// This viewer's width, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        cols: Option<u16>,
        /// This viewer's height, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        rows: Option<u16>,
        /// The token and what the client can do, as `open` and `attach` both carry them.
        #[serde(flatten)]
        #[cfg_attr(test, ts(flatten))]
        hello: Hello,
    },
    /// This viewer's size changed.
    Resize {
        /// Terminal width in columns.
        cols: u16,
        /// Terminal height in rows.
        rows: u16,
    },
    /// Is the connection alive? The server answers `pong`. Browsers cannot see WebSocket pings,
    /// so this is how a client notices a connection that died silently.
    Ping,
    /// Only from clients that asked for `flow`: the terminal has processed this many more bytes
    /// of binary output (snapshots included).
    Ack {
        /// Bytes processed since the previous `ack`.
        bytes: u32,
    },
}

/// A text frame that is not a well-formed v1 message. The text is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProtocolError {
    /// Not JSON, or not one of the messages; serde's text names the problem (unknown variant,
    /// missing field) without echoing the input back.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A terminal size of zero or beyond [`MAX_DIMENSION`].
    #[error("size {cols}x{rows} out of range: columns and rows must be 1 to {MAX_DIMENSION}")]
    SizeOutOfRange {
        /// The columns asked for.
        cols: u16,
        /// The rows asked for.
        rows: u16,
    },
}

impl ClientMessage {
    /// Parses one text frame, refusing anything that is not a well-formed v1 message.
    pub(crate) fn parse(text: &str) -> Result<Self, ProtocolError> {
        let message: Self = serde_json::from_str(text)
            .map_err(|error| ProtocolError::Malformed(error.to_string()))?;
        if let Some((cols, rows)) = message.size() {
            check_size(cols, rows)?;
        }
        Ok(message)
    }

    /// The size this message carries, if any.
    pub(crate) fn size(&self) -> Option<(u16, u16)> {
        match *self {
            Self::Open { cols, rows, .. } | Self::Resize { cols, rows } => Some((cols, rows)),
            Self::Attach {
                cols: Some(cols),
                rows: Some(rows),
                ..
            } => Some((cols, rows)),
            Self::Attach { .. } | Self::Ping | Self::Ack { .. } => None,
        }
    }
}

/// Refuses a terminal size of zero or beyond [`MAX_DIMENSION`].
fn check_size(cols: u16, rows: u16) -> Result<(), ProtocolError> {
    let valid = 1..=MAX_DIMENSION;
    if valid.contains(&cols) && valid.contains(&rows) {
        Ok(())
    } else {
        Err(ProtocolError::SizeOutOfRange { cols, rows })
    }
}

/// A control message from the server (a text frame).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum ServerMessage {
    /// The session is ready. With `snapshot`, the next binary frame is a snapshot of the
    /// terminal (reset, then write it without answering); live output follows.
    Opened {
        /// The session id, for a later `attach`.
        session: String,
        /// Whether a snapshot frame comes next (always, from servers that send this field).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        snapshot: Option<bool>,
        /// Where the snapshot has history: the byte range `[from, to)` of the snapshot frame
        /// that, written after a reset, draws the screen without the history. A client may draw
        /// it first, then write the whole snapshot (which starts with a reset).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        screen: Option<[u32; 2]>,
        /// What this client may do in the session: `owner`, `write` (type and resize) or `view`
        /// (watch only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        role: Option<String>,
    },
    /// Only to clients that asked for `resync`: the viewer fell behind, and the next binary frame
    /// is a fresh snapshot (reset, then write it without answering); output continues after it.
    Snapshot,
    /// The shell exited; the server closes with 1000 next.
    Exit {
        /// Exit status, or 128 + the signal number when a signal killed the shell.
        code: i32,
    },
    /// The answer to `ping`, after any output already queued.
    Pong,
    /// Sent once to a client that may only watch (`role` `view`) when it first types or
    /// resizes: its input and size were dropped, and will be.
    #[serde(rename = "readonly")]
    ReadOnly,
    /// Only to clients that asked for `size`: what follows (the next snapshot, or output) is for a
    /// terminal of `cols` × `rows`. Sent before every snapshot, and where the session was
    /// resized, between the output before and the output after.
    Size {
        /// Terminal width in columns.
        cols: u16,
        /// Terminal height in rows.
        rows: u16,
    },
    /// Only to clients that asked for `draining`: this server is being replaced. It takes no new
    /// sessions; this one goes on for at most `seconds_left` more, then closes with 1001. A new
    /// session opened now lands on a current server.
    Draining {
        /// Seconds until the server closes the sessions it still has.
        seconds_left: u32,
    },
}

impl ServerMessage {
    /// The JSON text of this message.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

/// Why the server closes a WebSocket. Every outcome maps to its close code here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The shell exited normally.
    Exited,
    /// The server is shutting down.
    ShuttingDown,
    /// A text frame was not valid UTF-8.
    InvalidUtf8,
    /// The `Origin` header is not allowed.
    OriginNotAllowed,
    /// A message was over `max_message_bytes`.
    MessageTooBig,
    /// A malformed or unexpected message; the text says which.
    BadMessage(String),
    /// A missing, invalid or expired token; the text (a constant, never internals) says which.
    Unauthorized(&'static str),
    /// A valid token whose user may not have this session.
    Forbidden,
    /// The owner withdrew or changed the share this viewer attached through; attaching again
    /// gives the role the shares now allow, if any.
    ShareWithdrawn,
    /// `attach` named a session that does not exist (any more).
    UnknownSession,
    /// No `open` or `attach` arrived in time.
    HandshakeTimeout,
    /// This viewer held the session's other viewers up for too long.
    TooSlow,
    /// The total or per-user session limit is reached.
    SessionLimit,
    /// The peer stopped answering pings.
    PeerUnresponsive,
    /// The server failed to start the shell; details are in the server log.
    Internal,
}

impl CloseReason {
    /// The WebSocket close code for this outcome (see `docs/protocol.md`).
    pub(crate) fn close_code(&self) -> u16 {
        match self {
            Self::Exited => 1000,
            Self::ShuttingDown | Self::PeerUnresponsive => 1001,
            Self::InvalidUtf8 => 1007,
            Self::OriginNotAllowed => 1008,
            Self::MessageTooBig => 1009,
            Self::BadMessage(_) => 4400,
            Self::Unauthorized(_) => 4401,
            Self::Forbidden | Self::ShareWithdrawn => 4403,
            Self::UnknownSession => 4404,
            Self::HandshakeTimeout => 4408,
            Self::TooSlow => 4409,
            Self::SessionLimit => 4429,
            Self::Internal => 1011,
        }
    }

    /// The short human-readable reason sent with the close frame (at most 123 bytes).
    pub(crate) fn reason(&self) -> String {
        let text = match self {
            Self::Exited => "shell exited",
            Self::ShuttingDown => "server shutting down",
            Self::InvalidUtf8 => "text frame is not valid UTF-8",
            Self::OriginNotAllowed => "origin not allowed",
            Self::MessageTooBig => "message too big",
            Self::BadMessage(detail) => detail,
            Self::Unauthorized(detail) => detail,
            Self::Forbidden => "access denied",
            Self::ShareWithdrawn => "share withdrawn or changed",
            Self::UnknownSession => "unknown or expired session",
            Self::HandshakeTimeout => "no open or attach message in time",
            Self::TooSlow => "viewer fell behind; reattach",
            Self::SessionLimit => "session limit reached",
            Self::PeerUnresponsive => "no answer to ping",
            Self::Internal => "internal error; see the server log",
        };
        truncate_to_close_reason(text)
    }

    /// A stable label for metrics and logs.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Exited => "exited",
            Self::ShuttingDown => "shutdown",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::OriginNotAllowed => "origin",
            Self::MessageTooBig => "too_big",
            Self::BadMessage(_) => "bad_message",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::ShareWithdrawn => "share_withdrawn",
            Self::UnknownSession => "unknown_session",
            Self::HandshakeTimeout => "handshake_timeout",
            Self::TooSlow => "too_slow",
            Self::SessionLimit => "session_limit",
            Self::PeerUnresponsive => "unresponsive",
            Self::Internal => "internal",
        }
    }

    /// Every variant, for the generated TypeScript constants.
    #[cfg(test)]
    fn all() -> [Self; 15] {
        [
            Self::Exited,
            Self::ShuttingDown,
            Self::InvalidUtf8,
            Self::OriginNotAllowed,
            Self::MessageTooBig,
            Self::BadMessage(String::new()),
            Self::Unauthorized("authentication required"),
            Self::Forbidden,
            Self::ShareWithdrawn,
            Self::UnknownSession,
            Self::HandshakeTimeout,
            Self::TooSlow,
            Self::SessionLimit,
            Self::PeerUnresponsive,
            Self::Internal,
        ]
    }
}

/// A close reason must fit in a control frame: 125 bytes less the 2-byte code.
fn truncate_to_close_reason(text: &str) -> String {
    const MAX: usize = 123;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ts_rs::TS;

    #[test]
    fn parses_each_client_message() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"open","cols":80,"rows":24}"#),
            Ok(ClientMessage::Open {
                cols: 80,
                rows: 24,
                hello: Hello::default()
            })
        );
        assert_eq!(
            ClientMessage::parse(
                r#"{"type":"attach","session":"ab","token":"t","resync":true,"size":true}"#
            ),
            Ok(ClientMessage::Attach {
                session: "ab".into(),
                cols: None,
                rows: None,
                hello: Hello {
                    token: Some("t".into()),
                    resync: Some(true),
                    flow: None,
                    draining: None,
                    size: Some(true),
                }
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"resize","cols":1000,"rows":1,"extra":true}"#),
            Ok(ClientMessage::Resize {
                cols: 1000,
                rows: 1
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping"}"#),
            Ok(ClientMessage::Ping)
        );
    }

    #[test]
    fn refuses_malformed_messages_naming_the_problem() {
        for text in [
            "not json",
            "{}",
            r#"{"type":"shout"}"#,
            r#"{"type":"open","cols":80}"#,
            r#"{"type":"resize","cols":0,"rows":24}"#,
            r#"{"type":"resize","cols":80,"rows":1001}"#,
            r#"{"type":"resize","cols":-1,"rows":24}"#,
            r#"{"type":"attach","session":"x","cols":0,"rows":0}"#,
        ] {
            let error = ClientMessage::parse(text).unwrap_err();
            assert!(!error.to_string().is_empty(), "{text}");
            assert!(
                !error.to_string().contains("not json"),
                "the input is not echoed"
            );
        }
    }

    #[test]
    fn close_reasons_fit_a_control_frame_and_codes_are_distinct_per_meaning() {
        let long = CloseReason::BadMessage("é".repeat(200));
        assert!(long.reason().len() <= 123);
        // Two share a code on purpose, as a client must act the same on them: an unresponsive
        // peer goes as at a shutdown (1001, reconnect), and a withdrawn share is a denial (4403,
        // wait for the user), told apart by its reason.
        let shared = [CloseReason::PeerUnresponsive, CloseReason::ShareWithdrawn];
        let mut codes: Vec<u16> = CloseReason::all()
            .iter()
            .filter(|reason| !shared.contains(reason))
            .map(CloseReason::close_code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CloseReason::all().len() - shared.len());
        assert_eq!(CloseReason::PeerUnresponsive.close_code(), 1001);
        assert_eq!(CloseReason::ShareWithdrawn.close_code(), 4403);
    }

    #[test]
    fn server_messages_have_the_documented_shape() {
        let opened = ServerMessage::Opened {
            session: "abc".into(),
            snapshot: Some(true),
            screen: None,
            role: Some("owner".into()),
        };
        assert_eq!(
            opened.to_json(),
            r#"{"type":"opened","session":"abc","snapshot":true,"role":"owner"}"#
        );
        let with_history = ServerMessage::Opened {
            session: "abc".into(),
            snapshot: Some(true),
            screen: Some([120, 4000]),
            role: Some("view".into()),
        };
        assert_eq!(
            with_history.to_json(),
            r#"{"type":"opened","session":"abc","snapshot":true,"screen":[120,4000],"role":"view"}"#
        );
        assert_eq!(ServerMessage::Snapshot.to_json(), r#"{"type":"snapshot"}"#);
        assert_eq!(
            ServerMessage::Exit { code: 3 }.to_json(),
            r#"{"type":"exit","code":3}"#
        );
        assert_eq!(ServerMessage::Pong.to_json(), r#"{"type":"pong"}"#);
        assert_eq!(
            ServerMessage::Size {
                cols: 120,
                rows: 40
            }
            .to_json(),
            r#"{"type":"size","cols":120,"rows":40}"#
        );
    }

    /// The TypeScript bindings the UI compiles against, derived from the types above.
    fn typescript_bindings() -> String {
        let close_codes = [
            ("normal", CloseReason::Exited),
            ("goingAway", CloseReason::ShuttingDown),
            ("invalidPayload", CloseReason::InvalidUtf8),
            ("policyViolation", CloseReason::OriginNotAllowed),
            ("messageTooBig", CloseReason::MessageTooBig),
            ("badMessage", CloseReason::BadMessage(String::new())),
            ("unauthorized", CloseReason::Unauthorized("")),
            ("forbidden", CloseReason::Forbidden),
            ("unknownSession", CloseReason::UnknownSession),
            ("handshakeTimeout", CloseReason::HandshakeTimeout),
            ("tooSlow", CloseReason::TooSlow),
            ("sessionLimit", CloseReason::SessionLimit),
            ("internalError", CloseReason::Internal),
        ]
        .iter()
        .map(|(name, reason)| format!("{name}: {}", reason.close_code()))
        .collect::<Vec<_>>()
        .join(", ");
        format!(
            "// Generated by `cargo test` from src/protocol.rs (ts-rs). Do not edit by hand.\n\
             export {}\n\
             export {}\n\
             export const CLOSE_CODES = {{ {close_codes} }} as const;\n\
             export const MAX_DIMENSION = {MAX_DIMENSION};\n",
            ClientMessage::decl(&ts_rs::Config::default()),
            ServerMessage::decl(&ts_rs::Config::default()),
        )
    }

    /// Fails when `frontend/src/generated/protocol.ts` is stale. Run with
    /// `UPDATE_GENERATED=1 cargo test generated_typescript` to rewrite it.
    #[test]
    fn generated_typescript_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("frontend/src/generated/protocol.ts");
        let expected = typescript_bindings();
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            actual,
            expected,
            "{} is stale: run `UPDATE_GENERATED=1 cargo test generated_typescript`",
            path.display()
        );
    }
}
