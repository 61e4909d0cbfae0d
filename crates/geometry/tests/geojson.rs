//! Footprints as GeoJSON writes them: the examples of RFC 7946 ("The GeoJSON Format", IETF,
//! August 2016) — Appendix A.1 (Point), A.3 (Polygon with a hole), A.6 (MultiPolygon, one of
//! its polygons with a hole) and section 3.1.9 (a shape cut at the antimeridian into a
//! MultiPolygon) — parsed from their text as printed there, and checked against the
//! brute-force geodesic reference in `common`.

mod common;

use common::*;
use deconflict_geometry::{Footprint, FootprintSpec, Limits};

/// RFC 7946, Appendix A.1.
const POINT: &str = r#"{"type": "Point", "coordinates": [100.0, 0.0]}"#;

/// RFC 7946, Appendix A.3, "With holes".
const POLYGON_WITH_HOLE: &str = r#"{
    "type": "Polygon",
    "coordinates": [
        [[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]],
        [[100.8, 0.8], [100.8, 0.2], [100.2, 0.2], [100.2, 0.8], [100.8, 0.8]]
    ]
}"#;

/// RFC 7946, Appendix A.6.
const MULTI_POLYGON: &str = r#"{
    "type": "MultiPolygon",
    "coordinates": [
        [[[102.0, 2.0], [103.0, 2.0], [103.0, 3.0], [102.0, 3.0], [102.0, 2.0]]],
        [
            [[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]],
            [[100.2, 0.2], [100.2, 0.8], [100.8, 0.8], [100.8, 0.2], [100.2, 0.2]]
        ]
    ]
}"#;

/// RFC 7946, section 3.1.9: a feature that crosses the antimeridian, cut into two parts.
const ANTIMERIDIAN_CUT: &str = r#"{
    "type": "MultiPolygon",
    "coordinates": [
        [[[180.0, 40.0], [180.0, 50.0], [170.0, 50.0], [170.0, 40.0], [180.0, 40.0]]],
        [[[-170.0, 40.0], [-170.0, 50.0], [-180.0, 50.0], [-180.0, 40.0], [-170.0, 40.0]]]
    ]
}"#;

fn parse(text: &str) -> (FootprintSpec, Footprint) {
    let spec: FootprintSpec = serde_json::from_str(text).expect("RFC 7946 GeoJSON");
    let footprint = Footprint::from_spec(&spec, &Limits::default()).expect("valid");
    (spec, footprint)
}

fn point(p: [f64; 2]) -> FootprintSpec {
    FootprintSpec::Point {
        coordinates: p.to_vec(),
    }
}

/// The fast distance from `p` agrees with the reference to the centimetre, and never exceeds it.
fn check_point(spec: &FootprintSpec, footprint: &Footprint, p: [f64; 2]) -> f64 {
    let fast = footprint.distance_to_point_m(p);
    let brute = brute_point_distance(spec, p, 200.0);
    assert!(
        fast <= brute + 0.01 && fast >= brute * (1.0 - 1e-6) - 0.01,
        "{p:?}: fast {fast} vs brute {brute}"
    );
    let as_footprint =
        footprint.distance_m(&Footprint::from_spec(&point(p), &Limits::default()).unwrap());
    assert!(
        (as_footprint - fast).abs() <= 0.01,
        "{as_footprint} vs {fast}"
    );
    fast
}

#[test]
fn a_point_is_a_circle_of_radius_zero() {
    let (spec, footprint) = parse(POINT);
    assert_eq!(footprint.spec(), &spec);
    let disc = Footprint::from_spec(&circle([100.0, 0.0], 0.0), &Limits::default()).unwrap();
    let other = Footprint::from_spec(&circle([100.1, 0.05], 500.0), &Limits::default()).unwrap();
    let want = dist([100.0, 0.0], [100.1, 0.05]) - 500.0;
    for f in [&footprint, &disc] {
        assert!((f.distance_m(&other) - want).abs() < 1e-6);
        assert_eq!(f.distance_to_point_m([100.0, 0.0]), 0.0);
    }
    // A point inside a polygon is in it; on a point is 0 apart.
    let (_, holed) = parse(POLYGON_WITH_HOLE);
    let inside = Footprint::from_spec(&point([100.1, 0.5]), &Limits::default()).unwrap();
    assert_eq!(holed.distance_m(&inside), 0.0);
    assert_eq!(footprint.distance_m(&footprint), 0.0);
}

#[test]
fn a_point_in_the_hole_is_outside_the_polygon_with_a_hole() {
    let (spec, footprint) = parse(POLYGON_WITH_HOLE);
    // In the ring between exterior and hole: inside.
    assert_eq!(check_point(&spec, &footprint, [100.1, 0.5]), 0.0);
    // The middle of the hole: 0.3° from each of the hole's edges.
    let in_hole = check_point(&spec, &footprint, [100.5, 0.5]);
    assert!(in_hole > 33_000.0 && in_hole < 34_000.0, "{in_hole}");
    // Near the hole's edge, inside the hole: metres away.
    let near = check_point(&spec, &footprint, [100.5, 0.79]);
    assert!(near > 1_000.0 && near < 1_200.0, "{near}");
    // Outside the exterior.
    assert!(check_point(&spec, &footprint, [99.9, 0.5]) > 11_000.0);
    // A disc inside the hole does not meet the polygon; one reaching the ring does.
    let small = Footprint::from_spec(&circle([100.5, 0.5], 30_000.0), &Limits::default()).unwrap();
    assert!((footprint.distance_m(&small) - (in_hole - 30_000.0)).abs() < 0.01);
    let large = Footprint::from_spec(&circle([100.5, 0.5], 40_000.0), &Limits::default()).unwrap();
    assert_eq!(footprint.distance_m(&large), 0.0);
    // A square filling the hole exactly touches the polygon; one inside the hole is apart.
    let plug = Footprint::from_spec(&square(100.2, 0.2, 100.8, 0.8), &Limits::default()).unwrap();
    assert_eq!(footprint.distance_m(&plug), 0.0);
    let inner_spec = square(100.4, 0.4, 100.6, 0.6);
    let inner = Footprint::from_spec(&inner_spec, &Limits::default()).unwrap();
    let brute = brute_distance(&spec, &inner_spec, 200.0);
    let fast = footprint.distance_m(&inner);
    assert!(
        fast <= brute + 0.01 && fast >= brute - 0.05,
        "{fast} vs {brute}"
    );
    assert!(fast > 22_000.0);
}

#[test]
fn a_multipolygon_is_one_footprint_of_several_parts() {
    let (spec, footprint) = parse(MULTI_POLYGON);
    assert_eq!(
        check_point(&spec, &footprint, [102.5, 2.5]),
        0.0,
        "first part"
    );
    assert_eq!(
        check_point(&spec, &footprint, [100.1, 0.1]),
        0.0,
        "second part"
    );
    assert!(
        check_point(&spec, &footprint, [100.5, 0.5]) > 22_000.0,
        "in the hole"
    );
    // Between the parts: the nearer part counts.
    let between = [101.5, 1.5];
    let d = check_point(&spec, &footprint, between);
    let to_first = dist(between, [102.0, 2.0]).min(dist(between, [101.0, 1.0]));
    assert!(
        d <= to_first + 1.0 && d > 0.9 * to_first,
        "{d} vs {to_first}"
    );
    // The parts as separate footprints: the MultiPolygon is at the nearer one's distance.
    let first = Footprint::from_spec(&square(102.0, 2.0, 103.0, 3.0), &Limits::default()).unwrap();
    let probe = Footprint::from_spec(&circle([103.5, 3.5], 1_000.0), &Limits::default()).unwrap();
    assert!((footprint.distance_m(&probe) - first.distance_m(&probe)).abs() < 0.01);
}

#[test]
fn the_antimeridian_cut_behaves_as_one_shape() {
    let (spec, footprint) = parse(ANTIMERIDIAN_CUT);
    for p in [
        [180.0, 45.0],
        [-180.0, 45.0],
        [179.999, 45.0],
        [-179.999, 45.0],
    ] {
        assert_eq!(footprint.distance_to_point_m(p), 0.0, "{p:?}");
    }
    // A disc on the seam meets it; its distance to points north of the seam is the geodesic
    // to the top edges, the same from either side of 180.
    let seam = Footprint::from_spec(&circle([180.0, 45.0], 1_000.0), &Limits::default()).unwrap();
    assert_eq!(footprint.distance_m(&seam), 0.0);
    let west = check_point(&spec, &footprint, [179.5, 50.5]);
    let east = check_point(&spec, &footprint, [-179.5, 50.5]);
    assert!((west - east).abs() < 0.01, "{west} vs {east}");
    // On the seam, north of the shape: the parts' top edges meet at (180, 50), and the geodesic
    // edges bulge north between their corners, so the seam is farther than 179.5 E.
    let north = check_point(&spec, &footprint, [180.0, 50.5]);
    assert!(north > west && north < dist([180.0, 50.5], [180.0, 50.0]) + 0.01);
    // A conflict region around the seam covers both sides of it.
    let probe = Footprint::from_spec(&circle([180.0, 50.3], 5_000.0), &Limits::default()).unwrap();
    let d = footprint.distance_m(&probe);
    let region = footprint
        .conflict_region(&probe, d + 20_000.0)
        .expect("within separation");
    let lons: Vec<f64> = region
        .coordinates
        .iter()
        .flatten()
        .flatten()
        .map(|p| p[0])
        .collect();
    assert!(lons.iter().all(|lon| (-180.0..=180.0).contains(lon)));
    assert!(lons.iter().any(|&lon| lon > 179.9) && lons.iter().any(|&lon| lon < -179.9));
}
