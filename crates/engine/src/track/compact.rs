//! The compact log encoding of a batch of reports: each report as an array
//! `[track_id, time, lat, lon, altitude, ground_speed, track, vertical_rate, operation_id, callsign]`
//! instead of an object, with an eleventh element `{"domain": "sea", "vessel": {…}}` for a ship
//! (never for an aircraft, so older rows and aircraft rows are the same). Position batches are most of the log by volume; without the keys they
//! are about half the size, and much cheaper to encode, hash and store. The values are the
//! quantised ones ([`TrackReport::quantised`]), which the store's compression brings to about
//! 30 bytes a report.
//!
//! A batch pruned by retention (`deconflict_store::SqliteLog::prune`, the subtree `/reports`)
//! reads back with `reports: null`, which decodes as no reports: replaying it changes nothing.
//! Its tracks were lost long before the horizon, and every later report of them is kept.

use super::{Motion, TrackReport, VesselParticulars};
use crate::operation::Domain;
use chrono::{DateTime, Utc};
use serde::de::{Error as _, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The eleventh element of a row, written only for what aircraft do not have (a ship's
/// domain and particulars), so rows written before domains existed and rows of aircraft
/// are the same ten elements.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extra {
    #[serde(default, skip_serializing_if = "Domain::is_air")]
    domain: Domain,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vessel: Option<Box<VesselParticulars>>,
}

struct RowRef<'a>(&'a TrackReport);

impl Serialize for RowRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let extra = !r.domain.is_air() || r.vessel.is_some();
        let mut row = serializer.serialize_tuple(if extra { 11 } else { 10 })?;
        row.serialize_element(&r.track_id)?;
        row.serialize_element(&r.motion.time)?;
        row.serialize_element(&r.motion.lat_deg)?;
        row.serialize_element(&r.motion.lon_deg)?;
        row.serialize_element(&r.motion.altitude_m)?;
        row.serialize_element(&r.motion.ground_speed_mps)?;
        row.serialize_element(&r.motion.track_deg)?;
        row.serialize_element(&r.motion.vertical_rate_mps)?;
        row.serialize_element(&r.operation_id)?;
        row.serialize_element(&r.callsign)?;
        if extra {
            row.serialize_element(&Extra {
                domain: r.domain,
                vessel: r.vessel.clone(),
            })?;
        }
        row.end()
    }
}

struct Row(TrackReport);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a report row of 10 or 11 elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
                fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
                    seq: &mut A,
                    index: usize,
                ) -> Result<T, A::Error> {
                    seq.next_element()?
                        .ok_or_else(|| A::Error::invalid_length(index, &"10 elements"))
                }
                let track_id: String = next(&mut seq, 0)?;
                let time: DateTime<Utc> = next(&mut seq, 1)?;
                let lat_deg = next(&mut seq, 2)?;
                let lon_deg = next(&mut seq, 3)?;
                let altitude_m = next(&mut seq, 4)?;
                let ground_speed_mps = next(&mut seq, 5)?;
                let track_deg = next(&mut seq, 6)?;
                let vertical_rate_mps = next(&mut seq, 7)?;
                let operation_id = next(&mut seq, 8)?;
                let callsign = next(&mut seq, 9)?;
                let extra: Option<Extra> = seq.next_element()?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(12, &"10 or 11 elements"));
                }
                let (domain, vessel) = extra.map_or((Domain::Air, None), |e| (e.domain, e.vessel));
                Ok(Row(TrackReport {
                    track_id,
                    motion: Motion {
                        time,
                        lat_deg,
                        lon_deg,
                        altitude_m,
                        ground_speed_mps,
                        track_deg,
                        vertical_rate_mps,
                    },
                    operation_id,
                    callsign,
                    domain,
                    vessel,
                }))
            }
        }
        deserializer.deserialize_seq(RowVisitor)
    }
}

pub fn serialize<S: Serializer>(reports: &[TrackReport], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(reports.iter().map(RowRef))
}

pub fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<TrackReport>, D::Error> {
    // `null`: pruned by retention (see the module docs).
    let rows = Option::<Vec<Row>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(rows.into_iter().map(|Row(report)| report).collect())
}

/// The encoding used for a batch's digest: the same compact rows, as JSON bytes.
pub fn to_json_bytes(reports: &[TrackReport]) -> Vec<u8> {
    let mut out = Vec::with_capacity(reports.len() * 128);
    let mut serializer = serde_json::Serializer::new(&mut out);
    serialize(reports, &mut serializer).expect("reports serialise");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[test]
    fn compact_rows_round_trip_exactly() {
        let report = TrackReport {
            track_id: "4ca2d6".into(),
            motion: Motion {
                time: "2030-01-01T00:00:01.250Z".parse().unwrap(),
                lat_deg: 35.123456789,
                lon_deg: -179.99,
                altitude_m: 11269.98,
                ground_speed_mps: 232.0144,
                track_deg: 359.9,
                vertical_rate_mps: -5.20192,
            },
            operation_id: Some("cap-1".into()),
            callsign: None,
            domain: Domain::Air,
            vessel: None,
        };
        #[derive(Serialize, Deserialize)]
        struct Batch(#[serde(with = "super")] Vec<TrackReport>);
        let text = serde_json::to_string(&Batch(vec![report.clone()])).unwrap();
        assert!(text.starts_with(r#"[["4ca2d6""#), "{text}");
        let back: Batch = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, vec![report]);
    }

    #[test]
    fn a_ship_row_carries_its_domain_and_particulars_and_an_aircraft_row_does_not() {
        #[derive(Serialize, Deserialize)]
        struct Batch(#[serde(with = "super")] Vec<TrackReport>);
        let aircraft: Batch = serde_json::from_str(
            r#"[["4ca2d6","2030-01-01T00:00:01Z",35.0,33.0,100.0,10.0,90.0,0.0,null,null]]"#,
        )
        .unwrap();
        assert_eq!(aircraft.0[0].domain, Domain::Air);
        let text = serde_json::to_string(&aircraft).unwrap();
        assert!(text.ends_with("null,null]]"), "{text}");
        let mut ship = aircraft.0[0].clone();
        ship.domain = Domain::Sea;
        ship.vessel = Some(Box::new(VesselParticulars {
            name: Some("ALPHA".into()),
            length_m: Some(120.0),
            beam_m: None,
        }));
        let text = serde_json::to_string(&Batch(vec![ship.clone()])).unwrap();
        assert!(
            text.ends_with(r#"null,{"domain":"sea","vessel":{"name":"ALPHA","length_m":120.0}}]]"#),
            "{text}"
        );
        let back: Batch = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, vec![ship]);
        let twelve = r#"[["a","2030-01-01T00:00:01Z",35.0,33.0,0.0,1.0,90.0,0.0,null,null,{},1]]"#;
        assert!(serde_json::from_str::<Batch>(twelve).is_err());
    }

    #[test]
    fn a_pruned_batch_reads_as_no_reports() {
        #[derive(Deserialize)]
        struct Batch(#[serde(with = "super")] Vec<TrackReport>);
        let back: Batch = serde_json::from_str("null").unwrap();
        assert!(back.0.is_empty());
    }
}
