//! Where in the output the session's terminal size changed: each change at the output offset from
//! which output is for the new size (the model's offset when the PTY and the model were resized).
//! A viewer that draws at the session's size (a `view` client, `docs/protocol.md`) is told of a
//! change when it reaches that offset, between the output before and the output after.

use std::collections::VecDeque;

/// Changes kept at most: a viewer stuck further back than this many changes gets the oldest size
/// kept for its older output (it is drawn a few changes late). Changes need output between them
/// to be kept apart, so this is reached only by a session resized hundreds of times while a
/// viewer does not read.
const MAX_CHANGES: usize = 256;

/// A session's size changes, oldest first; never empty.
#[derive(Debug)]
pub(super) struct SizeLog {
    changes: VecDeque<(u64, (u16, u16))>,
}

impl SizeLog {
    /// A session born at `size`, at offset 0.
    pub(super) fn new(size: (u16, u16)) -> Self {
        Self {
            changes: VecDeque::from([(0, size)]),
        }
    }

    /// The size is `size` from output offset `offset` on (offsets never go back). A change at the
    /// offset of the last one replaces it: no output was drawn at that size.
    pub(super) fn record(&mut self, offset: u64, size: (u16, u16)) {
        match self.changes.back_mut() {
            Some((last, _)) if *last >= offset => {
                self.changes.pop_back();
            }
            _ => {}
        }
        if self.changes.back().is_some_and(|(_, last)| *last == size) {
            return;
        }
        self.changes.push_back((offset, size));
        if self.changes.len() > MAX_CHANGES {
            self.changes.pop_front();
        }
    }

    /// The size the output at `offset` is for.
    pub(super) fn at(&self, offset: u64) -> (u16, u16) {
        self.changes
            .iter()
            .rev()
            .find(|(from, _)| *from <= offset)
            .or(self.changes.front())
            .map(|(_, size)| *size)
            .expect("the log is never empty")
    }

    /// The offset of the first change after `offset`, if any.
    pub(super) fn next_after(&self, offset: u64) -> Option<u64> {
        self.changes
            .iter()
            .map(|(from, _)| *from)
            .find(|from| *from > offset)
    }

    /// No viewer reads output before `offset` any more: the changes only that output needed go.
    pub(super) fn forget_before(&mut self, offset: u64) {
        while self.changes.get(1).is_some_and(|(from, _)| *from <= offset) {
            self.changes.pop_front();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.changes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_at_an_offset_is_the_last_change_at_or_before_it() {
        let mut log = SizeLog::new((80, 24));
        log.record(10, (100, 30));
        log.record(25, (120, 40));
        assert_eq!(log.at(0), (80, 24));
        assert_eq!(log.at(9), (80, 24));
        assert_eq!(
            log.at(10),
            (100, 30),
            "output from the change's offset on is for it"
        );
        assert_eq!(log.at(24), (100, 30));
        assert_eq!(log.at(1_000), (120, 40));
        assert_eq!(log.next_after(0), Some(10));
        assert_eq!(log.next_after(10), Some(25));
        assert_eq!(log.next_after(25), None);
    }

    #[test]
    fn changes_with_no_output_between_them_are_one_and_a_return_to_the_same_size_is_none() {
        let mut log = SizeLog::new((80, 24));
        log.record(10, (100, 30));
        log.record(10, (90, 20));
        assert_eq!(log.len(), 2);
        assert_eq!(log.at(10), (90, 20));
        log.record(12, (90, 20));
        assert_eq!(log.len(), 2, "the same size again is no change");
        log.record(12, (80, 24));
        log.record(12, (90, 20));
        assert_eq!(log.len(), 2);
        assert_eq!(log.next_after(10), None);
    }

    #[test]
    fn forgetting_keeps_the_size_of_the_oldest_output_still_read_and_the_log_is_bounded() {
        let mut log = SizeLog::new((80, 24));
        log.record(10, (100, 30));
        log.record(20, (120, 40));
        log.forget_before(15);
        assert_eq!(log.at(15), (100, 30));
        assert_eq!(log.len(), 2);
        log.forget_before(1_000);
        assert_eq!(log.len(), 1, "never empty");
        assert_eq!(
            log.at(0),
            (120, 40),
            "older output than kept: the oldest size kept"
        );

        for step in 0..(MAX_CHANGES as u64 * 2) {
            log.record(100 + step, (80 + (step % 2) as u16, 24));
        }
        assert_eq!(log.len(), MAX_CHANGES);
    }
}
