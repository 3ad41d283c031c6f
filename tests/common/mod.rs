//! Test helpers: a real server on 127.0.0.1:0 and a real WebSocket client.
#![allow(dead_code, unreachable_pub)]

pub mod jwks;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use web_terminal::{Config, Server, ShutdownHandle};

/// Default time to wait for anything in a test.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server running in this process, with its own workspace folder.
pub struct TestServer {
    pub addr: SocketAddr,
    pub shutdown: ShutdownHandle,
    pub state: web_terminal::AppState,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub workspaces: tempfile::TempDir,
}

/// The `web-terminal` binary as a child process with an empty environment but `PATH`, so that the
/// tests decide every setting. Under `cargo llvm-cov` the child also gets `LLVM_PROFILE_FILE`, so
/// that what the binary runs counts towards the coverage too.
pub fn bare_server_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_web-terminal"));
    command.env_clear().env("PATH", "/usr/bin:/bin");
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    command
}

/// A configuration for tests: port 0, a temporary workspace root, `/bin/sh` as the shell.
pub fn test_config(workspaces: &std::path::Path) -> Config {
    Config {
        port: 0,
        workspaces_dir: workspaces.to_path_buf(),
        shell: Some("/bin/sh".into()),
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let workspaces = tempfile::tempdir().unwrap();
        let mut config = test_config(workspaces.path());
        adjust(&mut config);
        let server = Server::bind(config).await.unwrap();
        let addr = server.local_addr().unwrap();
        let shutdown = server.shutdown_handle();
        let state = server.state().clone();
        let task = tokio::spawn(server.run());
        Self {
            addr,
            shutdown,
            state,
            task,
            workspaces,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/api/v1/ws", self.addr)
    }

    /// Connects a WebSocket without sending anything.
    pub async fn connect(&self) -> Client {
        self.connect_with_origin(None).await
    }

    pub async fn connect_with_origin(&self, origin: Option<&str>) -> Client {
        let mut request = self.ws_url().into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Client {
            socket,
            output: Vec::new(),
            session: None,
        }
    }

    /// Connects and opens a new session of 80x24.
    pub async fn open(&self) -> Client {
        let mut client = self.connect().await;
        client
            .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
            .await;
        client.expect_opened().await;
        client
    }

    /// Connects and attaches to `session`.
    pub async fn attach(&self, session: &str) -> Client {
        let mut client = self.connect().await;
        client
            .send_json(serde_json::json!({"type": "attach", "session": session}))
            .await;
        client.expect_opened().await;
        client
    }

    /// Fetches a metric's value (first sample whose line starts with `prefix`).
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = http_get(self.addr, "/api/v1/metrics").await.body;
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no metric {prefix} in:\n{text}"))
    }
}

/// A raw HTTP/1.1 response.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A request to the session API as the holder of `token` (`None`: no `Authorization` header).
pub async fn api_request(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> HttpResponse {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    http_request(server.addr, method, path, &headers, body).await
}

/// The JSON body of `response`, or a panic that shows it.
pub fn json_body(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {} {}", response.status, response.body))
}

/// The sessions `GET /api/v1/sessions` lists for the holder of `token`.
pub async fn list_sessions(server: &TestServer, token: &str) -> Vec<Value> {
    let response = api_request(server, "GET", "/api/v1/sessions", Some(token), "").await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    json_body(&response)["sessions"].as_array().unwrap().clone()
}

/// A minimal real HTTP GET over TCP (HTTP/1.0, so the body ends at close).
pub async fn http_get(addr: SocketAddr, path: &str) -> HttpResponse {
    http_request(addr, "GET", path, &[], "").await
}

/// A minimal real HTTP request over TCP (HTTP/1.0, so the body ends at close), with extra
/// `headers` and a `body` (sent with its length when not empty).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A WebSocket client speaking protocol v1.
pub struct Client {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every output byte received so far.
    pub output: Vec<u8>,
    pub session: Option<String>,
}

/// What ended a read.
#[derive(Debug)]
pub enum End {
    Closed(Option<CloseFrame>),
    Exit(i64),
}

impl Client {
    pub async fn send_json(&mut self, value: Value) {
        self.socket
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn type_line(&mut self, line: &str) {
        self.socket
            .send(Message::Binary(Bytes::from(format!("{line}\n"))))
            .await
            .unwrap();
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) {
        self.send_json(serde_json::json!({"type": "resize", "cols": cols, "rows": rows}))
            .await;
    }

    /// The next message, with a timeout.
    pub async fn next(&mut self) -> Option<Message> {
        match tokio::time::timeout(WAIT, self.socket.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            Ok(Some(Err(error))) => panic!("WebSocket error: {error}"),
            Ok(None) => None,
            Err(_) => panic!(
                "timed out; output so far: {:?}",
                String::from_utf8_lossy(&self.output)
            ),
        }
    }

    pub async fn expect_opened(&mut self) -> String {
        loop {
            match self.next().await {
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(value["type"], "opened", "{text}");
                    let id = value["session"].as_str().unwrap().to_owned();
                    self.session = Some(id.clone());
                    return id;
                }
                Some(Message::Ping(_) | Message::Pong(_)) => continue,
                other => panic!("expected opened, got {other:?}"),
            }
        }
    }

    /// Reads output until it contains `needle`.
    pub async fn read_until(&mut self, needle: &str) {
        while !String::from_utf8_lossy(&self.output).contains(needle) {
            match self.next().await {
                Some(Message::Binary(bytes)) => self.output.extend_from_slice(&bytes),
                Some(Message::Ping(_) | Message::Pong(_)) => {}
                other => panic!(
                    "waiting for {needle:?}, got {other:?}; output: {:?}",
                    String::from_utf8_lossy(&self.output)
                ),
            }
        }
    }

    /// Reads until the connection ends, collecting output; returns the exit code and close frame.
    pub async fn read_to_end(&mut self) -> (Option<i64>, Option<CloseFrame>) {
        let mut exit = None;
        loop {
            match self.next().await {
                Some(Message::Binary(bytes)) => self.output.extend_from_slice(&bytes),
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(value["type"], "exit", "{text}");
                    exit = value["code"].as_i64();
                }
                Some(Message::Close(frame)) => return (exit, frame),
                Some(_) => {}
                None => return (exit, None),
            }
        }
    }

    /// Reads until the close frame and asserts its code.
    pub async fn expect_close(&mut self, code: u16) -> String {
        let (_, frame) = self.read_to_end().await;
        let frame = frame.unwrap_or_else(|| panic!("no close frame, expected {code}"));
        assert_eq!(u16::from(frame.code), code, "reason: {}", frame.reason);
        frame.reason.to_string()
    }

    pub fn output_text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }
}

/// Whether a process exists (and is not a zombie).
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident set size of this process, in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Polls `condition` every 20 ms until it holds or `WAIT` passes.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
