//! AIS on public captures (`tests/data/ais/`, sources in `SOURCES.md` there), checked against
//! what other decoders (gpsd, libais) wrote for the same sentences.

use std::fs::File;
use std::io::BufReader;

use chrono::{DateTime, Utc};
use deconflict_feeds::{
    read_reports, sniff, AisDecoder, FeedFormat, FeedStats, LineReader, TrackReport,
};
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ais/");

/// Every line of `name` through one decoder, each received at `received` when given.
fn decode(name: &str, received: Option<DateTime<Utc>>) -> (Vec<TrackReport>, AisDecoder) {
    let file = File::open(format!("{DATA}{name}")).unwrap();
    let mut lines = LineReader::new(BufReader::new(file));
    let mut decoder = AisDecoder::new();
    let mut reports = Vec::new();
    while let Some((number, line)) = lines.next_line().unwrap() {
        if let Ok(Some(report)) = decoder.push_received(number, line, received) {
            assert_eq!(report.validate(), Ok(()));
            reports.push(report);
        }
    }
    (reports, decoder)
}

fn json_lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{DATA}{name}"))
        .unwrap()
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn time(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn read_file(name: &str) -> (Vec<TrackReport>, FeedStats) {
    let file = File::open(format!("{DATA}{name}")).unwrap();
    read_reports(BufReader::new(file)).unwrap()
}

#[test]
fn orbcomm_tag_blocks_give_times_and_an_interleaved_type_5_is_reassembled() {
    let first = std::fs::read_to_string(format!("{DATA}libais_tagblock.nmea")).unwrap();
    assert_eq!(sniff(first.lines().next().unwrap()), Some(FeedFormat::Ais));
    let (reports, decoder) = decode("libais_tagblock.nmea", None);
    // libais's decoding of the same file: three type 1 reports and one type 5.
    let expected: Vec<Value> = json_lines("libais_tagblock.json");
    let positions: Vec<&Value> = expected.iter().filter(|v| v["type"] == 1).collect();
    assert_eq!(reports.len(), positions.len());
    for (report, libais) in reports.iter().zip(&positions) {
        assert_eq!(
            report.track_id,
            format!("mmsi-{:09}", libais["mmsi"].as_u64().unwrap())
        );
        let stamp = libais["tagblock_timestamp"].as_str().unwrap();
        assert_eq!(report.motion.time, time(stamp));
        assert!(
            (report.motion.lat_deg - libais["lat"].as_f64().unwrap()).abs() < 2e-5,
            "{report:?} {libais}"
        );
        assert!(
            (report.motion.lon_deg - libais["lon"].as_f64().unwrap()).abs() < 2e-5,
            "{report:?} {libais}"
        );
        let knots = libais["speed"].as_f64().unwrap();
        assert!((report.motion.ground_speed_mps - knots * 1852.0 / 3600.0).abs() < 1e-5);
        assert!((report.motion.track_deg - libais["course"].as_f64().unwrap()).abs() < 1e-4);
    }
    let static_5 = expected.iter().find(|v| v["type"] == 5).unwrap();
    let mmsi = static_5["mmsi"].as_u64().unwrap() as u32;
    let vessel = decoder.vessel(mmsi).expect("type 5 reassembled");
    assert_eq!(vessel.name.as_deref(), static_5["shipname"].as_str());
    assert_eq!(vessel.callsign.as_deref(), static_5["callsign"].as_str());
    let length = static_5["to_bow"].as_f64().unwrap() + static_5["to_stern"].as_f64().unwrap();
    let beam = static_5["to_port"].as_f64().unwrap() + static_5["to_starboard"].as_f64().unwrap();
    assert_eq!((vessel.length_m, vessel.beam_m), (Some(length), Some(beam)));
    let stats = decoder.stats();
    assert_eq!((stats.lines, stats.reports, stats.malformed), (5, 3, 0));
}

#[test]
fn class_b_and_long_range_positions_match_gpsd() {
    let received = time("2023-05-07T12:00:00Z");
    let (reports, decoder) = decode("gpsd_ais-18-27.log", Some(received));
    // gpsd's unscaled output: type 18 in 1/10,000 minute and 0.1 kn, type 27 in 1/10 minute
    // and whole knots; "not available" left out, as the decoder must.
    let mut expected = Vec::new();
    for v in json_lines("gpsd_ais-18-27.log.chk") {
        let field = |name: &str| v[name].as_i64().unwrap();
        let (scale, lat_na, lon_na, speed_na, knots_per_unit, course_na, degrees_per_unit) =
            match v["type"].as_i64().unwrap() {
                18 => (600_000.0, 91 * 600_000, 181 * 600_000, 1023, 0.1, 3600, 0.1),
                27 => (600.0, 91 * 600, 181 * 600, 63, 1.0, 511, 1.0),
                _ => continue,
            };
        let (lat, lon, speed, course) =
            (field("lat"), field("lon"), field("speed"), field("course"));
        if lat == lat_na || lon == lon_na || speed == speed_na || (course == course_na && speed > 0)
        {
            continue;
        }
        let heading = v["heading"].as_i64().filter(|h| *h < 360).unwrap_or(0);
        let track = if course == course_na {
            heading as f64
        } else {
            course as f64 * degrees_per_unit
        };
        expected.push((
            field("mmsi"),
            lat as f64 / scale,
            lon as f64 / scale,
            speed as f64 * knots_per_unit * 1852.0 / 3600.0,
            track,
        ));
    }
    assert_eq!(reports.len(), expected.len(), "{:?}", decoder.stats());
    assert!(
        reports.len() > 100,
        "{} {:?} {}",
        reports.len(),
        decoder.stats(),
        json_lines("gpsd_ais-18-27.log.chk").len()
    );
    for (report, (mmsi, lat, lon, speed, track)) in reports.iter().zip(&expected) {
        assert_eq!(report.track_id, format!("mmsi-{mmsi:09}"));
        assert!((report.motion.lat_deg - lat).abs() < 1e-9, "{report:?}");
        assert!((report.motion.lon_deg - lon).abs() < 1e-9, "{report:?}");
        assert!(
            (report.motion.ground_speed_mps - speed).abs() < 1e-9,
            "{report:?}"
        );
        assert!((report.motion.track_deg - track).abs() < 1e-9, "{report:?}");
        assert_eq!(report.motion.time, received);
        assert_eq!(report.motion.altitude_m, 0.0);
    }
    // Type 24: every part A names its ship; the parts B here carry part number 3, which
    // ITU-R M.1371 does not define (gpsd prints nothing for them either): malformed.
    let text = std::fs::read_to_string(format!("{DATA}gpsd_ais-18-27.log")).unwrap();
    let part_number = |payload: &[u8]| {
        let sixbit = |c: u8| if c - 48 > 40 { c - 56 } else { c - 48 };
        (sixbit(payload[6]) >> 2) & 0b11
    };
    let payloads: Vec<&[u8]> = text
        .lines()
        .filter(|l| l.starts_with("!AIVDM,1,1,,A,H"))
        .map(|l| l.split(',').nth(5).unwrap().as_bytes())
        .collect();
    let parts_a = payloads.iter().filter(|p| part_number(p) == 0).count();
    let parts_3 = payloads.iter().filter(|p| part_number(p) == 3).count();
    assert_eq!(parts_a + parts_3, payloads.len());
    let named = decoder.vessels().filter(|(_, v)| v.name.is_some()).count();
    assert!(named > 0 && named <= parts_a, "{named}");
    assert_eq!(
        decoder.stats().malformed,
        parts_3 as u64,
        "{:?}",
        decoder.stats()
    );
}

#[test]
fn uscg_receiver_times_and_every_message_type_in_libais_examples() {
    let (reports, stats) = read_file("libais_typeexamples.nmea");
    // Types 1, 3 and 18 give ships; libais's random-bit type 2 (latitude −101.5°) and
    // type 27 (longitude 200.2°) are impossible and malformed; the other 21 types are
    // not ship positions (ignored) or static data (type 5, 24: kept).
    let ids: Vec<&str> = reports.iter().map(|r| r.track_id.as_str()).collect();
    assert_eq!(ids, ["mmsi-367033650", "mmsi-636091044", "mmsi-366764000"]);
    // The time is the first UNIX time after the checksum (the receiver's).
    assert_eq!(reports[0].motion.time, time("2012-01-01T05:01:00Z"));
    assert_eq!(stats.lines, 26);
    assert_eq!(stats.malformed, 2, "{:?}", stats.examples);
}

#[test]
fn an_aishub_capture_decodes_with_only_its_empty_sentences_malformed() {
    let text = std::fs::read_to_string(format!("{DATA}pyais_nmea_data_sample.txt")).unwrap();
    let empty = text.lines().filter(|l| l.contains(",,0*")).count();
    let (reports, decoder) = decode(
        "pyais_nmea_data_sample.txt",
        Some(time("2021-01-01T00:00:00Z")),
    );
    let stats = decoder.stats();
    assert_eq!(stats.lines, text.lines().count() as u64);
    assert!(empty > 0);
    assert_eq!(stats.malformed, empty as u64, "{:?}", stats.examples);
    assert!(reports.len() > 500, "{} {:?}", reports.len(), stats);
    // The capture holds the first halves of 20 type 5 messages and none of their second
    // halves: they wait, expire, and give no static data. Its only static data are the two
    // parts of one type 24 (lines 620 and 762), merged.
    let lone_halves = text
        .lines()
        .filter(|l| l.starts_with("!AIVDM,2,1,"))
        .count();
    assert_eq!(lone_halves, 20);
    assert!(!text.contains("!AIVDM,2,2,"));
    let vessels: Vec<_> = decoder.vessels().collect();
    assert_eq!(vessels.len(), 1);
    let (_, vessel) = vessels[0];
    assert!(
        vessel.name.is_some() && vessel.callsign.is_some(),
        "{vessel:?}"
    );
}

#[test]
fn comments_and_other_nmea_before_ais_are_read_as_ais() {
    // pyais's mixed file: a comment first, other NMEA sentences, two lines of text and three
    // tag blocks with a one-digit checksum that matches nothing (`*A`).
    let (reports, stats) = read_file("pyais_mixed.txt");
    assert!(stats.ignored > 0);
    assert!(reports.is_empty(), "no receiver time on any position here");
    assert_eq!(stats.malformed, 5, "{:?}", stats.examples);
    let tag_errors = stats
        .examples
        .iter()
        .filter(|e| e.contains("tag block checksum"));
    assert_eq!(tag_errors.count(), 3, "{:?}", stats.examples);
}
