//! The session API (`/api/v1/sessions`) against a real server, with real JWKS and signed tokens
//! for several users: each sees and changes only their own sessions.

mod common;

use common::jwks::{ISSUER, JwksServer, TestKey, auth_config, claims, provider};
use common::{
    HttpResponse, TestServer, api_request as api, http_request, json_body, list_sessions as list,
};
use serde_json::{Value, json};

fn token(key: &TestKey, user: &str) -> String {
    key.sign(&claims(ISSUER, user, 600))
}

/// Authentication on, allowing alice and bob.
async fn server_for_alice_and_bob() -> (TestServer, TestKey, JwksServer) {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec!["user:default/alice".into(), "user:default/bob".into()];
    let server = TestServer::start_auth(auth, true).await;
    (server, key, jwks)
}

#[tokio::test]
async fn each_user_lists_renames_and_ends_only_their_own_sessions() {
    let (server, key, _jwks) = server_for_alice_and_bob().await;
    let (alice, bob) = (
        token(&key, "user:default/alice"),
        token(&key, "user:default/bob"),
    );
    let mut alices = server.open_with_token(&alice).await;
    let alices_id = alices.expect_opened().await;
    let mut bobs = server.open_with_token(&bob).await;
    let bobs_id = bobs.expect_opened().await;

    let listed = list(&server, &alice).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert_eq!(entry["id"], alices_id.as_str());
    assert_eq!(entry["owner"], "user:default/alice");
    assert_eq!(entry["role"], "owner");
    assert_eq!(entry["name"], "");
    assert_eq!(entry["viewers"], 1);
    assert_eq!(
        (entry["cols"].as_u64(), entry["rows"].as_u64()),
        (Some(80), Some(24))
    );
    for field in ["created", "last_activity"] {
        let time = entry[field].as_str().unwrap();
        assert!(time.ends_with('Z') && time.len() == 24, "{field}: {time}");
    }
    assert_eq!(list(&server, &bob).await[0]["id"], bobs_id.as_str());

    // Rename: the owner only; the answer is the session as listed.
    let path = format!("/api/v1/sessions/{alices_id}");
    let renamed = api(
        &server,
        "PATCH",
        &path,
        Some(&alice),
        r#"{"name":"  build box "}"#,
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(json_body(&renamed)["name"], "build box");
    assert_eq!(list(&server, &alice).await[0]["name"], "build box");
    let refused = api(
        &server,
        "PATCH",
        &path,
        Some(&bob),
        r#"{"name":"mine now"}"#,
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(list(&server, &alice).await[0]["name"], "build box");

    // End: bob cannot end alice's session; alice can, and her viewer sees the shell go.
    let refused = api(&server, "DELETE", &path, Some(&bob), "").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let ended = api(&server, "DELETE", &path, Some(&alice), "").await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    let (exit, _) = alices.read_to_end().await;
    assert!(exit.is_some(), "the viewer is told the shell exited");
    for _ in 0..50 {
        if list(&server, &alice).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(list(&server, &alice).await.is_empty());
    let gone = api(&server, "DELETE", &path, Some(&alice), "").await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    // Bob's session lives on.
    bobs.type_line("echo still-$((6*7))").await;
    bobs.read_until("still-42").await;
}

#[tokio::test]
async fn the_api_refuses_missing_bad_and_unlisted_tokens() {
    let (server, key, _jwks) = server_for_alice_and_bob().await;
    let missing = api(&server, "GET", "/api/v1/sessions", None, "").await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let forged = token(&TestKey::es256("k1"), "user:default/alice");
    assert_eq!(
        api(&server, "GET", "/api/v1/sessions", Some(&forged), "")
            .await
            .status,
        401
    );
    let carol = token(&key, "user:default/carol");
    assert_eq!(
        api(&server, "GET", "/api/v1/sessions", Some(&carol), "")
            .await
            .status,
        403
    );
    let path = "/api/v1/sessions/0123456789abcdef0123456789abcdef";
    assert_eq!(
        api(&server, "DELETE", path, Some(&carol), "").await.status,
        403
    );
    assert_eq!(api(&server, "DELETE", path, None, "").await.status, 401);
}

#[tokio::test]
async fn bad_changes_get_a_clear_400_and_change_nothing() {
    let server = TestServer::start().await;
    let mut client = server.open().await;
    let id = client.session.clone().unwrap();
    let path = format!("/api/v1/sessions/{id}");
    let long = format!(r#"{{"name":"{}"}}"#, "x".repeat(65));
    for (body, says) in [
        ("not json", "expected"),
        (r#"{"nam":"typo"}"#, "unknown field"),
        (r#"{"name":42}"#, "invalid type"),
        (long.as_str(), "at most 64 characters"),
        (r#"{"name":"a\u001b[31mb"}"#, "no control characters"),
    ] {
        let response = api(&server, "PATCH", &path, None, body).await;
        assert_eq!(response.status, 400, "{body}: {}", response.body);
        let error = json_body(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(says), "{body}: {error}");
    }
    // With authentication off everyone is the one user, and owns every session.
    let listed = list(&server, "ignored").await;
    assert_eq!(listed[0]["name"], "");
    assert_eq!(listed[0]["role"], "owner");
    let unknown = api(
        &server,
        "PATCH",
        "/api/v1/sessions/nope",
        None,
        r#"{"name":"x"}"#,
    )
    .await;
    assert_eq!(unknown.status, 404);
    // The session is unharmed.
    client.type_line("echo fine-$((2*21))").await;
    client.read_until("fine-42").await;
}

#[tokio::test]
async fn a_page_from_another_origin_cannot_use_the_api() {
    let server = TestServer::start().await;
    let client = server.open().await;
    let id = client.session.clone().unwrap();
    let path = format!("/api/v1/sessions/{id}");
    let response = http_request(
        server.addr,
        "DELETE",
        &path,
        &[("Origin", "https://evil.example")],
        "",
    )
    .await;
    assert_eq!(response.status, 403, "{}", response.body);
    let same_origin = format!("http://{}", server.addr);
    let response = http_request(
        server.addr,
        "GET",
        "/api/v1/sessions",
        &[("Origin", &same_origin)],
        "",
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json_body(&response)["sessions"][0]["id"], id.as_str());
}

#[tokio::test]
async fn opened_says_the_role() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    client
        .send_json(json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    let message = client.next().await.unwrap();
    let opened: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!(opened["type"], "opened");
    assert_eq!(opened["role"], "owner");
}

/// Alice, bob, carol (in group ops, allowed by the group) and dave are allowed; returns their
/// tokens too.
async fn server_for_four() -> (TestServer, [String; 4], JwksServer) {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec![
        "user:default/alice".into(),
        "user:default/bob".into(),
        "user:default/dave".into(),
    ];
    let server = TestServer::start_auth(auth, true).await;
    let mut carol = claims(ISSUER, "user:default/carol", 600);
    carol["groups"] = json!(["ops"]);
    let tokens = [
        token(&key, "user:default/alice"),
        token(&key, "user:default/bob"),
        key.sign(&carol),
        token(&key, "user:default/dave"),
    ];
    (server, tokens, jwks)
}

/// Attaches to `session` with `token`; returns the client and the role `opened` gave.
async fn attach_as(server: &TestServer, session: &str, token: &str) -> (common::Client, String) {
    let mut client = server.attach_with_token(session, token).await;
    loop {
        let message = client.next().await.expect("opened");
        if let Ok(text) = message.to_text() {
            let opened: Value = serde_json::from_str(text).unwrap();
            assert_eq!(opened["type"], "opened", "{text}");
            return (client, opened["role"].as_str().unwrap().to_owned());
        }
    }
}

async fn share(server: &TestServer, id: &str, token: &str, body: Value) -> HttpResponse {
    let path = format!("/api/v1/sessions/{id}/shares");
    api(server, "POST", &path, Some(token), &body.to_string()).await
}

async fn unshare(server: &TestServer, id: &str, token: &str, subject: &str) -> HttpResponse {
    let path = format!("/api/v1/sessions/{id}/shares");
    let body = json!({ "subject": subject }).to_string();
    api(server, "DELETE", &path, Some(token), &body).await
}

#[tokio::test]
async fn a_view_share_watches_without_typing_and_a_revocation_cuts_it_off() {
    let (server, [alice, bob, _, dave], _jwks) = server_for_four().await;
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;

    // Before the share bob is refused, as dave stays.
    let mut refused = server.attach_with_token(&id, &bob).await;
    refused.expect_close(4403).await;

    let shared = share(
        &server,
        &id,
        &alice,
        json!({"subject": "bob", "role": "view"}),
    )
    .await;
    assert_eq!(shared.status, 201, "{}", shared.body);
    assert_eq!(
        json_body(&shared),
        json!({"subject": "user:default/bob", "role": "view"})
    );
    let listed = list(&server, &bob).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0]["role"].as_str(), listed[0]["owner"].as_str()),
        (Some("view"), Some("user:default/alice"))
    );
    assert_eq!(
        listed[0]["shares"],
        json!([]),
        "only the owner sees the shares"
    );
    assert_eq!(
        list(&server, &alice).await[0]["shares"],
        json!([{"subject": "user:default/bob", "role": "view"}])
    );

    let (mut watcher, role) = attach_as(&server, &id, &bob).await;
    assert_eq!(role, "view");
    // What bob types never reaches the shell: he is told once, and his size never applies.
    watcher.type_line("echo from-bob").await;
    watcher.resize(33, 11).await;
    let mut told = 0;
    for _ in 0..2 {
        match watcher.next().await {
            Some(tokio_tungstenite::tungstenite::Message::Text(text))
                if text.contains("readonly") =>
            {
                told += 1
            }
            _ => {}
        }
    }
    assert_eq!(told, 1, "told once that it is read-only");
    owner.type_line("stty size; echo from-$((6*7))").await;
    owner.read_until("from-42").await;
    watcher.read_until("from-42").await;
    assert!(
        !owner.output_text().contains("from-bob"),
        "{}",
        owner.output_text()
    );
    assert!(
        owner.output_text().contains("24 80"),
        "the viewer's size did not apply: {}",
        owner.output_text()
    );

    let mut outsider = server.attach_with_token(&id, &dave).await;
    outsider.expect_close(4403).await;
    // Only the owner shares, renames or ends.
    let path = format!("/api/v1/sessions/{id}");
    assert_eq!(
        share(
            &server,
            &id,
            &bob,
            json!({"subject": "dave", "role": "write"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        api(&server, "DELETE", &path, Some(&bob), "").await.status,
        403
    );

    // Revoked: bob's connection is closed at once with 4403, and he cannot come back.
    let revoked = unshare(&server, &id, &alice, "user:default/bob").await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    assert_eq!(
        watcher.expect_close(4403).await,
        "share withdrawn or changed"
    );
    assert!(list(&server, &bob).await.is_empty());
    let mut again = server.attach_with_token(&id, &bob).await;
    again.expect_close(4403).await;
    assert_eq!(unshare(&server, &id, &alice, "bob").await.status, 404);
    owner.type_line("echo owner-$((6*7))").await;
    owner.read_until("owner-42").await;
}

#[tokio::test]
async fn a_write_share_with_a_group_lets_its_members_type() {
    let (server, [alice, _, carol, dave], _jwks) = server_for_four().await;
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    let shared = share(
        &server,
        &id,
        &alice,
        json!({"subject": "group:default/OPS", "role": "write"}),
    )
    .await;
    assert_eq!(json_body(&shared)["subject"], "group:default/ops");
    let (mut member, role) = attach_as(&server, &id, &carol).await;
    assert_eq!(role, "write");
    member.type_line("echo typed-by-$((6*7))-carol").await;
    owner.read_until("typed-by-42-carol").await;
    // Dave is in no group with a share.
    server
        .attach_with_token(&id, &dave)
        .await
        .expect_close(4403)
        .await;
    // Lowered to view: carol is cut off, and comes back as a viewer.
    share(
        &server,
        &id,
        &alice,
        json!({"subject": "group:default/ops", "role": "view"}),
    )
    .await;
    assert_eq!(
        member.expect_close(4403).await,
        "share withdrawn or changed"
    );
    let (_member, role) = attach_as(&server, &id, &carol).await;
    assert_eq!(role, "view");
}

#[tokio::test]
async fn bad_share_requests_get_a_clear_400() {
    let (server, [alice, ..], _jwks) = server_for_four().await;
    let mut owner = server.open_with_token(&alice).await;
    let id = owner.expect_opened().await;
    for (body, says) in [
        (json!({"subject": "bob", "role": "owner"}), "role must be"),
        (json!({"subject": "bob"}), "role must be"),
        (json!({"subject": "", "role": "view"}), "entity ref"),
        (
            json!({"subject": "component:default/x", "role": "view"}),
            "entity ref",
        ),
        (
            json!({"subject": "bob", "role": "view", "until": 5}),
            "unknown field",
        ),
    ] {
        let response = share(&server, &id, &alice, body.clone()).await;
        assert_eq!(response.status, 400, "{body}: {}", response.body);
        let error = json_body(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(says), "{body}: {error}");
    }
    let response = api(
        &server,
        "DELETE",
        &format!("/api/v1/sessions/{id}/shares"),
        Some(&alice),
        r#"{"subject":"bob","role":"view"}"#,
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert!(
        list(&server, &alice).await[0]["shares"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
