//! Exact sessions, checked against xterm.js itself: a viewer attached from the start and a viewer
//! that attaches later (a snapshot, then live output) must leave two xterm.js terminals
//! (`@xterm/headless`, through `tests/xterm/state.mjs`) in the same state: screen text, colours
//! and attributes, wrap flags, history, cursor, active buffer, modes and title. A snapshot must
//! make xterm.js answer nothing.
//!
//! Needs Node.js and `npm ci` in `tests/xterm` (`checks/rust.sh` does it).
mod common;

use std::path::Path;
use std::process::Stdio;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// The history the model keeps in these tests (smaller than the output, so bounds are tested).
const SCROLLBACK_LINES: usize = 400;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A viewer that records everything it receives, as the UI would write it.
struct Recorder {
    socket: Socket,
    /// `(is a snapshot, bytes)`, in order.
    segments: Vec<(bool, Vec<u8>)>,
    snapshot_next: bool,
    session: String,
    /// Resyncs announced in band.
    resyncs: usize,
    /// The newest output since the last snapshot, where markers are looked for.
    tail: Vec<u8>,
    /// `opened`'s `screen`: which bytes of the first snapshot draw the screen alone.
    screen: Option<[usize; 2]>,
}

impl Recorder {
    async fn connect(server: &TestServer, first: Value) -> Self {
        // A small receive buffer, so that a viewer that stops reading stalls soon.
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(16 * 1024).unwrap();
        let stream = tcp.connect(server.addr).await.unwrap();
        let (mut socket, _) =
            tokio_tungstenite::client_async(server.ws_url(), MaybeTlsStream::Plain(stream))
                .await
                .unwrap();
        socket
            .send(Message::Text(first.to_string().into()))
            .await
            .unwrap();
        let mut recorder = Self {
            socket,
            segments: Vec::new(),
            snapshot_next: false,
            session: String::new(),
            resyncs: 0,
            tail: Vec::new(),
            screen: None,
        };
        while recorder.session.is_empty() {
            recorder.receive().await;
        }
        recorder
    }

    async fn open(server: &TestServer) -> Self {
        Self::connect(
            server,
            json!({"type": "open", "cols": COLS, "rows": ROWS, "resync": true}),
        )
        .await
    }

    async fn attach(server: &TestServer, session: &str) -> Self {
        Self::connect(
            server,
            json!({"type": "attach", "session": session, "cols": COLS, "rows": ROWS, "resync": true}),
        )
        .await
    }

    /// Handles one message.
    async fn receive(&mut self) {
        let message = tokio::time::timeout(WAIT, self.socket.next())
            .await
            .expect("a message in time")
            .expect("the connection is open")
            .unwrap();
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                match value["type"].as_str() {
                    Some("opened") => {
                        assert_eq!(value["snapshot"], true, "{text}");
                        self.session = value["session"].as_str().unwrap().to_owned();
                        self.snapshot_next = true;
                        self.screen = serde_json::from_value(value["screen"].clone()).ok();
                    }
                    Some("snapshot") => {
                        self.resyncs += 1;
                        self.snapshot_next = true;
                    }
                    _ => panic!("unexpected {text}"),
                }
            }
            Message::Binary(bytes) => {
                let snapshot = std::mem::take(&mut self.snapshot_next);
                if snapshot {
                    self.tail.clear();
                }
                self.tail.extend_from_slice(&bytes);
                let excess = self.tail.len().saturating_sub(64 * 1024);
                self.tail.drain(..excess);
                self.segments.push((snapshot, bytes.to_vec()));
            }
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }

    async fn read_until(&mut self, marker: &str) {
        while !String::from_utf8_lossy(&self.tail).contains(marker) {
            self.receive().await;
        }
    }

    async fn type_line(&mut self, line: &str) {
        self.socket
            .send(Message::Binary(Bytes::from(format!("{line}\n"))))
            .await
            .unwrap();
    }

    /// xterm.js's state after writing what this viewer received.
    async fn xterm_state(&self) -> Value {
        let segments: Vec<Value> = self
            .segments
            .iter()
            .map(|(snapshot, bytes)| json!({"snapshot": snapshot, "data": STANDARD.encode(bytes)}))
            .collect();
        xterm_state(json!({"cols": COLS, "rows": ROWS, "segments": segments})).await
    }
}

/// Runs the reference terminal on `input`.
async fn xterm_state(input: Value) -> Value {
    tokio::task::spawn_blocking(move || run_xterm(&input))
        .await
        .unwrap()
}

fn run_xterm(input: &Value) -> Value {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xterm");
    assert!(
        dir.join("node_modules/@xterm/headless").exists(),
        "the reference terminal is not installed: run `npm ci` in {}",
        dir.display()
    );
    let mut child = std::process::Command::new("node")
        .arg("state.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread while this one reads the output, so neither pipe fills up.
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "state.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Asserts that the late viewer's terminal equals the early one's, history compared from the
/// bottom as far as the model keeps it.
fn assert_same_terminal(early: &Value, late: &Value) {
    assert_eq!(
        late["snapshotReplies"],
        json!([]),
        "xterm.js answered something in a snapshot"
    );
    for field in ["active", "cursor", "modes", "mouse", "title", "alternate"] {
        assert_eq!(early[field], late[field], "{field} differs");
    }
    let early_lines = early["normal"].as_array().unwrap();
    let late_lines = late["normal"].as_array().unwrap();
    let kept = early_lines.len().min(SCROLLBACK_LINES + usize::from(ROWS));
    assert!(
        late_lines.len() >= kept,
        "the late viewer has {} lines of history and screen, the early one {} (model bound {kept})",
        late_lines.len(),
        early_lines.len()
    );
    let compared = late_lines.len().min(early_lines.len());
    for back in 1..=compared {
        let mut early_line = early_lines[early_lines.len() - back].clone();
        let late_line = &late_lines[late_lines.len() - back];
        if back == late_lines.len() && back < early_lines.len() {
            // The oldest line the model kept may continue a line it dropped; with nothing above
            // it, no terminal can mark it as wrapped.
            early_line["wrapped"] = late_line["wrapped"].clone();
        }
        assert_eq!(
            &early_line, late_line,
            "line {back} from the bottom differs"
        );
    }
}

/// xterm.js's state after it wrote `bytes` as a snapshot (after a reset).
async fn snapshot_state(bytes: &[u8]) -> Value {
    let segment = json!({"snapshot": true, "data": STANDARD.encode(bytes)});
    xterm_state(json!({"cols": COLS, "rows": ROWS, "segments": [segment]})).await
}

/// The bytes `opened` says draw the screen alone (`screen`), written by xterm.js after a reset,
/// show the snapshot's screen: the same lines on the screen, cursor, modes and title, and no
/// history. They are marked wherever there is history, unless the screen's first line continues
/// it.
async fn check_screen_alone(late: &mut Recorder) {
    while late.segments.is_empty() {
        late.receive().await;
    }
    let (true, snapshot) = &late.segments[0] else {
        panic!("the first frame after `opened` is a snapshot");
    };
    let whole = snapshot_state(snapshot).await;
    let lines = whole["normal"].as_array().unwrap();
    let screen = &lines[lines.len() - usize::from(ROWS)..];
    let Some([from, to]) = late.screen else {
        assert!(
            lines.len() == usize::from(ROWS) || screen[0]["wrapped"] == true,
            "a snapshot with history marks the screen alone"
        );
        return;
    };
    let alone = snapshot_state(&snapshot[from..to]).await;
    assert_eq!(
        alone["snapshotReplies"],
        json!([]),
        "xterm.js answered something"
    );
    for field in ["active", "cursor", "modes", "mouse", "title", "alternate"] {
        assert_eq!(
            whole[field], alone[field],
            "{field} differs in the screen alone"
        );
    }
    assert_eq!(
        alone["normal"].as_array().unwrap(),
        screen,
        "the screen alone shows the snapshot's screen, and nothing above"
    );
}

/// Writes `bytes` into the shell's folder as `name`, for `cat`.
fn fixture(server: &TestServer, name: &str, bytes: &[u8]) {
    let folder = server.workspaces.path().join("shared");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(name), bytes).unwrap();
}

/// Prints `before`, attaches a second viewer, prints `after`, and compares the two viewers.
async fn check_reattach(before: &[u8], after: &[u8]) {
    let server = TestServer::start_with(|config| {
        config.scrollback_lines = SCROLLBACK_LINES;
    })
    .await;
    fixture(&server, "before.bin", before);
    fixture(&server, "after.bin", after);
    let mut early = Recorder::open(&server).await;
    early
        .type_line("cat before.bin; echo; echo MARK-$((1+1))")
        .await;
    early.read_until("MARK-2").await;
    let mut late = Recorder::attach(&server, &early.session).await;
    check_screen_alone(&mut late).await;
    // Compare while everything `before` set is still in force: the shell sleeps after the
    // marker, so both viewers hold the same output when it arrives.
    early
        .type_line("printf 'SYNC-%s\\n' $((2+2)); sleep 1")
        .await;
    early.read_until("SYNC-4").await;
    late.read_until("SYNC-4").await;
    assert_same_terminal(&early.xterm_state().await, &late.xterm_state().await);
    early
        .type_line("cat after.bin; echo; echo DONE-$((3+4))")
        .await;
    early.read_until("DONE-7").await;
    late.read_until("DONE-7").await;
    // Let the prompt after the marker arrive on both.
    early.type_line("echo END-$((4+4))").await;
    early.read_until("END-8").await;
    late.read_until("END-8").await;
    let early_state = early.xterm_state().await;
    let late_state = late.xterm_state().await;
    assert_same_terminal(&early_state, &late_state);
}

fn coloured_lines(count: usize, width: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in 0..count {
        let text: String = (0..width)
            .map(|i| char::from(b'a' + ((line + i) % 26) as u8))
            .collect();
        bytes.extend_from_slice(
            format!(
                "\x1b[3{};4{}m{line:06} \x1b[1;38;5;{}m{text}\x1b[0m \x1b[38;2;{};90;200mrgb\x1b[0m\r\n",
                line % 8,
                (line + 3) % 8,
                line % 256,
                line % 256
            )
            .as_bytes(),
        );
    }
    bytes
}

#[tokio::test]
async fn the_alternate_screen_survives_more_output_than_any_buffer_holds() {
    // Far more than the 256 KiB output ring and the model's history, then a full-screen app.
    let mut before = coloured_lines(6000, 50);
    before.extend_from_slice(
        b"\x1b[?1049h\x1b[H\x1b[2J\x1b[44m top bar \x1b[0m\x1b[5;10Hmiddle\x1b[?1002h\x1b[?1006h\
          \x1b[?2004h\x1b[?1h\x1b=\x1b]2;an app\x07\x1b[?25l\x1b[24;1Hstatus line\x1b[3;3H",
    );
    let after = b"\x1b[10;10Hmore\x1b[?1049l\x1b[?1002l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>\x1b[?25hback at the prompt";
    check_reattach(&before, after).await;
}

#[tokio::test]
async fn a_screen_below_coloured_history_is_drawn_alone_and_whole_as_the_ui_would() {
    // History and screen in colour, a line wrapping across the screen's rows, the pen left set.
    let mut before = coloured_lines(700, 60);
    before.extend_from_slice(&[b'w'; 130]);
    before.extend_from_slice(b"\r\n\x1b[1;35;48;5;22mstill set ");
    let after = b"\x1b[0mafter the reattach\r\n";
    check_reattach(&before, after).await;
}

#[tokio::test]
async fn every_change_of_pen_matches_the_ui() {
    // The snapshot sets the pen with only what changes where it can: attributes added and taken
    // away, underline styles, colours back to the default, the default pen itself.
    let before = b"\x1b[31ma\x1b[1mb\x1b[2;44mc\x1b[22md\x1b[4me\x1b[4:3mf\x1b[24mg\
        \x1b[7;38;5;9mh\x1b[39mi\x1b[49mj\x1b[27;48;2;1;2;3mk\x1b[0ml\x1b[53;9;3mm\x1b[23mn\
        \x1b[0;5;8mo\x1b[4:2;91mp\x1b[4:5q\x1b[0m\x1b[4mr\x1b[4:1ms\x1b[mt\x1b[100mu\x1b[0;97mv\r\n";
    check_reattach(before, b"\x1b[1mafter").await;
}

#[tokio::test]
async fn terminal_queries_in_the_output_are_never_answered_again() {
    let before = b"text \x1b[c\x1b[>c\x1b[6n\x1b[5n\x1b[?2004$p\x1b]11;?\x07\x1b]10;?\x1b\\\x1b[>0q\x1b[18t\x1b[14t more text";
    check_reattach(before, b"\x1b[6n after").await;
}

#[tokio::test]
async fn wide_characters_and_wrapping_match_the_ui() {
    let mut before = Vec::new();
    before.extend_from_slice("界界界 🚀🚀 emoji ✓ done\r\n".as_bytes());
    // A wide character that does not fit at the end of a line wraps early.
    before.extend_from_slice(format!("{}界 wrapped\r\n", "x".repeat(79)).as_bytes());
    before.extend_from_slice("echo X🚀🚀🚀 tail\r\n".repeat(3).as_bytes());
    before.extend_from_slice("汉字".repeat(50).as_bytes());
    check_reattach(&before, "\r\n🚀 after".as_bytes()).await;
}

#[tokio::test]
async fn scroll_regions_and_line_edits_match_the_ui() {
    let mut before = b"\x1b[H\x1b[2J".to_vec();
    for row in 1..=24 {
        before.extend_from_slice(format!("\x1b[{row};1Hrow {row}").as_bytes());
    }
    before.extend_from_slice(b"\x1b[5;15r\x1b[15;1H");
    for line in 0..30 {
        before.extend_from_slice(format!("\nscrolled {line}").as_bytes());
    }
    before.extend_from_slice(
        b"\x1b[5;1H\x1bM\x1bMreverse\x1b[8;1H\x1b[2L\x1b[10;1H\x1b[3M\x1b[12;5H\x1b[4P\x1b[2@",
    );
    let after = b"\x1b[15;1H\nafter one\nafter two\x1b[r\x1b[24;1H";
    check_reattach(&before, after).await;
}

#[tokio::test]
async fn a_viewer_that_stops_reading_during_a_flood_is_resynchronised() {
    let server = TestServer::start_with(|config| {
        config.scrollback_lines = SCROLLBACK_LINES;
        config.scrollback_bytes = 64 * 1024;
    })
    .await;
    let mut reader = Recorder::open(&server).await;
    let mut stalled = Recorder::attach(&server, &reader.session).await;
    // The stalled viewer reads nothing while the shell floods; the reader keeps up.
    reader
        // 6 MB: far more than the output ring and the stalled viewer's socket buffers hold.
        .type_line("yes 'flood line with some padding to make it longer' | head -c 6000000; echo FLOOD-$((2+3))")
        .await;
    reader.read_until("FLOOD-5").await;
    // Now it reads again: it gets a snapshot in band (no 4409), then live output.
    reader.type_line("echo CALM-$((5+6))").await;
    reader.read_until("CALM-11").await;
    stalled.read_until("CALM-11").await;
    assert!(
        stalled.resyncs > 0,
        "the stalled viewer was never resynchronised"
    );
    let reader_state = reader.xterm_state().await;
    let stalled_state = stalled.xterm_state().await;
    assert_same_terminal(&reader_state, &stalled_state);
}
