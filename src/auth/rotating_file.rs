//! An append-only file of lines with a size bound: once a write takes it past `max_bytes`, it
//! is renamed to `<name>.1` (older ones shift to `.2` and on, the oldest beyond `keep` is
//! deleted) and a fresh file is started. Files are created with mode 0600 and their folder
//! with 0700; an existing file's mode is tightened to 0600.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// An open, size-bounded log file.
#[derive(Debug)]
pub(super) struct RotatingFile {
    path: PathBuf,
    file: File,
    /// Bytes in the current file.
    written: u64,
    max_bytes: u64,
    /// Rotated files kept besides the current one.
    keep: u32,
}

impl RotatingFile {
    /// Opens `path` for appending, creating it (and its folder) if needed.
    pub(super) fn open(path: &Path, max_bytes: u64, keep: u32) -> std::io::Result<Self> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
        let file = open_append(path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            file,
            written,
            max_bytes,
            keep,
        })
    }

    /// Appends `line` in one write (with `O_APPEND`, concurrent writers never interleave), then
    /// rotates if the file has grown past its bound.
    pub(super) fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.file.write_all(line)?;
        self.written += line.len() as u64;
        if self.written >= self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let numbered = |n: u32| {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for n in (1..self.keep).rev() {
                match std::fs::rename(numbered(n), numbered(n + 1)) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(error);
                    }
                    _ => {}
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.file = open_append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn rotates_past_the_bound_and_keeps_only_so_many() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.log");
        let mut file = RotatingFile::open(&path, 10, 2).unwrap();
        for line in ["one 12345\n", "two 12345\n", "three 123\n", "four 1234\n"] {
            file.append(line.as_bytes()).unwrap();
        }
        file.append(b"five\n").unwrap();
        assert_eq!(read(&path), "five\n");
        assert_eq!(read(&dir.path().join("logs/audit.log.1")), "four 1234\n");
        assert_eq!(read(&dir.path().join("logs/audit.log.2")), "three 123\n");
        assert!(!dir.path().join("logs/audit.log.3").exists());
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("logs/audit.log.1")), 0o600);
        assert_eq!(mode(&dir.path().join("logs")), 0o700);
    }

    #[test]
    fn counts_what_the_file_already_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "12345678\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = RotatingFile::open(&path, 10, 0).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        file.append(b"x\n").unwrap();
        assert_eq!(read(&path), "", "kept none: the full file is deleted");
    }
}
