//! One terminal connection after its handshake: a `select!` over output to the client, input from
//! the client, the liveness watchdog, the token's expiry and the shutdown. Whichever ends first
//! decides how the connection ends ([`Ending`]); a close frame then goes out.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;

use super::outcome::{self, Ending};
use super::state::AppState;
use crate::auth::verify::VerifyError;
use crate::auth::{Failure, Refusal};
use crate::protocol::{ClientMessage, CloseReason, FLOW_WINDOW, ServerMessage};
use crate::session::{InputOutcome, Viewer, ViewerEvent, ViewerInput};

/// How long a close frame may take to go out before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// A peer silent (no frames, no completed sends) for this many ping intervals is dead.
const SILENT_INTERVALS: u32 = 3;

/// What a connection's handshake settled for the rest of it.
#[derive(Debug)]
pub(super) struct Terms {
    /// When the client's token runs out, if it has one.
    pub(super) token_expires: Option<tokio::time::Instant>,
    /// The client acknowledges output: at most [`FLOW_WINDOW`] bytes go unacknowledged.
    pub(super) flow: bool,
    /// The client is told when the server starts draining.
    pub(super) drain_notice: bool,
    /// The client is told the session's terminal size (`size`), before every snapshot and where
    /// it changes.
    pub(super) sizes: bool,
}

/// Relays between `socket` and `viewer` until one side ends, then closes the socket as the
/// ending says.
pub(super) async fn relay(
    state: &AppState,
    socket: WebSocket,
    mut viewer: Viewer,
    terms: Terms,
) -> Ending {
    let connection = Connection {
        state,
        last_seen: AtomicU64::new(0),
        input_waiting: AtomicBool::new(false),
        pong_owed: Notify::new(),
        readonly_owed: Notify::new(),
        readonly_told: AtomicBool::new(false),
        unacknowledged: terms.flow.then(|| AtomicU64::new(0)),
        drain_notice: terms.drain_notice && state.config().drain_timeout_secs > 0,
        sizes: terms.sizes,
        acknowledged: Notify::new(),
        started: Instant::now(),
    };
    let (mut sink, mut stream) = socket.split();
    let input = viewer.input();
    let ending = tokio::select! {
        ending = connection.send_output(&mut sink, &mut viewer) => ending,
        ending = connection.receive_input(&mut stream, &input) => ending,
        ending = connection.watch_liveness() => ending,
        ending = expiry(terms.token_expires) => ending,
        () = state.shutdown().started() => CloseReason::ShuttingDown.into(),
    };
    drop(viewer);
    if let Ending::Close(reason) = &ending
        && let Ok(socket) = sink.reunite(stream)
    {
        close(socket, reason).await;
    }
    ending
}

/// Sends `reason` as a close frame, then reads until the peer's close reply (or a timeout), so
/// the socket closes cleanly instead of resetting with unread data.
pub(super) async fn close(mut socket: WebSocket, reason: &CloseReason) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(close_frame(reason))).await;
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

fn close_frame(reason: &CloseReason) -> Message {
    Message::Close(Some(CloseFrame {
        code: reason.close_code(),
        reason: reason.reason().into(),
    }))
}

/// The liveness bookkeeping of one connection.
struct Connection<'a> {
    state: &'a AppState,
    /// Milliseconds since `started` when the peer last showed life.
    last_seen: AtomicU64,
    /// Set while input waits for room in the session's input queue; the peer is busy, not dead.
    input_waiting: AtomicBool,
    /// The peer sent `ping`; the output side answers `pong` (pings in a row get one answer).
    pong_owed: Notify,
    /// A watch-only client typed or resized: the output side says `readonly`, once.
    readonly_owed: Notify,
    readonly_told: AtomicBool,
    /// For a client that acknowledges output: bytes sent and not acknowledged yet.
    unacknowledged: Option<AtomicU64>,
    /// The client acknowledged some output.
    acknowledged: Notify,
    /// The client is to be told once when the server starts draining.
    drain_notice: bool,
    /// The client is told the session's size.
    sizes: bool,
    started: Instant,
}

impl Connection<'_> {
    /// Whether the client has as much output unacknowledged as it may have.
    fn window_full(&self) -> bool {
        self.unacknowledged
            .as_ref()
            .is_some_and(|sent| sent.load(Ordering::Relaxed) >= FLOW_WINDOW)
    }

    fn sent(&self, bytes: usize) {
        if let Some(sent) = &self.unacknowledged {
            sent.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    fn acknowledge(&self, bytes: u32) {
        if let Some(sent) = &self.unacknowledged {
            let _ = sent.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |sent| {
                Some(sent.saturating_sub(u64::from(bytes)))
            });
            self.acknowledged.notify_one();
        }
    }

    fn saw_peer(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_seen.store(now, Ordering::Relaxed);
    }

    /// Sends output (and pings) until the session ends or this viewer lags.
    async fn send_output(
        &self,
        sink: &mut SplitSink<WebSocket, Message>,
        viewer: &mut Viewer,
    ) -> Ending {
        let mut ping = tokio::time::interval(self.state.config().ping_interval());
        ping.tick().await;
        let mut first_snapshot = true;
        let mut drain_owed = self.drain_notice;
        loop {
            // A client whose terminal is behind gets nothing more until it catches up: the output
            // waits in the session, which slows the shell, as a real terminal would.
            let full = self.window_full();
            let message = tokio::select! {
                () = self.acknowledged.notified(), if full => continue,
                event = viewer.next_event(), if !full => match event {
                    ViewerEvent::Snapshot(bytes) => {
                        // The first snapshot is announced by `opened`; later ones (resyncs, only
                        // for clients that asked) by a `snapshot` message.
                        if !std::mem::take(&mut first_snapshot) {
                            let announce = ServerMessage::Snapshot.to_json();
                            if sink.send(Message::Text(announce.into())).await.is_err() {
                                return Ending::PeerGone;
                            }
                        }
                        Message::Binary(bytes.into())
                    }
                    ViewerEvent::Output(bytes) => Message::Binary(bytes.into()),
                    ViewerEvent::Resized(cols, rows) if self.sizes => {
                        Message::Text(ServerMessage::Size { cols, rows }.to_json().into())
                    }
                    ViewerEvent::Resized(..) => continue,
                    ViewerEvent::Finished(code) => {
                        let exit = ServerMessage::Exit { code }.to_json();
                        let _ = sink.send(Message::Text(exit.into())).await;
                        return CloseReason::Exited.into();
                    }
                    ViewerEvent::Lagged => return CloseReason::TooSlow.into(),
                    ViewerEvent::Revoked => return CloseReason::ShareWithdrawn.into(),
                },
                _ = ping.tick() => Message::Ping(Default::default()),
                () = self.pong_owed.notified() => Message::Text(ServerMessage::Pong.to_json().into()),
                () = self.readonly_owed.notified() => Message::Text(ServerMessage::ReadOnly.to_json().into()),
                () = self.state.shutdown().draining(), if drain_owed => {
                    drain_owed = false;
                    // A shutdown without a drain implies draining too: nothing to announce.
                    let Some(seconds_left) = self.state.shutdown().drain_seconds_left() else {
                        continue;
                    };
                    Message::Text(ServerMessage::Draining { seconds_left }.to_json().into())
                }
            };
            if let Message::Binary(bytes) = &message {
                self.sent(bytes.len());
            }
            if sink.send(message).await.is_err() {
                return Ending::PeerGone;
            }
            self.saw_peer();
        }
    }

    /// Forwards input and resizes until the peer leaves or misbehaves.
    async fn receive_input(
        &self,
        stream: &mut SplitStream<WebSocket>,
        input: &ViewerInput,
    ) -> Ending {
        while let Some(message) = stream.next().await {
            self.saw_peer();
            match message {
                Err(error) => return outcome::read_error(&error),
                Ok(Message::Binary(bytes)) => {
                    self.input_waiting.store(true, Ordering::Relaxed);
                    // If the session no longer takes input it is finishing; the output side
                    // sends the exit.
                    let outcome = input.send(bytes).await;
                    self.dropped_if_read_only(outcome);
                    self.input_waiting.store(false, Ordering::Relaxed);
                }
                Ok(Message::Text(text)) => match ClientMessage::parse(&text) {
                    Ok(ClientMessage::Resize { cols, rows }) => {
                        self.dropped_if_read_only(input.resize(cols, rows));
                    }
                    Ok(ClientMessage::Ping) => self.pong_owed.notify_one(),
                    Ok(ClientMessage::Ack { bytes }) => self.acknowledge(bytes),
                    Ok(ClientMessage::Open { .. } | ClientMessage::Attach { .. }) => {
                        return CloseReason::BadMessage(
                            "open or attach after the session is already open".into(),
                        )
                        .into();
                    }
                    Err(error) => return outcome::protocol_close(&error).into(),
                },
                Ok(Message::Close(_)) => return Ending::PeerGone,
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
            }
        }
        Ending::PeerGone
    }

    /// A watch-only client's input or resize was dropped: it is told so, once per connection.
    fn dropped_if_read_only(&self, outcome: InputOutcome) {
        if outcome == InputOutcome::ReadOnly && !self.readonly_told.swap(true, Ordering::Relaxed) {
            self.readonly_owed.notify_one();
        }
    }

    /// Returns once the peer has been silent for too long.
    async fn watch_liveness(&self) -> Ending {
        let interval = self.state.config().ping_interval();
        let limit = interval * SILENT_INTERVALS;
        loop {
            tokio::time::sleep(interval).await;
            let last_seen = Duration::from_millis(self.last_seen.load(Ordering::Relaxed));
            let silent = self.started.elapsed().saturating_sub(last_seen);
            if silent >= limit && !self.input_waiting.load(Ordering::Relaxed) {
                return CloseReason::PeerUnresponsive.into();
            }
        }
    }
}

/// Returns when the connection's token expires (never without one): the session stays for its
/// grace period, and the client reattaches with a fresh token.
async fn expiry(deadline: Option<tokio::time::Instant>) -> Ending {
    match deadline {
        Some(deadline) => {
            tokio::time::sleep_until(deadline).await;
            let expired = Refusal::Unauthenticated(Failure::Invalid(VerifyError::Expired));
            outcome::refusal_close(&expired).into()
        }
        None => std::future::pending().await,
    }
}
