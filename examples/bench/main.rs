//! The performance benchmark: starts the real server binary and a native loopback client,
//! measures throughput, keystroke echo latency, memory and start-up time, prints JSON and writes
//! `docs/performance.md`.
//!
//! Run with `make bench` (which builds with the `bench-fast` profile). Usage:
//! `bench <path to web-terminal binary> [--quick] [--only native|interrupt]`. `--only native`
//! leaves out the Chromium measures, `--only interrupt` runs the Ctrl-C measure alone (for A/B
//! runs of two builds); either prints JSON only and writes no `docs/performance.md`. Every
//! target is a ratio or a bound measured in the same run on the same machine; nothing here is a
//! unit test.

use std::io::{BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod report;
mod sessions;

use report::render_markdown;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Bytes in the throughput workload (before the PTY turns `\n` into `\r\n`).
pub(crate) const WORKLOAD_BYTES: usize = 100 * 1000 * 1000;
const IDLE_SESSIONS: usize = 200;
const FLOOD_SESSIONS: usize = 10;
/// Alternating raw and server throughput runs.
const ROUNDS: usize = 5;

const USAGE: &str = "usage: bench <web-terminal binary> [--quick] [--only native|interrupt]";

/// Which measures a run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    /// Every measure; the run writes `docs/performance.md`.
    All,
    /// Every measure but those in Chromium.
    Native,
    /// Ctrl-C during a flood, alone.
    Interrupt,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(args.next().expect(USAGE));
    let (mut quick, mut only) = (false, Only::All);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => {
                only = match args.next().as_deref() {
                    Some("native") => Only::Native,
                    Some("interrupt") => Only::Interrupt,
                    _ => panic!("{USAGE}"),
                }
            }
            _ => panic!("{USAGE}"),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    if only == Only::Interrupt {
        let report = runtime.block_on(interrupt_only(&binary, quick));
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
        return;
    }
    let report = runtime.block_on(run(&binary, quick, only));
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    if !quick && only == Only::All {
        let markdown = render_markdown(&report);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/performance.md");
        std::fs::write(&path, markdown).unwrap();
        eprintln!("wrote {}", path.display());
    }
    if report["all_targets_met"] != json!(true) {
        std::process::exit(1);
    }
}

/// Ctrl-C during a flood on a fresh server, alone.
async fn interrupt_only(binary: &Path, quick: bool) -> Value {
    let workdir = tempfile::tempdir().unwrap();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server = ServerProcess::start(binary, workdir.path(), (threads / 2).max(1)).await;
    let interrupt = sessions::interrupt_flood(&server, if quick { 3 } else { 10 }).await;
    let mut report = json!({"interrupt_flood_ms": interrupt.to_json()});
    report["interrupt_flood_ms"]["samples"] = json!(interrupt.samples);
    report
}

async fn run(binary: &Path, quick: bool, only: Only) -> Value {
    let workdir = tempfile::tempdir().unwrap();
    let workload = workdir.path().join("workload.txt");
    let workload_bytes = if quick {
        WORKLOAD_BYTES / 10
    } else {
        WORKLOAD_BYTES
    };
    write_workload(&workload, workload_bytes);

    let startup = measure_startup(binary, workdir.path()).await;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let default_threads = (threads / 2).max(1);
    let server = ServerProcess::start(binary, workdir.path(), default_threads).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = server.rss();
    // Raw and server runs alternate, and the best of each counts, so a burst of load from
    // elsewhere on a shared machine does not decide the ratio.
    let mut raw: Option<Rate> = None;
    let mut throughput: Option<Throughput> = None;
    for _ in 0..ROUNDS {
        let workload_path = workload.clone();
        let round = tokio::task::spawn_blocking(move || raw_pty_drain(&workload_path))
            .await
            .unwrap();
        if raw
            .as_ref()
            .is_none_or(|best| round.mb_per_s > best.mb_per_s)
        {
            raw = Some(round);
        }
        let round = websocket_throughput(&server, &workload).await;
        if throughput
            .as_ref()
            .is_none_or(|best| round.mb_per_s > best.mb_per_s)
        {
            throughput = Some(round);
        }
    }
    let (raw, throughput) = (raw.unwrap(), throughput.unwrap());
    // For comparison: the same server with one runtime thread per CPU.
    let all_threads = {
        let server = ServerProcess::start(binary, workdir.path(), threads).await;
        let mut best: Option<Throughput> = None;
        for _ in 0..ROUNDS {
            let round = websocket_throughput(&server, &workload).await;
            if best.as_ref().is_none_or(|b| round.mb_per_s > b.mb_per_s) {
                best = Some(round);
            }
        }
        best.unwrap()
    };
    let echo_one = echo_latency(&server, if quick { 300 } else { 2000 }).await;
    let mut idle = Vec::new();
    for _ in 0..IDLE_SESSIONS {
        idle.push(open(&server, "cat").await.0);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_with_idle = server.rss();
    let echo_loaded = echo_latency(&server, if quick { 300 } else { 2000 }).await;
    drop(idle);
    let flood = flood_with_slow_readers(&server, if quick { 3 } else { 8 }).await;
    drop(server);
    // A fresh server: the sessions above live on for their grace period.
    let server = ServerProcess::start(binary, workdir.path(), default_threads).await;
    let rounds = if quick { 3 } else { 10 };
    eprintln!("bench: Ctrl-C during a flood");
    let interrupt = sessions::interrupt_flood(&server, rounds).await;
    eprintln!("bench: first prompt");
    let first_prompt = sessions::first_prompt(&server, rounds).await;
    eprintln!("bench: attach to a full screen");
    let attach = sessions::attach_full_screen(&server, rounds).await;
    eprintln!("bench: 200 sessions opened and ended");
    let churn = sessions::open_and_close(&server, IDLE_SESSIONS).await;
    drop(server);
    let browser = if only == Only::Native {
        json!({"error": "not run (--only native)"})
    } else {
        eprintln!("bench: in Chromium (frontend/bench/browser.mjs)");
        browser_measures(binary, if quick { 3 } else { 10 })
    };

    let ratio = throughput.mb_per_s / raw.mb_per_s;
    let per_session = (churn.open as f64 - churn.before as f64) / IDLE_SESSIONS as f64;
    let churn_growth = churn.after as f64 - churn.before as f64;
    let targets = json!({
        "throughput_ratio_at_least_0.9": ratio >= 0.9,
        "echo_p99_1_session_at_most_0.3ms": echo_one.p99_ms <= 0.3,
        "echo_p99_200_idle_at_most_0.3ms": echo_loaded.p99_ms <= 0.3,
        "rss_idle_at_most_10MiB": rss_idle <= 10 * 1024 * 1024,
        "rss_per_idle_session_at_most_100KiB": per_session <= 100.0 * 1024.0,
        "rss_after_200_sessions_within_2MiB": churn_growth <= 2.0 * 1024.0 * 1024.0,
        "rss_flood_under_64MiB": flood.max_rss < 64 * 1024 * 1024,
        "ready_under_100ms": startup.median_ms < 100.0,
        "interrupt_flood_at_most_5ms": interrupt.time.median <= 5.0,
        "first_prompt_at_most_10ms": first_prompt.median <= 10.0,
        "snapshot_built_at_most_5ms": attach.built_ms <= 5.0,
        "chromium_ctrl_c_at_most_300ms": browser["ctrl_c_ms"]["median"].as_f64().is_some_and(|ms| ms <= 300.0),
        "chromium_reattach_at_most_150ms": browser["reattach_ms"]["median"].as_f64().is_some_and(|ms| ms <= 150.0),
        "chromium_page_load_at_most_250ms": browser["page_load_ms"]["median"].as_f64().is_some_and(|ms| ms <= 250.0),
        "chromium_typing_median_at_most_50ms_p95_at_most_100ms": browser["typing_ms"]["median"].as_f64().is_some_and(|ms| ms <= 50.0)
            && browser["typing_ms"]["p95"].as_f64().is_some_and(|ms| ms <= 100.0),
        "ui_bundle_at_most_250KiB_gzipped": browser["bundle"]["gzip_bytes"].as_u64().is_some_and(|bytes| bytes <= 250 * 1024),
    });
    let all_met = targets
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| {
            // The browser's measures (the bundle's size among them) when Chromium ran.
            only == Only::All || !(name.starts_with("chromium_") || name.starts_with("ui_bundle"))
        })
        .all(|(_, met)| met == &json!(true));
    json!({
        "machine": machine(),
        "quick": quick,
        "workload": format!("cat of {workload_bytes} bytes of 100-column lines"),
        "raw_pty_drain": {"mb_per_s": round(raw.mb_per_s), "bytes": raw.bytes},
        "websocket_throughput": {
            "mb_per_s": round(throughput.mb_per_s),
            "bytes": throughput.bytes,
            "ratio_to_raw": round(ratio),
            "client_cpu_s": round(throughput.client_cpu_s),
            "server_cpu_s": round(throughput.server_cpu_s),
        },
        "server_worker_threads": default_threads,
        "websocket_throughput_one_thread_per_cpu": {
            "worker_threads": threads,
            "mb_per_s": round(all_threads.mb_per_s),
            "ratio_to_raw": round(all_threads.mb_per_s / raw.mb_per_s),
            "server_cpu_s": round(all_threads.server_cpu_s),
        },
        "echo_1_session": echo_one.to_json(),
        "echo_200_idle_sessions": echo_loaded.to_json(),
        "rss_idle_bytes": rss_idle,
        "rss_200_idle_100x50_sessions_bytes": rss_with_idle,
        "rss_per_idle_session_bytes": per_session.round(),
        "rss_200_sessions": {"before": churn.before, "open": churn.open, "after_closed": churn.after},
        "interrupt_flood_ms": interrupt.to_json(),
        "first_prompt_ms": first_prompt.to_json(),
        "attach_full_screen_ms": attach.received.to_json(),
        "snapshot_built_ms_200x50_5000_lines": round(attach.built_ms),
        "snapshot_bytes_200x50_5000_lines": attach.bytes,
        "rss_flood_max_bytes": flood.max_rss,
        "flood_bytes_delivered": flood.delivered,
        "ready_after_start_ms": {"median": round(startup.median_ms), "max": round(startup.max_ms)},
        "chromium": browser,
        "targets": targets,
        "all_targets_met": all_met,
    })
}

/// The measures taken in headless Chromium through the real UI, by `frontend/bench/browser.mjs`
/// (its own server, on the same binary): its JSON, or `{"error": ...}` when it could not run, in
/// which case their targets count as missed.
fn browser_measures(binary: &Path, rounds: usize) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("frontend/bench/browser.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg("--server")
        .arg(binary)
        .args(["--rounds", &rounds.to_string()])
        .stderr(Stdio::inherit())
        .output();
    match output {
        Ok(output) if output.status.success() => serde_json::from_slice(&output.stdout)
            .unwrap_or_else(
                |error| json!({"error": format!("{script:?} printed no JSON: {error}")}),
            ),
        Ok(output) => json!({"error": format!("{script:?} failed: {}", output.status)}),
        Err(error) => json!({"error": format!("cannot run node: {error}")}),
    }
}

pub(crate) fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn write_workload(path: &Path, bytes: usize) {
    let mut file = BufWriter::new(std::fs::File::create(path).unwrap());
    let line: Vec<u8> = (0..99u8).map(|i| b'!' + (i % 90)).chain([b'\n']).collect();
    for _ in 0..bytes / line.len() {
        file.write_all(&line).unwrap();
    }
    file.flush().unwrap();
}

struct Rate {
    mb_per_s: f64,
    bytes: usize,
}

/// `cat` of the workload on a bare PTY, read with blocking reads as fast as possible.
fn raw_pty_drain(workload: &Path) -> Rate {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new("cat");
    command.arg(workload);
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0;
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(count) => bytes += count,
        }
    }
    let elapsed = started.elapsed();
    child.wait().unwrap();
    Rate {
        mb_per_s: bytes as f64 / 1e6 / elapsed.as_secs_f64(),
        bytes,
    }
}

pub(crate) struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    async fn start(binary: &Path, workdir: &Path, worker_threads: usize) -> Self {
        let port = free_port();
        let child = Command::new(binary)
            .arg("start")
            .env("WEB_TERMINAL_WORKER_THREADS", worker_threads.to_string())
            .env("WEB_TERMINAL_PORT", port.to_string())
            .env("WEB_TERMINAL_WORKSPACES_DIR", workdir.join("workspaces"))
            .env("WEB_TERMINAL_SHELL", "/bin/sh")
            .env("WEB_TERMINAL_MAX_SESSIONS", "400")
            .env("WEB_TERMINAL_MAX_SESSIONS_PER_USER", "400")
            // Every client of the benchmark is on loopback: one address.
            .env("WEB_TERMINAL_MAX_CONNECTIONS_PER_CLIENT", "4096")
            .env("WEB_TERMINAL_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready(addr).await {
            assert!(Instant::now() < deadline, "server did not become ready");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server
    }

    pub(crate) fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    }

    /// User plus system CPU seconds of the server process.
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET path`.
pub(crate) async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

async fn ready(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /ready HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    response.starts_with(b"HTTP/1.0 200") || response.starts_with(b"HTTP/1.1 200")
}

struct Startup {
    median_ms: f64,
    max_ms: f64,
}

/// Time from spawning the process to the first 200 from `/ready`, over five starts.
async fn measure_startup(binary: &Path, workdir: &Path) -> Startup {
    let mut samples = Vec::new();
    for _ in 0..5 {
        let port = free_port();
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("start")
            .env("WEB_TERMINAL_PORT", port.to_string())
            .env("WEB_TERMINAL_WORKSPACES_DIR", workdir.join("workspaces"))
            .env("WEB_TERMINAL_LOG_LEVEL", "warn")
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while !ready(addr).await {
            assert!(started.elapsed() < Duration::from_secs(10), "never ready");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    samples.sort_by(f64::total_cmp);
    Startup {
        median_ms: samples[samples.len() / 2],
        max_ms: samples[samples.len() - 1],
    }
}

/// Opens a session and runs `command` in it; returns the socket once the command's first
/// output marker is seen.
async fn open(server: &ServerProcess, command: &str) -> (Socket, String) {
    let url = format!("ws://{}/api/v1/ws", server.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = json!({"type": "open", "cols": 100, "rows": 50}).to_string();
    socket.send(Message::Text(open.into())).await.unwrap();
    let session = loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                break value["session"].as_str().unwrap().to_owned();
            }
            _ => continue,
        }
    };
    let line = format!("echo ready-$((40+2)); exec {command}\n");
    socket
        .send(Message::Binary(Bytes::from(line)))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("ready-42") {
        if let Message::Binary(bytes) = socket.next().await.unwrap().unwrap() {
            seen.extend_from_slice(&bytes);
        }
    }
    (socket, session)
}

struct Throughput {
    mb_per_s: f64,
    bytes: usize,
    client_cpu_s: f64,
    server_cpu_s: f64,
}

/// The same workload through the server to a native client.
async fn websocket_throughput(server: &ServerProcess, workload: &Path) -> Throughput {
    let (mut socket, _) = open(server, "/bin/sh").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Drain anything left (the prompt).
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(100), socket.next()).await {}
    let command = format!("exec cat {}\n", workload.display());
    let server_cpu = server.cpu_seconds();
    let client_cpu = own_cpu_seconds();
    let started = Instant::now();
    socket
        .send(Message::Binary(Bytes::from(command)))
        .await
        .unwrap();
    let mut bytes = 0;
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(chunk))) => bytes += chunk.len(),
            Some(Ok(Message::Text(_))) | Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("{error}"),
        }
    }
    let elapsed = started.elapsed();
    Throughput {
        mb_per_s: bytes as f64 / 1e6 / elapsed.as_secs_f64(),
        bytes,
        client_cpu_s: own_cpu_seconds() - client_cpu,
        server_cpu_s: server.cpu_seconds() - server_cpu,
    }
}

fn own_cpu_seconds() -> f64 {
    cpu_seconds("/proc/self/stat")
}

/// User plus system CPU seconds from a `/proc/<pid>/stat` file.
fn cpu_seconds(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / clock_ticks_per_second()
}

struct Latency {
    samples: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Latency {
    fn to_json(&self) -> Value {
        json!({
            "samples": self.samples,
            "p50_ms": round(self.p50_ms),
            "p99_ms": round(self.p99_ms),
            "max_ms": round(self.max_ms),
        })
    }
}

/// Keystroke to echo: one byte into `cat`'s canonical-mode line, until its echo arrives, then
/// DEL to keep the line short (its echo is a round trip too).
async fn echo_latency(server: &ServerProcess, keystrokes: usize) -> Latency {
    let (mut socket, _) = open(server, "cat").await;
    let mut samples = Vec::with_capacity(keystrokes * 2);
    for index in 0..keystrokes + 50 {
        for key in [b'k', 0x7f] {
            let started = Instant::now();
            socket
                .send(Message::Binary(Bytes::from_static(if key == b'k' {
                    b"k"
                } else {
                    b"\x7f"
                })))
                .await
                .unwrap();
            loop {
                if let Message::Binary(_) = socket.next().await.unwrap().unwrap() {
                    break;
                }
            }
            if index >= 50 {
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    let at = |quantile: f64| {
        samples[((samples.len() as f64 * quantile) as usize).min(samples.len() - 1)]
    };
    Latency {
        samples: samples.len(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: samples[samples.len() - 1],
    }
}

struct Flood {
    max_rss: u64,
    delivered: usize,
}

/// Ten sessions run `yes` to clients that read one message every 50 ms.
async fn flood_with_slow_readers(server: &ServerProcess, seconds: u64) -> Flood {
    let mut sockets = Vec::new();
    for _ in 0..FLOOD_SESSIONS {
        sockets.push(open(server, "yes").await.0);
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut max_rss = 0;
    let mut delivered = 0;
    while Instant::now() < deadline {
        for socket in &mut sockets {
            if let Some(Ok(Message::Binary(bytes))) = socket.next().await {
                delivered += bytes.len();
            }
        }
        max_rss = max_rss.max(server.rss());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Flood { max_rss, delivered }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "kernel": kernel.trim(),
    })
}
