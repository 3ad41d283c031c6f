//! The load the soak run puts on the server: typing sessions, churn and the flood.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::{Counters, ECHO_TIMEOUT, Socket};

/// Types one key into `cat` every `interval` and waits for its echo, then DEL (its echo too),
/// recording both round trips, until `deadline`; the run's latencies count from `warm` on.
pub(crate) async fn typist(
    mut socket: Socket,
    counters: Arc<Counters>,
    warm: Instant,
    deadline: Instant,
    interval: Duration,
    offset: Duration,
) {
    tokio::time::sleep(offset).await;
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if Instant::now() >= deadline {
            return;
        }
        for key in [&b"k"[..], &b"\x7f"[..]] {
            let started = Instant::now();
            if socket
                .send(Message::Binary(Bytes::from_static(key)))
                .await
                .is_err()
            {
                counters.typist_errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match tokio::time::timeout(ECHO_TIMEOUT, next_binary(&mut socket)).await {
                Ok(true) => {
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    counters.window.lock().unwrap().push(ms);
                    if started >= warm {
                        counters.all.lock().unwrap().push(ms);
                    }
                }
                Ok(false) => {
                    counters.typist_errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(_) => {
                    counters.lost_echoes.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Waits for the next binary frame; `false` when the connection ended first.
async fn next_binary(socket: &mut Socket) -> bool {
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(_))) => return true,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
            Some(Ok(_)) => {}
        }
    }
}

/// Connect-and-drop churn: `per_second` new sessions, each typing one line and then either
/// exiting (the shell ends the session) or dropping its connection (the grace period does).
pub(crate) async fn churn(
    addr: SocketAddr,
    counters: Arc<Counters>,
    deadline: Instant,
    per_second: f64,
) {
    if per_second <= 0.0 {
        return;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    let mut round = 0u64;
    while Instant::now() < deadline {
        ticks.tick().await;
        round += 1;
        let counters = counters.clone();
        tokio::spawn(async move {
            let Ok(Ok((mut socket, _))) =
                tokio::time::timeout(ECHO_TIMEOUT, try_open(addr, "/bin/sh")).await
            else {
                counters.churn_failures.fetch_add(1, Ordering::Relaxed);
                return;
            };
            let line: &[u8] = if round.is_multiple_of(2) {
                b"exit\n"
            } else {
                b"echo churn\n"
            };
            let _ = socket.send(Message::Binary(Bytes::from_static(line))).await;
            let _ = tokio::time::timeout(ECHO_TIMEOUT, next_binary(&mut socket)).await;
            counters.churned.fetch_add(1, Ordering::Relaxed);
            // Dropped without a close frame: the connection just goes away.
        });
    }
}

/// One session running `yes`, read one frame every `delay` until `deadline`. Returns the
/// socket, to be dropped once the typists are done: a flood without a viewer runs at full speed.
pub(crate) async fn flood(
    addr: SocketAddr,
    counters: Arc<Counters>,
    deadline: Instant,
    delay: Duration,
) -> Socket {
    let (mut socket, _) = open(addr, "yes").await;
    while Instant::now() < deadline {
        match tokio::time::timeout(ECHO_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                counters
                    .flood_bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
        if !delay.is_zero() {
            tokio::time::sleep_until((Instant::now() + delay).min(deadline).into()).await;
        }
    }
    socket
}

/// Opens a session and runs `command` in it; returns the socket once the command's first
/// output marker is seen.
pub(crate) async fn open(addr: SocketAddr, command: &str) -> (Socket, String) {
    try_open(addr, command)
        .await
        .unwrap_or_else(|error| panic!("opening a session failed: {error}"))
}

async fn try_open(addr: SocketAddr, command: &str) -> Result<(Socket, String), String> {
    let url = format!("ws://{addr}/api/v1/ws");
    // Without Nagle, as a browser's WebSocket: keystrokes are small writes.
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|error| error.to_string())?;
    let open = json!({"type": "open", "cols": 100, "rows": 30}).to_string();
    socket
        .send(Message::Text(open.into()))
        .await
        .map_err(|error| error.to_string())?;
    let session = loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                match value["session"].as_str() {
                    Some(session) => break session.to_owned(),
                    None => return Err(format!("refused: {text}")),
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("connection ended".to_owned()),
        }
    };
    let line = format!("echo ready-$((40+2)); exec {command}\n");
    socket
        .send(Message::Binary(Bytes::from(line)))
        .await
        .map_err(|error| error.to_string())?;
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("ready-42") {
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => seen.extend_from_slice(&bytes),
            Some(Ok(_)) => {}
            _ => return Err("connection ended before the command ran".to_owned()),
        }
    }
    Ok((socket, session))
}
