//! A cap on concurrent connections, a cap per client address, and idle timeouts, wrapped around
//! any axum listener.
//!
//! Every open TCP connection costs a file descriptor, and the PTYs need them too. At the cap, the
//! oldest connection that has not sent a whole request head yet gives way to the next one, so
//! clients that connect and say nothing cannot lock out a health probe or a real user: under
//! pressure they are reclaimed at once rather than after the idle timeout. Only when every
//! connection is serving a request or a terminal does the listener stop accepting, and further
//! clients wait in the kernel's backlog. One client address (the peer, unless it is a trusted
//! proxy, whose clients the WebSocket upgrade counts by their forwarded address instead) may hold
//! at most `per_client` connections; more are closed as soon as they are accepted.
//!
//! A connection from which nothing arrives for the idle timeout is closed, and so is one whose
//! writes stay blocked that long because its peer stopped reading, so neither a silent client
//! nor one that never reads can keep a slot for good. Terminal WebSockets are never that quiet:
//! their peers answer the server's pings, and a viewer that falls behind is dropped long before.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::address_block::{AddressBlock, any_contains};

/// The limits a [`LimitedListener`] applies.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Most connections open at once (at least one).
    pub(crate) total: usize,
    /// Most connections open at once from one address (at least one).
    pub(crate) per_client: usize,
    /// A connection with nothing incoming (or its writes blocked) this long is closed.
    pub(crate) idle_timeout: Duration,
    /// Addresses not counted per client: trusted proxies.
    pub(crate) exempt: Vec<AddressBlock>,
}

/// A listener that holds at most `limits.total` connections open at once.
pub(crate) struct LimitedListener<L> {
    inner: L,
    limits: Limits,
    slots: Arc<Semaphore>,
    /// Open connections per peer address (trusted proxies exempt).
    per_client: PerClient,
    /// Connections in the order they were accepted, for eviction: those gone or past their
    /// first request are skipped (and pruned now and then).
    accepted: VecDeque<Weak<Mark>>,
}

impl<L> LimitedListener<L> {
    /// Wraps `inner` with `limits`.
    pub(crate) fn new(inner: L, limits: Limits) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(limits.total.max(1))),
            per_client: PerClient::new(limits.per_client),
            limits,
            accepted: VecDeque::new(),
        }
    }

    /// Asks the oldest connection that has not sent a request yet to close; whether there was
    /// one. Its slot comes back once its task has noticed.
    fn evict_oldest_silent(&mut self) -> bool {
        while let Some(mark) = self.accepted.pop_front() {
            if let Some(mark) = mark.upgrade()
                && !mark.requested.load(Ordering::Relaxed)
            {
                mark.evicted.store(true, Ordering::Relaxed);
                mark.waker.wake();
                return true;
            }
        }
        false
    }

    /// Remembers `mark` for eviction, dropping the entries that no longer matter once they
    /// outnumber the slots.
    fn remember(&mut self, mark: &Arc<Mark>) {
        if self.accepted.len() >= 2 * self.limits.total.max(1) {
            self.accepted.retain(|mark| {
                mark.upgrade()
                    .is_some_and(|mark| !mark.requested.load(Ordering::Relaxed))
            });
        }
        self.accepted.push_back(Arc::downgrade(mark));
    }
}

impl<L> Listener for LimitedListener<L>
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    type Io = Limited<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            let client = if any_contains(&self.limits.exempt, addr.ip()) {
                Some(ClientCount(None))
            } else {
                self.per_client.count(addr.ip())
            };
            let Some(client) = client else {
                tracing::debug!(client = %addr.ip(), "too many connections from one address");
                continue;
            };
            // At the cap, a newcomer is here: the oldest silent connection gives way. If every
            // connection is busy, the newcomer waits for one to close (and nothing else is
            // accepted meanwhile: the rest wait in the kernel's backlog).
            let slot = match Arc::clone(&self.slots).try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => {
                    if self.evict_oldest_silent() {
                        tracing::debug!("at the connection cap: closed the oldest silent one");
                    }
                    Arc::clone(&self.slots)
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed")
                }
            };
            let mark = Arc::new(Mark::default());
            self.remember(&mark);
            let connection = Limited {
                io,
                _slot: slot,
                _client: client,
                mark,
                idle: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                write_stall: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                write_stalled: false,
                idle_timeout: self.limits.idle_timeout,
            };
            return (connection, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Open connections per client address, each under a cap. Cheap to clone: a handle.
#[derive(Debug, Clone)]
pub(crate) struct PerClient {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    cap: usize,
}

impl PerClient {
    /// At most `cap` (at least one) per address.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            counts: Arc::default(),
            cap: cap.max(1),
        }
    }

    /// Counts one more connection from `ip` until the returned guard is dropped, or `None` when
    /// it has as many as it may.
    pub(crate) fn count(&self, ip: IpAddr) -> Option<ClientCount> {
        let mut counts = lock(&self.counts);
        let count = counts.entry(ip).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(ClientCount(Some((self.clone(), ip))))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One connection counted against its address's cap, until dropped.
#[derive(Debug)]
pub(crate) struct ClientCount(Option<(PerClient, IpAddr)>);

impl Drop for ClientCount {
    fn drop(&mut self) {
        if let Some((per_client, ip)) = self.0.take() {
            let mut counts = lock(&per_client.counts);
            if let Some(count) = counts.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&ip);
                }
            }
        }
    }
}

/// What the listener and the HTTP loop know of one connection: whether a request head has
/// arrived on it, and whether the listener wants it closed to make room.
#[derive(Debug, Default)]
struct Mark {
    requested: AtomicBool,
    evicted: AtomicBool,
    /// The connection's task, woken to notice its eviction.
    waker: AtomicWaker,
}

/// A handle the HTTP loop uses to say that a request arrived on a connection, which then no
/// longer gives way to newcomers at the cap.
#[derive(Debug, Clone)]
pub(crate) struct RequestSeen(Arc<Mark>);

impl RequestSeen {
    pub(crate) fn mark(&self) {
        self.0.requested.store(true, Ordering::Relaxed);
    }
}

/// A connection that frees its slot when dropped.
pub(crate) struct Limited<T> {
    io: T,
    _slot: OwnedSemaphorePermit,
    _client: ClientCount,
    mark: Arc<Mark>,
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
        if self.mark.evicted.load(Ordering::Relaxed) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed to make room: no request arrived while the server was at its cap",
            )));
        }
        let filled = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Pending => {
                self.mark.waker.register(cx.waker());
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
    /// The handle that marks this connection as having sent a request.
    pub(crate) fn request_seen(&self) -> RequestSeen {
        RequestSeen(Arc::clone(&self.mark))
    }

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
