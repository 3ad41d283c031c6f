//! Files uploaded into a session: written into the directory the session's terminal is in (the
//! current directory of its foreground process, else of its shell), under a name that can only
//! ever be a plain file name in that directory.
//!
//! The name is one path component: no `/`, not `.` or `..`, no control characters, at most
//! [`MAX_NAME_BYTES`] bytes. The bytes go to a hidden temporary file created next to the target
//! (`O_EXCL` and `O_NOFOLLOW`, so nothing that exists, a symbolic link included, is written
//! through); once complete it is linked to its name, which fails if anything has that name by
//! then, and the temporary name is removed. An upload that fails or is abandoned leaves nothing.

use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use super::events::Direction;
use super::{Requester, Role, Session, SessionError, SessionEvent, SessionRegistry};

/// Longest file name, in bytes (Linux's NAME_MAX).
pub(crate) const MAX_NAME_BYTES: usize = 255;

/// Why an upload was refused or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransferError {
    /// The name is not a plain file name; the text says why.
    #[error("invalid file name: {0}")]
    BadName(&'static str),
    /// More bytes than uploads may have.
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    /// Something already has that name in the directory.
    #[error("a file named {0:?} already exists there")]
    Exists(String),
    /// The session's current directory cannot be found or written.
    #[error("the session's current directory cannot be written")]
    NoDirectory,
    /// The disk (or the user's quota) is full.
    #[error("the disk is full")]
    DiskFull,
    /// The program asking runs in no session of this server.
    #[error("not run in a web-terminal session")]
    NotInSession,
    /// What was asked for is not a readable regular file.
    #[error("not a readable regular file")]
    NotAFile,
    /// No download waits under that id: it was fetched already, has expired, or never was.
    #[error("no such download: it was fetched already or has expired")]
    NoSuchDownload,
    /// Any other write failure.
    #[error("the file could not be written")]
    WriteFailed,
    /// The session could not be reached, or not for this.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Checks that `name` is a plain file name (see the module docs).
pub(crate) fn check_name(name: &str) -> Result<(), TransferError> {
    let problem = if name.is_empty() {
        "empty"
    } else if name == "." || name == ".." {
        "not . or .."
    } else if name.contains('/') {
        "no / (a name, not a path)"
    } else if name.chars().any(char::is_control) {
        "no control characters"
    } else if name.len() > MAX_NAME_BYTES {
        "at most 255 bytes"
    } else {
        return Ok(());
    };
    Err(TransferError::BadName(problem))
}

/// An upload under way: bytes go to a temporary file until [`finish`](Upload::finish).
#[derive(Debug)]
pub(crate) struct Upload {
    session: Session,
    by: Requester,
    registry: SessionRegistry,
    directory: PathBuf,
    name: String,
    temporary: PathBuf,
    file: tokio::fs::File,
    written: u64,
    limit: u64,
    finished: bool,
}

impl SessionRegistry {
    /// Starts an upload of a file called `name` into session `id`'s current directory, for `by`,
    /// who must be its owner or have a `write` share; at most `limit` bytes.
    pub(crate) async fn upload(
        &self,
        id: &str,
        by: &Requester,
        name: &str,
        limit: u64,
    ) -> Result<Upload, TransferError> {
        check_name(name)?;
        let (session, role) = self.reachable(id, by)?;
        if role == Role::View {
            return Err(SessionError::ReadOnly.into());
        }
        let directory = current_directory(session.pid()).ok_or(TransferError::NoDirectory)?;
        let temporary = directory.join(format!(".{name}.upload-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temporary)
            .map_err(|error| write_error(&error, name))?;
        Ok(Upload {
            session,
            by: by.clone(),
            registry: self.clone(),
            directory,
            name: name.to_owned(),
            temporary,
            file: tokio::fs::File::from_std(file),
            written: 0,
            limit,
            finished: false,
        })
    }
}

impl Upload {
    /// Appends `chunk`.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), TransferError> {
        self.written += chunk.len() as u64;
        if self.written > self.limit {
            return Err(TransferError::TooLarge(self.limit));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|error| write_error(&error, &self.name))
    }

    /// Puts the file in place under its name; returns the directory it is in and its size.
    pub(crate) async fn finish(mut self) -> Result<(PathBuf, u64), TransferError> {
        self.file
            .flush()
            .await
            .map_err(|error| write_error(&error, &self.name))?;
        self.file
            .sync_all()
            .await
            .map_err(|error| write_error(&error, &self.name))?;
        let target = self.directory.join(&self.name);
        // A hard link, unlike a rename, never replaces what is there.
        std::fs::hard_link(&self.temporary, &target)
            .map_err(|error| write_error(&error, &self.name))?;
        let _ = std::fs::remove_file(&self.temporary);
        self.finished = true;
        self.session.record(|recorder| {
            recorder.marker(format!("upload {} ({} bytes)", self.name, self.written));
        });
        self.registry.emit(&SessionEvent::Transferred {
            session: self.session.id(),
            by: &self.by,
            direction: Direction::Upload,
            name: &self.name,
            bytes: self.written,
        });
        Ok((self.directory.clone(), self.written))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// What a failed write means for the user.
fn write_error(error: &std::io::Error, name: &str) -> TransferError {
    match error.kind() {
        ErrorKind::AlreadyExists => TransferError::Exists(name.to_owned()),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => TransferError::DiskFull,
        ErrorKind::NotFound | ErrorKind::PermissionDenied | ErrorKind::NotADirectory => {
            TransferError::NoDirectory
        }
        // O_NOFOLLOW on a symbolic link that appeared meanwhile.
        _ if error.raw_os_error() == Some(libc::ELOOP) => TransferError::Exists(name.to_owned()),
        _ => TransferError::WriteFailed,
    }
}

/// The directory the terminal of the shell `pid` is in: that of its foreground process group
/// (what runs in the terminal now), else the shell's own.
fn current_directory(pid: i32) -> Option<PathBuf> {
    let foreground = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| foreground_group(&stat));
    foreground
        .into_iter()
        .chain([pid])
        .find_map(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).ok())
        .filter(|directory| directory.is_absolute() && Path::new(directory).is_dir())
}

/// The foreground process group of the terminal, from a `/proc/<pid>/stat` line (`tpgid`, the
/// fifth field after the command name).
fn foreground_group(stat: &str) -> Option<i32> {
    let after_command = stat.rsplit_once(')')?.1;
    after_command
        .split_whitespace()
        .nth(5)?
        .parse()
        .ok()
        .filter(|group: &i32| *group > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_pass() {
        for good in [
            "notes.txt",
            "a b",
            "émoji 🚀",
            ".hidden",
            "..x",
            &"n".repeat(255),
        ] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
        for (bad, why) in [
            ("", "empty"),
            (".", "not . or .."),
            ("..", "not . or .."),
            ("../etc/passwd", "no / (a name, not a path)"),
            ("/etc/passwd", "no / (a name, not a path)"),
            ("a/b", "no / (a name, not a path)"),
            ("a\u{1b}[31m", "no control characters"),
            ("a\nb", "no control characters"),
            (&"n".repeat(256), "at most 255 bytes"),
        ] {
            match check_name(bad) {
                Err(TransferError::BadName(reason)) => assert_eq!(reason, why, "{bad:?}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_full_disk_and_an_existing_name_are_told_apart() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(matches!(write_error(&full, "x"), TransferError::DiskFull));
        let quota = std::io::Error::from_raw_os_error(libc::EDQUOT);
        assert!(matches!(write_error(&quota, "x"), TransferError::DiskFull));
        let exists = std::io::Error::from_raw_os_error(libc::EEXIST);
        assert!(matches!(
            write_error(&exists, "x"),
            TransferError::Exists(_)
        ));
        let link = std::io::Error::from_raw_os_error(libc::ELOOP);
        assert!(matches!(write_error(&link, "x"), TransferError::Exists(_)));
    }

    #[test]
    fn reads_the_foreground_group_from_stat() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 34816 5000 4194560 0 0";
        assert_eq!(foreground_group(stat), Some(5000));
        assert_eq!(foreground_group("1 (x) S 0 0 0 0 -1 0"), None);
    }

    #[test]
    fn a_full_disk_is_reported_as_such() {
        // /dev/full accepts opens and fails every write with ENOSPC, as a full disk does.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut file = tokio::fs::File::from_std(full);
            // Writes are buffered: the error comes by the flush at the latest, as in `finish`.
            let written = file.write_all(&[0u8; 8192]).await;
            let error = match written {
                Err(error) => error,
                Ok(()) => file.flush().await.unwrap_err(),
            };
            assert!(matches!(write_error(&error, "x"), TransferError::DiskFull));
        });
    }
}
