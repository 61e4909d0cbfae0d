//! ED-318 documents (`tests/data/ed318`, sources in its SOURCES.md): every sample validates
//! against the published ED-318 JSON Schema and imports unchanged; what the importer refuses the
//! schema refuses too; daylight events agree with the U.S. Naval Observatory's published times.

use chrono::{DateTime, NaiveDate, Utc};
use deconflict_engine::ed269::{Refusals, SURFACE_M};
use deconflict_engine::ed318::{looks_like, parse};
use deconflict_engine::heights::{GroundSource, Heights};
use deconflict_engine::zone::{
    DaylightEvent, Enforcement, ZoneRule, ZoneSpec, DAYLIGHT_MARGIN_MIN,
};
use deconflict_geometry::geoid::Geoid;
use deconflict_geometry::terrain::{write_geotiff, Terrain, EARTH_GROUND_MIN_M};
use deconflict_geometry::{Footprint, FootprintSpec, Limits, ALLOWANCE_M};
use serde_json::{json, Value};

fn data_dir() -> String {
    format!("{}/tests/data/ed318", env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> Value {
    let path = format!("{}/{name}", data_dir());
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The published schema (draft-07), its relative `$ref`s resolved from the files beside it,
/// with `format` checked.
fn schema() -> jsonschema::Validator {
    let root = sample("Schema_GeoZones.json");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_base_uri(format!("file://{}/Schema_GeoZones.json", data_dir()))
        .should_validate_formats(true)
        .build(&root)
        .expect("the ED-318 schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn import(document: &Value, terrain: Option<&Terrain>) -> Vec<(String, ZoneSpec)> {
    let geoid = Geoid::new();
    let heights = Heights {
        geoid: &geoid,
        terrain,
        limits: Limits::default(),
    };
    let zones = parse(document, &heights).unwrap_or_else(|Refusals(r)| panic!("{r:#?}"));
    for (id, spec) in &zones {
        spec.validate(&Limits::default())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    zones
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

const SAMPLES: [&str; 4] = [
    "interuss-che-cis-sample-ed318.json",
    "Example_Collection.json",
    "Example_GeoZone_with_extension.json",
    "deconflict-daylight.json",
];

#[test]
fn every_sample_validates_against_the_published_schema_and_imports() {
    let validator = schema();
    for name in SAMPLES {
        let document = sample(name);
        assert_eq!(
            schema_errors(&validator, &document),
            Vec::<String>::new(),
            "{name}"
        );
        assert!(looks_like(&document), "{name}");
        assert!(!import(&document, None).is_empty(), "{name}");
    }
    // The schema is not a rubber stamp: the repository's deliberately invalid example's flaw
    // (a metadata date that is an object) is caught.
    let mut invalid = sample("Example_GeoZone_with_extension.json");
    invalid["metadata"]["validFrom"] = json!({"purposely_invalid": "not a datetime"});
    assert!(!schema_errors(&validator, &invalid).is_empty());
}

#[test]
fn the_swiss_sample_imports_with_agl_limits_over_the_earth_bound() {
    let zones = import(&sample("interuss-che-cis-sample-ed318.json"), None);
    let ids: Vec<&str> = zones.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["LSZB003", "BLns058", "LSTB002"]);
    let (_, bern) = &zones[0];
    assert_eq!(bern.name, "LSZB Bern-Belp 2");
    assert_eq!(bern.enforcement, Enforcement::Advisory);
    assert_eq!(
        bern.rules,
        [ZoneRule::Deny {
            parties: vec![],
            all_except: true
        }]
    );
    assert!(bern.schedule.is_always());
    let basis = bern.heights.as_ref().unwrap();
    assert_eq!(basis.ground, Some(GroundSource::Bundled));
    // 60 m AGL over the lowest bound of the bundled grid near Bern-Belp (about 510 m AMSL):
    // below the airport, above the Earth's lowest ground.
    let n = Geoid::new().height_m(7.47, 46.95);
    let lowest = bern.altitude_lower_m - 60.0 - n;
    assert!(
        lowest < 510.0 && lowest > EARTH_GROUND_MIN_M - 2.0,
        "{bern:?}"
    );
    assert!(basis.lower.contains("bundled ETOPO5"), "{basis:?}");
    assert_eq!(bern.altitude_upper_m, Limits::default().altitude_max_m);
    assert_eq!(
        zones[1].1.name, "Protected natural object Langmatt",
        "the English name"
    );
    assert_eq!(
        zones[1].1.altitude_lower_m, SURFACE_M,
        "0 m AGL is the surface"
    );
}

/// The national set as FOCA published it for InterUSS's tests (zipped, unchanged).
fn swiss_national_set() -> Value {
    let path = format!("{}/SwissGeozones_ED318_Testdaten.zip", data_dir());
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let entry = archive
        .by_name("SwissGeozones_ED318_Testdaten.json")
        .unwrap();
    serde_json::from_reader(std::io::BufReader::new(entry)).unwrap()
}

/// The zones whose rings have runs of vertices about a centimetre apart (e.g. 6.1830617,
/// 6.1830616, 6.1830614 E): before corners within the 1 cm allowance were merged, their edges
/// i and i+2 touched and the whole document was refused.
const CENTIMETRE_RUNS: [&str; 3] = ["GE70-0", "WZV0031", "JBG0022"];

#[test]
fn the_whole_swiss_national_set_validates_and_imports() {
    let document = swiss_national_set();
    let features = document["features"].as_array().unwrap();
    assert_eq!(features.len(), 1_179);
    assert_eq!(schema_errors(&schema(), &document), Vec::<String>::new());
    assert!(looks_like(&document));
    let zones = import(&document, None);
    // One zone per feature (a MultiPolygon is one zone), one per member of a collection.
    let expected: usize = features
        .iter()
        .map(|f| match f["geometry"]["geometries"].as_array() {
            Some(members) => members.len(),
            None => 1,
        })
        .sum();
    assert_eq!(zones.len(), expected);
    // Holes are kept, even one that touches its exterior ring at a corner (OGC allows it).
    for (id, rings) in [("BLns065", 2), ("BLns056", 3)] {
        let (_, zone) = zones
            .iter()
            .find(|(zone_id, _)| zone_id.as_str() == id)
            .unwrap();
        assert_eq!(
            zone.footprint.polygons()[0].len(),
            rings,
            "{id}: exterior and holes"
        );
    }
    for id in CENTIMETRE_RUNS {
        let (_, zone) = zones
            .iter()
            .find(|(zone_id, _)| zone_id.as_str() == id)
            .unwrap_or_else(|| panic!("{id} imported"));
        // The merge moves the boundary by less than the allowance: every filed corner is within
        // 1 cm of the validated footprint.
        let footprint = Footprint::from_spec(&zone.footprint, &Limits::default()).unwrap();
        for polygon in zone.footprint.polygons() {
            for position in polygon.iter().flatten() {
                let d = footprint.distance_to_point_m([position[0], position[1]]);
                assert!(d <= ALLOWANCE_M, "{id}: {position:?} is {d} m outside");
            }
        }
    }
}

#[test]
fn the_example_collection_imports_layers_circles_and_its_schedule() {
    let zones = import(&sample("Example_Collection.json"), None);
    let ids: Vec<&str> = zones.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["NFZ6547", "NFZ6547-2", "ABC1234"]);
    match &zones[2].1.footprint {
        FootprintSpec::Circle { radius_m, .. } => assert_eq!(*radius_m, 3500.0),
        other => panic!("{other:?}"),
    }
    assert_eq!(zones[2].1.enforcement, Enforcement::Hard);
    // Every day 16:00-17:00Z and Sundays 10:00-12:00Z, in 2019.
    let schedule = &zones[0].1.schedule;
    assert!(schedule.meets(at("2019-03-05T16:30:00Z"), at("2019-03-05T16:31:00Z")));
    assert!(schedule.meets(at("2019-03-10T10:30:00Z"), at("2019-03-10T10:31:00Z")));
    assert!(
        !schedule.meets(at("2019-03-11T10:30:00Z"), at("2019-03-11T10:31:00Z")),
        "a Monday"
    );
    assert!(
        !schedule.meets(at("2020-03-05T16:30:00Z"), at("2020-03-05T16:31:00Z")),
        "after"
    );
}

#[test]
fn agl_limits_are_taken_over_the_operators_terrain_when_it_covers_the_zone() {
    // Ground 100 m over 2.5..2.8 E, 48.9..49.1 N (the first zone of the example collection).
    let cells = vec![100.0_f32; 300 * 200];
    let terrain =
        Terrain::from_geotiff(&write_geotiff(2.5, 49.1, 0.001, 300, &cells).unwrap()).unwrap();
    let zones = import(&sample("Example_Collection.json"), Some(&terrain));
    let first = &zones[0].1;
    assert_eq!(
        first.heights.as_ref().unwrap().ground,
        Some(GroundSource::Terrain)
    );
    let n = Geoid::new().height_m(2.65, 49.0);
    assert!(
        first.altitude_upper_m >= 150.0 + 100.0 + n
            && first.altitude_upper_m < 150.0 + 100.0 + n + 2.0,
        "{first:?}"
    );
    // The circle is far north of the terrain model: the bundled grid's bound, and said so.
    assert_eq!(
        zones[2].1.heights.as_ref().unwrap().ground,
        Some(GroundSource::Bundled)
    );
}

/// USNO, Complete Sun and Moon Data for One Day, Atlanta (33.8 N, 84.4 W), Sunday 6 September
/// 2009, Eastern Daylight Time (as quoted in PyEphem's documentation, "Naval Observatory Risings
/// and Settings"): begin civil twilight 6:50, sunrise 7:15, sunset 19:56, end civil twilight
/// 20:21. Published to the minute.
const USNO_ATLANTA_2009_09_06: [(DaylightEvent, &str); 4] = [
    (DaylightEvent::CivilDawn, "2009-09-06T10:50:00Z"),
    (DaylightEvent::Sunrise, "2009-09-06T11:15:00Z"),
    (DaylightEvent::Sunset, "2009-09-06T23:56:00Z"),
    (DaylightEvent::CivilDusk, "2009-09-07T00:21:00Z"),
];

#[test]
fn daylight_events_agree_with_the_naval_observatorys_published_times() {
    let date = NaiveDate::from_ymd_opt(2009, 9, 6).unwrap();
    for (event, published) in USNO_ATLANTA_2009_09_06 {
        let computed = event.at(-84.4, 33.8, date).unwrap();
        let error = (computed - at(published)).num_seconds().abs();
        // A minute's rounding in the table, and the sunrise equation's own error.
        assert!(error <= 120, "{event:?}: {computed} vs {published}");
        assert!(error < DAYLIGHT_MARGIN_MIN * 60, "the margin covers it");
    }
    // Astronomy Answers' sunrise table for 2002-01-01 at longitude 0 (local mean time = UTC),
    // by latitude.
    let date = NaiveDate::from_ymd_opt(2002, 1, 1).unwrap();
    for (lat, published) in [
        (-40.0, "04:35"),
        (0.0, "06:00"),
        (40.0, "07:22"),
        (50.0, "07:59"),
    ] {
        let computed = DaylightEvent::Sunrise.at(0.0, lat, date).unwrap();
        let published = at(&format!("2002-01-01T{published}:00Z"));
        assert!(
            (computed - published).num_seconds().abs() <= 120,
            "{lat}: {computed}"
        );
    }
    // Polar night: no sunrise at 80 N in January.
    assert_eq!(DaylightEvent::Sunrise.at(0.0, 80.0, date), None);
}

#[test]
fn a_sunrise_to_sunset_zone_is_in_effect_from_sunrise_to_sunset() {
    let zones = import(&sample("deconflict-daylight.json"), None);
    let ids: Vec<&str> = zones.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["ATL0001", "ATL0002", "ATL0003", "ATL0004", "ATL0004-2"],
        "a MultiPolygon is one zone"
    );
    assert!(matches!(
        &zones[2].1.footprint,
        FootprintSpec::MultiPolygon { coordinates } if coordinates.len() == 2
    ));
    let day = &zones[0].1.schedule;
    let meets = |from: &str, to: &str| day.meets(at(from), at(to));
    // Sunrise 11:15Z, sunset 23:56Z on 6 September 2009 (USNO), widened by 3 minutes.
    assert!(meets("2009-09-06T11:20:00Z", "2009-09-06T11:21:00Z"));
    assert!(
        !meets("2009-09-06T11:05:00Z", "2009-09-06T11:10:00Z"),
        "before sunrise"
    );
    assert!(meets("2009-09-06T23:50:00Z", "2009-09-06T23:55:00Z"));
    assert!(
        !meets("2009-09-07T00:05:00Z", "2009-09-07T00:10:00Z"),
        "after sunset"
    );
    assert!(
        !meets("2009-10-06T12:00:00Z", "2009-10-06T13:00:00Z"),
        "after the range"
    );
    // Weekends from civil dawn (10:50Z) to civil dusk (00:21Z next day).
    let twilight = &zones[1].1.schedule;
    assert!(twilight.meets(at("2009-09-06T10:50:00Z"), at("2009-09-06T10:51:00Z")));
    assert!(!twilight.meets(at("2009-09-06T10:40:00Z"), at("2009-09-06T10:45:00Z")));
    assert!(twilight.meets(at("2009-09-07T00:18:00Z"), at("2009-09-07T00:19:00Z")));
    assert!(!twilight.meets(at("2009-09-07T00:30:00Z"), at("2009-09-07T01:00:00Z")));
    // Weeknights from 21:00 EDT to sunrise: Monday 7 September 2009 21:00 EDT is 01:00Z on the
    // 8th, and Tuesday's sunrise near 11:16Z.
    let night = &zones[2].1.schedule;
    assert!(night.meets(at("2009-09-08T01:30:00Z"), at("2009-09-08T01:31:00Z")));
    assert!(night.meets(at("2009-09-08T11:00:00Z"), at("2009-09-08T11:01:00Z")));
    assert!(
        !night.meets(at("2009-09-08T12:00:00Z"), at("2009-09-08T12:30:00Z")),
        "after sunrise"
    );
    assert!(
        !night.meets(at("2009-09-08T00:30:00Z"), at("2009-09-08T00:50:00Z")),
        "before 21:00"
    );
    // The collection's layer applies to the member without one.
    assert_eq!(zones[3].1.altitude_lower_m, SURFACE_M);
    assert_eq!(zones[3].1.enforcement, Enforcement::Advisory);
}

/// A change to a valid document.
type Mutation = Box<dyn Fn(&mut Value)>;

/// Documents the importer refuses are documents the schema refuses: the refusals follow the
/// standard, not a taste of deconflict's.
#[test]
fn what_the_importer_refuses_the_schema_refuses() {
    let validator = schema();
    let base = sample("deconflict-daylight.json");
    let geoid = Geoid::new();
    let heights = Heights {
        geoid: &geoid,
        terrain: None,
        limits: Limits::default(),
    };
    let mutations: [(&str, Mutation); 8] = [
        (
            "/features/0/properties/type",
            Box::new(|d| d["features"][0]["properties"]["type"] = json!("FORBIDDEN")),
        ),
        (
            "/features/0/properties/variant",
            Box::new(|d| d["features"][0]["properties"]["variant"] = json!("SPECIAL")),
        ),
        (
            "/features/0/properties/restriction",
            Box::new(|d| d["features"][0]["properties"]["restriction"] = json!("PROHIBITED")),
        ),
        (
            "/features/0/properties/limitedApplicability/0/schedule/0/day/0",
            Box::new(|d| {
                d["features"][0]["properties"]["limitedApplicability"][0]["schedule"][0]["day"] =
                    json!(["XYZ"])
            }),
        ),
        (
            "/features/0/properties/limitedApplicability/0/schedule/0/startEvent",
            Box::new(|d| {
                d["features"][0]["properties"]["limitedApplicability"][0]["schedule"][0]
                    ["startEvent"] = json!("NOON")
            }),
        ),
        (
            "/features/0/geometry/layer/uom",
            Box::new(|d| d["features"][0]["geometry"]["layer"]["uom"] = json!("yd")),
        ),
        (
            "/features/0/properties/identifier",
            Box::new(|d| d["features"][0]["properties"]["identifier"] = json!("TOOLONG1")),
        ),
        (
            "/features/1/properties/zoneAuthority/0/purpose",
            Box::new(|d| {
                d["features"][1]["properties"]["zoneAuthority"][0]["purpose"] = json!("PERMISSION")
            }),
        ),
    ];
    for (pointer, mutate) in mutations {
        let mut document = base.clone();
        mutate(&mut document);
        assert!(
            !schema_errors(&validator, &document).is_empty(),
            "{pointer}: the schema accepts it"
        );
        let Refusals(refused) = parse(&document, &heights).unwrap_err();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].pointer, pointer, "{refused:?}");
        assert!(refused[0].reason.starts_with("zone "), "{refused:?}");
    }
}
