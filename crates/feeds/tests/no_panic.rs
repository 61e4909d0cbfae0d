//! No input ever panics a parser: random bytes, and valid lines with fields replaced by
//! hostile values. Whatever comes out, every report passes validation and the counts add up.

use deconflict_feeds::{parse_ndjson_line, read_reports, AisDecoder, OpenSkyReader, SbsAssembler};
use proptest::prelude::*;

const SBS_LINES: [&str; 3] = [
    "MSG,1,1,1,4CA2D6,1,2015/10/01,06:00:00.050,2015/10/01,06:00:00.071,EIN5CH  ,,,,,,,,0,0,0,0",
    "MSG,4,1,1,4CA2D6,1,2015/10/01,06:00:00.340,2015/10/01,06:00:00.352,,,451,146,,,-64,,0,0,0,0",
    "MSG,3,1,1,4CA2D6,1,2015/10/01,06:00:00.590,2015/10/01,06:00:00.611,,36975,,,51.456180,-1.027100,,,0,0,0,0",
];
const OPENSKY_HEADER: &str = "time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,alert,spi,squawk,baroaltitude,geoaltitude,lastposupdate,lastcontact";
const OPENSKY_ROW: &str = "1656288000,3c6586,47.601348,8.912773,231.7,266.3,-7.8,DLH4TK  ,False,False,False,2361,10668.0,10843.26,1656287999.624,1656287999.987";
const NDJSON_LINE: &str = r#"{"track_id":"drone-7","time":"2025-06-01T10:00:00Z","lat_deg":47.3977,"lon_deg":8.5456,"altitude_m":120.0,"ground_speed_mps":12.0,"track_deg":90.0,"vertical_rate_mps":0.0}"#;

/// AIS lines as receivers write them: plain, behind a tag block, a two-part type 5, a USCG
/// trailer, a type 24 and a type 27.
const AIS_LINES: [&str; 6] = [
    "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C",
    r"\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78",
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
    "!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,r003669946,1325394060",
    "!AIVDM,1,1,,A,K3KLehP0rPTJ10Qr,0*2A",
];

/// Values that have broken parsers before: empty, non-finite, huge, signs, separators,
/// multi-byte characters, dates out of range.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_owned()),
        Just("-inf".to_owned()),
        Just("1e309".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("360".to_owned()),
        Just("~".to_owned()),
        Just("H".to_owned()),
        Just("1e15H".to_owned()),
        Just("9999/99/99".to_owned()),
        Just("262143/12/31".to_owned()),
        Just("25:61:61.9999999999".to_owned()),
        Just("é\u{0}\u{feff}".to_owned()),
        Just("\"".to_owned()),
        Just("1,2".to_owned()),
        Just("True".to_owned()),
        "[ -~]{0,12}",
        any::<f64>().prop_map(|x| x.to_string()),
        any::<i64>().prop_map(|x| x.to_string()),
    ]
}

/// `line` with the fields at `picks` (taken modulo the field count) replaced.
fn mutate(line: &str, separator: char, picks: &[(usize, String)]) -> String {
    let mut fields: Vec<String> = line.split(separator).map(str::to_owned).collect();
    for (index, value) in picks {
        let count = fields.len();
        fields[index % count] = value.clone();
    }
    fields.join(&separator.to_string())
}

fn picks() -> impl Strategy<Value = Vec<(usize, String)>> {
    prop::collection::vec((0usize..64, hostile_value()), 1..4)
}

fn random_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..200)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn check_sbs(lines: &[String]) {
    let mut sbs = SbsAssembler::new();
    for line in lines {
        if let Ok(Some(report)) = sbs.push_line(line) {
            assert_eq!(report.validate(), Ok(()));
        }
    }
    let stats = sbs.stats();
    assert_eq!(stats.lines, lines.len() as u64);
    assert!(stats.reports + stats.ignored + stats.malformed <= stats.lines);
}

fn check_ais(lines: &[String]) {
    let mut ais = AisDecoder::new();
    for line in lines {
        if let Ok(Some(report)) = ais.push_line(line) {
            assert_eq!(report.validate(), Ok(()));
            assert_eq!(report.motion.altitude_m, 0.0);
        }
    }
    let stats = ais.stats();
    assert_eq!(stats.lines, lines.len() as u64);
    assert!(stats.reports + stats.ignored + stats.malformed <= stats.lines);
}

/// An AIS payload of random armour characters, with a fresh checksum so it gets past the
/// sentence layer into reassembly and decoding.
fn armoured_sentence() -> impl Strategy<Value = String> {
    (
        1u8..=3,
        1u8..=3,
        prop::option::of(0u8..10),
        prop::sample::select(vec!["A", "B", "1", ""]),
        "[0-9:;<=>?@A-W`a-w]{0,90}",
        0u8..8,
    )
        .prop_map(|(count, number, id, channel, payload, fill)| {
            let id = id.map(|i| i.to_string()).unwrap_or_default();
            let body = format!("AIVDM,{count},{number},{id},{channel},{payload},{fill}");
            let sum = body.bytes().fold(0u8, |s, b| s ^ b);
            format!(
                "\\c:1418172113*{:02X}\\!{body}*{sum:02X}",
                "c:1418172113".bytes().fold(0u8, |s, b| s ^ b)
            )
        })
}

fn check_opensky(rows: &[String]) {
    let text = std::iter::once(OPENSKY_HEADER.to_owned())
        .chain(rows.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    let mut reader = OpenSkyReader::new(text.as_bytes());
    for report in reader.by_ref().flatten() {
        assert_eq!(report.validate(), Ok(()));
    }
    assert!(reader.stats().lines <= text.lines().count() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_text_never_panics_a_parser(text in random_text()) {
        let _ = parse_ndjson_line(&text);
        check_sbs(std::slice::from_ref(&text));
        check_opensky(std::slice::from_ref(&text));
        check_ais(std::slice::from_ref(&text));
    }

    #[test]
    fn mutated_ais_lines_never_panic(which in 0usize..6, picks in picks(), star in any::<bool>()) {
        let separator = if star { '*' } else { ',' };
        let mutated = mutate(AIS_LINES[which], separator, &picks);
        check_ais(&[AIS_LINES[2].to_owned(), mutated, AIS_LINES[3].to_owned()]);
    }

    #[test]
    fn random_payloads_with_good_checksums_never_panic(
        lines in prop::collection::vec(armoured_sentence(), 1..6),
    ) {
        check_ais(&lines);
    }

    #[test]
    fn random_bytes_never_panic_read_reports(
        start in prop_oneof![
            Just(&b"MSG,3,"[..]),
            Just(&b"{"[..]),
            Just(&b"time,icao24,lat,lon,velocity,heading,baroaltitude\n"[..]),
            Just(&b"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n\\c:1418172113*"[..]),
        ],
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let input: Vec<u8> = start.iter().copied().chain(bytes).collect();
        if let Ok((reports, stats)) = read_reports(&input[..]) {
            prop_assert_eq!(reports.len() as u64, stats.reports);
            for report in reports {
                prop_assert_eq!(report.validate(), Ok(()));
            }
        }
    }

    #[test]
    fn mutated_sbs_lines_never_panic(which in 0usize..3, picks in picks()) {
        let mutated = mutate(SBS_LINES[which], ',', &picks);
        // After a valid velocity, so a mutated position gets as far as a report.
        check_sbs(&[SBS_LINES[0].to_owned(), SBS_LINES[1].to_owned(), mutated]);
    }

    #[test]
    fn mutated_opensky_rows_never_panic(picks in picks()) {
        check_opensky(&[OPENSKY_ROW.to_owned(), mutate(OPENSKY_ROW, ',', &picks)]);
    }

    #[test]
    fn mutated_ndjson_lines_never_panic(picks in picks()) {
        let line = mutate(NDJSON_LINE, ':', &picks);
        if let Ok(report) = parse_ndjson_line(&line) {
            prop_assert_eq!(report.validate(), Ok(()));
        }
        let mutated_values = mutate(NDJSON_LINE, ',', &picks);
        let _ = parse_ndjson_line(&mutated_values);
    }
}
