//! The HTTP connection loop: what `axum::serve` does, plus a deadline for the request head.
//!
//! `axum::serve` gives hyper no timer, so hyper cannot enforce a header read timeout: a client
//! that sends its request head a byte at a time, just often enough to beat the listener's silence
//! timeout, holds a connection slot for as long as it likes. Here each connection is served by
//! hyper's HTTP/1 server with a timer, and must deliver every request head within
//! `header_read_timeout` or be closed. WebSocket upgrades are handed to axum as usual.
//!
//! Stopping: once the shutdown starts the loop accepts nothing more, asks every connection to
//! finish its current request and close, and returns when all have or `finish_within` has passed,
//! so a client that stopped reading its response cannot hold up the shutdown. (Upgraded
//! WebSockets are no longer HTTP connections by then; the shutdown tracks them separately.)

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::listener::LimitedListener;
use super::state::PeerAddr;
use crate::shutdown::Shutdown;

/// Turns Nagle's algorithm off on an accepted connection: a terminal's writes are small and
/// interactive (an echo, the first prompt, the output after Ctrl-C), and must not wait for the
/// peer's delayed ACK.
pub(crate) fn no_delay(stream: &tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

/// Serves `app` on `listener` until `shutdown` starts, then waits up to `finish_within` for open
/// requests to finish. Handlers see the peer as `ConnectInfo<PeerAddr>`.
pub(crate) async fn serve<L>(
    mut listener: LimitedListener<L>,
    app: Router,
    header_read_timeout: Duration,
    shutdown: &Shutdown,
    finish_within: Duration,
) where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = TaskTracker::new();
    loop {
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.started() => break,
        };
        let seen = io.request_seen();
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            seen.mark();
            let mut request = request.map(Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo(PeerAddr(remote)));
            request
        });
        let connection = http
            .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
            .with_upgrades();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let mut connection = pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = shutdown.started() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                // Timeouts, resets and malformed requests: the client's problem, not ours.
                tracing::debug!(%remote, %error, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(finish_within, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "HTTP connections still open at shutdown; leaving them"
        );
    }
}
