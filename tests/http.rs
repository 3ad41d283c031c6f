//! The plain HTTP routes and their headers.

mod common;

use common::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn health_reports_ok_and_the_version() {
    let server = TestServer::start().await;
    let response = http_get(server.addr, "/health").await;
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_turns_503_when_shutdown_starts() {
    let server = TestServer::start().await;
    assert_eq!(http_get(server.addr, "/ready").await.status, 200);
    // Hold a connection open so the server keeps serving during the drain.
    let _client = server.open().await;
    server.shutdown.shut_down();
    assert!(!server.state.is_ready());
}

#[tokio::test]
async fn index_carries_security_headers_and_no_cache() {
    let server = TestServer::start_with(|config| {
        config.frame_ancestors = vec!["'self'".into(), "https://backstage.example.com".into()];
    })
    .await;
    let response = http_get(server.addr, "/").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    let csp = response.header("content-security-policy").unwrap();
    // Scripts from this origin only, never inline or from strings; WebAssembly may compile.
    let scripts = csp
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .unwrap();
    assert_eq!(scripts, "script-src 'self' 'wasm-unsafe-eval'", "{csp}");
    assert!(
        csp.ends_with("frame-ancestors 'self' https://backstage.example.com"),
        "{csp}"
    );
    // No inline script in the page itself.
    assert!(!response.body.contains("<script>"), "{}", response.body);
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_unknown_paths_404() {
    let server = TestServer::start().await;
    let index = http_get(server.addr, "/").await.body;
    // Every asset the page references is served with a year-long immutable cache.
    // Vite may reference them relative to the page (`./assets/…`) or from the root.
    let assets: Vec<String> = index
        .split('"')
        .filter_map(|part| {
            let rest = part.strip_prefix("./").or_else(|| part.strip_prefix('/'))?;
            rest.starts_with("assets/").then(|| format!("/{rest}"))
        })
        .collect();
    if web_terminal::ui_embedded() {
        assert!(
            !assets.is_empty(),
            "the built UI references no /assets/: {index}"
        );
    }
    for asset in &assets {
        let response = http_get(server.addr, asset).await;
        assert_eq!(response.status, 200, "{asset}");
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{asset}"
        );
    }
    // A browser that accepts gzip gets the scripts' copies gzipped when the UI was built.
    for script in assets.iter().filter(|asset| asset.ends_with(".js")) {
        let response = http_request(
            server.addr,
            "GET",
            script,
            &[("Accept-Encoding", "gzip, deflate, br, zstd")],
            "",
        )
        .await;
        assert_eq!(response.status, 200, "{script}");
        assert_eq!(
            response.header("content-encoding"),
            Some("gzip"),
            "{script}"
        );
        assert_eq!(response.header("vary"), Some("accept-encoding"), "{script}");
    }
    assert_eq!(http_get(server.addr, "/assets/nope.js").await.status, 404);
    assert_eq!(http_get(server.addr, "/../Cargo.toml").await.status, 404);
}

#[tokio::test]
async fn metrics_expose_the_documented_names() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.type_line("echo m-$((1+1))").await;
    client.read_until("m-2").await;
    let _ = http_get(server.addr, "/health").await;
    let response = http_get(server.addr, "/api/v1/metrics").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    for name in [
        "web_terminal_sessions_active 1",
        "web_terminal_sessions_total{outcome=\"opened\"} 1",
        "web_terminal_session_duration_seconds",
        "web_terminal_snapshot_duration_seconds_count 1",
        "web_terminal_websocket_connections_active 1",
        "web_terminal_bytes_total{direction=\"in\"}",
        "web_terminal_bytes_total{direction=\"out\"}",
        "web_terminal_http_requests_total{route=\"/health\",status=\"200\"} 1",
        "web_terminal_http_request_duration_seconds_bucket{route=\"/health\"",
        "web_terminal_sessions_limit 64",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_cpu_seconds_total",
    ] {
        assert!(
            response.body.contains(name),
            "missing {name} in\n{}",
            response.body
        );
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_busy_one_to_close() {
    let server = TestServer::start_with(|config| config.max_connections = 2).await;
    // Two terminals hold both slots: they are busy, so neither gives way.
    let first = server.open().await;
    let _second = server.open().await;
    let addr = server.addr;
    let waiting = tokio::spawn(async move { http_get(addr, "/health").await.status });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served past the cap"
    );
    // One leaves; the waiting request is served.
    drop(first);
    let status = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn at_the_cap_the_oldest_silent_connection_gives_way() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start_with(|config| config.max_connections = 3).await;
    let mut terminal = server.open().await;
    // Two clients connect and say nothing, holding the other slots.
    let mut oldest = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut newer = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // A request is served at once: the oldest silent connection was closed to make room.
    let served = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        http_get(server.addr, "/health"),
    )
    .await;
    assert_eq!(served.expect("the request waited").status, 200);
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(WAIT, oldest.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // The one after it may still speak (only one slot was needed), and the terminal works.
    let still_open =
        tokio::time::timeout(std::time::Duration::from_millis(200), newer.read(&mut buf)).await;
    assert!(still_open.is_err(), "{still_open:?}");
    terminal.type_line("echo busy-$((6*7))").await;
    terminal.read_until("busy-42").await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start_with(|config| config.max_connections_per_client = 3).await;
    // 127.0.0.2 is loopback too: a second client address on this machine.
    let from = |ip: [u8; 4]| async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(std::net::SocketAddr::from((ip, 0))).unwrap();
        socket.connect(server.addr).await.unwrap()
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(from([127, 0, 0, 2]).await);
    }
    let mut fourth = from([127, 0, 0, 2]).await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(WAIT, fourth.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "a fourth connection from one address was kept: {read:?}"
    );
    // Other addresses are served as usual, and the address gets its slot back once one closes.
    assert_eq!(http_get(server.addr, "/health").await.status, 200);
    held.pop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut again = from([127, 0, 0, 2]).await;
    let open =
        tokio::time::timeout(std::time::Duration::from_millis(300), again.read(&mut buf)).await;
    assert!(open.is_err(), "the freed slot was not given back: {open:?}");
}

#[tokio::test]
async fn behind_a_proxy_terminals_are_counted_by_the_forwarded_address() {
    let server = TestServer::start_with(|config| {
        config.max_connections_per_client = 2;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let connect = |forwarded: &'static str| {
        let mut request = server.ws_url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let mut clients = Vec::new();
    for _ in 0..2 {
        clients.push(connect("203.0.113.7").await.unwrap());
    }
    match connect("203.0.113.7").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            assert!(body.contains("too many connections"), "{body}");
        }
        other => panic!(
            "a third terminal from one forwarded address: {:?}",
            other.map(|_| ())
        ),
    }
    // Another user behind the same proxy is not affected; nor is the first once one closes.
    connect("203.0.113.8").await.unwrap();
    clients.pop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    connect("203.0.113.7").await.unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_four_ping_intervals() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start_with(|config| config.ping_interval_secs = 1).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut buf = [0u8; 16];
    // The server closes it: the read ends (0 bytes or a reset) instead of timing out.
    let read = tokio::time::timeout(WAIT, silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // A WebSocket that answers pings (the client library does, while it reads) stays open past
    // that time.
    let mut client = server.open().await;
    let quiet_until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while let Ok(message) = tokio::time::timeout_at(quiet_until, client.next()).await {
        assert!(message.is_some(), "the WebSocket was closed");
    }
    client.type_line("echo still-$((9+9))").await;
    client.read_until("still-18").await;
}

#[tokio::test]
async fn a_request_head_sent_too_slowly_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The silence timeout is 80 s here; only the 1 s header deadline can end the drip below.
    let server = TestServer::start_with(|config| config.handshake_timeout_secs = 1).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut closed = false;
    let mut buf = [0u8; 256];
    // One header byte every 100 ms, never silent for long, for at most 10 s.
    for _ in 0..100 {
        if slow.write_all(b"x").await.is_err() {
            closed = true;
            break;
        }
        let wait = std::time::Duration::from_millis(100);
        match tokio::time::timeout(wait, slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    assert!(
        closed,
        "a client dripping its request head was never cut off"
    );
    // A client that sends its head at once is served as usual.
    assert_eq!(http_get(server.addr, "/health").await.status, 200);
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_client_that_stopped_reading() {
    let server = TestServer::start_with(|config| config.shutdown_timeout_secs = 4).await;
    let stuck = client_that_stopped_reading(server.addr).await;
    server.shutdown.shut_down();
    let result = tokio::time::timeout(WAIT, server.task)
        .await
        .expect("the server stops although a client stopped reading");
    result.unwrap().unwrap();
    drop(stuck);
}

#[tokio::test]
async fn a_client_that_stops_reading_loses_its_connection_slot() {
    // One slot, and four ping intervals of 1 s as the stall limit.
    let server = TestServer::start_with(|config| {
        config.max_connections = 1;
        config.ping_interval_secs = 1;
    })
    .await;
    let stuck = client_that_stopped_reading(server.addr).await;
    // The stuck client still holds the only slot and reads nothing; another client is served
    // once the server gives up on it.
    let served = tokio::time::timeout(WAIT, http_get(server.addr, "/health")).await;
    assert_eq!(served.expect("the slot was never freed").status, 200);
    drop(stuck);
}

/// A client that pipelines requests and never reads the responses, returned once the server's
/// writes to it block (the socket buffers are full): that connection cannot finish on its own.
async fn client_that_stopped_reading(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(addr).await.unwrap();
    let request = b"GET /api/v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    let filling = async { while stuck.write_all(request).await.is_ok() {} };
    // Ends when the server stops reading because its writes are blocked (or closes).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), filling).await;
    stuck
}
