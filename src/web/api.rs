//! The session API, `/api/v1/sessions`: the requester's live sessions, and renaming or ending
//! one of them. The same people may use it as the WebSocket, by the same rules: a bearer token
//! of an allowed user when authentication is on (else everyone is the one anonymous user), and
//! only a session's owner may change it. A request from a browser page must come from an allowed
//! origin, as a WebSocket upgrade must.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{bearer_token, origin_allowed};
use super::outcome::{refusal_status, session_status};
use super::routes::json_response;
use super::state::AppState;
use crate::auth::{ClientInfo, Identity, rfc3339};
use crate::session::{Requester, SessionName, SessionSummary};

/// `GET /api/v1/sessions`: `{"sessions": [...]}`, oldest first.
pub(super) async fn list(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    let by = match requester(&state, &headers, client).await {
        Ok(by) => by,
        Err(response) => return response,
    };
    let sessions: Vec<Value> = state
        .registry()
        .list(&by)
        .iter()
        .map(summary_json)
        .collect();
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
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let by = match requester(&state, &headers, client).await {
        Ok(by) => by,
        Err(response) => return response,
    };
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
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    let by = match requester(&state, &headers, client).await {
        Ok(by) => by,
        Err(response) => return response,
    };
    match state.registry().end(&id, &by) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(session_status(&error), &error.to_string()),
    }
}

/// Who is asking: the origin checked, then the bearer token when authentication is on.
async fn requester(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientInfo,
) -> Result<Requester, Response> {
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
    Ok(Requester { identity, client })
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
    })
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}
