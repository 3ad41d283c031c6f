//! The UI, embedded at compile time by `build.rs` (see there for where it comes from).

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
pub struct Asset {
    /// The file's bytes.
    pub contents: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its strong ETag, a hash of the contents.
    pub etag: &'static str,
    /// Whether its name carries a content hash, so it may be cached for good.
    pub immutable: bool,
}

/// The file at `path` (relative to the UI root, `index.html` for `/`), if embedded.
pub fn lookup(path: &str) -> Option<Asset> {
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
