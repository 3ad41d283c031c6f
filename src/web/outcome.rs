//! The one place where outcomes become what a client sees: every authentication refusal,
//! session error, protocol error and WebSocket read error is turned into a [`CloseReason`] (and
//! so a close code) or an HTTP status here, and nowhere else.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::verify::VerifyError;
use crate::auth::{Failure, Refusal};
use crate::protocol::{CloseReason, ProtocolError};
use crate::session::{RecordingError, SessionError, TransferError};

/// How a connection, or one phase of it, ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// The server closes with this reason.
    Close(CloseReason),
    /// The peer went away (or its socket failed); there is nobody to tell.
    PeerGone,
    /// The connection was relayed to the session's replica, which closed it with this code
    /// (passed on to the client as it was), or went away (`None`).
    Relayed(Option<u16>),
}

impl From<CloseReason> for Ending {
    fn from(reason: CloseReason) -> Self {
        Self::Close(reason)
    }
}

/// The close frame for an authentication refusal: a fixed text, never internals.
pub(super) fn refusal_close(refusal: &Refusal) -> CloseReason {
    match refusal {
        Refusal::Unauthenticated(Failure::Missing) => {
            CloseReason::Unauthorized("authentication required")
        }
        Refusal::Unauthenticated(Failure::InUrl) => CloseReason::Unauthorized(
            "token in URL refused: send it in the Authorization header or the first message",
        ),
        Refusal::Unauthenticated(Failure::Invalid(VerifyError::Expired)) => {
            CloseReason::Unauthorized("token expired")
        }
        Refusal::Unauthenticated(_) => CloseReason::Unauthorized("invalid token"),
        Refusal::Denied(_) => CloseReason::Forbidden,
    }
}

/// The HTTP status for an authentication refusal on a protected route.
pub(super) fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Refusal::Denied(_) => StatusCode::FORBIDDEN,
    }
}

/// The close frame for a session that could not be opened or attached. What the client is not
/// told (which limit, why the shell failed) is in the server log, through the session events.
pub(super) fn session_close(error: &SessionError) -> CloseReason {
    match error {
        SessionError::ServerLimit(_) | SessionError::UserLimit(_) => CloseReason::SessionLimit,
        SessionError::Unknown => CloseReason::UnknownSession,
        SessionError::NotOwner | SessionError::ReadOnly => CloseReason::Forbidden,
        SessionError::Draining => CloseReason::ShuttingDown,
        SessionError::Workspace(_) | SessionError::Spawn(_) => CloseReason::Internal,
    }
}

/// The HTTP status for a session the API could not find or change.
pub(super) fn session_status(error: &SessionError) -> StatusCode {
    match error {
        SessionError::Unknown => StatusCode::NOT_FOUND,
        SessionError::NotOwner | SessionError::ReadOnly => StatusCode::FORBIDDEN,
        SessionError::Draining => StatusCode::SERVICE_UNAVAILABLE,
        SessionError::ServerLimit(_) | SessionError::UserLimit(_) => StatusCode::TOO_MANY_REQUESTS,
        SessionError::Workspace(_) | SessionError::Spawn(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The HTTP status for a recording that cannot be served.
pub(super) fn recording_status(error: &RecordingError) -> StatusCode {
    match error {
        RecordingError::Off | RecordingError::Unknown => StatusCode::NOT_FOUND,
        RecordingError::NotAllowed => StatusCode::FORBIDDEN,
    }
}

/// The close frame for a malformed or unexpected control message.
pub(super) fn protocol_close(error: &ProtocolError) -> CloseReason {
    CloseReason::BadMessage(error.to_string())
}

/// How a failed WebSocket read ends the connection.
pub(super) fn read_error(error: &axum::Error) -> Ending {
    use tungstenite::error::{CapacityError, Error};
    let inner = std::error::Error::source(error).and_then(|source| source.downcast_ref::<Error>());
    match inner {
        Some(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
            CloseReason::MessageTooBig.into()
        }
        Some(Error::Utf8(_)) => CloseReason::InvalidUtf8.into(),
        Some(Error::Protocol(_)) => {
            CloseReason::BadMessage("WebSocket protocol error".into()).into()
        }
        _ => Ending::PeerGone,
    }
}

/// The HTTP status for an upload that was refused or failed.
pub(super) fn transfer_status(error: &TransferError) -> StatusCode {
    match error {
        TransferError::BadName(_) => StatusCode::BAD_REQUEST,
        TransferError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        TransferError::Exists(_) => StatusCode::CONFLICT,
        TransferError::NoDirectory => StatusCode::CONFLICT,
        TransferError::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        TransferError::NotAFile | TransferError::NoSuchDownload | TransferError::NotInSession => {
            StatusCode::NOT_FOUND
        }
        TransferError::WriteFailed => StatusCode::INTERNAL_SERVER_ERROR,
        TransferError::Session(error) => session_status(error),
    }
}

/// The answer about a session that does not exist (any more), here or on its replica.
pub(super) fn unknown_session() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        serde_json::json!({"error": "unknown or expired session"}),
    )
}

/// The answer to a client that holds as many terminal connections as one address may.
pub(super) fn too_many_connections() -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        serde_json::json!({"error": "too many connections from this client address"}),
    )
}

/// A JSON body with a status, never cached.
pub(super) fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::DenyReason;

    #[test]
    fn refusals_map_to_4401_or_4403_with_fixed_reasons() {
        let cases = [
            (Refusal::Unauthenticated(Failure::Missing), 4401),
            (Refusal::Unauthenticated(Failure::InUrl), 4401),
            (
                Refusal::Unauthenticated(Failure::Invalid(VerifyError::BadSignature)),
                4401,
            ),
            (
                Refusal::Unauthenticated(Failure::Invalid(VerifyError::Expired)),
                4401,
            ),
            (Refusal::Unauthenticated(Failure::GroupsUnavailable), 4401),
            (Refusal::Denied(DenyReason::NotAllowed), 4403),
        ];
        for (refusal, code) in cases {
            let reason = refusal_close(&refusal);
            assert_eq!(reason.close_code(), code, "{refusal:?}");
            assert!(reason.reason().len() <= 123);
            assert_eq!(refusal_status(&refusal).as_u16(), code - 4000);
        }
        assert!(
            refusal_close(&Refusal::Unauthenticated(Failure::InUrl))
                .reason()
                .contains("Authorization header")
        );
    }

    #[test]
    fn session_errors_map_to_their_close_codes_without_internals() {
        let spawn = SessionError::Spawn(std::io::Error::other("secret detail"));
        let cases = [
            (SessionError::ServerLimit(5), 4429),
            (SessionError::UserLimit(1), 4429),
            (SessionError::Unknown, 4404),
            (SessionError::NotOwner, 4403),
            (SessionError::Draining, 1001),
            (spawn, 1011),
        ];
        for (error, code) in cases {
            let reason = session_close(&error);
            assert_eq!(reason.close_code(), code, "{error:?}");
            assert!(!reason.reason().contains("secret"), "{error:?}");
        }
    }

    #[test]
    fn protocol_errors_are_4400_with_the_problem_named() {
        let error = crate::protocol::ClientMessage::parse(r#"{"type":"resize","cols":0,"rows":5}"#)
            .unwrap_err();
        let reason = protocol_close(&error);
        assert_eq!(reason.close_code(), 4400);
        assert!(reason.reason().contains("0x5"), "{}", reason.reason());
    }
}
