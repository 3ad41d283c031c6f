//! The session API across replicas: a call about one session (rename, end, share, its
//! recording) is forwarded to the replica whose name its id carries, as it came (the owner
//! authenticates, authorises and audits it), and the session list gathers every current
//! replica's. Only current replicas are asked (see `peers.rs`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reqwest::Url;
use serde_json::Value;

use super::outcome::unknown_session;
use super::state::AppState;
use crate::auth::ClientInfo;
use crate::session::SessionId;

/// How long another replica may take to answer.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest request body forwarded: the API's bodies are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;
/// Request headers passed on to the owner; the rest (cookies among them) stay here.
const PASSED_ON: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ORIGIN,
    header::USER_AGENT,
];
/// The list's query that asks a replica for its own sessions only.
pub(super) const LOCAL_ONLY: &str = "scope=local";

/// Middleware on the routes of one session (`/api/v1/sessions/{id}...`): a session of another
/// replica is that replica's business.
pub(super) async fn to_owner(
    State(state): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    let node = session_in_path(request.uri().path())
        .and_then(SessionId::node_of)
        .filter(|node| !state.peers().is_self(node))
        .map(str::to_owned);
    let Some(node) = node else {
        return next.run(request).await;
    };
    let Some(owner) = state.peers().url_of(&node).await else {
        return unknown_session();
    };
    forward(&state, &owner, request, &client)
        .await
        .unwrap_or_else(unknown_session)
}

/// The session id in `/api/v1/sessions/{id}` or `/api/v1/sessions/{id}/...`.
fn session_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/sessions/")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Sends `request` to the same path on `owner` and hands back its answer; `None` when the owner
/// cannot be reached in time.
async fn forward(
    state: &AppState,
    owner: &Url,
    request: Request,
    client: &ClientInfo,
) -> Option<Response> {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Some((StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response());
    };
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let url = owner.join(path.trim_start_matches('/')).ok()?;
    let mut outgoing = state
        .peers()
        .http()
        .request(parts.method, url)
        .timeout(FORWARD_TIMEOUT)
        .header("x-forwarded-for", &client.remote_addr)
        .body(body);
    for name in PASSED_ON {
        if let Some(value) = parts.headers.get(&name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::debug!(%owner, %error, "the session's replica did not answer");
            return None;
        }
    };
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = answer.bytes().await.ok()?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(response)
}

/// The sessions the caller may reach on every other current replica, asked with the caller's
/// own credentials; a replica that does not answer in time is left out (and logged).
pub(super) async fn sessions_elsewhere(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientInfo,
) -> Vec<Value> {
    let asks = state
        .peers()
        .others()
        .await
        .into_iter()
        .map(|replica| async move {
            let url = replica
                .join(&format!("api/v1/sessions?{LOCAL_ONLY}"))
                .ok()?;
            let mut request = state
                .peers()
                .http()
                .get(url)
                .timeout(FORWARD_TIMEOUT)
                .header("x-forwarded-for", &client.remote_addr);
            for name in PASSED_ON {
                if let Some(value) = headers.get(&name) {
                    request = request.header(name, value);
                }
            }
            let answer = request.send().await.inspect_err(|error| {
                tracing::debug!(%replica, %error, "a replica did not list its sessions");
            });
            let body: Value = answer.ok()?.error_for_status().ok()?.json().await.ok()?;
            match body.get("sessions") {
                Some(Value::Array(sessions)) => Some(sessions.clone()),
                _ => None,
            }
        });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::session_in_path;

    #[test]
    fn finds_the_session_in_the_api_paths() {
        assert_eq!(session_in_path("/api/v1/sessions/a.b"), Some("a.b"));
        assert_eq!(session_in_path("/api/v1/sessions/a.b/shares"), Some("a.b"));
        assert_eq!(session_in_path("/api/v1/sessions"), None);
        assert_eq!(session_in_path("/api/v1/recordings"), None);
    }
}
