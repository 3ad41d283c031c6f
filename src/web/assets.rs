//! The UI, embedded at compile time by `build.rs` (see there for where it comes from), and how
//! it is served: content types, ETags, and caching for good where a name carries a hash.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));

/// Served at `/` when the binary was built without a UI.
const PLACEHOLDER: &[u8] = br#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>web-terminal</title></head>
<body><h1>web-terminal</h1>
<p>This binary was built without its UI. Build the UI first (<code>make run</code> does both, or
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, then <code>cargo build</code>),
or point <code>WEB_TERMINAL_UI_DIST</code> at a built UI when compiling.</p>
</body></html>
"#;

/// An embedded file.
#[derive(Debug, Clone, Copy)]
struct Asset {
    /// The file's bytes.
    contents: &'static [u8],
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its strong ETag, a hash of the contents.
    etag: &'static str,
    /// Whether its name carries a content hash, so it may be cached for good.
    immutable: bool,
}

/// The file at `path` (relative to the UI root, `index.html` for `/`), if embedded.
fn lookup(path: &str) -> Option<Asset> {
    if UI_FILES.is_empty() && path == "index.html" {
        return Some(Asset {
            contents: PLACEHOLDER,
            content_type: "text/html; charset=utf-8",
            etag: "\"placeholder\"",
            immutable: false,
        });
    }
    UI_FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|&(name, contents, etag)| Asset {
            contents,
            content_type: content_type(name),
            etag,
            immutable: name.starts_with("assets/"),
        })
}

/// The embedded file at `path` as a response, `304` when the client's copy is current.
pub(super) fn serve_asset(path: &str, request_headers: &HeaderMap) -> Response {
    let Some(asset) = lookup(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let cache_control = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
        (header::ETAG, HeaderValue::from_static(asset.etag)),
    ];
    let unchanged = request_headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == asset.etag.as_bytes());
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, Body::from(asset.contents)).into_response()
}

/// Whether a built UI is embedded (as opposed to the placeholder).
pub fn ui_embedded() -> bool {
    !UI_FILES.is_empty()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("txt") => "text/plain; charset=utf-8",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}
