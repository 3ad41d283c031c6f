//! The model against itself: a model fed another's snapshot must end in the same state, for
//! every kind of state a snapshot carries. (The integration tests compare against xterm.js.)

use super::TerminalModel;
use super::cell::{Cell, Row};
use super::screen::Screen;

const COLS: u16 = 20;
const ROWS: u16 = 6;

fn model(bytes: &[u8]) -> TerminalModel {
    let mut model = TerminalModel::new(COLS, ROWS, 100);
    model.feed(bytes);
    model
}

/// Rows as the receiver would compare them: an untouched cell and a printed space look alike.
fn normalized(rows: impl Iterator<Item = Row>) -> Vec<(Vec<Cell>, bool)> {
    rows.map(|row| {
        let cells = row
            .cells
            .iter()
            .map(|cell| Cell {
                ch: if cell.ch == '\0' { ' ' } else { cell.ch },
                ..*cell
            })
            .collect();
        (cells, row.wrapped)
    })
    .collect()
}

fn primary(screen: &Screen) -> Vec<(Vec<Cell>, bool)> {
    let cols = screen.cols();
    let history = screen.primary.scrollback.iter().map(|row| row.to_row(cols));
    normalized(history.chain(screen.primary.rows.iter().cloned()))
}

/// Asserts that a model fed `original`'s snapshot is in `original`'s state; and, where the
/// snapshot says which of its bytes draw the screen alone, that a model fed those (after a
/// reset) is in that state too, but for the history.
fn assert_restores(original: &mut TerminalModel, recent: &[u8]) -> TerminalModel {
    let snapshot = original.snapshot_parts(recent);
    let mut copy = TerminalModel::new(COLS, ROWS, 100);
    copy.feed(&snapshot.bytes);
    assert_same(original, &copy, false);
    let history = !original.screen.primary.scrollback.is_empty();
    let continues = history && original.screen.primary.rows[0].wrapped;
    assert_eq!(
        snapshot.screen.is_some(),
        history && !continues,
        "the screen alone is marked where there is history the screen does not continue"
    );
    if let Some(range) = snapshot.screen {
        let mut alone = TerminalModel::new(COLS, ROWS, 100);
        alone.feed(b"\x1bc");
        alone.feed(&snapshot.bytes[range]);
        assert_same(original, &alone, true);
    }
    copy
}

/// Asserts that `b` is in `a`'s state; `without_history`: but for `a`'s history, which `b` lacks.
fn assert_same(a: &TerminalModel, b: &TerminalModel, without_history: bool) {
    let (a, b) = (&a.screen, &b.screen);
    if without_history {
        assert!(b.primary.scrollback.is_empty(), "no history drawn");
        let rows = |screen: &Screen| normalized(screen.primary.rows.iter().cloned());
        assert_eq!(rows(a), rows(b), "primary screen");
    } else {
        assert_eq!(primary(a), primary(b), "primary buffer and history");
    }
    assert_eq!(a.alternate.is_some(), b.alternate.is_some());
    if let (Some(a), Some(b)) = (&a.alternate, &b.alternate) {
        let rows = |buffer: &super::buffer::Buffer| normalized(buffer.rows.iter().cloned());
        assert_eq!(rows(a), rows(b), "alternate buffer");
        assert_eq!(a.saved, b.saved);
        assert_eq!(a.tabs, b.tabs);
    } else {
        assert_eq!(a.primary.tabs, b.primary.tabs);
    }
    assert_eq!(a.primary.saved, b.primary.saved, "primary saved cursor");
    let active = |screen: &Screen| {
        let buffer = screen.buffer();
        (buffer.x, buffer.y, buffer.scroll_top, buffer.scroll_bottom)
    };
    assert_eq!(active(a), active(b), "cursor and scroll region");
    assert_eq!(a.modes, b.modes);
    assert_eq!(a.attrs, b.attrs, "pen");
    assert_eq!(a.charsets, b.charsets);
    assert_eq!(a.title, b.title);
}

#[test]
fn text_colours_and_history_are_restored() {
    let mut bytes = Vec::new();
    for line in 0..15 {
        bytes.extend_from_slice(
            format!(
                "\x1b[3{}mline {line}\x1b[0m \x1b[1;48;5;200mbold\x1b[38;2;1;2;3m rgb\r\n",
                line % 8
            )
            .as_bytes(),
        );
    }
    bytes.extend_from_slice(b"\x1b[4:3;7mprompt$ ");
    let mut original = model(&bytes);
    assert_eq!(original.scrollback_rows(), 10);
    assert_restores(&mut original, &bytes);
}

/// The snapshot sets the pen with what changes where it can: every kind of change must still
/// land on the same cells (attributes added, taken away, underline styles, colours back to the
/// default, the default pen itself).
#[test]
fn every_change_of_pen_is_restored() {
    let bytes = b"\x1b[31ma\x1b[1mb\x1b[2;44mc\x1b[22md\x1b[4me\x1b[4:3mf\x1b[24mg\
        \x1b[7;38;5;9mh\x1b[39mi\x1b[49mj\x1b[27;48;2;1;2;3mk\x1b[0ml\x1b[53;9;3mm\x1b[23mn\
        \x1b[0;5;8mo\x1b[4:2;91mp\x1b[4:5q\x1b[0m\x1b[4mr\x1b[4:1ms\x1b[mt\x1b[100mu\x1b[0;97mv";
    let mut original = model(bytes);
    assert_restores(&mut original, bytes);
}

#[test]
fn a_screen_that_continues_the_history_is_not_marked_to_be_drawn_alone() {
    // Seven rows of one wrapped line: the first on the screen continues the one in the history.
    let text = "x".repeat(usize::from(COLS) * 7 - 3);
    let mut original = model(text.as_bytes());
    assert_eq!(original.scrollback_rows(), 1);
    assert!(original.screen.primary.rows[0].wrapped);
    assert_restores(&mut original, text.as_bytes());
    assert_eq!(original.snapshot_parts(text.as_bytes()).screen, None);
    // Without history, the snapshot is the screen: nothing to mark either.
    let mut short = model(b"one line");
    assert_restores(&mut short, b"one line");
    assert_eq!(short.snapshot_parts(b"one line").screen, None);
}

#[test]
fn wrapped_lines_wrap_again_and_pending_wrap_is_kept() {
    let text = "0123456789abcdefghijklmnopqrstuvwxyz0123";
    let mut original = model(text.as_bytes());
    assert!(original.screen.primary.rows[1].wrapped);
    assert_eq!(
        original.screen.buffer().x,
        usize::from(COLS),
        "pending wrap"
    );
    let mut copy = assert_restores(&mut original, text.as_bytes());
    // The next character wraps on both.
    original.feed(b"!");
    copy.feed(b"!");
    assert_eq!(primary(&original.screen), primary(&copy.screen));
}

#[test]
fn the_alternate_screen_is_restored_with_the_primary_behind_it() {
    let mut bytes = b"$ vim\r\n\x1b[31mred prompt\x1b[0m".to_vec();
    bytes.extend_from_slice(
        b"\x1b[?1049h\x1b[H\x1b[2J~\r\n~\x1b[3;5H-- INSERT --\x1b[?1h\x1b=\x1b[?2004h",
    );
    let mut original = model(&bytes);
    let mut copy = assert_restores(&mut original, &bytes);
    // Leaving the alternate screen brings the same primary screen and cursor back on both.
    let leave = b"\x1b[?1049l\x1b[?1l\x1b>";
    original.feed(leave);
    copy.feed(leave);
    assert!(copy.screen.alternate.is_none());
    assert_eq!(primary(&original.screen), primary(&copy.screen));
    assert_eq!(
        (original.screen.primary.x, original.screen.primary.y),
        (copy.screen.primary.x, copy.screen.primary.y)
    );
}

#[test]
fn scroll_regions_tabs_origin_and_saved_cursors_are_restored() {
    let bytes =
        b"\x1b[2;5r\x1b[?6h\x1b[3g\x1b[1;4H\x1bH\x1b[1;11H\x1bH\x1b[2;3H\x1b7\x1b[1;1Hx\ty\x1b(0q";
    let mut original = model(bytes);
    assert!(original.screen.modes.origin);
    assert_restores(&mut original, bytes);
}

#[test]
fn wide_characters_and_modes_are_restored() {
    let bytes =
        "界界 🚀 x\x1b[?1003h\x1b[?1006h\x1b[?1004h\x1b[?25l\x1b[5 q\x1b]2;my title\x07\x1b[4h"
            .as_bytes();
    let mut original = model(bytes);
    assert_eq!(original.screen.primary.rows[0].cells[0].width, 2);
    assert_eq!(original.screen.title, "my title");
    assert_restores(&mut original, bytes);
}

#[test]
fn a_snapshot_taken_inside_an_escape_sequence_ends_inside_it_too() {
    let first = b"hello \x1b[1;3";
    let second = b"1mred";
    let mut original = model(first);
    let mut copy = TerminalModel::new(COLS, ROWS, 100);
    copy.feed(&original.snapshot(first));
    original.feed(second);
    copy.feed(second);
    assert_eq!(primary(&original.screen), primary(&copy.screen));
    assert_eq!(original.screen.attrs, copy.screen.attrs);
    // A split UTF-8 character too.
    let rocket = "🚀".as_bytes();
    let mut original = model(&rocket[..2]);
    let mut copy = TerminalModel::new(COLS, ROWS, 100);
    copy.feed(&original.snapshot(&rocket[..2]));
    original.feed(&rocket[2..]);
    copy.feed(&rocket[2..]);
    assert_eq!(primary(&original.screen), primary(&copy.screen));
    assert_eq!(copy.screen.primary.rows[0].cells[0].ch, '🚀');
}

#[test]
fn snapshots_never_carry_queries() {
    // Programs ask (DA, DSR, DECRQM, OSC 11 colour query, XTVERSION); the model answers nothing and
    // the snapshot repeats none of it.
    let bytes = b"\x1b[c\x1b[>c\x1b[6n\x1b[5n\x1b[?2004$p\x1b]11;?\x07\x1b[>0q\x1b[18tok";
    let mut original = model(bytes);
    let snapshot = String::from_utf8(original.snapshot(bytes)).unwrap();
    for query in ["[c", "[>c", "6n", "5n", "$p", "]11", "[>0q", "18t"] {
        assert!(!snapshot.contains(query), "{query:?} in {snapshot:?}");
    }
    assert_restores(&mut original, bytes);
}

#[test]
fn history_is_bounded_by_rows() {
    let mut model = TerminalModel::new(COLS, ROWS, 50);
    for line in 0..1000 {
        model.feed(format!("{line}\r\n").as_bytes());
    }
    assert_eq!(model.scrollback_rows(), 50);
    let text: Vec<char> = model.screen.primary.rows[0]
        .cells
        .iter()
        .map(|cell| cell.ch)
        .take(3)
        .collect();
    assert_eq!(text, ['9', '9', '5']);
}

#[test]
fn resizing_keeps_the_cursor_row_and_pulls_history_back() {
    let mut model = model(b"a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh");
    assert_eq!(model.scrollback_rows(), 2);
    model.resize(10, 3);
    assert_eq!(model.screen.buffer().y, 2);
    assert_eq!(model.screen.primary.rows[2].cells[0].ch, 'h');
    model.resize(30, 8);
    assert_eq!(model.scrollback_rows(), 0);
    assert_eq!(model.screen.primary.rows[0].cells[0].ch, 'a');
    assert_eq!(model.screen.primary.rows[0].cells.len(), 30);
}

/// A small deterministic generator (xorshift), so that a failure names its seed.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// Output that mixes floods of plain lines (long enough to be held back and partly dropped) with
/// everything that must stop or bound that: colours, cursor moves, scroll regions, the
/// alternate screen, character sets, REP, titles, tabs, bare line feeds, wide characters and
/// lines without an end.
fn mixed_output(random: &mut Random) -> Vec<u8> {
    const INTERRUPTIONS: [&[u8]; 18] = [
        b"\x1b[31m",
        b"\x1b[0m",
        b"\x1b[3;4H",
        b"\x1b[2;5r",
        b"\x1b[r",
        b"\x1b[?1049h",
        b"\x1b[?1049l",
        b"\x1b(0",
        b"\x1b(B",
        b"\x1b[3b",
        b"\x1b]0;title\x07",
        b"\t\x08",
        "é中\r\n".as_bytes(),
        b"\x1b[?7l",
        // Sequences left open: the plain text after them is not printed (the parser is not in
        // its ground state), so none of it may be held back and dropped.
        b"\x1b]2;",
        b"\x1b[1;",
        b"\x07",
        // Lines that print nothing, then REP: it repeats what the flood before them printed.
        b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\x1b[2b",
    ];
    let mut out = Vec::new();
    for _ in 0..40 {
        let lines = if random.below(3) == 0 {
            3000
        } else {
            random.below(40)
        };
        for _ in 0..lines {
            // Mostly shorter than the screen is wide (a wrap would add a row the line feeds do
            // not count, and hide a miscount), sometimes longer.
            let width = if random.below(10) == 0 {
                random.below(45)
            } else {
                random.below(COLS as usize)
            };
            out.extend((0..width).map(|_| b' ' + random.below(95) as u8));
            out.extend_from_slice(match random.below(20) {
                0 => b"\n",
                1 => b"",
                _ => b"\r\n",
            });
        }
        if random.below(3) == 0 {
            // Empty lines: with the REP below, only the text dropped before them printed.
            out.extend(b"\r\n".repeat(100));
        }
        out.extend_from_slice(INTERRUPTIONS[random.below(INTERRUPTIONS.len())]);
        if random.below(4) == 0 {
            out.extend_from_slice(b"\x1b[?7h\x1b(B\x1b[r");
        }
    }
    out
}

#[test]
fn holding_plain_text_back_changes_nothing() {
    for seed in 1..=12_u64 {
        let mut random = Random(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let output = mixed_output(&mut random);
        // The model under test is fed large random pieces; the reference gets the same pieces
        // in parts too small to hold back. They are compared at some of the cuts (a difference
        // can be short-lived: later lines push it out of the history).
        let mut model = TerminalModel::new(COLS, ROWS, 50);
        let mut reference = TerminalModel::new(COLS, ROWS, 50);
        let (mut fed, mut compared) = (0, 0);
        while fed < output.len() {
            let piece = &output[fed..(fed + 4096 + random.below(20_000)).min(output.len())];
            model.feed(piece);
            for part in piece.chunks(1000) {
                reference.feed(part);
            }
            fed += piece.len();
            if random.below(3) == 0 || fed == output.len() {
                let recent = &output[..fed];
                assert_eq!(
                    model.snapshot(recent),
                    reference.snapshot(recent),
                    "seed {seed}, after {fed} bytes"
                );
                compared += 1;
            }
        }
        assert!(
            model.deferred.dropped_total > 0,
            "seed {seed}: nothing was dropped"
        );
        assert!(compared > 3, "seed {seed}: compared only {compared} times");
        // REP repeats the same last character on both.
        model.feed(b"\x1b[4b");
        reference.feed(b"\x1b[4b");
        assert_eq!(
            model.snapshot(&[]),
            reference.snapshot(&[]),
            "seed {seed}: REP"
        );
    }
}

#[test]
fn rep_after_dropped_text_repeats_what_it_printed() {
    // A flood ending in "z", then more empty lines than the history holds, then REP: the "z"
    // itself was dropped unparsed, and REP must still repeat it.
    let mut flood = Vec::new();
    for line in 0..2000 {
        flood.extend_from_slice(format!("line {line} a\r\n").as_bytes());
    }
    flood.extend_from_slice(b"last z\r\n");
    flood.extend(b"\r\n".repeat(200));
    let mut model = TerminalModel::new(COLS, ROWS, 50);
    model.feed(b"\r\n");
    model.feed(&flood);
    assert!(
        model.deferred.dropped_total > 0,
        "the flood was held back and dropped"
    );
    model.feed(b"\x1b[3b");
    assert_eq!(model.snapshot(&[]), {
        let mut reference = TerminalModel::new(COLS, ROWS, 50);
        for part in [b"\r\n".as_slice(), &flood, b"\x1b[3b"] {
            for piece in part.chunks(1000) {
                reference.feed(piece);
            }
        }
        reference.snapshot(&[])
    });
    let row = &model.screen.buffer().rows[model.screen.buffer().y];
    assert_eq!(
        row.cells[..3]
            .iter()
            .map(|cell| cell.ch)
            .collect::<String>(),
        "zzz"
    );
}

#[test]
fn a_wide_character_in_a_one_column_terminal_does_not_crash_the_model() {
    // The protocol accepts one column; xterm.js, and so the model, has at least two.
    for (cols, rows) in [(1, 5), (1, 1)] {
        let mut model = TerminalModel::new(cols, rows, 10);
        model.feed("漢\n字漢\r\n🚀x".as_bytes());
        model.resize(1, rows);
        model.feed("漢".as_bytes());
        model.settle();
        let _ = model.snapshot(b"");
    }
}
