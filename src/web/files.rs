//! Files between a browser and a session; the owner and `write` shares may move them, `view`
//! shares may not.
//! - `POST /api/v1/sessions/{id}/files?name=NAME`: uploads into the session's current directory
//!   (`session/transfer.rs` keeps the name and the path safe). The body is the file's bytes,
//!   streamed to disk; the answer says where it went.
//! - `GET /api/v1/sessions/{id}/downloads/{download}`: a file the session offered
//!   (`web-terminal download FILE`, see `control.rs`), once, as an attachment.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::api::Caller;
use super::outcome::{json_response, transfer_status};
use super::state::AppState;

/// The upload's query.
#[derive(Debug, Deserialize)]
pub(super) struct Named {
    name: String,
}

/// Streams the body into the file; 201 with its name, directory and size.
pub(super) async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(Named { name }): Query<Named>,
    Caller(by): Caller,
    body: Body,
) -> Response {
    let limit = state.config().transfer_max_bytes;
    let mut upload = match state.registry().upload(&id, &by, &name, limit).await {
        Ok(upload) => upload,
        Err(error) => return refused(&error),
    };
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let written = match chunk {
            Ok(chunk) => upload.write(&chunk).await,
            // The client went away mid-upload: nothing is kept.
            Err(_) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "the upload was cut off"}),
                );
            }
        };
        if let Err(error) = written {
            return refused(&error);
        }
    }
    match upload.finish().await {
        Ok((directory, bytes)) => json_response(
            StatusCode::CREATED,
            json!({"name": name, "directory": directory, "bytes": bytes}),
        ),
        Err(error) => refused(&error),
    }
}

/// Streams the offered file as an attachment named as the file is.
pub(super) async fn download(
    State(state): State<AppState>,
    Path((id, download)): Path<(String, String)>,
    Caller(by): Caller,
) -> Response {
    let limit = state.config().transfer_max_bytes;
    let (file, offer) = match state.registry().take_download(&id, &download, &by, limit) {
        Ok(taken) => taken,
        Err(error) => return refused(&error),
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_LENGTH, offer.bytes.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename*=UTF-8''{}",
                percent_encoded(&offer.name)
            ),
        ),
        (header::CACHE_CONTROL, "no-store".to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    (headers, body).into_response()
}

/// `name` percent-encoded for a `filename*` parameter (RFC 8187): only unreserved characters
/// stay as they are.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn refused(error: &crate::session::TransferError) -> Response {
    json_response(transfer_status(error), json!({"error": error.to_string()}))
}
