//! The modes a program sets, as the model keeps them.

/// Mouse events a program asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MouseTracking {
    #[default]
    None,
    /// `?9`: presses only.
    X10,
    /// `?1000`: presses and releases.
    Normal,
    /// `?1002`: and motion while a button is down.
    ButtonMotion,
    /// `?1003`: and all motion.
    AnyMotion,
}

/// How mouse events are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MouseEncoding {
    #[default]
    Default,
    /// `?1006`.
    Sgr,
    /// `?1016`.
    SgrPixels,
}

/// The modes a program sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Modes {
    pub(crate) application_cursor: bool,
    pub(crate) application_keypad: bool,
    pub(crate) origin: bool,
    pub(crate) autowrap: bool,
    pub(crate) insert: bool,
    pub(crate) bracketed_paste: bool,
    pub(crate) focus_events: bool,
    pub(crate) cursor_visible: bool,
    /// `?12`, when a program set it.
    pub(crate) cursor_blink: Option<bool>,
    /// DECSCUSR's parameter, when a program set one.
    pub(crate) cursor_style: Option<u16>,
    pub(crate) mouse_tracking: MouseTracking,
    pub(crate) mouse_encoding: MouseEncoding,
}

impl Default for Modes {
    fn default() -> Self {
        Self {
            application_cursor: false,
            application_keypad: false,
            origin: false,
            autowrap: true,
            insert: false,
            bracketed_paste: false,
            focus_events: false,
            cursor_visible: true,
            cursor_blink: None,
            cursor_style: None,
            mouse_tracking: MouseTracking::None,
            mouse_encoding: MouseEncoding::Default,
        }
    }
}
