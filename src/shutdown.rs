//! Graceful shutdown as one object: a cancellation token that says "stop", and the set of
//! terminal connections still running, so the drain can wait for their close frames.
//!
//! Everything that must react to shutdown holds a clone of [`Shutdown`]: the registry refuses
//! new sessions once [`Shutdown::is_started`], `/ready` turns 503, the HTTP loop stops accepting
//! on [`Shutdown::started`], every connection closes with 1001, and the server's drain waits for
//! the tracked connections with [`Shutdown::connections_closed`] before it hangs up the shells.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// The shutdown signal and the connection tasks it waits for. Cheap to clone: both parts are
/// handles over shared state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    connections: TaskTracker,
}

impl Shutdown {
    /// A shutdown that has not started.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown; idempotent.
    pub(crate) fn start(&self) {
        self.token.cancel();
    }

    /// Whether the shutdown has started.
    pub(crate) fn is_started(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once the shutdown has started (at once if it has).
    pub(crate) fn started(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// Counts `connection` as open until it completes, so the drain can wait for it.
    pub(crate) fn track<F: Future>(&self, connection: F) -> TrackedFuture<F> {
        self.connections.track_future(connection)
    }

    /// Waits until every tracked connection has completed, or `within` has passed; returns
    /// whether they all did. Connections that start afterwards are still waited for.
    pub(crate) async fn connections_closed(&self, within: Duration) -> bool {
        self.connections.close();
        tokio::time::timeout(within, self.connections.wait())
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn start_wakes_waiters_and_is_idempotent() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.is_started());
        let waiter = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.started().await }
        });
        shutdown.start();
        shutdown.start();
        waiter.await.unwrap();
        assert!(shutdown.is_started());
    }

    #[tokio::test]
    async fn waits_for_tracked_connections_up_to_the_deadline() {
        let shutdown = Shutdown::new();
        let (finish, finished) = tokio::sync::oneshot::channel::<()>();
        let connection = tokio::spawn(shutdown.track(async move {
            let _ = finished.await;
        }));
        // The connection never ends by itself, so the wait must give up.
        assert!(!shutdown.connections_closed(Duration::from_millis(50)).await);
        finish.send(()).unwrap();
        connection.await.unwrap();
        assert!(shutdown.connections_closed(Duration::from_secs(10)).await);
    }
}
