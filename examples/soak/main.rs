//! The soak run: starts the real server binary with its limits raised, keeps many sessions
//! typing and reading their echo for a long time, beside connect-and-drop churn and one `yes`
//! flood, and samples the server's RSS, open file descriptors and echo latency. Writes
//! `docs/soak.md` and its plots (`docs/soak-*.svg`); exits 1 when the verdict is a fail.
//!
//! Run with `make soak` (the `bench-fast` profile, as `make bench`). Usage:
//! `soak <web-terminal binary> [--sessions 1000] [--seconds 600] [--sample-seconds 5]
//! [--type-interval-ms 1000] [--churn-per-second 2] [--flood-read-delay-ms 50] [--out FILE]`.
//! Not a unit test: it runs for minutes and measures this machine.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod load;
mod report;

use load::{churn, flood, open, typist};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for one echo before it counts as lost.
const ECHO_TIMEOUT: Duration = Duration::from_secs(5);
/// Sessions opened at once while the run starts.
const OPENING_AT_ONCE: usize = 16;
/// How long a dropped session waits for a reattach before it ends (the server's grace period).
const GRACE_SECONDS: u64 = 5;

/// The run's parameters (flags).
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub(crate) sessions: usize,
    pub(crate) seconds: u64,
    pub(crate) sample_seconds: u64,
    pub(crate) type_interval_ms: u64,
    pub(crate) churn_per_second: f64,
    pub(crate) flood_read_delay_ms: u64,
    out: PathBuf,
}

impl Params {
    fn parse(mut args: impl Iterator<Item = String>) -> Self {
        let mut params = Self {
            sessions: 1000,
            seconds: 600,
            sample_seconds: 5,
            type_interval_ms: 1000,
            churn_per_second: 2.0,
            flood_read_delay_ms: 50,
            out: Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/soak.md"),
        };
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .unwrap_or_else(|| panic!("{flag} needs a value"));
            let number = || {
                value
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("{flag} {value}: not a number"))
            };
            match flag.as_str() {
                "--sessions" => params.sessions = number() as usize,
                "--seconds" => params.seconds = number() as u64,
                "--sample-seconds" => params.sample_seconds = number() as u64,
                "--type-interval-ms" => params.type_interval_ms = number() as u64,
                "--churn-per-second" => params.churn_per_second = number(),
                "--flood-read-delay-ms" => params.flood_read_delay_ms = number() as u64,
                "--out" => params.out = PathBuf::from(value),
                _ => panic!("unknown flag {flag}"),
            }
        }
        params
    }

    /// The start of the run whose echoes the p99 leaves out: the first tenth, at most 30 s
    /// (the first keystrokes of fresh sessions are slow).
    pub(crate) fn warm_up(&self) -> Duration {
        Duration::from_secs(self.seconds / 10).min(Duration::from_secs(30))
    }

    /// Whether this is the full run the verdict is defined for.
    pub(crate) fn is_full(&self) -> bool {
        self.sessions >= 1000 && self.seconds >= 600
    }
}

/// One sample of the server.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) at_seconds: f64,
    pub(crate) rss: u64,
    pub(crate) fds: usize,
    /// Echo latency p99 over the samples since the previous one; `None` without echoes.
    pub(crate) echo_p99_ms: Option<f64>,
    pub(crate) echoes: usize,
}

/// What the clients count, shared by every task.
#[derive(Debug, Default)]
struct Counters {
    /// Echo latencies (ms) since the last sample.
    window: Mutex<Vec<f64>>,
    /// Every echo latency (ms) of the run.
    all: Mutex<Vec<f64>>,
    lost_echoes: AtomicU64,
    typist_errors: AtomicU64,
    churned: AtomicU64,
    churn_failures: AtomicU64,
    flood_bytes: AtomicU64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(args.next().expect(
        "usage: soak <web-terminal binary> [--sessions N] [--seconds S] [--sample-seconds S] \
         [--type-interval-ms MS] [--churn-per-second R] [--flood-read-delay-ms MS] [--out FILE]",
    ));
    let params = Params::parse(args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(run(&binary, &params));
    let verdict = report::verdict(&params, &result);
    println!("{}", serde_json::to_string_pretty(&verdict).unwrap());
    report::write(&params, &result, &verdict);
    eprintln!("soak: wrote {}", params.out.display());
    if verdict["pass"] != json!(true) {
        std::process::exit(1);
    }
}

/// Everything a run measured.
pub(crate) struct RunResult {
    pub(crate) samples: Vec<Sample>,
    /// Every echo latency, sorted.
    pub(crate) latencies: Vec<f64>,
    pub(crate) lost_echoes: u64,
    pub(crate) typist_errors: u64,
    pub(crate) churned: u64,
    pub(crate) churn_failures: u64,
    pub(crate) flood_bytes: u64,
    pub(crate) open_seconds: f64,
    pub(crate) rss_before: u64,
    pub(crate) fds_before: usize,
    pub(crate) machine: Value,
}

async fn run(binary: &Path, params: &Params) -> RunResult {
    let workdir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(binary, workdir.path(), params.sessions).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_before, fds_before) = (server.rss(), server.fds());
    let counters = Arc::new(Counters::default());

    eprintln!("soak: opening {} sessions", params.sessions);
    let started_opening = Instant::now();
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opening = Vec::new();
    for _ in 0..params.sessions {
        let (addr, gate) = (server.addr, gate.clone());
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            open(addr, "cat").await.0
        }));
    }
    let mut sockets = Vec::new();
    for task in opening {
        sockets.push(task.await.unwrap());
    }
    let open_seconds = started_opening.elapsed().as_secs_f64();
    eprintln!(
        "soak: opened in {open_seconds:.1} s; running for {} s",
        params.seconds
    );

    let started = Instant::now();
    let deadline = started + Duration::from_secs(params.seconds);
    let warm = started + params.warm_up();
    let interval = Duration::from_millis(params.type_interval_ms);
    let mut tasks = Vec::new();
    for (index, socket) in sockets.into_iter().enumerate() {
        // Spread the keystrokes evenly over the interval.
        let offset = interval.mul_f64(index as f64 / params.sessions.max(1) as f64);
        tasks.push(tokio::spawn(typist(
            socket,
            counters.clone(),
            warm,
            deadline,
            interval,
            offset,
        )));
    }
    tasks.push(tokio::spawn(churn(
        server.addr,
        counters.clone(),
        deadline,
        params.churn_per_second,
    )));
    let flooding = tokio::spawn(flood(
        server.addr,
        counters.clone(),
        deadline,
        Duration::from_millis(params.flood_read_delay_ms),
    ));

    let mut samples = Vec::new();
    let period = Duration::from_secs(params.sample_seconds.max(1));
    let mut next = started + period;
    while next <= deadline {
        tokio::time::sleep_until(next.into()).await;
        let mut window = std::mem::take(&mut *counters.window.lock().unwrap());
        window.sort_by(f64::total_cmp);
        let sample = Sample {
            at_seconds: started.elapsed().as_secs_f64(),
            rss: server.rss(),
            fds: server.fds(),
            echo_p99_ms: (!window.is_empty()).then(|| quantile(&window, 0.99)),
            echoes: window.len(),
        };
        eprintln!(
            "soak: {:>6.0} s  rss {:>6.1} MiB  fds {:>5}  echo p99 {:>6.3} ms ({} echoes)",
            sample.at_seconds,
            sample.rss as f64 / 1048576.0,
            sample.fds,
            sample.echo_p99_ms.unwrap_or(f64::NAN),
            sample.echoes,
        );
        samples.push(sample);
        next += period;
    }
    for task in tasks {
        let _ = task.await;
    }
    drop(flooding.await);
    let mut latencies = std::mem::take(&mut *counters.all.lock().unwrap());
    latencies.sort_by(f64::total_cmp);
    drop(server);
    RunResult {
        samples,
        latencies,
        lost_echoes: counters.lost_echoes.load(Ordering::Relaxed),
        typist_errors: counters.typist_errors.load(Ordering::Relaxed),
        churned: counters.churned.load(Ordering::Relaxed),
        churn_failures: counters.churn_failures.load(Ordering::Relaxed),
        flood_bytes: counters.flood_bytes.load(Ordering::Relaxed),
        open_seconds,
        rss_before,
        fds_before,
        machine: machine(),
    }
}

/// The value at `q` (0 to 1) of sorted `values`.
pub(crate) fn quantile(values: &[f64], q: f64) -> f64 {
    values[((values.len() as f64 * q) as usize).min(values.len() - 1)]
}

struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// The server with room for `sessions` plus the churn and the flood: sessions, connections
    /// (all from one address) and a short grace period, so dropped churn sessions end soon.
    async fn start(binary: &Path, workdir: &Path, sessions: usize) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let room = (sessions + 200).to_string();
        let child = Command::new(binary)
            .arg("start")
            .env("WEB_TERMINAL_PORT", port.to_string())
            .env("WEB_TERMINAL_WORKSPACES_DIR", workdir.join("workspaces"))
            .env("WEB_TERMINAL_SHELL", "/bin/sh")
            .env("WEB_TERMINAL_MAX_SESSIONS", &room)
            .env("WEB_TERMINAL_MAX_SESSIONS_PER_USER", &room)
            .env("WEB_TERMINAL_MAX_CONNECTIONS", &room)
            .env("WEB_TERMINAL_MAX_CONNECTIONS_PER_CLIENT", &room)
            .env("WEB_TERMINAL_GRACE_PERIOD_SECS", GRACE_SECONDS.to_string())
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

    fn rss(&self) -> u64 {
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

    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
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

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "load_average": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    })
}
