//! Control sequences to screen operations: `vte` parses, this maps each C0 control, ESC, CSI and
//! OSC sequence onto [`Screen`]. Queries (DA, DSR, DECRQM, window reports) change no state and are
//! ignored: the model never answers anything.

use vte::{Params, Perform};

use super::cell::{Attrs, Color, flag};
use super::charset::Charset;
use super::screen::{MouseEncoding, MouseTracking, Screen};

/// Longest title kept, in characters.
const MAX_TITLE: usize = 1024;

impl Perform for Screen {
    fn print(&mut self, c: char) {
        self.back_in_ground = true;
        self.queue_text(c);
    }

    fn execute(&mut self, byte: u8) {
        self.flush();
        match byte {
            0x08 => self.backspace(),
            0x09 => self.tab(),
            0x0a..=0x0c => self.line_feed(),
            0x0d => self.carriage_return(),
            0x0e => self.charsets.shifted_out = true,
            0x0f => self.charsets.shifted_out = false,
            _ => {}
        }
    }

    fn esc_dispatch(&mut self, intermediates: &[u8], _ignore: bool, byte: u8) {
        self.back_in_ground = true;
        self.flush();
        match (intermediates, byte) {
            ([], b'7') => self.save_cursor(),
            ([], b'8') => self.restore_cursor(),
            ([], b'D') => self.index(),
            ([], b'E') => {
                self.carriage_return();
                self.index();
            }
            ([], b'M') => self.reverse_index(),
            ([], b'H') => {
                let buffer = self.buffer_mut();
                let x = buffer.x.min(buffer.cols() - 1);
                buffer.tabs[x] = true;
            }
            ([], b'c') => self.reset(),
            ([], b'=') => self.modes.application_keypad = true,
            ([], b'>') => self.modes.application_keypad = false,
            ([b'('], designation) => {
                if let Some(charset) = Charset::from_final(designation) {
                    self.charsets.g0 = charset;
                }
            }
            ([b')'], designation) => {
                if let Some(charset) = Charset::from_final(designation) {
                    self.charsets.g1 = charset;
                }
            }
            ([b'#'], b'8') => self.alignment_test(),
            _ => {}
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        self.back_in_ground = true;
        self.flush();
        if ignore {
            return;
        }
        let values: Vec<u16> = params.iter().map(|param| param[0]).collect();
        let first = values.first().copied().unwrap_or(0);
        // Counts and positions: 0 or missing means 1.
        let count = usize::from(first.max(1));
        let second = usize::from(values.get(1).copied().unwrap_or(0).max(1));
        match (intermediates, action) {
            ([], '@') => {
                let attrs = self.attrs;
                let origin = self.modes.origin;
                let buffer = self.buffer_mut();
                buffer.restrict_cursor(origin);
                buffer.insert_cells(count, attrs);
            }
            ([], 'A') => self.cursor_up(count),
            ([], 'B') => self.cursor_down(count),
            ([], 'C' | 'a') => self.move_cursor(count as isize, 0),
            ([], 'D') => self.move_cursor(-(count as isize), 0),
            ([], 'E') => {
                self.cursor_down(count);
                self.carriage_return();
            }
            ([], 'F') => {
                self.cursor_up(count);
                self.carriage_return();
            }
            ([], 'G' | '`') => self.set_column(count - 1),
            ([], 'H' | 'f') => self.set_cursor(second - 1, count - 1),
            ([], 'I') => {
                for _ in 0..count {
                    self.tab();
                }
            }
            ([], 'Z') => {
                let buffer = self.buffer_mut();
                for _ in 0..count {
                    buffer.x = buffer.previous_tab_stop();
                }
            }
            ([], 'J') => self.erase_in_display(first),
            ([], 'K') => self.erase_in_line(first),
            ([], 'L') => {
                let (attrs, origin) = (self.attrs, self.modes.origin);
                let buffer = self.buffer_mut();
                buffer.restrict_cursor(origin);
                buffer.insert_lines(count, attrs);
            }
            ([], 'M') => {
                let (attrs, origin) = (self.attrs, self.modes.origin);
                let buffer = self.buffer_mut();
                buffer.restrict_cursor(origin);
                buffer.delete_lines(count, attrs);
            }
            ([], 'P') => {
                let (attrs, origin) = (self.attrs, self.modes.origin);
                let buffer = self.buffer_mut();
                buffer.restrict_cursor(origin);
                buffer.delete_cells(count, attrs);
            }
            ([], 'S') => {
                let attrs = self.attrs;
                self.buffer_mut().scroll_region_up(count, attrs);
            }
            ([], 'T') => {
                let attrs = self.attrs;
                self.buffer_mut().scroll_region_down(count, attrs);
            }
            ([], 'X') => self.erase_chars(count),
            ([], 'b') => self.repeat(count),
            ([], 'd') => self.set_row(count - 1),
            ([], 'e') => self.move_cursor(0, count as isize),
            ([], 'g') => {
                let buffer = self.buffer_mut();
                match first {
                    0 => {
                        let x = buffer.x.min(buffer.cols() - 1);
                        buffer.tabs[x] = false;
                    }
                    3 => buffer.tabs.fill(false),
                    _ => {}
                }
            }
            ([], 'h' | 'l') if values.contains(&4) => self.modes.insert = action == 'h',
            ([b'?'], 'h' | 'l') => {
                for &mode in &values {
                    self.set_private_mode(mode, action == 'h');
                }
            }
            ([], 'm') => self.select_graphic_rendition(params),
            ([], 'r') => {
                let bottom = values.get(1).copied().map(usize::from);
                self.set_scroll_region(usize::from(first), bottom);
            }
            ([], 's') => self.save_cursor(),
            ([], 'u') => self.restore_cursor(),
            ([b' '], 'q') => self.modes.cursor_style = Some(first),
            ([b'!'], 'p') => self.soft_reset(),
            _ => {}
        }
    }

    fn osc_dispatch(&mut self, params: &[&[u8]], _bell_terminated: bool) {
        self.back_in_ground = true;
        self.flush();
        if let [b"0" | b"2", title, ..] = params {
            self.title = String::from_utf8_lossy(title)
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_TITLE)
                .collect();
        }
    }
}

impl Screen {
    /// DECSET and DECRST.
    fn set_private_mode(&mut self, mode: u16, on: bool) {
        let tracking = |tracking| if on { tracking } else { MouseTracking::None };
        match mode {
            1 => self.modes.application_cursor = on,
            6 => {
                self.modes.origin = on;
                self.set_cursor(0, 0);
            }
            7 => self.modes.autowrap = on,
            9 => self.modes.mouse_tracking = tracking(MouseTracking::X10),
            12 => self.modes.cursor_blink = Some(on),
            25 => self.modes.cursor_visible = on,
            47 | 1047 => {
                if on {
                    self.enter_alternate();
                } else {
                    self.leave_alternate();
                }
            }
            66 => self.modes.application_keypad = on,
            1000 => self.modes.mouse_tracking = tracking(MouseTracking::Normal),
            1002 => self.modes.mouse_tracking = tracking(MouseTracking::ButtonMotion),
            1003 => self.modes.mouse_tracking = tracking(MouseTracking::AnyMotion),
            1004 => self.modes.focus_events = on,
            1006 | 1016 => {
                let encoding = if mode == 1006 {
                    MouseEncoding::Sgr
                } else {
                    MouseEncoding::SgrPixels
                };
                if on {
                    self.modes.mouse_encoding = encoding;
                } else if self.modes.mouse_encoding == encoding {
                    self.modes.mouse_encoding = MouseEncoding::Default;
                }
            }
            1048 => {
                if on {
                    self.save_cursor();
                } else {
                    self.restore_cursor();
                }
            }
            1049 => {
                if on {
                    self.save_cursor();
                    self.enter_alternate();
                } else {
                    self.leave_alternate();
                    self.restore_cursor();
                }
            }
            2004 => self.modes.bracketed_paste = on,
            _ => {}
        }
    }

    /// SGR, in the semicolon and the colon forms of extended colours.
    fn select_graphic_rendition(&mut self, params: &Params) {
        let mut params = params.iter().peekable();
        if params.peek().is_none() {
            self.attrs = Attrs::default();
            return;
        }
        let attrs = &mut self.attrs;
        while let Some(param) = params.next() {
            let set = |attrs: &mut Attrs, bit: u16, on: bool| {
                if on {
                    attrs.flags |= bit;
                } else {
                    attrs.flags &= !bit;
                }
            };
            match param[0] {
                0 => *attrs = Attrs::default(),
                1 => set(attrs, flag::BOLD, true),
                2 => set(attrs, flag::DIM, true),
                3 => set(attrs, flag::ITALIC, true),
                4 => {
                    let style = param.get(1).copied().unwrap_or(1);
                    set_underline(attrs, style);
                }
                5 => set(attrs, flag::BLINK, true),
                7 => set(attrs, flag::INVERSE, true),
                8 => set(attrs, flag::INVISIBLE, true),
                9 => set(attrs, flag::STRIKETHROUGH, true),
                21 => set_underline(attrs, 2),
                22 => set(attrs, flag::BOLD | flag::DIM, false),
                23 => set(attrs, flag::ITALIC, false),
                24 => set_underline(attrs, 0),
                25 => set(attrs, flag::BLINK, false),
                27 => set(attrs, flag::INVERSE, false),
                28 => set(attrs, flag::INVISIBLE, false),
                29 => set(attrs, flag::STRIKETHROUGH, false),
                53 => set(attrs, flag::OVERLINE, true),
                55 => set(attrs, flag::OVERLINE, false),
                code @ 30..=37 => attrs.fg = Color::Named((code - 30) as u8),
                code @ 40..=47 => attrs.bg = Color::Named((code - 40) as u8),
                code @ 90..=97 => attrs.fg = Color::Named((code - 90 + 8) as u8),
                code @ 100..=107 => attrs.bg = Color::Named((code - 100 + 8) as u8),
                39 => attrs.fg = Color::Default,
                49 => attrs.bg = Color::Default,
                code @ (38 | 48 | 58) => {
                    let color = extended_color(param, &mut params);
                    match (code, color) {
                        (38, Some(color)) => attrs.fg = color,
                        (48, Some(color)) => attrs.bg = color,
                        // The underline colour (58) is not kept.
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
}

fn set_underline(attrs: &mut Attrs, style: u16) {
    attrs.flags &= !(flag::UNDERLINE | flag::UNDERLINE_STYLE_MASK);
    if style > 0 && style <= 5 {
        attrs.flags |= flag::UNDERLINE;
        if style > 1 {
            attrs.flags |= style << flag::UNDERLINE_STYLE_SHIFT;
        }
    }
}

/// The colour of `38`, `48` or `58`: from its own sub-parameters (`38:5:n`, `38:2::r:g:b`,
/// `38:2:r:g:b`), or from the parameters that follow (`38;5;n`, `38;2;r;g;b`).
fn extended_color<'a>(
    param: &[u16],
    rest: &mut std::iter::Peekable<impl Iterator<Item = &'a [u16]>>,
) -> Option<Color> {
    let byte = |value: u16| value.min(255) as u8;
    if param.len() > 1 {
        return match param[1] {
            5 => param.get(2).map(|&index| Color::Palette(byte(index))),
            2 => {
                let rgb = if param.len() >= 6 {
                    &param[3..6]
                } else {
                    param.get(2..5)?
                };
                Some(Color::Rgb(byte(rgb[0]), byte(rgb[1]), byte(rgb[2])))
            }
            _ => None,
        };
    }
    match rest.next()?.first()? {
        5 => Some(Color::Palette(byte(*rest.next()?.first()?))),
        2 => {
            let r = *rest.next()?.first()?;
            let g = *rest.next()?.first()?;
            let b = *rest.next()?.first()?;
            Some(Color::Rgb(byte(r), byte(g), byte(b)))
        }
        _ => None,
    }
}
