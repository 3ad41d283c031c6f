//! web-terminal: a self-hosted browser terminal.
//!
//! One binary serves an xterm.js UI, a terminal WebSocket, health and readiness checks and
//! Prometheus metrics on one port. `ARCHITECTURE.md` has the bird's-eye view; in short:
//!
//! - [`config`] loads and validates the configuration;
//! - [`server`] binds, serves (through `serve`, the HTTP connection loop) and shuts down
//!   gracefully; [`routes`] are the HTTP routes and
//!   [`ws`] the WebSocket connection, speaking the wire types of [`protocol`];
//! - [`session`] holds the shells: sessions that outlive connections, with scrollback and
//!   backpressure, on the PTYs of [`pty`];
//! - [`auth`] verifies tokens against JWKS, applies the allow and deny lists, keeps the audit
//!   log and names per-user workspaces;
//! - [`metrics`], [`telemetry`] and [`healthcheck`] are the operational edges.

pub mod assets;
pub mod auth;
pub mod config;
pub mod healthcheck;
pub mod listener;
pub mod metrics;
pub mod protocol;
pub mod pty;
pub mod routes;
mod serve;
pub mod server;
pub mod session;
pub mod telemetry;
#[cfg(feature = "tls")]
pub mod tls;
pub mod ws;

pub use config::Config;
pub use server::{Server, ShutdownHandle};
