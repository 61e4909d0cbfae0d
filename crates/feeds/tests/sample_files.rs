//! The public interface against sample files written from the published formats (see
//! `tests/data/README.md` for what each file holds and why).

use std::fs::File;
use std::io::BufReader;

use deconflict_feeds::{
    parse_ndjson_line, read_reports, sniff, FeedFormat, FeedStats, LineError, OpenSkyReader,
    SbsAssembler, TrackReport,
};

fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    std::fs::read_to_string(data_path(name)).unwrap()
}

fn read_file(name: &str) -> (Vec<TrackReport>, FeedStats) {
    read_reports(BufReader::new(File::open(data_path(name)).unwrap())).unwrap()
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

/// What one report should say: track, time, lat, lon, altitude m, speed m/s, track °,
/// vertical rate m/s, callsign.
type Expected = (
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    Option<&'static str>,
);

fn assert_report(report: &TrackReport, expected: Expected) {
    let (track_id, time, lat, lon, altitude_m, speed_mps, track_deg, rate_mps, callsign) = expected;
    assert_eq!(report.track_id, track_id);
    assert_eq!(report.motion.time.to_rfc3339(), time, "{track_id}");
    assert_eq!(
        (report.motion.lat_deg, report.motion.lon_deg),
        (lat, lon),
        "{track_id}"
    );
    assert_close(report.motion.altitude_m, altitude_m);
    assert_close(report.motion.ground_speed_mps, speed_mps);
    assert_close(report.motion.track_deg, track_deg);
    assert_close(report.motion.vertical_rate_mps, rate_mps);
    assert_eq!(report.callsign.as_deref(), callsign, "{track_id}");
    assert_eq!(report.operation_id, None);
    assert_eq!(report.validate(), Ok(()));
}

/// The six reports of `sbs_capture.txt`, with the conversions written out: feet × 0.3048,
/// knots × 1852/3600, feet per minute × 0.3048/60.
fn expected_sbs_reports() -> Vec<Expected> {
    vec![
        // 4CA2D6: callsign from MSG 1, velocity from the MSG 4 before.
        (
            "4ca2d6",
            "2015-10-01T06:00:00.590+00:00",
            51.45618,
            -1.0271,
            11_269.98,
            232.014_444_444_444_45,
            146.0,
            -0.325_12,
            Some("EIN5CH"),
        ),
        (
            "400a1f",
            "2015-10-01T06:00:01.480+00:00",
            51.4711,
            -0.4821,
            3_665.22,
            154.333_333_333_333_34,
            272.0,
            10.078_72,
            Some("BAW256"),
        ),
        // 3C6586 sent no MSG 1: no callsign.
        (
            "3c6586",
            "2015-10-01T06:00:02.700+00:00",
            51.5998,
            -0.8965,
            10_668.0,
            246.933_333_333_333_35,
            95.0,
            0.0,
            None,
        ),
        // 4CA2D6 again: velocity carried forward 2.66 s.
        (
            "4ca2d6",
            "2015-10-01T06:00:03+00:00",
            51.455,
            -1.0259,
            11_262.36,
            232.014_444_444_444_45,
            146.0,
            -0.325_12,
            Some("EIN5CH"),
        ),
        // 400A1F: its later MSG 4 was malformed, so the first velocity is carried.
        (
            "400a1f",
            "2015-10-01T06:00:04.400+00:00",
            51.4708,
            -0.49,
            3_688.08,
            154.333_333_333_333_34,
            272.0,
            10.078_72,
            Some("BAW256"),
        ),
        // 4CA2D6 after a fresh MSG 4 (the MSG 3 before it was 60.001 s from the old one).
        (
            "4ca2d6",
            "2015-10-01T06:01:00.800+00:00",
            51.39,
            -0.96,
            10_820.4,
            226.355_555_555_555_55,
            147.0,
            -5.201_92,
            Some("EIN5CH"),
        ),
    ]
}

#[test]
fn sbs_capture_is_assembled_into_tracks_with_exact_conversions() {
    let mut sbs = SbsAssembler::new();
    let mut reports = Vec::new();
    let mut error_lines = Vec::new();
    for line in data("sbs_capture.txt").lines() {
        match sbs.push_line(line) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {}
            Err(error) => error_lines.push(error.line()),
        }
    }
    let expected = expected_sbs_reports();
    assert_eq!(reports.len(), expected.len());
    for (report, expected) in reports.iter().zip(expected) {
        assert_report(report, expected);
    }
    // Truncated MSG 3, raw Beast-AVR junk, a garbled time, a non-hex address.
    assert_eq!(error_lines, vec![18, 21, 24, 31]);
    let stats = sbs.stats();
    assert_eq!(stats.lines, 31);
    assert_eq!((stats.reports, stats.malformed), (6, 4));
    // STA, AIR, ID, SEL, CLK; MSG 2, 5, 6, 7, 8; three MSG 3 without velocity; one stale.
    assert_eq!(stats.ignored, 14);
    assert!(stats.examples[0].starts_with("line 18: 10 comma-separated fields"));
    assert!(
        stats.examples[1].contains("record type"),
        "{:?}",
        stats.examples
    );
}

#[test]
fn read_reports_gives_the_same_sbs_tracks_as_the_assembler() {
    let (reports, stats) = read_file("sbs_capture.txt");
    assert_eq!(reports.len(), 6);
    for (report, expected) in reports.iter().zip(expected_sbs_reports()) {
        assert_report(report, expected);
    }
    assert_eq!((stats.lines, stats.ignored, stats.malformed), (31, 14, 4));
}

#[test]
fn opensky_csv_prefers_geometric_altitude_and_skips_unknowns() {
    let file = File::open(data_path("opensky_states.csv")).unwrap();
    let mut reader = OpenSkyReader::new(BufReader::new(file));
    let items: Vec<_> = reader.by_ref().collect();
    let (reports, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    let reports: Vec<TrackReport> = reports.into_iter().map(Result::unwrap).collect();
    let summary: Vec<_> = reports
        .iter()
        .map(|r| {
            (
                r.track_id.as_str(),
                r.motion.time.timestamp_millis(),
                r.motion.altitude_m,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("4b1a1e", 1_656_287_999_120, 426.72), // on ground, with a geometric altitude
            ("3c6586", 1_656_287_999_624, 10_843.26), // geoaltitude, not baroaltitude
            ("4b44a8", 1_656_287_999_700, 2_743.2), // no geoaltitude: baroaltitude
            ("3c6586", 1_656_288_009_541, 10_835.64),
            ("4b44a8", 1_656_288_009_100, 2_849.88),
        ]
    );
    let first = &reports[1];
    assert_eq!(first.callsign.as_deref(), Some("DLH4TK"));
    assert_eq!(
        (first.motion.ground_speed_mps, first.motion.track_deg),
        (231.7088396, 266.3038642)
    );
    assert_eq!(first.motion.vertical_rate_mps, -7.8);
    assert_eq!(reports[0].motion.vertical_rate_mps, 0.0);

    let errors: Vec<LineError> = errors.into_iter().map(Result::unwrap_err).collect();
    assert!(matches!(
        errors[0],
        LineError::BadField {
            line: 8,
            field: "lat",
            ..
        }
    ));
    assert!(matches!(
        errors[1],
        LineError::FieldCount {
            line: 9,
            expected: 16,
            found: 5
        }
    ));
    assert!(matches!(
        &errors[2],
        LineError::Invalid { line: 13, source } if source.field == "/altitude_m"
    ));
    let stats = reader.stats();
    assert_eq!((stats.lines, stats.reports, stats.malformed), (13, 5, 3));
    // On ground without altitude, no position, no heading, a repeated position.
    assert_eq!(stats.ignored, 4);
}

#[test]
fn read_reports_gives_the_same_opensky_reports_as_the_reader() {
    let (reports, stats) = read_file("opensky_states.csv");
    assert_eq!(reports.len(), 5);
    assert_eq!((stats.reports, stats.ignored, stats.malformed), (5, 4, 3));
    assert_eq!(stats.examples.len(), 3);
}

#[test]
fn ndjson_reports_are_read_and_the_out_of_range_one_is_caught() {
    let (reports, stats) = read_file("reports.ndjson");
    let tracks: Vec<_> = reports.iter().map(|r| r.track_id.as_str()).collect();
    assert_eq!(tracks, vec!["drone-7", "drone-7", "4b1806", "drone-7"]);
    assert_eq!(reports[0].operation_id.as_deref(), Some("op-2025-0601-a"));
    assert_eq!(
        reports[2].motion.time.to_rfc3339(),
        "2025-06-01T08:00:01.500+00:00"
    );
    assert_eq!((stats.lines, stats.reports, stats.malformed), (7, 4, 2));
    assert_eq!(stats.ignored, 0);
    assert!(
        stats.examples[0].starts_with("line 5: /altitude_m: 35000"),
        "{:?}",
        stats
    );
    assert!(
        stats.examples[1].starts_with("line 6: not a position report"),
        "{:?}",
        stats
    );

    let out_of_range = data("reports.ndjson").lines().nth(4).unwrap().to_owned();
    let error = parse_ndjson_line(&out_of_range).unwrap_err();
    let LineError::Invalid { source, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(source.field, "/altitude_m");
    assert_eq!(source.reason, "35000 is outside [-500, 30000]");
}

#[test]
fn each_sample_file_is_sniffed_from_its_first_line() {
    let first = |name| data(name).lines().next().unwrap().to_owned();
    assert_eq!(sniff(&first("sbs_capture.txt")), Some(FeedFormat::Sbs));
    assert_eq!(
        sniff(&first("opensky_states.csv")),
        Some(FeedFormat::OpenSky)
    );
    assert_eq!(sniff(&first("reports.ndjson")), Some(FeedFormat::Ndjson));
}

#[test]
fn reports_round_trip_through_ndjson() {
    let (reports, _) = read_file("sbs_capture.txt");
    for report in reports {
        let line = serde_json::to_string(&report).unwrap();
        assert_eq!(parse_ndjson_line(&line), Ok(report));
    }
}

#[test]
fn a_traffic_library_export_is_read_in_si_units() {
    assert_eq!(
        sniff(data("traffic_export.csv").lines().next().unwrap()),
        Some(FeedFormat::OpenSky)
    );
    let (reports, stats) = read_file("traffic_export.csv");
    assert_eq!((reports.len(), stats.ignored, stats.malformed), (3, 1, 0));
    let first = &reports[0];
    assert_eq!(first.track_id, "4010e9");
    assert_eq!(
        first.motion.time.to_rfc3339(),
        "2018-10-01T06:00:03.812+00:00"
    );
    assert_close(first.motion.track_deg, 220.8);
    assert_close(first.motion.altitude_m, 38_275.0 * 0.3048);
    assert_close(first.motion.ground_speed_mps, 451.0 * 1852.0 / 3600.0);
    assert_close(first.motion.vertical_rate_mps, -64.0 * 0.3048 / 60.0);
    let second = &reports[1];
    assert_close(second.motion.altitude_m, 24_000.0 * 0.3048);
    assert_eq!(second.motion.time.to_rfc3339(), "2018-10-01T06:00:05+00:00");
    let third = &reports[2];
    assert_close(third.motion.altitude_m, 12_000.0 * 0.3048);
    assert_eq!(
        (third.motion.track_deg, third.motion.vertical_rate_mps),
        (0.0, 0.0)
    );
    assert_eq!(third.callsign, None);
}
