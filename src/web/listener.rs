//! A cap on concurrent connections, and idle timeouts, wrapped around any axum listener.
//!
//! Every open TCP connection costs a file descriptor, and the PTYs need them too. At the cap the
//! listener stops accepting, so further clients wait in the kernel's backlog instead of being
//! accepted and starved; each connection gives its slot back when it closes. A connection from
//! which nothing arrives for the idle timeout is closed, and so is one whose writes stay blocked
//! that long because its peer stopped reading, so neither a silent client nor one that never reads
//! can keep a slot for good. Terminal WebSockets are never that quiet: their peers answer the
//! server's pings, and a viewer that falls behind is dropped long before (4409).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// A listener that holds at most `limit` connections open at once.
pub(crate) struct LimitedListener<L> {
    inner: L,
    slots: Arc<Semaphore>,
    idle_timeout: Duration,
}

impl<L> LimitedListener<L> {
    /// Wraps `inner`, allowing `limit` concurrent connections (at least one), each closed after
    /// `idle_timeout` without incoming bytes.
    pub(crate) fn new(inner: L, limit: usize, idle_timeout: Duration) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(limit.max(1))),
            idle_timeout,
        }
    }
}

impl<L> Listener for LimitedListener<L>
where
    L: Listener,
    L::Io: Unpin,
{
    type Io = Limited<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (io, addr) = self.inner.accept().await;
        let connection = Limited {
            io,
            _slot: slot,
            idle: Box::pin(tokio::time::sleep(self.idle_timeout)),
            write_stall: Box::pin(tokio::time::sleep(self.idle_timeout)),
            write_stalled: false,
            idle_timeout: self.idle_timeout,
        };
        (connection, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that frees its slot when dropped.
pub(crate) struct Limited<T> {
    io: T,
    _slot: OwnedSemaphorePermit,
    /// Fires when nothing has arrived for `idle_timeout`; reset by every read.
    idle: Pin<Box<Sleep>>,
    /// Armed while a write is blocked (`write_stalled`); fires when it has been for
    /// `idle_timeout`.
    write_stall: Pin<Box<Sleep>>,
    write_stalled: bool,
    idle_timeout: Duration,
}

impl<T: AsyncRead + Unpin> AsyncRead for Limited<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Pending => {
                if self.idle.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "nothing received within the idle timeout",
                    )));
                }
                Poll::Pending
            }
            Poll::Ready(result) => {
                if buf.filled().len() > filled {
                    let deadline = Instant::now() + self.idle_timeout;
                    self.idle.as_mut().reset(deadline);
                }
                Poll::Ready(result)
            }
        }
    }
}

impl<T> Limited<T> {
    /// Passes a write's outcome through, timing how long writes stay blocked: an error once they
    /// have been for `idle_timeout`.
    fn watch_write<R>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if outcome.is_ready() {
            self.write_stalled = false;
            return outcome;
        }
        if !self.write_stalled {
            self.write_stalled = true;
            let deadline = Instant::now() + self.idle_timeout;
            self.write_stall.as_mut().reset(deadline);
        }
        if self.write_stall.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer has not read for the idle timeout",
            )));
        }
        Poll::Pending
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Limited<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch_write(cx, outcome)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let outcome = Pin::new(&mut self.io).poll_flush(cx);
        self.watch_write(cx, outcome)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch_write(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
