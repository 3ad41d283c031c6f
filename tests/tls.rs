//! Serving HTTPS directly with the `tls` feature: a real certificate, a real TLS client.
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Writes a fresh self-signed certificate and key for 127.0.0.1 into `dir`.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[tokio::test]
async fn serves_the_terminal_and_health_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let server = TestServer::start_with(|config| {
        config.tls_cert = Some(cert.clone());
        config.tls_key = Some(key.clone());
    })
    .await;

    // The healthcheck speaks TLS and trusts exactly the configured certificate.
    let (addr, pinned) = (server.addr, cert.clone());
    tokio::task::spawn_blocking(move || {
        web_terminal::healthcheck::probe(addr, Some(&pinned), Duration::from_secs(3))
    })
    .await
    .unwrap()
    .expect("healthy over TLS");
    // Plain HTTP to the TLS port gets no 200.
    let addr = server.addr;
    let plain = tokio::task::spawn_blocking(move || {
        web_terminal::healthcheck::probe(addr, None, Duration::from_secs(3))
    })
    .await
    .unwrap();
    assert!(plain.is_err());

    // A terminal session over wss://.
    let config = web_terminal::tls::pinned_client_config(&cert).unwrap();
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let name = ServerName::IpAddress(server.addr.ip().into());
    let tls = TlsConnector::from(Arc::clone(&config))
        .connect(name, tcp)
        .await
        .unwrap();
    let url = format!("wss://{}/api/v1/ws", server.addr);
    let (mut socket, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let open = serde_json::json!({"type": "open", "cols": 80, "rows": 24}).to_string();
    socket.send(Message::Text(open.into())).await.unwrap();
    socket
        .send(Message::Binary(Bytes::from_static(b"echo tls-$((20+1))\n")))
        .await
        .unwrap();
    let mut output = Vec::new();
    while !String::from_utf8_lossy(&output).contains("tls-21") {
        match tokio::time::timeout(WAIT, socket.next()).await.unwrap() {
            Some(Ok(Message::Binary(bytes))) => output.extend_from_slice(&bytes),
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_bad_certificate_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("tls.crt");
    std::fs::write(&cert, "not a certificate").unwrap();
    let mut config = test_config(dir.path());
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(cert);
    let error = web_terminal::Server::bind(config).await.unwrap_err();
    assert!(error.to_string().contains("tls.crt"), "{error}");
}
