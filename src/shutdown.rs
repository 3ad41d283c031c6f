//! Graceful shutdown as one object: a cancellation token that says "stop", and the set of
//! terminal connections still running, so the drain can wait for their close frames; and, where
//! a drain is configured, a second token that says "take no new sessions" first.
//!
//! Everything that must react to shutdown holds a clone of [`Shutdown`]: the registry refuses
//! new sessions and `/ready` turns 503 once [`Shutdown::is_draining`] (a drain, or the
//! shutdown); the HTTP loop stops accepting on [`Shutdown::started`], every connection closes
//! with 1001, and the server's drain waits for the tracked connections with
//! [`Shutdown::connections_closed`] before it hangs up the shells.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// The shutdown signal and the connection tasks it waits for. Cheap to clone: both parts are
/// handles over shared state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    connections: TaskTracker,
    /// Cancelled when the server starts draining: no new sessions, existing ones go on. The
    /// shutdown proper (`token`) implies it.
    draining: CancellationToken,
    /// When a drain ends in the shutdown proper; set when a drain starts.
    drain_deadline: Arc<OnceLock<Instant>>,
}

impl Shutdown {
    /// A shutdown that has not started.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown; idempotent.
    pub(crate) fn start(&self) {
        self.draining.cancel();
        self.token.cancel();
    }

    /// Starts draining until `deadline`: no new sessions, while the existing ones go on;
    /// idempotent (the first deadline holds).
    pub(crate) fn start_draining(&self, deadline: Instant) {
        let _ = self.drain_deadline.set(deadline);
        self.draining.cancel();
    }

    /// Whole seconds until a drain that has started ends; `None` without one.
    pub(crate) fn drain_seconds_left(&self) -> Option<u32> {
        let deadline = self.drain_deadline.get()?;
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        Some(u32::try_from(left).unwrap_or(u32::MAX))
    }

    /// Whether the server takes no new sessions (draining, or shutting down).
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    /// Resolves once the server drains or shuts down (at once if it does).
    pub(crate) fn draining(&self) -> WaitForCancellationFuture<'_> {
        self.draining.cancelled()
    }

    /// Whether the shutdown has started.
    #[cfg(test)]
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
        assert!(shutdown.is_draining(), "shutting down implies draining");
    }

    #[tokio::test]
    async fn draining_is_not_shutting_down() {
        let shutdown = Shutdown::new();
        assert_eq!(shutdown.drain_seconds_left(), None);
        shutdown.start_draining(Instant::now() + Duration::from_secs(90));
        shutdown.start_draining(Instant::now());
        shutdown.draining().await;
        assert!(shutdown.is_draining());
        assert!(!shutdown.is_started());
        assert!(
            (88..=90).contains(&shutdown.drain_seconds_left().unwrap()),
            "the first deadline holds"
        );
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
