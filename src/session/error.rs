//! Why a session could not be opened or attached.

use super::workspace::WorkspaceError;

/// Why a session could not be opened or attached.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// The server-wide limit is reached.
    #[error("the server's session limit ({0}) is reached")]
    ServerLimit(usize),
    /// This user's limit is reached.
    #[error("the per-user session limit ({0}) is reached")]
    UserLimit(usize),
    /// No live session has that id.
    #[error("unknown or expired session")]
    Unknown,
    /// The session belongs to someone else.
    #[error("the session belongs to another user")]
    NotOwner,
    /// The session is shared with this user to watch only.
    #[error("the session is shared with you to watch only")]
    ReadOnly,
    /// The server is draining and takes no new sessions.
    #[error("the server is shutting down")]
    Draining,
    /// The user's workspace could not be prepared.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The PTY or the shell could not be started.
    #[error("could not start the shell: {0}")]
    Spawn(#[from] std::io::Error),
}

/// Why a recording could not be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordingError {
    /// Recording is off on this server.
    #[error("sessions are not recorded on this server")]
    Off,
    /// No recording has that id.
    #[error("no recording of that session")]
    Unknown,
    /// Neither the session's owner nor an auditor.
    #[error("only the session's owner or an auditor may fetch its recording")]
    NotAllowed,
}
