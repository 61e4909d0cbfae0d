//! The sea from the command line: AIS forwarded by `deconflict ingest` (a file, TCP and UDP)
//! into a running server, and a zone printed as a navigational warning.

use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");
const ADMIN: &str = "sea-test-admin-token-0123456789";

/// A `deconflict serve` process on a random port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(database)
            .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("server exited early").unwrap();
            if let Some(rest) = line.split("address=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base: format!("http://{address}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn register(base: &str, id: &str, role: &str) -> String {
    let body: Value = Client::new()
        .post(format!("{base}/v1/parties"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": id, "name": id, "role": role}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

fn track_ids(base: &str, token: &str) -> Vec<String> {
    let tracks: Value = Client::new()
        .get(format!("{base}/v1/tracks"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    tracks["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["report"]["track_id"].as_str().unwrap().to_owned())
        .collect()
}

/// libais's ORBCOMM capture (`feeds/tests/data/ais/libais_tagblock.nmea`) with each tag
/// block's `c:` moved to the last minutes (the server refuses reports far from its clock),
/// order and spacing kept, and the tag block checksums written anew.
fn orbcomm_as_if_live() -> String {
    let capture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds/tests/data/ais/libais_tagblock.nmea"),
    )
    .unwrap();
    let time_of = |tag: &str| -> i64 {
        tag.split(',')
            .find_map(|f| f.strip_prefix("c:"))
            .unwrap()
            .parse()
            .unwrap()
    };
    let tags: Vec<&str> = capture
        .lines()
        .map(|l| l[1..].split('\\').next().unwrap())
        .collect();
    let last = tags.iter().map(|t| time_of(t)).max().unwrap();
    let shift = chrono::Utc::now().timestamp() - 5 - last;
    capture
        .lines()
        .map(|line| {
            let (tag, sentence) = line[1..].split_once('\\').unwrap();
            let body = tag.rsplit_once('*').unwrap().0;
            let moved: Vec<String> = body
                .split(',')
                .filter(|f| !f.starts_with("T:"))
                .map(|f| match f.strip_prefix("c:") {
                    Some(c) => format!("c:{}", c.parse::<i64>().unwrap() + shift),
                    None => f.to_owned(),
                })
                .collect();
            let body = moved.join(",");
            let sum = body.bytes().fold(0u8, |s, b| s ^ b);
            format!("\\{body}*{sum:02X}\\{sentence}\n")
        })
        .collect()
}

#[test]
fn an_ais_file_is_ingested_and_its_ships_become_tracks() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("sea.db"));
    let navy = register(&server.base, "navy", "operator");
    let file = directory.path().join("orbcomm.nmea");
    std::fs::write(&file, orbcomm_as_if_live()).unwrap();
    let output = Command::new(BIN)
        .args(["ingest", "--server", &server.base])
        .arg(&file)
        .env("DECONFLICT_TOKEN", &navy)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "5 lines, 3 reports (3 accepted, 0 refused by the server), 0 ignored, 0 malformed"
        ),
        "{stdout}"
    );
    assert_eq!(track_ids(&server.base, &navy), ["mmsi-224651000"]);
}

#[test]
fn ais_over_tcp_and_udp_is_forwarded_with_receive_times() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("sea-net.db"));
    let navy = register(&server.base, "navy", "operator");
    // Plain sentences as a receiver forwards them (gpsd's sample, no time of their own): a
    // class A report, a type 5 in two halves, a checksum failure, a type 27.
    let feed = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\r\n\
                !AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\r\n\
                !AIVDM,2,2,1,A,88888888880,2*25\r\n\
                !AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5D\r\n\
                !AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16\r\n";

    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = receiver.local_addr().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = receiver.accept().unwrap();
        stream.write_all(feed.as_bytes()).unwrap();
    });
    let output = Command::new(BIN)
        .args(["ingest", "--server", &server.base, "--ais"])
        .arg(format!("tcp://{address}"))
        .env("DECONFLICT_TOKEN", &navy)
        .output()
        .unwrap();
    feeder.join().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "5 lines, 2 reports (2 accepted, 0 refused by the server), 0 ignored, 1 malformed"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("line 4: AIS: "), "{stdout}");
    assert!(stderr.contains("from 1 vessels"), "{stderr}");
    let mut ids = track_ids(&server.base, &navy);
    ids.sort();
    assert_eq!(ids, ["mmsi-206914217", "mmsi-366053209"]);

    // UDP: a listener that runs until stopped; datagrams of one or several lines.
    let udp_port = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let other = register(&server.base, "coastguard", "operator");
    let mut ingest = Command::new(BIN)
        .args(["ingest", "--server", &server.base, "--ais"])
        .arg(format!("udp://127.0.0.1:{udp_port}"))
        .env("DECONFLICT_TOKEN", &other)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ids = Vec::new();
    while Instant::now() < deadline {
        // gpsd's class B sample (type 18), sent until the listener is up and has posted it.
        sender
            .send_to(
                b"!AIVDM,1,1,,A,B3KLehP0B@LTN6`Vl;rrBE063P06,0*5A\r\n",
                ("127.0.0.1", udp_port),
            )
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        ids = track_ids(&server.base, &other);
        if !ids.is_empty() {
            break;
        }
    }
    ingest.kill().unwrap();
    ingest.wait().unwrap();
    assert_eq!(ids, ["mmsi-230108610"]);
}

#[test]
fn a_zone_is_printed_as_a_navigational_warning() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("navwarning.db"));
    let authority = register(&server.base, "syria-authority", "authority");
    let zone = json!({
        "name": "Naval exercise area Tartous",
        "footprint": {"type": "Polygon", "coordinates": [[
            [35.5, 34.8683333333], [35.8566666667, 34.8683333333], [35.8566666667, 35.0833333333],
            [35.5, 35.0833333333], [35.5, 34.8683333333]]]},
        "altitude_lower_m": 0, "altitude_upper_m": 0,
        "schedule": {"windows": [{"start": "2030-10-08T06:00:00Z", "end": "2030-10-10T18:00:00Z"}]},
        "enforcement": "advisory",
        "rules": [{"type": "notify"}]
    });
    let response = Client::new()
        .put(format!("{}/v1/zones/navex", server.base))
        .bearer_auth(&authority)
        .json(&zone)
        .send()
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().unwrap()
    );
    let output = Command::new(BIN)
        .args([
            "zones",
            "navwarning",
            "navex",
            "--series",
            "NAVAREA III 0123/30",
        ])
        .args(["--area", "Eastern Mediterranean"])
        .env("DECONFLICT_SERVER", &server.base)
        .env("DECONFLICT_TOKEN", &authority)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "NAVAREA III 0123/30",
            "EASTERN MEDITERRANEAN.",
            "NAVAL EXERCISE AREA TARTOUS.",
            "IN FORCE 080600 UTC OCT 30 TO 101800 UTC OCT 30 IN AREA BOUNDED BY",
            "35-05.00N 035-30.00E,",
            "35-05.00N 035-51.40E,",
            "34-52.10N 035-51.40E,",
            "34-52.10N 035-30.00E.",
            "ENTRIES ARE REPORTED TO SYRIA-AUTHORITY.",
            "WIDE BERTH REQUESTED.",
            "CANCEL THIS MSG 101800 UTC OCT 30.",
        ],
        "{stdout}"
    );
    // The route itself: text/plain; an unknown format is refused.
    let response = Client::new()
        .get(format!("{}/v1/zones/navex?format=navwarning", server.base))
        .bearer_auth(&authority)
        .send()
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let status = Client::new()
        .get(format!("{}/v1/zones/navex?format=telex", server.base))
        .bearer_auth(&authority)
        .send()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 422);
    let (ok, missing) = {
        let output = Command::new(BIN)
            .args(["zones", "navwarning", "nowhere"])
            .env("DECONFLICT_SERVER", &server.base)
            .env("DECONFLICT_TOKEN", &authority)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    assert!(!ok && missing.contains("404"), "{missing}");
}
