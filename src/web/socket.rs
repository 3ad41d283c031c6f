//! The terminal WebSocket (`docs/protocol.md`): the upgrade, the origin check and the handshake
//! (first message, authentication, open or attach), then the relay of `connection.rs`.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use tracing::Instrument;

use super::client::{bearer_token, origin_allowed, query_has_token};
use super::connection::{Terms, close, relay};
use super::outcome::{self, Ending};
use super::relay::{Relayed, relay_to_owner};
use super::state::AppState;
use crate::auth::{ClientInfo, Failure, Identity, Refusal};
use crate::protocol::{ClientMessage, CloseReason, ServerMessage};
use crate::session::{Requester, SessionId, Viewer};

/// Initial WebSocket read buffer per connection.
const READ_BUFFER: usize = 4 * 1024;

/// `GET /api/v1/ws`: upgrades, then checks the origin and speaks the protocol.
pub(super) async fn upgrade(
    State(state): State<AppState>,
    client: ClientInfo,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin_allowed = origin_allowed(&headers, &state.config().allowed_origins);
    // Refused whether or not authentication is on: URLs end up in proxy logs and histories.
    let token_in_url = query_has_token(uri.query());
    let header_token = bearer_token(&headers).map(str::to_owned);
    // Terminal connections per client address: behind trusted proxies this is the forwarded
    // address, which the listener's own cap (by peer) cannot see.
    let counted = match client.remote_addr.parse() {
        Ok(ip) => match state.terminal_clients().count(ip) {
            Some(counted) => Some(counted),
            None => return outcome::too_many_connections(),
        },
        Err(_) => None,
    };
    let limit = state.config().max_message_bytes;
    let span = tracing::info_span!(
        "connection",
        remote = %client.remote_addr,
        session_id = tracing::field::Empty,
        user = tracing::field::Empty,
    );
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        // Input is mostly keystrokes; the buffer grows for a paste. The 128 KiB default would
        // cost every idle connection its own large allocation.
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            let tracked = state.shutdown().clone();
            tracked.track(
                async move {
                    let _per_client = counted;
                    let _counted = ConnectionCount::new(&state);
                    let ending = if !origin_allowed {
                        refuse(socket, CloseReason::OriginNotAllowed).await
                    } else if token_in_url {
                        let refusal = Refusal::Unauthenticated(Failure::InUrl);
                        if let Some(auth) = state.auth() {
                            auth.record_refusal(&refusal, &client);
                        }
                        refuse(socket, outcome::refusal_close(&refusal)).await
                    } else {
                        serve(&state, socket, client, header_token).await
                    };
                    match ending {
                        Ending::Close(reason) => tracing::info!(
                            code = reason.close_code(),
                            reason = reason.label(),
                            "connection closed"
                        ),
                        Ending::PeerGone => tracing::debug!("connection dropped by the peer"),
                        Ending::Relayed(code) => {
                            tracing::info!(
                                code,
                                "relayed connection closed by the session's replica"
                            );
                        }
                    }
                }
                .instrument(span),
            )
        })
}

/// Counts an open terminal connection in the metrics while alive.
struct ConnectionCount<'a>(&'a AppState);

impl<'a> ConnectionCount<'a> {
    fn new(state: &'a AppState) -> Self {
        state.metrics().websocket_connections(1);
        Self(state)
    }
}

impl Drop for ConnectionCount<'_> {
    fn drop(&mut self) {
        self.0.metrics().websocket_connections(-1);
    }
}

async fn refuse(socket: WebSocket, reason: CloseReason) -> Ending {
    close(socket, &reason).await;
    Ending::Close(reason)
}

/// A session opened or attached by the handshake.
struct Opened {
    viewer: Viewer,
    /// What the client's token and its `hello` say about the rest of the connection.
    terms: Terms,
}

/// Runs a connection to its end: the handshake under its timeout, then the relay.
async fn serve(
    state: &AppState,
    mut socket: WebSocket,
    client: ClientInfo,
    header_token: Option<String>,
) -> Ending {
    let handshake = tokio::select! {
        opened = tokio::time::timeout(
            state.config().handshake_timeout(),
            handshake(state, &mut socket, &client, header_token.as_deref()),
        ) => opened.unwrap_or(Err(CloseReason::HandshakeTimeout.into())),
        () = state.shutdown().started() => Err(CloseReason::ShuttingDown.into()),
    };
    match handshake {
        Ok(Handshake::Opened(opened)) => relay(state, socket, opened.viewer, opened.terms).await,
        Ok(Handshake::Elsewhere { node, first }) => {
            let Some(owner) = state.peers().url_of(&node).await else {
                return refuse(socket, CloseReason::UnknownSession).await;
            };
            let relayed = Relayed {
                first,
                header_token: header_token.as_deref(),
                client: &client,
                max_message_bytes: state.config().max_message_bytes,
            };
            relay_to_owner(socket, &owner, relayed).await
        }
        Err(Ending::Close(reason)) => refuse(socket, reason).await,
        Err(ending) => ending,
    }
}

/// What the handshake came to.
enum Handshake {
    /// A session here was opened or attached.
    Opened(Opened),
    /// The client attaches to a session of replica `node`; `first` is its message.
    Elsewhere { node: String, first: String },
}

/// Reads the first message, authenticates when authentication is on, and opens or attaches a
/// session, then tells the client which.
async fn handshake(
    state: &AppState,
    socket: &mut WebSocket,
    client: &ClientInfo,
    header_token: Option<&str>,
) -> Result<Handshake, Ending> {
    let text = loop {
        match socket.recv().await {
            None | Some(Ok(Message::Close(_))) => return Err(Ending::PeerGone),
            Some(Err(error)) => return Err(outcome::read_error(&error)),
            Some(Ok(Message::Text(text))) => break text,
            Some(Ok(Message::Binary(_))) => {
                return Err(
                    CloseReason::BadMessage("binary frame before open or attach".into()).into(),
                );
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
        }
    };
    let message = ClientMessage::parse(&text).map_err(|error| outcome::protocol_close(&error))?;
    // A session of another replica: that replica decides everything, as if the client had
    // come to it directly.
    if let ClientMessage::Attach { session, .. } = &message
        && let Some(node) = SessionId::node_of(session)
        && !state.peers().is_self(node)
    {
        return Ok(Handshake::Elsewhere {
            node: node.to_owned(),
            first: text.to_string(),
        });
    }
    let hello = match &message {
        ClientMessage::Open { hello, .. } | ClientMessage::Attach { hello, .. } => hello.clone(),
        ClientMessage::Resize { .. } => {
            return Err(CloseReason::BadMessage("resize before open or attach".into()).into());
        }
        ClientMessage::Ping => {
            return Err(CloseReason::BadMessage("ping before open or attach".into()).into());
        }
        ClientMessage::Ack { .. } => {
            return Err(CloseReason::BadMessage("ack before open or attach".into()).into());
        }
    };
    let (identity, token_expires) = match state.auth() {
        None => (Identity::anonymous(), None),
        Some(auth) => {
            // The header wins when both are sent.
            let token = header_token.or(hello.token.as_deref());
            let grant = auth
                .authenticate(token, client)
                .await
                .map_err(|refusal| outcome::refusal_close(&refusal))?;
            let expires = tokio::time::Instant::now() + grant.remaining();
            (grant.identity, Some(expires))
        }
    };
    tracing::Span::current().record("user", identity.user.as_str());
    let resync = hello.resync.unwrap_or(false);
    let requester = Requester {
        identity,
        client: client.clone(),
    };
    let registry = state.registry();
    let viewer = match &message {
        ClientMessage::Open { cols, rows, .. } => {
            registry.open(&requester, *cols, *rows, resync).await
        }
        ClientMessage::Attach { session, .. } => {
            registry.attach(session, &requester, message.size(), resync)
        }
        ClientMessage::Resize { .. } | ClientMessage::Ping | ClientMessage::Ack { .. } => {
            unreachable!("refused above")
        }
    }
    .map_err(|error| outcome::session_close(&error))?;
    let session = viewer.session().id().to_string();
    let role = viewer.role();
    tracing::Span::current().record("session_id", session.as_str());
    // Where the snapshot has history, the bytes that draw its screen alone, for the client to
    // draw first.
    let screen = viewer.snapshot_screen().and_then(|range| {
        Some([
            u32::try_from(range.start).ok()?,
            u32::try_from(range.end).ok()?,
        ])
    });
    let opened = ServerMessage::Opened {
        session,
        snapshot: Some(true),
        screen,
        role: Some(role.label().to_owned()),
    }
    .to_json();
    if socket.send(Message::Text(opened.into())).await.is_err() {
        return Err(Ending::PeerGone);
    }
    Ok(Handshake::Opened(Opened {
        viewer,
        terms: Terms {
            token_expires,
            flow: hello.flow.unwrap_or(false),
            drain_notice: hello.draining.unwrap_or(false),
            sizes: hello.size.unwrap_or(false),
        },
    }))
}
