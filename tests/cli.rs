//! The `web-terminal` command line, run as a real process.

mod common;

use std::process::Command;

fn web_terminal(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = common::bare_server_command();
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn version_is_printed() {
    let output = web_terminal(&["--version"], &[]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!("web-terminal {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn check_config_prints_the_effective_configuration_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "port = 9001\n[shell_env]\nSECRET = \"hunter2\"\n").unwrap();
    let output = web_terminal(
        &["check-config", "--config", path.to_str().unwrap()],
        &[("WEB_TERMINAL_LOG_FORMAT", "json")],
    );
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("port = 9001"), "{text}");
    assert!(text.contains("log_format = \"json\""), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn check_config_names_the_bad_key() {
    let output = web_terminal(&["check-config"], &[("WEB_TERMINAL_MAX_SESSIONS", "0")]);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8(output.stderr).unwrap();
    assert!(text.contains("max_sessions"), "{text}");
    let output = web_terminal(&["check-config"], &[("WEB_TERMINAL_PORTT", "1")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("portt"));
}

#[test]
fn start_refuses_a_network_address_without_authentication() {
    let output = web_terminal(&["start"], &[("WEB_TERMINAL_HOST", "0.0.0.0")]);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8(output.stderr).unwrap();
    assert!(text.contains("refusing to listen on 0.0.0.0"), "{text}");
    assert!(text.contains("allow_unauthenticated = true"), "{text}");
}

#[tokio::test]
async fn healthcheck_probes_a_running_server() {
    let server = common::TestServer::start().await;
    let port = server.addr.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        web_terminal(&["healthcheck"], &[("WEB_TERMINAL_PORT", &port)])
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    // Nothing listens on port 1.
    let output = web_terminal(&["healthcheck"], &[("WEB_TERMINAL_PORT", "1")]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn start_serves_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::bare_server_command()
        .arg("start")
        .env("WEB_TERMINAL_PORT", "0")
        .env("WEB_TERMINAL_WORKSPACES_DIR", dir.path())
        .env("WEB_TERMINAL_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first log line says where it listens.
    use std::io::BufRead;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let log: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(log["message"], "listening", "{line}");
    assert!(
        log["timestamp"].is_string() && log["level"] == "INFO",
        "{line}"
    );
    // SIGTERM: exits 0 promptly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
