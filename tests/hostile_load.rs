//! A server under hostile load keeps answering its probes and keeps its sessions working.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test]
async fn probes_answer_within_a_second_while_idle_connections_exhaust_the_cap() {
    // The default cap of 1024, and a per-address cap raised so that every idle connection below
    // comes from the same address as the probe and is accepted.
    let server = TestServer::start_with(|config| config.max_connections_per_client = 4096).await;
    let mut terminal = server.open().await;
    let mut idle = Vec::new();
    for _ in 0..1100 {
        // Connections beyond the cap wait in the backlog; connect still completes.
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for path in ["/health", "/ready"] {
        let started = Instant::now();
        let response = tokio::time::timeout(Duration::from_secs(1), http_get(server.addr, path))
            .await
            .unwrap_or_else(|_| panic!("{path} did not answer within 1 s"));
        assert_eq!(response.status, 200, "{path}");
        eprintln!("{path} answered in {:?}", started.elapsed());
    }
    // The session opened before the flood of connections still works.
    terminal.type_line("echo alive-$((20+22))").await;
    terminal.read_until("alive-42").await;
    drop(idle);
}
