//! The snapshot: escape sequences that put a fresh xterm.js into the model's state. It starts
//! with a full reset, draws the primary buffer's history and screen (rows that wrapped are
//! written so that they wrap again), restores each buffer's saved cursor, tab stops and scroll
//! region, draws the alternate buffer on top when it is active, then sets the modes, the cursor,
//! the pen, the character sets and the title. **Invariant:** it never contains a query, so a
//! terminal that writes it never answers anything.
//!
//! Where there is history, the snapshot also says which of its bytes draw just the screen: from
//! the first screen row to the title, without the history before or the pending sequence after.
//! Written after a reset they give the screen as it is (without the history), which a client
//! can draw before it writes the whole snapshot.

use std::borrow::Cow;
use std::fmt::Write;
use std::ops::Range;

use super::buffer::{Buffer, SavedCursor};
use super::cell::{Attrs, Cell, Color, CompactRow, Row, flag};
use super::charset::{Charset, Charsets};
use super::screen::{MouseEncoding, MouseTracking, Screen};

/// Writes escape sequences into a string, tracking the pen the receiving terminal has.
struct Writer {
    out: String,
    pen: Attrs,
}

impl Writer {
    fn csi(&mut self, sequence: std::fmt::Arguments<'_>) {
        self.out.push_str("\x1b[");
        self.out.write_fmt(sequence).expect("writing to a String");
    }

    /// Makes `attrs` the pen (SGR), if it is not already: with only what changes when nothing is
    /// taken away (no attribute turned off, no underline style changed; colours are replaced),
    /// else from a reset (`0`), which is also the whole of a return to the default pen.
    fn pen(&mut self, attrs: Attrs) {
        if self.pen == attrs {
            return;
        }
        let was = self.pen;
        let underline = attrs.underline_style();
        let reset = attrs == Attrs::default()
            || was.flags & !attrs.flags != 0
            || (was.underline_style() != 0 && was.underline_style() != underline);
        let (was, mut codes) = if reset {
            (Attrs::default(), String::from("0"))
        } else {
            (was, String::new())
        };
        let bits = [
            (flag::BOLD, "1"),
            (flag::DIM, "2"),
            (flag::ITALIC, "3"),
            (flag::BLINK, "5"),
            (flag::INVERSE, "7"),
            (flag::INVISIBLE, "8"),
            (flag::STRIKETHROUGH, "9"),
            (flag::OVERLINE, "53"),
        ];
        for (bit, code) in bits {
            if attrs.flags & bit != 0 && was.flags & bit == 0 {
                codes.push(';');
                codes.push_str(code);
            }
        }
        if underline != was.underline_style() {
            match underline {
                1 => codes.push_str(";4"),
                style => {
                    let _ = write!(codes, ";4:{style}");
                }
            }
        }
        if attrs.fg != was.fg {
            push_color(&mut codes, attrs.fg, 30, 90, 38, 39);
        }
        if attrs.bg != was.bg {
            push_color(&mut codes, attrs.bg, 40, 100, 48, 49);
        }
        self.csi(format_args!("{}m", codes.trim_start_matches(';')));
        self.pen = attrs;
    }

    /// Prints `cells` (spacers skipped: the wide character before them covers them; an empty
    /// cell as a space).
    fn cells(&mut self, cells: &[Cell]) {
        for cell in cells {
            if cell.width == 0 {
                continue;
            }
            self.pen(cell.attrs);
            self.out.push(if cell.ch == '\0' { ' ' } else { cell.ch });
        }
    }

    /// Prints a row's `cells` from column `column` on, keeping empty cells empty (xterm.js tells
    /// an empty cell from a space): runs of them are erased with their background and skipped.
    /// With `to_wrap`, the row must end with the cursor past the last column, so its trailing
    /// empty cells are printed as spaces; they are returned, to be erased after the wrap.
    fn row(&mut self, cells: &[Cell], column: usize, to_wrap: bool) -> Owed {
        let trailing = cells
            .iter()
            .rposition(|cell| cell.ch != '\0')
            .map_or(0, |last| last + 1);
        let mut owed = Owed::new();
        let mut i = 0;
        while i < cells.len() {
            let cell = cells[i];
            if cell.ch != '\0' || cell.width != 1 {
                self.cells(&[cell]);
                i += 1;
                continue;
            }
            let run = cells[i..]
                .iter()
                .take_while(|next| next.ch == '\0' && next.width == 1 && next.attrs == cell.attrs)
                .count();
            if to_wrap && i >= trailing {
                self.cells(&cells[i..i + run]);
                owed.push((column + i, run, cell.attrs));
            } else {
                if cell.attrs != Attrs::default() {
                    self.pen(cell.attrs);
                    self.csi(format_args!("{run}X"));
                }
                if i + run < cells.len() {
                    self.csi(format_args!("{run}C"));
                }
            }
            i += run;
        }
        owed
    }

    /// Empties the `owed` cells of the row above, then comes back to column `x` of this one.
    fn erase_above(&mut self, owed: &Owed, x: usize) {
        if owed.is_empty() {
            return;
        }
        self.csi(format_args!("A"));
        for &(column, count, attrs) in owed {
            self.erase_at(column, count, attrs);
        }
        self.csi(format_args!("B"));
        self.csi(format_args!("{}G", x + 1));
    }

    /// Empties `count` cells from `column` of the cursor's row, with the background of `attrs`.
    fn erase_at(&mut self, column: usize, count: usize, attrs: Attrs) {
        self.pen(attrs);
        self.csi(format_args!("{}G", column + 1));
        self.csi(format_args!("{count}X"));
    }

    fn cursor_to(&mut self, x: usize, y: usize) {
        self.csi(format_args!("{};{}H", y + 1, x + 1));
    }

    fn private_mode(&mut self, mode: u16, on: bool) {
        self.csi(format_args!("?{mode}{}", if on { 'h' } else { 'l' }));
    }
}

/// Appends `;` and the SGR parameters that select `color` (`default` is the code for the default).
fn push_color(codes: &mut String, color: Color, base: u8, bright: u8, extended: u8, default: u8) {
    let _ = match color {
        Color::Default => write!(codes, ";{default}"),
        Color::Named(index @ 0..=7) => write!(codes, ";{}", base + index),
        Color::Named(index) => write!(codes, ";{}", bright + (index & 7)),
        Color::Palette(index) => write!(codes, ";{extended};5;{index}"),
        Color::Rgb(r, g, b) => write!(codes, ";{extended};2;{r};{g};{b}"),
    };
}

/// A snapshot's bytes, and which of them draw the screen alone (see the module's comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) bytes: Vec<u8>,
    /// None where there is no history (the whole snapshot is the screen), or where the first
    /// screen row continues the last history row (it cannot be drawn without it).
    pub(crate) screen: Option<Range<usize>>,
}

/// The snapshot of `screen`, followed by `pending`: the bytes of an escape sequence the model's
/// parser is in the middle of, so the receiver's parser is in the same place.
pub(crate) fn snapshot(screen: &Screen, pending: &[u8]) -> Snapshot {
    let mut writer = Writer {
        out: String::with_capacity(4096),
        pen: Attrs::default(),
    };
    // RIS: a clean terminal, whatever the receiver showed before.
    writer.out.push_str("\x1bc");
    let primary = &screen.primary;
    let cols = screen.cols();
    let history = primary
        .scrollback
        .iter()
        .map(|row| Line::History(row, cols));
    let screen_from = draw_rows(
        &mut writer,
        history.chain(primary.rows.iter().map(Line::Screen)),
        Layout::Flowing,
        primary.scrollback.len(),
    );
    buffer_settings(&mut writer, primary);
    if let Some(alternate) = &screen.alternate {
        writer.pen(Attrs::default());
        // Entering copies the primary's cursor and blanks the alternate buffer.
        writer.private_mode(1047, true);
        draw_rows(
            &mut writer,
            alternate.rows.iter().map(Line::Screen),
            Layout::InPlace,
            0,
        );
        buffer_settings(&mut writer, alternate);
    }
    let modes = &screen.modes;
    if modes.origin {
        writer.private_mode(6, true);
    }
    cursor(&mut writer, screen);
    writer.pen(screen.attrs);
    charsets(&mut writer, screen.charsets);
    if modes.insert {
        writer.csi(format_args!("4h"));
    }
    let flags = [
        (1, modes.application_cursor),
        (1004, modes.focus_events),
        (2004, modes.bracketed_paste),
    ];
    for (mode, on) in flags {
        if on {
            writer.private_mode(mode, true);
        }
    }
    if !modes.autowrap {
        writer.private_mode(7, false);
    }
    if !modes.cursor_visible {
        writer.private_mode(25, false);
    }
    if modes.application_keypad {
        writer.out.push_str("\x1b=");
    }
    let tracking = match modes.mouse_tracking {
        MouseTracking::None => None,
        MouseTracking::X10 => Some(9),
        MouseTracking::Normal => Some(1000),
        MouseTracking::ButtonMotion => Some(1002),
        MouseTracking::AnyMotion => Some(1003),
    };
    if let Some(mode) = tracking {
        writer.private_mode(mode, true);
    }
    match modes.mouse_encoding {
        MouseEncoding::Default => {}
        MouseEncoding::Sgr => writer.private_mode(1006, true),
        MouseEncoding::SgrPixels => writer.private_mode(1016, true),
    }
    if let Some(blink) = modes.cursor_blink {
        writer.private_mode(12, blink);
    }
    if let Some(style) = modes.cursor_style {
        writer.csi(format_args!("{style} q"));
    }
    if !screen.title.is_empty() {
        let _ = write!(writer.out, "\x1b]2;{}\x07", screen.title);
    }
    let screen_to = writer.out.len();
    let mut bytes = writer.out.into_bytes();
    bytes.extend_from_slice(pending);
    Snapshot {
        bytes,
        screen: screen_from
            .filter(|_| !primary.scrollback.is_empty())
            .map(|from| from..screen_to),
    }
}

/// A row to draw: from the history (compact) or from a screen.
#[derive(Clone, Copy)]
enum Line<'a> {
    /// A history row, and the width to draw it at.
    History(&'a CompactRow, usize),
    Screen(&'a Row),
}

impl<'a> Line<'a> {
    fn wrapped(&self) -> bool {
        match self {
            Line::History(row, _) => row.wrapped,
            Line::Screen(row) => row.wrapped,
        }
    }

    fn to_row(self) -> Cow<'a, Row> {
        match self {
            Line::History(row, cols) => Cow::Owned(row.to_row(cols)),
            Line::Screen(row) => Cow::Borrowed(row),
        }
    }
}

/// How a row that does not continue the one above is reached.
#[derive(Clone, Copy)]
enum Layout {
    /// By CR LF: rows beyond the receiver's screen scroll into its history, as they did here.
    Flowing,
    /// By moving the cursor to the row (the alternate buffer: nothing scrolls).
    InPlace,
}

/// Cells printed as spaces only to reach the end of a row, so that the next row wraps: after
/// the wrap they are emptied again. `(first column, count, attributes)`.
type Owed = Vec<(usize, usize, Attrs)>;

/// Draws `rows` top to bottom. A row that continues the one above is reached by wrapping: the
/// row above is printed to its full width, and the next character wraps as it did here.
/// Returns where row `mark` starts in the output, if it starts a line of its own (with the
/// default pen), not continuing the row above.
fn draw_rows<'a>(
    writer: &mut Writer,
    rows: impl Iterator<Item = Line<'a>>,
    layout: Layout,
    mark: usize,
) -> Option<usize> {
    let mut rows = rows.enumerate().peekable();
    let mut owed = Owed::new();
    let mut marked = None;
    while let Some((y, line)) = rows.next() {
        let next_wraps = rows.peek().is_some_and(|(_, next)| next.wrapped());
        if !line.wrapped() || y == 0 {
            writer.pen(Attrs::default());
            match layout {
                Layout::Flowing if y > 0 => writer.out.push_str("\r\n"),
                Layout::Flowing => {}
                Layout::InPlace => writer.cursor_to(0, y),
            }
            if y == mark {
                marked = Some(writer.out.len());
            }
        }
        let row = match line {
            // Most history is plain text on one line: written as it is.
            Line::History(history, _) if !history.wrapped && !next_wraps && owed.is_empty() => {
                if let Some(pieces) = history.styled_text() {
                    for (attrs, text) in pieces {
                        writer.pen(attrs);
                        writer.out.push_str(text);
                    }
                    continue;
                }
                line.to_row()
            }
            _ => line.to_row(),
        };
        let row = row.as_ref();
        let cells: &[Cell] = if next_wraps { &row.cells } else { row.used() };
        let mut start = 0;
        if row.wrapped && y > 0 {
            // Print the first cell (even an empty one) to make the wrap happen, then empty
            // again what was printed above only to get here.
            let first = row.cells[0];
            writer.cells(&[first]);
            start = usize::from(first.width.max(1));
            writer.erase_above(&owed, start);
            if first.ch == '\0' {
                writer.erase_at(0, 1, first.attrs);
                writer.csi(format_args!("{}G", start + 1));
            }
        }
        owed = writer.row(cells.get(start..).unwrap_or_default(), start, next_wraps);
    }
    marked
}

/// The active buffer's tab stops, scroll region and saved cursor.
fn buffer_settings(writer: &mut Writer, buffer: &Buffer) {
    if !buffer.default_tabs() {
        writer.csi(format_args!("3g"));
        for (x, _) in buffer.tabs.iter().enumerate().filter(|(_, stop)| **stop) {
            writer.cursor_to(x, 0);
            writer.out.push_str("\x1bH");
        }
    }
    if buffer.scroll_top != 0 || buffer.scroll_bottom != buffer.height() - 1 {
        writer.csi(format_args!(
            "{};{}r",
            buffer.scroll_top + 1,
            buffer.scroll_bottom + 1
        ));
    }
    if let Some(SavedCursor {
        x,
        y,
        attrs,
        charsets: saved_charsets,
    }) = buffer.saved
    {
        writer.cursor_to(x, y);
        writer.pen(attrs);
        charsets(writer, saved_charsets);
        writer.out.push_str("\x1b7");
        charsets(writer, Charsets::default());
    }
}

/// Puts the cursor where the model has it, including "past the last column" (by printing the
/// last character of the row again, which leaves the cursor there).
fn cursor(writer: &mut Writer, screen: &Screen) {
    let buffer = screen.buffer();
    let (x, y) = (buffer.x, buffer.y);
    let row_on_screen = if screen.modes.origin {
        y.saturating_sub(buffer.scroll_top)
    } else {
        y
    };
    if x < buffer.cols() {
        writer.cursor_to(x, row_on_screen);
        return;
    }
    let row = &buffer.rows[y];
    let last = buffer.cols() - 1;
    let (column, cell) = match row.cells[last] {
        Cell { width: 0, .. } if last > 0 => (last - 1, row.cells[last - 1]),
        cell => (last, cell),
    };
    writer.cursor_to(column, row_on_screen);
    writer.cells(&[cell]);
}

/// Designates G0 and G1 and shifts, as `charsets` says.
fn charsets(writer: &mut Writer, charsets: Charsets) {
    let designate = |charset| match charset {
        Charset::Ascii => 'B',
        Charset::DecGraphics => '0',
    };
    let _ = write!(
        writer.out,
        "\x1b({}\x1b){}{}",
        designate(charsets.g0),
        designate(charsets.g1),
        if charsets.shifted_out { '\x0e' } else { '\x0f' }
    );
}
