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

/// The embedded file at `path` as a response, `304` when the client's copy is current. A client
/// that accepts gzip gets the file's gzipped copy (`PATH.gz`, written when the UI was built) if
/// there is one: about a quarter of the bytes.
pub(super) fn serve_asset(path: &str, request_headers: &HeaderMap) -> Response {
    let Some(asset) = lookup(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    respond(asset, lookup(&format!("{path}.gz")), request_headers)
}

/// `asset`, or its gzipped copy `gzipped` for a client that accepts it, as a response.
fn respond(asset: Asset, gzipped: Option<Asset>, request_headers: &HeaderMap) -> Response {
    let cache_control = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let (sent, encoding) = match gzipped {
        Some(gzipped) if accepts_gzip(request_headers) => (gzipped, Some("gzip")),
        _ => (asset, None),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    // Each copy has its own ETag (a hash of its bytes), as each is a different representation.
    headers.insert(header::ETAG, HeaderValue::from_static(sent.etag));
    if gzipped.is_some() {
        // Caches must keep the two copies apart.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    let unchanged = request_headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == sent.etag.as_bytes());
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, Body::from(sent.contents)).into_response()
}

/// Whether the client takes a gzipped body: `Accept-Encoding` names `gzip` (or else `*`) without
/// `q=0`.
fn accepts_gzip(request_headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in request_headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|parameter| {
                let (name, weight) = parameter.split_once('=').unwrap_or((parameter, ""));
                name.trim().eq_ignore_ascii_case("q")
                    && weight
                        .trim()
                        .parse::<f32>()
                        .is_ok_and(|weight| weight <= 0.0)
            });
            if coding.eq_ignore_ascii_case("gzip") {
                gzip = Some(!refused);
            } else if coding == "*" {
                any = Some(!refused);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn gzip_is_taken_when_named_or_by_a_star_and_never_at_q_0() {
        for taken in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, GZIP;q=0.5",
            "*",
            "br, *;q=0.1",
        ] {
            assert!(accepts_gzip(&accept(taken)), "{taken}");
        }
        for refused in [
            "",
            "br",
            "identity",
            "gzip;q=0",
            "gzip; q=0.0, br",
            "*;q=0",
            "gzip;q=0, *",
        ] {
            assert!(!accepts_gzip(&accept(refused)), "{refused}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    const PLAIN: Asset = Asset {
        contents: b"console.log('terminal');",
        content_type: "text/javascript; charset=utf-8",
        etag: "\"plain\"",
        immutable: true,
    };
    const GZIPPED: Asset = Asset {
        contents: b"\x1f\x8b gzipped bytes",
        content_type: "application/octet-stream",
        etag: "\"gzipped\"",
        immutable: true,
    };

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn a_client_that_accepts_gzip_gets_the_gzipped_copy_with_its_own_etag() {
        let response = respond(PLAIN, Some(GZIPPED), &accept("gzip, br"));
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        assert_eq!(headers[header::CONTENT_TYPE], PLAIN.content_type);
        assert_eq!(headers[header::ETAG], GZIPPED.etag);
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(body(response).await, GZIPPED.contents);

        let mut current = accept("gzip");
        current.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"gzipped\""),
        );
        assert_eq!(
            respond(PLAIN, Some(GZIPPED), &current).status(),
            StatusCode::NOT_MODIFIED
        );
    }

    #[tokio::test]
    async fn others_get_the_file_as_it_is() {
        let response = respond(PLAIN, Some(GZIPPED), &accept("br"));
        let headers = response.headers().clone();
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(headers[header::ETAG], PLAIN.etag);
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(body(response).await, PLAIN.contents);
        // Without a gzipped copy, the response does not depend on Accept-Encoding.
        let response = respond(PLAIN, None, &accept("gzip"));
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(response.headers().get(header::VARY).is_none());
        assert_eq!(body(response).await, PLAIN.contents);
    }
}
