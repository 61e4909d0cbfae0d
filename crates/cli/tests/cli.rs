//! The `deconflict` binary as a user runs it. The crash and stream tests run on SQLite and on
//! PostgreSQL (a fresh database on the server `DECONFLICT_TEST_POSTGRES` names: skipped with a
//! line on stderr when it is unset, a failure under `CI=true`; see `deconflict_store::testing`).

use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

#[path = "support/store.rs"]
mod store;
use store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");
const ADMIN: &str = "cli-test-admin-token-0123456789";

#[test]
fn demo_check_prints_the_scenarios_conflicts_as_in_the_golden_file() {
    let output = Command::new(BIN)
        .args(["demo", "--check", "--at", "2015-10-01T06:00:00Z"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo-check.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &stdout).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap();
    assert_eq!(
        stdout, golden,
        "demo output changed; rerun with UPDATE_GOLDEN=1 if intended"
    );
    assert!(stdout.contains("5 strategic conflicts found"));
    assert!(stdout.contains("2 protected sites endangered"));
    // At sea (issue 17): the two warships' CPA conflict, judged as ships, and the cargo ship
    // heading into the naval exercise area it is no party to.
    let cpa = stdout
        .lines()
        .find(|line| line.contains("coalition/uss-ross") && line.contains("russia/smetlivy"))
        .unwrap_or_else(|| panic!("no sea CPA conflict in:\n{stdout}"));
    assert!(cpa.contains(" sea "), "{cpa}");
    let entry = stdout
        .lines()
        .find(|line| line.contains("unhas/mv-aid-latakia"))
        .unwrap_or_else(|| panic!("no exercise-area entry in:\n{stdout}"));
    assert!(entry.contains("joint-cell/tartus-naval-area"), "{entry}");
    assert!(entry.contains(" sea "), "{entry}");
}

#[test]
fn bad_arguments_get_a_one_line_error() {
    let output = Command::new(BIN)
        .args(["audit", "verify", "--db", "/nonexistent/x.db"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("deconflict: cannot open /nonexistent/x.db"),
        "{stderr}"
    );

    let output = Command::new(BIN)
        .args(["serve", "--database", "/tmp/x.db"])
        .env("DECONFLICT_ADMIN_TOKEN", "short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("at least 16 characters"));

    // A setting out of range is named, and nothing is created.
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("never.db");
    let output = Command::new(BIN)
        .args(["serve", "--pass-after-reports-ms", "70000", "--database"])
        .arg(&database)
        .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--pass-after-reports-ms"), "{stderr}");
    assert!(!database.exists());
}

/// A `deconflict serve` process on a random port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &Path) -> Server {
        Self::start_with_key(database, "127.0.0.1:0", None)
    }

    /// On a store's log (its signing key given).
    fn start_on(store: &Store, listen: &str) -> Server {
        Self::start_with_key(&store.database(), listen, Some(&store.signing_key()))
    }

    fn start_with_key(database: &Path, listen: &str, key: Option<&Path>) -> Server {
        let mut command = Command::new(BIN);
        if let Some(key) = key {
            command.env("DECONFLICT_SIGNING_KEY", key);
        }
        let mut child = command
            .args(["serve", "--listen", listen, "--database"])
            .arg(database)
            // The plans here are dated 2030, beyond a year of the real clock.
            .args(["--operation-horizon-days", "36500"])
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
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base: format!("http://{address}"),
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no chance to flush anything
        self.child.wait().unwrap();
    }
}

fn operation(lon: f64) -> Value {
    json!({
        "mission_type": "patrol", "domain": "air",
        "volumes": [{
            "footprint": {"type": "Circle", "center": [lon, 35.0], "radius_m": 5000},
            "altitude_lower_m": 1000, "altitude_upper_m": 2000,
            "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00Z"
        }]
    })
}

fn register(client: &Client, base: &str, id: &str) -> String {
    let body: Value = client
        .post(format!("{base}/v1/parties"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": id, "name": id, "role": "operator"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

fn audit(database: &Path) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args(["audit", "verify", "--db"])
        .arg(database)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn acknowledged_writes_survive_kill_9_and_audit_catches_an_edited_event_on_sqlite() {
    acknowledged_writes_survive_kill_9_and_audit_catches_an_edited_event(Store::sqlite());
}

#[test]
fn acknowledged_writes_survive_kill_9_and_audit_catches_an_edited_event_on_postgres() {
    let test = "acknowledged_writes_survive_kill_9_on_postgres";
    if let Some(store) = Store::postgres(test) {
        acknowledged_writes_survive_kill_9_and_audit_catches_an_edited_event(store);
    }
}

fn acknowledged_writes_survive_kill_9_and_audit_catches_an_edited_event(store: Store) {
    let database = store.database();
    let client = Client::new();

    let server = Server::start_on(&store, "127.0.0.1:0");
    let blue = register(&client, &server.base, "blue");
    let red = register(&client, &server.base, "red");
    for (token, id, lon) in [(&blue, "a", 36.0), (&red, "b", 36.05)] {
        let response = client
            .put(format!("{}/v1/operations/{id}", server.base))
            .bearer_auth(token)
            .json(&operation(lon))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let alerts_before: Value = client
        .get(format!("{}/v1/alerts", server.base))
        .bearer_auth(&blue)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(alerts_before["alerts"].as_array().unwrap().len(), 1);
    server.kill();

    let (code, stdout) = audit(&database);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.starts_with("ok: 5 events verified"), "{stdout}");

    let server = Server::start_on(&store, "127.0.0.1:0");
    let alerts_after: Value = client
        .get(format!("{}/v1/alerts", server.base))
        .bearer_auth(&blue)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(alerts_before, alerts_after);
    let operation_b: Value = client
        .get(format!("{}/v1/operations/b", server.base))
        .bearer_auth(&red)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(operation_b["version"], 1);
    server.kill();

    // Someone with access to the database moves Red's operation 4: the chain no longer verifies.
    match &store.postgres {
        Some(postgres) => edit_event_4_on_postgres(postgres.url()),
        None => edit_event_4_on_sqlite(&database),
    }
    let (code, stdout) = audit(&database);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.starts_with("FAILED: event 4 does not verify"),
        "{stdout}"
    );
}

/// Edits a byte of event 4's stored payload in an SQLite file (its triggers dropped first).
fn edit_event_4_on_sqlite(database: &Path) {
    let connection = rusqlite::Connection::open(database).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER IF EXISTS events_no_update; \
             DROP TRIGGER IF EXISTS events_update_only_prunes;",
        )
        .unwrap();
    // A long payload is stored as a zstd frame (schema version 3): then a byte of it is edited.
    let codec: String = connection
        .query_row("SELECT codec FROM events WHERE seq = 4", [], |row| {
            row.get(0)
        })
        .unwrap();
    let edit = match codec.as_str() {
        "json" => "UPDATE events SET payload = replace(payload, '36.05', '36.5') WHERE seq = 4",
        _ => {
            "UPDATE events SET payload = substr(payload, 1, length(payload) - 1) || x'ff' \
              WHERE seq = 4"
        }
    };
    let changed = connection.execute(edit, []).unwrap();
    assert_eq!(changed, 1);
}

/// The same edit on PostgreSQL (no triggers there: the chain is what catches it). From a
/// thread of its own, as the blocking client wants.
fn edit_event_4_on_postgres(url: &str) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let codec: String = client
            .query_one("SELECT codec FROM events WHERE seq = 4", &[])
            .unwrap()
            .get(0);
        let edit = match codec.as_str() {
            "json" => {
                "UPDATE events SET payload = convert_to(replace(convert_from(payload, 'UTF8'), \
                 '36.05', '36.5'), 'UTF8') WHERE seq = 4"
            }
            _ => {
                "UPDATE events SET payload = overlay(payload PLACING '\\xff'::bytea \
                 FROM length(payload)) WHERE seq = 4"
            }
        };
        assert_eq!(client.execute(edit, &[]).unwrap(), 1);
    })
    .join()
    .unwrap();
}

#[test]
fn ingest_forwards_an_sbs_feed_over_tcp_to_the_server() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("ingest.db"));
    let client = Client::new();
    let blue = register(&client, &server.base, "blue");
    // A receiver serving its capture on a TCP port, then closing. A live receiver stamps its
    // lines with the time now, and the server refuses reports far from its clock, so the
    // capture's times are moved to now (every line moved alike; malformed lines left as they are).
    let capture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds/tests/data/sbs_capture.txt"),
    )
    .unwrap();
    let capture = as_if_live(&capture);
    // What a flaky receiver also sends: a line that is not UTF-8 and a 1 MiB line, each one
    // malformed line (the same 64 KiB cap as files), never the end of the feed.
    let middle = capture.len() / 2 + capture[capture.len() / 2..].find('\n').unwrap() + 1;
    let mut feed = capture.as_bytes()[..middle].to_vec();
    feed.extend_from_slice(b"MSG,3,\xff\xfe,garbage\n");
    feed.extend(std::iter::repeat_n(b'A', 1 << 20));
    feed.push(b'\n');
    feed.extend_from_slice(&capture.as_bytes()[middle..]);
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = receiver.local_addr().unwrap().to_string();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = receiver.accept().unwrap();
        stream.write_all(&feed).unwrap();
    });
    let output = Command::new(BIN)
        .args(["ingest", "--server", &server.base, "--sbs", &address])
        .env("DECONFLICT_TOKEN", &blue)
        .output()
        .unwrap();
    feeder.join().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("6 reports (6 accepted, 0 refused by the server)"),
        "{stdout}"
    );
    assert!(stdout.contains("6 malformed"), "{stdout}");
    let tracks: Value = client
        .get(format!("{}/v1/tracks", server.base))
        .bearer_auth(&blue)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ids: Vec<&str> = tracks["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["report"]["track_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"4ca2d6"), "{ids:?}");
    server.kill();
}

#[test]
fn watch_resumes_after_the_server_is_killed_and_gets_every_alert_exactly_once_on_sqlite() {
    watch_resumes_after_the_server_is_killed_and_gets_every_alert_exactly_once(Store::sqlite());
}

#[test]
fn watch_resumes_after_the_server_is_killed_and_gets_every_alert_exactly_once_on_postgres() {
    if let Some(store) = Store::postgres("watch_resumes_after_the_server_is_killed_on_postgres") {
        watch_resumes_after_the_server_is_killed_and_gets_every_alert_exactly_once(store);
    }
}

fn watch_resumes_after_the_server_is_killed_and_gets_every_alert_exactly_once(store: Store) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let client = Client::new();
    let server = Server::start_on(&store, &listen);
    let blue = register(&client, &server.base, "blue");
    let red = register(&client, &server.base, "red");
    let big = json!({"mission_type": "patrol", "domain": "air", "volumes": [{
        "footprint": {"type": "Circle", "center": [36.2, 35.1], "radius_m": 60000},
        "altitude_lower_m": 1000, "altitude_upper_m": 2000,
        "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00Z"}]});
    client
        .put(format!("{}/v1/operations/big", server.base))
        .bearer_auth(&blue)
        .json(&big)
        .send()
        .unwrap();
    let head: Value = client
        .get(format!("{}/readyz", server.base))
        .send()
        .unwrap()
        .json()
        .unwrap();

    let mut watch = Command::new(BIN)
        .args([
            "watch",
            "--server",
            &server.base,
            "--after",
            &head["log_head_seq"].to_string(),
            "--exit-after",
            "1000",
        ])
        .env("DECONFLICT_TOKEN", &blue)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let file = |base: &str, range: std::ops::Range<usize>| {
        for i in range {
            let lon = 36.0 + (i % 40) as f64 * 0.01;
            let lat = 35.0 + (i / 40) as f64 * 0.01;
            let op = operation(lon).clone();
            let mut op = op;
            op["volumes"][0]["footprint"] =
                json!({"type": "Circle", "center": [lon, lat], "radius_m": 100});
            let response = client
                .put(format!("{base}/v1/operations/op{i}"))
                .bearer_auth(&red)
                .json(&op)
                .send()
                .unwrap();
            assert_eq!(response.status(), 201);
        }
    };
    file(&server.base, 0..400);
    let mut received = Vec::new();
    while received.len() < 150 {
        received.push(
            lines
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("watch prints the burst"),
        );
    }
    server.kill(); // SIGKILL in the middle of what watch is reading
    let server = Server::start_on(&store, &listen);
    file(&server.base, 400..1000);
    let status = watch.wait().unwrap();
    assert!(status.success());
    received.extend(lines.try_iter());
    assert_eq!(received.len(), 1000);
    let seqs: Vec<u64> = received
        .iter()
        .map(|l| l[1..l.find(']').unwrap()].parse().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
    let alerts: std::collections::BTreeSet<&str> = received
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1000, "every alert exactly once");
    assert!(received
        .iter()
        .all(|l| l.contains("alert_raised") && l.contains("strategic_conflict")));

    // ack and send from the command line.
    let id = alerts.iter().next().unwrap().to_string();
    let output = Command::new(BIN)
        .args(["ack", &id, "--server", &server.base])
        .env("DECONFLICT_TOKEN", &blue)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .contains("acknowledged by blue"));
    let output = Command::new(BIN)
        .args([
            "send",
            "--to",
            "red",
            "--priority",
            "flash",
            "turn north",
            "--server",
            &server.base,
        ])
        .env("DECONFLICT_TOKEN", &blue)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let messages: Value = client
        .get(format!("{}/v1/messages", server.base))
        .bearer_auth(&red)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(messages["messages"][0]["text"], "turn north");
    server.kill();
}

fn verify_receipt(path: &Path, key: Option<&str>) -> (Option<i32>, String) {
    let mut command = Command::new(BIN);
    command.args(["audit", "verify", "--receipt"]).arg(path);
    if let Some(key) = key {
        command.args(["--public-key", key]);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn a_saved_receipt_verifies_offline_and_any_altered_byte_fails_it() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("receipt.db");
    let server = Server::start(&database);
    let client = Client::new();
    let blue = register(&client, &server.base, "blue");
    let red = register(&client, &server.base, "red");
    for (token, id, lon) in [(&blue, "a", 36.0), (&red, "secret-red-op", 36.05)] {
        let response = client
            .put(format!("{}/v1/operations/{id}", server.base))
            .bearer_auth(token)
            .json(&operation(lon))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let head: Value = client
        .get(format!("{}/v1/audit/head", server.base))
        .bearer_auth(&blue)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let key = head["public_key"].as_str().unwrap().to_owned();

    let path = directory.path().join("blue.receipt.json");
    let output = Command::new(BIN)
        .args(["audit", "receipt", "--server", &server.base, "--out"])
        .arg(&path)
        .env("DECONFLICT_TOKEN", &blue)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    server.kill();

    let (code, stdout) = verify_receipt(&path, Some(&key));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.starts_with("ok: events 1..="), "{stdout}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("strategic_conflict"),
        "blue's alert is disclosed"
    );
    assert!(!text.contains("secret-red-op"), "red's operation id is not");

    // A wrong key is refused.
    let other_key = "ab".repeat(32);
    let (code, stdout) = verify_receipt(&path, Some(&other_key));
    assert_eq!(code, Some(1), "{stdout}");

    // Alter one byte at a time, at positions spread over the whole file: every change that
    // still parses fails verification, and so does every one that does not.
    let bytes = text.as_bytes();
    let positions: Vec<usize> = (0..bytes.len()).collect();
    let step = (positions.len() / 60).max(1);
    let altered_path = directory.path().join("altered.json");
    let mut checked = 0;
    for &index in positions.iter().step_by(step) {
        let original = bytes[index];
        let replacement = match original {
            b'0'..=b'8' => original + 1,
            b'9' => b'0',
            b'a'..=b'e' => original + 1,
            b'f' => b'a',
            b' ' => b'\t',
            _ => b'x',
        };
        let mut altered = bytes.to_vec();
        altered[index] = replacement;
        std::fs::write(&altered_path, &altered).unwrap();
        let (code, stdout) = verify_receipt(&altered_path, None);
        assert_eq!(
            code,
            Some(1),
            "byte {index} ({:?} -> {:?}) went unnoticed: {stdout}",
            original as char,
            replacement as char
        );
        checked += 1;
    }
    assert!(checked > 40);
}

/// Issue 10: the live demo flies the scenario's tracks, so that within a minute there are
/// moving tracks, a tactical alert and a non-conformance beside the strategic conflicts.
#[test]
fn the_live_demo_flies_tracks_that_raise_tactical_and_nonconformance_alerts() {
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut tokens) = (None, Vec::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("serving on ") {
            base = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if let Some(rest) = line.strip_prefix("token for ") {
            let mut parts = rest.split_whitespace();
            tokens.push((
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            ));
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let base = base.expect("the demo prints its address");
    let client = Client::new();
    let kinds_seen = |party: &str| -> Vec<String> {
        let token = &tokens.iter().find(|(p, _)| p == party).unwrap().1;
        let body: Value = client
            .get(format!("{base}/v1/alerts"))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        seen = kinds_seen("russia");
        if ["strategic_conflict", "tactical_conflict", "nonconformance"]
            .iter()
            .all(|kind| seen.iter().any(|k| k == kind))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for kind in ["strategic_conflict", "tactical_conflict", "nonconformance"] {
        assert!(seen.iter().any(|k| k == kind), "no {kind} alert: {seen:?}");
    }
}

/// An SBS-1 capture with its date and time fields (the 7th to the 10th: generated date and
/// time, logged date and time) moved so that its last dated line is now.
fn as_if_live(capture: &str) -> String {
    use chrono::{NaiveDateTime, Utc};
    let parse = |date: &str, time: &str| {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y/%m/%d %H:%M:%S%.3f").ok()
    };
    let last = capture
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields.len() >= 10)
                .then(|| parse(fields[6], fields[7]))
                .flatten()
        })
        .max()
        .expect("the capture has a dated line");
    let shift = Utc::now().naive_utc() - last;
    capture
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
            if fields.len() >= 10 {
                for (date, time) in [(6, 7), (8, 9)] {
                    if let Some(at) = parse(&fields[date], &fields[time]) {
                        let moved = at + shift;
                        fields[date] = moved.format("%Y/%m/%d").to_string();
                        fields[time] = moved.format("%H:%M:%S%.3f").to_string();
                    }
                }
            }
            fields.join(",") + "\n"
        })
        .collect()
}

/// Runs the CLI against `server` with `token`; (exit success, stdout, stderr).
fn admin_cli(server: &Server, token: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("DECONFLICT_SERVER", &server.base)
        .env("DECONFLICT_TOKEN", token)
        .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn parties_tokens_agreements_and_operations_are_administered_from_the_cli() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("admin.db"));
    let token_of = |out: &str| {
        out.split_whitespace()
            .find(|w| w.starts_with("dcf_"))
            .unwrap()
            .to_owned()
    };
    let (ok, out, _) = admin_cli(&server, "", &["party", "add", "blue", "--name", "Blue air"]);
    assert!(ok, "{out}");
    let blue = token_of(&out);
    let (ok, out, _) = admin_cli(&server, "", &["party", "add", "red"]);
    assert!(ok, "{out}");
    let red = token_of(&out);
    // A refusal is one line naming the problem, and a failure exit.
    let (ok, _, err) = admin_cli(&server, "", &["party", "add", "red"]);
    assert!(!ok);
    assert!(err.contains("409 already-exists"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (_, out, _) = admin_cli(&server, &blue, &["party", "list"]);
    assert!(
        out.contains("blue") && out.contains("Blue air") && out.contains("red"),
        "{out}"
    );

    // Rotation: a new token works, the old one is revoked.
    let (ok, out, _) = admin_cli(&server, &blue, &["party", "token", "rotate", "blue"]);
    assert!(ok, "{out}");
    let new_blue = token_of(&out);
    let (ok, out, _) = admin_cli(
        &server,
        &new_blue,
        &["party", "token", "revoke", "blue", "t1"],
    );
    assert!(ok, "{out}");
    let (ok, _, err) = admin_cli(&server, &blue, &["party", "list"]);
    assert!(!ok && err.contains("401"), "{err}");
    let (_, out, _) = admin_cli(&server, &new_blue, &["party", "token", "list", "blue"]);
    assert!(out.contains("t2") && !out.contains("t1"), "{out}");

    // An agreement proposed, accepted, suspended; JSON on request.
    let (ok, out, err) = admin_cli(
        &server,
        &new_blue,
        &["agreement", "propose", "blue-red", "--with", "red"],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("pending, waiting for red"), "{out}");
    let (ok, out, _) = admin_cli(&server, &red, &["agreement", "accept", "blue-red"]);
    assert!(ok && out.contains("in force"), "{out}");
    let (_, out, _) = admin_cli(&server, &red, &["agreement", "list", "--json"]);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["agreements"][0]["id"], "blue-red");

    // Operations filed from files: the second conflicts with the first.
    let spec = |lon: f64| {
        json!({
            "mission_type": "patrol",
            "domain": "air",
            "volumes": [{
                "footprint": {"type": "Circle", "center": [lon, 35.0], "radius_m": 5000.0},
                "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
                "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00Z"
            }]
        })
    };
    let blue_file = directory.path().join("blue-patrol.json");
    std::fs::write(&blue_file, spec(36.0).to_string()).unwrap();
    let (ok, out, err) = admin_cli(
        &server,
        &new_blue,
        &["ops", "file", blue_file.to_str().unwrap()],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("filed blue-patrol, version 1; 0 conflicts"),
        "{out}"
    );
    let red_file = directory.path().join("red.json");
    std::fs::write(&red_file, spec(36.01).to_string()).unwrap();
    let (ok, out, err) = admin_cli(
        &server,
        &red,
        &[
            "ops",
            "file",
            red_file.to_str().unwrap(),
            "--id",
            "red-patrol",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("1 conflict") && out.contains("with blue"),
        "{out}"
    );
    let (_, out, _) = admin_cli(&server, &new_blue, &["ops", "list"]);
    assert!(
        out.contains("blue-patrol") && out.contains("patrol"),
        "{out}"
    );
    server.kill();
}

#[test]
fn the_demo_scenario_loads_into_a_running_server_with_the_conflicts_demo_check_finds() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("scenario.db"));
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/syria-2015.json");
    // A day from now, on the hour: within the server's operation horizon.
    let at = (chrono::Utc::now() + chrono::TimeDelta::days(1))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let (ok, out, err) = admin_cli(
        &server,
        "",
        &[
            "scenario",
            "load",
            scenario.to_str().unwrap(),
            "--at",
            &at,
            "--json",
        ],
    );
    assert!(ok, "{out}{err}");
    let loaded: Value = serde_json::from_str(&out).unwrap();
    let tokens = loaded["parties"].as_object().unwrap().clone();
    assert_eq!(tokens.len(), 5);
    // Loading again is refused, naming the party that exists.
    let (ok, _, err) = admin_cli(
        &server,
        "",
        &["scenario", "load", scenario.to_str().unwrap()],
    );
    assert!(!ok && err.contains("cannot register party"), "{err}");
    // Every strategic conflict, as every party is told of it.
    let client = Client::new();
    let mut strategic = std::collections::BTreeSet::new();
    for token in tokens.values() {
        let alerts: Value = client
            .get(format!("{}/v1/alerts", server.base))
            .bearer_auth(token.as_str().unwrap())
            .send()
            .unwrap()
            .json()
            .unwrap();
        for alert in alerts["alerts"].as_array().unwrap() {
            if alert["kind"] == "strategic_conflict" {
                strategic.insert(alert["id"].as_str().unwrap().to_owned());
            }
        }
    }
    // Loading again is refused, naming the party that exists.
    let (ok, _, err) = admin_cli(
        &server,
        "",
        &["scenario", "load", scenario.to_str().unwrap()],
    );
    assert!(!ok && err.contains("cannot register party"), "{err}");
    let check = Command::new(BIN)
        .args(["demo", "--check", "--at", &at])
        .output()
        .unwrap();
    let check_err = String::from_utf8_lossy(&check.stderr).into_owned();
    let check = String::from_utf8(check.stdout).unwrap();
    server.kill();
    let expected = format!("{} strategic conflicts found", strategic.len());
    assert!(
        check.contains(&expected),
        "{expected} not in:\n{check}{check_err}"
    );
    for id in &strategic {
        assert!(check.contains(id.as_str()), "{id} not in:\n{check}");
    }
}

#[test]
fn an_authority_imports_its_published_zone_file_from_the_cli_all_or_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("zones.db"));
    let (ok, out, _) = admin_cli(
        &server,
        "",
        &["party", "add", "foca", "--role", "authority"],
    );
    assert!(ok, "{out}");
    let foca = out
        .split_whitespace()
        .find(|w| w.starts_with("dcf_"))
        .unwrap()
        .to_owned();
    let sample = format!(
        "{}/../engine/tests/data/ed269/interuss-che-cis-sample.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (ok, out, err) = admin_cli(&server, &foca, &["zones", "import", &sample]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("imported 1 zones") && out.contains("LSXX"),
        "{out}"
    );

    // A file with two refused zones: both listed, then one line naming the problem; nothing in.
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    let mut second = document["UASZoneList"][0].clone();
    second["identifier"] = json!("LSYY");
    second["applicability"] =
        json!([{"schedule": [{"day": ["XYZ"], "startTime": "08:00", "endTime": "09:00"}]}]);
    document["UASZoneList"][0]["identifier"] = json!("LSZZ");
    document["UASZoneList"][0]["restriction"] = json!("FORBIDDEN");
    document["UASZoneList"].as_array_mut().unwrap().push(second);
    let bad = directory.path().join("bad.json");
    std::fs::write(&bad, document.to_string()).unwrap();
    let (ok, _, err) = admin_cli(&server, &foca, &["zones", "import", bad.to_str().unwrap()]);
    assert!(!ok);
    let lines: Vec<&str> = err.trim().lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("/UASZoneList/0/restriction: zone LSZZ"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("/UASZoneList/1/applicability/0/schedule/0/day/0: zone LSYY"),
        "{err}"
    );
    assert!(lines[2].contains("422 import-refused"), "{err}");
    let client = Client::new();
    let zones: Value = client
        .get(format!("{}/v1/zones", server.base))
        .bearer_auth(&foca)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ids: Vec<&str> = zones["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["LSXX"], "nothing of the refused file");

    // An ED-318 file is told by its root and goes to the ED-318 import; --format names it.
    let ed318 = format!(
        "{}/../engine/tests/data/ed318/interuss-che-cis-sample-ed318.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (ok, out, err) = admin_cli(&server, &foca, &["zones", "import", &ed318]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("imported 3 zones") && out.contains("(ED-318)") && out.contains("LSZB003"),
        "{out}"
    );
    let collection = format!(
        "{}/../engine/tests/data/ed318/Example_Collection.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (ok, out, err) = admin_cli(
        &server,
        &foca,
        &["zones", "import", "--format", "ed318", &collection],
    );
    assert!(ok && out.contains("imported 3 zones"), "{out}{err}");
    // Named wrong, it goes to the ED-269 import, which refuses it at its root.
    let (ok, _, err) = admin_cli(
        &server,
        &foca,
        &["zones", "import", "--format", "ed269", &collection],
    );
    assert!(!ok && err.contains("422 import-refused"), "{err}");
    server.kill();
}
