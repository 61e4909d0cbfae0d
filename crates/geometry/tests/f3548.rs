//! ASTM F3548 `Volume4D` in and out. The shapes follow the F3548 OpenAPI (`utm.yaml` of
//! github.com/astm-utm/Protocol at commit cb7cf96, components `Volume4D` … `Time`), with the
//! example values it gives (latitude 34.123, longitude -118.456, radius 300.183 m, time
//! 1985-04-12T23:20:50.52Z); the file itself carries no licence, so it is not copied here.

use deconflict_geometry::f3548::{self, Volume4D};
use deconflict_geometry::{FootprintSpec, Limits, Volume4d, Volume4dSpec};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The one volume of a single-outline footprint.
fn only(volumes: Vec<Volume4D>) -> Volume4D {
    assert_eq!(volumes.len(), 1, "{volumes:?}");
    volumes.into_iter().next().unwrap()
}

fn circle_volume() -> Value {
    json!({
        "volume": {
            "outline_circle": {
                "center": {"lng": -118.456, "lat": 34.123},
                "radius": {"value": 300.183, "units": "M"}
            },
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 120.5, "reference": "W84", "units": "M"}
        },
        "time_start": {"value": "1985-04-12T23:20:50.520Z", "format": "RFC3339"},
        "time_end": {"value": "1985-04-13T01:20:50.520Z", "format": "RFC3339"}
    })
}

fn polygon_volume() -> Value {
    json!({
        "volume": {
            "outline_polygon": {"vertices": [
                {"lat": 34.123, "lng": -118.456},
                {"lat": 34.123, "lng": -118.446},
                {"lat": 34.133, "lng": -118.446},
                {"lat": 34.133, "lng": -118.456}
            ]},
            "altitude_lower": {"value": 50, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 150, "reference": "W84", "units": "M"}
        },
        "time_start": {"value": "2030-01-01T10:00:00Z", "format": "RFC3339"},
        "time_end": {"value": "2030-01-01T11:00:00Z", "format": "RFC3339"}
    })
}

fn spec_of(value: &Value) -> Result<Volume4dSpec, String> {
    let volume: Volume4D = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    Volume4dSpec::try_from(&volume).map_err(|e| e.to_string())
}

/// The same instant, whatever digits of the fraction the writer used.
fn normalised(mut value: Value) -> Value {
    for key in ["time_start", "time_end"] {
        let text = value[key]["value"].as_str().unwrap().to_owned();
        let time: chrono::DateTime<chrono::Utc> = text.parse().unwrap();
        value[key]["value"] = json!(time);
    }
    for key in ["altitude_lower", "altitude_upper"] {
        let number = value["volume"][key]["value"].as_f64().unwrap();
        value["volume"][key]["value"] = json!(number);
    }
    value
}

#[test]
fn a_circle_and_a_polygon_of_the_openapi_shape_file_and_come_back_the_same() {
    for sample in [circle_volume(), polygon_volume()] {
        let spec = spec_of(&sample).unwrap();
        Volume4d::from_spec(&spec, &Limits::default()).expect("a valid volume");
        let back = serde_json::to_value(only(f3548::volumes(&spec))).unwrap();
        assert_eq!(normalised(back), normalised(sample));
    }
}

#[test]
fn the_f3548_polygon_is_closed_and_its_positions_are_lon_lat() {
    let spec = spec_of(&polygon_volume()).unwrap();
    let FootprintSpec::Polygon { coordinates } = &spec.footprint else {
        panic!("a polygon")
    };
    assert_eq!(coordinates[0].len(), 5);
    assert_eq!(coordinates[0][0], vec![-118.456, 34.123]);
    assert_eq!(coordinates[0][4], coordinates[0][0]);
    assert_eq!(
        (spec.altitude_lower_m, spec.altitude_upper_m),
        (50.0, 150.0)
    );
}

#[test]
fn what_f3548_forbids_or_a_filing_lacks_is_refused_naming_it() {
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut v = polygon_volume();
                v["volume"]["outline_circle"] = circle_volume()["volume"]["outline_circle"].clone();
                v
            },
            "exactly one of outline_polygon and outline_circle",
        ),
        (
            {
                let mut v = polygon_volume();
                v["volume"]
                    .as_object_mut()
                    .unwrap()
                    .remove("outline_polygon");
                v
            },
            "exactly one of outline_polygon and outline_circle",
        ),
        (
            {
                let mut v = polygon_volume();
                let first = v["volume"]["outline_polygon"]["vertices"][0].clone();
                v["volume"]["outline_polygon"]["vertices"]
                    .as_array_mut()
                    .unwrap()
                    .push(first);
                v
            },
            "the last vertex repeats the first",
        ),
        (
            {
                let mut v = polygon_volume();
                v["volume"]["outline_polygon"]["vertices"]
                    .as_array_mut()
                    .unwrap()
                    .truncate(2);
                v
            },
            "at least 3 vertices",
        ),
        (
            {
                let mut v = circle_volume();
                v["volume"]
                    .as_object_mut()
                    .unwrap()
                    .remove("altitude_upper");
                v
            },
            "/volume/altitude_upper",
        ),
        (
            {
                let mut v = circle_volume();
                v.as_object_mut().unwrap().remove("time_start");
                v
            },
            "/time_start",
        ),
        (
            {
                let mut v = circle_volume();
                v["volume"]["altitude_lower"]["reference"] = json!("SFC");
                v
            },
            "unknown variant `SFC`",
        ),
        (
            {
                let mut v = circle_volume();
                v["volume"]["altitude_lower"]["units"] = json!("FT");
                v
            },
            "unknown variant `FT`",
        ),
        (
            {
                let mut v = circle_volume();
                v["time_end"]["format"] = json!("ISO8601");
                v
            },
            "unknown variant `ISO8601`",
        ),
        (
            {
                let mut v = circle_volume();
                v["volume"]["outline_circle"]["radius"]["units"] = json!("NM");
                v
            },
            "unknown variant `NM`",
        ),
    ];
    for (sample, expected) in cases {
        let error = spec_of(&sample).expect_err(expected);
        assert!(error.contains(expected), "{error} should say {expected}");
    }
}

proptest! {
    /// Any deconflict polygon or circle goes out as F3548 and comes back the same.
    #[test]
    fn native_volumes_round_trip_through_f3548(
        lon in -179.0..179.0f64, lat in -80.0..80.0f64,
        vertices in 3usize..12, radius in 1.0..50_000.0f64, circle: bool,
        lower in -100.0..10_000.0f64, height in 1.0..5_000.0f64,
        start in 0i64..2_000_000_000, length in 1i64..86_400,
    ) {
        let footprint = if circle {
            FootprintSpec::Circle { center: vec![lon, lat], radius_m: radius }
        } else {
            let mut ring: Vec<Vec<f64>> = (0..vertices)
                .map(|k| {
                    let angle = k as f64 / vertices as f64 * std::f64::consts::TAU;
                    vec![lon + 0.5 * angle.cos(), lat + 0.5 * angle.sin()]
                })
                .collect();
            ring.push(ring[0].clone());
            FootprintSpec::Polygon { coordinates: vec![ring] }
        };
        let time = |s| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let spec = Volume4dSpec {
            footprint,
            altitude_lower_m: lower,
            altitude_upper_m: lower + height,
            time_start: time(start),
            time_end: time(start + length),
        };
        let wire = serde_json::to_value(only(f3548::volumes(&spec))).unwrap();
        let back: Volume4D = serde_json::from_value(wire).unwrap();
        prop_assert_eq!(Volume4dSpec::try_from(&back).unwrap(), spec);
    }
}
