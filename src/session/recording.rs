//! Session recordings for audit, in asciicast v3: one `<session id>.cast` per session (mode 0600)
//! with a header line, then one `[interval, code, data]` line per event: `o` output, `i` input
//! (only with `recording_input`), `r` resizes (`COLSxROWS`), `m` markers (joins, shares,
//! truncation) and `x` the exit status, last. Beside it, `<session id>.owner` names the user it
//! belongs to, for the access check of a session that has ended.
//!
//! Recording never blocks the session: events go through a bounded queue to a writer on a
//! blocking thread of its own. When
//! the queue is full (a slow disk), events are dropped and the recording says so with a marker;
//! past `recording_max_bytes`, or on a write error (a full disk), it is marked truncated and stops.
//! Either way the shell goes on, and the server log says why.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::SessionId;
use super::events::{Events, SessionEvent};

/// Events waiting for the writer; beyond this they are dropped.
const QUEUE: usize = 1024;

/// How recordings are made, from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct RecordingPolicy {
    pub(crate) dir: PathBuf,
    pub(crate) input: bool,
    pub(crate) max_bytes: u64,
    pub(crate) retention: Option<Duration>,
    /// Groups (normalised entity refs) whose members may fetch any recording.
    pub(crate) auditors: Vec<String>,
}

/// One event for the writer.
#[derive(Debug)]
enum Entry {
    Output(Vec<u8>),
    Input(Vec<u8>),
    Resize(u16, u16),
    Marker(String),
    Exit(i32),
}

/// A session's recorder: cheap to call from the pump, the input writer and the registry.
#[derive(Debug)]
pub(crate) struct Recorder {
    queue: mpsc::Sender<Entry>,
    input: bool,
    /// Events were dropped since the writer last said so.
    dropped: Arc<AtomicBool>,
}

impl Recorder {
    /// Creates `<dir>/<id>.cast` with its header and `<dir>/<id>.owner`, and starts the writer.
    pub(crate) fn start(
        policy: &RecordingPolicy,
        id: &SessionId,
        owner: &str,
        size: (u16, u16),
        events: Events,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(&policy.dir)?;
        let mut owner_file = create_private(&policy.dir.join(format!("{id}.owner")))?;
        owner_file.write_all(owner.as_bytes())?;
        let mut file = create_private(&policy.dir.join(format!("{id}.cast")))?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let header = serde_json::json!({
            "version": 3,
            "term": {"cols": size.0, "rows": size.1, "type": "xterm-256color"},
            "timestamp": timestamp,
            "title": format!("web-terminal session {id}"),
        });
        let header = format!("{header}\n");
        file.write_all(header.as_bytes())?;
        let (queue, entries) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            file,
            written: header.len() as u64,
            max_bytes: policy.max_bytes,
            last: Instant::now(),
            pending_utf8: [Vec::new(), Vec::new()],
            dropped: dropped.clone(),
            session: id.clone(),
            events,
        };
        // Its own blocking thread: a slow or full disk must never hold up the runtime.
        tokio::task::spawn_blocking(move || writer.run(entries));
        Ok(Self {
            queue,
            input: policy.input,
            dropped,
        })
    }

    pub(crate) fn output(&self, bytes: &[u8]) {
        self.send(Entry::Output(bytes.to_vec()));
    }

    /// Typed input, recorded only when `recording_input` is on.
    pub(crate) fn input(&self, bytes: &[u8]) {
        if self.input {
            self.send(Entry::Input(bytes.to_vec()));
        }
    }

    pub(crate) fn resize(&self, cols: u16, rows: u16) {
        self.send(Entry::Resize(cols, rows));
    }

    pub(crate) fn marker(&self, text: String) {
        self.send(Entry::Marker(text));
    }

    /// The shell's exit status: the last event; the writer finishes after it.
    pub(crate) fn exit(&self, code: i32) {
        self.send(Entry::Exit(code));
    }

    fn send(&self, entry: Entry) {
        if self.queue.try_send(entry).is_err() {
            self.dropped.store(true, Ordering::Relaxed);
        }
    }
}

/// The file side: runs on a blocking thread of its own.
struct Writer {
    file: File,
    written: u64,
    max_bytes: u64,
    /// When the last event happened (intervals are relative to it).
    last: Instant,
    /// The start of a UTF-8 character cut off at the end of the last output (0) or input (1).
    pending_utf8: [Vec<u8>; 2],
    dropped: Arc<AtomicBool>,
    session: SessionId,
    /// For the audit record of a truncation.
    events: Events,
}

impl Writer {
    fn run(mut self, mut entries: mpsc::Receiver<Entry>) {
        while let Some(entry) = entries.blocking_recv() {
            let now = Instant::now();
            if self.dropped.swap(false, Ordering::Relaxed) {
                tracing::warn!(
                    session_id = %self.session,
                    "recording fell behind; events dropped"
                );
                self.truncated("events_dropped");
                if !self.write(now, "m", "truncated: events dropped, the disk was too slow") {
                    return;
                }
            }
            let finished = matches!(entry, Entry::Exit(_));
            let written = match entry {
                Entry::Output(bytes) => {
                    let text = self.text(0, bytes);
                    text.is_empty() || self.write(now, "o", &text)
                }
                Entry::Input(bytes) => {
                    let text = self.text(1, bytes);
                    text.is_empty() || self.write(now, "i", &text)
                }
                Entry::Resize(cols, rows) => self.write(now, "r", &format!("{cols}x{rows}")),
                Entry::Marker(text) => self.write(now, "m", &text),
                Entry::Exit(code) => self.write(now, "x", &code.to_string()),
            };
            if !written || finished {
                return;
            }
        }
    }

    /// `bytes` as text, with a UTF-8 character cut at either end carried over (invalid bytes
    /// become U+FFFD, as a terminal shows them).
    fn text(&mut self, stream: usize, bytes: Vec<u8>) -> String {
        let mut bytes = [std::mem::take(&mut self.pending_utf8[stream]), bytes].concat();
        let cut = crate::utf8::incomplete_suffix_len(&bytes);
        self.pending_utf8[stream] = bytes.split_off(bytes.len() - cut);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Appends one event; `false` once the recording stops (size limit or write error).
    fn write(&mut self, now: Instant, code: &str, data: &str) -> bool {
        let interval = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        let line = format!(
            "{}\n",
            serde_json::json!([round_micros(interval), code, data])
        );
        if self.written + line.len() as u64 > self.max_bytes {
            tracing::warn!(
                session_id = %self.session,
                "recording reached recording_max_bytes; it stops here"
            );
            self.truncated("size_limit");
            let marker = format!(
                "{}\n",
                serde_json::json!([0.0, "m", "truncated: recording_max_bytes reached"])
            );
            let _ = self.file.write_all(marker.as_bytes());
            return false;
        }
        match self.file.write_all(line.as_bytes()) {
            Ok(()) => {
                self.written += line.len() as u64;
                true
            }
            Err(error) => {
                tracing::warn!(session_id = %self.session, %error, "recording write failed; it stops here");
                self.truncated("write_failed");
                false
            }
        }
    }
}

impl Writer {
    /// Reports (to the audit log, through the session events) that the recording is incomplete.
    fn truncated(&self, reason: &'static str) {
        self.events.emit(&SessionEvent::RecordingTruncated {
            session: &self.session,
            reason,
        });
    }
}

/// Seconds rounded to the microsecond, as asciicast writers do.
fn round_micros(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

/// Creates `path` for writing, readable by this user only.
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// The recording of session `id` and the user it belongs to, if there is one. `id` must look
/// like a session id (no path tricks).
pub(crate) fn read_recording(dir: &Path, id: &str) -> Option<(String, Vec<u8>)> {
    if !is_session_id(id) {
        return None;
    }
    let owner = std::fs::read_to_string(dir.join(format!("{id}.owner"))).ok()?;
    let cast = std::fs::read(dir.join(format!("{id}.cast"))).ok()?;
    Some((owner, cast))
}

/// A recording as the recordings list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordingSummary {
    /// The session's id, which fetches it.
    pub(crate) id: String,
    /// The user it belongs to.
    pub(crate) owner: String,
    /// When its session started (the header's `timestamp`, in seconds).
    pub(crate) started: SystemTime,
    /// When it was last written to.
    pub(crate) modified: SystemTime,
    /// Its size in bytes.
    pub(crate) bytes: u64,
}

/// The header is one line of a few hundred bytes; reading more than this for it is a waste.
const HEADER_READ: u64 = 4096;

/// The recordings in `dir` whose owner `visible` accepts, most recently written first, at most
/// `limit` of them. Files that are not a session's recording with its owner are skipped.
pub(crate) fn list_recordings(
    dir: &Path,
    visible: impl Fn(&str) -> bool,
    limit: usize,
) -> Vec<RecordingSummary> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<RecordingSummary> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let id = name.strip_suffix(".cast").filter(|id| is_session_id(id))?;
            let owner = std::fs::read_to_string(dir.join(format!("{id}.owner"))).ok()?;
            if !visible(&owner) {
                return None;
            }
            let metadata = entry.metadata().ok()?;
            let modified = metadata.modified().ok()?;
            Some(RecordingSummary {
                id: id.to_owned(),
                owner,
                // Read from the header below, for the listed ones only.
                started: modified,
                modified,
                bytes: metadata.len(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.id.cmp(&b.id)));
    found.truncate(limit);
    for summary in &mut found {
        if let Some(started) = header_timestamp(&dir.join(format!("{}.cast", summary.id))) {
            summary.started = started;
        }
    }
    found
}

/// The `timestamp` of the asciicast header at `path`, if it has one.
fn header_timestamp(path: &Path) -> Option<SystemTime> {
    use std::io::{BufRead, BufReader, Read};
    let mut line = String::new();
    BufReader::new(File::open(path).ok()?.take(HEADER_READ))
        .read_line(&mut line)
        .ok()?;
    let header: serde_json::Value = serde_json::from_str(&line).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(header["timestamp"].as_u64()?))
}

/// Whether `id` looks like a session id: 32 lowercase hex characters (no path tricks).
fn is_session_id(id: &str) -> bool {
    super::SessionId::is_valid(id)
}

/// Deletes the recordings in `dir` last written more than `age` ago; returns how many.
pub(crate) fn delete_older_than(dir: &Path, age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut deleted = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_recording = path
            .extension()
            .is_some_and(|extension| extension == "cast" || extension == "owner");
        let old = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|since| since > age));
        if is_recording && old && std::fs::remove_file(&path).is_ok() {
            deleted += usize::from(
                path.extension()
                    .is_some_and(|extension| extension == "cast"),
            );
        }
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_session_ids_are_looked_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.owner"), "alice").unwrap();
        assert_eq!(read_recording(dir.path(), "../etc/passwd"), None);
        assert_eq!(read_recording(dir.path(), "x"), None);
        assert_eq!(read_recording(dir.path(), &"A".repeat(32)), None);
        assert_eq!(read_recording(dir.path(), &"a".repeat(32)), None);
        assert_eq!(
            read_recording(dir.path(), &format!("../x.{}", "a".repeat(32))),
            None
        );
        // A replica's session: its id has the replica's name in front.
        let on_replica = format!("web-terminal-0.{}", "a".repeat(32));
        std::fs::write(dir.path().join(format!("{on_replica}.owner")), "alice").unwrap();
        std::fs::write(dir.path().join(format!("{on_replica}.cast")), "{}").unwrap();
        assert_eq!(
            read_recording(dir.path(), &on_replica),
            Some(("alice".to_owned(), b"{}".to_vec()))
        );
    }

    #[test]
    fn the_list_holds_the_visible_recordings_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let write = |id: &str, owner: &str, header: &str, age_secs: u64| {
            let cast = dir.path().join(format!("{id}.cast"));
            std::fs::write(&cast, format!("{header}\n[0.1,\"o\",\"hi\"]\n")).unwrap();
            std::fs::write(dir.path().join(format!("{id}.owner")), owner).unwrap();
            let when = SystemTime::now() - Duration::from_secs(age_secs);
            File::options()
                .write(true)
                .open(&cast)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        let (old, new, bobs) = ("a".repeat(32), "b".repeat(32), "c".repeat(32));
        write(&old, "alice", r#"{"version":3,"timestamp":1700000000}"#, 60);
        write(&new, "alice", "not a header", 1);
        write(&bobs, "bob", r#"{"version":3,"timestamp":1700000000}"#, 0);
        // Not recordings: no owner file, or a name that is no session id.
        std::fs::write(dir.path().join(format!("{}.cast", "d".repeat(32))), "{}").unwrap();
        std::fs::write(dir.path().join("notes.cast"), "{}").unwrap();
        std::fs::write(dir.path().join("notes.owner"), "alice").unwrap();

        let listed = list_recordings(dir.path(), |owner| owner == "alice", 10);
        let ids: Vec<&str> = listed.iter().map(|summary| summary.id.as_str()).collect();
        assert_eq!(ids, [new.as_str(), old.as_str()]);
        assert_eq!(
            listed[1].started,
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
        assert_eq!(
            listed[0].started, listed[0].modified,
            "no header: when it was written"
        );
        assert_eq!(listed[0].owner, "alice");
        assert!(listed[0].bytes > 0);
        assert_eq!(
            list_recordings(dir.path(), |_| true, 2).len(),
            2,
            "at most the limit"
        );
        assert!(list_recordings(&dir.path().join("missing"), |_| true, 10).is_empty());
    }
}
