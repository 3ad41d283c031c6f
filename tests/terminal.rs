//! The terminal over a real WebSocket, against a real server with real PTYs.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Bytes, Message};

#[tokio::test]
async fn echo_round_trip() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.type_line("echo $((6*7))-echoed").await;
    client.read_until("42-echoed").await;
}

#[tokio::test]
async fn ping_is_answered_with_pong_after_the_output_before_it() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.type_line("echo before-$((2+3))").await;
    client.read_until("before-5").await;
    client.send_json(serde_json::json!({"type": "ping"})).await;
    loop {
        match client.next().await {
            Some(Message::Text(text)) => {
                assert_eq!(text.as_str(), r#"{"type":"pong"}"#);
                break;
            }
            Some(Message::Binary(_) | Message::Ping(_) | Message::Pong(_)) => {}
            other => panic!("expected pong, got {other:?}"),
        }
    }
    // The session goes on as before.
    client.type_line("echo after-$((3+4))").await;
    client.read_until("after-7").await;
}

#[tokio::test]
async fn resize_changes_stty_size() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.resize(132, 43).await;
    client.type_line("stty size; echo size-$((1+1))").await;
    client.read_until("size-2").await;
    assert!(
        client.output_text().contains("43 132"),
        "{}",
        client.output_text()
    );
}

#[tokio::test]
async fn exit_code_is_reported_then_closed_normally() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.type_line("exit 3").await;
    let (exit, frame) = client.read_to_end().await;
    assert_eq!(exit, Some(3));
    assert_eq!(u16::from(frame.unwrap().code), 1000);
    eventually("the session is gone", || server.state.session_count() == 0).await;
}

#[tokio::test]
async fn reattach_replays_earlier_output() {
    let server = TestServer::start().await;
    let mut first = server.open().await;
    let session = first.session.clone().unwrap();
    first.type_line("echo before-$((2+3))").await;
    first.read_until("before-5").await;
    drop(first); // the connection drops without a close handshake

    let mut second = server.attach(&session).await;
    assert_eq!(second.session.as_deref(), Some(session.as_str()));
    second.read_until("before-5").await;
    second.type_line("echo after-$((3+4))").await;
    second.read_until("after-7").await;
}

#[tokio::test]
async fn two_clients_share_one_session() {
    let server = TestServer::start().await;
    let mut a = server.open().await;
    let session = a.session.clone().unwrap();
    let mut b = server.attach(&session).await;
    a.type_line("echo from-a-$((1+1))").await;
    a.read_until("from-a-2").await;
    b.read_until("from-a-2").await;
    b.type_line("echo from-b-$((2+2))").await;
    a.read_until("from-b-4").await;
    b.read_until("from-b-4").await;
}

/// Connects and sends `attach` (`message`), waiting for `opened`.
async fn attach_with(server: &TestServer, message: serde_json::Value) -> Client {
    let mut client = server.connect().await;
    client.send_json(message).await;
    client.expect_opened().await;
    client
}

#[tokio::test]
async fn the_most_recently_active_viewer_sets_the_size() {
    let server = TestServer::start().await;
    let mut a = server.open().await;
    let session = a.session.clone().unwrap();
    let mut b = attach_with(
        &server,
        serde_json::json!({"type": "attach", "session": session, "cols": 50, "rows": 20}),
    )
    .await;
    // b attached last, so its size applies.
    b.type_line("stty size; echo b-$((1+1))").await;
    b.read_until("b-2").await;
    assert!(b.output_text().contains("20 50"), "{}", b.output_text());
    // a resizes: now a is the most recent.
    a.resize(90, 30).await;
    a.type_line("stty size; echo a-$((1+2))").await;
    a.read_until("a-3").await;
    assert!(a.output_text().contains("30 90"), "{}", a.output_text());
    // a leaves: b's size applies again.
    drop(a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    b.type_line("stty size; echo b-$((2+2))").await;
    b.read_until("b-4").await;
    let after = b.output_text();
    let tail = &after[after.find("b-3").unwrap_or(0)..];
    assert!(tail.contains("20 50"), "{after}");
}

/// The next `size` message `client` gets, past any output.
async fn next_size(client: &mut common::Client) -> serde_json::Value {
    loop {
        match client.next().await {
            Some(Message::Text(text)) => {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(value["type"], "size", "{text}");
                return value;
            }
            Some(Message::Binary(bytes)) => client.output.extend_from_slice(&bytes),
            Some(Message::Ping(_) | Message::Pong(_)) => {}
            other => panic!("expected a size, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn when_the_most_recent_viewer_leaves_the_next_ones_size_applies_at_once() {
    let server = TestServer::start().await;
    let mut a = server.open().await;
    let session = a.session.clone().unwrap();
    let mut b = attach_with(
        &server,
        serde_json::json!({"type": "attach", "session": session, "cols": 50, "rows": 20}),
    )
    .await;
    // c sends no size of its own, so it never applies; it is told the session's.
    let mut c = attach_with(
        &server,
        serde_json::json!({"type": "attach", "session": session, "size": true}),
    )
    .await;
    let size =
        |cols: u16, rows: u16| serde_json::json!({"type": "size", "cols": cols, "rows": rows});
    assert_eq!(next_size(&mut c).await, size(50, 20));
    a.resize(90, 30).await;
    assert_eq!(next_size(&mut c).await, size(90, 30));
    // a leaves, and nobody types: b's size applies at once.
    drop(a);
    assert_eq!(next_size(&mut c).await, size(50, 20));
    b.type_line("stty size; echo b-$((2+3))").await;
    b.read_until("b-5").await;
    assert!(b.output_text().contains("20 50"), "{}", b.output_text());
}

#[tokio::test]
async fn a_detached_session_ends_after_the_grace_period() {
    let server = TestServer::start_with(|config| config.grace_period_secs = 1).await;
    let client = server.open().await;
    let session = client.session.clone().unwrap();
    let pid = server.state.session_count();
    assert_eq!(pid, 1);
    drop(client);
    eventually("the session ends", || server.state.session_count() == 0).await;
    let mut late = server.connect().await;
    late.send_json(serde_json::json!({"type": "attach", "session": session}))
        .await;
    late.expect_close(4404).await;
}

#[tokio::test]
async fn a_flood_to_a_slow_reader_is_held_back_by_backpressure() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    client.type_line("yes flood-line-of-some-length").await;
    // Read slowly for two seconds: a few small reads with pauses.
    let mut received = 0usize;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(Message::Binary(bytes)) = client.next().await {
            received += bytes.len();
        }
    }
    let rss_before = rss_bytes();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let read_from_pty = server
        .metric("web_terminal_bytes_total{direction=\"out\"}")
        .await;
    // Unbounded, `yes` would have produced hundreds of megabytes by now. With backpressure the
    // server has read at most what was delivered, plus the ring, plus kernel socket buffers.
    let unread = read_from_pty - received as f64;
    assert!(
        unread < 16.0 * 1024.0 * 1024.0,
        "server read {read_from_pty} bytes from the PTY but the client took only {received}"
    );
    let growth = rss_bytes().saturating_sub(rss_before);
    assert!(
        growth < 16 * 1024 * 1024,
        "RSS grew by {growth} bytes while flooding"
    );
    // The session still answers once the reader catches up: interrupt `yes` and run a command.
    client
        .socket
        .send(Message::Binary(Bytes::from_static(b"\x03")))
        .await
        .unwrap();
    client.type_line("echo calm-$((5+5))").await;
    loop {
        match client.next().await {
            Some(Message::Binary(bytes)) => {
                client.output.extend_from_slice(&bytes);
                let len = client.output.len();
                let tail = String::from_utf8_lossy(&client.output[len.saturating_sub(4096)..]);
                if tail.contains("calm-10") {
                    break;
                }
                if client.output.len() > 8 * 1024 * 1024 {
                    client.output.drain(..len - 8192);
                }
            }
            Some(_) => {}
            None => panic!("connection ended"),
        }
    }
}

#[tokio::test]
async fn a_viewer_that_stalls_the_others_is_dropped_with_4409() {
    let server = TestServer::start_with(|config| config.scrollback_bytes = 64 * 1024).await;
    let mut fast = server.open().await;
    let session = fast.session.clone().unwrap();
    let mut slow = server.attach(&session).await; // never reads from here on
    fast.type_line("yes stall-test-line").await;
    // The fast viewer keeps reading; the slow one fills its socket buffers and stalls the
    // pump, so after the slow-viewer limit it is dropped and the fast one continues.
    let mut got = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while got < 16 * 1024 * 1024 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fast viewer stalled after {got} bytes"
        );
        if let Some(Message::Binary(bytes)) = fast.next().await {
            got += bytes.len();
        }
    }
    // The slow viewer's connection was closed with 4409 (after everything already queued).
    let mut code = None;
    while code.is_none() {
        match slow.socket.next_message().await {
            Some(Message::Close(frame)) => code = frame.map(|frame| u16::from(frame.code)),
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(code, Some(4409));
}

/// The pid in `1234-ready-5…`, the shell's answer to `echo pid-$$-ready-$((2+3))`.
fn pid_before_ready(part: &str) -> Option<i32> {
    let (pid, rest) = part.split_once('-')?;
    if rest.starts_with("ready-5") {
        pid.parse().ok()
    } else {
        None
    }
}

/// Drains a client's socket fast, discarding output.
trait NextMessage {
    async fn next_message(&mut self) -> Option<Message>;
}

impl NextMessage
    for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
{
    async fn next_message(&mut self) -> Option<Message> {
        use futures_util::StreamExt;
        match tokio::time::timeout(WAIT, self.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            _ => None,
        }
    }
}

#[tokio::test]
async fn a_huge_paste_into_a_busy_shell_blocks_nothing_else() {
    let server = TestServer::start().await;
    let mut busy = server.open().await;
    // The shell runs a command that does not read its input, then prints a marker.
    busy.type_line("sleep 2; echo woke-$((8+1))").await;
    let session = busy.session.clone().unwrap();
    // Paste 10 MiB in 64 KiB frames from another task; most of it cannot be written.
    let mut paster = server.attach(&session).await;
    let paste = tokio::spawn(async move {
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        for _ in 0..160 {
            if paster
                .socket
                .send(Message::Binary(chunk.clone()))
                .await
                .is_err()
            {
                break;
            }
        }
        paster
    });
    // Another session is unaffected.
    let mut other = server.open().await;
    other.type_line("echo other-$((3*3))").await;
    other.read_until("other-9").await;
    // The busy session's output still flows.
    busy.read_until("woke-9").await;
    // The HTTP side still answers.
    assert_eq!(http_get(server.addr, "/health").await.status, 200);
    paste.abort();
}

#[tokio::test]
async fn shutdown_closes_clients_with_1001_and_kills_the_shells() {
    let server = TestServer::start_with(|config| config.shutdown_timeout_secs = 5).await;
    let mut client = server.open().await;
    // A shell that ignores SIGHUP must still be gone after the timeout.
    client
        .type_line("trap '' HUP; echo pid-$$-ready-$((2+3))")
        .await;
    // Only the shell's output has the computed `-ready-5`; the echoed command line does not.
    client.read_until("-ready-5").await;
    let text = client.output_text();
    let pid: i32 = text
        .split("pid-")
        .filter_map(pid_before_ready)
        .next()
        .unwrap();
    assert!(process_alive(pid));
    let started = std::time::Instant::now();
    server.shutdown.shut_down();
    assert!(!server.state.is_ready(), "/ready must turn 503 at once");
    let reason = client.expect_close(1001).await;
    assert!(reason.contains("shutting down"), "{reason}");
    let result = tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("the server exits within the shutdown timeout");
    result.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(6));
    assert!(!process_alive(pid), "the shell {pid} survived shutdown");
}

#[tokio::test]
async fn sessions_over_the_limit_are_refused_with_4429() {
    let server = TestServer::start_with(|config| {
        config.max_sessions = 2;
        config.max_sessions_per_user = 2;
    })
    .await;
    let _a = server.open().await;
    let _b = server.open().await;
    let mut c = server.connect().await;
    c.send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    c.expect_close(4429).await;
}

#[tokio::test]
async fn an_idle_session_is_hung_up_after_the_idle_timeout() {
    let server = TestServer::start_with(|config| config.idle_timeout_secs = 1).await;
    let mut client = server.open().await;
    // No input and no output from here on: the shell gets SIGHUP (exit code 128 + 1).
    let (exit, frame) = client.read_to_end().await;
    assert_eq!(exit, Some(129));
    assert_eq!(u16::from(frame.unwrap().code), 1000);
}

#[tokio::test]
async fn a_client_that_acknowledges_output_gets_no_more_than_the_window_ahead() {
    const WINDOW: usize = 128 * 1024;
    const LARGEST_FRAME: usize = 64 * 1024;
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24, "flow": true}))
        .await;
    client.expect_opened().await;
    client.type_line("yes flow-control-line").await;
    // Read without acknowledging: the server stops once the window is full.
    let mut received = 0usize;
    while received < WINDOW + LARGEST_FRAME {
        match tokio::time::timeout(Duration::from_secs(1), client.socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => received += bytes.len(),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("the connection ended: {other:?}"),
            Err(_) => break, // a second of silence
        }
    }
    assert!(received > 0, "nothing was sent");
    assert!(
        received < WINDOW + LARGEST_FRAME,
        "{received} bytes sent without an acknowledgement"
    );
    // Acknowledging lets more through, and the flood goes on.
    client
        .send_json(serde_json::json!({"type": "ack", "bytes": received}))
        .await;
    let mut more = 0usize;
    while more < WINDOW / 2 {
        if let Some(Message::Binary(bytes)) = client.next().await {
            more += bytes.len();
        }
    }
}

#[tokio::test]
async fn ack_before_open_is_a_bad_message() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send_json(serde_json::json!({"type": "ack", "bytes": 5}))
        .await;
    assert!(client.expect_close(4400).await.contains("ack before open"));
}

#[tokio::test]
async fn a_shell_that_cannot_start_is_a_1011_and_counted() {
    let server =
        TestServer::start_with(|config| config.shell = Some("/nonexistent/shell".into())).await;
    let mut client = server.connect().await;
    client
        .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    let reason = client.expect_close(1011).await;
    assert!(
        !reason.contains("nonexistent"),
        "internals in the reason: {reason}"
    );
    assert_eq!(
        server
            .metric("web_terminal_sessions_total{outcome=\"start_failed\"}")
            .await,
        1.0
    );
    assert_eq!(server.state.session_count(), 0);
}
