//! Reading a [`TrackReport`]: the [`Motion`]'s fields stand beside the report's own, and an
//! unknown field is refused. serde's `flatten` cannot refuse unknown fields (and buffers every
//! value before it reads the motion), so the report's reader is written out here; its errors
//! are serde's own (`missing field`, `unknown field … expected one of`, `duplicate field`), so
//! a refusal reads as it did when the report was one flat struct.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Motion, TrackReport, VesselParticulars};
use crate::operation::Domain;

/// Every field of a report, in the order a report is written.
const FIELDS: &[&str] = &[
    "track_id",
    "time",
    "lat_deg",
    "lon_deg",
    "altitude_m",
    "ground_speed_mps",
    "track_deg",
    "vertical_rate_mps",
    "operation_id",
    "callsign",
    "domain",
    "vessel",
];

/// A field's place in [`FIELDS`].
struct Field(usize);

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position report's field")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                FIELDS
                    .iter()
                    .position(|field| *field == name)
                    .map(Field)
                    .ok_or_else(|| E::unknown_field(name, FIELDS))
            }
            fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Field, E> {
                match std::str::from_utf8(name) {
                    Ok(name) => self.visit_str(name),
                    Err(_) => Err(E::unknown_field(&String::from_utf8_lossy(name), FIELDS)),
                }
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// The fields read so far; `None` where a field has not been given.
#[derive(Default)]
struct Partial {
    track_id: Option<String>,
    time: Option<DateTime<Utc>>,
    /// lat, lon, altitude, ground speed, track, vertical rate: [`FIELDS`] 2 to 7.
    kinematics: [Option<f64>; 6],
    operation_id: Option<Option<String>>,
    callsign: Option<Option<String>>,
    domain: Option<Domain>,
    vessel: Option<Option<Box<VesselParticulars>>>,
}

impl Partial {
    fn finish<E: de::Error>(self) -> Result<TrackReport, E> {
        let [lat_deg, lon_deg, altitude_m, ground_speed_mps, track_deg, vertical_rate_mps] =
            self.kinematics;
        let required =
            |value: Option<f64>, index: usize| value.ok_or_else(|| E::missing_field(FIELDS[index]));
        Ok(TrackReport {
            track_id: self.track_id.ok_or_else(|| E::missing_field(FIELDS[0]))?,
            motion: Motion {
                time: self.time.ok_or_else(|| E::missing_field(FIELDS[1]))?,
                lat_deg: required(lat_deg, 2)?,
                lon_deg: required(lon_deg, 3)?,
                altitude_m: required(altitude_m, 4)?,
                ground_speed_mps: required(ground_speed_mps, 5)?,
                track_deg: required(track_deg, 6)?,
                vertical_rate_mps: required(vertical_rate_mps, 7)?,
            },
            operation_id: self.operation_id.flatten(),
            callsign: self.callsign.flatten(),
            domain: self.domain.unwrap_or_default(),
            vessel: self.vessel.flatten(),
        })
    }
}

/// Sets `slot` once; a second value for the same field is an error, as serde's derive says it.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, index: usize) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(FIELDS[index]));
    }
    *slot = Some(value);
    Ok(())
}

struct ReportVisitor;

impl<'de> Visitor<'de> for ReportVisitor {
    type Value = TrackReport;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct TrackReport")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TrackReport, A::Error> {
        let mut partial = Partial::default();
        while let Some(Field(index)) = map.next_key()? {
            match index {
                0 => once(&mut partial.track_id, map.next_value()?, index)?,
                1 => once(&mut partial.time, map.next_value()?, index)?,
                2..=7 => once(&mut partial.kinematics[index - 2], map.next_value()?, index)?,
                8 => once(&mut partial.operation_id, map.next_value()?, index)?,
                9 => once(&mut partial.callsign, map.next_value()?, index)?,
                10 => once(&mut partial.domain, map.next_value()?, index)?,
                _ => once(&mut partial.vessel, map.next_value()?, index)?,
            }
        }
        partial.finish()
    }

    /// The same fields as an array, in [`FIELDS`]' order (as serde's derive reads a struct from
    /// a sequence); the optional ones may be left off the end.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TrackReport, A::Error> {
        let mut partial = Partial::default();
        let length = || de::Error::invalid_length(FIELDS.len(), &"a position report's fields");
        partial.track_id = Some(seq.next_element()?.ok_or_else(length)?);
        partial.time = Some(seq.next_element()?.ok_or_else(length)?);
        for value in &mut partial.kinematics {
            *value = Some(seq.next_element()?.ok_or_else(length)?);
        }
        partial.operation_id = seq.next_element()?;
        partial.callsign = seq.next_element()?;
        partial.domain = seq.next_element()?;
        partial.vessel = seq.next_element()?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(
                FIELDS.len() + 1,
                &"at most 12 fields",
            ));
        }
        partial.finish()
    }
}

impl<'de> Deserialize<'de> for TrackReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TrackReport, D::Error> {
        deserializer.deserialize_struct("TrackReport", FIELDS, ReportVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> serde_json::Value {
        json!({"track_id": "4ca2d6", "time": "2030-01-01T00:00:00Z", "lat_deg": 35.0,
               "lon_deg": 36.0, "altitude_m": 9000.0, "ground_speed_mps": 200.0,
               "track_deg": 90.0, "vertical_rate_mps": -1.5, "callsign": "BAW1"})
    }

    #[test]
    fn a_report_reads_back_as_it_is_written() {
        let report: TrackReport = serde_json::from_value(sample()).unwrap();
        assert_eq!(report.motion.altitude_m, 9000.0);
        assert_eq!(report.motion.vertical_rate_mps, -1.5);
        assert_eq!(report.callsign.as_deref(), Some("BAW1"));
        assert_eq!(report.domain, Domain::Air);
        let written = serde_json::to_value(&report).unwrap();
        assert_eq!(
            written,
            sample(),
            "the motion's fields stand at the top level"
        );
        let again: TrackReport = serde_json::from_value(written).unwrap();
        assert_eq!(again, report);
    }

    #[test]
    fn unknown_missing_and_repeated_fields_are_refused_as_serde_says_them() {
        let mut unknown = sample();
        unknown["altitude_ft"] = json!(1);
        let error = serde_json::from_value::<TrackReport>(unknown).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown field `altitude_ft`, expected one of `track_id`"),
            "{error}"
        );
        for field in &FIELDS[..8] {
            let mut missing = sample();
            missing.as_object_mut().unwrap().remove(*field);
            let error = serde_json::from_value::<TrackReport>(missing).unwrap_err();
            assert_eq!(error.to_string(), format!("missing field `{field}`"));
        }
        let repeated = r#"{"track_id":"a","track_id":"b"}"#;
        let error = serde_json::from_str::<TrackReport>(repeated).unwrap_err();
        assert!(
            error.to_string().starts_with("duplicate field `track_id`"),
            "{error}"
        );
        let wrong = r#"{"track_id":"a","lat_deg":"north"}"#;
        let error = serde_json::from_str::<TrackReport>(wrong).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid type: string \"north\", expected f64"),
            "{error}"
        );
    }

    #[test]
    fn nulls_stand_for_the_optional_fields_left_out() {
        let mut report = sample();
        report["callsign"] = json!(null);
        report["operation_id"] = json!(null);
        report["vessel"] = json!(null);
        let report: TrackReport = serde_json::from_value(report).unwrap();
        assert_eq!(
            (report.callsign, report.operation_id, report.vessel),
            (None, None, None)
        );
    }
}
