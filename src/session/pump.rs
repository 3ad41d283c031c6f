//! A session's two tasks: the pump (PTY output into the ring, under backpressure) and the input
//! writer (queued keystrokes to the PTY).
//!
//! The pump's first read after output arrives runs on the runtime, so an echo leaves at once. The
//! reads after it run on a blocking thread, in flood turns ([`Session::flood_turn`]), until the
//! PTY has nothing more: while a shell writes faster than it is read, each read waits in the
//! kernel for the tty's flush worker to refill the line discipline's 4 KiB buffer, about a
//! millisecond on an idle machine where that worker first has to be woken. On a runtime thread
//! those waits would hold up every other task on it (other sessions' echo above all); a slowly
//! read flood (a viewer on a slow link) would cost a millisecond of a runtime thread per 4 KiB.

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
/// Most output one flood turn reads before the pump looks at the shell's exit again.
const FLOOD_TURN_BYTES: usize = 16 * CHUNK;

/// How a flood turn ([`Session::flood_turn`]) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FloodTurn {
    /// The turn's bytes were read, or the ring is full: the flood goes on.
    More,
    /// The PTY had nothing more: back to waiting for output.
    Drained,
    /// Every slave fd is closed, or reading failed.
    Ended,
}

impl Session {
    /// Copies PTY output into the ring until the shell is gone, then marks the session finished.
    pub(super) async fn pump(self) {
        // Idle sessions are the common case: start with a small buffer and grow to CHUNK only
        // once a read fills it, so a thousand quiet shells do not pin 64 KiB each.
        let mut buf = vec![0u8; SMALL_READ];
        let mut shell_exited = false;
        // Output has just been read: more may be on its way.
        let mut flowing = false;
        loop {
            let room = self.lock().room();
            if room == 0 {
                let freed =
                    tokio::time::timeout(SLOW_VIEWER_LIMIT, self.inner.room_freed.notified());
                if freed.await.is_err() {
                    self.drop_laggards();
                }
                continue;
            }
            if flowing && !shell_exited && self.exit_code().is_none() {
                let session = self.clone();
                let mut taken = std::mem::take(&mut buf);
                let turn = tokio::task::spawn_blocking(move || {
                    let outcome = session.flood_turn(&mut taken);
                    (taken, outcome)
                })
                .await;
                let Ok((given_back, outcome)) = turn else {
                    tracing::error!(session_id = %self.inner.id, "a flood turn panicked");
                    break;
                };
                buf = given_back;
                match outcome {
                    FloodTurn::More => {}
                    FloodTurn::Drained => flowing = false,
                    FloodTurn::Ended => break,
                }
                continue;
            }
            let want = room.min(buf.len());
            let read = self.inner.pty.read(&mut buf[..want]);
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
            match result {
                Ok(0) => break,
                Ok(count) => {
                    self.push_output(&buf[..count]);
                    if count == buf.len() && buf.len() < CHUNK {
                        buf.resize(CHUNK, 0);
                    }
                    flowing = true;
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

    /// One turn of reading during a flood, on a blocking thread: reads and appends output until
    /// [`FLOOD_TURN_BYTES`] are read, the ring is full or the PTY has nothing more.
    fn flood_turn(&self, buf: &mut [u8]) -> FloodTurn {
        let mut read = 0;
        while read < FLOOD_TURN_BYTES {
            let room = self.lock().room();
            if room == 0 {
                return FloodTurn::More;
            }
            let want = room.min(buf.len());
            match self.inner.pty.read_now(&mut buf[..want]) {
                Ok(0) => return FloodTurn::Ended,
                Ok(count) => {
                    self.push_output(&buf[..count]);
                    read += count;
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    return FloodTurn::Drained;
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    tracing::debug!(session_id = %self.inner.id, %error, "PTY read failed");
                    return FloodTurn::Ended;
                }
            }
        }
        FloodTurn::More
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
