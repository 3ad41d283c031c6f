//! Draining for a replacement: no new sessions, the existing ones go on (and can be reattached)
//! until they end or the drain timeout passes, then the usual shutdown.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Connects and sends `first` (an `open` or `attach` that asks to hear about draining).
async fn hello(server: &TestServer, first: Value) -> Client {
    let mut client = server.connect().await;
    client.send_json(first).await;
    client.expect_opened().await;
    client
}

/// Reads until a text message of `kind` arrives, keeping the output; returns it.
async fn text_of_type(client: &mut Client, kind: &str) -> Value {
    loop {
        match client.next().await {
            Some(Message::Text(text)) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == kind {
                    return value;
                }
            }
            Some(Message::Binary(_) | Message::Ping(_) | Message::Pong(_)) => {}
            other => panic!("waiting for {kind}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_draining_server_takes_no_new_sessions_and_keeps_the_old_ones_until_they_end() {
    let server = TestServer::start_with(|config| config.drain_timeout_secs = 600).await;
    let open = json!({"type": "open", "cols": 80, "rows": 24, "draining": true});
    let mut client = hello(&server, open.clone()).await;
    let session = client.session.clone().unwrap();
    client.type_line("echo before-$((1+1))").await;
    client.read_until("before-2").await;
    // A client that did not ask is not told, and is not cut off either.
    let mut quiet = server.open().await;

    server.shutdown.drain();
    let notice = text_of_type(&mut client, "draining").await;
    let left = notice["seconds_left"].as_u64().unwrap();
    assert!((590..=600).contains(&left), "{notice}");
    assert_eq!(http_get(server.addr, "/ready").await.status, 503);
    assert_eq!(http_get(server.addr, "/health").await.status, 200);

    // No new session: the client is sent on its way (to a server that is ready).
    let mut refused = server.connect().await;
    refused.send_json(open).await;
    refused.expect_close(1001).await;

    // The existing sessions go on, and one can be reattached (and hears about the drain).
    client.type_line("echo during-$((2+2))").await;
    client.read_until("during-4").await;
    quiet.type_line("echo quiet-$((3+3))").await;
    quiet.read_until("quiet-6").await;
    drop(client);
    let attach = json!({"type": "attach", "session": session, "draining": true});
    let mut client = hello(&server, attach).await;
    text_of_type(&mut client, "draining").await;
    client.type_line("echo after-$((3+4))").await;
    client.read_until("after-7").await;

    // Once the last session ends, the server shuts down, long before the drain timeout.
    quiet.type_line("exit").await;
    quiet.read_to_end().await;
    assert!(!server.task.is_finished(), "one session is still running");
    client.type_line("exit").await;
    client.read_to_end().await;
    tokio::time::timeout(WAIT, server.task)
        .await
        .expect("the server shuts down once drained")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn at_the_drain_timeout_the_remaining_sessions_close_with_1001() {
    let server = TestServer::start_with(|config| config.drain_timeout_secs = 1).await;
    let mut client = server.open().await;
    server.shutdown.drain();
    client.type_line("echo still-$((5+5))").await;
    client.read_until("still-10").await;
    let started = std::time::Instant::now();
    client.expect_close(1001).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    tokio::time::timeout(WAIT, server.task)
        .await
        .expect("the server shuts down after the drain timeout")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn without_a_drain_timeout_drain_is_the_usual_shutdown() {
    let server = TestServer::start().await;
    let mut client = hello(
        &server,
        json!({"type": "open", "cols": 80, "rows": 24, "draining": true}),
    )
    .await;
    server.shutdown.drain();
    // Nothing but output before the close: read_to_end refuses any text message but `exit`.
    client.expect_close(1001).await;
    tokio::time::timeout(WAIT, server.task)
        .await
        .expect("the server shuts down at once")
        .unwrap()
        .unwrap();
}
