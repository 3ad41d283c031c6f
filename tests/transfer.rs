//! Uploads into a session's current directory against a real server and a real shell: the file
//! lands where the terminal is, under its plain name, and nothing else is ever written.

mod common;

use common::jwks::{ISSUER, JwksServer, TestKey, auth_config, claims, provider};
use common::*;
use serde_json::{Value, json};

/// Uploads `body` as `name` (already percent-encoded) into `session`.
async fn upload(server: &TestServer, session: &str, name: &str, body: &str) -> HttpResponse {
    upload_as(server, session, name, body, None).await
}

async fn upload_as(
    server: &TestServer,
    session: &str,
    name: &str,
    body: &str,
    token: Option<&str>,
) -> HttpResponse {
    let path = format!("/api/v1/sessions/{session}/files?name={name}");
    api_request(server, "POST", &path, token, body).await
}

/// A shell whose current directory is `workspace/dir`; returns the client and that directory.
async fn shell_in(server: &TestServer, dir: &str) -> (Client, std::path::PathBuf) {
    let mut client = server.open().await;
    client
        .type_line(&format!("mkdir -p {dir} && cd {dir} && echo in-$((20+1))"))
        .await;
    client.read_until("in-21").await;
    // With authentication off, everybody shares one workspace.
    let path = server.workspaces.path().join("shared").join(dir);
    (client, path)
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_file_lands_in_the_directory_the_terminal_is_in() {
    let server = TestServer::start().await;
    let (mut client, dir) = shell_in(&server, "up").await;
    let session = client.session.clone().unwrap();
    let response = upload(
        &server,
        &session,
        "notes%20one.txt",
        "hello from the browser\n",
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.body);
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["name"], "notes one.txt");
    assert_eq!(body["bytes"], 23);
    assert!(
        body["directory"].as_str().unwrap().ends_with("/up"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes one.txt")).unwrap(),
        "hello from the browser\n"
    );
    assert_eq!(
        names_in(&dir),
        ["notes one.txt"],
        "no temporary file is left"
    );
    client.type_line("cat 'notes one.txt'").await;
    client.read_until("hello from the browser").await;
    // While a program runs in the foreground, its directory is the terminal's.
    client.type_line("mkdir -p fg && (cd fg && exec cat)").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let response = upload(&server, &session, "second.txt", "2\n").await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(
        std::fs::read_to_string(dir.join("fg/second.txt")).unwrap(),
        "2\n"
    );
}

#[tokio::test]
async fn names_that_are_not_plain_file_names_are_refused_and_nothing_is_written() {
    let server = TestServer::start().await;
    let (client, dir) = shell_in(&server, "jail/inner").await;
    let session = client.session.clone().unwrap();
    for (name, reason) in [
        ("..%2Fescape", "no /"),
        ("%2Fetc%2Fescape", "no /"),
        ("a%2Fb", "no /"),
        ("..", "not . or .."),
        (".", "not . or .."),
        ("", "empty"),
        ("bad%1Bname", "no control characters"),
    ] {
        let response = upload(&server, &session, name, "x").await;
        assert_eq!(response.status, 400, "{name}: {}", response.body);
        assert!(response.body.contains(reason), "{name}: {}", response.body);
    }
    assert!(names_in(&dir).is_empty());
    assert_eq!(names_in(dir.parent().unwrap()), ["inner"]);
}

#[tokio::test]
async fn existing_names_and_symbolic_links_are_never_written_through() {
    let server = TestServer::start().await;
    let (client, dir) = shell_in(&server, "links").await;
    let session = client.session.clone().unwrap();
    let outside = dir.parent().unwrap().join("outside.txt");
    std::fs::write(&outside, "keep me").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/dangling", dir.join("dangling")).unwrap();
    std::fs::write(dir.join("there.txt"), "old").unwrap();
    for name in ["link.txt", "dangling", "there.txt"] {
        let response = upload(&server, &session, name, "new").await;
        assert_eq!(response.status, 409, "{name}: {}", response.body);
        assert!(
            response.body.contains("already exists"),
            "{}",
            response.body
        );
    }
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    assert_eq!(
        std::fs::read_to_string(dir.join("there.txt")).unwrap(),
        "old"
    );
    assert!(!std::path::Path::new("/nonexistent/dangling").exists());
    assert_eq!(names_in(&dir), ["dangling", "link.txt", "there.txt"]);
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_and_leaves_nothing() {
    let server = TestServer::start_with(|config| config.transfer_max_bytes = 10).await;
    let (client, dir) = shell_in(&server, "small").await;
    let session = client.session.clone().unwrap();
    let response = upload(&server, &session, "big.bin", "0123456789A").await;
    assert_eq!(response.status, 413, "{}", response.body);
    assert!(
        response.body.contains("limit of 10 bytes"),
        "{}",
        response.body
    );
    assert!(names_in(&dir).is_empty(), "{:?}", names_in(&dir));
    let response = upload(&server, &session, "fits.bin", "0123456789").await;
    assert_eq!(response.status, 201, "{}", response.body);
    // An unknown session, and another user's are refused before anything is written.
    let unknown = upload(&server, &"0".repeat(32), "x", "x").await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn a_view_share_may_not_upload_and_a_write_share_may() {
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec![
        "user:default/alice".into(),
        "user:default/bob".into(),
        "user:default/carol".into(),
    ];
    let audit = tempfile::tempdir().unwrap();
    auth.audit.log_file = Some(audit.path().join("audit.log"));
    let server = TestServer::start_auth(auth, true).await;
    let token = |user: &str| key.sign(&claims(ISSUER, user, 600));
    let (alice, bob, carol) = (
        token("user:default/alice"),
        token("user:default/bob"),
        token("user:default/carol"),
    );
    let mut alices = server.open_with_token(&alice).await;
    let session = alices.expect_opened().await;
    let bearer = format!("Bearer {alice}");
    for (subject, role) in [
        ("user:default/bob", "view"),
        ("user:default/carol", "write"),
    ] {
        let shared = http_request(
            server.addr,
            "POST",
            &format!("/api/v1/sessions/{session}/shares"),
            &[("Authorization", &bearer)],
            &json!({"subject": subject, "role": role}).to_string(),
        )
        .await;
        assert_eq!(shared.status, 201, "{}", shared.body);
    }
    let refused = upload_as(&server, &session, "from-bob.txt", "x", Some(&bob)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("watch only"), "{}", refused.body);
    let allowed = upload_as(&server, &session, "from-carol.txt", "x", Some(&carol)).await;
    assert_eq!(allowed.status, 201, "{}", allowed.body);
    let nobody = upload_as(&server, &session, "anon.txt", "x", None).await;
    assert_eq!(nobody.status, 401);
    let home = server
        .workspaces
        .path()
        .join(web_terminal::workspace_folder_name("user:default/alice"));
    assert!(home.join("from-carol.txt").exists());
    assert!(!home.join("from-bob.txt").exists());
    // A download the session offers: not for the view share, and for the write share once.
    let bin = env!("CARGO_BIN_EXE_web-terminal");
    alices
        .type_line(&format!(
            "{bin} download from-carol.txt; echo offered-$((2+3))"
        ))
        .await;
    alices.read_until("offered-5").await;
    let (download, _, _) = offered(&alices.output_text());
    let path = format!("/api/v1/sessions/{session}/downloads/{download}");
    let as_user = |token: &str| format!("Bearer {token}");
    let bobs = http_request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &as_user(&bob))],
        "",
    )
    .await;
    assert_eq!(bobs.status, 403, "{}", bobs.body);
    let carols = http_request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &as_user(&carol))],
        "",
    )
    .await;
    assert_eq!(carols.status, 200, "{}", carols.body);
    assert_eq!(carols.body, "x");
    // The upload is an audit record: who, which session, what and how much.
    let log = std::fs::read_to_string(audit.path().join("audit.log")).unwrap();
    let uploads: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["event"] == "file_upload")
        .collect();
    assert_eq!(uploads.len(), 1, "{log}");
    assert_eq!(uploads[0]["user"], "user:default/carol");
    assert_eq!(uploads[0]["session_id"], session.as_str());
    assert_eq!(uploads[0]["file"], "from-carol.txt");
    assert_eq!(uploads[0]["bytes"], 1);
    let downloads = log
        .lines()
        .filter(|line| line.contains("\"file_download\""))
        .count();
    assert_eq!(downloads, 1, "{log}");
}

/// The download offer the command printed: `ESC ] 7337 ; download ; id=…;name=…;bytes=… BEL`.
fn offered(output: &str) -> (String, String, u64) {
    let start = output.find("\u{1b}]7337;download;").expect("an offer") + 16;
    let end = start + output[start..].find('\u{7}').expect("its end");
    let fields: std::collections::HashMap<&str, &str> = output[start..end]
        .split(';')
        .filter_map(|field| field.split_once('='))
        .collect();
    use base64::Engine;
    let name = base64::engine::general_purpose::STANDARD
        .decode(fields["name"])
        .unwrap();
    (
        fields["id"].to_owned(),
        String::from_utf8(name).unwrap(),
        fields["bytes"].parse().unwrap(),
    )
}

#[tokio::test]
async fn a_file_offered_with_the_command_downloads_once_with_its_bytes() {
    let server = TestServer::start().await;
    let (mut client, dir) = shell_in(&server, "down").await;
    let session = client.session.clone().unwrap();
    let content: String = (0..5000).map(|n| format!("line {n}\n")).collect();
    std::fs::write(dir.join("report é.txt"), &content).unwrap();
    let bin = env!("CARGO_BIN_EXE_web-terminal");
    client
        .type_line(&format!(
            "{bin} download 'report é.txt'; echo done-$((1+1))"
        ))
        .await;
    client.read_until("done-2").await;
    let output = client.output_text();
    assert!(output.contains("offered to the browser"), "{output}");
    let (id, name, bytes) = offered(&output);
    assert_eq!(name, "report é.txt");
    assert_eq!(bytes, content.len() as u64);
    let path = format!("/api/v1/sessions/{session}/downloads/{id}");
    let response = http_get(server.addr, &path).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body, content);
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename*=UTF-8''report%20%C3%A9.txt")
    );
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    // Once only; and an id nobody offered is unknown.
    assert_eq!(http_get(server.addr, &path).await.status, 404);
    let forged = format!("/api/v1/sessions/{session}/downloads/{}", "0".repeat(32));
    assert_eq!(http_get(server.addr, &forged).await.status, 404);
}

#[tokio::test]
async fn the_command_refuses_what_it_cannot_offer() {
    let server = TestServer::start_with(|config| config.transfer_max_bytes = 10).await;
    let (mut client, dir) = shell_in(&server, "refuse").await;
    std::fs::write(dir.join("big.bin"), "0123456789A").unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    let bin = env!("CARGO_BIN_EXE_web-terminal");
    for (file, reason) in [
        ("big.bin", "larger than the limit of 10 bytes"),
        ("folder", "not a readable regular file"),
        ("missing.txt", "No such file"),
    ] {
        client
            .type_line(&format!("{bin} download {file}; echo status-$?-{file}"))
            .await;
        client.read_until(&format!("status-1-{file}")).await;
        assert!(
            client.output_text().contains(reason),
            "{file}: {}",
            client.output_text()
        );
    }
    assert!(!client.output_text().contains("\u{1b}]7337;"));
    // Outside any session (this test process), the server refuses to offer anything.
    let control = server
        .state
        .control_socket_path()
        .expect("a control socket")
        .to_owned();
    let request = serde_json::json!({"download": dir.join("big.bin")});
    // Blocking I/O on a thread of its own: the server runs on this test's runtime.
    let reply = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, Write};
        let mut stream = std::os::unix::net::UnixStream::connect(control).unwrap();
        stream.write_all(format!("{request}\n").as_bytes()).unwrap();
        let mut reply = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut reply)
            .unwrap();
        reply
    })
    .await
    .unwrap();
    assert!(
        reply.contains("not run in a web-terminal session"),
        "{reply}"
    );
}
