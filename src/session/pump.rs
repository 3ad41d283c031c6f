//! A session's two tasks: the pump (PTY output into the ring, under backpressure) and the input
//! writer (queued keystrokes to the PTY).
//!
//! The pump takes turns: a PTY that always has output never makes a read wait (tokio's `AsyncFd`
//! readiness spends no cooperative budget), and during a flood a non-blocking PTY read may still
//! sit in the kernel until the tty's flush worker has run. Without turns one flooding session
//! would hold its runtime thread until the ring was full (about 25 ms at `yes`'s pace on the
//! benchmark's machine), and every other task on that thread (its own viewer and input, other
//! sessions' echo) would wait. So after
//! [`TURN_TIME`] or [`TURN_BYTES`] of reading the pump yields to the runtime ([`Turn`]).

use std::pin::pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{CHUNK, EndCause, SLOW_VIEWER_LIMIT, Session};
use crate::pty::{Hangup, signal_leftover_group};

/// First size of a session's PTY read buffer.
const SMALL_READ: usize = 4 * 1024;
/// After SIGHUP, how long a session's processes get before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_secs(3);
/// After the shell exits, how long to wait for more output before calling the session done.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(100);
/// Longest the pump reads, without having had to wait, before it lets the other tasks on its
/// runtime thread run (a read that blocks in the kernel counts).
const TURN_TIME: Duration = Duration::from_millis(1);
/// Most output the pump reads in one turn. (Shorter turns cost throughput: every yield lets the
/// viewers send smaller frames.)
const TURN_BYTES: usize = 4 * CHUNK;

/// The pump's current turn: the reads since it last waited or yielded.
#[derive(Debug, Default)]
struct Turn {
    /// When the turn's first read started; `None` before it.
    started: Option<Instant>,
    /// Bytes read in the turn.
    bytes: usize,
}

impl Turn {
    /// A read starts at `now`.
    fn reading(&mut self, now: Instant) {
        self.started.get_or_insert(now);
    }

    /// A read of the turn gave `bytes` at `now`: whether the turn is over, in which case the
    /// pump must yield before it reads again.
    fn read(&mut self, bytes: usize, now: Instant) -> bool {
        self.bytes += bytes;
        let over = self.bytes >= TURN_BYTES
            || self
                .started
                .is_some_and(|started| now.duration_since(started) >= TURN_TIME);
        if over {
            self.end();
        }
        over
    }

    /// The pump waited (for output or for room) or yielded: the runtime's other tasks have run,
    /// and the next read starts a new turn.
    fn end(&mut self) {
        *self = Self::default();
    }
}

/// Runs `future`; also says whether it had to wait (the task gave its thread up meanwhile).
async fn noting_wait<F: Future>(future: F) -> (F::Output, bool) {
    let mut future = pin!(future);
    let mut waited = false;
    let output = std::future::poll_fn(|context| {
        let poll = future.as_mut().poll(context);
        waited |= poll.is_pending();
        poll
    })
    .await;
    (output, waited)
}

impl Session {
    /// Copies PTY output into the ring until the shell is gone, then marks the session finished.
    pub(super) async fn pump(self) {
        // Idle sessions are the common case: start with a small buffer and grow to CHUNK only
        // once a read fills it, so a thousand quiet shells do not pin 64 KiB each.
        let mut buf = vec![0u8; SMALL_READ];
        let mut shell_exited = false;
        let mut turn = Turn::default();
        loop {
            let room = self.lock().room();
            if room == 0 {
                let freed =
                    tokio::time::timeout(SLOW_VIEWER_LIMIT, self.inner.room_freed.notified());
                let (freed, waited) = noting_wait(freed).await;
                if freed.is_err() {
                    self.drop_laggards();
                }
                if waited {
                    turn.end();
                }
                continue;
            }
            let want = room.min(buf.len());
            turn.reading(Instant::now());
            let read = noting_wait(self.inner.pty.read(&mut buf[..want]));
            let result = if shell_exited {
                // The shell is gone; take what is buffered, but a background job holding the
                // PTY open must not keep the session alive.
                match tokio::time::timeout(DRAIN_AFTER_EXIT, read).await {
                    Ok(result) => result,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    result = read => result,
                    () = self.inner.exited.notified() => {
                        shell_exited = true;
                        continue;
                    }
                }
            };
            let (result, waited) = result;
            match result {
                Ok(0) => break,
                Ok(count) => {
                    self.push_output(&buf[..count]);
                    if count == buf.len() && buf.len() < CHUNK {
                        buf.resize(CHUNK, 0);
                    }
                    if waited {
                        // The read waited for output: the other tasks have run meanwhile.
                        turn.end();
                        turn.reading(Instant::now());
                    }
                    if turn.read(count, Instant::now()) {
                        tokio::task::yield_now().await;
                    }
                }
                Err(error) => {
                    tracing::debug!(session_id = %self.inner.id, %error, "PTY read failed");
                    break;
                }
            }
        }
        // Every slave fd is closed or the shell exited: wait for its status, then finish. A shell
        // that closed its terminal but lives on gets hung up on.
        if !shell_exited
            && self.exit_code().is_none()
            && tokio::time::timeout(HANGUP_GRACE, self.inner.exited.notified())
                .await
                .is_err()
        {
            self.end(EndCause::Exited, HANGUP_GRACE);
            self.inner.exited.notified().await;
        }
        let code = self.exit_code().unwrap_or(-1);
        // Background jobs of the shell go with it. The shell has been reaped, so its pid may be
        // reused by then: signal_leftover_group refuses to signal a stranger's group.
        signal_leftover_group(self.pid(), Hangup::Polite);
        let pid = self.pid();
        tokio::spawn(async move {
            tokio::time::sleep(HANGUP_GRACE).await;
            signal_leftover_group(pid, Hangup::Forced);
        });
        self.inner
            .progress
            .send_modify(|progress| progress.finished = Some(code));
    }

    /// Appends `bytes` to the ring; viewers and the model task take them from there.
    fn push_output(&self, bytes: &[u8]) {
        self.record(|recorder| recorder.output(bytes));
        let end = self.lock().push_output(bytes, Instant::now());
        self.inner.metrics.bytes_out(bytes.len());
        self.inner
            .progress
            .send_modify(|progress| progress.end = end);
    }

    /// The pump has waited too long for room: detach the viewers that hold it up.
    fn drop_laggards(&self) {
        if self.lock().mark_laggards() {
            // Wake the lagging viewers so they notice.
            self.inner.progress.send_modify(|_| {});
        }
    }

    /// Writes queued input to the PTY until the session finishes.
    pub(super) async fn write_input(self, mut queue: mpsc::Receiver<Bytes>) {
        let mut progress = self.inner.progress.subscribe();
        loop {
            let chunk = tokio::select! {
                chunk = queue.recv() => chunk,
                _ = progress.wait_for(|progress| progress.finished.is_some()) => None,
            };
            let Some(chunk) = chunk else { return };
            self.record(|recorder| recorder.input(&chunk));
            if let Err(error) = self.inner.pty.write_all(&chunk).await {
                tracing::debug!(session_id = %self.inner.id, %error, "PTY write failed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_ends_after_turn_bytes_of_output() {
        let start = Instant::now();
        let mut turn = Turn::default();
        let mut read = 0;
        let mut reads = 0;
        loop {
            turn.reading(start);
            reads += 1;
            read += 4095;
            if turn.read(4095, start) {
                break;
            }
        }
        assert!(
            read >= TURN_BYTES && read - 4095 < TURN_BYTES,
            "{read} bytes"
        );
        assert_eq!(reads, TURN_BYTES.div_ceil(4095));
        turn.reading(start);
        assert!(!turn.read(4095, start), "the next read starts a new turn");
    }

    #[test]
    fn a_turn_ends_after_turn_time_from_its_first_read_blocking_reads_included() {
        let start = Instant::now();
        let mut turn = Turn::default();
        turn.reading(start);
        // A read that sat in the kernel for most of the turn still counts from its start.
        assert!(!turn.read(100, start + TURN_TIME / 2));
        turn.reading(start + TURN_TIME / 2);
        assert!(turn.read(100, start + TURN_TIME));
        let later = start + TURN_TIME * 10;
        turn.reading(later);
        assert!(!turn.read(100, later), "a fresh turn after the yield");
    }

    #[test]
    fn waiting_ends_the_turn() {
        let start = Instant::now();
        let mut turn = Turn::default();
        turn.reading(start);
        assert!(!turn.read(TURN_BYTES - 1, start));
        turn.end();
        let later = start + TURN_TIME * 2;
        turn.reading(later);
        assert!(
            !turn.read(1, later),
            "neither the bytes nor the time before the wait count"
        );
    }
}
