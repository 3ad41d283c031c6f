//! The control socket itself: a Unix socket bound in a new private folder (0700) of the
//! temporary directory, named to every shell by [`CONTROL_ENV`]. `control.rs` serves it.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The variable that names the socket to the shells.
pub(crate) const CONTROL_ENV: &str = "WEB_TERMINAL_CONTROL";
/// The bound socket, until the server serves it; its folder goes when this is dropped.
#[derive(Debug)]
pub(crate) struct ControlSocket {
    path: PathBuf,
    pub(super) listener: Mutex<Option<std::os::unix::net::UnixListener>>,
}

impl ControlSocket {
    /// Binds a socket in a new private folder of the temporary directory.
    pub(crate) fn bind() -> std::io::Result<Self> {
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(std::io::Error::other)?;
        let suffix: String = suffix.iter().map(|byte| format!("{byte:02x}")).collect();
        let folder = std::env::temp_dir().join(format!("web-terminal-{suffix}"));
        std::fs::DirBuilder::new().mode(0o700).create(&folder)?;
        let path = folder.join("control.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            path,
            listener: Mutex::new(Some(listener)),
        })
    }

    /// Where the socket is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        if let Some(folder) = self.path.parent() {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}
