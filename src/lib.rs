//! web-terminal: a self-hosted browser terminal.
//!
//! One binary serves an xterm.js UI, a terminal WebSocket, health and readiness checks and
//! Prometheus metrics on one port. `ARCHITECTURE.md` has the bird's-eye view; the layers, from
//! the top:
//!
//! - [`server`] binds, serves and shuts down (one `shutdown` object); `web` is the HTTP and
//!   WebSocket edge, the only layer that knows requests, frames and close codes, speaking the
//!   wire types of `protocol`;
//! - `session` holds the shells: sessions that outlive connections, with scrollback and
//!   backpressure, on the PTYs of `pty`; `lifecycle` turns their events into audit records and
//!   metrics;
//! - [`auth`] verifies tokens against JWKS, applies the allow and deny lists and keeps the audit
//!   log;
//! - [`config`], `metrics`, [`telemetry`] and [`healthcheck`] are the foundations and the
//!   operational edges.
//!
//! The public API is what the `web-terminal` binary, the integration tests and the benchmark
//! use: [`Config`], [`Server`], [`ShutdownHandle`], [`AppState`]'s read-only probes,
//! [`auth::AuthConfig`], [`healthcheck::probe`], [`telemetry::init`], [`ui_embedded`],
//! [`workspace_folder_name`] and, with the `tls` feature, [`tls::pinned_client_config`].

pub mod address_block;
pub mod auth;
pub mod config;
pub mod download;
#[cfg(test)]
mod fuzz;
pub mod healthcheck;
mod lifecycle;
mod memory;
mod metrics;
mod protocol;
mod pty;
pub mod server;
mod session;
mod shutdown;
pub mod telemetry;
mod terminal;
mod utf8;
mod web;

pub use config::Config;
pub use server::{AppState, Server, ShutdownHandle};
pub use session::folder_name as workspace_folder_name;
pub use web::assets::ui_embedded;
#[cfg(feature = "tls")]
pub use web::tls;
