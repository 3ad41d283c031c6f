//! Plain text held back from the parser during a flood, and dropped where it cannot matter.
//!
//! Output made only of printable ASCII, CR and LF (`cat` of a log, `yes`, a build's output) can
//! change nothing but rows: no mode, pen, character set, title or scroll region. Once at least
//! [`Deferred::needed`] more line feeds of such text follow a piece of it, every row that piece
//! wrote has left both the screen and the history (at most `rows` line feeds move the cursor
//! down without scrolling, `rows` scrolls push every earlier screen row into the history, and
//! `history` more push them out of it). So the model keeps the newest plain text here, unparsed,
//! drops the oldest pieces as newer ones make them invisible, and parses the rest when something
//! else arrives or the state is needed ([`TerminalModel::settle`](super::TerminalModel::settle)).
//!
//! The conditions that make this exact are checked by the model before it defers anything: the
//! parser is known to be in its ground state, the text starts right after a CR LF (the cursor is
//! in column 0, so a dropped piece cannot change where the next one wraps), and the scroll region
//! is the whole screen. Pieces are dropped only whole, each ending with CR LF, and the last
//! character a dropped piece printed is kept for REP.

use std::collections::VecDeque;

/// Most plain text held back, in bytes: beyond it the oldest pieces are parsed as usual.
const MAX_BYTES: usize = 2 * 1024 * 1024;

/// Whether `byte` may be held back: printable ASCII, CR or LF.
pub(super) fn is_plain(byte: u8) -> bool {
    matches!(byte, b' '..=b'~' | b'\r' | b'\n')
}

/// Where the plain text (see [`is_plain`]) at the end of `bytes` starts: `bytes.len()` when the
/// last byte is not plain, 0 when all of them are. Eight bytes at a time: a flood is mostly
/// printable, and this runs on every chunk of output.
pub(super) fn plain_suffix_start(bytes: &[u8]) -> usize {
    /// Whether all eight bytes of `word` are printable ASCII (0x20 to 0x7e).
    fn all_printable(word: u64) -> bool {
        const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
        const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
        // A byte below 0x20, or above 0x7e (adding 1 sets its high bit, or it was set).
        let below = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let above = (word.wrapping_add(ONES) | word) & HIGH;
        below | above == 0
    }
    let mut end = bytes.len();
    while end >= 8 {
        let word = u64::from_ne_bytes(bytes[end - 8..end].try_into().expect("eight bytes"));
        if !all_printable(word)
            && let Some(last) = bytes[end - 8..end]
                .iter()
                .rposition(|&byte| !is_plain(byte))
        {
            return end - 8 + last + 1;
        }
        end -= 8;
    }
    bytes[..end]
        .iter()
        .rposition(|&byte| !is_plain(byte))
        .map_or(0, |last| last + 1)
}

/// Plain text not parsed yet, oldest first.
#[derive(Debug, Default)]
pub(super) struct Deferred {
    /// The text; everything before `start` has been dropped or parsed.
    bytes: Vec<u8>,
    start: usize,
    /// The complete pieces in `bytes[start..]`, each ending with CR LF: (end, line feeds in it).
    /// Text after the last one is a piece still open.
    pieces: VecDeque<(usize, usize)>,
    /// Line feeds in `pieces`.
    line_feeds: usize,
    /// Line feeds in the open piece so far.
    open_line_feeds: usize,
    /// The last printable character of the text dropped so far.
    dropped_last_printed: Option<char>,
    /// Bytes dropped since the model started (the tests check that dropping happens).
    #[cfg(test)]
    pub(super) dropped_total: usize,
}

impl Deferred {
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.len() == self.start
    }

    /// Line feeds that must follow a piece before it can be dropped, on a screen of `rows` rows
    /// with `history` rows of scrollback.
    pub(super) fn needed(rows: usize, history: usize) -> usize {
        2 * rows + history
    }

    /// Holds back `text` (plain, see [`is_plain`]) after what is already here, then drops the
    /// oldest pieces that `needed` line feeds now follow. Returns the text that went over
    /// [`MAX_BYTES`] and must be parsed now, oldest first (empty when none did).
    pub(super) fn push(&mut self, text: &[u8], needed: usize) -> Vec<u8> {
        let base = self.bytes.len();
        self.bytes.extend_from_slice(text);
        for at in memchr::memchr_iter(b'\n', text).map(|at| base + at) {
            if at > 0 && self.bytes[at - 1] == b'\r' {
                self.pieces.push_back((at + 1, self.open_line_feeds + 1));
                self.line_feeds += self.open_line_feeds + 1;
                self.open_line_feeds = 0;
            } else {
                self.open_line_feeds += 1;
            }
        }
        while let Some(&(end, line_feeds)) = self.pieces.front()
            && self.line_feeds - line_feeds >= needed
        {
            self.dropped_last_printed = self.bytes[self.start..end]
                .iter()
                .rev()
                .find(|byte| byte.is_ascii_graphic() || **byte == b' ')
                .map(|&byte| char::from(byte))
                .or(self.dropped_last_printed);
            #[cfg(test)]
            {
                self.dropped_total += end - self.start;
            }
            self.drop_front(end, line_feeds);
        }
        let mut overflow = Vec::new();
        while self.bytes.len() - self.start > MAX_BYTES {
            let Some(&(end, line_feeds)) = self.pieces.front() else {
                // One piece longer than the bound: give all of it back.
                overflow.extend_from_slice(&self.bytes[self.start..]);
                self.pieces.clear();
                self.line_feeds = 0;
                self.open_line_feeds = 0;
                self.start = self.bytes.len();
                break;
            };
            overflow.extend_from_slice(&self.bytes[self.start..end]);
            self.drop_front(end, line_feeds);
        }
        self.compact();
        overflow
    }

    /// The last character the text dropped so far printed: the model must make it the last one
    /// printed before it parses any text held back after it (that text may print none).
    pub(super) fn take_dropped_last_printed(&mut self) -> Option<char> {
        self.dropped_last_printed.take()
    }

    /// Everything held back, oldest first, leaving this empty.
    pub(super) fn take(&mut self) -> Vec<u8> {
        let text = self.bytes[self.start..].to_vec();
        self.bytes = Vec::new();
        self.start = 0;
        self.pieces = VecDeque::new();
        self.line_feeds = 0;
        self.open_line_feeds = 0;
        text
    }

    fn drop_front(&mut self, end: usize, line_feeds: usize) {
        self.pieces.pop_front();
        self.line_feeds -= line_feeds;
        self.start = end;
    }

    /// Moves the kept text to the front once the dropped part is the larger one.
    fn compact(&mut self) {
        if self.start > 64 * 1024 && self.start > self.bytes.len() / 2 {
            let shift = self.start;
            self.bytes.drain(..shift);
            self.start = 0;
            for (end, _) in &mut self.pieces {
                *end -= shift;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_the_plain_text_at_the_end_starts() {
        let slow = |bytes: &[u8]| {
            bytes
                .iter()
                .rposition(|&byte| !is_plain(byte))
                .map_or(0, |last| last + 1)
        };
        let alphabet = [
            b'a', b' ', b'~', b'\r', b'\n', 0x1b, 0x7f, 0x80, 0xff, 0x1f, 0x00, b'\t',
        ];
        // Every position of every kind of byte, in texts of every length up to 40.
        for len in 0..40 {
            for at in 0..len {
                for &odd in &alphabet {
                    let mut text = vec![b'x'; len];
                    text[at] = odd;
                    assert_eq!(plain_suffix_start(&text), slow(&text), "{text:?}");
                }
            }
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..2000 {
            let text: Vec<u8> = (0..(seed % 64) as usize)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(plain_suffix_start(&text), slow(&text), "{text:?}");
        }
    }

    #[test]
    fn a_piece_is_dropped_once_enough_line_feeds_follow_it() {
        let mut deferred = Deferred::default();
        assert!(deferred.push(b"one\r\ntwo\r\n", 2).is_empty());
        assert_eq!(deferred.take_dropped_last_printed(), None);
        assert_eq!(deferred.take(), b"one\r\ntwo\r\n");
        assert!(deferred.push(b"one\r\ntwo\r\nthree\r\nfour", 2).is_empty());
        // "one" is followed by two line feeds: dropped. "two" by one only.
        assert_eq!(deferred.take_dropped_last_printed(), Some('e'));
        assert_eq!(deferred.take(), b"two\r\nthree\r\nfour");
    }

    #[test]
    fn bare_line_feeds_keep_a_piece_open() {
        let mut deferred = Deferred::default();
        // Without CR the column carries over, so "a\nb\n" is one piece with two line feeds.
        deferred.push(b"a\nb\r\nc\r\nd\r\n", 2);
        assert_eq!(deferred.take(), b"c\r\nd\r\n");
    }

    #[test]
    fn text_beyond_the_bound_comes_back_oldest_first() {
        let mut deferred = Deferred::default();
        let line = [b'x'; 1023];
        let mut pushed = Vec::new();
        for _ in 0..(MAX_BYTES / 1024 + 10) {
            pushed.extend_from_slice(&line);
            pushed.extend_from_slice(b"\r\n");
        }
        let overflow = deferred.push(&pushed, usize::MAX);
        let kept = deferred.take();
        assert_eq!(deferred.take_dropped_last_printed(), None);
        assert!(kept.len() <= MAX_BYTES);
        assert_eq!([overflow, kept].concat(), pushed);
    }
}
