//! The control socket: how a program running in a session asks the server for something, today
//! `web-terminal download FILE`. A Unix socket in a private folder (0700) of the server's temporary
//! directory, named to every shell by `WEB_TERMINAL_CONTROL`. The server knows which session asks
//! from the kernel, not from the request: the peer's process id gives its process session, which
//! is the shell's (the shell leads its terminal's session). One JSON line each way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::state::AppState;

/// Longest request line.
const MAX_REQUEST: u64 = 8 * 1024;
/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the control socket until the server shuts down.
pub(crate) async fn serve(state: AppState) {
    let Some(control) = state.control() else {
        return;
    };
    let Some(listener) = control
        .listener
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
    else {
        return;
    };
    let listener = match tokio::net::UnixListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "the control socket cannot be served");
            return;
        }
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = state.shutdown().started() => return,
        };
        if let Ok((stream, _)) = accepted {
            let state = state.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(REQUEST_TIMEOUT, answer(&state, stream)).await;
            });
        }
    }
}

/// What a program may ask.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    /// Offer this file (an absolute path) for download to the session's browsers.
    download: PathBuf,
}

async fn answer(state: &AppState, stream: UnixStream) {
    let sid = stream
        .peer_cred()
        .ok()
        .and_then(|credentials| credentials.pid())
        .and_then(process_session);
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let read = BufReader::new(reader.take(MAX_REQUEST))
        .read_line(&mut line)
        .await;
    let reply = match (read, sid) {
        (Err(_), _) => return,
        (Ok(_), None) => json!({"error": "not run in a web-terminal session"}),
        (Ok(_), Some(sid)) => match serde_json::from_str::<Request>(&line) {
            Err(error) => json!({"error": format!("malformed request: {error}")}),
            Ok(request) if !request.download.is_absolute() => {
                json!({"error": "the path must be absolute"})
            }
            Ok(request) => offer(state, sid, &request.download),
        },
    };
    let _ = writer.write_all(format!("{reply}\n").as_bytes()).await;
}

fn offer(state: &AppState, sid: i32, path: &Path) -> Value {
    let limit = state.config().transfer_max_bytes;
    match state.registry().offer_download(sid, path, limit) {
        Ok(offer) => json!({"id": offer.id, "name": offer.name, "bytes": offer.bytes}),
        Err(error) => json!({"error": error.to_string()}),
    }
}

/// The process session `pid` belongs to, from `/proc/<pid>/stat` (the fourth field after the
/// command name).
fn process_session(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::process_session;
    use std::path::Path;

    #[tokio::test]
    async fn finds_the_process_session_of_a_process() {
        use crate::pty::{Hangup, Pty, ShellCommand, signal_group};
        // A terminal's shell leads its own session, so its session is its own id. (Not this
        // test's own process: its session may be led from outside the PID namespace, where /proc
        // says 0.)
        let command = ShellCommand {
            program: "sleep".into(),
            args: vec!["30".into()],
            env: Vec::new(),
            env_remove_prefixes: Vec::new(),
        };
        let shell = Pty::spawn(&command, Path::new("/"), 80, 24).expect("sleep starts on a PTY");
        let found = process_session(shell.pid());
        signal_group(shell.pid(), Hangup::Forced);
        assert_eq!(found, Some(shell.pid()));
        assert_eq!(process_session(-1), None);
    }
}
