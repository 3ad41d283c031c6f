//! Two real instances on loopback, each other's replicas: a session opened on one is reached
//! through the other, relayed to its owner, which decides everything as if the client had come
//! directly. In these tests a replica's name is its port, and the template is
//! `http://127.0.0.1:{node}`.

mod common;

use std::time::{Duration, Instant};

use common::jwks::*;
use common::*;
use serde_json::json;
use web_terminal::Config;

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Makes `config` replica `port` of `ports`.
fn replica(config: &mut Config, port: u16, ports: &[u16]) {
    config.port = port;
    config.node_name = Some(port.to_string());
    config.peer_url_template = Some("http://127.0.0.1:{node}".into());
    config.peers = ports.iter().map(u16::to_string).collect();
}

/// Two replicas of each other.
async fn pair(adjust: impl Fn(&mut Config) + Copy) -> (TestServer, TestServer) {
    let ports = [free_port(), free_port()];
    let a = TestServer::start_with(|config| {
        replica(config, ports[0], &ports);
        adjust(config);
    })
    .await;
    let b = TestServer::start_with(|config| {
        replica(config, ports[1], &ports);
        adjust(config);
    })
    .await;
    (a, b)
}

/// Attaches to `session` through `server` and expects a close with `code`, within a second.
async fn attach_is_closed(server: &TestServer, session: &str, code: u16) {
    let started = Instant::now();
    let mut client = server.connect().await;
    client
        .send_json(json!({"type": "attach", "session": session}))
        .await;
    client.expect_close(code).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_session_opened_on_one_replica_is_used_through_the_other() {
    let (a, b) = pair(|_| {}).await;
    let mut on_a = a.open().await;
    let session = on_a.session.clone().unwrap();
    let node = a.addr.port().to_string();
    assert!(session.starts_with(&format!("{node}.")), "{session}");
    // Through b: the snapshot, then typing and reading both ways.
    let mut through_b = b.attach(&session).await;
    through_b.type_line("echo via-b-$((40+2))").await;
    through_b.read_until("via-b-42").await;
    on_a.read_until("via-b-42").await;
    on_a.type_line("echo via-a-$((50+5))").await;
    through_b.read_until("via-a-55").await;
    through_b.resize(100, 30).await;
    through_b.type_line("stty size").await;
    through_b.read_until("30 100").await;
    // The session ends on its owner; the relayed client hears the exit and the 1000.
    on_a.type_line("exit 3").await;
    let (code, frame) = through_b.read_to_end().await;
    assert_eq!(code, Some(3));
    assert_eq!(u16::from(frame.unwrap().code), 1000);
    assert_eq!(b.state.session_count(), 0, "b never held the session");
}

#[tokio::test]
async fn unknown_and_crafted_ids_get_4404_fast_and_reach_no_one_else() {
    let (a, b) = pair(|_| {}).await;
    let hex = "0123456789abcdef0123456789abcdef";
    // Unknown on its owner: the owner's 4404, passed through.
    attach_is_closed(&b, &format!("{}.{hex}", a.addr.port()), 4404).await;
    // A replica that is not one: a listener that would notice any connection.
    let bystander = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = bystander.local_addr().unwrap().port();
    attach_is_closed(&b, &format!("{port}.{hex}"), 4404).await;
    for crafted in [
        format!("127.0.0.1:{port}.{hex}"),
        format!("evil.example.com.{hex}"),
        format!("{port}/x.{hex}"),
    ] {
        attach_is_closed(&b, &crafted, 4404).await;
    }
    let accepted = tokio::time::timeout(Duration::from_millis(300), bystander.accept()).await;
    assert!(
        accepted.is_err(),
        "a crafted id made the server connect elsewhere"
    );
}

#[tokio::test]
async fn a_session_whose_replica_stopped_gets_4404_fast() {
    let (a, b) = pair(|_| {}).await;
    let on_a = a.open().await;
    let session = on_a.session.clone().unwrap();
    drop(on_a);
    a.shutdown.shut_down();
    tokio::time::timeout(WAIT, a.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    attach_is_closed(&b, &session, 4404).await;
}

#[tokio::test]
async fn with_authentication_the_owner_checks_the_token() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let auth = auth_config(provider(&jwks));
    let ports = [free_port(), free_port()];
    let a =
        TestServer::start_auth_with(auth.clone(), |config| replica(config, ports[0], &ports)).await;
    let b = TestServer::start_auth_with(auth, |config| replica(config, ports[1], &ports)).await;
    let alice = key.sign(&claims(ISSUER, "user:default/alice", 600));
    let mut on_a = a.open_with_token(&alice).await;
    let session = on_a.expect_opened().await;
    // Another user's token, through b: the owner refuses it as it would refuse it directly.
    let mallory = key.sign(&claims(ISSUER, "user:default/mallory", 600));
    let mut refused = b.attach_with_token(&session, &mallory).await;
    refused.expect_close(4403).await;
    let mut nobody = b.connect().await;
    nobody
        .send_json(json!({"type": "attach", "session": session}))
        .await;
    nobody.expect_close(4401).await;
    // Alice's token in the Authorization header, through b.
    let mut through_b = b.connect_with_header(&alice).await;
    through_b
        .send_json(json!({"type": "attach", "session": session}))
        .await;
    through_b.expect_opened().await;
    through_b.type_line("echo relayed-$((6*7))").await;
    through_b.read_until("relayed-42").await;
    on_a.read_until("relayed-42").await;
}

#[tokio::test]
async fn the_session_api_spans_the_replicas() {
    let (a, b) = pair(|_| {}).await;
    let mut on_a = a.open().await;
    let session = on_a.session.clone().unwrap();
    let _on_b = b.open().await;
    // The list through either replica holds both sessions, once each.
    for server in [&a, &b] {
        let list: serde_json::Value =
            serde_json::from_str(&http_get(server.addr, "/api/v1/sessions").await.body).unwrap();
        let ids: Vec<&str> = list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "{list}");
        assert!(ids.contains(&session.as_str()), "{list}");
    }
    // A replica asked for its own sessions lists only those.
    let local: serde_json::Value =
        serde_json::from_str(&http_get(b.addr, "/api/v1/sessions?scope=local").await.body).unwrap();
    assert_eq!(local["sessions"].as_array().unwrap().len(), 1, "{local}");
    // Renaming and ending a's session through b.
    let path = format!("/api/v1/sessions/{session}");
    let renamed = http_request(b.addr, "PATCH", &path, &[], r#"{"name":"build box"}"#).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert!(renamed.body.contains("build box"), "{}", renamed.body);
    let ended = http_request(b.addr, "DELETE", &path, &[], "").await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    on_a.read_to_end().await;
    // A crafted id pointing at no replica: 404 at once.
    let crafted = format!("/api/v1/sessions/9.{}", "0".repeat(32));
    let response = http_request(b.addr, "PATCH", &crafted, &[], r#"{"name":"x"}"#).await;
    assert_eq!(response.status, 404, "{}", response.body);
}
