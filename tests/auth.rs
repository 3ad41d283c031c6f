//! Authentication and authorization against a real server: JWKS served over real HTTP from the
//! test, tokens minted with RSA, EC and Ed25519 keys generated here, real WebSockets and PTYs.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::jwks::*;
use common::*;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use web_terminal::workspace_folder_name as folder_name;

/// A metric's value, or `None` while it has no sample.
async fn metric_if_present(server: &TestServer, prefix: &str) -> Option<f64> {
    http_get(server.addr, "/api/v1/metrics")
        .await
        .body
        .lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

fn alice(key: &TestKey) -> String {
    key.sign(&claims(ISSUER, "user:default/alice", 600))
}

/// Opens a session with `token` and proves the shell works; returns the client.
async fn open_shell(server: &TestServer, token: &str) -> Client {
    let mut client = server.open_with_token(token).await;
    client.expect_opened().await;
    client.type_line("echo ok-$((40+2))").await;
    client.read_until("ok-42").await;
    client
}

#[tokio::test]
async fn good_tokens_of_every_key_type_open_a_shell() {
    let keys = [
        TestKey::rsa("rs256", Algorithm::RS256),
        TestKey::rsa("ps384", Algorithm::PS384),
        TestKey::es256("es256"),
        TestKey::es384("es384"),
        TestKey::ed25519("eddsa"),
    ];
    let jwks = JwksServer::start(&keys.iter().collect::<Vec<_>>()).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;
    for key in &keys {
        let mut client = open_shell(&server, &alice(key)).await;
        client.type_line("exit").await;
        client.read_to_end().await;
    }
    // The header works as well as the first message.
    let mut client = server.connect_with_header(&alice(&keys[2])).await;
    client
        .send_json(json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    client.expect_opened().await;
}

#[tokio::test]
async fn missing_expired_and_not_yet_valid_tokens_are_refused_with_4401() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;

    let mut client = server.connect().await;
    client
        .send_json(json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    assert_eq!(client.expect_close(4401).await, "authentication required");

    let now = now();
    let expired = json!({"iss": ISSUER, "sub": "alice", "iat": now - 3600, "exp": now - 120});
    assert_eq!(
        server.refused(&key.sign(&expired), 4401).await,
        "token expired"
    );
    let early = json!({"iss": ISSUER, "sub": "alice", "nbf": now + 120, "exp": now + 3600});
    assert_eq!(
        server.refused(&key.sign(&early), 4401).await,
        "invalid token"
    );
    let no_exp = json!({"iss": ISSUER, "sub": "alice"});
    server.refused(&key.sign(&no_exp), 4401).await;
    let no_sub = json!({"iss": ISSUER, "exp": now + 600});
    server.refused(&key.sign(&no_sub), 4401).await;
    server.refused("not a token", 4401).await;
    // Within the leeway (30 s), a just-expired token is still accepted.
    let just = json!({"iss": ISSUER, "sub": "alice", "exp": now - 5});
    let mut client = server.open_with_token(&key.sign(&just)).await;
    client.expect_opened().await;
    // ... and the connection is closed at once because its token has expired.
    assert_eq!(client.expect_close(4401).await, "token expired");
}

#[tokio::test]
async fn wrong_issuer_and_wrong_audience_are_refused() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut provider = provider(&jwks);
    provider.audience = Some(web_terminal::auth::config::OneOrMany::One(
        "terminal".into(),
    ));
    let server = TestServer::start_auth(auth_config(provider), true).await;

    let mut good = claims(ISSUER, "alice", 600);
    good["aud"] = json!(["other", "terminal"]);
    open_shell(&server, &key.sign(&good)).await;

    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("https://evil.test");
    server.refused(&key.sign(&wrong_issuer), 4401).await;
    let mut wrong_audience = good.clone();
    wrong_audience["aud"] = json!("other");
    server.refused(&key.sign(&wrong_audience), 4401).await;
    let mut no_audience = good.clone();
    no_audience.as_object_mut().unwrap().remove("aud");
    server.refused(&key.sign(&no_audience), 4401).await;
    assert!(
        server
            .metric("web_terminal_auth_total{reason=\"wrong_audience\",result=\"failure\"}")
            .await
            >= 1.0
    );
    assert!(
        server
            .metric("web_terminal_auth_total{reason=\"unknown_issuer\",result=\"failure\"}")
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_rotation_is_accepted() {
    let old = TestKey::es256("old");
    let new = TestKey::ed25519("new");
    let jwks = JwksServer::start(&[&old]).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;
    open_shell(&server, &alice(&old)).await;
    let loaded = jwks.jwks_hits();

    // The new key is not published yet: refused, after one refetch.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    server.refused(&alice(&new), 4401).await;
    assert_eq!(
        jwks.jwks_hits(),
        loaded + 1,
        "an unknown kid refetches once"
    );
    // More unknown kids within min_refresh_interval: no more requests to the provider.
    for _ in 0..5 {
        server.refused(&alice(&new), 4401).await;
    }
    assert_eq!(jwks.jwks_hits(), loaded + 1, "refetches are rate-limited");

    // Rotation: the new key appears at the URL and is accepted after one refetch.
    jwks.set_keys(&[&old, &new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    open_shell(&server, &alice(&new)).await;
    assert_eq!(jwks.jwks_hits(), loaded + 2);
    open_shell(&server, &alice(&new)).await;
    assert_eq!(jwks.jwks_hits(), loaded + 2, "a known kid needs no fetch");
    assert!(
        server
            .metric("web_terminal_auth_total{reason=\"unknown_kid\",result=\"failure\"}")
            .await
            >= 6.0
    );
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let rsa = TestKey::rsa("rsa", Algorithm::RS256);
    let jwks = JwksServer::start(&[&rsa]).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;
    let payload = claims(ISSUER, "user:default/alice", 600);

    // alg: none, with and without a signature.
    let none = json!({"alg": "none", "typ": "JWT"});
    for signature in [&b""[..], b"x"] {
        let reason = server
            .refused(&raw_token(&none, &payload, signature), 4401)
            .await;
        assert_eq!(reason, "invalid token");
    }
    // HS256 "signed" with the RSA public key's bytes (the key-confusion attack), as DER and as
    // the JWK's modulus.
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "rsa"});
    let secrets = [
        rsa.public_der.clone().unwrap(),
        rsa.jwk["n"].as_str().unwrap().as_bytes().to_vec(),
    ];
    for secret in secrets {
        let unsigned = raw_token(&header, &payload, b"");
        let signing_input = unsigned.trim_end_matches('.');
        let signature = hmac_sha256(&secret, signing_input.as_bytes());
        let token = raw_token(&header, &payload, &signature);
        server.refused(&token, 4401).await;
    }
    // A tampered payload: a valid token whose claims were changed after signing.
    let genuine = rsa.sign(&claims(ISSUER, "user:default/mallory", 600));
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    parts[1] = raw_token(&json!({}), &payload, b"")
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    server.refused(&parts.join("."), 4401).await;
    // The untampered token is good (and mallory is simply not allowed).
    server.refused(&genuine, 4403).await;
    assert!(
        server
            .metric("web_terminal_auth_total{reason=\"algorithm_not_allowed\",result=\"failure\"}")
            .await
            >= 4.0
    );
    assert!(
        server
            .metric("web_terminal_auth_total{reason=\"bad_signature\",result=\"failure\"}")
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn a_deny_group_beats_an_allowed_user() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.deny_groups = vec!["contractors".into()];
    let server = TestServer::start_auth(auth, true).await;

    let mut contractor = claims(ISSUER, "user:default/alice", 600);
    contractor["groups"] = json!(["group:default/contractors"]);
    assert_eq!(
        server.refused(&key.sign(&contractor), 4403).await,
        "access denied"
    );
    // In an allowed group, by the groups claim (names normalised).
    let mut member = claims(ISSUER, "user:default/bob", 600);
    member["groups"] = json!(["OPS"]);
    open_shell(&server, &key.sign(&member)).await;
    // Neither listed nor in a listed group.
    server
        .refused(&key.sign(&claims(ISSUER, "user:default/carol", 600)), 4403)
        .await;
}

#[tokio::test]
async fn empty_allow_lists_refuse_everyone() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users.clear();
    auth.authorization.allowed_groups.clear();
    assert!(!auth.warnings().is_empty(), "a start-up warning says so");
    let server = TestServer::start_auth(auth, true).await;
    server.refused(&alice(&key), 4403).await;
    assert_eq!(
        server
            .metric("web_terminal_auth_total{reason=\"no_allow_rules\",result=\"denied\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn jwks_down_at_start_up_means_503_until_it_comes_up() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    jwks.set_up(false);
    let server = TestServer::start_auth(auth_config(provider(&jwks)), false).await;
    let started = jwks.jwks_hits();
    // Wait for at least one failed attempt, then /ready must say 503.
    eventually("a JWKS attempt", || jwks.jwks_hits() > started).await;
    let response = http_get(server.addr, "/ready").await;
    assert_eq!(response.status, 503, "{}", response.body);
    assert!(response.body.contains("signing keys"), "{}", response.body);
    server.refused(&alice(&key), 4401).await;
    assert_eq!(http_get(server.addr, "/health").await.status, 200);

    jwks.set_up(true);
    let deadline = tokio::time::Instant::now() + WAIT;
    while http_get(server.addr, "/ready").await.status != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "/ready stayed 503 with the JWKS up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    open_shell(&server, &alice(&key)).await;
    assert!(
        server
            .metric("web_terminal_jwks_refresh_total{provider=\"test\",result=\"failure\"}")
            .await
            >= 1.0
    );
    assert_eq!(
        server
            .metric("web_terminal_jwks_keys{provider=\"test\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn jwks_down_later_keeps_cached_keys_for_the_stale_window_then_fails_closed() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let mut provider = provider(&jwks);
    provider.cache_ttl = Some(1);
    provider.stale_window = 4;
    let server = TestServer::start_auth(auth_config(provider), true).await;
    jwks.set_up(false);
    // Wait for the refresh after cache_ttl to fail.
    let failures = "web_terminal_jwks_refresh_total{provider=\"test\",result=\"failure\"}";
    let deadline = tokio::time::Instant::now() + WAIT;
    while metric_if_present(&server, failures).await.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no failed refresh");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A refresh has failed, but the cached keys are within their stale window.
    open_shell(&server, &alice(&key)).await;
    assert_eq!(http_get(server.addr, "/ready").await.status, 200);
    // Past cache_ttl + stale_window: fail closed.
    let deadline = tokio::time::Instant::now() + WAIT;
    while http_get(server.addr, "/ready").await.status != 503 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stale keys were used forever"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.refused(&alice(&key), 4401).await;
}

#[tokio::test]
async fn a_token_in_the_query_is_refused() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;
    let token = alice(&key);
    for name in ["token", "access_token", "jwt"] {
        let mut client = server.connect_with_query(&format!("{name}={token}")).await;
        let reason = client.expect_close(4401).await;
        assert!(reason.contains("Authorization header"), "{reason}");
        assert!(!reason.contains(&token));
    }
    // Even with the same valid token also in the message.
    let mut client = server.connect_with_query(&format!("token={token}")).await;
    let _ = futures_util::SinkExt::send(
        &mut client.socket,
        tokio_tungstenite::tungstenite::Message::Text(
            json!({"type": "open", "cols": 80, "rows": 24, "token": token})
                .to_string()
                .into(),
        ),
    )
    .await;
    client.expect_close(4401).await;
    assert_eq!(server.state.session_count(), 0);
}

#[tokio::test]
async fn only_the_same_user_may_reattach() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let server = TestServer::start_auth(auth_config(provider(&jwks)), true).await;
    let mut first = open_shell(&server, &alice(&key)).await;
    let session = first.session.clone().unwrap();
    first.type_line("echo mine-$((1+1))").await;
    first.read_until("mine-2").await;
    drop(first);

    let mut bob = claims(ISSUER, "user:default/bob", 600);
    bob["groups"] = json!(["ops"]);
    let mut other = server.attach_with_token(&session, &key.sign(&bob)).await;
    assert_eq!(other.expect_close(4403).await, "access denied");
    // No token at all is 4401, not a peek at the session.
    let mut anonymous = server.connect().await;
    anonymous
        .send_json(json!({"type": "attach", "session": session}))
        .await;
    anonymous.expect_close(4401).await;

    // Alice, with a fresh token and a differently written but equal user ref, gets it back.
    let fresh = key.sign(&claims(ISSUER, "User:Default/Alice", 600));
    let mut again = server.attach_with_token(&session, &fresh).await;
    again.expect_opened().await;
    again.read_until("mine-2").await;
}

#[tokio::test]
async fn an_expired_token_closes_the_connection_but_keeps_the_session() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.leeway = 0;
    let server = TestServer::start_auth(auth, true).await;
    let short = key.sign(&claims(ISSUER, "user:default/alice", 3));
    let mut client = open_shell(&server, &short).await;
    let session = client.session.clone().unwrap();
    client.type_line("echo before-$((2+3))").await;
    client.read_until("before-5").await;
    // Closed with 4401 when exp passes (in about three seconds).
    assert_eq!(client.expect_close(4401).await, "token expired");
    assert_eq!(server.state.session_count(), 1, "the session is kept");
    let mut again = server.attach_with_token(&session, &alice(&key)).await;
    again.expect_opened().await;
    again.read_until("before-5").await;
}

#[tokio::test]
async fn each_user_gets_a_private_workspace_and_their_own_session_limit() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec![
        "alice".into(),
        "user:default/../../etc".into(),
        "bob".into(),
    ];
    let server = TestServer::start_with(|config| {
        config.auth = auth;
        config.max_sessions_per_user = 1;
    })
    .await;
    eventually("keys", || server.state.keys_ready()).await;
    let root = server.workspaces.path().canonicalize().unwrap();
    for sub in ["user:default/alice", "user:default/../../etc"] {
        let token = key.sign(&claims(ISSUER, sub, 600));
        let mut client = open_shell(&server, &token).await;
        client.type_line("echo \"cwd=$(pwd -P)=\"").await;
        client.read_until("=\r\n").await;
        let expected = root.join(folder_name(sub));
        assert!(
            client
                .output_text()
                .contains(&format!("cwd={}=", expected.display())),
            "{sub}: {}",
            client.output_text()
        );
        let mode = std::fs::metadata(&expected).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        // The per-user limit is one session: a second one is refused, for this user only.
        server.refused(&token, 4429).await;
    }
    assert!(!root.join("shared").exists());
    assert!(!root.parent().unwrap().join("etc").exists());
    open_shell(&server, &key.sign(&claims(ISSUER, "bob", 600))).await;
}

#[tokio::test]
async fn backstage_groups_come_from_user_info_when_ent_is_left_out() {
    let key = TestKey::es256("backstage");
    let jwks = JwksServer::start(&[&key]).await;
    let issuer = jwks.backstage_issuer();
    let provider = serde_json::from_value(json!({
        "name": "backstage", "url": jwks.url(), "issuer": issuer, "kind": "backstage",
        "audience": "backstage",
    }))
    .unwrap();
    let mut auth = auth_config(provider);
    auth.authorization.deny_groups = vec!["group:default/contractors".into()];
    let server = TestServer::start_auth(auth, true).await;
    let token = |sub: &str, ent: Option<Value>| {
        let mut claims = claims(&issuer, sub, 600);
        claims["aud"] = json!("backstage");
        if let Some(ent) = ent {
            claims["ent"] = ent;
        }
        key.sign(&claims)
    };

    // ent in the token: no user-info request.
    open_shell(
        &server,
        &token("user:default/dave", Some(json!(["group:default/ops"]))),
    )
    .await;
    assert_eq!(jwks.userinfo_hits(), 0);

    // ent left out: asked for with the caller's token, and cached for the token's life.
    jwks.set_ownership(
        "user:default/erin",
        &["user:default/erin", "group:default/ops"],
    );
    let erin = token("user:default/erin", None);
    open_shell(&server, &erin).await;
    open_shell(&server, &erin).await;
    assert_eq!(jwks.userinfo_hits(), 1);

    // A deny group known only to user info still wins.
    jwks.set_ownership(
        "user:default/frank",
        &["group:default/ops", "group:default/contractors"],
    );
    server
        .refused(&token("user:default/frank", None), 4403)
        .await;

    // User info down: no groups, no terminal (fail closed), and nothing internal leaks.
    jwks.set_userinfo_up(false);
    jwks.set_ownership("user:default/gina", &["group:default/ops"]);
    let reason = server
        .refused(&token("user:default/gina", None), 4401)
        .await;
    assert_eq!(reason, "invalid token");
}

#[tokio::test]
async fn the_audit_log_records_every_event_with_its_fields_and_no_token() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/auth-audit.log");
    let mut auth = auth_config(provider(&jwks));
    auth.audit.log_file = Some(log.clone());
    auth.audit.include_claims = true;
    let server = TestServer::start_with(|config| {
        config.auth = auth;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    eventually("keys", || server.state.keys_ready()).await;

    let good = alice(&key);
    let expired = key.sign(&json!({"iss": ISSUER, "sub": "alice", "exp": now() - 3600}));
    let mut stranger = claims(ISSUER, "user:default/stranger", 600);
    stranger["groups"] = json!(["visitors"]);
    let stranger = key.sign(&stranger);

    // Through a "proxy": the audit log names the forwarded client.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            server.ws_url(),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", "198.51.100.23".parse().unwrap());
    request
        .headers_mut()
        .insert("user-agent", "audit-test/1.0".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = Client {
        socket,
        output: Vec::new(),
        session: None,
    };
    client
        .send_json(json!({"type": "open", "cols": 80, "rows": 24, "token": good}))
        .await;
    let session = client.expect_opened().await;
    let mut viewer = server.attach_with_token(&session, &good).await;
    viewer.expect_opened().await;
    server.refused(&expired, 4401).await;
    server.refused(&stranger, 4403).await;
    client.type_line("sleep 1; exit 7").await;
    let (code, _) = client.read_to_end().await;
    assert_eq!(code, Some(7));
    eventually("the session is gone", || server.state.session_count() == 0).await;

    let text = std::fs::read_to_string(&log).unwrap();
    for token in [&good, &expired, &stranger] {
        assert!(
            !text.contains(token.as_str()),
            "a token is in the audit log"
        );
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !text.contains(signature),
            "a token's signature is in the audit log"
        );
    }
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for line in &lines {
        for field in [
            "time",
            "event",
            "user",
            "groups",
            "provider",
            "session_id",
            "remote_addr",
            "user_agent",
        ] {
            assert!(line.get(field).is_some(), "no {field} in {line}");
        }
    }
    let events: Vec<&str> = lines
        .iter()
        .map(|line| line["event"].as_str().unwrap())
        .collect();
    for event in [
        "auth_success",
        "auth_failure",
        "access_denied",
        "session_open",
        "session_attach",
        "session_close",
    ] {
        assert!(events.contains(&event), "no {event} in {events:?}");
    }
    let find = |event: &str| lines.iter().find(|line| line["event"] == event).unwrap();
    let open = find("session_open");
    assert_eq!(open["user"], "user:default/alice");
    assert_eq!(open["provider"], "test");
    assert_eq!(open["session_id"], session.as_str());
    assert_eq!(open["remote_addr"], "198.51.100.23");
    assert_eq!(open["user_agent"], "audit-test/1.0");
    let close = find("session_close");
    assert_eq!(close["exit_code"], 7);
    assert!(close["duration_secs"].as_f64().unwrap() >= 1.0);
    assert_eq!(close["remote_addr"], "198.51.100.23");
    assert_eq!(find("auth_failure")["reason"], "expired");
    let denied = find("access_denied");
    assert_eq!(denied["reason"], "not_allowed");
    assert_eq!(denied["user"], "user:default/stranger");
    assert_eq!(denied["groups"][0], "group:default/visitors");
    assert_eq!(find("auth_success")["claims"]["sub"], "user:default/alice");
    assert!(find("auth_failure").get("claims").is_none());
}

#[tokio::test]
async fn metrics_can_be_protected_and_ui_config_is_public() {
    let key = TestKey::es256("k");
    let jwks = JwksServer::start(&[&key]).await;
    let server = TestServer::start_with(|config| {
        config.auth = auth_config(provider(&jwks));
        config.metrics_public = false;
        config.allowed_origins = vec!["https://backstage.example.com".into()];
    })
    .await;
    eventually("keys", || server.state.keys_ready()).await;
    let response = http_get(server.addr, "/api/v1/metrics").await;
    assert_eq!(response.status, 401);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(http_get(server.addr, "/health").await.status, 200);
    assert_eq!(http_get(server.addr, "/ready").await.status, 200);
    assert_eq!(http_get(server.addr, "/").await.status, 200);

    let config = http_get(server.addr, "/api/v1/ui-config").await;
    assert_eq!(config.status, 200);
    let body: Value = serde_json::from_str(&config.body).unwrap();
    assert_eq!(
        body,
        json!({
            "auth": true,
            "embed_origins": ["https://backstage.example.com"],
            "transfer_max_bytes": 104_857_600,
        })
    );

    // With a token (raw HTTP, since the helper sends none).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let get = |token: String| async move {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = format!(
            "GET /api/v1/metrics HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        raw
    };
    let allowed = get(alice(&key)).await;
    assert!(allowed.starts_with("HTTP/1.0 200"), "{allowed}");
    assert!(allowed.contains("web_terminal_jwks_keys{provider=\"test\"} 1"));
    let denied = get(key.sign(&claims(ISSUER, "mallory", 600))).await;
    assert!(denied.starts_with("HTTP/1.0 403"), "{denied}");
}

#[tokio::test]
async fn ui_config_says_auth_is_off_and_everyone_shares_one_workspace() {
    let server = TestServer::start().await;
    let body: Value =
        serde_json::from_str(&http_get(server.addr, "/api/v1/ui-config").await.body).unwrap();
    assert_eq!(
        body,
        json!({"auth": false, "embed_origins": [], "transfer_max_bytes": 104_857_600})
    );
    // Tokens in the URL are refused even with authentication off.
    let mut client = server.connect_with_query("access_token=abc").await;
    client.expect_close(4401).await;
    let mut client = server.open().await;
    client.type_line("pwd -P").await;
    client.read_until("/shared").await;
}

/// `web-terminal check-config` with `env` (and nothing else from this process).
fn check_config(env: &[(&str, &str)]) -> std::process::Output {
    common::bare_server_command()
        .arg("check-config")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn check_config_validates_authentication_and_prints_the_effective_policy() {
    let providers = r#"[{"name":"corp","url":"https://user:pw@login.example.com/jwks","issuer":"https://login.example.com/"}]"#;
    let output = check_config(&[
        ("AUTH_ENABLED", "true"),
        ("AUTH_JWKS_PROVIDERS", providers),
        ("AUTH_ALLOWED_GROUPS", r#"["platform"]"#),
        ("AUTH_DENY_USERS", r#"["Mallory"]"#),
        // A network address is fine with authentication on.
        ("WEB_TERMINAL_HOST", "0.0.0.0"),
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("host = \"0.0.0.0\""), "{text}");
    for expected in [
        "enabled: true",
        "group:default/platform",
        "user:default/mallory",
        "https://login.example.com/jwks",
        "cache_ttl: 3600",
        "groups_claim: groups",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
    assert!(
        !text.contains("pw@"),
        "URL credentials must be redacted:\n{text}"
    );
    assert!(!text.contains("# warning"), "{text}");

    // Empty allow lists: valid, with a warning.
    let output = check_config(&[("AUTH_ENABLED", "true"), ("AUTH_JWKS_PROVIDERS", providers)]);
    assert!(output.status.success());
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("# warning: ")
    );

    // The shipped example file.
    let output = check_config(&[("WEB_TERMINAL_AUTH_CONFIG", "config/auth.yaml")]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{text}");
    assert!(text.contains("kind: backstage"), "{text}");

    // Refusals exit 2 and name the problem.
    for (env, expected) in [
        (&[("AUTH_ENABLED", "true")][..], "jwks_providers"),
        (&[("AUTH_ENABLED", "yes please")][..], "AUTH_ENABLED"),
        (
            &[("WEB_TERMINAL_AUTH_CONFIG", "/nonexistent.yaml")][..],
            "/nonexistent.yaml",
        ),
        (
            &[("WEB_TERMINAL_HOST", "0.0.0.0")][..],
            "refusing to listen",
        ),
    ] {
        let output = check_config(env);
        assert_eq!(output.status.code(), Some(2), "{env:?}");
        let error = String::from_utf8(output.stderr).unwrap();
        assert!(error.contains(expected), "{env:?}: {error}");
    }
}

/// The `start` command with authentication on against `jwks` and `extra` variables; returns the
/// child and its address, read from the first log line on stderr.
fn start_binary(
    jwks: &JwksServer,
    workspaces: &std::path::Path,
    extra: &[(&str, &str)],
) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::BufRead;
    let providers = json!([{"name": "test", "url": jwks.url(), "issuer": ISSUER}]).to_string();
    let mut child = common::bare_server_command()
        .arg("start")
        .env("WEB_TERMINAL_PORT", "0")
        .env("WEB_TERMINAL_WORKSPACES_DIR", workspaces)
        .env("WEB_TERMINAL_LOG_FORMAT", "json")
        .env("AUTH_ENABLED", "true")
        .env("AUTH_JWKS_PROVIDERS", providers)
        .env("AUTH_ALLOWED_USERS", r#"["user:default/alice"]"#)
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let log: Value = serde_json::from_str(&line).unwrap();
    let addr = log["fields"]["address"]
        .as_str()
        .or(log["address"].as_str())
        .unwrap_or_else(|| panic!("no address in {line}"))
        .parse()
        .unwrap();
    // Keep draining stderr into the child's handle so the server never blocks on it.
    child.stderr = None;
    std::thread::spawn(move || {
        let mut rest = String::new();
        while stderr.read_line(&mut rest).is_ok_and(|read| read > 0) {}
    });
    (child, addr)
}

/// Stops `child` and returns what it wrote to stdout.
fn stop_binary(mut child: std::process::Child) -> String {
    use std::io::Read;
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child.wait().unwrap();
    stdout
}

#[tokio::test]
async fn the_audit_log_goes_to_stdout_as_tagged_json_lines_without_a_file() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = start_binary(&jwks, dir.path(), &[]);
    let token = alice(&key);
    let bearer = format!("Bearer {token}");
    // The keys load in the background: until then the token is refused.
    let deadline = std::time::Instant::now() + WAIT;
    while http_request(
        addr,
        "GET",
        "/api/v1/sessions",
        &[("Authorization", &bearer)],
        "",
    )
    .await
    .status
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "alice is never let in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = http_request(
        addr,
        "GET",
        "/api/v1/sessions",
        &[("Authorization", "Bearer not-a-token")],
        "",
    )
    .await;
    assert_eq!(refused.status, 401);
    let stdout = stop_binary(child);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines.iter().all(|line| line["log_type"] == "audit"),
        "{stdout}"
    );
    let events: Vec<&str> = lines
        .iter()
        .map(|line| line["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"auth_success"), "{stdout}");
    assert!(events.contains(&"auth_failure"), "{stdout}");
    assert!(!stdout.contains(&token), "a token reached the audit log");
}

#[tokio::test]
async fn with_a_file_the_audit_log_stays_off_stdout_and_rotates() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/audit.log");
    let (child, addr) = start_binary(
        &jwks,
        dir.path(),
        &[
            ("AUTH_AUDIT_LOG_FILE", log.to_str().unwrap()),
            ("AUTH_AUDIT_LOG_MAX_FILE_BYTES", "4096"),
            ("AUTH_AUDIT_LOG_MAX_FILES", "2"),
        ],
    );
    // Each refusal is a line of about 250 bytes: 60 of them rotate the file more than twice.
    for _ in 0..60 {
        let refused = http_request(
            addr,
            "GET",
            "/api/v1/sessions",
            &[("Authorization", "Bearer not-a-token")],
            "",
        )
        .await;
        assert_eq!(refused.status, 401);
    }
    let stdout = stop_binary(child);
    assert!(!stdout.contains("auth_failure"), "{stdout}");
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|meta| meta.len());
    let rotated = dir.path().join("logs/audit.log.1");
    assert!(size(&rotated).unwrap() >= 4096);
    assert!(size(&dir.path().join("logs/audit.log.2")).unwrap() >= 4096);
    assert!(!dir.path().join("logs/audit.log.3").exists());
    assert!(size(&log).unwrap() < 4096);
    let mode = std::fs::metadata(&rotated).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
