//! The session API, `/api/v1/sessions`: the sessions a requester may reach (their own and those
//! shared with them, with who is watching), and renaming, sharing, unsharing or ending one; and
//! the recordings, `/api/v1/recordings` and each session's `recording`. The same people may use it
//! as the WebSocket, by the same rules: a bearer token of an allowed user when authentication is
//! on (else everyone is the one anonymous user), and only a session's owner may change it. A
//! request from a browser page must come from an allowed origin, as a WebSocket upgrade must.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{bearer_token, origin_allowed};
use super::forward;
use super::outcome::{json_response, recording_status, refusal_status, session_status};
use super::state::AppState;
use crate::auth::identity::{DefaultKind, normalize_ref};
use crate::auth::{ClientInfo, Identity, rfc3339};
use crate::session::{RecordingError, Requester, Role, SessionName, SessionSummary};

/// `GET /api/v1/sessions`: `{"sessions": [...]}`, this replica's oldest first, then the other
/// replicas' (unless the query is `scope=local`: another replica asking for this one's own).
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(by): Caller,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut sessions: Vec<Value> = state
        .registry()
        .list(&by)
        .iter()
        .map(summary_json)
        .collect();
    if uri.query() != Some(forward::LOCAL_ONLY) {
        for session in forward::sessions_elsewhere(&state, &headers, &by.client).await {
            if !sessions.iter().any(|known| known["id"] == session["id"]) {
                sessions.push(session);
            }
        }
    }
    json_response(StatusCode::OK, json!({ "sessions": sessions }))
}

/// What `PATCH /api/v1/sessions/{id}` may change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    name: String,
}

/// `PATCH /api/v1/sessions/{id}` with `{"name": ...}`: renames the session; answers with it.
pub(super) async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Caller(by): Caller,
    body: Bytes,
) -> Response {
    let change: Change = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(error) => return error_response(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let name = match SessionName::parse(&change.name) {
        Ok(name) => name,
        Err(error) => return error_response(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let registry = state.registry();
    if let Err(error) = registry.rename(&id, &by, name) {
        return error_response(session_status(&error), &error.to_string());
    }
    match registry
        .list(&by)
        .iter()
        .find(|summary| summary.id.as_str() == id)
    {
        Some(summary) => json_response(StatusCode::OK, summary_json(summary)),
        // It ended in between.
        None => error_response(StatusCode::NOT_FOUND, "unknown or expired session"),
    }
}

/// `DELETE /api/v1/sessions/{id}`: ends the session (its shell is hung up; its viewers see it
/// exit). 204 when it is ending.
pub(super) async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Caller(by): Caller,
) -> Response {
    match state.registry().end(&id, &by) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(session_status(&error), &error.to_string()),
    }
}

const ROLE_RULE: &str = "role must be \"view\" or \"write\"";

/// The body of `POST` and `DELETE /api/v1/sessions/{id}/shares`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareRequest {
    /// A user or group entity ref (`user:default/bob`, `group:default/ops`, or `bob`), normalised
    /// as the allow and deny lists are.
    subject: String,
    /// `view` or `write`; only when sharing.
    role: Option<String>,
}

/// `POST /api/v1/sessions/{id}/shares` with `{"subject": ..., "role": "view" | "write"}`: 201 with
/// the share as stored (its subject normalised).
pub(super) async fn share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Caller(by): Caller,
    body: Bytes,
) -> Response {
    let (subject, role) = match share_request(&body) {
        Ok((subject, Some(role))) => (subject, role),
        Ok((_, None)) => {
            return error_response(StatusCode::BAD_REQUEST, ROLE_RULE);
        }
        Err(why) => return error_response(StatusCode::BAD_REQUEST, &why),
    };
    match state.registry().share(&id, &by, &subject, role) {
        Ok(()) => json_response(
            StatusCode::CREATED,
            json!({ "subject": subject, "role": role.label() }),
        ),
        Err(error) => error_response(session_status(&error), &error.to_string()),
    }
}

/// `DELETE /api/v1/sessions/{id}/shares` with `{"subject": ...}`: 204 once the share is gone and
/// the viewers attached through it are cut off (4403); 404 if there was no such share.
pub(super) async fn unshare(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Caller(by): Caller,
    body: Bytes,
) -> Response {
    let subject = match share_request(&body) {
        Ok((subject, None)) => subject,
        Ok((_, Some(_))) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "a revocation names only the subject",
            );
        }
        Err(why) => return error_response(StatusCode::BAD_REQUEST, &why),
    };
    match state.registry().unshare(&id, &by, &subject) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error_response(
            StatusCode::NOT_FOUND,
            "the session is not shared with that subject",
        ),
        Err(error) => error_response(session_status(&error), &error.to_string()),
    }
}

/// A share request's normalised subject and role (`None` when absent), or why it is refused.
fn share_request(body: &[u8]) -> Result<(String, Option<Role>), String> {
    let request: ShareRequest = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    let subject =
        share_subject(&request.subject).ok_or("subject must be a user or group entity ref")?;
    let role = match request.role.as_deref() {
        None => None,
        Some(label) => Some(Role::of_share(label).ok_or(ROLE_RULE)?),
    };
    Ok((subject, role))
}

/// `subject` as the policy normalises entity refs, if it names a user or a group.
fn share_subject(subject: &str) -> Option<String> {
    if subject.trim().is_empty() || subject.chars().any(char::is_control) {
        return None;
    }
    let normalised = normalize_ref(subject.trim(), DefaultKind::User);
    (normalised.starts_with("user:") || normalised.starts_with("group:")).then_some(normalised)
}

/// `GET /api/v1/sessions/{id}/recording`: the session's asciicast v3 recording (live or
/// ended), for its owner and the members of the `recording_auditors` groups.
pub(super) async fn recording(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Caller(by): Caller,
) -> Response {
    let registry = state.registry().clone();
    let read = tokio::task::spawn_blocking(move || registry.recording(&id, &by)).await;
    match read {
        Ok(Ok(cast)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-asciicast"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            cast,
        )
            .into_response(),
        Ok(Err(error)) => error_response(recording_status(&error), &error.to_string()),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "reading the recording failed",
        ),
    }
}

/// Most recordings one list shows: the most recently written.
const RECORDINGS_LISTED: usize = 200;

/// `GET /api/v1/recordings`: `{"enabled": true, "recordings": [...]}`, the recordings the caller
/// may replay (their own; every one for an auditor), of live and ended sessions, most recently
/// written first; `{"enabled": false, "recordings": []}` when the server records nothing (a UI
/// asks on every refresh, so "off" is an answer, not an error).
pub(super) async fn recordings(State(state): State<AppState>, Caller(by): Caller) -> Response {
    let registry = state.registry().clone();
    let live: Vec<String> = registry
        .list(&by)
        .iter()
        .map(|summary| summary.id.as_str().to_owned())
        .collect();
    let listed =
        tokio::task::spawn_blocking(move || registry.recordings(&by, RECORDINGS_LISTED)).await;
    match listed {
        Ok(Ok(recordings)) => {
            let recordings: Vec<Value> = recordings
                .iter()
                .map(|recording| {
                    json!({
                        "id": recording.id,
                        "owner": recording.owner,
                        "started": rfc3339(recording.started),
                        "last_written": rfc3339(recording.modified),
                        "bytes": recording.bytes,
                        "live": live.contains(&recording.id),
                    })
                })
                .collect();
            json_response(
                StatusCode::OK,
                json!({ "enabled": true, "recordings": recordings }),
            )
        }
        Ok(Err(RecordingError::Off)) => json_response(
            StatusCode::OK,
            json!({ "enabled": false, "recordings": [] }),
        ),
        Ok(Err(error)) => error_response(recording_status(&error), &error.to_string()),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "listing the recordings failed",
        ),
    }
}

/// Who calls the API: the origin checked, then the bearer token when authentication is on (else
/// the one anonymous user). A refusal is the response.
pub(super) struct Caller(pub(super) Requester);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(client) = ClientInfo::from_request_parts(parts, state).await;
        let headers = &parts.headers;
        if !origin_allowed(headers, &state.config().allowed_origins) {
            return Err(error_response(StatusCode::FORBIDDEN, "origin not allowed"));
        }
        let identity = match state.auth() {
            None => Identity::anonymous(),
            Some(auth) => match auth.authenticate(bearer_token(headers), &client).await {
                Ok(grant) => grant.identity,
                Err(refusal) => {
                    let mut response = error_response(
                        refusal_status(&refusal),
                        "a valid bearer token of an allowed user is required",
                    );
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    return Err(response);
                }
            },
        };
        Ok(Self(Requester { identity, client }))
    }
}

fn summary_json(summary: &SessionSummary) -> Value {
    json!({
        "id": summary.id.as_str(),
        "owner": summary.owner,
        "role": summary.role.label(),
        "name": summary.name,
        "created": rfc3339(summary.created),
        "last_activity": rfc3339(summary.last_activity),
        "viewers": summary.viewers,
        "cols": summary.cols,
        "rows": summary.rows,
        "shares": summary.shares.iter().map(|share| json!({
            "subject": share.subject,
            "role": share.role.label(),
        })).collect::<Vec<_>>(),
        "watchers": summary.watchers.iter().map(|watcher| {
            let mut entry = json!({
                "user": watcher.user,
                "connections": watcher.connections,
            });
            if let Some(role) = watcher.role {
                entry["role"] = role.label().into();
            }
            entry
        }).collect::<Vec<_>>(),
        "recording": summary.recording,
    })
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}
