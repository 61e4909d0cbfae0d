//! ED-269 documents as published (`tests/data/ed269`, sources in its SOURCES.md), imported
//! unchanged, with their heights converted with and without a terrain model.

use chrono::{DateTime, Utc};
use deconflict_engine::ed269::{parse, Refusals, SURFACE_M};
use deconflict_engine::heights::{GroundSource, Heights};
use deconflict_engine::zone::{Enforcement, ZoneRule, ZoneSpec};
use deconflict_geometry::geoid::Geoid;
use deconflict_geometry::terrain::{write_geotiff, Terrain, EARTH_GROUND_MAX_M};
use deconflict_geometry::Limits;
use serde_json::Value;

fn sample(name: &str) -> Value {
    let path = format!("{}/tests/data/ed269/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn import(name: &str, terrain: Option<&Terrain>) -> Vec<(String, ZoneSpec)> {
    let geoid = Geoid::new();
    let heights = Heights {
        geoid: &geoid,
        terrain,
        limits: Limits::default(),
    };
    let zones = parse(&sample(name), &heights).unwrap_or_else(|Refusals(r)| panic!("{r:#?}"));
    for (id, spec) in &zones {
        spec.validate(&Limits::default())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    zones
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn the_interuss_swiss_sample_imports_unchanged() {
    let zones = import("interuss-che-cis-sample.json", None);
    assert_eq!(zones.len(), 1);
    let (id, spec) = &zones[0];
    assert_eq!(id, "LSXX");
    assert_eq!(spec.name, "LSXX City Sample");
    assert_eq!(spec.enforcement, Enforcement::Advisory);
    assert_eq!(
        spec.rules,
        [ZoneRule::Deny {
            parties: vec![],
            all_except: true
        }]
    );
    assert!(spec.schedule.is_always(), "permanent YES");
    assert_eq!(spec.altitude_lower_m, SURFACE_M, "lowerLimit \"0\" AGL");
    assert_eq!(
        spec.altitude_upper_m,
        Limits::default().altitude_max_m,
        "upperLimit null"
    );
}

#[test]
fn the_features_sample_imports_with_amsl_converted_by_the_geoid() {
    let zones = import("deconflict-che-sample.json", None);
    let ids: Vec<&str> = zones.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["TST01", "TST02", "TST02-2"]);
    let circle = &zones[1].1;
    // 5,000 ft AMSL near Zurich: the geoid there is about 48 m above the ellipsoid.
    let n = Geoid::new().height_m(8.55, 47.45);
    let upper = circle.altitude_upper_m;
    assert!(
        upper >= 5000.0 * 0.3048 + n && upper < 5000.0 * 0.3048 + n + 1.0,
        "{upper} vs {n}"
    );
}

#[test]
fn the_as_published_sample_imports_agl_without_terrain_with_the_bundled_bound() {
    let zones = import("deconflict-as-published.json", None);
    let (id, seasonal) = &zones[0];
    assert_eq!(id, "TSTA01");
    let basis = seasonal.heights.as_ref().unwrap();
    assert_eq!(basis.ground, Some(GroundSource::Bundled));
    // Over the bundled grid's highest bound: never lower than the ground, far below the Earth's
    // highest summit.
    assert!(
        seasonal.altitude_upper_m >= 120.0
            && seasonal.altitude_upper_m < 120.0 + EARTH_GROUND_MAX_M,
        "{seasonal:?}"
    );
    // Weekends of summer 2030, 08:00..20:00 at +02:00.
    let schedule = &seasonal.schedule;
    assert!(schedule.meets(at("2030-07-06T06:00:00Z"), at("2030-07-06T06:01:00Z")));
    assert!(!schedule.meets(at("2030-07-06T05:00:00Z"), at("2030-07-06T05:59:00Z")));
    assert!(!schedule.meets(at("2030-07-05T10:00:00Z"), at("2030-07-05T11:00:00Z")));
    assert!(!schedule.meets(at("2030-09-07T10:00:00Z"), at("2030-09-07T11:00:00Z")));
    // The AMSL band is no thicker than declared but for the geoid's spread and sampling.
    let band = &zones[1].1;
    let declared = (4500.0 - 1500.0) * 0.3048;
    let thickness = band.altitude_upper_m - band.altitude_lower_m;
    assert!(
        thickness >= declared && thickness < declared + 2.0,
        "{thickness} vs {declared}"
    );
}

#[test]
fn the_as_published_sample_imports_agl_over_the_operators_terrain() {
    // Ground 600 m in the west half of 7.5..7.8 E, 2,000 m in the east half, 46.5..46.8 N.
    let cells: Vec<f32> = (0..300 * 300)
        .map(|i| if i % 300 < 150 { 600.0 } else { 2000.0 })
        .collect();
    let terrain =
        Terrain::from_geotiff(&write_geotiff(7.5, 46.8, 0.001, 300, &cells).unwrap()).unwrap();
    let zones = import("deconflict-as-published.json", Some(&terrain));
    let seasonal = &zones[0].1;
    assert_eq!(
        seasonal.heights.as_ref().unwrap().ground,
        Some(GroundSource::Terrain)
    );
    // The footprint 7.60..7.64 E lies over the 600 m half (up to 7.65 E).
    let n = Geoid::new().height_m(7.62, 46.615);
    let upper = seasonal.altitude_upper_m;
    assert!(
        upper >= 120.0 + 600.0 + n && upper < 120.0 + 600.0 + n + 2.0,
        "{upper}"
    );
    assert_eq!(seasonal.altitude_lower_m, SURFACE_M);
}
