//! The listener's limits, driven with raw sockets as a slow-loris attacker
//! would: headers that never finish, connections that never speak, idle
//! keep-alive connections, and more connections than `max_connections`;
//! meanwhile a normal sign-in still succeeds.

use rampart_server::config::{RawConfig, RawConnections};
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn timeouts(header: &str, idle: &str) -> impl FnOnce(&mut RawConfig) {
    let (header, idle) = (header.to_owned(), idle.to_owned());
    move |raw| {
        raw.connections = Some(RawConnections {
            header_timeout: Some(header),
            idle_timeout: Some(idle),
            request_timeout: None,
        });
    }
}

/// True when the server closes `stream` within `within` (reading whatever
/// it sends first).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// A connection that sent part of a request's headers.
async fn slow_client(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

#[backend_test]
async fn slow_and_idle_clients_are_disconnected(backend: Backend) {
    let app = TestApp::spawn_with(&backend, timeouts("1s", "2s")).await;
    // Partial headers, and a connection that never sends a byte.
    let mut partial = slow_client(&app).await;
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    // Headers sent a byte at a time, each well within any per-read timeout.
    let mut dribble = TcpStream::connect(app.addr).await.unwrap();
    let dribbler = tokio::spawn(async move {
        for byte in b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa" {
            if dribble.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut dribble, Duration::from_secs(5)).await
    });
    assert!(
        closed_within(&mut partial, Duration::from_secs(5)).await,
        "partial headers"
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "silent client"
    );
    assert!(dribbler.await.unwrap(), "headers dribbled byte by byte");

    // An idle keep-alive connection closes after the idle timeout, once its
    // request was answered.
    let app = TestApp::spawn_with(&backend, timeouts("30s", "2s")).await;
    let mut kept = TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = std::time::Instant::now();
    assert!(
        closed_within(&mut kept, Duration::from_secs(10)).await,
        "idle keep-alive"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "not before the idle timeout: {:?}",
        started.elapsed()
    );
}

#[backend_test]
async fn a_sign_in_succeeds_while_500_slow_connections_are_open(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let mut slow = Vec::with_capacity(500);
    for _ in 0..500 {
        slow.push(slow_client(&app).await);
    }
    let browser = app.browser();
    let resp = browser.sign_up("uma").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let again = app.browser();
    assert_eq!(
        again.login("uma", GOOD_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(again.status("/account").await, StatusCode::OK);
    drop(slow);
}

#[backend_test]
async fn max_connections_caps_what_is_served(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        timeouts("30s", "60s")(raw);
        raw.max_connections = Some(5);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(slow_client(&app).await);
    }
    // Give the server a moment to accept them all.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    assert!(
        client.get(app.url("/healthz")).send().await.is_err(),
        "a sixth connection is not served while five are open"
    );
    drop(held);
    let client = reqwest::Client::new();
    let resp = client.get(app.url("/healthz")).fetch().await;
    assert_eq!(resp.status(), StatusCode::OK, "served once they close");
}

/// A request whose body never finishes is answered 408 once
/// `connections.request_timeout` passes: as a page on a page route, and in
/// the API's JSON error format under `/api/v1` (never a bare status).
#[backend_test]
async fn a_body_sent_too_slowly_is_answered_408(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.connections.get_or_insert_default().request_timeout = Some("1s".to_owned());
    })
    .await;
    for (path, content_type) in [
        ("/api/v1/users", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
    ] {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: 400\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
            match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
                other => panic!("no answer on {path}: {other:?}"),
            }
        }
        // The rest of the body, as far as it came.
        let _ = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf))
            .await
            .map(|r| r.map(|n| answer.extend_from_slice(&buf[..n])));
        let text = String::from_utf8_lossy(&answer).to_lowercase();
        assert!(text.starts_with("http/1.1 408"), "{path}: {text}");
        if path.starts_with("/api/") {
            assert!(text.contains("content-type: application/json"), "{text}");
            assert!(text.contains("\"code\":\"timeout\""), "{text}");
        } else {
            assert!(text.contains("content-type: text/html"), "{text}");
            assert!(text.contains("request timed out"), "{text}");
        }
    }
}
