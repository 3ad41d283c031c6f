//! Character sets: G0 and G1 (ASCII or DEC special graphics), and which one is in use (SO/SI).

/// A character set that can be designated into G0 or G1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Charset {
    /// US ASCII (`ESC ( B`).
    #[default]
    Ascii,
    /// DEC special graphics, the line-drawing set (`ESC ( 0`).
    DecGraphics,
}

impl Charset {
    /// The set named by the final byte of an SCS sequence, if it is one we keep.
    pub(crate) fn from_final(byte: u8) -> Option<Self> {
        match byte {
            b'0' => Some(Self::DecGraphics),
            b'B' => Some(Self::Ascii),
            _ => None,
        }
    }

    fn map(self, c: char) -> char {
        match self {
            Self::Ascii => c,
            Self::DecGraphics => dec_graphics(c),
        }
    }
}

/// G0, G1 and the one shifted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Charsets {
    pub(crate) g0: Charset,
    pub(crate) g1: Charset,
    /// Shift out (SO) selects G1; shift in (SI) G0.
    pub(crate) shifted_out: bool,
}

impl Charsets {
    /// `c` as the active set draws it.
    pub(crate) fn map(&self, c: char) -> char {
        if self.shifted_out {
            self.g1.map(c)
        } else {
            self.g0.map(c)
        }
    }
}

/// The DEC special graphics set, as xterm.js maps it.
fn dec_graphics(c: char) -> char {
    match c {
        '`' => '\u{25c6}',
        'a' => '\u{2592}',
        'b' => '\u{2409}',
        'c' => '\u{240c}',
        'd' => '\u{240d}',
        'e' => '\u{240a}',
        'f' => '\u{00b0}',
        'g' => '\u{00b1}',
        'h' => '\u{2424}',
        'i' => '\u{240b}',
        'j' => '\u{2518}',
        'k' => '\u{2510}',
        'l' => '\u{250c}',
        'm' => '\u{2514}',
        'n' => '\u{253c}',
        'o' => '\u{23ba}',
        'p' => '\u{23bb}',
        'q' => '\u{2500}',
        'r' => '\u{23bc}',
        's' => '\u{23bd}',
        't' => '\u{251c}',
        'u' => '\u{2524}',
        'v' => '\u{2534}',
        'w' => '\u{252c}',
        'x' => '\u{2502}',
        'y' => '\u{2264}',
        'z' => '\u{2265}',
        '{' => '\u{03c0}',
        '|' => '\u{2260}',
        '}' => '\u{00a3}',
        '~' => '\u{00b7}',
        other => other,
    }
}
