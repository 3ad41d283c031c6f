//! A terminal model: what a terminal fed a session's output would show, kept on the server so
//! that a reattaching viewer gets the exact screen instead of a replay.
//!
//! [`TerminalModel::feed`] takes output bytes in order (`vte` parses them, `perform.rs` applies
//! them to the [`Screen`](screen::Screen) of `screen.rs` and `buffer.rs`). The model keeps the
//! primary buffer with its history (bounded by a number of rows), the alternate buffer, the cursor
//! and saved cursors, scroll regions, tab stops, the pen, character sets, the modes programs set
//! (application cursor and keypad, origin, autowrap, insert, bracketed paste, mouse tracking and
//! encoding, focus events, cursor visibility and style) and the title. Character widths come
//! from the Unicode tables of `unicode-width`, as the UI's Unicode 11 widths do.
//!
//! [`TerminalModel::snapshot`] writes all of it as escape sequences (`snapshot.rs`) that put a
//! fresh xterm.js into the same state. This module knows nothing of sessions or the network.
//!
//! During a flood of plain text the model holds the text back and drops what newer lines would
//! push out of the history anyway (`deferred.rs`): the state is the same as if every byte had
//! been parsed, at a fraction of the cost. Anything that reads the state settles first.
//!
//! Not modelled (documented in `docs/protocol.md`): reflow of wrapped lines on resize, combining
//! characters (dropped), hyperlinks, images, the underline colour, and the left and right margins.

mod buffer;
mod cell;
mod charset;
mod deferred;
mod modes;
mod perform;
mod print;
mod screen;
mod snapshot;

use deferred::{Deferred, plain_suffix_start};
use screen::Screen;
pub(crate) use snapshot::Snapshot;

/// Longest escape sequence re-sent with a snapshot when a chunk of output ended inside it.
const MAX_PENDING: usize = 4096;
/// Plain text shorter than this is parsed at once: holding it back would not pay.
const MIN_DEFERRED: usize = 4096;

/// A terminal fed a session's output.
pub(crate) struct TerminalModel {
    parser: vte::Parser,
    screen: Screen,
    /// The parser is known to be in its ground state: not inside an escape sequence.
    ground: bool,
    /// The last two bytes parsed.
    last_two: [u8; 2],
    /// Plain text fed but not parsed yet.
    deferred: Deferred,
}

impl std::fmt::Debug for TerminalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalModel")
            .field("cols", &self.screen.cols())
            .field("rows", &self.screen.rows())
            .finish_non_exhaustive()
    }
}

/// The fewest columns the model has, as xterm.js: a wide character needs two cells.
const MIN_COLS: u16 = 2;

impl TerminalModel {
    /// A blank terminal of `cols`×`rows` keeping `scrollback_rows` rows of history.
    pub(crate) fn new(cols: u16, rows: u16, scrollback_rows: usize) -> Self {
        Self {
            parser: vte::Parser::new(),
            screen: Screen::new(
                usize::from(cols.max(MIN_COLS)),
                usize::from(rows.max(1)),
                scrollback_rows,
            ),
            ground: true,
            last_two: [0; 2],
            deferred: Deferred::default(),
        }
    }

    /// Applies output bytes, in order. Plain text may be held back ([`settle`](Self::settle)
    /// parses it); the state is as if it had all been parsed.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        // The plain text at the end of `bytes`; and where in it a deferral could start (right
        // after a CR LF, unless the text continues deferred text).
        let plain_from = plain_suffix_start(bytes);
        let defer_from = if !self.deferred.is_empty() && plain_from == 0 {
            0
        } else {
            self.settle();
            let after_crlf = |at: usize| match at {
                0 => self.last_two == *b"\r\n",
                1 => self.last_two[1] == b'\r' && bytes[0] == b'\n',
                _ => bytes[at - 2..at] == *b"\r\n",
            };
            (plain_from..=bytes.len())
                .find(|&at| after_crlf(at))
                .unwrap_or(bytes.len())
        };
        let (now, later) = bytes.split_at(defer_from);
        self.parse(now);
        if later.is_empty() {
            return;
        }
        if self.deferred.is_empty() && !(later.len() >= MIN_DEFERRED && self.may_defer()) {
            self.parse(later);
            return;
        }
        let needed = Deferred::needed(self.screen.rows(), self.screen.scrollback_limit());
        let overflow = self.deferred.push(later, needed);
        if !overflow.is_empty() {
            self.remember_dropped_text();
            self.parse(&overflow);
        }
    }

    /// Parses whatever plain text is held back.
    pub(crate) fn settle(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        self.remember_dropped_text();
        let text = self.deferred.take();
        self.parse(&text);
    }

    /// What the text dropped unparsed would have left behind outside the rows it wrote: the last
    /// character printed, for REP.
    fn remember_dropped_text(&mut self) {
        if let Some(c) = self.deferred.take_dropped_last_printed() {
            self.screen.last_printed = Some(self.screen.charsets.map(c));
        }
    }

    /// Whether held-back text would leave the state exact (see `deferred.rs`): the parser is in
    /// its ground state right after a CR LF, and the scroll region is the whole screen.
    fn may_defer(&self) -> bool {
        let buffer = self.screen.buffer();
        self.ground
            && self.last_two == *b"\r\n"
            && buffer.scroll_top == 0
            && buffer.scroll_bottom + 1 == buffer.height()
    }

    /// Runs `bytes` through the parser, keeping track of whether it ends in its ground state:
    /// only ESC leaves it, and printing or finishing a sequence after the last ESC means it is
    /// back there.
    fn parse(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let rest = match bytes.iter().rposition(|&byte| byte == 0x1b) {
            Some(escape) => {
                self.parser.advance(&mut self.screen, &bytes[..=escape]);
                self.ground = false;
                &bytes[escape + 1..]
            }
            None => bytes,
        };
        self.screen.back_in_ground = false;
        self.parser.advance(&mut self.screen, rest);
        self.ground |= self.screen.back_in_ground;
        self.screen.flush();
        self.last_two = match bytes {
            [.., a, b] => [*a, *b],
            [b] => [self.last_two[1], *b],
            [] => self.last_two,
        };
    }

    /// The terminal is now `cols`×`rows`.
    pub(crate) fn resize(&mut self, cols: u16, rows: u16) {
        self.settle();
        self.screen
            .resize(usize::from(cols.max(MIN_COLS)), usize::from(rows.max(1)));
    }

    /// Escape sequences that put a fresh xterm.js into this state. `recent` is the tail of the
    /// output fed so far (a few KiB is plenty): if it ends inside an escape sequence, that
    /// sequence's start is appended, so the output that follows completes it on both sides.
    #[cfg(test)]
    pub(crate) fn snapshot(&mut self, recent: &[u8]) -> Vec<u8> {
        self.snapshot_parts(recent).bytes
    }

    /// [`snapshot`](Self::snapshot), and which of its bytes draw the screen alone.
    pub(crate) fn snapshot_parts(&mut self, recent: &[u8]) -> Snapshot {
        self.settle();
        snapshot::snapshot(&self.screen, pending_sequence(recent))
    }

    /// Rows in the history now.
    #[cfg(test)]
    fn scrollback_rows(&self) -> usize {
        self.screen.primary.scrollback.len()
    }
}

/// The unfinished escape sequence (or UTF-8 character) at the end of `recent`, if any.
fn pending_sequence(recent: &[u8]) -> &[u8] {
    let window = &recent[recent.len().saturating_sub(MAX_PENDING)..];
    if let Some(start) = window.iter().rposition(|&byte| byte == 0x1b)
        && !sequence_complete(&window[start..])
    {
        return &window[start..];
    }
    &window[window.len() - crate::utf8::incomplete_suffix_len(window)..]
}

/// Whether the escape sequence at the start of `bytes` ends within them.
fn sequence_complete(bytes: &[u8]) -> bool {
    /// Notes whether anything completed after the opening ESC.
    struct Probe(bool);
    impl vte::Perform for Probe {
        fn print(&mut self, _: char) {
            self.0 = true;
        }
        fn csi_dispatch(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
            self.0 = true;
        }
        fn esc_dispatch(&mut self, _: &[u8], _: bool, _: u8) {
            self.0 = true;
        }
        fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
            self.0 = true;
        }
        fn unhook(&mut self) {
            self.0 = true;
        }
    }
    let mut probe = Probe(false);
    vte::Parser::new().advance(&mut probe, bytes);
    probe.0
}

#[cfg(test)]
mod tests;
