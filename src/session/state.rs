//! A session's mutable state, behind its one lock, and the flow-control decisions taken on it:
//! how much output the pump may read ([`State::room`]), what a viewer takes next
//! ([`State::take`]: output, or the session's new size where it changed), which viewers hold the
//! others up ([`State::mark_laggards`]), and whose size the PTY follows ([`State::wanted_size`]). Plain data and plain functions: the async parts
//! (`pump.rs`, `viewer.rs`) call these under the lock and do the waiting themselves.

use std::time::Instant;

use super::access::{Role, Share};
use super::events::EndCause;
use super::scrollback::ScrollbackRing;
use super::sizes::SizeLog;
use crate::auth::Identity;

/// One viewer's place in the session, as the session sees it.
#[derive(Debug)]
pub(super) struct ViewerState {
    pub(super) id: u64,
    /// Offset of the next byte this viewer will take.
    pub(super) cursor: u64,
    /// Its terminal size, once known.
    pub(super) size: Option<(u16, u16)>,
    /// The session's size it was last told of (with its snapshot, or by [`Take::Resized`]).
    told: (u16, u16),
    /// When it last typed, resized or attached: the most recent one's size wins.
    pub(super) last_active: Instant,
    /// Detached from backpressure for holding others up; it must reattach.
    pub(super) lagging: bool,
    /// Who is watching, and what they may do: a share's revocation cuts off the viewers whose
    /// role it changes.
    pub(super) identity: Identity,
    pub(super) role: Role,
    /// Its share was revoked (or changed): it must go.
    pub(super) revoked: bool,
}

/// What a viewer gets from [`State::take`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Take {
    /// The next output bytes, in order; the viewer's cursor has moved past them. They are all
    /// for one terminal size: output never spans a size change.
    Output(Vec<u8>),
    /// The output from here on is for this terminal size: the session was resized there.
    Resized((u16, u16)),
    /// Nothing new yet.
    Nothing,
    /// The viewer is lagging (or gone): it must reattach.
    Lagged,
}

/// Everything about a session that changes. The session wraps it in a std mutex: it is never
/// held across an await, and every critical section is a few field updates or one memcpy.
#[derive(Debug)]
pub(super) struct State {
    pub(super) ring: ScrollbackRing,
    viewers: Vec<ViewerState>,
    next_viewer: u64,
    /// Offset of the next byte the terminal model will parse: the model reads the ring too.
    model_cursor: u64,
    /// The size the PTY has now.
    pub(super) size: (u16, u16),
    /// Where in the output the size changed.
    sizes: SizeLog,
    /// Last input or output, for the idle timeout.
    pub(super) last_activity: Instant,
    /// When the last viewer left; `None` while any is attached.
    pub(super) detached_since: Option<Instant>,
    /// The shell's exit code, once reaped.
    pub(super) exit_code: Option<i32>,
    /// Why the server ended the session, once it has decided to (SIGHUP sent).
    pub(super) ended_by: Option<EndCause>,
    /// Its owner's name for it; empty until set.
    pub(super) name: String,
    /// Who else may attach, and how.
    pub(super) shares: Vec<Share>,
}

impl State {
    /// A session of `size` with no viewers yet, keeping `scrollback_bytes` of output.
    pub(super) fn new(scrollback_bytes: usize, size: (u16, u16), now: Instant) -> Self {
        Self {
            ring: ScrollbackRing::new(scrollback_bytes),
            viewers: Vec::new(),
            next_viewer: 0,
            model_cursor: 0,
            size,
            sizes: SizeLog::new(size),
            last_activity: now,
            detached_since: Some(now),
            exit_code: None,
            ended_by: None,
            name: String::new(),
            shares: Vec::new(),
        }
    }

    /// Viewers attached now.
    pub(super) fn viewer_count(&self) -> usize {
        self.viewers.len()
    }

    /// Adds a viewer that starts at output offset `from` (a snapshot covers what came before);
    /// returns its id.
    #[cfg(test)]
    pub(super) fn add_viewer(&mut self, from: u64, size: Option<(u16, u16)>, now: Instant) -> u64 {
        self.add_viewer_as(from, size, now, Identity::anonymous(), Role::Owner)
    }

    /// [`add_viewer`](Self::add_viewer) for `identity` with `role`; a viewer that may not type
    /// has no say in the size.
    pub(super) fn add_viewer_as(
        &mut self,
        from: u64,
        size: Option<(u16, u16)>,
        now: Instant,
        identity: Identity,
        role: Role,
    ) -> u64 {
        let id = self.next_viewer;
        self.next_viewer += 1;
        self.viewers.push(ViewerState {
            id,
            cursor: from,
            size: size.filter(|_| role.may_type()),
            told: self.sizes.at(from),
            last_active: now,
            lagging: false,
            identity,
            role,
            revoked: false,
        });
        self.detached_since = None;
        id
    }

    /// Moves viewer `id` to output offset `to` and back into the flow control: it has been
    /// handed a snapshot of everything before, at the size then.
    pub(super) fn skip_to(&mut self, id: u64, to: u64) {
        if let Some(viewer) = self.viewers.iter_mut().find(|viewer| viewer.id == id) {
            viewer.cursor = to;
            viewer.told = self.sizes.at(to);
            viewer.lagging = false;
        }
    }

    /// The PTY (and the model, which has parsed the output before `offset`) now has `size`.
    pub(super) fn resized(&mut self, offset: u64, size: (u16, u16)) {
        self.size = size;
        self.sizes.record(offset, size);
        let oldest_read = self
            .viewers
            .iter()
            .map(|viewer| viewer.cursor)
            .fold(offset, u64::min);
        self.sizes.forget_before(oldest_read);
    }

    /// Up to `max` output bytes just before offset `end`, as far as the ring still holds them.
    pub(super) fn output_before(&self, end: u64, max: usize) -> Vec<u8> {
        let start = end.saturating_sub(max as u64).max(self.ring.start());
        self.ring
            .read_from(start, (end - start) as usize)
            .unwrap_or_default()
    }

    /// The model has parsed the output before `offset`.
    pub(super) fn model_fed(&mut self, offset: u64) {
        self.model_cursor = offset;
    }

    /// Output bytes the model has not parsed yet.
    pub(super) fn model_lag(&self) -> u64 {
        self.ring.end() - self.model_cursor
    }

    /// Removes viewer `id`; the session counts as detached from `now` if it was the last.
    pub(super) fn remove_viewer(&mut self, id: u64, now: Instant) {
        self.viewers.retain(|viewer| viewer.id != id);
        if self.viewers.is_empty() {
            self.detached_since = Some(now);
        }
    }

    /// Appends shell output; returns the new end offset.
    pub(super) fn push_output(&mut self, bytes: &[u8], now: Instant) -> u64 {
        self.ring.push(bytes);
        self.last_activity = now;
        self.ring.end()
    }

    /// Bytes the pump may read before overwriting output the model or a (non-lagging) viewer
    /// has not taken.
    pub(super) fn room(&self) -> usize {
        let capacity = self.ring.capacity();
        let free = |cursor: u64| capacity.saturating_sub((self.ring.end() - cursor) as usize);
        self.viewers
            .iter()
            .filter(|viewer| !viewer.lagging)
            .map(|viewer| free(viewer.cursor))
            .fold(free(self.model_cursor), usize::min)
    }

    /// Up to `max` bytes of output for viewer `id`, moving its cursor past them; but first the
    /// session's size, where it changed before the next byte. A viewer whose next byte has been
    /// overwritten is marked lagging.
    pub(super) fn take(&mut self, id: u64, max: usize) -> Take {
        let Some(viewer) = self.viewers.iter_mut().find(|viewer| viewer.id == id) else {
            return Take::Lagged;
        };
        if viewer.lagging {
            return Take::Lagged;
        }
        let size = self.sizes.at(viewer.cursor);
        if size != viewer.told {
            viewer.told = size;
            return Take::Resized(size);
        }
        let max = match self.sizes.next_after(viewer.cursor) {
            Some(next) => max.min((next - viewer.cursor) as usize),
            None => max,
        };
        match self.ring.read_from(viewer.cursor, max) {
            Err(_) => {
                viewer.lagging = true;
                Take::Lagged
            }
            Ok(chunk) if chunk.is_empty() => Take::Nothing,
            Ok(chunk) => {
                viewer.cursor += chunk.len() as u64;
                Take::Output(chunk)
            }
        }
    }

    /// The pump has waited too long for room: marks the viewers that hold it up as lagging,
    /// unless every viewer is that slow, in which case the shell simply waits (real
    /// backpressure). Returns whether any viewer was marked.
    pub(super) fn mark_laggards(&mut self) -> bool {
        let capacity = self.ring.capacity() as u64;
        let end = self.ring.end();
        let blocks = |viewer: &ViewerState| !viewer.lagging && end - viewer.cursor >= capacity;
        let active = self.viewers.iter().filter(|viewer| !viewer.lagging).count();
        let blocking = self.viewers.iter().filter(|viewer| blocks(viewer)).count();
        if blocking == 0 || blocking == active {
            return false;
        }
        for viewer in &mut self.viewers {
            if blocks(viewer) {
                viewer.lagging = true;
            }
        }
        true
    }

    /// Viewer `id` typed or resized (`size`) at `now`.
    pub(super) fn touch(&mut self, id: u64, size: Option<(u16, u16)>, now: Instant) {
        self.last_activity = now;
        if let Some(viewer) = self.viewers.iter_mut().find(|viewer| viewer.id == id) {
            viewer.last_active = now;
            if size.is_some() && viewer.role.may_type() {
                viewer.size = size;
            }
        }
    }

    /// Marks revoked the viewers for which `lost(identity, role)` holds; whether any was.
    pub(super) fn revoke_viewers(&mut self, lost: impl Fn(&Identity, Role) -> bool) -> bool {
        let mut any = false;
        for viewer in &mut self.viewers {
            if !viewer.revoked && lost(&viewer.identity, viewer.role) {
                viewer.revoked = true;
                any = true;
            }
        }
        any
    }

    /// Who is attached now, one entry per connection: its user and role. Viewers cut off by a
    /// revoked share are gone already as far as anyone watching is concerned.
    pub(super) fn attached(&self) -> impl Iterator<Item = (&str, Role)> {
        self.viewers
            .iter()
            .filter(|viewer| !viewer.revoked)
            .map(|viewer| (viewer.identity.user.as_str(), viewer.role))
    }

    /// Whether viewer `id` has been cut off by a revoked share.
    pub(super) fn is_revoked(&self, id: u64) -> bool {
        self.viewers
            .iter()
            .any(|viewer| viewer.id == id && viewer.revoked)
    }

    /// The size of the most recently active viewer that has one.
    pub(super) fn wanted_size(&self) -> Option<(u16, u16)> {
        self.viewers
            .iter()
            .filter(|viewer| viewer.size.is_some())
            .max_by_key(|viewer| viewer.last_active)
            .and_then(|viewer| viewer.size)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const CAPACITY: usize = 16;

    fn state() -> State {
        State::new(CAPACITY, (80, 24), Instant::now())
    }

    /// Output from the shell, which the model (not under test here) parses at once.
    fn push(state: &mut State, bytes: &[u8]) {
        let end = state.push_output(bytes, Instant::now());
        state.model_fed(end);
    }

    fn taken(state: &mut State, id: u64, max: usize) -> Vec<u8> {
        match state.take(id, max) {
            Take::Output(bytes) => bytes,
            other => panic!("expected output, got {other:?}"),
        }
    }

    #[test]
    fn room_is_the_ring_without_viewers_and_the_slowest_viewers_gap_with_them() {
        let mut state = state();
        let now = Instant::now();
        push(&mut state, b"earlier");
        assert_eq!(state.room(), CAPACITY, "nobody to wait for");
        let fast = state.add_viewer(state.ring.end(), None, now);
        let slow = state.add_viewer(state.ring.end(), None, now);
        assert_eq!(
            state.room(),
            CAPACITY,
            "viewers start after the output a snapshot covers"
        );
        push(&mut state, b"0123456789");
        assert_eq!(state.room(), CAPACITY - 10);
        assert_eq!(taken(&mut state, fast, 100), b"0123456789");
        assert_eq!(
            state.room(),
            CAPACITY - 10,
            "the slow viewer still holds it"
        );
        assert_eq!(taken(&mut state, slow, 4), b"0123");
        assert_eq!(state.room(), CAPACITY - 6);
        state.remove_viewer(slow, now);
        assert_eq!(state.room(), CAPACITY, "a viewer that left holds nothing");
    }

    #[test]
    fn a_viewer_takes_output_in_order_in_chunks_of_at_most_max() {
        let mut state = state();
        let now = Instant::now();
        let viewer = state.add_viewer(state.ring.end(), None, now);
        assert_eq!(state.take(viewer, 4), Take::Nothing);
        push(&mut state, b"abcdef");
        push(&mut state, b"gh");
        assert_eq!(taken(&mut state, viewer, 4), b"abcd");
        assert_eq!(taken(&mut state, viewer, 4), b"efgh");
        assert_eq!(state.take(viewer, 4), Take::Nothing);
        push(&mut state, b"i");
        assert_eq!(taken(&mut state, viewer, 4), b"i");
    }

    #[test]
    fn a_viewer_whose_output_was_overwritten_lags_and_stays_lagging() {
        let mut state = state();
        let now = Instant::now();
        let viewer = state.add_viewer(state.ring.end(), None, now);
        // The pump never does this (room is 16), but a ring that moved on must not be misread.
        push(&mut state, &[b'x'; CAPACITY + 1]);
        assert_eq!(state.take(viewer, 4), Take::Lagged);
        assert_eq!(state.room(), CAPACITY, "a lagging viewer holds nothing up");
        push(&mut state, b"more");
        assert_eq!(state.take(viewer, 4), Take::Lagged);
        assert_eq!(state.take(99, 4), Take::Lagged, "an unknown viewer is gone");
    }

    #[test]
    fn only_the_viewers_that_hold_others_up_are_marked_lagging() {
        let mut state = state();
        let now = Instant::now();
        let fast = state.add_viewer(state.ring.end(), None, now);
        let slow = state.add_viewer(state.ring.end(), None, now);
        push(&mut state, &[b'x'; CAPACITY]);
        assert_eq!(state.room(), 0);
        // Both are a whole ring behind: the shell waits for them, nobody is dropped.
        assert!(!state.mark_laggards());
        taken(&mut state, fast, CAPACITY);
        assert!(state.mark_laggards(), "the slow viewer blocks the fast one");
        assert_eq!(state.take(slow, 4), Take::Lagged);
        assert_eq!(state.room(), CAPACITY);
        assert!(!state.mark_laggards(), "nothing left to mark");
        assert_eq!(
            state.take(fast, 4),
            Take::Nothing,
            "the fast viewer goes on"
        );
    }

    #[test]
    fn a_lone_slow_viewer_is_real_backpressure() {
        let mut state = state();
        let now = Instant::now();
        let viewer = state.add_viewer(state.ring.end(), None, now);
        push(&mut state, &[b'x'; CAPACITY]);
        assert_eq!(state.room(), 0);
        assert!(!state.mark_laggards());
        assert_eq!(taken(&mut state, viewer, CAPACITY).len(), CAPACITY);
        assert_eq!(state.room(), CAPACITY);
    }

    #[test]
    fn a_lagging_viewer_skips_to_the_end_and_holds_the_pump_again() {
        let mut state = state();
        let now = Instant::now();
        let fast = state.add_viewer(state.ring.end(), None, now);
        let slow = state.add_viewer(state.ring.end(), None, now);
        push(&mut state, &[b'x'; CAPACITY]);
        taken(&mut state, fast, CAPACITY);
        assert!(state.mark_laggards());
        assert_eq!(state.take(slow, 4), Take::Lagged);
        state.skip_to(slow, state.ring.end());
        assert_eq!(
            state.take(slow, 4),
            Take::Nothing,
            "nothing new since the snapshot"
        );
        push(&mut state, b"abc");
        assert_eq!(taken(&mut state, slow, 4), b"abc");
        assert_eq!(
            state.room(),
            CAPACITY - 3,
            "the fast viewer has not read abc yet"
        );
    }

    #[test]
    fn output_before_an_offset_is_what_the_ring_still_holds() {
        let mut state = state();
        assert!(state.output_before(0, 4).is_empty());
        push(&mut state, b"0123456789abcdefXYZ");
        assert_eq!(state.output_before(19, 4), b"fXYZ");
        assert_eq!(state.output_before(10, 4), b"6789");
        assert_eq!(
            state.output_before(19, 100).len(),
            CAPACITY,
            "at most what the ring holds"
        );
    }

    #[test]
    fn the_model_holds_the_pump_like_a_viewer_that_never_lags() {
        let mut state = state();
        let now = Instant::now();
        let viewer = state.add_viewer(0, None, now);
        state.push_output(&[b'x'; CAPACITY], now);
        taken(&mut state, viewer, CAPACITY);
        assert_eq!(state.model_lag(), CAPACITY as u64);
        assert_eq!(state.room(), 0, "the model has not parsed the ring yet");
        assert!(!state.mark_laggards(), "the model is never dropped");
        state.model_fed(4);
        assert_eq!(state.room(), 4);
        state.model_fed(CAPACITY as u64);
        assert_eq!((state.room(), state.model_lag()), (CAPACITY, 0));
    }

    #[test]
    fn the_pty_follows_the_most_recently_active_viewer_with_a_size() {
        let mut state = state();
        let start = Instant::now();
        let first = state.add_viewer(0, Some((100, 30)), start);
        let second = state.add_viewer(0, None, start + Duration::from_secs(1));
        assert_eq!(
            state.wanted_size(),
            Some((100, 30)),
            "a viewer without a size counts not"
        );
        state.touch(second, Some((120, 40)), start + Duration::from_secs(2));
        assert_eq!(state.wanted_size(), Some((120, 40)));
        state.touch(first, None, start + Duration::from_secs(3));
        assert_eq!(
            state.wanted_size(),
            Some((100, 30)),
            "typing makes a viewer the latest"
        );
        state.remove_viewer(first, start);
        assert_eq!(state.wanted_size(), Some((120, 40)));
    }

    #[test]
    fn detached_since_tracks_the_last_viewer_leaving() {
        let mut state = state();
        let start = Instant::now();
        assert!(
            state.detached_since.is_some(),
            "a new session has nobody yet"
        );
        let one = state.add_viewer(0, None, start);
        let two = state.add_viewer(0, None, start);
        assert_eq!(state.detached_since, None);
        state.remove_viewer(one, start);
        assert_eq!(state.detached_since, None);
        let later = start + Duration::from_secs(5);
        state.remove_viewer(two, later);
        assert_eq!(state.detached_since, Some(later));
    }

    #[test]
    fn attached_lists_each_connection_but_not_those_cut_off() {
        let mut state = state();
        let now = Instant::now();
        let bob = |user: &str| Identity {
            user: user.to_owned(),
            ..Identity::anonymous()
        };
        state.add_viewer(0, None, now);
        let cut = state.add_viewer_as(0, None, now, bob("user:default/bob"), Role::View);
        state.add_viewer_as(0, None, now, bob("user:default/carol"), Role::Write);
        state.revoke_viewers(|identity, _| identity.user == "user:default/bob");
        assert!(state.is_revoked(cut));
        let attached: Vec<_> = state.attached().collect();
        assert_eq!(
            attached,
            [
                ("anonymous", Role::Owner),
                ("user:default/carol", Role::Write)
            ]
        );
    }

    #[test]
    fn a_viewer_is_told_the_new_size_between_the_output_before_and_the_output_after() {
        let mut state = state();
        let now = Instant::now();
        let viewer = state.add_viewer(state.ring.end(), None, now);
        push(&mut state, b"before");
        state.resized(state.ring.end(), (100, 30));
        push(&mut state, b"after");
        assert_eq!(
            taken(&mut state, viewer, 100),
            b"before",
            "not beyond the change"
        );
        assert_eq!(state.take(viewer, 100), Take::Resized((100, 30)));
        assert_eq!(taken(&mut state, viewer, 100), b"after");
        assert_eq!(state.take(viewer, 100), Take::Nothing, "told once");

        // Resized and back with no output between: nothing to tell.
        state.resized(state.ring.end(), (90, 20));
        state.resized(state.ring.end(), (100, 30));
        push(&mut state, b"same");
        assert_eq!(taken(&mut state, viewer, 100), b"same");
    }

    #[test]
    fn a_snapshot_counts_as_telling_its_size() {
        let mut state = state();
        let now = Instant::now();
        let behind = state.add_viewer(state.ring.end(), None, now);
        push(&mut state, b"old");
        state.resized(state.ring.end(), (100, 30));
        push(&mut state, b"new");
        // Attached after the change, with a snapshot drawn at the new size.
        let late = state.add_viewer(0, None, now);
        state.skip_to(late, state.ring.end());
        assert_eq!(state.take(late, 100), Take::Nothing);
        // A resync past the change: its snapshot is at the new size too.
        state.skip_to(behind, state.ring.end());
        assert_eq!(state.take(behind, 100), Take::Nothing);
    }
}
