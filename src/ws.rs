//! The terminal WebSocket (`docs/protocol.md`): upgrade, origin check, handshake, then one task
//! per connection driving output and input side by side until one of them ends the connection.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tracing::Instrument;

use crate::auth::verify::VerifyError;
use crate::auth::{self, AuditEvent, ClientInfo, Failure, Identity, Refusal};
use crate::protocol::{ClientMessage, CloseReason, ServerMessage};
use crate::server::{AppState, PeerAddr};
use crate::session::{SessionError, Viewer, ViewerEvent, ViewerInput};

/// The owner of every session while authentication is off.
const ANONYMOUS: &str = "anonymous";
/// How long a close frame may take to go out before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Initial WebSocket read buffer per connection.
const READ_BUFFER: usize = 4 * 1024;
/// A peer silent (no frames, no completed sends) for this many ping intervals is dead.
const SILENT_INTERVALS: u32 = 3;

/// `GET /api/v1/ws`: upgrades, then checks the origin and speaks the protocol.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(PeerAddr(remote)): ConnectInfo<PeerAddr>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin_allowed = origin_allowed(&headers, &state.config().allowed_origins);
    // Refused whether or not authentication is on: URLs end up in proxy logs and histories.
    let token_in_url = auth::query_has_token(uri.query());
    let header_token = auth::bearer_token(&headers).map(str::to_owned);
    let client = ClientInfo::new(
        auth::client_addr(remote, &headers, &state.config().trusted_proxies),
        headers
            .get(header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok()),
    );
    let limit = state.config().max_message_bytes;
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        // Input is mostly keystrokes; the buffer grows for a paste. The 128 KiB default would
        // cost every idle connection its own large allocation.
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            let span = tracing::info_span!(
                "connection",
                remote = %remote,
                session_id = tracing::field::Empty,
                user = tracing::field::Empty,
            );
            async move {
                let _counted = state.track_connection();
                let reason = if !origin_allowed {
                    close(socket, CloseReason::OriginNotAllowed).await;
                    Some(CloseReason::OriginNotAllowed)
                } else if token_in_url {
                    let refusal = Refusal::Unauthenticated(Failure::InUrl);
                    if let Some(auth) = state.auth() {
                        auth.record_refusal(&refusal, &client);
                    }
                    close(socket, refusal.close_reason()).await;
                    Some(refusal.close_reason())
                } else {
                    Connection::new(state, client)
                        .serve(socket, header_token)
                        .await
                };
                match reason {
                    Some(reason) => tracing::info!(
                        code = reason.close_code(),
                        reason = reason.label(),
                        "connection closed"
                    ),
                    None => tracing::debug!("connection dropped by the peer"),
                }
            }
            .instrument(span)
        })
}

/// Whether a WebSocket upgrade with these headers may proceed. Browsers always send `Origin`;
/// its host must equal the `Host` the browser connected to, or be listed in `allowed`.
/// Requests without `Origin` come from non-browser clients, which cross-site hijacking cannot
/// use, and are allowed.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed
        .iter()
        .any(|entry| entry.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    matches!((origin_host, host), (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host))
}

/// How a phase of the connection ended: with a close frame to send, or with the peer gone.
type Outcome = Option<CloseReason>;

/// One WebSocket connection after the upgrade.
struct Connection {
    state: AppState,
    /// Where the connection comes from, for the audit log.
    client: ClientInfo,
    /// Milliseconds since `started` when the peer last showed life.
    last_seen: AtomicU64,
    /// Set while input waits for room in the session's input queue; the peer is busy, not dead.
    input_waiting: AtomicBool,
    /// The peer sent `ping`; the output side answers `pong` (pings in a row get one answer).
    pong_owed: Notify,
    started: Instant,
}

impl Connection {
    fn new(state: AppState, client: ClientInfo) -> Self {
        Self {
            state,
            client,
            last_seen: AtomicU64::new(0),
            input_waiting: AtomicBool::new(false),
            pong_owed: Notify::new(),
            started: Instant::now(),
        }
    }

    fn saw_peer(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_seen.store(now, Ordering::Relaxed);
    }

    /// Runs the connection to its end; returns the close reason sent, if any. `header_token` is
    /// the upgrade's bearer token, if it had one.
    async fn serve(&self, mut socket: WebSocket, header_token: Option<String>) -> Outcome {
        let mut shutdown = self.state.shutdown_signal();
        let handshake = tokio::select! {
            outcome = tokio::time::timeout(
                self.state.config().handshake_timeout(),
                self.handshake(&mut socket, header_token),
            ) => outcome.unwrap_or(Err(Some(CloseReason::HandshakeTimeout))),
            _ = shutdown.wait_for(|down| *down) => Err(Some(CloseReason::ShuttingDown)),
        };
        let (mut viewer, token_expires) = match handshake {
            Ok(opened) => opened,
            Err(Some(reason)) => {
                close(socket, reason.clone()).await;
                return Some(reason);
            }
            Err(None) => return None,
        };
        let (mut sink, mut stream) = socket.split();
        let input = viewer.input();
        let outcome = tokio::select! {
            outcome = self.send_output(&mut sink, &mut viewer) => outcome,
            outcome = self.receive_input(&mut stream, &input) => outcome,
            outcome = self.watch_liveness() => outcome,
            outcome = expiry(token_expires) => outcome,
            _ = shutdown.wait_for(|down| *down) => Some(CloseReason::ShuttingDown),
        };
        drop(viewer);
        if let Some(reason) = &outcome {
            send_close(&mut sink, reason.clone()).await;
            // Read until the peer's close reply (or a timeout), so the socket closes cleanly
            // instead of resetting with unread data.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
        outcome
    }

    /// Reads the first message, authenticates when authentication is on, and opens or attaches
    /// a session. Returns the viewer and when the token expires. `Err(None)`: the peer left.
    async fn handshake(
        &self,
        socket: &mut WebSocket,
        header_token: Option<String>,
    ) -> Result<(Viewer, Option<tokio::time::Instant>), Outcome> {
        let text = loop {
            match socket.recv().await {
                None | Some(Ok(Message::Close(_))) => return Err(None),
                Some(Err(error)) => return Err(classify_error(&error)),
                Some(Ok(Message::Text(text))) => break text,
                Some(Ok(Message::Binary(_))) => {
                    return Err(Some(CloseReason::BadMessage(
                        "binary frame before open or attach".into(),
                    )));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            }
        };
        let message = ClientMessage::parse(&text).map_err(Some)?;
        let message_token = match &message {
            ClientMessage::Open { token, .. } | ClientMessage::Attach { token, .. } => {
                token.as_deref()
            }
            ClientMessage::Resize { .. } => {
                return Err(Some(CloseReason::BadMessage(
                    "resize before open or attach".into(),
                )));
            }
            ClientMessage::Ping => {
                return Err(Some(CloseReason::BadMessage(
                    "ping before open or attach".into(),
                )));
            }
        };
        let (identity, token_expires) = match self.state.auth() {
            None => (anonymous(), None),
            Some(auth) => {
                // The header wins when both are sent.
                let token = header_token.as_deref().or(message_token);
                let grant = auth
                    .authenticate(token, &self.client)
                    .await
                    .map_err(|refusal| Some(refusal.close_reason()))?;
                let expires = tokio::time::Instant::now() + grant.remaining();
                (grant.identity, Some(expires))
            }
        };
        let user = identity.user.as_str();
        tracing::Span::current().record("user", user);
        let registry = self.state.registry();
        let viewer = match message {
            ClientMessage::Open { cols, rows, .. } => {
                registry.open(user, &self.workspace(user)?, cols, rows)
            }
            ClientMessage::Attach { ref session, .. } => registry
                .attach(session, user, message.size())
                .inspect_err(|error| {
                    if let (SessionError::NotOwner, Some(auth)) = (error, self.state.auth()) {
                        auth.record_denied(&identity, &self.client, session, "not_owner");
                    }
                }),
            ClientMessage::Resize { .. } | ClientMessage::Ping => unreachable!("refused above"),
        }
        .map_err(|error| Some(self.refusal(error)))?;
        let id = viewer.session().id().to_owned();
        tracing::Span::current().record("session_id", id.as_str());
        if let Some(audit) = self.state.audit() {
            match message {
                ClientMessage::Open { .. } => audit.session_opened(&id, &identity, &self.client),
                _ => audit.record(
                    AuditEvent::SessionAttach,
                    auth::audit::Record {
                        identity: Some(&identity),
                        session_id: Some(&id),
                        client: Some(&self.client),
                        ..Default::default()
                    },
                ),
            }
        }
        let opened = ServerMessage::Opened { session: id }.to_json();
        if socket.send(Message::Text(opened.into())).await.is_err() {
            return Err(None);
        }
        Ok((viewer, token_expires))
    }

    /// The folder a user's shells start in: their own with authentication on, else the one
    /// everybody shares.
    fn workspace(&self, user: &str) -> Result<PathBuf, Outcome> {
        let root = &self.state.config().workspaces_dir;
        if self.state.auth().is_none() {
            return Ok(root.join(auth::workspace::SHARED));
        }
        auth::workspace::ensure(root, user).map_err(|error| {
            tracing::error!(%error, "cannot prepare the user's workspace");
            Some(CloseReason::Internal)
        })
    }

    /// Maps a registry refusal to its close reason, logging what the client is not told.
    fn refusal(&self, error: SessionError) -> CloseReason {
        match error {
            SessionError::ServerLimit(_) | SessionError::UserLimit(_) => {
                self.state.metrics().session_refused();
                tracing::warn!(%error, "session refused");
                CloseReason::SessionLimit
            }
            SessionError::Unknown => CloseReason::UnknownSession,
            SessionError::NotOwner => CloseReason::Forbidden,
            SessionError::Draining => CloseReason::ShuttingDown,
            SessionError::Spawn(_) => {
                tracing::error!(%error, "could not start a session");
                CloseReason::Internal
            }
        }
    }

    /// Sends output (and pings) until the session ends or this viewer lags.
    async fn send_output(
        &self,
        sink: &mut SplitSink<WebSocket, Message>,
        viewer: &mut Viewer,
    ) -> Outcome {
        let mut ping = tokio::time::interval(self.state.config().ping_interval());
        ping.tick().await;
        loop {
            let message = tokio::select! {
                event = viewer.next_event() => match event {
                    ViewerEvent::Output(bytes) => Message::Binary(bytes.into()),
                    ViewerEvent::Finished(code) => {
                        let exit = ServerMessage::Exit { code }.to_json();
                        let _ = sink.send(Message::Text(exit.into())).await;
                        return Some(CloseReason::Exited);
                    }
                    ViewerEvent::Lagged => return Some(CloseReason::TooSlow),
                },
                _ = ping.tick() => Message::Ping(Default::default()),
                () = self.pong_owed.notified() => Message::Text(ServerMessage::Pong.to_json().into()),
            };
            if sink.send(message).await.is_err() {
                return None;
            }
            self.saw_peer();
        }
    }

    /// Forwards input and resizes until the peer leaves or misbehaves.
    async fn receive_input(
        &self,
        stream: &mut SplitStream<WebSocket>,
        input: &ViewerInput,
    ) -> Outcome {
        while let Some(message) = stream.next().await {
            self.saw_peer();
            match message {
                Err(error) => return classify_error(&error),
                Ok(Message::Binary(bytes)) => {
                    self.input_waiting.store(true, Ordering::Relaxed);
                    // If the session no longer takes input it is finishing; the output side
                    // sends the exit.
                    input.send(bytes).await;
                    self.input_waiting.store(false, Ordering::Relaxed);
                }
                Ok(Message::Text(text)) => match ClientMessage::parse(&text) {
                    Ok(ClientMessage::Resize { cols, rows }) => input.resize(cols, rows),
                    Ok(ClientMessage::Ping) => self.pong_owed.notify_one(),
                    Ok(ClientMessage::Open { .. } | ClientMessage::Attach { .. }) => {
                        return Some(CloseReason::BadMessage(
                            "open or attach after the session is already open".into(),
                        ));
                    }
                    Err(reason) => return Some(reason),
                },
                Ok(Message::Close(_)) => return None,
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
            }
        }
        None
    }

    /// Returns once the peer has been silent for too long.
    async fn watch_liveness(&self) -> Outcome {
        let interval = self.state.config().ping_interval();
        let limit = interval * SILENT_INTERVALS;
        loop {
            tokio::time::sleep(interval).await;
            let last_seen = Duration::from_millis(self.last_seen.load(Ordering::Relaxed));
            let silent = self.started.elapsed().saturating_sub(last_seen);
            if silent >= limit && !self.input_waiting.load(Ordering::Relaxed) {
                return Some(CloseReason::PeerUnresponsive);
            }
        }
    }
}

/// The identity of everyone while authentication is off.
fn anonymous() -> Identity {
    Identity {
        user: ANONYMOUS.to_owned(),
        groups: Vec::new(),
        provider: String::new(),
    }
}

/// Returns when the connection's token expires (never without one): the session stays for its
/// grace period, and the client reattaches with a fresh token.
async fn expiry(deadline: Option<tokio::time::Instant>) -> Outcome {
    match deadline {
        Some(deadline) => {
            tokio::time::sleep_until(deadline).await;
            Some(Refusal::Unauthenticated(Failure::Invalid(VerifyError::Expired)).close_reason())
        }
        None => std::future::pending().await,
    }
}

/// Maps a WebSocket read error to the close reason the peer gets, or `None` if it is gone.
fn classify_error(error: &axum::Error) -> Outcome {
    use tungstenite::error::{CapacityError, Error};
    let inner = std::error::Error::source(error).and_then(|source| source.downcast_ref::<Error>());
    match inner {
        Some(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
            Some(CloseReason::MessageTooBig)
        }
        Some(Error::Utf8(_)) => Some(CloseReason::InvalidUtf8),
        Some(Error::Protocol(_)) => {
            Some(CloseReason::BadMessage("WebSocket protocol error".into()))
        }
        _ => None,
    }
}

/// Sends `reason` as a close frame on a socket that has not been split.
async fn close(mut socket: WebSocket, reason: CloseReason) {
    let frame = close_frame(&reason);
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn send_close(sink: &mut SplitSink<WebSocket, Message>, reason: CloseReason) {
    let frame = close_frame(&reason);
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}

fn close_frame(reason: &CloseReason) -> CloseFrame {
    CloseFrame {
        code: reason.close_code(),
        reason: reason.reason().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn origin_must_match_host_or_be_listed() {
        let allowed = vec!["https://backstage.example.com".to_owned()];
        assert!(origin_allowed(&headers(None, "t.example:8080"), &allowed));
        assert!(origin_allowed(
            &headers(Some("http://t.example:8080"), "t.example:8080"),
            &allowed
        ));
        assert!(origin_allowed(
            &headers(Some("https://T.example"), "t.example"),
            &allowed
        ));
        assert!(origin_allowed(
            &headers(Some("https://backstage.example.com"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("https://evil.example"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("http://t.example:9999"), "t.example:8080"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("null"), "t.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("https://t.example.evil.example"), "t.example"),
            &[]
        ));
    }
}
