//! What one cell of the screen holds: a character, its width and its attributes (SGR). Rows
//! that scroll off into the scrollback are stored compactly, as text plus runs of attributes.

use unicode_width::UnicodeWidthChar;

/// A foreground or background colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Color {
    /// The terminal's default colour.
    #[default]
    Default,
    /// One of the 16 named colours (SGR 30 to 37 and 90 to 97, 40 to 47 and 100 to 107).
    Named(u8),
    /// One of the 256 palette colours (SGR 38;5;n). xterm.js keeps the two apart even where the
    /// index is below 16, and so does the model.
    Palette(u8),
    /// A truecolor value.
    Rgb(u8, u8, u8),
}

/// SGR attributes other than colours, as bits.
pub(crate) mod flag {
    pub(crate) const BOLD: u16 = 1;
    pub(crate) const DIM: u16 = 1 << 1;
    pub(crate) const ITALIC: u16 = 1 << 2;
    pub(crate) const UNDERLINE: u16 = 1 << 3;
    pub(crate) const BLINK: u16 = 1 << 4;
    pub(crate) const INVERSE: u16 = 1 << 5;
    pub(crate) const INVISIBLE: u16 = 1 << 6;
    pub(crate) const STRIKETHROUGH: u16 = 1 << 7;
    pub(crate) const OVERLINE: u16 = 1 << 8;
    /// The underline style (SGR 4:n, 21 for double), in three bits; meaningful with UNDERLINE.
    pub(crate) const UNDERLINE_STYLE_SHIFT: u16 = 9;
    pub(crate) const UNDERLINE_STYLE_MASK: u16 = 0b111 << UNDERLINE_STYLE_SHIFT;
}

/// The pen a character is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Attrs {
    pub(crate) fg: Color,
    pub(crate) bg: Color,
    /// [`flag`] bits.
    pub(crate) flags: u16,
}

impl Attrs {
    /// What erasing leaves behind with this pen: the background colour only (xterm's
    /// background colour erase).
    pub(crate) fn erased(self) -> Self {
        Self {
            bg: self.bg,
            ..Self::default()
        }
    }

    /// The underline style: 0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed.
    pub(crate) fn underline_style(self) -> u16 {
        if self.flags & flag::UNDERLINE == 0 {
            return 0;
        }
        match (self.flags & flag::UNDERLINE_STYLE_MASK) >> flag::UNDERLINE_STYLE_SHIFT {
            0 => 1,
            style => style,
        }
    }
}

/// One cell. A wide character takes two: the character (width 2), then a spacer (width 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    /// The character; `'\0'` for a cell nothing was written to (or that was erased).
    pub(crate) ch: char,
    /// 1, or 2 for a wide character, or 0 for the spacer behind one.
    pub(crate) width: u8,
    pub(crate) attrs: Attrs,
}

impl Cell {
    /// An empty cell as erasing with `attrs` leaves it.
    pub(crate) fn blank(attrs: Attrs) -> Self {
        Self {
            ch: '\0',
            width: 1,
            attrs: attrs.erased(),
        }
    }

    /// Whether the cell shows nothing and has no attributes.
    pub(crate) fn is_default_blank(&self) -> bool {
        self.ch == '\0' && self.attrs == Attrs::default()
    }
}

/// One row of the screen.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) cells: Vec<Cell>,
    /// The row continues the one above it (the text wrapped here).
    pub(crate) wrapped: bool,
    /// Every cell from here on is a default blank: clearing and measuring a row look no further
    /// (most rows are much shorter than the screen is wide). Whoever writes a cell past it calls
    /// [`touch`](Self::touch).
    touched: usize,
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        self.cells == other.cells && self.wrapped == other.wrapped
    }
}

impl Eq for Row {}

impl Row {
    /// A blank row of `cols` cells erased with `attrs`.
    pub(crate) fn blank(cols: usize, attrs: Attrs) -> Self {
        let blank = Cell::blank(attrs);
        Self {
            cells: vec![blank; cols],
            wrapped: false,
            touched: if blank.is_default_blank() { 0 } else { cols },
        }
    }

    /// Notes that cells before `end` may have been written.
    pub(crate) fn touch(&mut self, end: usize) {
        self.touched = self.touched.max(end).min(self.cells.len());
    }

    /// Blanks the whole row with `attrs`, keeping its allocation.
    pub(crate) fn clear(&mut self, attrs: Attrs) {
        let blank = Cell::blank(attrs);
        if blank.is_default_blank() {
            self.cells[..self.touched].fill(blank);
            self.touched = 0;
        } else {
            self.cells.fill(blank);
            self.touched = self.cells.len();
        }
        self.wrapped = false;
    }

    /// Cells up to the last one that shows something or has attributes.
    pub(crate) fn used(&self) -> &[Cell] {
        let end = self.cells[..self.touched]
            .iter()
            .rposition(|cell| !cell.is_default_blank())
            .map_or(0, |last| last + 1);
        &self.cells[..end]
    }

    /// Sets the row to `cols` cells, cutting or padding with blanks.
    pub(crate) fn resize(&mut self, cols: usize) {
        self.cells.resize(cols, Cell::blank(Attrs::default()));
        self.touched = self.touched.min(cols);
        // A wide character cut in half leaves its spacer's partner dangling.
        if let Some(last) = self.cells.last_mut()
            && last.width == 2
        {
            *last = Cell::blank(last.attrs);
        }
    }
}

/// A row of the scrollback: its used cells only, as text and runs of attributes. A row printed
/// with the default pen (most of them) costs one allocation, its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompactRow {
    /// The used cells' characters, spacers left out (a wide character's width says where they
    /// were), `'\0'` for a cell nothing was written to.
    text: Box<str>,
    /// `(first cell, attributes)` where the attributes change; empty when every cell has the
    /// default ones.
    runs: Box<[(u16, Attrs)]>,
    pub(crate) wrapped: bool,
}

impl CompactRow {
    /// The compact form of `row`.
    pub(crate) fn from_row(row: &Row) -> Self {
        let used = row.used();
        let plain = Attrs::default();
        // The common row: plain ASCII (blank cells are '\0', ASCII too), one pass, one allocation.
        let mut bytes = Vec::with_capacity(used.len());
        for cell in used {
            if cell.attrs != plain || cell.width != 1 || !cell.ch.is_ascii() {
                break;
            }
            bytes.push(cell.ch as u8);
        }
        if bytes.len() == used.len() {
            return Self {
                text: String::from_utf8(bytes)
                    .expect("ASCII is UTF-8")
                    .into_boxed_str(),
                runs: Box::new([]),
                wrapped: row.wrapped,
            };
        }
        let mut text = String::with_capacity(used.len());
        let mut runs: Vec<(u16, Attrs)> = Vec::new();
        let mut attrs = Attrs::default();
        for (index, cell) in used.iter().enumerate() {
            if cell.attrs != attrs {
                attrs = cell.attrs;
                runs.push((index as u16, attrs));
            }
            if cell.width != 0 {
                text.push(cell.ch);
            }
        }
        Self {
            text: text.into_boxed_str(),
            runs: runs.into_boxed_slice(),
            wrapped: row.wrapped,
        }
    }

    /// The row as pieces of text and the attributes they were printed with, in order; `None`
    /// when the row has empty cells among its characters (those need drawing cell by cell).
    pub(crate) fn styled_text(&self) -> Option<Vec<(Attrs, &str)>> {
        if self.text.contains('\0') {
            return None;
        }
        let mut pieces = Vec::with_capacity(self.runs.len() + 1);
        let (mut attrs, mut from, mut cell) = (Attrs::default(), 0, 0);
        let mut runs = self.runs.iter().peekable();
        for (at, ch) in self.text.char_indices() {
            while let Some(&&(start, next)) = runs.peek() {
                if usize::from(start) > cell {
                    break;
                }
                if at > from {
                    pieces.push((attrs, &self.text[from..at]));
                    from = at;
                }
                attrs = next;
                runs.next();
            }
            cell += ch.width().unwrap_or(1).max(1);
        }
        if self.text.len() > from {
            pieces.push((attrs, &self.text[from..]));
        }
        Some(pieces)
    }

    /// The row's cells again, padded with blanks to `cols`.
    pub(crate) fn to_row(&self, cols: usize) -> Row {
        let mut cells = Vec::with_capacity(cols.max(self.text.len()));
        for ch in self.text.chars() {
            let wide = ch.width() == Some(2);
            cells.push(Cell {
                ch,
                width: if wide { 2 } else { 1 },
                attrs: Attrs::default(),
            });
            if wide {
                cells.push(Cell {
                    ch: '\0',
                    width: 0,
                    attrs: Attrs::default(),
                });
            }
        }
        let mut runs = self.runs.iter().peekable();
        let mut attrs = Attrs::default();
        for (index, cell) in cells.iter_mut().enumerate() {
            while let Some((start, next)) = runs.peek() {
                if usize::from(*start) > index {
                    break;
                }
                attrs = *next;
                runs.next();
            }
            cell.attrs = attrs;
        }
        let mut row = Row {
            touched: cells.len(),
            cells,
            wrapped: self.wrapped,
        };
        row.resize(cols.max(row.cells.len()));
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_rows_round_trip_with_attributes_and_wide_characters() {
        let red = Attrs {
            fg: Color::Named(1),
            ..Attrs::default()
        };
        let mut row = Row::blank(10, Attrs::default());
        row.cells[0] = Cell {
            ch: 'a',
            width: 1,
            attrs: red,
        };
        row.cells[1] = Cell {
            ch: '界',
            width: 2,
            attrs: red,
        };
        row.cells[2] = Cell {
            ch: '\0',
            width: 0,
            attrs: red,
        };
        row.cells[5] = Cell::blank(Attrs {
            bg: Color::Rgb(1, 2, 3),
            ..Attrs::default()
        });
        row.wrapped = true;
        row.touch(6);
        let compact = CompactRow::from_row(&row);
        assert_eq!(
            compact.text.chars().count(),
            5,
            "no spacers, no trailing default blanks"
        );
        assert_eq!(compact.to_row(10), row);
        assert_eq!(
            compact.styled_text(),
            None,
            "it has empty cells among its characters"
        );
        row.cells[3] = Cell {
            ch: 'b',
            width: 1,
            attrs: Attrs::default(),
        };
        row.cells[4] = row.cells[3];
        row.cells[5].ch = 'c';
        let styled = CompactRow::from_row(&row);
        assert_eq!(
            styled.styled_text(),
            Some(vec![
                (red, "a界"),
                (Attrs::default(), "bb"),
                (row.cells[5].attrs, "c")
            ])
        );
        assert_eq!(styled.to_row(10), row);
    }
}
