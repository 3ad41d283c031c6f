//! The terminal's state: both buffers, the pen, character sets, modes and title, and the
//! operations the control sequences map to (`perform.rs` does the mapping). Semantics follow
//! xterm.js, the UI's terminal, so that a snapshot puts a fresh xterm.js into the same state.

use super::buffer::{Buffer, SavedCursor};
use super::cell::Attrs;
use super::charset::Charsets;
pub(crate) use super::modes::{Modes, MouseEncoding, MouseTracking};

/// The whole terminal state.
#[derive(Debug, Clone)]
pub(crate) struct Screen {
    pub(crate) primary: Buffer,
    /// The alternate buffer, while it is active. Like xterm.js, entering it starts blank and
    /// leaving drops it, so it costs nothing while a shell prompt is showing.
    pub(crate) alternate: Option<Buffer>,
    /// The pen.
    pub(crate) attrs: Attrs,
    pub(crate) charsets: Charsets,
    pub(crate) modes: Modes,
    pub(crate) title: String,
    /// The last character printed, for REP.
    pub(super) last_printed: Option<char>,
    /// Characters the parser handed over and [`flush`](Self::flush) has not printed yet: text
    /// comes one character at a time, and is printed a run at a time.
    pub(super) pending_text: Vec<char>,
    /// Set when the parser printed or finished a sequence, which it only does in (or on its way
    /// back to) its ground state; the model clears and reads it around each parse.
    pub(super) back_in_ground: bool,
    scrollback_limit: usize,
}

impl Screen {
    pub(crate) fn new(cols: usize, rows: usize, scrollback_limit: usize) -> Self {
        Self {
            primary: Buffer::new(cols, rows, scrollback_limit),
            alternate: None,
            attrs: Attrs::default(),
            charsets: Charsets::default(),
            modes: Modes::default(),
            title: String::new(),
            last_printed: None,
            pending_text: Vec::new(),
            back_in_ground: false,
            scrollback_limit,
        }
    }

    /// Rows of history the primary buffer keeps.
    pub(crate) fn scrollback_limit(&self) -> usize {
        self.scrollback_limit
    }

    pub(crate) fn buffer(&self) -> &Buffer {
        self.alternate.as_ref().unwrap_or(&self.primary)
    }

    pub(crate) fn buffer_mut(&mut self) -> &mut Buffer {
        self.alternate.as_mut().unwrap_or(&mut self.primary)
    }

    pub(crate) fn cols(&self) -> usize {
        self.primary.cols()
    }

    pub(crate) fn rows(&self) -> usize {
        self.primary.height()
    }

    /// LF, VT and FF.
    pub(crate) fn line_feed(&mut self) {
        let attrs = self.attrs;
        let cols = self.cols();
        let buffer = self.buffer_mut();
        if buffer.y == buffer.scroll_bottom {
            buffer.scroll_up(attrs, false);
        } else if buffer.y + 1 >= buffer.height() {
            buffer.y = buffer.height() - 1;
        } else {
            buffer.y += 1;
            buffer.cursor_row().wrapped = false;
        }
        if buffer.x >= cols {
            buffer.x -= 1;
        }
    }

    /// IND.
    pub(crate) fn index(&mut self) {
        let (attrs, origin) = (self.attrs, self.modes.origin);
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        if buffer.y == buffer.scroll_bottom {
            buffer.scroll_up(attrs, false);
        } else if buffer.y + 1 < buffer.height() {
            buffer.y += 1;
        }
    }

    /// RI.
    pub(crate) fn reverse_index(&mut self) {
        let (attrs, origin) = (self.attrs, self.modes.origin);
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        if buffer.y == buffer.scroll_top {
            buffer.scroll_down(attrs);
        } else if buffer.y > 0 {
            buffer.y -= 1;
        }
    }

    pub(crate) fn carriage_return(&mut self) {
        self.buffer_mut().x = 0;
    }

    pub(crate) fn backspace(&mut self) {
        let origin = self.modes.origin;
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        buffer.x = buffer.x.saturating_sub(1);
    }

    pub(crate) fn tab(&mut self) {
        let buffer = self.buffer_mut();
        if buffer.x < buffer.cols() {
            buffer.x = buffer.next_tab_stop();
        }
    }

    /// Moves the cursor by a relative amount, staying on the screen.
    pub(crate) fn move_cursor(&mut self, dx: isize, dy: isize) {
        let origin = self.modes.origin;
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        buffer.x = buffer.x.saturating_add_signed(dx);
        buffer.y = buffer.y.saturating_add_signed(dy);
        buffer.restrict_cursor(origin);
    }

    /// CUU: up, stopping at the top of the scroll region when starting inside it.
    pub(crate) fn cursor_up(&mut self, count: usize) {
        let buffer = self.buffer();
        let limit = if buffer.y >= buffer.scroll_top {
            buffer.y - buffer.scroll_top
        } else {
            buffer.y
        };
        self.move_cursor(0, -(count.min(limit) as isize));
    }

    /// CUD: down, stopping at the bottom of the scroll region when starting inside it.
    pub(crate) fn cursor_down(&mut self, count: usize) {
        let buffer = self.buffer();
        let limit = if buffer.y <= buffer.scroll_bottom {
            buffer.scroll_bottom - buffer.y
        } else {
            buffer.height() - 1 - buffer.y
        };
        self.move_cursor(0, count.min(limit) as isize);
    }

    /// CUP: to (`x`, `y`), relative to the scroll region in origin mode.
    pub(crate) fn set_cursor(&mut self, x: usize, y: usize) {
        let origin = self.modes.origin;
        let buffer = self.buffer_mut();
        buffer.x = x;
        buffer.y = if origin { buffer.scroll_top + y } else { y };
        buffer.restrict_cursor(origin);
    }

    /// CHA and HPA: to column `x` on this row.
    pub(crate) fn set_column(&mut self, x: usize) {
        let origin = self.modes.origin;
        let buffer = self.buffer_mut();
        buffer.x = x;
        buffer.restrict_cursor(origin);
    }

    /// VPA: to row `y` (relative to the region in origin mode), same column.
    pub(crate) fn set_row(&mut self, y: usize) {
        let x = self.buffer().x;
        self.set_cursor(x, y);
    }

    /// ED.
    pub(crate) fn erase_in_display(&mut self, mode: u16) {
        let (attrs, origin) = (self.attrs, self.modes.origin);
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        let (x, y, cols, rows) = (buffer.x, buffer.y, buffer.cols(), buffer.height());
        match mode {
            0 => {
                buffer.erase_cells(y, x, cols, attrs, x == 0);
                for row in y + 1..rows {
                    buffer.erase_cells(row, 0, cols, attrs, true);
                }
            }
            1 => {
                buffer.erase_cells(y, 0, x + 1, attrs, true);
                if x + 1 >= cols && y + 1 < rows {
                    buffer.rows[y + 1].wrapped = false;
                }
                for row in 0..y {
                    buffer.erase_cells(row, 0, cols, attrs, true);
                }
            }
            2 => {
                for row in 0..rows {
                    buffer.erase_cells(row, 0, cols, attrs, true);
                }
            }
            3 => buffer.clear_scrollback(),
            _ => {}
        }
    }

    /// EL.
    pub(crate) fn erase_in_line(&mut self, mode: u16) {
        let (attrs, origin) = (self.attrs, self.modes.origin);
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        let (x, y, cols) = (buffer.x, buffer.y, buffer.cols());
        match mode {
            0 => buffer.erase_cells(y, x, cols, attrs, x == 0),
            1 => buffer.erase_cells(y, 0, x + 1, attrs, false),
            2 => buffer.erase_cells(y, 0, cols, attrs, true),
            _ => {}
        }
    }

    /// ECH.
    pub(crate) fn erase_chars(&mut self, count: usize) {
        let (attrs, origin) = (self.attrs, self.modes.origin);
        let buffer = self.buffer_mut();
        buffer.restrict_cursor(origin);
        let (x, y) = (buffer.x, buffer.y);
        buffer.erase_cells(y, x, x + count, attrs, false);
    }

    /// DECSTBM; the cursor goes home.
    pub(crate) fn set_scroll_region(&mut self, top: usize, bottom: Option<usize>) {
        let rows = self.rows();
        let top = top.max(1);
        let bottom = bottom
            .filter(|&bottom| bottom > 0 && bottom <= rows)
            .unwrap_or(rows);
        if bottom > top {
            let buffer = self.buffer_mut();
            buffer.scroll_top = top - 1;
            buffer.scroll_bottom = bottom - 1;
            self.set_cursor(0, 0);
        }
    }

    /// DECSC.
    pub(crate) fn save_cursor(&mut self) {
        let (attrs, charsets) = (self.attrs, self.charsets);
        let buffer = self.buffer_mut();
        buffer.saved = Some(SavedCursor {
            x: buffer.x,
            y: buffer.y,
            attrs,
            charsets,
        });
    }

    /// DECRC.
    pub(crate) fn restore_cursor(&mut self) {
        let origin = self.modes.origin;
        let buffer = self.buffer_mut();
        let saved = buffer.saved.unwrap_or(SavedCursor {
            x: 0,
            y: 0,
            attrs: Attrs::default(),
            charsets: Charsets::default(),
        });
        buffer.x = saved.x;
        buffer.y = saved.y;
        buffer.restrict_cursor(origin);
        self.attrs = saved.attrs;
        self.charsets = saved.charsets;
    }

    /// `?47h`/`?1047h`/`?1049h`: the alternate buffer, blank (erased with the pen), with the
    /// primary's cursor.
    pub(crate) fn enter_alternate(&mut self) {
        if self.alternate.is_some() {
            return;
        }
        let mut alternate = Buffer::new(self.cols(), self.rows(), 0);
        alternate.reset_rows(self.attrs.erased());
        alternate.x = self.primary.x;
        alternate.y = self.primary.y;
        self.alternate = Some(alternate);
    }

    /// `?47l`/`?1047l`/`?1049l`: back to the primary, which takes the alternate's cursor.
    pub(crate) fn leave_alternate(&mut self) {
        if let Some(alternate) = self.alternate.take() {
            self.primary.x = alternate.x;
            self.primary.y = alternate.y;
        }
    }

    /// DECSTR.
    pub(crate) fn soft_reset(&mut self) {
        let keep = (
            self.modes.mouse_tracking,
            self.modes.mouse_encoding,
            self.modes.cursor_blink,
            self.modes.cursor_style,
        );
        self.modes = Modes::default();
        (
            self.modes.mouse_tracking,
            self.modes.mouse_encoding,
            self.modes.cursor_blink,
            self.modes.cursor_style,
        ) = keep;
        self.attrs = Attrs::default();
        self.charsets = Charsets::default();
        let buffer = self.buffer_mut();
        buffer.scroll_top = 0;
        buffer.scroll_bottom = buffer.height() - 1;
        buffer.saved = None;
    }

    /// RIS: everything back to a new terminal of this size, title kept.
    pub(crate) fn reset(&mut self) {
        let title = std::mem::take(&mut self.title);
        *self = Self::new(self.cols(), self.rows(), self.scrollback_limit);
        self.title = title;
    }

    /// DECALN: the screen full of `E`.
    pub(crate) fn alignment_test(&mut self) {
        let buffer = self.buffer_mut();
        for row in &mut buffer.rows {
            row.clear(Attrs::default());
            for cell in &mut row.cells {
                cell.ch = 'E';
            }
            row.touch(row.cells.len());
        }
        buffer.scroll_top = 0;
        buffer.scroll_bottom = buffer.height() - 1;
        buffer.x = 0;
        buffer.y = 0;
    }

    /// The terminal is now `cols`×`rows`.
    pub(crate) fn resize(&mut self, cols: usize, rows: usize) {
        self.primary.resize(cols, rows);
        if let Some(alternate) = &mut self.alternate {
            alternate.resize(cols, rows);
        }
    }
}
