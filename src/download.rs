//! `web-terminal download FILE`, run in a session: offers FILE to the session's browsers. It asks
//! the server through the control socket the shell was given (`WEB_TERMINAL_CONTROL`); the server
//! notes the file under a random id and checks its size; the command then prints an escape
//! sequence with that id, which the UI turns into a download it fetches with its own credentials
//! (`GET /api/v1/sessions/{id}/downloads/{download}`). The file itself never passes through the
//! terminal.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// The OSC number of a download offer: `ESC ] 7337 ; download ; id=ID ; name=BASE64 ; bytes=N BEL`.
pub const DOWNLOAD_OSC: u16 = 7337;

/// Offers `file`, printing the offer for the UI on standard output and a line for the user on
/// standard error; exit status 1 with a reason when it cannot.
pub fn run(file: &Path) -> ExitCode {
    let control = std::env::var_os("WEB_TERMINAL_CONTROL");
    match offer(file, control.as_deref().map(Path::new)) {
        Ok((sequence, notice)) => {
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(sequence.as_bytes());
            let _ = stdout.flush();
            eprintln!("{notice}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("web-terminal download: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// The escape sequence announcing the offer and a line for the user, or why not.
fn offer(file: &Path, control: Option<&Path>) -> Result<(String, String), String> {
    let control = control.ok_or("not run in a web-terminal session (no WEB_TERMINAL_CONTROL)")?;
    let path =
        std::fs::canonicalize(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let mut stream = UnixStream::connect(control)
        .map_err(|error| format!("cannot reach the server: {error}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|error| error.to_string())?;
    let request = json!({"download": path});
    stream
        .write_all(format!("{request}\n").as_bytes())
        .map_err(|error| format!("cannot reach the server: {error}"))?;
    let mut reply = String::new();
    BufReader::new(stream)
        .read_line(&mut reply)
        .map_err(|error| format!("no answer from the server: {error}"))?;
    let reply: Value =
        serde_json::from_str(&reply).map_err(|_| "the server's answer is not JSON".to_owned())?;
    if let Some(error) = reply["error"].as_str() {
        return Err(format!("{}: {error}", file.display()));
    }
    let (Some(id), Some(name), Some(bytes)) = (
        reply["id"].as_str(),
        reply["name"].as_str(),
        reply["bytes"].as_u64(),
    ) else {
        return Err("the server's answer is incomplete".to_owned());
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(name);
    Ok((
        format!("\x1b]{DOWNLOAD_OSC};download;id={id};name={encoded};bytes={bytes}\x07"),
        format!("web-terminal: {name} ({bytes} bytes) offered to the browser"),
    ))
}

#[cfg(test)]
mod tests {
    use super::offer;

    #[test]
    fn outside_a_session_it_says_so() {
        let error = offer(std::path::Path::new("Cargo.toml"), None).unwrap_err();
        assert!(
            error.contains("not run in a web-terminal session"),
            "{error}"
        );
        let error = offer(
            std::path::Path::new("/nonexistent/file"),
            Some(std::path::Path::new("/nonexistent/socket")),
        )
        .unwrap_err();
        assert!(error.contains("/nonexistent/file"), "{error}");
    }
}
