//! Keeping a session's terminal model fed, off the pump's path: the pump only appends output to
//! the ring; a task of its own feeds the model from there (on a blocking thread when much is
//! waiting, so parsing runs beside the pump rather than in its way). The model counts as a reader
//! of the ring, so output it has not parsed is never overwritten: a model that cannot keep up
//! slows the shell, as a slow viewer would.
//!
//! Whoever needs the model current (an attach, a resync, a resize) feeds it the rest first, under
//! its lock: a snapshot then covers exactly the output before the model's offset, and the viewer
//! continues from that offset.

use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use super::Session;
use crate::terminal::{Snapshot, TerminalModel};

/// Most output parsed per step while catching up (the state lock is free between steps).
const STEP: usize = 64 * 1024;
/// Output waiting beyond this is parsed on a blocking thread, beside the pump.
const INLINE_LIMIT: u64 = 16 * 1024;
/// Newest output handed to a snapshot, to finish an escape sequence cut off there.
const SNAPSHOT_TAIL: usize = 4096;
/// Output quiet for this long: the model parses the plain text it held back during a flood, so
/// an idle session keeps no unparsed text.
const SETTLE_AFTER: Duration = Duration::from_millis(250);

/// The terminal model and how far into the output it has been fed.
#[derive(Debug)]
pub(super) struct ModelFeed {
    pub(super) model: TerminalModel,
    /// The offset of the next output byte the model will parse.
    pub(super) fed: u64,
}

impl ModelFeed {
    pub(super) fn new(model: TerminalModel) -> Self {
        Self { model, fed: 0 }
    }
}

impl Session {
    pub(super) fn lock_model(&self) -> MutexGuard<'_, ModelFeed> {
        self.inner
            .model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Feeds `feed` the output it has not parsed yet. The state lock is held only to copy a step
    /// out of the ring and to record progress.
    pub(super) fn catch_up(&self, feed: &mut ModelFeed) {
        loop {
            let step = self
                .lock()
                .ring
                .read_from(feed.fed, STEP)
                .expect("the ring keeps what the model has not parsed");
            if step.is_empty() {
                return;
            }
            feed.model.feed(&step);
            feed.fed += step.len() as u64;
            self.lock().model_fed(feed.fed);
            self.inner.room_freed.notify_one();
        }
    }

    /// A snapshot of everything before `feed.fed` (call [`catch_up`](Self::catch_up) first).
    pub(super) fn snapshot(&self, feed: &mut ModelFeed) -> Snapshot {
        let started = Instant::now();
        let tail = self.lock().output_before(feed.fed, SNAPSHOT_TAIL);
        let snapshot = feed.model.snapshot_parts(&tail);
        self.inner.metrics.snapshot_built(started.elapsed());
        snapshot
    }

    /// Feeds the model as output arrives, until the session has finished.
    pub(super) async fn feed_model(self) {
        let mut progress = self.inner.progress.subscribe();
        loop {
            let finished = progress.borrow_and_update().finished.is_some();
            let waiting = self.lock().model_lag();
            if waiting > INLINE_LIMIT {
                let session = self.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    let mut feed = session.lock_model();
                    session.catch_up(&mut feed);
                })
                .await;
                continue;
            }
            if waiting > 0 {
                // Output just arrived: let the viewers send it first (an echo must not wait for
                // the model), then parse it.
                tokio::task::yield_now().await;
                let mut feed = self.lock_model();
                self.catch_up(&mut feed);
                continue;
            }
            if finished {
                return;
            }
            match tokio::time::timeout(SETTLE_AFTER, progress.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return,
                Err(_quiet) => {
                    // Up to a few milliseconds of parsing: beside the runtime, not on it.
                    let session = self.clone();
                    let _ =
                        tokio::task::spawn_blocking(move || session.lock_model().model.settle())
                            .await;
                    if progress.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
