//! Printing text: characters queue up as the parser hands them over and are printed a run at a
//! time, with xterm.js's rules for wrapping, insert mode and wide characters.

use unicode_width::UnicodeWidthChar;

use super::cell::{Attrs, Cell, Row};
use super::charset::Charsets;
use super::screen::Screen;

/// Most queued characters whose buffer is kept between chunks of output.
const KEPT_TEXT_CAPACITY: usize = 4096;

impl Screen {
    /// Queues `c` for printing; [`flush`](Self::flush) prints it.
    pub(crate) fn queue_text(&mut self, c: char) {
        self.pending_text.push(c);
    }

    /// Prints the queued characters: runs of printable ASCII in bulk when nothing (a character
    /// set, insert mode, no autowrap) changes how they print, the rest one by one. Every other
    /// operation flushes first, so the order of effects is the order of the output.
    pub(crate) fn flush(&mut self) {
        if self.pending_text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.pending_text);
        let bulk =
            self.charsets == Charsets::default() && !self.modes.insert && self.modes.autowrap;
        let mut rest = &text[..];
        while let Some(&first) = rest.first() {
            let ascii = rest
                .iter()
                .position(|c| !matches!(c, ' '..='~'))
                .unwrap_or(rest.len());
            if bulk && ascii > 0 {
                self.print_ascii(&rest[..ascii]);
                rest = &rest[ascii..];
            } else {
                self.print(first);
                rest = &rest[1..];
            }
        }
        // Kept for the next run, unless a long line without a control character grew it: an idle
        // session should not hold a chunk's worth of characters.
        if text.capacity() <= KEPT_TEXT_CAPACITY {
            self.pending_text = text;
            self.pending_text.clear();
        }
    }

    /// What `print` does to each of `text`, printable ASCII (one cell each), a row at a time.
    fn print_ascii(&mut self, mut text: &[char]) {
        let attrs = self.attrs;
        let cols = self.cols();
        self.last_printed = text.last().copied();
        while !text.is_empty() {
            if self.buffer().x >= cols {
                self.wrap_to_next_line();
            }
            let buffer = self.buffer_mut();
            let x = buffer.x;
            let count = text.len().min(cols - x);
            let row = buffer.cursor_row();
            for (cell, &ch) in row.cells[x..x + count].iter_mut().zip(text) {
                *cell = Cell {
                    ch,
                    width: 1,
                    attrs,
                };
            }
            let after = x + count;
            split_wide_neighbours(row, x, after, attrs);
            buffer.x = after;
            text = &text[count..];
        }
    }

    /// Prints `c` at the cursor with the pen, wrapping as autowrap says.
    pub(crate) fn print(&mut self, c: char) {
        let c = self.charsets.map(c);
        let width = match c.width() {
            Some(width @ 1..=2) => width,
            // Combining and zero-width characters, and controls, take no cell.
            _ => return,
        };
        self.last_printed = Some(c);
        let cols = self.cols();
        let (attrs, autowrap, insert) = (self.attrs, self.modes.autowrap, self.modes.insert);
        if self.buffer().x + width > cols {
            if autowrap {
                self.wrap_to_next_line();
            } else {
                self.buffer_mut().x = cols - 1;
                if width == 2 {
                    return;
                }
            }
        }
        let buffer = self.buffer_mut();
        if insert {
            buffer.insert_cells(width, attrs);
        }
        let x = buffer.x;
        let row = buffer.cursor_row();
        let after = x + width;
        split_wide_neighbours(row, x, after, attrs);
        row.cells[x] = Cell {
            ch: c,
            width: width as u8,
            attrs,
        };
        if width == 2 {
            row.cells[x + 1] = Cell {
                ch: '\0',
                width: 0,
                attrs,
            };
        }
        buffer.x = after;
    }

    /// The line-wrap of autowrap: to the start of the next line, which continues this one.
    fn wrap_to_next_line(&mut self) {
        let attrs = self.attrs;
        let buffer = self.buffer_mut();
        buffer.x = 0;
        if buffer.y == buffer.scroll_bottom {
            buffer.scroll_up(attrs, true);
        } else {
            buffer.y = (buffer.y + 1).min(buffer.height() - 1);
            buffer.cursor_row().wrapped = true;
        }
    }

    /// REP: the last printed character again, `count` times.
    pub(crate) fn repeat(&mut self, count: usize) {
        if let Some(c) = self.last_printed {
            for _ in 0..count.min(self.cols() * self.rows()) {
                self.print(c);
            }
        }
    }
}

/// Cells `start..end` are about to be overwritten: a wide character cut in half at either edge
/// loses its other half, blanked with the pen, as xterm.js does.
fn split_wide_neighbours(row: &mut Row, start: usize, end: usize, attrs: Attrs) {
    let blank = Cell {
        ch: '\0',
        width: 1,
        attrs,
    };
    if start > 0 && row.cells[start - 1].width == 2 {
        row.cells[start - 1] = blank;
    }
    row.touch(end);
    if end < row.cells.len() && row.cells[end].width == 0 {
        row.cells[end] = blank;
        row.touch(end + 1);
    }
}
