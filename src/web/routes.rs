//! HTTP routes: the UI, health, readiness, metrics, the session API and the WebSocket upgrade, plus the
//! middleware that records request metrics and sets security headers.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};

use super::api;
use super::assets::serve_asset;
use super::client::bearer_token;
use super::files;
use super::forward;
use super::outcome::{json_response, refusal_status};
use super::socket;
use super::state::AppState;
use crate::auth::ClientInfo;

/// The application's routes over `state`.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/{*path}", get(static_file))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/api/v1/metrics", get(metrics))
        .route("/api/v1/ui-config", get(ui_config))
        .route("/api/v1/ws", get(socket::upgrade))
        .route("/api/v1/sessions", get(api::list))
        .merge(one_session_routes(state.clone()))
        .route("/api/v1/recordings", get(api::recordings))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The routes about one session; a session of another replica is forwarded there.
fn one_session_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/sessions/{id}", patch(api::change).delete(api::end))
        .route(
            "/api/v1/sessions/{id}/shares",
            post(api::share).delete(api::unshare),
        )
        .route("/api/v1/sessions/{id}/recording", get(api::recording))
        .route("/api/v1/sessions/{id}/files", post(files::upload))
        .route(
            "/api/v1/sessions/{id}/downloads/{download}",
            get(files::download),
        )
        .route_layer(middleware::from_fn_with_state(state, forward::to_owner))
}

async fn health() -> Response {
    json_response(
        StatusCode::OK,
        serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    )
}

async fn ready(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "draining"}),
        )
    } else if !state.keys_ready() {
        // The JWKS refresh task logs why at every failed attempt.
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "waiting for signing keys"}),
        )
    } else {
        json_response(StatusCode::OK, serde_json::json!({"status": "ready"}))
    }
}

/// What the UI needs before it has a token: whether one is required, which embedding pages may
/// hand it one by `postMessage`, and the largest file it may upload (so it can refuse a larger
/// one before sending it). Public, like the UI itself; nothing secret in it.
async fn ui_config(State(state): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::json!({
            "auth": state.auth().is_some(),
            "embed_origins": state.config().allowed_origins,
            "transfer_max_bytes": state.config().transfer_max_bytes,
        }),
    )
}

async fn metrics(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    if let Some(auth) = state.auth().filter(|_| !state.config().metrics_public)
        && let Err(refusal) = auth.authenticate(bearer_token(&headers), &client).await
    {
        return (
            refusal_status(&refusal),
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "a valid bearer token of an allowed user is required\n",
        )
            .into_response();
    }
    match state.metrics().render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are not built into this binary\n",
        )
            .into_response(),
    }
}

async fn index(headers: HeaderMap) -> Response {
    serve_asset("index.html", &headers)
}

async fn static_file(
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_asset(&path, &headers)
}

/// Records request metrics by route template, and sets security headers on every response.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Label by route template, never by raw path, so the label set stays bounded.
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) if path.as_str() == "/{*path}" => "/assets".to_owned(),
        Some(path) => path.as_str().to_owned(),
        None => "unmatched".to_owned(),
    };
    let mut response = next.run(request).await;
    state
        .metrics()
        .http_request(&route, response.status().as_u16(), started.elapsed());
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if is_html && let Ok(policy) = HeaderValue::from_str(&content_security_policy(&state)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// No inline script and no `eval`; WebSockets only to this origin; framing as configured
/// (Backstage embeds the terminal). xterm.js sets element styles at run time, hence
/// `'unsafe-inline'` for styles; its image addon decodes sixel with WebAssembly, hence
/// `'wasm-unsafe-eval'` (compiling WebAssembly only, never JavaScript from strings).
fn content_security_policy(state: &AppState) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors {}",
        state.config().frame_ancestors.join(" ")
    )
}
