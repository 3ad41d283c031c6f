//! Attaching to a session that another replica owns: the connection is relayed, frame for frame,
//! over a WebSocket to the owner, which authenticates and authorises the client as if it had come
//! directly (its token travels in the same header or first message) and audits the real client
//! (`X-Forwarded-For`: the owner believes it when this replica is among its `trusted_proxies`).
//! An owner that cannot be reached in [`CONNECT_TIMEOUT`] is a session that is gone: 4404 at
//! once, no retries.

use std::time::Duration;

use axum::extract::ws::{self, WebSocket};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self as wire, http::HeaderValue};

use super::connection::close;
use super::outcome::Ending;
use crate::auth::ClientInfo;
use crate::protocol::CloseReason;

/// How long the owner may take to accept the relayed connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the relay needs to know of the client.
pub(super) struct Relayed<'a> {
    /// The client's first message, as it sent it.
    pub(super) first: String,
    /// Its `Authorization` header's token, if it sent one.
    pub(super) header_token: Option<&'a str>,
    pub(super) client: &'a ClientInfo,
    /// The largest message either side may send.
    pub(super) max_message_bytes: usize,
}

/// Relays `socket` to the replica at `owner` until either side closes; close frames pass
/// through unchanged.
pub(super) async fn relay_to_owner(socket: WebSocket, owner: &Url, relayed: Relayed<'_>) -> Ending {
    let Some(peer) = connect(owner, &relayed).await else {
        let gone = CloseReason::UnknownSession;
        close(socket, &gone).await;
        return Ending::Close(gone);
    };
    let (mut to_owner, mut from_owner) = peer.split();
    let (mut to_client, mut from_client) = socket.split();
    if to_owner
        .send(wire::Message::Text(relayed.first.into()))
        .await
        .is_err()
    {
        return Ending::Close(CloseReason::UnknownSession);
    }
    loop {
        tokio::select! {
            message = from_client.next() => {
                let Some(Ok(message)) = message else {
                    let _ = to_owner.close().await;
                    return Ending::PeerGone;
                };
                let closing = matches!(message, ws::Message::Close(_));
                if let Some(message) = to_wire(message)
                    && to_owner.send(message).await.is_err()
                {
                    return Ending::Relayed(None);
                }
                if closing {
                    return Ending::PeerGone;
                }
            }
            message = from_owner.next() => {
                let Some(Ok(message)) = message else {
                    // The owner went away without a word: as after a restart.
                    return Ending::Close(CloseReason::ShuttingDown);
                };
                let code = match &message {
                    wire::Message::Close(frame) => Some(frame.as_ref().map(|frame| u16::from(frame.code))),
                    _ => None,
                };
                if let Some(message) = from_wire(message) {
                    let _ = to_client.send(message).await;
                }
                if let Some(code) = code {
                    return Ending::Relayed(code);
                }
            }
        }
    }
}

type OwnerSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket to the owner, carrying the client's token and address; `None` when the
/// owner cannot be reached (or refuses the upgrade) in time.
async fn connect(owner: &Url, relayed: &Relayed<'_>) -> Option<OwnerSocket> {
    let mut url = owner.join("api/v1/ws").ok()?;
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme).ok()?;
    let mut request = url.as_str().into_client_request().ok()?;
    let headers = request.headers_mut();
    if let Some(token) = relayed.header_token {
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).ok()?,
        );
    }
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_str(&relayed.client.remote_addr).ok()?,
    );
    if let Some(agent) = &relayed.client.user_agent
        && let Ok(agent) = HeaderValue::from_str(agent)
    {
        headers.insert("user-agent", agent);
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(relayed.max_message_bytes))
        .max_frame_size(Some(relayed.max_message_bytes));
    let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok((socket, _))) => Some(socket),
        Ok(Err(error)) => {
            tracing::debug!(%owner, %error, "the session's replica refused the relay");
            None
        }
        Err(_) => {
            tracing::debug!(%owner, "the session's replica did not answer in time");
            None
        }
    }
}

/// A client's message for the owner; pings and pongs stay on their own hop.
fn to_wire(message: ws::Message) -> Option<wire::Message> {
    Some(match message {
        ws::Message::Text(text) => wire::Message::Text(text.as_str().into()),
        ws::Message::Binary(bytes) => wire::Message::Binary(bytes),
        ws::Message::Close(frame) => {
            wire::Message::Close(frame.map(|frame| wire::protocol::CloseFrame {
                code: CloseCode::from(frame.code),
                reason: frame.reason.as_str().into(),
            }))
        }
        ws::Message::Ping(_) | ws::Message::Pong(_) => return None,
    })
}

/// The owner's message for the client; pings and pongs stay on their own hop.
fn from_wire(message: wire::Message) -> Option<ws::Message> {
    Some(match message {
        wire::Message::Text(text) => ws::Message::Text(text.as_str().into()),
        wire::Message::Binary(bytes) => ws::Message::Binary(bytes),
        wire::Message::Close(frame) => ws::Message::Close(frame.map(|frame| ws::CloseFrame {
            code: u16::from(frame.code),
            reason: frame.reason.as_str().into(),
        })),
        wire::Message::Ping(_) | wire::Message::Pong(_) | wire::Message::Frame(_) => return None,
    })
}
