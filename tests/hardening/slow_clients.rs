//! Clients that connect and then say nothing, or say it a byte at a time (slowloris), must not
//! hold a connection: headers within `connections.header_timeout_secs`, bodies within
//! `connections.body_timeout_secs`, idle keep-alive connections closed after the header timeout.

use crate::server::start;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const ONE_SECOND: [(&str, &str); 2] = [
    ("PROOFSHEET_CONNECTIONS_HEADER_TIMEOUT_SECS", "1"),
    ("PROOFSHEET_CONNECTIONS_BODY_TIMEOUT_SECS", "1"),
];
/// Only stops a broken test from hanging; the assertions are about what the server did.
const GIVE_UP: Duration = Duration::from_secs(20);

/// Reads until the server closes the connection; what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(GIVE_UP, stream.read_to_end(&mut received)).await;
    assert!(
        read.is_ok(),
        "the server still held the connection after {GIVE_UP:?}"
    );
    received
}

#[tokio::test]
async fn a_connection_that_never_sends_headers_is_closed() {
    let server = start(&ONE_SECOND).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    read_until_closed(&mut stream).await;
    eprintln!("silent connection closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let server = start(&ONE_SECOND).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut closed = false;
    // A slowloris client: one byte every 100 ms would need ~9 s for these headers.
    for byte in request {
        ticks.tick().await;
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        let answer = read_until_closed(&mut stream).await;
        assert!(
            !String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
            "the slow request was served"
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = start(&ONE_SECOND).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /api/list_engines HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("offline"), "the first request was answered");
}

#[tokio::test]
async fn a_body_that_trickles_gets_408_in_the_api_shape() {
    let server = start(&ONE_SECOND).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/generate_image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"request\":",
        )
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(
            r#"{"Refused":{"status":408,"message":"The request body did not arrive within 1 s"#
        ),
        "{answer}"
    );
}
