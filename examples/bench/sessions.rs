//! The measures of exact sessions: Ctrl-C under a flood, a new session's first prompt, attaching
//! to a full screen with history, and memory that comes back after sessions end.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::{ServerProcess, Socket};

/// What the shell prints as its prompt in these measures.
const PROMPT: &str = "ok> ";

/// Connects and sends `first`; returns the socket once `opened` and the snapshot after it have
/// arrived.
async fn connect(server: &ServerProcess, first: Value) -> Socket {
    let url = format!("ws://{}/api/v1/ws", server.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket
        .send(Message::Text(first.to_string().into()))
        .await
        .unwrap();
    let mut opened = false;
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(_) => opened = true,
            Message::Binary(_) if opened => return socket,
            _ => {}
        }
    }
}

/// Waits for the shell's first output: its prompt (`$ `, or `# ` for root).
async fn first_output(socket: &mut Socket) {
    loop {
        if let Message::Binary(bytes) = socket.next().await.unwrap().unwrap()
            && !bytes.is_empty()
        {
            return;
        }
    }
}

/// Reads until the output received since the call ends with `suffix`; returns how many bytes
/// that took.
async fn read_until_end(socket: &mut Socket, suffix: &str) -> usize {
    let mut seen = Vec::new();
    let mut total = 0;
    while !String::from_utf8_lossy(&seen).ends_with(suffix) {
        if let Message::Binary(bytes) = socket.next().await.unwrap().unwrap() {
            total += bytes.len();
            seen.extend_from_slice(&bytes);
            let excess = seen.len().saturating_sub(4096);
            seen.drain(..excess);
        }
    }
    total
}

async fn send(socket: &mut Socket, bytes: &'static [u8]) {
    socket
        .send(Message::Binary(Bytes::from_static(bytes)))
        .await
        .unwrap();
}

/// A /bin/sh session of `cols`×`rows` with the prompt [`PROMPT`].
async fn shell(server: &ServerProcess, cols: u16, rows: u16) -> (Socket, String) {
    let url = format!("ws://{}/api/v1/ws", server.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = json!({"type": "open", "cols": cols, "rows": rows});
    socket
        .send(Message::Text(open.to_string().into()))
        .await
        .unwrap();
    let session = loop {
        if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
            let value: Value = serde_json::from_str(&text).unwrap();
            break value["session"].as_str().unwrap().to_owned();
        }
    };
    send(&mut socket, b"PS1='ok> '\n").await;
    read_until_end(&mut socket, PROMPT).await;
    (socket, session)
}

pub(crate) struct Millis {
    pub(crate) median: f64,
    pub(crate) max: f64,
}

impl Millis {
    fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        Self {
            median: samples[samples.len() / 2],
            max: samples[samples.len() - 1],
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({"median": crate::round(self.median), "max": crate::round(self.max)})
    }
}

/// Ctrl-C during a flood: the time to the prompt, and the output received in that time (what
/// was on its way when the flood stopped).
pub(crate) struct Interrupt {
    pub(crate) time: Millis,
    /// Median bytes received after Ctrl-C, up to the prompt.
    pub(crate) drained_median: usize,
    /// Each round's time (ms) and bytes received, in the order taken.
    pub(crate) samples: Vec<(f64, usize)>,
}

impl Interrupt {
    pub(crate) fn to_json(&self) -> Value {
        let mut json = self.time.to_json();
        json["drained_bytes_median"] = json!(self.drained_median);
        json
    }
}

/// Ctrl-C while `yes` floods the session: from sending it to the prompt, with a native client
/// that reads everything.
pub(crate) async fn interrupt_flood(server: &ServerProcess, rounds: usize) -> Interrupt {
    let (mut socket, _) = shell(server, 100, 50).await;
    let mut samples = Vec::new();
    let mut drained = Vec::new();
    for _ in 0..rounds {
        send(&mut socket, b"yes\n").await;
        // Let the flood fill every buffer on the way.
        let flooding = Instant::now() + Duration::from_millis(300);
        while Instant::now() < flooding {
            socket.next().await.unwrap().unwrap();
        }
        let started = Instant::now();
        send(&mut socket, b"\x03").await;
        drained.push(read_until_end(&mut socket, PROMPT).await);
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let rounds = samples
        .iter()
        .copied()
        .zip(drained.iter().copied())
        .collect();
    drained.sort_unstable();
    Interrupt {
        time: Millis::of(samples),
        drained_median: drained[drained.len() / 2],
        samples: rounds,
    }
}

/// From connecting to a new session's first prompt.
pub(crate) async fn first_prompt(server: &ServerProcess, rounds: usize) -> Millis {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let mut socket = connect(server, json!({"type": "open", "cols": 80, "rows": 24})).await;
        first_output(&mut socket).await;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        send(&mut socket, b"exit\n").await;
        while let Some(Ok(message)) = socket.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }
    Millis::of(samples)
}

/// Attaching to a 200×50 session whose screen is full and whose history holds 5000 coloured
/// lines: from sending `attach` to holding the whole snapshot.
pub(crate) struct Attach {
    pub(crate) received: Millis,
    /// The server's own mean time to build one such snapshot (its metrics).
    pub(crate) built_ms: f64,
    pub(crate) bytes: usize,
}

pub(crate) async fn attach_full_screen(server: &ServerProcess, rounds: usize) -> Attach {
    let (mut socket, session) = shell(server, 200, 50).await;
    send(
        &mut socket,
        b"i=0; while [ $i -lt 5100 ]; do printf '\\033[3%dm%06d \\033[1;48;5;%dm%s\\033[0m\\n' $((i%8)) $i $((i%256)) 'history line with colours and enough text to fill a good part of the screen width'; i=$((i+1)); done\n",
    )
    .await;
    read_until_end(&mut socket, PROMPT).await;
    let built_before = snapshot_metric(server).await;
    let mut samples = Vec::new();
    let mut size = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let url = format!("ws://{}/api/v1/ws", server.addr);
        let (mut viewer, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let attach = json!({"type": "attach", "session": session, "cols": 200, "rows": 50});
        viewer
            .send(Message::Text(attach.to_string().into()))
            .await
            .unwrap();
        loop {
            if let Message::Binary(bytes) = viewer.next().await.unwrap().unwrap() {
                size = bytes.len();
                break;
            }
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(viewer);
    }
    let built_after = snapshot_metric(server).await;
    Attach {
        received: Millis::of(samples),
        built_ms: (built_after.0 - built_before.0) / (built_after.1 - built_before.1) * 1000.0,
        bytes: size,
    }
}

/// `(sum, count)` of `web_terminal_snapshot_duration_seconds`.
async fn snapshot_metric(server: &ServerProcess) -> (f64, f64) {
    let text = crate::http_get(server.addr, "/api/v1/metrics").await;
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in the metrics"))
    };
    (
        value("web_terminal_snapshot_duration_seconds_sum "),
        value("web_terminal_snapshot_duration_seconds_count "),
    )
}

/// RSS before, with `count` idle 80×24 sessions open, and after they all ended.
pub(crate) struct Churn {
    pub(crate) before: u64,
    pub(crate) open: u64,
    pub(crate) after: u64,
}

pub(crate) async fn open_and_close(server: &ServerProcess, count: usize) -> Churn {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss();
    let mut sockets = Vec::new();
    for _ in 0..count {
        let mut socket = connect(server, json!({"type": "open", "cols": 80, "rows": 24})).await;
        first_output(&mut socket).await;
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open = server.rss();
    for socket in &mut sockets {
        send(socket, b"exit\n").await;
    }
    for mut socket in sockets {
        while let Some(Ok(message)) = socket.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }
    // Sessions are removed once their shells are reaped (every second at the latest).
    tokio::time::sleep(Duration::from_secs(3)).await;
    Churn {
        before,
        open,
        after: server.rss(),
    }
}
