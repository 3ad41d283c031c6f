//! The HTTP connection loop: what `axum::serve` does, plus a deadline for the request head.
//!
//! `axum::serve` gives hyper no timer, so hyper cannot enforce a header read timeout: a client
//! that sends its request head a byte at a time, just often enough to beat the listener's silence
//! timeout, holds a connection slot for as long as it likes. Here each connection is served by
//! hyper's HTTP/1 server with a timer, and must deliver every request head within
//! `header_read_timeout` or be closed. WebSocket upgrades are handed to axum as usual.
//!
//! Stopping: once `stop` resolves the loop accepts nothing more, asks every connection to finish
//! its current request and close, and returns when all have or `finish_within` has passed, so a
//! client that stopped reading its response cannot hold up the shutdown. (Upgraded WebSockets are
//! no longer HTTP connections by then; the server's drain closes them.)

use std::future::Future;
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
use tokio::sync::watch;
use tower::ServiceExt;

use crate::server::PeerAddr;

/// Serves `app` on `listener` until `stop` resolves, then waits up to `finish_within` for open
/// requests to finish. Handlers see the peer as `ConnectInfo<PeerAddr>`.
pub(crate) async fn serve<L>(
    mut listener: L,
    app: Router,
    header_read_timeout: Duration,
    stop: impl Future<Output = ()>,
    finish_within: Duration,
) where
    L: Listener<Addr = SocketAddr>,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // `finish` tells connections to wrap up; each holds a `running` receiver until it ends, so
    // `running_tx.closed()` resolves once the last one is gone.
    let (finish, _) = watch::channel(false);
    let (running_tx, running) = watch::channel(());
    let mut stop = pin!(stop);
    loop {
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo(PeerAddr(remote)));
            request
        });
        let connection = http
            .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
            .with_upgrades();
        let mut finish = finish.subscribe();
        let running = running.clone();
        tokio::spawn(async move {
            let finished = async move {
                let _ = finish.wait_for(|finish| *finish).await;
            };
            let mut connection = pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = finished => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                // Timeouts, resets and malformed requests: the client's problem, not ours.
                tracing::debug!(%remote, %error, "HTTP connection ended with an error");
            }
            drop(running);
        });
    }
    drop(listener);
    finish.send_replace(true);
    drop(running);
    if tokio::time::timeout(finish_within, running_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = running_tx.receiver_count(),
            "HTTP connections still open at shutdown; leaving them"
        );
    }
}
