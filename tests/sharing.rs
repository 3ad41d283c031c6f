//! Sharing a session, from the outside, against a real server with real JWKS, tokens, PTYs and
//! WebSockets: who is watching (presence, in the list and in the audit log), the allow and deny
//! lists beating a share, and what a share does not give (the recording).

mod common;

use std::path::Path;

use common::jwks::{ISSUER, JwksServer, TestKey, auth_config, claims, provider};
use common::{HttpResponse, TestServer, api_request, json_body, list_sessions as list};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn api(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> HttpResponse {
    api_request(server, method, path, Some(token), body).await
}

async fn share(server: &TestServer, id: &str, token: &str, subject: &str, role: &str) {
    let path = format!("/api/v1/sessions/{id}/shares");
    let body = json!({"subject": subject, "role": role}).to_string();
    let response = api(server, "POST", &path, token, &body).await;
    assert_eq!(response.status, 201, "{}", response.body);
}

/// Attaches to `session` with `token` and waits for `opened`.
async fn attach(server: &TestServer, session: &str, token: &str) -> common::Client {
    let mut client = server.attach_with_token(session, token).await;
    client.expect_opened().await;
    client
}

/// The signing key and a token for `user` in `groups`.
fn token_in(key: &TestKey, user: &str, groups: &[&str]) -> String {
    let mut claims = claims(ISSUER, user, 600);
    claims["groups"] = json!(groups);
    key.sign(&claims)
}

/// Authentication on, allowing alice, bob and the group ops (carol, erin), with `adjust` for the
/// rest; the audit log in `dir`.
async fn server_with(
    dir: &Path,
    adjust: impl FnOnce(&mut web_terminal::Config),
) -> (TestServer, TestKey, JwksServer) {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec!["user:default/alice".into(), "user:default/bob".into()];
    auth.authorization.allowed_groups = vec!["group:default/ops".into()];
    auth.audit.enabled = Some(true);
    auth.audit.log_file = Some(dir.join("audit.jsonl"));
    let server = TestServer::start_with(|config| {
        config.auth = auth;
        adjust(config);
    })
    .await;
    let state = server.state.clone();
    common::eventually("signing keys load", || state.keys_ready()).await;
    (server, key, jwks)
}

fn audit_records(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The `watchers` of the one session `token` lists, once `settled` accepts them.
async fn watchers_once(
    server: &TestServer,
    token: &str,
    settled: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let listed = list(server, token).await;
        if settled(&listed[0]["watchers"]) {
            return listed[0]["watchers"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the watchers never settled: {:?}",
        list(server, token).await
    );
}

#[tokio::test]
async fn everyone_with_access_sees_who_watches_and_only_the_owner_sees_their_roles() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key, _jwks) = server_with(dir.path(), |_| {}).await;
    let alice = token_in(&key, "user:default/alice", &[]);
    let bob = token_in(&key, "user:default/bob", &[]);
    let carol = token_in(&key, "user:default/carol", &["ops"]);
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    assert_eq!(
        list(&server, &alice).await[0]["watchers"],
        json!([{"user": "user:default/alice", "role": "owner", "connections": 1}])
    );

    share(&server, &id, &alice, "bob", "view").await;
    share(&server, &id, &alice, "group:ops", "write").await;
    let bobs_tab = attach(&server, &id, &bob).await;
    let bobs_phone = attach(&server, &id, &bob).await;
    let carols = attach(&server, &id, &carol).await;

    let everyone = json!([
        {"user": "user:default/alice", "role": "owner", "connections": 1},
        {"user": "user:default/carol", "role": "write", "connections": 1},
        {"user": "user:default/bob", "role": "view", "connections": 2},
    ]);
    assert_eq!(list(&server, &alice).await[0]["watchers"], everyone);
    let listed = list(&server, &bob).await;
    assert_eq!(
        listed[0]["watchers"],
        json!([
            {"user": "user:default/alice", "connections": 1},
            {"user": "user:default/carol", "connections": 1},
            {"user": "user:default/bob", "connections": 2},
        ]),
        "a viewer sees who watches, not their roles"
    );
    assert_eq!(listed[0]["viewers"], 4);

    // Leaving is seen at once: bob's phone, then carol, whose share is revoked.
    drop(bobs_phone);
    watchers_once(&server, &alice, |watchers| watchers[2]["connections"] == 1).await;
    let path = format!("/api/v1/sessions/{id}/shares");
    let body = json!({"subject": "group:ops"}).to_string();
    assert_eq!(
        api(&server, "DELETE", &path, &alice, &body).await.status,
        204
    );
    let after = watchers_once(&server, &alice, |watchers| {
        watchers.as_array().unwrap().len() == 2
    })
    .await;
    assert_eq!(
        after,
        json!([
            {"user": "user:default/alice", "role": "owner", "connections": 1},
            {"user": "user:default/bob", "role": "view", "connections": 1},
        ])
    );
    drop((bobs_tab, carols));

    // Every join and leave is an audit record, with the role on the join.
    common::eventually("bob's and carol's detaches", || {
        audit_records(dir.path())
            .iter()
            .filter(|record| record["event"] == "session_detach")
            .count()
            >= 3
    })
    .await;
    let records = audit_records(dir.path());
    let of = |event: &str, user: &str| -> Vec<&Value> {
        records
            .iter()
            .filter(|record| {
                record["event"] == event
                    && record["user"] == user
                    && record["session_id"] == id.as_str()
            })
            .collect()
    };
    let bobs_joins = of("session_attach", "user:default/bob");
    assert_eq!(bobs_joins.len(), 2, "{records:?}");
    assert!(bobs_joins.iter().all(|record| record["role"] == "view"));
    assert_eq!(of("session_detach", "user:default/bob").len(), 2);
    assert_eq!(
        of("session_attach", "user:default/carol")[0]["role"],
        "write"
    );
    assert_eq!(of("session_detach", "user:default/carol").len(), 1);
    owner.type_line("echo owner-$((6*7))").await;
    owner.read_until("owner-42").await;
}

#[tokio::test]
async fn a_deny_list_beats_a_share() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key, _jwks) = server_with(dir.path(), |config| {
        config.auth.authorization.deny_users = vec!["user:default/carol".into()];
    })
    .await;
    let alice = token_in(&key, "user:default/alice", &[]);
    let carol = token_in(&key, "user:default/carol", &["ops"]);
    let erin = token_in(&key, "user:default/erin", &["ops"]);
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    // Shared with carol by name and through her group: the deny list still wins.
    share(&server, &id, &alice, "carol", "write").await;
    share(&server, &id, &alice, "group:ops", "write").await;
    let refused = api(&server, "GET", "/api/v1/sessions", &carol, "").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let mut denied = server.attach_with_token(&id, &carol).await;
    denied.expect_close(4403).await;
    let recording = format!("/api/v1/sessions/{id}/recording");
    assert_eq!(
        api(&server, "GET", &recording, &carol, "").await.status,
        403
    );
    // Her group's other member is let in by the same share.
    let mut member = attach(&server, &id, &erin).await;
    member.type_line("echo erin-$((6*7))").await;
    owner.read_until("erin-42").await;
    assert!(
        audit_records(dir.path()).iter().any(|record| {
            record["event"] == "access_denied" && record["user"] == "user:default/carol"
        }),
        "the refusal is audited"
    );
}

#[tokio::test]
async fn a_share_does_not_give_the_recording_and_the_list_shows_what_each_may_replay() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    let (server, key, _jwks) = server_with(dir.path(), |config| {
        config.recording_dir = Some(recordings);
        config.recording_auditors = vec!["auditors".into()];
    })
    .await;
    let alice = token_in(&key, "user:default/alice", &[]);
    let bob = token_in(&key, "user:default/bob", &[]);
    let auditor = token_in(&key, "user:default/carol", &["ops", "auditors"]);
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    share(&server, &id, &alice, "bob", "view").await;
    let mut bobs = server.open_with_token(&bob).await;
    let bobs_id = bobs.expect_opened().await;

    assert_eq!(list(&server, &alice).await[0]["recording"], true);
    let bobs_view = list(&server, &bob).await;
    let shared = bobs_view.iter().find(|s| s["id"] == id.as_str()).unwrap();
    assert_eq!(shared["recording"], false, "bob may not replay alice's");
    let path = format!("/api/v1/sessions/{id}/recording");
    assert_eq!(api(&server, "GET", &path, &bob, "").await.status, 403);

    let recordings_of = |token: String| {
        let server = &server;
        async move {
            let response = api(server, "GET", "/api/v1/recordings", &token, "").await;
            assert_eq!(response.status, 200, "{}", response.body);
            assert_eq!(response.header("cache-control"), Some("no-store"));
            assert_eq!(json_body(&response)["enabled"], true);
            json_body(&response)["recordings"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let alices = recordings_of(alice.clone()).await;
    assert_eq!(alices.len(), 1, "{alices:?}");
    assert_eq!(
        (alices[0]["id"].as_str(), alices[0]["owner"].as_str()),
        (Some(id.as_str()), Some("user:default/alice"))
    );
    assert_eq!(alices[0]["live"], true);
    assert!(alices[0]["bytes"].as_u64().unwrap() > 0);
    let bobs_list = recordings_of(bob.clone()).await;
    assert_eq!(bobs_list.len(), 1);
    assert_eq!(bobs_list[0]["id"], bobs_id.as_str(), "only his own");
    assert_eq!(
        recordings_of(auditor.clone()).await.len(),
        2,
        "auditors see all"
    );

    // Ended, the session leaves the session list, but its owner still finds and replays it.
    owner.type_line("echo replay-me-$((6*7)); exit").await;
    owner.read_to_end().await;
    common::eventually("the session ends", || server.state.session_count() == 1).await;
    let alices = recordings_of(alice.clone()).await;
    assert_eq!(alices[0]["live"], false);
    let fetched = api(&server, "GET", &path, &alice, "").await;
    assert_eq!(fetched.status, 200);
    assert!(fetched.body.contains("replay-me-42"));
}

/// What a client that asked for `size` reads until `needle` is in its output: each text message
/// as its JSON, each binary frame as its text.
async fn messages_until(client: &mut common::Client, needle: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    while !client.output_text().contains(needle) {
        match client.next().await {
            Some(Message::Text(text)) => seen.push(serde_json::from_str(&text).unwrap()),
            Some(Message::Binary(bytes)) => {
                client.output.extend_from_slice(&bytes);
                seen.push(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            }
            Some(Message::Ping(_) | Message::Pong(_)) => {}
            other => panic!("waiting for {needle:?}, got {other:?}"),
        }
    }
    seen
}

#[tokio::test]
async fn a_watcher_that_asks_is_told_the_sessions_size_in_order_with_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key, _jwks) = server_with(dir.path(), |_| {}).await;
    let alice = token_in(&key, "user:default/alice", &[]);
    let bob = token_in(&key, "user:default/bob", &[]);
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    share(&server, &id, &alice, "bob", "view").await;

    // Bob's window is smaller: as a watcher, his size does not apply; he is told the session's.
    let mut watcher = server.connect().await;
    watcher
        .send_json(json!({"type": "attach", "session": id, "token": bob, "cols": 40, "rows": 10, "size": true}))
        .await;
    watcher.expect_opened().await;
    let Some(Message::Text(first)) = watcher.next().await else {
        panic!("expected the size before the snapshot");
    };
    assert_eq!(first.as_str(), r#"{"type":"size","cols":80,"rows":24}"#);
    assert!(
        matches!(watcher.next().await, Some(Message::Binary(_))),
        "then the snapshot"
    );

    owner.type_line("printf 'before-%s\\n' 1").await;
    let before = messages_until(&mut watcher, "before-1").await;
    assert!(before.iter().all(Value::is_string), "{before:?}");

    owner.resize(100, 30).await;
    owner.type_line("printf 'after-%s\\n' 2").await;
    let after = messages_until(&mut watcher, "after-2").await;
    let told = after
        .iter()
        .position(|message| message == &json!({"type": "size", "cols": 100, "rows": 30}))
        .unwrap_or_else(|| panic!("no size message: {after:?}"));
    let text =
        |messages: &[Value]| -> String { messages.iter().filter_map(Value::as_str).collect() };
    assert!(!text(&after[..told]).contains("after-2"), "{after:?}");
    assert!(text(&after[told..]).contains("after-2"), "{after:?}");
    assert_eq!(
        after.iter().filter(|message| message.is_object()).count(),
        1,
        "{after:?}"
    );

    // The owner did not ask: it gets output only (read_until refuses any text message).
    owner.read_until("after-2").await;
}
