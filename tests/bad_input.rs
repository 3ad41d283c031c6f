//! Bad input gets a precise close code and changes nothing for anyone else.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Sends `first` as the first message on a new connection and expects `code`.
async fn first_message_is_refused(server: &TestServer, first: Message, code: u16) -> String {
    let mut client = server.connect().await;
    client.socket.send(first).await.unwrap();
    client.expect_close(code).await
}

/// After the bad input, the server still serves a fresh session.
async fn still_serves(server: &TestServer) {
    let mut client = server.open().await;
    client.type_line("echo alive-$((4+4))").await;
    client.read_until("alive-8").await;
}

#[tokio::test]
async fn malformed_or_unexpected_first_messages_get_4400() {
    let server = TestServer::start().await;
    let cases = [
        (Message::Text("not json".into()), "malformed"),
        (
            Message::Text(r#"{"type":"shout"}"#.into()),
            "unknown variant",
        ),
        (Message::Text(r#"{"cols":80,"rows":24}"#.into()), "type"),
        (
            Message::Text(r#"{"type":"open","cols":0,"rows":24}"#.into()),
            "out of range",
        ),
        (
            Message::Text(r#"{"type":"open","cols":80,"rows":1001}"#.into()),
            "out of range",
        ),
        (
            Message::Text(r#"{"type":"resize","cols":80,"rows":24}"#.into()),
            "resize before open",
        ),
        (
            Message::Text(r#"{"type":"ping"}"#.into()),
            "ping before open",
        ),
        (
            Message::Binary(Bytes::from_static(b"ls\n")),
            "binary frame before open",
        ),
    ];
    for (message, expected) in cases {
        let reason = first_message_is_refused(&server, message.clone(), 4400).await;
        assert!(
            reason.contains(expected),
            "{message:?} gave reason {reason:?}"
        );
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn bad_resizes_and_a_second_open_after_the_handshake_get_4400() {
    let server = TestServer::start().await;
    for bad in [
        r#"{"type":"resize","cols":0,"rows":24}"#,
        r#"{"type":"resize","cols":80,"rows":0}"#,
        r#"{"type":"resize","cols":1001,"rows":24}"#,
        r#"{"type":"resize","cols":80,"rows":70000}"#,
        r#"{"type":"open","cols":80,"rows":24}"#,
        r#"{"type":"resize""#,
    ] {
        let mut client = server.open().await;
        client.send_text(bad).await;
        client.expect_close(4400).await;
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn a_message_over_the_limit_gets_1009() {
    let server = TestServer::start_with(|config| config.max_message_bytes = 64 * 1024).await;
    let mut client = server.open().await;
    client
        .socket
        .send(Message::Binary(Bytes::from(vec![b'a'; 64 * 1024 + 1])))
        .await
        .unwrap();
    client.expect_close(1009).await;
    // Exactly at the limit is fine: a program that reads exactly that much gets it all.
    let mut client = server.open().await;
    client
        .type_line("stty raw -echo; head -c 65536 | wc -c; stty sane; echo fits-$((1+1))")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .socket
        .send(Message::Binary(Bytes::from(vec![b'#'; 64 * 1024])))
        .await
        .unwrap();
    client.read_until("fits-2").await;
    assert!(
        client.output_text().contains("65536"),
        "{}",
        client.output_text()
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_gets_1007() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    let header = FrameHeader {
        opcode: OpCode::Data(Data::Text),
        ..FrameHeader::default()
    };
    let frame = Frame::from_payload(header, Bytes::from_static(b"{\"type\":\"resize\xff\"}"));
    client.socket.send(Message::Frame(frame)).await.unwrap();
    client.expect_close(1007).await;
    still_serves(&server).await;
}

#[tokio::test]
async fn attach_to_an_unknown_session_gets_4404() {
    let server = TestServer::start().await;
    let message =
        Message::Text(r#"{"type":"attach","session":"0123456789abcdef0123456789abcdef"}"#.into());
    first_message_is_refused(&server, message, 4404).await;
    let message = Message::Text(r#"{"type":"attach","session":"../../etc/passwd"}"#.into());
    first_message_is_refused(&server, message, 4404).await;
}

#[tokio::test]
async fn a_client_that_never_speaks_is_closed_with_4408() {
    let server = TestServer::start_with(|config| config.handshake_timeout_secs = 1).await;
    let mut client = server.connect().await;
    let started = std::time::Instant::now();
    client.expect_close(4408).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    still_serves(&server).await;
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_1008() {
    let server = TestServer::start().await;
    let mut evil = server
        .connect_with_origin(Some("https://evil.example"))
        .await;
    evil.send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    evil.expect_close(1008).await;
    assert_eq!(server.state.session_count(), 0, "no session may start");
    // The server's own origin is fine.
    let own = format!("http://{}", server.addr);
    let mut client = server.connect_with_origin(Some(&own)).await;
    client
        .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    client.expect_opened().await;
}

#[tokio::test]
async fn thousands_of_connections_opened_and_dropped_leak_nothing() {
    let server = TestServer::start().await;
    // Warm up, so lazily created state is not counted as a leak.
    still_serves(&server).await;
    let fds_before = open_fds();
    let sessions_before = server.state.session_count();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..2000 {
        let url = server.ws_url();
        tasks.spawn(async move {
            let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
                return;
            };
            // Some say something half-finished, some nothing; all drop without closing.
            if round % 2 == 0 {
                let _ = socket.send(Message::Text(r#"{"type":"op"#.into())).await;
            }
            drop(socket);
        });
        if tasks.len() >= 64 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    let deadline = std::time::Instant::now() + WAIT;
    while !(server.state.session_count() == sessions_before && open_fds() <= fds_before + 8) {
        assert!(
            std::time::Instant::now() < deadline,
            "leak: {} sessions, {} fds now, {fds_before} before",
            server.state.session_count(),
            open_fds()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let active = server
        .metric("web_terminal_websocket_connections_active")
        .await;
    assert_eq!(active, 0.0);
    still_serves(&server).await;
}
