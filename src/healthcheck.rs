//! `web-terminal healthcheck`: probes this instance's `/health` without curl, for container
//! runtimes that want a probe command.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Why the probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No connection, or no complete answer in time.
    #[error("cannot reach {addr}: {source}")]
    Unreachable {
        /// Where the probe went.
        addr: SocketAddr,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The server answered something other than 200.
    #[error("{addr} answered: {status_line}")]
    Unhealthy {
        /// Where the probe went.
        addr: SocketAddr,
        /// The response's status line.
        status_line: String,
    },
}

/// GETs `/health` on the server listening at `listen`; a wildcard address is probed on loopback.
/// With `tls_cert` (a server serving HTTPS itself), the probe speaks TLS and trusts exactly that
/// certificate.
pub fn probe(
    listen: SocketAddr,
    tls_cert: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<(), ProbeError> {
    let host = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(host, listen.port());
    let unreachable = |source| ProbeError::Unreachable { addr, source };
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(unreachable)?;
    let response = match tls_cert {
        None => exchange(stream, addr),
        #[cfg(feature = "tls")]
        Some(cert) => {
            use tokio_rustls::rustls::{ClientConnection, StreamOwned, pki_types::ServerName};
            let config = crate::web::tls::pinned_client_config(cert).map_err(std::io::Error::other);
            let connection = config.and_then(|config| {
                ClientConnection::new(config, ServerName::IpAddress(host.into()))
                    .map_err(std::io::Error::other)
            });
            connection.and_then(|connection| exchange(StreamOwned::new(connection, stream), addr))
        }
        #[cfg(not(feature = "tls"))]
        Some(_) => Err(std::io::Error::other("this build has no TLS support")),
    }
    .map_err(unreachable)?;
    let status_line = response.lines().next().unwrap_or("").to_owned();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(ProbeError::Unhealthy { addr, status_line })
    }
}

/// Sends the request and reads the whole response (the server closes after it).
fn exchange(mut stream: impl Read + Write, addr: SocketAddr) -> std::io::Result<String> {
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: web-terminal-healthcheck\r\n\r\n"
    )?;
    stream.flush()?;
    let mut response = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}
