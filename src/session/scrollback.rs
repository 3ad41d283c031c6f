//! A bounded ring of a session's most recent output, addressed by absolute byte offsets.
//!
//! The ring is both the replay buffer for a reattaching client and the only output buffer of a
//! session: viewers read from it at their own offsets, so output is stored once however many
//! viewers there are. Its memory grows with use up to the capacity, so idle sessions stay small.

/// The requested offset has already been overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Overwritten;

/// The last `capacity` bytes written, plus the total count written so far.
#[derive(Debug)]
pub(super) struct ScrollbackRing {
    /// Byte at absolute offset `o` lives at `data[o % capacity]`; `data` grows up to `capacity`.
    data: Vec<u8>,
    capacity: usize,
    /// Total bytes ever written: the absolute offset one past the newest byte.
    end: u64,
}

impl ScrollbackRing {
    /// An empty ring holding at most `capacity` bytes (at least 1).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            data: Vec::new(),
            capacity: capacity.max(1),
            end: 0,
        }
    }

    /// The most bytes the ring holds.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Offset one past the newest byte.
    pub(super) fn end(&self) -> u64 {
        self.end
    }

    /// Offset of the oldest byte still held.
    pub(super) fn start(&self) -> u64 {
        self.end - self.data.len() as u64
    }

    /// Appends `bytes`, dropping the oldest output beyond the capacity.
    pub(super) fn push(&mut self, mut bytes: &[u8]) {
        if bytes.len() >= self.capacity {
            // Only the tail survives, and it fills the whole ring.
            let tail = &bytes[bytes.len() - self.capacity..];
            self.end += bytes.len() as u64;
            let split = self.capacity - (self.end % self.capacity as u64) as usize;
            self.grow_to(self.capacity);
            self.data.resize(self.capacity, 0);
            let (older, newer) = tail.split_at(split);
            self.data[self.capacity - split..].copy_from_slice(older);
            self.data[..newer.len()].copy_from_slice(newer);
            return;
        }
        while !bytes.is_empty() {
            let position = (self.end % self.capacity as u64) as usize;
            let room = self.capacity - position;
            let take = room.min(bytes.len());
            if self.data.len() < self.capacity {
                // Still growing: `position` equals `data.len()` until the first wrap.
                self.grow_to(position + take);
                self.data.extend_from_slice(&bytes[..take]);
            } else {
                self.data[position..position + take].copy_from_slice(&bytes[..take]);
            }
            self.end += take as u64;
            bytes = &bytes[take..];
        }
    }

    /// Up to `max` bytes starting at `offset`, or `Overwritten` when `offset` is older than
    /// [`start`](Self::start). An offset at or past the end gives an empty result.
    pub(super) fn read_from(&self, offset: u64, max: usize) -> Result<Vec<u8>, Overwritten> {
        if offset < self.start() {
            return Err(Overwritten);
        }
        let available = self.end.saturating_sub(offset) as usize;
        let count = available.min(max);
        let mut out = Vec::with_capacity(count);
        let mut position = (offset % self.capacity as u64) as usize;
        while out.len() < count {
            let take = (count - out.len()).min(self.data.len() - position);
            out.extend_from_slice(&self.data[position..position + take]);
            position = 0;
        }
        Ok(out)
    }

    /// Reserves exactly what is needed, doubling at most, never beyond the capacity.
    fn grow_to(&mut self, needed: usize) {
        if needed > self.data.capacity() {
            let target = needed.max(self.data.capacity() * 2).min(self.capacity);
            self.data.reserve_exact(target - self.data.len());
        }
    }

    /// Heap bytes held, for memory accounting in tests.
    #[cfg(test)]
    fn allocated(&self) -> usize {
        self.data.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference model: everything ever written.
    fn check_against_model(capacity: usize, writes: &[&[u8]]) {
        let mut ring = ScrollbackRing::new(capacity);
        let mut model = Vec::new();
        for write in writes {
            ring.push(write);
            model.extend_from_slice(write);
            assert_eq!(ring.end(), model.len() as u64);
            let start = ring.start() as usize;
            assert_eq!(start, model.len().saturating_sub(capacity));
            for offset in start..=model.len() {
                for max in [1, 3, capacity] {
                    let expected = &model[offset..(offset + max).min(model.len())];
                    assert_eq!(ring.read_from(offset as u64, max).unwrap(), expected);
                }
            }
            if start > 0 {
                assert_eq!(ring.read_from(start as u64 - 1, 1), Err(Overwritten));
            }
            assert!(ring.allocated() <= capacity);
        }
    }

    #[test]
    fn matches_a_model_across_wraps() {
        check_against_model(
            8,
            &[b"abc", b"defgh", b"ij", b"klmnopq", b"r", b"", b"stuvwxyz"],
        );
        check_against_model(5, &[b"0123456789abcdef", b"x", b"yz0123"]);
        check_against_model(1, &[b"a", b"bc", b""]);
    }

    #[test]
    fn memory_grows_only_with_use() {
        let mut ring = ScrollbackRing::new(256 * 1024);
        assert_eq!(ring.allocated(), 0);
        ring.push(&[b'x'; 100]);
        assert!(ring.allocated() < 1024);
        for _ in 0..10_000 {
            ring.push(&[b'y'; 1000]);
        }
        assert_eq!(ring.allocated(), 256 * 1024);
        assert_eq!(ring.end(), 100 + 10_000 * 1000);
    }
}
