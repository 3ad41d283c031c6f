//! Pseudo-terminals and their process groups: spawning a shell on a PTY, non-blocking async I/O on
//! the master side, signalling the group and reaping exit statuses.
//!
//! This is the one module that calls into libc directly; every `unsafe` block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::{CString, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;

use portable_pty::{MasterPty, PtySize, native_pty_system};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// What to run in a new PTY.
#[derive(Debug, Clone)]
pub(crate) struct ShellCommand {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(String, String)>,
    /// Variable name prefixes removed from the inherited environment (server secrets).
    pub env_remove_prefixes: Vec<String>,
}

/// Held while a new PTY is opened and while a shell is started. A shell inherits every fd of
/// this process that is not close-on-exec, and portable-pty marks a new PTY's fds so only just
/// after it opened them: a shell started by another thread in between would hold a stranger's
/// terminal open (its session would never see end-of-file) and could read its input.
static SPAWNING: Mutex<()> = Mutex::new(());

/// Done before the first shell starts: see [`close_inherited_fds_on_exec`].
static INHERITED_FDS_CLOSED_ON_EXEC: std::sync::Once = std::sync::Once::new();

/// Marks close-on-exec every fd above standard error that this process has (what it inherited
/// from whoever started it: a shell, a supervisor, a test runner), so that shells get their
/// terminal and nothing else. Every fd this process opens itself is close-on-exec already (Rust's
/// standard library, tokio, and portable-pty, whose window is guarded by [`SPAWNING`]).
fn close_inherited_fds_on_exec() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        tracing::warn!("cannot list /proc/self/fd: fds the server inherited may reach the shells");
        return;
    };
    for fd in entries.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
        if fd > 2 {
            // SAFETY: fcntl with F_GETFD/F_SETFD changes only the fd's close-on-exec flag; an fd
            // that is no longer open (the listing's own, by now) makes it fail with EBADF.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }
}

/// A shell running on a PTY.
pub(crate) struct Pty {
    /// The master side, kept for resizing. `portable-pty` needs it alive for the fd to stay open.
    /// Behind a std mutex only because `MasterPty` is not `Sync`; resizes never contend.
    master: Mutex<Box<dyn MasterPty + Send>>,
    /// The master side's fd, duplicated and non-blocking, for async reads and writes. Registered
    /// for reading only: the kernel's poll of a PTY master may wait for the tty's flush worker
    /// (see [`read_now`](Self::read_now)), and every wakeup of a registered interest makes the
    /// runtime's `epoll_wait` run that poll; writes rarely have to wait ([`write_all`](Self::write_all)).
    io: AsyncFd<File>,
    /// Process id of the shell, which is also its process group and session id (it ran `setsid`).
    pid: i32,
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pty").field("pid", &self.pid).finish()
    }
}

impl Pty {
    /// Starts `command` in `cwd` on a new PTY of `cols` x `rows`.
    pub(crate) fn spawn(
        command: &ShellCommand,
        cwd: &Path,
        cols: u16,
        rows: u16,
    ) -> io::Result<Self> {
        let (pair, pid) = {
            let _no_other_spawn = SPAWNING
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            INHERITED_FDS_CLOSED_ON_EXEC.call_once(close_inherited_fds_on_exec);
            let pair = native_pty_system()
                .openpty(pty_size(cols, rows))
                .map_err(io::Error::other)?;
            let tty = pair
                .master
                .tty_name()
                .ok_or_else(|| io::Error::other("the PTY has no terminal device name"))?;
            let pid = spawn_session_leader(command, cwd, &tty)?;
            (pair, pid)
        };
        // The parent's copy of the slave must go, or reads never see end-of-file.
        drop(pair.slave);
        let raw = pair
            .master
            .as_raw_fd()
            .ok_or_else(|| io::Error::other("PTY master has no file descriptor"))?;
        // SAFETY: `raw` is the master's open fd and `pair.master`, which owns it, outlives this
        // borrow; `try_clone_to_owned` dups it (with close-on-exec) into an fd we own.
        let owned: OwnedFd = unsafe { BorrowedFd::borrow_raw(raw) }.try_clone_to_owned()?;
        set_nonblocking(&owned)?;
        // SAFETY: the `File` owns its fd, which stays open and unchanged until the `AsyncFd`
        // that owns the `File` is dropped.
        let io = unsafe { AsyncFd::register_with_interest(File::from(owned), Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(Self {
            master: Mutex::new(pair.master),
            io,
            pid,
        })
    }

    /// The shell's pid, which is also its process group id.
    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }

    /// Reads available output into `buf`. `Ok(0)` means every slave fd is closed.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.io.readable().await?;
            match guard.try_io(|file| file.get_ref().read(buf)) {
                Ok(Err(error)) if error.raw_os_error() == Some(libc::EIO) => return Ok(0),
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Reads available output into `buf` at once, from any thread: `WouldBlock` when there is
    /// none, `Ok(0)` when every slave fd is closed. While the shell writes faster than it is read,
    /// the kernel makes even this read wait for the tty's flush worker to refill the line
    /// discipline's buffer (about a millisecond on an idle machine), so the pump calls it on a
    /// blocking thread, not on the runtime's.
    pub(crate) fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self.io.get_ref().read(buf) {
            Err(error) if error.raw_os_error() == Some(libc::EIO) => Ok(0),
            result => result,
        }
    }

    /// Writes all of `data` to the shell's input, waiting while the PTY's input buffer is full
    /// (a shell that does not read): on a blocking thread, a poll at a time.
    pub(crate) async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.io.get_ref().write(data) {
                Ok(written) => data = &data[written..],
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    let file = self.io.get_ref().try_clone()?;
                    tokio::task::spawn_blocking(move || wait_for_room(&file))
                        .await
                        .map_err(io::Error::other)??;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Tells the kernel, and so the shell (SIGWINCH), the new size.
    pub(crate) fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        self.master
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .resize(pty_size(cols, rows))
            .map_err(io::Error::other)
    }
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// Starts `command` in `cwd` as the leader of a new session (its pid is its process group) whose
/// controlling terminal is `tty`, which is also its standard input, output and error; returns its
/// pid. Its environment is this process's without the variables that `command` removes, plus
/// those it sets; every signal is at its default and none is blocked.
///
/// Through `posix_spawn`, which glibc runs as a `vfork`: the child borrows this process's memory
/// until it execs. A `fork` (what `std::process::Command` does for a new session) would copy this
/// process's page tables, and every page this process writes until the child has exec'd would take
/// a copy-on-write fault: some 15 ms a shell once the server holds a thousand sessions, which
/// every other session's echo felt.
fn spawn_session_leader(command: &ShellCommand, cwd: &Path, tty: &Path) -> io::Result<i32> {
    let program = c_string(command.program.as_bytes())?;
    let mut argv = vec![program.clone()];
    for arg in &command.args {
        argv.push(c_string(arg.as_bytes())?);
    }
    let mut env: std::collections::BTreeMap<OsString, OsString> = std::env::vars_os()
        .filter(|(name, _)| {
            !command
                .env_remove_prefixes
                .iter()
                .any(|prefix| name.as_bytes().starts_with(prefix.as_bytes()))
        })
        .collect();
    for (name, value) in &command.env {
        env.insert(name.into(), value.into());
    }
    let envp = env
        .iter()
        .map(|(name, value)| c_string(&[name.as_bytes(), b"=", value.as_bytes()].concat()))
        .collect::<io::Result<Vec<_>>>()?;
    let tty = c_string(tty.as_os_str().as_bytes())?;
    let cwd = c_string(cwd.as_os_str().as_bytes())?;
    let mut argv_ptrs: Vec<*mut libc::c_char> =
        argv.iter().map(|arg| arg.as_ptr().cast_mut()).collect();
    argv_ptrs.push(std::ptr::null_mut());
    let mut envp_ptrs: Vec<*mut libc::c_char> =
        envp.iter().map(|var| var.as_ptr().cast_mut()).collect();
    envp_ptrs.push(std::ptr::null_mut());

    let mut actions = SpawnActions::new()?;
    // SAFETY (this block): `actions` is initialised, and the paths are NUL-terminated strings
    // that outlive the posix_spawnp call below (the actions keep pointers to them, not copies,
    // in some libcs).
    unsafe {
        // In the child, after setsid (glibc runs the file actions after the attributes): opening
        // the terminal without O_NOCTTY makes it the new session's controlling terminal.
        check(libc::posix_spawn_file_actions_addopen(
            &mut actions.0,
            0,
            tty.as_ptr(),
            libc::O_RDWR,
            0,
        ))?;
        check(libc::posix_spawn_file_actions_adddup2(&mut actions.0, 0, 1))?;
        check(libc::posix_spawn_file_actions_adddup2(&mut actions.0, 0, 2))?;
        check(libc::posix_spawn_file_actions_addchdir_np(
            &mut actions.0,
            cwd.as_ptr(),
        ))?;
    }
    let mut attributes = SpawnAttributes::new()?;
    // SAFETY (this block): `sigset_t`s initialised by sigfillset/sigemptyset before use, and
    // `attributes` is an initialised posix_spawnattr_t.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        check(libc::posix_spawnattr_setsigdefault(&mut attributes.0, &all))?;
        check(libc::posix_spawnattr_setsigmask(&mut attributes.0, &none))?;
        let flags = libc::POSIX_SPAWN_SETSID
            | libc::POSIX_SPAWN_SETSIGDEF as libc::c_short
            | libc::POSIX_SPAWN_SETSIGMASK as libc::c_short;
        check(libc::posix_spawnattr_setflags(&mut attributes.0, flags))?;
    }
    let mut pid: libc::pid_t = 0;
    // SAFETY: every pointer is valid for the call: the actions and attributes initialised above,
    // and NUL-terminated arrays of pointers to NUL-terminated strings that outlive it.
    check(unsafe {
        libc::posix_spawnp(
            &mut pid,
            program.as_ptr(),
            &actions.0,
            &attributes.0,
            argv_ptrs.as_ptr(),
            envp_ptrs.as_ptr(),
        )
    })
    .map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot start {}: {error}", command.program),
        )
    })?;
    Ok(pid)
}

/// `bytes` as a C string; a NUL inside is an error.
fn c_string(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a NUL byte in a command, its environment or a path",
        )
    })
}

/// A posix_spawn call's result (an errno value, not -1) as an `io::Result`.
fn check(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(result))
    }
}

/// File actions for `posix_spawn`, destroyed when dropped.
struct SpawnActions(libc::posix_spawn_file_actions_t);

impl SpawnActions {
    fn new() -> io::Result<Self> {
        // SAFETY: zeroed memory is a valid argument to posix_spawn_file_actions_init, which
        // initialises it.
        let mut actions = Self(unsafe { std::mem::zeroed() });
        check(unsafe { libc::posix_spawn_file_actions_init(&mut actions.0) })?;
        Ok(actions)
    }
}

impl Drop for SpawnActions {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

/// Attributes for `posix_spawn`, destroyed when dropped.
struct SpawnAttributes(libc::posix_spawnattr_t);

impl SpawnAttributes {
    fn new() -> io::Result<Self> {
        // SAFETY: as for `SpawnActions::new`.
        let mut attributes = Self(unsafe { std::mem::zeroed() });
        check(unsafe { libc::posix_spawnattr_init(&mut attributes.0) })?;
        Ok(attributes)
    }
}

impl Drop for SpawnAttributes {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

/// Longest a blocking thread waits for room in a shell's input before its writer looks again.
const ROOM_POLL_MS: i32 = 100;

/// Waits until `file`, a PTY master, takes input (or hangs up), for at most [`ROOM_POLL_MS`].
fn wait_for_room(file: &File) -> io::Result<()> {
    let mut poll = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid `pollfd` for the one-element count; `file` keeps the fd open meanwhile.
    if unsafe { libc::poll(&mut poll, 1, ROOM_POLL_MS) } < 0 {
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    Ok(())
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl with F_GETFL/F_SETFL on a valid open fd has no memory effects.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Signals that end a session's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hangup {
    /// SIGHUP, what a terminal sends when it goes away.
    Polite,
    /// SIGKILL, for what ignored SIGHUP.
    Forced,
}

/// Sends `signal` to every process in the group `pgid`. A group that is already gone is fine.
pub(crate) fn signal_group(pgid: i32, signal: Hangup) {
    let number = match signal {
        Hangup::Polite => libc::SIGHUP,
        Hangup::Forced => libc::SIGKILL,
    };
    if pgid > 1 {
        // SAFETY: kill has no memory effects; a negative pid addresses the process group, and
        // pgid > 1 rules out signalling every process (-1) or our own group (0).
        unsafe { libc::kill(-pgid, number) };
    }
}

/// Sends `signal` to what is left of the process group of a shell that has been reaped, whose
/// pid was the group's id. The kernel never hands a pid out again while a process group of that
/// id has members, so if a process with that pid exists now, the number was reused: the group is
/// empty, the new process is somebody else's, and nothing is sent.
pub(crate) fn signal_leftover_group(pgid: i32, signal: Hangup) {
    if Path::new(&format!("/proc/{pgid}")).exists() {
        return;
    }
    signal_group(pgid, signal);
}

/// Collects the exit status of child `pid` if it has exited: `Some(code)`, where a shell killed
/// by a signal reports 128 + the signal number. A pid that is not our child reports `Some(-1)`.
pub(crate) fn reap(pid: i32) -> Option<i32> {
    let mut status = 0;
    // SAFETY: waitpid writes only to `status`, a valid local.
    let result = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    match result {
        0 => None,
        -1 => Some(-1),
        _ => Some(exit_code(status)),
    }
}

/// Collects any exited child, for a server running as PID 1, where orphaned grandchildren of the
/// shells are re-parented to us and would otherwise stay zombies.
pub(crate) fn reap_any() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: as in `reap`.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then(|| (pid, exit_code(status)))
}

/// Whether this process is PID 1 (the init of a container).
pub(crate) fn is_init_process() -> bool {
    std::process::id() == 1
}

fn exit_code(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> ShellCommand {
        ShellCommand {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("TERM".into(), "xterm-256color".into())],
            env_remove_prefixes: vec!["WEB_TERMINAL_".into()],
        }
    }

    async fn read_to_end(pty: &Pty) -> Vec<u8> {
        let mut output = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match pty.read(&mut buf).await.unwrap() {
                0 => return output,
                n => output.extend_from_slice(&buf[..n]),
            }
        }
    }

    async fn wait_for_exit(pid: i32) -> i32 {
        loop {
            if let Some(code) = reap(pid) {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn runs_a_command_with_size_env_and_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let pty = Pty::spawn(
            &sh("stty size; echo $TERM; pwd; exit 7"),
            dir.path(),
            100,
            30,
        )
        .unwrap();
        let output = String::from_utf8(read_to_end(&pty).await).unwrap();
        assert!(output.contains("30 100"), "{output}");
        assert!(output.contains("xterm-256color"), "{output}");
        let cwd = dir.path().canonicalize().unwrap();
        assert!(output.contains(cwd.to_str().unwrap()), "{output}");
        assert_eq!(wait_for_exit(pty.pid()).await, 7);
    }

    /// Whether `pid` is running (not gone, not a zombie).
    fn running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
    }

    fn group_leader(script: &str) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        std::process::Command::new("/bin/sh")
            .args(["-c", script])
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap()
    }

    #[test]
    fn a_group_whose_id_is_a_live_pid_counts_as_reused_and_is_left_alone() {
        // A live process whose pid is the group id: what a reused pid looks like.
        let mut stranger = group_leader("exec sleep 30");
        let pgid = stranger.id() as i32;
        signal_leftover_group(pgid, Hangup::Forced);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            stranger.try_wait().unwrap().is_none(),
            "the stranger was killed"
        );
        // The unguarded signal does reach it.
        signal_group(pgid, Hangup::Forced);
        let status = stranger.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    }

    #[test]
    fn what_a_reaped_leader_leaves_in_its_group_is_signalled() {
        let mut leader = group_leader("sleep 30 & echo $!");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(leader.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let left_behind: u32 = line.trim().parse().unwrap();
        leader.wait().unwrap(); // reaped: its pid is now only the group's id
        assert!(running(left_behind));
        signal_leftover_group(leader.id() as i32, Hangup::Forced);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while running(left_behind) {
            assert!(
                std::time::Instant::now() < deadline,
                "the background job lives on"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[tokio::test]
    async fn a_signal_reports_128_plus_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let pty = Pty::spawn(&sh("sleep 30"), dir.path(), 80, 24).unwrap();
        signal_group(pty.pid(), Hangup::Forced);
        assert_eq!(wait_for_exit(pty.pid()).await, 128 + libc::SIGKILL);
    }

    #[tokio::test]
    async fn the_environment_is_ours_without_what_is_removed_and_with_what_is_set() {
        assert!(
            std::env::var_os("CARGO_PKG_NAME").is_some(),
            "cargo sets it for tests"
        );
        let dir = tempfile::tempdir().unwrap();
        let command = ShellCommand {
            program: "sh".into(), // found on PATH
            args: vec!["-c".into(), "env".into()],
            env: vec![
                ("HOME".into(), "/elsewhere".into()),
                ("WT_SET".into(), "yes".into()),
            ],
            env_remove_prefixes: vec!["CARGO_PKG_".into()],
        };
        let pty = Pty::spawn(&command, dir.path(), 80, 24).unwrap();
        let output = String::from_utf8(read_to_end(&pty).await).unwrap();
        let lines: Vec<&str> = output.lines().map(str::trim_end).collect();
        assert!(lines.contains(&"WT_SET=yes"), "{output}");
        assert!(lines.contains(&"HOME=/elsewhere"), "{output}");
        assert!(
            lines.iter().any(|line| line.starts_with("PATH=")),
            "{output}"
        );
        assert!(!output.contains("CARGO_PKG_"), "{output}");
        wait_for_exit(pty.pid()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shell_holds_its_own_terminal_and_no_other_fd_even_when_shells_start_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let starts = (0..16).map(|_| {
            let cwd = dir.path().to_owned();
            tokio::task::spawn_blocking(move || {
                Pty::spawn(&sh("exec ls /proc/self/fd"), &cwd, 80, 24).unwrap()
            })
        });
        for start in starts.collect::<Vec<_>>() {
            let pty = start.await.unwrap();
            let output = String::from_utf8(read_to_end(&pty).await).unwrap();
            // 3 is the directory `ls` lists.
            let fds: Vec<&str> = output.split_whitespace().collect();
            assert_eq!(fds, ["0", "1", "2", "3"], "the shell's fds");
            wait_for_exit(pty.pid()).await;
        }
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = Pty::spawn(
            &ShellCommand {
                program: "/nonexistent/shell".into(),
                ..sh("")
            },
            dir.path(),
            80,
            24,
        )
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
        assert!(error.to_string().contains("/nonexistent/shell"), "{error}");
    }

    #[tokio::test]
    async fn read_now_takes_what_is_there_and_never_waits() {
        let dir = tempfile::tempdir().unwrap();
        let pty = Pty::spawn(
            &sh("stty -echo; read line; echo got:$line; sleep 30"),
            dir.path(),
            80,
            24,
        )
        .unwrap();
        let mut buf = [0u8; 4096];
        let nothing = pty.read_now(&mut buf).unwrap_err();
        assert_eq!(nothing.kind(), io::ErrorKind::WouldBlock);
        pty.write_all(b"x\n").await.unwrap();
        let mut output = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !String::from_utf8_lossy(&output).contains("got:x") {
            assert!(
                std::time::Instant::now() < deadline,
                "no output: {output:?}"
            );
            match pty.read_now(&mut buf) {
                Ok(count) => output.extend_from_slice(&buf[..count]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Err(error) => panic!("{error}"),
            }
        }
        signal_group(pty.pid(), Hangup::Forced);
        wait_for_exit(pty.pid()).await;
        // Every slave fd is closed: end of file, not an error.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            assert!(std::time::Instant::now() < deadline, "no end of file");
            match pty.read_now(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Err(error) => panic!("{error}"),
            }
        }
    }

    #[tokio::test]
    async fn input_beyond_what_the_terminal_holds_waits_until_the_shell_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let pty = Pty::spawn(
            &sh("stty -echo; echo ready; sleep 1; wc -c"),
            dir.path(),
            80,
            24,
        )
        .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("ready") {
            let count = pty.read(&mut buf).await.unwrap();
            assert!(count > 0, "the shell ended early: {seen:?}");
            seen.extend_from_slice(&buf[..count]);
        }
        // 200,000 bytes in lines of 100, far more than the terminal's 4 KiB input buffer, which
        // stays full until `wc` starts reading a second later; then end of file (Ctrl-D).
        let line = [&[b'y'; 99][..], b"\n"].concat();
        let input: Vec<u8> = line.repeat(2000);
        pty.write_all(&input).await.unwrap();
        pty.write_all(b"\x04").await.unwrap();
        let output = String::from_utf8(read_to_end(&pty).await).unwrap();
        assert!(output.contains("200000"), "{output}");
        wait_for_exit(pty.pid()).await;
    }

    #[tokio::test]
    async fn input_reaches_the_shell() {
        let dir = tempfile::tempdir().unwrap();
        let pty = Pty::spawn(&sh("read line; echo got:$line"), dir.path(), 80, 24).unwrap();
        pty.write_all(b"hello\n").await.unwrap();
        let output = String::from_utf8(read_to_end(&pty).await).unwrap();
        assert!(output.contains("got:hello"), "{output}");
        wait_for_exit(pty.pid()).await;
    }
}
