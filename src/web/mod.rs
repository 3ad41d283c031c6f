//! The HTTP and WebSocket edge: everything that knows about requests, responses, frames and close
//! codes. Below it, `auth` and `session` deal in domain values only.
//!
//! - `routes`: the router, `/health`, `/ready`, `/api/v1/metrics`, the UI (`assets`) and the
//!   middleware for request metrics and security headers;
//! - `socket` and `connection`: the terminal WebSocket, from the upgrade and handshake to the
//!   relay loop;
//! - `outcome`: the one place where refusals, session errors and read errors become close codes
//!   or HTTP statuses;
//! - `client`: who a request comes from, and where its token is;
//! - `serve`, `listener` and `tls`: the connection loop, the connection cap and HTTPS;
//! - `state`: what every handler shares.

mod api;
pub(crate) mod assets;
mod client;
mod connection;
pub(crate) mod control;
mod control_socket;
mod files;
mod forward;
pub(crate) mod listener;
mod outcome;
mod peers;
mod relay;
pub(crate) mod routes;
pub(crate) mod serve;
mod socket;
pub(crate) mod state;
#[cfg(feature = "tls")]
pub mod tls;
