//! The hostile case of issue 15 against a real `deconflict serve` process: 1,000 slow uploads
//! (headers and a few body bytes, then nothing) hold bounded memory, and the server goes on
//! answering everyone else while they are open.

use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");
const ADMIN: &str = "limits-test-admin-token-0123456789";
const SLOW_UPLOADS: usize = 1_000;
/// The bound the test holds the server to with every upload open (it idles at 20-30 MiB).
const RSS_BOUND_KIB: u64 = 200 * 1024;

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database: &std::path::Path, flags: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(database)
            .args(flags)
            .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(rest) = line.split("address=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The server's resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn register(client: &Client, server: &Server, id: &str) -> String {
    let body: Value = client
        .post(server.url("/v1/parties"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": id, "name": id, "role": "operator"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Opens an upload that sends its headers and a few bytes of an 8 MB body, then stalls:
/// NDJSON reports (one unfinished line) or an operation's JSON document.
fn slow_upload(server: &Server, token: &str, index: usize) -> TcpStream {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    let (head, start) = if index.is_multiple_of(2) {
        ("POST /v1/positions", "application/x-ndjson")
    } else {
        ("PUT /v1/operations/slow", "application/json")
    };
    let request = format!(
        "{head} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {start}\r\nContent-Length: 8000000\r\n\r\n{{\"track_id\": \"t{index}"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

#[test]
fn a_thousand_slow_uploads_hold_bounded_memory_and_others_are_still_answered() {
    // 1,000 sockets here and 1,000 in the server: the default soft limit (1,024) is too low.
    let limit = deconflict_server::connections::raise_open_files_limit().unwrap();
    assert!(
        limit > 2 * SLOW_UPLOADS as u64 + 100,
        "open-files limit {limit}"
    );
    let directory = tempfile::tempdir().unwrap();
    // Long body and header timeouts, so every upload stays open while the test looks; a
    // per-party cap above 1,000, so every one of them is being read (at the default of 16,
    // all but 16 would be answered 429 at once).
    let server = Server::start(
        &directory.path().join("limits.db"),
        &[
            "--body-timeout-s",
            "120",
            "--header-timeout-s",
            "120",
            "--max-requests-per-party",
            "2000",
        ],
    );
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let hostile = register(&client, &server, "hostile");
    let honest = register(&client, &server, "honest");
    let idle_rss = server.rss_kib();

    let mut uploads: Vec<TcpStream> = (0..SLOW_UPLOADS)
        .map(|index| slow_upload(&server, &hostile, index))
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let open_rss = server.rss_kib();

    // Others are answered while every upload is open.
    let started = Instant::now();
    let ready = client.get(server.url("/readyz")).send().unwrap();
    assert_eq!(ready.status(), 200);
    let tracks = client
        .get(server.url("/v1/tracks"))
        .bearer_auth(&honest)
        .send()
        .unwrap();
    assert_eq!(tracks.status(), 200);
    let answered_in = started.elapsed();

    // Every upload is still open and unanswered: the server holds them, cheaply.
    for (index, upload) in uploads.iter_mut().enumerate() {
        upload
            .set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        let mut byte = [0u8; 1];
        match upload.read(&mut byte) {
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            other => panic!("upload {index} was answered or closed: {other:?}"),
        }
    }
    let after_rss = server.rss_kib();
    eprintln!(
        "RSS idle {idle_rss} KiB, with {SLOW_UPLOADS} slow uploads open {open_rss} KiB \
         (after answering others {after_rss} KiB); others answered in {answered_in:?}"
    );
    assert!(
        open_rss.max(after_rss) < RSS_BOUND_KIB,
        "RSS {open_rss} KiB with {SLOW_UPLOADS} slow uploads open"
    );
    assert!(answered_in < Duration::from_secs(2), "{answered_in:?}");
    drop(uploads);
}
