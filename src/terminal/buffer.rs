//! One screen buffer (the primary or the alternate one): its rows, its scrollback, its cursor,
//! scroll region, tab stops and saved cursor, with the edits that only touch rows (scrolling,
//! erasing, inserting and deleting). Each behaves as xterm.js's does.

use std::collections::VecDeque;

use super::cell::{Attrs, Cell, CompactRow, Row};
use super::charset::Charsets;

/// Tab stops every this many columns by default.
const TAB_WIDTH: usize = 8;

/// What DECSC saves and DECRC restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SavedCursor {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) attrs: Attrs,
    pub(crate) charsets: Charsets,
}

/// A screen buffer.
#[derive(Debug, Clone)]
pub(crate) struct Buffer {
    /// Exactly `rows` rows, top first.
    pub(crate) rows: VecDeque<Row>,
    /// Rows that scrolled off the top, oldest first (the primary buffer only).
    pub(crate) scrollback: VecDeque<CompactRow>,
    /// Most rows kept in `scrollback`.
    scrollback_limit: usize,
    /// The cursor column; `cols` means "past the last column, wrap before the next character".
    pub(crate) x: usize,
    pub(crate) y: usize,
    /// The scroll region, inclusive.
    pub(crate) scroll_top: usize,
    pub(crate) scroll_bottom: usize,
    pub(crate) tabs: Vec<bool>,
    pub(crate) saved: Option<SavedCursor>,
}

impl Buffer {
    /// A blank buffer of `cols`×`rows` keeping up to `scrollback_limit` rows of history.
    pub(crate) fn new(cols: usize, rows: usize, scrollback_limit: usize) -> Self {
        Self {
            rows: (0..rows)
                .map(|_| Row::blank(cols, Attrs::default()))
                .collect(),
            scrollback: VecDeque::new(),
            scrollback_limit,
            x: 0,
            y: 0,
            scroll_top: 0,
            scroll_bottom: rows - 1,
            tabs: default_tabs(cols),
            saved: None,
        }
    }

    pub(crate) fn cols(&self) -> usize {
        self.tabs.len()
    }

    pub(crate) fn height(&self) -> usize {
        self.rows.len()
    }

    /// The row the cursor is on.
    pub(crate) fn cursor_row(&mut self) -> &mut Row {
        let y = self.y;
        &mut self.rows[y]
    }

    /// Blank rows (erased with `attrs`) in place of everything, cursor home, default region and
    /// tabs: what xterm.js does to the alternate buffer each time it is entered.
    pub(crate) fn reset_rows(&mut self, attrs: Attrs) {
        for row in &mut self.rows {
            row.clear(attrs);
        }
        self.scrollback.clear();
        self.scroll_top = 0;
        self.scroll_bottom = self.height() - 1;
        self.tabs = default_tabs(self.cols());
    }

    /// Keeps the cursor on the screen (and, with `origin`, in the scroll region), and out of the
    /// "past the last column" state.
    pub(crate) fn restrict_cursor(&mut self, origin: bool) {
        self.x = self.x.min(self.cols() - 1);
        self.y = if origin {
            self.y.clamp(self.scroll_top, self.scroll_bottom)
        } else {
            self.y.min(self.height() - 1)
        };
    }

    /// Scrolls the scroll region up by one row, as a line feed at its bottom does. With the region
    /// at the top of the screen, the top row goes into the scrollback. The new row is blank with
    /// `attrs` and marked `wrapped` as asked.
    pub(crate) fn scroll_up(&mut self, attrs: Attrs, wrapped: bool) {
        let (top, bottom) = (self.scroll_top, self.scroll_bottom);
        let mut row = if top == 0 && bottom == self.height() - 1 {
            self.rows.pop_front().expect("a buffer has rows")
        } else {
            self.rows.remove(top).expect("the region is on the screen")
        };
        if top == 0 && self.scrollback_limit > 0 {
            if self.scrollback.len() == self.scrollback_limit {
                self.scrollback.pop_front();
            }
            self.scrollback.push_back(CompactRow::from_row(&row));
        }
        row.clear(attrs);
        row.wrapped = wrapped;
        self.rows.insert(bottom, row);
    }

    /// Scrolls the region down by one row (reverse index at its top); the bottom row is lost.
    pub(crate) fn scroll_down(&mut self, attrs: Attrs) {
        let (top, bottom) = (self.scroll_top, self.scroll_bottom);
        let mut row = self
            .rows
            .remove(bottom)
            .expect("the region is on the screen");
        row.clear(attrs);
        self.rows.insert(top, row);
    }

    /// SU: the region up by `count` rows, without feeding the scrollback.
    pub(crate) fn scroll_region_up(&mut self, count: usize, attrs: Attrs) {
        for _ in 0..count.min(self.scroll_bottom - self.scroll_top + 1) {
            let mut row = self.rows.remove(self.scroll_top).expect("on the screen");
            row.clear(attrs);
            self.rows.insert(self.scroll_bottom, row);
        }
    }

    /// SD: the region down by `count` rows.
    pub(crate) fn scroll_region_down(&mut self, count: usize, attrs: Attrs) {
        for _ in 0..count.min(self.scroll_bottom - self.scroll_top + 1) {
            self.scroll_down(attrs);
        }
    }

    /// IL: `count` blank rows at the cursor, pushing the rows below down within the region.
    pub(crate) fn insert_lines(&mut self, count: usize, attrs: Attrs) {
        let y = self.y;
        if y < self.scroll_top || y > self.scroll_bottom {
            return;
        }
        for _ in 0..count.min(self.scroll_bottom - y + 1) {
            let mut row = self.rows.remove(self.scroll_bottom).expect("on the screen");
            row.clear(attrs);
            self.rows.insert(y, row);
        }
    }

    /// DL: removes `count` rows at the cursor, pulling the rows below up within the region.
    pub(crate) fn delete_lines(&mut self, count: usize, attrs: Attrs) {
        let y = self.y;
        if y < self.scroll_top || y > self.scroll_bottom {
            return;
        }
        for _ in 0..count.min(self.scroll_bottom - y + 1) {
            let mut row = self.rows.remove(y).expect("on the screen");
            row.clear(attrs);
            self.rows.insert(self.scroll_bottom, row);
        }
    }

    /// Erases cells `start..end` of row `y` (clamped to the row); with `unwrap`, the row no longer
    /// continues the one above.
    pub(crate) fn erase_cells(
        &mut self,
        y: usize,
        start: usize,
        end: usize,
        attrs: Attrs,
        unwrap: bool,
    ) {
        let row = &mut self.rows[y];
        let end = end.min(row.cells.len());
        if start < end {
            let blank = Cell::blank(attrs);
            row.cells[start..end].fill(blank);
            if !blank.is_default_blank() {
                row.touch(end);
            }
        }
        if unwrap {
            row.wrapped = false;
        }
    }

    /// ICH: `count` blank cells at the cursor, pushing the rest of the row right.
    pub(crate) fn insert_cells(&mut self, count: usize, attrs: Attrs) {
        let x = self.x.min(self.cols() - 1);
        let cols = self.cols();
        let row = self.cursor_row();
        let count = count.min(cols - x);
        row.cells.truncate(cols - count);
        for _ in 0..count {
            row.cells.insert(x, Cell::blank(attrs));
        }
        row.resize(cols);
        row.touch(cols);
    }

    /// DCH: removes `count` cells at the cursor, pulling the rest of the row left.
    pub(crate) fn delete_cells(&mut self, count: usize, attrs: Attrs) {
        let x = self.x.min(self.cols() - 1);
        let cols = self.cols();
        let row = self.cursor_row();
        let count = count.min(cols - x);
        row.cells.drain(x..x + count);
        row.cells.resize(cols, Cell::blank(attrs));
        row.touch(cols);
    }

    /// The next tab stop right of the cursor, else the last column.
    pub(crate) fn next_tab_stop(&self) -> usize {
        let cols = self.cols();
        (self.x + 1..cols)
            .find(|&column| self.tabs[column])
            .unwrap_or(cols - 1)
    }

    /// The previous tab stop left of the cursor, else the first column.
    pub(crate) fn previous_tab_stop(&self) -> usize {
        (0..self.x.min(self.cols()))
            .rev()
            .find(|&column| self.tabs[column])
            .unwrap_or(0)
    }

    /// Whether the tab stops are the default ones.
    pub(crate) fn default_tabs(&self) -> bool {
        self.tabs == default_tabs(self.cols())
    }

    /// Clears the history.
    pub(crate) fn clear_scrollback(&mut self) {
        self.scrollback.clear();
    }

    /// Changes the size without reflowing text: as xterm.js does, rows beyond the cursor are
    /// dropped first when the screen shrinks and the rest scroll into the history; a growing
    /// screen pulls rows back from the history.
    pub(crate) fn resize(&mut self, cols: usize, rows: usize) {
        if cols != self.cols() {
            for row in &mut self.rows {
                row.resize(cols);
            }
            let old = self.tabs.len();
            self.tabs.resize(cols, false);
            for column in old..cols {
                self.tabs[column] = column % TAB_WIDTH == 0;
            }
        }
        while self.rows.len() > rows {
            if self.rows.len() > self.y + 1 {
                self.rows.pop_back();
            } else {
                let row = self.rows.pop_front().expect("a buffer has rows");
                if self.scrollback_limit > 0 {
                    if self.scrollback.len() == self.scrollback_limit {
                        self.scrollback.pop_front();
                    }
                    self.scrollback.push_back(CompactRow::from_row(&row));
                }
                self.y = self.y.saturating_sub(1);
            }
        }
        while self.rows.len() < rows {
            match self.scrollback.pop_back() {
                Some(row) => {
                    self.rows.push_front(row.to_row(cols));
                    self.y += 1;
                }
                None => self.rows.push_back(Row::blank(cols, Attrs::default())),
            }
        }
        self.x = self.x.min(cols - 1);
        self.y = self.y.min(rows - 1);
        self.scroll_top = 0;
        self.scroll_bottom = rows - 1;
        if let Some(saved) = &mut self.saved {
            saved.x = saved.x.min(cols - 1);
            saved.y = saved.y.min(rows - 1);
        }
    }
}

fn default_tabs(cols: usize) -> Vec<bool> {
    (0..cols).map(|column| column % TAB_WIDTH == 0).collect()
}
