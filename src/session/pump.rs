//! A session's two tasks: the pump (PTY output into the ring, under backpressure) and the input
//! writer (queued keystrokes to the PTY).

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

impl Session {
    /// Copies PTY output into the ring until the shell is gone, then marks the session finished.
    pub(super) async fn pump(self) {
        // Idle sessions are the common case: start with a small buffer and grow to CHUNK only
        // once a read fills it, so a thousand quiet shells do not pin 64 KiB each.
        let mut buf = vec![0u8; SMALL_READ];
        let mut shell_exited = false;
        loop {
            let room = self.lock().room();
            if room == 0 {
                if tokio::time::timeout(SLOW_VIEWER_LIMIT, self.inner.room_freed.notified())
                    .await
                    .is_err()
                {
                    self.drop_laggards();
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
