//! The shell every session runs: program, arguments and environment from the configuration.

use std::path::Path;

use crate::config::{Config, ENV_PREFIX};
use crate::pty::ShellCommand;

/// Variable prefixes removed from the shells' environment: the server's own settings and
/// secrets are none of the shell's business.
const SERVER_ONLY_PREFIXES: [&str; 2] = [ENV_PREFIX, "AUTH_"];

/// The configured shell (else `$SHELL`, else `/bin/sh`), without a `HOME` yet.
pub(super) fn configured_shell(config: &Config) -> ShellCommand {
    let program = config
        .shell
        .clone()
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .filter(|shell| !shell.is_empty())
        })
        .unwrap_or_else(|| "/bin/sh".to_owned());
    let mut env = vec![
        ("TERM".to_owned(), "xterm-256color".to_owned()),
        ("COLORTERM".to_owned(), "truecolor".to_owned()),
        ("SHELL".to_owned(), program.clone()),
    ];
    env.extend(config.shell_env.clone());
    ShellCommand {
        program,
        args: config.shell_args.clone(),
        env,
        env_remove_prefixes: SERVER_ONLY_PREFIXES.map(str::to_owned).to_vec(),
    }
}

/// `shell` with the variable `name` naming the server's control socket at `path`, if there is one.
pub(super) fn with_control(
    mut shell: ShellCommand,
    control: Option<(&str, &Path)>,
) -> ShellCommand {
    if let Some((name, path)) = control {
        shell
            .env
            .push((name.to_owned(), path.display().to_string()));
    }
    shell
}

/// `shell` with `HOME` set to `workspace`, where it also starts.
pub(super) fn with_home(shell: &ShellCommand, workspace: &Path) -> ShellCommand {
    let mut shell = shell.clone();
    shell
        .env
        .push(("HOME".to_owned(), workspace.display().to_string()));
    shell
}
