//! The server's limits (`deconflict_server::limits`), each as a client meets it: timeouts,
//! the connection cap, requests in progress per caller, the body budget, NDJSON lines, the
//! metrics token and the operation horizon. Timeouts are short so the tests take seconds.

mod common;

use common::{ManualClock, TestServer, ADMIN};
use deconflict_server::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A patrol from 10:00 on the test clock's day until `end`.
fn plan(end: &str) -> Value {
    common::operation(
        "patrol",
        common::square(35.0, 35.0, 0.1),
        1000.0,
        2000.0,
        "2030-01-01T10:00:00Z",
        end,
    )
}

fn config(edit: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new(PathBuf::new(), ADMIN.to_owned());
    edit(&mut config);
    config
}

async fn server(edit: impl FnOnce(&mut Config)) -> TestServer {
    let clock = ManualClock::at("2030-01-01T09:00:00Z");
    TestServer::start_with_config(clock, config(edit)).await
}

/// Reads until the server closes the connection (or `wait` passes); what was read, and when
/// the close came (`None`: still open after `wait`).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (String, Option<Instant>) {
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(Instant::now()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Reads one response whose body is `Content-Length` long.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .expect("a response within 5 s")
            .unwrap();
        assert!(n > 0, "closed before a whole response");
        received.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_client_trickling_header_bytes_is_disconnected_after_the_header_timeout() {
    let server = server(|c| {
        c.server_limits.header_read_timeout = Duration::from_millis(800);
        c.server_limits.keep_alive_idle_timeout = Duration::from_secs(30);
    })
    .await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // One header byte every 100 ms, never the blank line that ends them.
    let mut closed_while_writing = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(b"X").await.is_err() {
            closed_while_writing = Some(Instant::now());
            break;
        }
        if started.elapsed() > Duration::from_millis(1500) {
            break;
        }
    }
    let closed = match closed_while_writing {
        Some(at) => at,
        None => read_until_closed(&mut stream, Duration::from_secs(3))
            .await
            .1
            .expect("the slowloris connection is closed"),
    };
    let after = closed - started;
    assert!(
        after >= Duration::from_millis(700) && after < Duration::from_millis(2500),
        "closed after {after:?}"
    );
    // The server still answers others.
    assert_eq!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = server(|c| c.server_limits.header_read_timeout = Duration::from_millis(500)).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    let after = closed.expect("closed") - started;
    assert!(received.is_empty(), "{received}");
    assert!(
        after >= Duration::from_millis(400),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let server = server(|c| {
        c.server_limits.header_read_timeout = Duration::from_millis(400);
        c.server_limits.keep_alive_idle_timeout = Duration::from_millis(1500);
    })
    .await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Idle for longer than the header timeout: still open, and answers the next request.
    tokio::time::sleep(Duration::from_millis(800)).await;
    stream.write_all(request).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Then idle: closed at the idle timeout, counted from the end of the last response.
    let idle_from = Instant::now();
    let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let after = closed.expect("the idle connection is closed") - idle_from;
    assert!(received.is_empty(), "{received}");
    assert!(
        after >= Duration::from_millis(1300) && after < Duration::from_millis(3000),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
    let server =
        server(|c| c.server_limits.request_body_timeout = Duration::from_millis(700)).await;
    let token = server.party("blue", "operator").await;
    let before = server.log_head().await;
    for (path, content_type) in [
        ("/v1/operations/op1", "application/json"),
        ("/v1/positions", "application/x-ndjson"),
    ] {
        let method = if path.starts_with("/v1/operations") {
            "PUT"
        } else {
            "POST"
        };
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: {content_type}\r\nContent-Length: 1000\r\n\r\n{{\"mis"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed.is_some(), "{path}: still open");
        assert!(
            started.elapsed() >= Duration::from_millis(600),
            "{path}: {:?}",
            started.elapsed()
        );
        assert!(received.starts_with("HTTP/1.1 408"), "{path}: {received}");
        assert!(received.contains("application/problem+json"), "{received}");
        assert!(received.contains("/problems/request-timeout"), "{received}");
    }
    assert_eq!(server.log_head().await, before, "nothing is logged");
}

#[tokio::test]
async fn beyond_the_connection_cap_a_new_connection_waits_until_one_closes() {
    let server = server(|c| {
        c.server_limits.max_connections = 2;
        c.server_limits.header_read_timeout = Duration::from_secs(20);
    })
    .await;
    let first = TcpStream::connect(server.address).await.unwrap();
    let _second = TcpStream::connect(server.address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let url = server.url("/healthz");
    let waiting = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let status = client.get(url).send().await.unwrap().status();
        (status, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "answered beyond the cap");
    drop(first);
    let (status, waited) = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("answered once a connection closed")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(waited >= Duration::from_millis(600), "waited {waited:?}");
}

/// Opens an upload that sends its headers and the start of its body, then stalls.
async fn stalled_upload(server: &TestServer, token: &str, method: &str, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"id"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn a_party_over_its_requests_in_progress_gets_429_and_others_are_served() {
    let server = server(|c| {
        c.server_limits.max_requests_per_party = 2;
        c.server_limits.max_requests_admin = 1;
    })
    .await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let _a = stalled_upload(&server, &blue, "PUT", "/v1/operations/a").await;
    let _b = stalled_upload(&server, &blue, "PUT", "/v1/operations/b").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let response = server.get(&blue, "/v1/tracks").await;
    assert_eq!(
        response.headers().get("retry-after").unwrap(),
        "1",
        "{response:?}"
    );
    let problem =
        common::problem(response, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("party blue"),
        "{problem}"
    );
    assert_eq!(
        server.get(&red, "/v1/tracks").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The admin has its own cap.
    let _admin = stalled_upload(&server, ADMIN, "POST", "/v1/parties").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    common::problem(
        server.get(ADMIN, "/v1/parties").await,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    )
    .await;

    // A slot is given back when its request ends.
    drop(_a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.get(&blue, "/v1/tracks").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn json_bodies_beyond_the_body_budget_get_503_and_the_budget_is_given_back() {
    let server = server(|c| c.server_limits.body_budget_bytes = 64 * 1024).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // Blue's unfinished upload holds 48 KiB of the 64 KiB budget.
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "PUT /v1/operations/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {blue}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"callsign\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; 48 * 1024]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let padding = "x".repeat(30 * 1024);
    let response = server
        .client
        .put(server.url("/v1/operations/r1"))
        .bearer_auth(&red)
        .json(&json!({"callsign": padding}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    common::problem(response, StatusCode::SERVICE_UNAVAILABLE, "server-busy").await;

    // A small body still fits; once blue's upload is gone, a large one does too.
    let small = plan("2030-01-01T11:00:00Z");
    assert_eq!(
        server
            .put(&red, "/v1/operations/small", &small)
            .await
            .status(),
        StatusCode::CREATED
    );
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = server
        .client
        .put(server.url("/v1/operations/r1"))
        .bearer_auth(&red)
        .json(&json!({"callsign": padding}))
        .send()
        .await
        .unwrap();
    // Read whole and refused for what it says, not for its size.
    common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
}

#[tokio::test]
async fn an_ndjson_line_over_the_line_limit_is_refused_naming_the_line() {
    let server = server(|c| c.server_limits.ndjson_line_max_bytes = 1024).await;
    let blue = server.party("blue", "operator").await;
    let before = server.log_head().await;
    let report = json!({
        "track_id": "b1", "time": "2030-01-01T09:00:00Z", "lat_deg": 35.0, "lon_deg": 35.0,
        "altitude_m": 1000.0, "ground_speed_mps": 50.0, "track_deg": 90.0, "vertical_rate_mps": 0.0
    });
    let long = format!("{{\"track_id\": \"{}\"}}", "y".repeat(2000));
    let body = format!("{report}\n\n{long}\n{report}\n");
    let response = server
        .client
        .post(server.url("/v1/positions"))
        .bearer_auth(&blue)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let problem = common::problem(response, StatusCode::PAYLOAD_TOO_LARGE, "line-too-long").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("line 2 "),
        "{problem}"
    );
    assert_eq!(
        server.log_head().await,
        before,
        "nothing of the upload is kept"
    );

    // Lines split across pieces of the body are joined; the last line needs no newline.
    let body = format!(
        "{report}\n{}",
        serde_json::to_string(&report).unwrap().replace("b1", "b2")
    );
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /v1/positions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {blue}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(7) {
        stream.write_all(piece).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let outcome: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(outcome["accepted"], 2, "{outcome}");
}

#[tokio::test]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let open = server(|_| {}).await;
    let response = open.client.get(open.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let token = "metrics-token-0123456789";
    let closed = server(|c| c.metrics_token = Some(token.to_owned())).await;
    let response = closed
        .client
        .get(closed.url("/metrics"))
        .send()
        .await
        .unwrap();
    common::problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response = closed.get("wrong-token-0123456789", "/metrics").await;
    common::problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // A party's token is not the metrics token.
    let party = closed.party("blue", "operator").await;
    common::problem(
        closed.get(&party, "/metrics").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let response = closed.get(token, "/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("deconflict_"));
}

#[tokio::test]
async fn an_operation_reaching_beyond_the_horizon_is_refused_naming_the_volume() {
    // The clock is at 2030-01-01T09:00Z; the horizon is 30 days.
    let server = server(|c| c.operation_horizon.ahead_days = 30).await;
    let blue = server.party("blue", "operator").await;
    let mut plan = plan("2030-01-01T11:00:00Z");
    let mut late = plan["volumes"][0].clone();
    late["time_start"] = json!("2030-01-31T08:00:00Z");
    late["time_end"] = json!("2030-01-31T10:00:00Z");
    plan["volumes"].as_array_mut().unwrap().push(late);
    let before = server.log_head().await;
    let problem = common::problem(
        server.put(&blue, "/v1/operations/far", &plan).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "beyond-horizon",
    )
    .await;
    assert_eq!(problem["pointer"], "/volumes/1/time_end", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("volume 1") && detail.contains("30 days"),
        "{detail}"
    );
    assert_eq!(server.log_head().await, before, "nothing is logged");
    assert_eq!(
        server.get(&blue, "/v1/operations/far").await.status(),
        StatusCode::NOT_FOUND
    );
    // Within the horizon it is filed.
    plan["volumes"][1]["time_end"] = json!("2030-01-31T09:00:00Z");
    assert_eq!(
        server
            .put(&blue, "/v1/operations/far", &plan)
            .await
            .status(),
        StatusCode::CREATED
    );
}
