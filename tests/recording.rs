//! Session recordings (asciicast v3) from a real server, shell and WebSocket: what the file
//! holds, what it must not, its bounds, and who may fetch it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::jwks::{ISSUER, JwksServer, TestKey, auth_config, claims, provider};
use common::{TestServer, http_request};
use serde_json::Value;

/// The recording of `session` in `dir` once its `x` event is there: the header and the events.
async fn finished_recording(dir: &Path, session: &str) -> (Value, Vec<Value>) {
    let path = dir.join(format!("{session}.cast"));
    for _ in 0..100 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines = text.lines();
        if let Some(header) = lines.next() {
            let events: Vec<Value> = lines
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            if events.last().is_some_and(|event| event[1] == "x") {
                return (serde_json::from_str(header).unwrap(), events);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no finished recording at {}", path.display());
}

fn of_kind<'a>(events: &'a [Value], code: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|event| event[1] == code)
        .map(|event| event[2].as_str().unwrap())
        .collect()
}

async fn recorded_server(dir: &Path, input: bool) -> TestServer {
    let dir = dir.to_path_buf();
    TestServer::start_with(move |config| {
        config.recording_dir = Some(dir);
        config.recording_input = input;
    })
    .await
}

#[tokio::test]
async fn a_session_is_recorded_as_asciicast_v3() {
    let dir = tempfile::tempdir().unwrap();
    let server = recorded_server(dir.path(), false).await;
    let mut client = server.open().await;
    let session = client.session.clone().unwrap();
    client
        .type_line("echo secret-typed-$((6*7)); printf 'caf\\303\\251\\n'")
        .await;
    client.read_until("café").await;
    client.resize(100, 30).await;
    client.type_line("stty size").await;
    client.read_until("30 100").await;
    client.type_line("exit 3").await;
    client.read_to_end().await;

    let (header, events) = finished_recording(dir.path(), &session).await;
    assert_eq!(header["version"], 3);
    assert_eq!(
        (
            header["term"]["cols"].as_u64(),
            header["term"]["rows"].as_u64()
        ),
        (Some(80), Some(24))
    );
    assert_eq!(header["term"]["type"], "xterm-256color");
    assert!(header["timestamp"].as_u64().unwrap() > 1_700_000_000);
    for event in &events {
        assert!(
            event[0].as_f64().unwrap() >= 0.0,
            "intervals are never negative: {event}"
        );
    }
    let output = of_kind(&events, "o").concat();
    assert!(output.contains("secret-typed-42"), "{output}");
    assert!(output.contains("café"), "UTF-8 kept whole: {output}");
    assert_eq!(of_kind(&events, "r"), ["100x30"]);
    assert_eq!(events.last().unwrap()[2], "3", "the exit status comes last");
    assert!(
        of_kind(&events, "i").is_empty(),
        "no input without recording_input"
    );
    for file in [format!("{session}.cast"), format!("{session}.owner")] {
        let mode = std::fs::metadata(dir.path().join(&file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[tokio::test]
async fn input_is_recorded_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let server = recorded_server(dir.path(), true).await;
    let mut client = server.open().await;
    let session = client.session.clone().unwrap();
    client.type_line("echo typed-$((6*7))").await;
    client.read_until("typed-42").await;
    client.type_line("exit").await;
    client.read_to_end().await;
    let (_, events) = finished_recording(dir.path(), &session).await;
    assert!(
        of_kind(&events, "i")
            .concat()
            .contains("echo typed-$((6*7))")
    );
}

#[tokio::test]
async fn a_recording_stops_at_its_size_limit_and_the_shell_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().to_path_buf();
    let audit = dir.path().join("audit.jsonl");
    let audit_file = audit.clone();
    let server = TestServer::start_with(move |config| {
        config.recording_dir = Some(path);
        config.recording_max_bytes = 8192;
        config.auth.audit.enabled = Some(true);
        config.auth.audit.log_file = Some(audit_file);
    })
    .await;
    let mut client = server.open().await;
    let session = client.session.clone().unwrap();
    client.type_line("seq 1 20000; echo after-$((6*7))").await;
    client.read_until("after-42").await;
    let cast = dir.path().join(format!("{session}.cast"));
    common::eventually("the truncation marker", || {
        std::fs::read_to_string(&cast)
            .is_ok_and(|text| text.contains("truncated: recording_max_bytes reached"))
    })
    .await;
    let size = std::fs::metadata(&cast).unwrap().len();
    assert!(size <= 8192 + 100, "{size} bytes");
    // The audit log says so.
    common::eventually("the truncation's audit record", || {
        std::fs::read_to_string(&audit).is_ok_and(|log| {
            log.lines().any(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                record["event"] == "recording_truncated"
                    && record["reason"] == "size_limit"
                    && record["session_id"] == session.as_str()
            })
        })
    })
    .await;
    client.type_line("echo still-$((6*7))").await;
    client.read_until("still-42").await;
}

#[tokio::test]
async fn only_the_owner_and_auditors_fetch_a_recording_and_it_outlives_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::es256("k1");
    let jwks = JwksServer::start(&[&key]).await;
    let mut auth = auth_config(provider(&jwks));
    auth.authorization.allowed_users = vec!["user:default/alice".into(), "user:default/bob".into()];
    let recordings = dir.path().to_path_buf();
    let server = TestServer::start_with(move |config| {
        config.auth = auth;
        config.recording_dir = Some(recordings);
        config.recording_auditors = vec!["auditors".into()];
    })
    .await;
    let state = server.state.clone();
    common::eventually("signing keys load", || state.keys_ready()).await;
    let alice = key.sign(&claims(ISSUER, "user:default/alice", 600));
    let bob = key.sign(&claims(ISSUER, "user:default/bob", 600));
    let mut auditor_claims = claims(ISSUER, "user:default/carol", 600);
    auditor_claims["groups"] = serde_json::json!(["ops", "auditors"]);
    let auditor = key.sign(&auditor_claims);

    let mut client = server.open_with_token(&alice).await;
    let session = client.expect_opened().await;
    client.type_line("echo recorded-$((6*7)); exit").await;
    client.read_to_end().await;
    finished_recording(dir.path(), &session).await;

    let path = format!("/api/v1/sessions/{session}/recording");
    let fetch = |token: String| {
        let path = path.clone();
        let addr = server.addr;
        async move {
            let bearer = format!("Bearer {token}");
            http_request(addr, "GET", &path, &[("Authorization", &bearer)], "").await
        }
    };
    let owner = fetch(alice.clone()).await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(
        owner.header("content-type"),
        Some("application/x-asciicast")
    );
    assert!(owner.body.contains("recorded-42"));
    assert!(!owner.body.contains(&alice), "no token in a recording");
    assert_eq!(fetch(bob).await.status, 403);
    assert_eq!(fetch(auditor).await.status, 200);
    let unknown = format!("/api/v1/sessions/{}/recording", "0".repeat(32));
    let bearer = format!("Bearer {alice}");
    assert_eq!(
        http_request(
            server.addr,
            "GET",
            &unknown,
            &[("Authorization", &bearer)],
            ""
        )
        .await
        .status,
        404
    );
    assert_eq!(
        http_request(server.addr, "GET", &path, &[], "")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn without_a_recording_dir_nothing_is_recorded() {
    let server = TestServer::start().await;
    let client = server.open().await;
    let session = client.session.clone().unwrap();
    let response = http_request(
        server.addr,
        "GET",
        &format!("/api/v1/sessions/{session}/recording"),
        &[],
        "",
    )
    .await;
    assert_eq!(response.status, 404);
    assert!(response.body.contains("not recorded"), "{}", response.body);
    let listed = http_request(server.addr, "GET", "/api/v1/recordings", &[], "").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        serde_json::from_str::<Value>(&listed.body).unwrap(),
        serde_json::json!({"enabled": false, "recordings": []})
    );
}

#[tokio::test]
async fn the_recording_holds_exactly_what_a_viewer_from_the_start_saw() {
    let dir = tempfile::tempdir().unwrap();
    let server = recorded_server(dir.path(), false).await;
    let mut client = server.connect().await;
    client
        .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    let session = client.expect_opened().await;
    // The first binary frame is the snapshot of the blank screen; the shell's output follows.
    loop {
        match client.next().await {
            Some(tokio_tungstenite::tungstenite::Message::Binary(_)) => break,
            Some(_) => {}
            None => panic!("no snapshot"),
        }
    }
    client
        .type_line(
            "printf '\\033[1;31mred\\033[0m '; seq 1 3000; yes \"$(printf 'caf\\303\\251')\" | head -n 9000; echo done-$((6*7))",
        )
        .await;
    client.read_until("done-42").await;
    client.type_line("exit").await;
    client.read_to_end().await;

    let (_, events) = finished_recording(dir.path(), &session).await;
    let recorded = of_kind(&events, "o").concat();
    let seen = String::from_utf8(client.output.clone()).unwrap();
    assert!(seen.contains("\u{1b}[1;31mred") && seen.contains("2999"));
    assert_eq!(
        recorded, seen,
        "the recording differs from what the viewer saw"
    );
}

#[tokio::test]
async fn recordings_past_their_retention_are_deleted_and_newer_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let old = "a".repeat(32);
    for file in [format!("{old}.cast"), format!("{old}.owner")] {
        let path = dir.path().join(file);
        std::fs::write(&path, "{}\n").unwrap();
        let three_days_ago = std::time::SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(three_days_ago)
            .unwrap();
    }
    let recent = "b".repeat(32);
    std::fs::write(dir.path().join(format!("{recent}.cast")), "{}\n").unwrap();
    std::fs::write(dir.path().join(format!("{recent}.owner")), "anonymous").unwrap();
    let path = dir.path().to_path_buf();
    let server = TestServer::start_with(move |config| {
        config.recording_dir = Some(path);
        config.recording_retention_days = 2;
    })
    .await;
    // Housekeeping looks at start-up, then hourly.
    let old_cast = dir.path().join(format!("{old}.cast"));
    let old_owner = dir.path().join(format!("{old}.owner"));
    common::eventually("the old recording is deleted", || {
        !old_cast.exists() && !old_owner.exists()
    })
    .await;
    assert!(dir.path().join(format!("{recent}.cast")).exists());
    let mut client = server.open().await;
    client.type_line("echo kept-$((6*7))").await;
    client.read_until("kept-42").await;
    let listed = http_request(server.addr, "GET", "/api/v1/recordings", &[], "").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let ids: Vec<String> = serde_json::from_str::<Value>(&listed.body).unwrap()["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|recording| recording["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&recent) && !ids.contains(&old), "{ids:?}");
    assert_eq!(
        ids.len(),
        2,
        "the live session's and the recent one: {ids:?}"
    );
}

/// The server binary with every file it writes limited to 8 KiB (`ulimit -f 16`, in blocks of 512
/// bytes; SIGXFSZ ignored, so a write past it fails with EFBIG as a write to a full disk fails with
/// ENOSPC; both are inherited through `exec`), recording into `dir`. Returns the child, its
/// address and its log (stderr) as it grows.
fn server_on_a_full_disk(
    dir: &Path,
) -> (
    std::process::Child,
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    use std::io::BufRead;
    let server = common::bare_server_command();
    let mut limited = std::process::Command::new("/bin/sh");
    limited
        .arg("-c")
        .arg("ulimit -f 16 && trap '' XFSZ && exec \"$SERVER\" start")
        .env_clear();
    for (key, value) in server.get_envs() {
        if let Some(value) = value {
            limited.env(key, value);
        }
    }
    let mut child = limited
        .env("SERVER", server.get_program())
        .env("WEB_TERMINAL_PORT", "0")
        .env("WEB_TERMINAL_WORKSPACES_DIR", dir.join("workspaces"))
        .env("WEB_TERMINAL_RECORDING_DIR", dir.join("recordings"))
        .env("WEB_TERMINAL_SHELL", "/bin/sh")
        .env("WEB_TERMINAL_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let first: Value = serde_json::from_str(&line).unwrap();
    let addr = first["fields"]["address"]
        .as_str()
        .or(first["address"].as_str())
        .unwrap_or_else(|| panic!("no address in {line}"))
        .parse()
        .unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        while stderr.read_line(&mut line).is_ok_and(|read| read > 0) {
            sink.lock().unwrap().push_str(&std::mem::take(&mut line));
        }
    });
    (child, addr, log)
}

#[tokio::test]
async fn a_full_disk_stops_the_recording_and_the_shell_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, log) = server_on_a_full_disk(dir.path());
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws"))
        .await
        .unwrap();
    let mut client = common::Client {
        socket,
        output: Vec::new(),
        session: None,
    };
    client
        .send_json(serde_json::json!({"type": "open", "cols": 80, "rows": 24}))
        .await;
    let session = client.expect_opened().await;
    client.type_line("seq 1 5000; echo after-$((6*7))").await;
    client.read_until("after-42").await;
    common::eventually("the server log says the recording stopped", || {
        log.lock().unwrap().contains("recording write failed")
    })
    .await;
    // The shell goes on, and the recording holds what fit, never the exit status.
    client.type_line("echo still-$((6*7)); exit 5").await;
    client.read_until("still-42").await;
    let (exit, _) = client.read_to_end().await;
    assert_eq!(exit, Some(5));
    let cast =
        std::fs::read_to_string(dir.path().join(format!("recordings/{session}.cast"))).unwrap();
    assert!(cast.len() <= 8192, "{}", cast.len());
    assert!(cast.contains("\"o\""), "what fit is kept");
    assert!(!cast.contains("\"x\""), "nothing after the failure");
    let _ = child.kill();
    let _ = child.wait();
}
