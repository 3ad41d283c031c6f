//! The HTTP target: requests through the real router in-process (`oneshot`), against a server
//! state with a live session (`/bin/cat`), recording on and an allowed origin, with
//! authentication off. An input is a request line (`METHOD /path`), header lines, an empty line
//! and the body; `{id}` anywhere stands for the live session's id. No answer may be a 500.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use tower::ServiceExt;

use super::{Target, text_signature};
use crate::auth::{ClientInfo, Identity};
use crate::config::Config;
use crate::session::{Requester, Viewer};
use crate::web::routes::router;
use crate::web::state::AppState;

/// The live session is replaced after this many requests, so that what the fuzzer adds to it
/// (shares) stays small, and checked for life every [`CHECK_EVERY`] requests (`DELETE` ends it).
const REPLACE_EVERY: u64 = 5000;
const CHECK_EVERY: u64 = 100;
/// The placeholder for the live session's id.
const ID: &str = "{id}";

pub(super) struct Http {
    /// Taken on drop, to shut down without waiting for the sessions' blocking threads.
    runtime: Option<tokio::runtime::Runtime>,
    state: AppState,
    owner: Requester,
    /// The live session's first viewer, kept attached so listings show a watcher.
    viewer: Option<Viewer>,
    id: String,
    requests: u64,
    _folder: tempfile::TempDir,
}

impl Http {
    pub(super) fn new() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let config = Config {
            workspaces_dir: folder.path().join("workspaces"),
            recording_dir: Some(folder.path().join("recordings")),
            shell: Some("/bin/cat".to_owned()),
            allowed_origins: vec!["https://allowed.example".to_owned()],
            trusted_proxies: vec!["0.0.0.0".parse().expect("an address")],
            max_sessions: 64,
            max_sessions_per_user: 64,
            ..Config::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let state = AppState::new(config).expect("the state");
        runtime.spawn(state.registry().clone().run_housekeeping());
        let mut http = Self {
            runtime: Some(runtime),
            state,
            owner: Requester {
                identity: Identity::anonymous(),
                client: ClientInfo::new("127.0.0.1".to_owned(), Some("fuzz")),
            },
            viewer: None,
            id: String::new(),
            requests: 0,
            _folder: folder,
        };
        http.replace_session();
        http
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives until the target is dropped")
    }

    /// Ends the live session, lets it close (within a second), and opens another.
    fn replace_session(&mut self) {
        let registry = self.state.registry();
        self.viewer = None;
        let viewer = self.runtime().block_on(async {
            let _ = registry.end(&self.id, &self.owner);
            for _ in 0..100 {
                if registry.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            registry.open(&self.owner, 80, 24, true).await
        });
        // Should one not have closed yet, the limits leave room; if none opens, the requests
        // for `{id}` go to a session that is gone until the next replacement.
        if let Ok(viewer) = viewer {
            self.id = viewer.session().id().as_str().to_owned();
            self.viewer = Some(viewer);
        }
    }

    fn session_alive(&self) -> bool {
        let list = self.state.registry().list(&self.owner);
        list.iter().any(|summary| summary.id.as_str() == self.id)
    }

    /// The request an input describes, or `None` when its method or URI is not one.
    fn request(&self, input: &[u8]) -> Option<Request<Body>> {
        let text = String::from_utf8_lossy(input).replace(ID, &self.id);
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let (method, uri) = lines.next()?.split_once(' ')?;
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).ok()?)
            .uri(uri);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_bytes(value.trim_start().as_bytes()),
            ) {
                request = request.header(name, value);
            }
        }
        request.body(Body::from(body.to_owned())).ok()
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // End the session and let it close (its shell reaped, its recording finished), then stop
        // the runtime without waiting for blocking threads that are still parked.
        self.viewer = None;
        runtime.block_on(async {
            let _ = self.state.registry().end(&self.id, &self.owner);
            for _ in 0..50 {
                if self.state.session_count() == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        });
        runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    }
}

impl Target for Http {
    fn name(&self) -> &'static str {
        "http"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        [
            "GET /health\n\n",
            "GET /ready\n\n",
            "GET /api/v1/ui-config\n\n",
            "GET /api/v1/metrics\nAuthorization: Bearer abc\n\n",
            "GET /api/v1/sessions\nOrigin: https://allowed.example\n\n",
            "PATCH /api/v1/sessions/{id}\nContent-Type: application/json\n\n{\"name\":\"build\"}",
            "POST /api/v1/sessions/{id}/shares\nContent-Type: application/json\n\n{\"subject\":\"bob\",\"role\":\"view\"}",
            "POST /api/v1/sessions/{id}/shares\n\n{\"subject\":\"group:default/ops\",\"role\":\"write\"}",
            "DELETE /api/v1/sessions/{id}/shares\n\n{\"subject\":\"user:default/bob\"}",
            "GET /api/v1/sessions/{id}/recording\n\n",
            "GET /api/v1/recordings\n\n",
            "DELETE /api/v1/sessions/unknown\n\n",
            "GET /api/v1/ws?session={id}\nConnection: upgrade\nUpgrade: websocket\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nOrigin: https://evil.example\n\n",
            "GET /assets/index.js\nAccept-Encoding: gzip, br\nIf-None-Match: \"x\"\n\n",
            "GET /index.html\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\nUser-Agent: fuzz\n\n",
        ]
        .iter()
        .map(|seed| seed.as_bytes().to_vec())
        .collect()
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        [
            "GET ",
            "POST ",
            "PATCH ",
            "DELETE ",
            "PUT ",
            "HEAD ",
            "OPTIONS ",
            "/api/v1/",
            "/api/v1/sessions",
            "/api/v1/sessions/",
            "/shares",
            "/recording",
            "/api/v1/recordings",
            "/api/v1/ws",
            "/api/v1/metrics",
            "/health",
            "/ready",
            "/ui-config",
            "/assets/",
            "..",
            "%2e%2e",
            "%2F",
            "%00",
            "?token=",
            "&access_token=",
            "?jwt=",
            "//",
            ID,
            "\n",
            "\n\n",
            "Origin: ",
            "Authorization: Bearer ",
            "Content-Type: application/json",
            "X-Forwarded-For: ",
            "User-Agent: ",
            "Accept-Encoding: ",
            "If-None-Match: ",
            "Connection: upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Key: ",
            "Host: ",
            "https://allowed.example",
            "null",
            "{\"name\":",
            "{\"subject\":",
            ",\"role\":",
            "\"view\"",
            "\"write\"",
            "\"owner\"",
            "user:default/",
            "group:",
            "}",
            "[",
            "]",
            "\"\\u0000\"",
            "\"\\u001b\"",
        ]
        .iter()
        .map(|token| token.as_bytes().to_vec())
        .collect()
    }

    fn max_len(&self) -> usize {
        2048
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        self.requests += 1;
        if self.requests.is_multiple_of(REPLACE_EVERY)
            || (self.requests.is_multiple_of(CHECK_EVERY) && !self.session_alive())
        {
            self.replace_session();
        }
        let Some(request) = self.request(input) else {
            return 0;
        };
        let app = router(self.state.clone());
        let (status, body) = self.runtime().block_on(async move {
            let response = app
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
                .await
                .expect("a response body is readable");
            (status, body)
        });
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "answered 500: {text}"
        );
        u64::from(status.as_u16()) << 48 ^ text_signature(&text)
    }
}
