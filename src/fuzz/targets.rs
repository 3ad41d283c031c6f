//! The fuzz targets of the parsers: the protocol, names and entity refs, and the terminal model.

use super::{Target, fnv, text_signature};
use crate::auth::config::redact_url;
use crate::auth::identity::{DefaultKind, normalize_ref};
use crate::protocol::ClientMessage;
use crate::session::SessionName;
use crate::terminal::TerminalModel;

pub(super) fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|token| token.as_bytes().to_vec()).collect()
}

/// `ClientMessage::parse` on a text frame; a message that parses must serialize to one that
/// parses back the same.
pub(super) struct Protocol;

impl Target for Protocol {
    fn name(&self) -> &'static str {
        "protocol"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        tokens(&[
            r#"{"type":"open","cols":80,"rows":24}"#,
            r#"{"type":"open","cols":1000,"rows":1,"token":"abc","resync":true,"flow":true,"draining":true}"#,
            r#"{"type":"attach","session":"3f2a","cols":120,"rows":40,"token":"t"}"#,
            r#"{"type":"attach","session":"x"}"#,
            r#"{"type":"resize","cols":100,"rows":50}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"ack","bytes":65536}"#,
            r#"{"rows":24,"type":"open","cols":80,"extra":[1,{"a":null}]}"#,
        ])
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            r#""type":"#,
            r#""open""#,
            r#""attach""#,
            r#""resize""#,
            r#""ping""#,
            r#""ack""#,
            r#""cols":"#,
            r#""rows":"#,
            r#""session":"#,
            r#""token":"#,
            r#""resync":"#,
            r#""flow":"#,
            r#""draining":"#,
            r#""bytes":"#,
            "true",
            "false",
            "null",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            r#"\u0000"#,
            r#"\ud800"#,
            r#"\""#,
            "1e3",
            "-0",
            "0.0",
        ])
    }

    fn max_len(&self) -> usize {
        4096
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        let text = String::from_utf8_lossy(input);
        match ClientMessage::parse(&text) {
            Ok(message) => {
                let json = serde_json::to_string(&message).expect("a message serializes");
                let again = ClientMessage::parse(&json)
                    .unwrap_or_else(|error| panic!("{json} does not parse back: {error}"));
                assert_eq!(again, message, "{json} parses back differently");
                fnv(&json.as_bytes()[..json.find(',').unwrap_or(json.len())])
            }
            Err(error) => text_signature(&error.to_string()),
        }
    }
}

/// `SessionName::parse`, `normalize_ref` (which must be idempotent and name a kind and a
/// namespace) and `redact_url`.
pub(super) struct Names;

impl Target for Names {
    fn name(&self) -> &'static str {
        "names"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "build server",
            "  padded  ",
            "user:default/alice",
            "group:platform/ops",
            "bob",
            "Group:Default/Team-A",
            "https://user:secret@keys.example.com/jwks.json?token=x#frag",
            "http://127.0.0.1:7007/api/auth/.well-known/jwks.json",
        ])
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "user:", "group:", "default/", ":", "/", "//", "\u{0}", "\u{1b}", "\u{200b}",
            "\u{feff}", "ẞ", "İ", "漢", "👍🏽", "https://", "@", "?", "#", "%00", "[::1]",
        ])
    }

    fn max_len(&self) -> usize {
        512
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        let text = String::from_utf8_lossy(input);
        let name = SessionName::parse(&text).is_ok();
        for kind in [DefaultKind::User, DefaultKind::Group] {
            let once = normalize_ref(&text, kind);
            let twice = normalize_ref(&once, kind);
            assert_eq!(once, twice, "normalize_ref is not idempotent on {text:?}");
            let colon = once.find(':').expect("a normalised ref has a kind");
            assert!(
                once[colon..].contains('/'),
                "{once:?} (from {text:?}) has no namespace"
            );
        }
        let redacted = redact_url(&text);
        u64::from(name) | u64::from(redacted == *text) << 1
    }
}

/// Marks a resize in a terminal input: the two bytes after it are columns and rows.
const RESIZE: &[u8] = b"\xf8\xf9";

/// The terminal model: the input's first four bytes are the columns, rows, history and the size
/// of the chunks the rest is fed in; [`RESIZE`] resizes. Then a snapshot, and a second model
/// fed that snapshot; nothing may panic.
pub(super) struct Terminal;

impl Target for Terminal {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut flood = b"\x50\x18\x20\x00".to_vec();
        for line in 0..120 {
            flood.extend_from_slice(format!("line {line} of a flood of plain text ........................................\r\n").as_bytes());
        }
        let mut seeds = tokens(&[
            "\x50\x18\x10\x00\x1b[1;31mred\x1b[0m \x1b[38;5;208m256\x1b[48;2;1;2;3mrgb\x1b[m\r\n$ ",
            "\x50\x18\x10\x07\x1b[?1049h\x1b[2J\x1b[5;10Hvim\x1b[7mstatus\x1b[27m\x1b[?1049l",
            "\x14\x06\x05\x00\x1b[2;4r\x1b[4;1H\n\n\n\x1bM\x1bD\x1b[r\x1b[3L\x1b[2M\x1b[4@\x1b[2P",
            "\x14\x06\x05\x03\x1b(0lqqk\r\nx  x\r\nmqqj\x1b(B\x1b)0\x0e\x0f",
            "\x14\x06\x05\x00\x1b]0;title\x07\x1b]2;other\x1b\\\x1bP1$r\x1b\\\x1b[5 q",
            "\x14\x06\x05\x01\x1b7\x1b[3;3Hx\x1b8\x1b[s\x1b[u\x1b[?6h\x1b[?7l\x1b[4h\x1b[?2004h",
            "\x0a\x04\x02\x00漢字テスト👍🏽e\u{301}\t\tX\x1b[3g\x1bH\x1b[5b\x1b[10C\x1b[2Z",
            "\x14\x06\x05\x02\x1b[?1000h\x1b[?1006h\x1b[?1004h\x1b[?25l\x1b[?1h\x1b=\x1b[?47h",
        ]);
        seeds.push(
            b"\x14\x06\x05\x00abc\xf8\xf9\x0a\x03def\x1b[1;1H\xf8\xf9\x30\x10ghi\x1b[6n\x1b[c"
                .to_vec(),
        );
        seeds.push(flood);
        seeds
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        let mut dictionary = tokens(&[
            "\x1b[", "\x1b]", "\x1bP", "\x1b\\", "\x1b(0", "\x1b(B", "\x1b7", "\x1b8", "\x1bc",
            "\x1bM", "\x1bD", "\x1bE", "\x1bH", "\x1b#8", "\x07", "\r\n", "\x08", "\t", "\x0e",
            "\x0f", "?1049h", "?1049l", "?47h", "?1047h", "?6h", "?7l", "?25l", "?2004h", "?1000h",
            "?1006h", "4h", "r", "H", "J", "K", "L", "M", "P", "@", "X", "S", "T", "b", "m", "q",
            " q", "!p", "g", "Z", "I", ";", "38;5;", "48;2;", "4:3", "0;", "65535", "99999", "漢",
            "👍🏽", "\u{301}", "\u{200d}", "\u{fe0f}",
        ]);
        dictionary.push(RESIZE.to_vec());
        dictionary
    }

    fn max_len(&self) -> usize {
        16 * 1024
    }

    fn run(&mut self, input: &[u8]) -> u64 {
        let [cols, rows, history, chunk, body @ ..] = input else {
            return 0;
        };
        let size = |cols: u8, rows: u8| (u16::from(cols) * 2 + 1, u16::from(rows) / 2 + 1);
        let (cols, rows) = size(*cols, *rows);
        let mut model = TerminalModel::new(cols, rows, usize::from(*history));
        let chunk = if *chunk == 0 {
            usize::MAX
        } else {
            usize::from(*chunk) * 7
        };
        let mut rest = body;
        while !rest.is_empty() {
            let (segment, resize) = match rest.windows(2).position(|pair| pair == RESIZE) {
                Some(at) => (&rest[..at], rest.get(at + 2..at + 4)),
                None => (rest, None),
            };
            for piece in segment.chunks(chunk) {
                model.feed(piece);
            }
            rest = &rest[(segment.len() + 4).min(rest.len())..];
            if let Some(&[cols, rows]) = resize {
                let (cols, rows) = size(cols, rows);
                model.resize(cols, rows);
            }
        }
        let recent = &body[body.len().saturating_sub(4096)..];
        let snapshot = model.snapshot(recent);
        let mut copy = TerminalModel::new(cols, rows, usize::from(*history));
        copy.feed(&snapshot);
        copy.snapshot(&snapshot);
        // Which kinds of control sequences the snapshot holds.
        let mut kinds = 0u64;
        for pair in snapshot.windows(2) {
            if pair[0] == 0x1b {
                kinds |= 1 << (pair[1] % 64);
            }
        }
        kinds
    }
}
