//! The decoder on sentences written from ITU-R M.1371 with `aivdm`'s encoder: a real class A
//! report with its fields set to each "not available" value, tag blocks, reassembly.

use aivdm::message::common::{Cog, Heading, Latitude, Longitude, Sog};
use aivdm::{AisMessage, Channel};

use super::*;

/// A class A position report (type 1) from the aivdm and gpsd documentation:
/// MMSI 366053209, 37.802118° N 122.341618° W, SOG 0, COG 219.3°.
const CLASS_A: &str = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C";
const TIME: &str = "2026-12-06T10:00:00Z";

fn class_a() -> aivdm::message::PositionReportClassA {
    match aivdm::decode_line(CLASS_A).unwrap() {
        AisMessage::PositionReportClassA(m) => m,
        other => panic!("{other:?}"),
    }
}

fn encode(message: &AisMessage) -> String {
    let mut buf = [0u8; 128];
    let line = aivdm::encode_line(message, Channel::A, false, &mut buf).unwrap();
    String::from_utf8(line.to_vec()).unwrap()
}

/// `sentence` behind a tag block whose `c:` is `unix_s`, with a correct checksum.
fn tagged(unix_s: i64, sentence: &str) -> String {
    let tag = format!("s:2573485,c:{unix_s}");
    let sum = tag.bytes().fold(0u8, |s, b| s ^ b);
    format!("\\{tag}*{sum:02X}\\{sentence}")
}

fn decode_at(line: &str) -> (Result<Option<TrackReport>, LineError>, FeedStats) {
    let mut decoder = AisDecoder::new();
    let time = TIME.parse().unwrap();
    let result = decoder.push_received(1, Ok(line), Some(time));
    (result, decoder.stats().clone())
}

#[test]
fn a_class_a_report_becomes_a_ship_track_in_si_units() {
    let mut m = class_a();
    m.sog = Sog::from_raw(123); // 12.3 kn
    let (report, stats) = decode_at(&encode(&AisMessage::PositionReportClassA(m)));
    let report = report.unwrap().unwrap();
    assert_eq!(report.track_id, "mmsi-366053209");
    assert_eq!(report.motion.time, TIME.parse::<DateTime<Utc>>().unwrap());
    assert!((report.motion.lat_deg - 37.802_118_333).abs() < 1e-6);
    assert!((report.motion.lon_deg + 122.341_618_333).abs() < 1e-6);
    assert_eq!(report.motion.altitude_m, 0.0);
    assert!((report.motion.ground_speed_mps - 12.3 * 1852.0 / 3600.0).abs() < 1e-9);
    assert!((report.motion.track_deg - 219.3).abs() < 1e-9);
    assert_eq!(stats.reports, 1);
}

#[test]
fn not_available_values_never_become_a_position_or_a_velocity() {
    type Spoil = fn(&mut aivdm::message::PositionReportClassA);
    let moving = |m: &mut aivdm::message::PositionReportClassA| m.sog = Sog::from_raw(100);
    let cases: Vec<(&str, Spoil)> = vec![
        ("latitude 91", |m| {
            m.latitude = Latitude::from_raw(91 * 600_000)
        }),
        ("longitude 181", |m| {
            m.longitude = Longitude::from_raw(181 * 600_000)
        }),
        ("speed 102.3 kn", |m| m.sog = Sog::from_raw(1023)),
        ("course 360 while moving", |m| {
            m.sog = Sog::from_raw(100);
            m.cog = Cog::from_raw(3600);
        }),
        ("course 409.5 while moving", |m| {
            m.sog = Sog::from_raw(100);
            m.cog = Cog::from_raw(4095);
        }),
    ];
    for (what, spoil) in cases {
        let mut m = class_a();
        spoil(&mut m);
        let (report, stats) = decode_at(&encode(&AisMessage::PositionReportClassA(m)));
        assert_eq!(report, Ok(None), "{what}");
        assert_eq!((stats.ignored, stats.malformed), (1, 0), "{what}");
    }
    // Heading 511 alone takes nothing away: the course gives the track.
    let mut m = class_a();
    moving(&mut m);
    m.heading = Heading::from_raw(511);
    let (report, _) = decode_at(&encode(&AisMessage::PositionReportClassA(m)));
    assert!((report.unwrap().unwrap().motion.track_deg - 219.3).abs() < 1e-9);
}

#[test]
fn a_ship_at_rest_without_a_course_is_reported_with_its_heading_and_no_speed() {
    let mut m = class_a();
    m.sog = Sog::from_raw(0);
    m.cog = Cog::from_raw(3600);
    m.heading = Heading::from_raw(87);
    let (report, _) = decode_at(&encode(&AisMessage::PositionReportClassA(m)));
    let report = report.unwrap().unwrap();
    assert_eq!(
        (report.motion.ground_speed_mps, report.motion.track_deg),
        (0.0, 87.0)
    );
    m.heading = Heading::from_raw(511);
    let (report, _) = decode_at(&encode(&AisMessage::PositionReportClassA(m)));
    assert_eq!(report.unwrap().unwrap().motion.track_deg, 0.0);
}

#[test]
fn a_long_range_report_at_91_181_is_not_a_position() {
    // Type 27 in gpsd's test/sample.aivdm, then with its position set to "not available".
    let line = "!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16";
    let AisMessage::LongRangeBroadcast(mut m) = aivdm::decode_line(line).unwrap() else {
        panic!()
    };
    let (report, _) = decode_at(line);
    let report = report.unwrap().unwrap();
    assert_eq!(report.track_id, format!("mmsi-{:09}", m.mmsi.raw()));
    m.latitude_raw = 91 * 600;
    m.longitude_raw = 181 * 600;
    let (report, stats) = decode_at(&encode(&AisMessage::LongRangeBroadcast(m)));
    assert_eq!((report, stats.ignored), (Ok(None), 1));
}

#[test]
fn the_tag_block_time_is_the_report_time() {
    let line = tagged(1_654_088_303, CLASS_A);
    let (report, _) = decode_at(&line);
    let expected: DateTime<Utc> = "2022-06-01T12:58:23Z".parse().unwrap();
    assert_eq!(report.unwrap().unwrap().motion.time, expected);
}

#[test]
fn a_position_without_any_time_is_ignored_not_invented() {
    let mut decoder = AisDecoder::new();
    assert_eq!(decoder.push_line(CLASS_A), Ok(None));
    assert_eq!(decoder.stats().ignored, 1);
}

#[test]
fn checksum_failures_are_counted_and_reading_goes_on() {
    let mut decoder = AisDecoder::new();
    let bad_sentence = CLASS_A.replace("*5C", "*5D");
    let mut bad_tag = tagged(1_654_088_303, CLASS_A);
    bad_tag = bad_tag.replacen("s:2573485", "s:2573486", 1);
    for line in [&bad_sentence, &bad_tag] {
        let error = decoder.push_line(line).unwrap_err();
        assert!(matches!(error, LineError::Ais { .. }), "{error}");
        assert!(error.to_string().contains("checksum"), "{error}");
    }
    assert!(decoder
        .push_line(&tagged(1_654_088_303, CLASS_A))
        .unwrap()
        .is_some());
    let stats = decoder.stats();
    assert_eq!((stats.lines, stats.malformed, stats.reports), (3, 2, 1));
    assert!(stats.examples[0].starts_with("line 1: AIS: "), "{stats:?}");
}

#[test]
fn a_two_sentence_type_5_fills_the_vessel_table_and_names_later_reports() {
    // gpsd test/sample.aivdm and its decoding in sample.aivdm.js.chk: MMSI 351759000,
    // callsign 3FOF8, "EVER DIADEM", to bow 225 m, to stern 70, to port 1, to starboard 31.
    let part_1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
    let part_2 = "!AIVDM,2,2,1,A,88888888880,2*25";
    let mut decoder = AisDecoder::new();
    assert_eq!(decoder.push_line(part_1), Ok(None));
    assert_eq!(decoder.push_line(part_2), Ok(None));
    let vessel = decoder.vessel(351_759_000).expect("static data kept");
    assert_eq!(vessel.name.as_deref(), Some("EVER DIADEM"));
    assert_eq!(vessel.callsign.as_deref(), Some("3FOF8"));
    assert_eq!(vessel.length_m, Some(225.0 + 70.0));
    assert_eq!(vessel.beam_m, Some(1.0 + 31.0));
    // The same ship's position, written with the encoder, now carries the callsign, the
    // name and size, and is a ship's (the sea domain's minima apply to it).
    let mut m = class_a();
    m.mmsi = aivdm::Mmsi::from_raw(351_759_000);
    let line = tagged(1_654_088_303, &encode(&AisMessage::PositionReportClassA(m)));
    let report = decoder.push_line(&line).unwrap().unwrap();
    assert_eq!(report.callsign.as_deref(), Some("3FOF8"));
    assert_eq!(report.domain, crate::Domain::Sea);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.contains(
            r#""domain":"sea","vessel":{"name":"EVER DIADEM","length_m":295.0,"beam_m":32.0}"#
        ),
        "{json}"
    );
    assert_eq!(decoder.stats().reports, 1);
}

#[test]
fn other_nmea_and_other_message_types_are_ignored_and_garbage_is_malformed() {
    let mut decoder = AisDecoder::new();
    let base_station = "!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D";
    for line in ["$GPRMC,213950.00,A,5250.53669,N", "# note", base_station] {
        assert_eq!(decoder.push_line(line), Ok(None), "{line}");
    }
    for line in ["MSG,3,1,1", "!AIVDM,1,1,,A,,0*26", "\\c:1\\!AIVDM"] {
        assert!(decoder.push_line(line).is_err(), "{line}");
    }
    let stats = decoder.stats();
    assert_eq!((stats.ignored, stats.malformed), (3, 3));
}
