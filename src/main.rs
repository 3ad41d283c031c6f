//! The `web-terminal` command: parse arguments, load the configuration, run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use web_terminal::auth::AuthConfig;
use web_terminal::{Config, Server, healthcheck, telemetry};

/// A self-hosted browser terminal.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "WEB_TERMINAL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the UI, the terminal WebSocket, health checks and metrics.
    Start,
    /// Validate the configuration and print the effective configuration, secrets redacted.
    CheckConfig,
    /// Probe this instance's /health; exit 0 when healthy, 1 otherwise.
    Healthcheck,
    /// In a session: offer FILE to the session's browsers for download.
    Download { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Authentication first: whether it is on decides whether a network address is acceptable.
    let auth = match AuthConfig::load(std::env::vars()) {
        Ok(auth) => auth,
        Err(error) => {
            eprintln!("web-terminal: authentication configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::load(cli.config.as_deref(), std::env::vars(), auth.enabled) {
        Ok(config) => Config { auth, ..config },
        Err(error) => {
            eprintln!("web-terminal: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::CheckConfig => {
            print!("{}", config.to_redacted_toml());
            print!(
                "\n# Authentication (YAML, as in WEB_TERMINAL_AUTH_CONFIG, with AUTH_* applied)\n{}",
                config.auth.to_redacted_yaml()
            );
            ExitCode::SUCCESS
        }
        Command::Healthcheck => {
            let tls_cert = config.tls_cert.as_deref();
            match healthcheck::probe(config.listen_addr(), tls_cert, Duration::from_secs(3)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("web-terminal: unhealthy: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Download { file } => web_terminal::download::run(&file),
        Command::Start => {
            telemetry::init(&config.log_level, config.log_format);
            match start(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    tracing::error!("{error:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn start(config: Config) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.runtime_threads())
        .enable_all()
        .build()?
        .block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::bind(config.clone())
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.listen_addr()))?;
    server.run_until_signalled().await?;
    Ok(())
}
