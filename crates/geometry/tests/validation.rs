//! Every validation error: which input triggers it, its message and its JSON pointer.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use deconflict_geometry::{
    Footprint, FootprintSpec, GeometryError, Limits, PositionAt, RingAt, Volume4d, Volume4dSpec,
};

fn refuse(spec: &FootprintSpec) -> GeometryError {
    Footprint::from_spec(spec, &Limits::default()).expect_err("should be refused")
}

fn ring(positions: &[&[f64]]) -> FootprintSpec {
    FootprintSpec::Polygon {
        coordinates: vec![positions.iter().map(|p| p.to_vec()).collect()],
    }
}

/// Asserts the message mentions every fragment and the pointer is `pointer`.
fn check(error: &GeometryError, fragments: &[&str], pointer: &str) {
    let message = error.to_string();
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "message {message:?} lacks {fragment:?}"
        );
    }
    assert_eq!(error.pointer().as_deref(), Some(pointer), "{message}");
}

const SQUARE: [&[f64]; 5] = [
    &[0.0, 0.0],
    &[0.1, 0.0],
    &[0.1, 0.1],
    &[0.0, 0.1],
    &[0.0, 0.0],
];

#[test]
fn a_polygon_without_rings_is_refused() {
    let e = refuse(&FootprintSpec::Polygon {
        coordinates: vec![],
    });
    assert_eq!(e, GeometryError::NoExteriorRing { part: None });
    check(&e, &["no ring"], "/coordinates");
}

#[test]
fn a_hole_that_meets_its_exterior_is_refused() {
    let outer: Vec<Vec<f64>> = SQUARE.iter().map(|p| p.to_vec()).collect();
    let e = refuse(&FootprintSpec::Polygon {
        coordinates: vec![outer.clone(), outer],
    });
    assert!(matches!(e, GeometryError::RingsMeet { .. }), "{e:?}");
    check(
        &e,
        &["hole 1 crosses or touches the exterior ring"],
        "/coordinates/1",
    );
}

#[test]
fn a_position_needs_two_or_three_numbers() {
    let e = refuse(&ring(&[&[0.0, 0.0], &[0.1], &[0.1, 0.1], &[0.0, 0.0]]));
    assert_eq!(
        e,
        GeometryError::BadPosition {
            at: PositionAt::Vertex(RingAt::EXTERIOR, 1),
            count: 1
        }
    );
    check(&e, &["position 1", "1 numbers"], "/coordinates/0/1");
    let e = refuse(&ring(&[
        &[0.0, 0.0],
        &[0.1, 0.0],
        &[0.1, 0.1, 5.0, 6.0],
        &[0.0, 0.0],
    ]));
    check(&e, &["position 2", "4 numbers"], "/coordinates/0/2");
}

#[test]
fn an_altitude_in_a_position_is_accepted_and_ignored() {
    let spec = ring(&[
        &[0.0, 0.0, 100.0],
        &[0.1, 0.0, 5.0],
        &[0.1, 0.1],
        &[0.0, 0.0, 7.0],
    ]);
    assert!(Footprint::from_spec(&spec, &Limits::default()).is_ok());
}

#[test]
fn non_finite_coordinates_are_refused() {
    let e = refuse(&ring(&[
        &[0.0, 0.0],
        &[0.1, 0.0],
        &[0.1, f64::NAN],
        &[0.0, 0.0],
    ]));
    assert!(matches!(
        e,
        GeometryError::NonFiniteCoordinate {
            at: PositionAt::Vertex(RingAt::EXTERIOR, 2),
            axis: 1,
            ..
        }
    ));
    check(&e, &["position 2", "NaN"], "/coordinates/0/2/1");
    let e = refuse(&circle([f64::INFINITY, 0.0], 10.0));
    check(&e, &["center", "inf"], "/center/0");
}

#[test]
fn shape_problems_come_before_range_problems() {
    // Position 1 is out of range, position 3 has three coordinates of which one is NaN.
    let e = refuse(&ring(&[
        &[0.0, 0.0],
        &[200.0, 0.0],
        &[0.1, 0.1],
        &[0.0, 0.1, f64::NAN],
        &[0.0, 0.0],
    ]));
    check(&e, &["position 3"], "/coordinates/0/3/2");
}

#[test]
fn longitude_and_latitude_ranges_are_checked() {
    let e = refuse(&ring(&[
        &[0.0, 0.0],
        &[180.5, 0.0],
        &[0.1, 0.1],
        &[0.0, 0.0],
    ]));
    assert_eq!(
        e,
        GeometryError::LongitudeOutOfRange {
            at: PositionAt::Vertex(RingAt::EXTERIOR, 1),
            lon: 180.5
        }
    );
    check(&e, &["longitude 180.5", "-180..180"], "/coordinates/0/1/0");
    let e = refuse(&ring(&[
        &[0.0, 0.0],
        &[0.1, 0.0],
        &[0.1, -90.01],
        &[0.0, 0.0],
    ]));
    check(&e, &["latitude -90.01", "-90..90"], "/coordinates/0/2/1");
    let e = refuse(&circle([10.0, 91.0], 10.0));
    check(&e, &["latitude 91", "center"], "/center/1");
}

#[test]
fn an_unclosed_ring_is_refused() {
    let e = refuse(&ring(&[&[0.0, 0.0], &[0.1, 0.0], &[0.1, 0.1], &[0.0, 0.1]]));
    assert!(matches!(
        e,
        GeometryError::UnclosedRing { last_index: 3, .. }
    ));
    check(
        &e,
        &["not closed", "[0.0, 0.1]", "[0.0, 0.0]"],
        "/coordinates/0/3",
    );
}

#[test]
fn closing_on_the_other_side_of_the_antimeridian_counts_as_closed() {
    let spec = ring(&[
        &[180.0, 0.0],
        &[-179.9, 0.0],
        &[-179.9, 0.1],
        &[-180.0, 0.0],
    ]);
    assert!(Footprint::from_spec(&spec, &Limits::default()).is_ok());
}

#[test]
fn too_few_positions_are_refused() {
    let e = refuse(&ring(&[&[0.0, 0.0], &[0.1, 0.0], &[0.0, 0.0]]));
    assert_eq!(
        e,
        GeometryError::TooFewPositions {
            ring: RingAt::EXTERIOR,
            count: 3
        }
    );
    check(&e, &["3 positions", "at least 4"], "/coordinates/0");
    let e = refuse(&ring(&[]));
    assert_eq!(
        e,
        GeometryError::TooFewPositions {
            ring: RingAt::EXTERIOR,
            count: 0
        }
    );
}

#[test]
fn too_many_vertices_are_refused() {
    let limits = Limits {
        max_vertices: 4,
        ..Limits::default()
    };
    let spec = polygon(&[[0.0, 0.0], [0.1, 0.0], [0.2, 0.05], [0.1, 0.1], [0.0, 0.1]]);
    let e = Footprint::from_spec(&spec, &limits).unwrap_err();
    assert_eq!(e, GeometryError::TooManyVertices { count: 5, max: 4 });
    check(&e, &["5 vertices", "limit of 4"], "/coordinates");
    assert!(Footprint::from_spec(&spec, &Limits::default()).is_ok());
}

#[test]
fn repeated_positions_are_dropped_but_two_corners_are_not_a_polygon() {
    let spec = ring(&[
        &[0.0, 0.0],
        &[0.0, 0.0],
        &[0.1, 0.0],
        &[0.1, 0.0],
        &[0.1, 0.1],
        &[0.0, 0.0],
    ]);
    assert!(Footprint::from_spec(&spec, &Limits::default()).is_ok());
    let e = refuse(&ring(&[&[0.0, 0.0], &[0.1, 0.0], &[0.1, 0.0], &[0.0, 0.0]]));
    assert_eq!(
        e,
        GeometryError::DegenerateRing {
            ring: RingAt::EXTERIOR,
            distinct: 2
        }
    );
    check(&e, &["only 2 distinct corners"], "/coordinates/0");
}

#[test]
fn a_bow_tie_is_refused_naming_the_crossing_edges() {
    // Edges 1 (0.1,0 → 0,0.1) and 3 (0.1,0.1 → 0,0) cross near (0.05, 0.05).
    let e = refuse(&polygon(&[[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1]]));
    let GeometryError::SelfIntersection {
        edge_a,
        edge_b,
        lon,
        lat,
        ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!((edge_a, edge_b), (1, 3));
    assert!((lon - 0.05).abs() < 1e-3 && (lat - 0.05).abs() < 1e-3);
    check(
        &e,
        &["crosses or touches itself", "edge 1", "edge 3"],
        "/coordinates/0/3",
    );
}

#[test]
fn a_ring_touching_itself_at_a_corner_is_refused() {
    // Two triangles joined at (0.1, 0.1): a figure eight through one corner.
    let e = refuse(&polygon(&[
        [0.0, 0.0],
        [0.1, 0.0],
        [0.1, 0.1],
        [0.2, 0.2],
        [0.1, 0.2],
        [0.1, 0.1],
        [0.0, 0.1],
    ]));
    assert!(matches!(e, GeometryError::SelfIntersection { .. }), "{e:?}");
}

#[test]
fn a_spike_that_doubles_back_is_refused() {
    let e = refuse(&polygon(&[
        [0.0, 0.0],
        [0.1, 0.0],
        [0.2, 0.0],
        [0.1, 0.0],
        [0.0, 0.1],
    ]));
    assert!(matches!(e, GeometryError::SelfIntersection { .. }), "{e:?}");
}

#[test]
fn self_intersection_check_is_fast_for_ten_thousand_vertices() {
    // A 10,000-corner ring with one crossing at the end.
    let mut corners: Vec<[f64; 2]> = (0..10_000)
        .map(|k| direct([30.0, 10.0], 360.0 * k as f64 / 10_000.0, 20_000.0))
        .collect();
    corners.swap(5_000, 5_001);
    let started = std::time::Instant::now();
    let e = refuse(&polygon(&corners));
    assert!(matches!(e, GeometryError::SelfIntersection { .. }), "{e:?}");
    assert!(
        started.elapsed().as_millis() < 2_000,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_flat_ring_has_no_area() {
    // Three corners on the equator: a line, not a polygon.
    let e = refuse(&polygon(&[[0.0, 0.0], [0.1, 0.0], [0.2, 0.0]]));
    assert!(
        matches!(
            e,
            GeometryError::ZeroArea { .. } | GeometryError::SelfIntersection { .. }
        ),
        "{e:?}"
    );
    let e = GeometryError::ZeroArea {
        ring: RingAt::EXTERIOR,
        area_m2: 0.0,
    };
    check(&e, &["no area", "0.000 m²"], "/coordinates/0");
}

#[test]
fn rings_and_circles_around_a_pole_are_accepted() {
    for spec in [
        polygon(&[[0.0, 85.0], [90.0, 85.0], [180.0, 85.0], [-90.0, 85.0]]),
        polygon(&[[0.0, -80.0], [120.0, -80.0], [-120.0, -80.0]]),
        // Through the pole.
        polygon(&[[0.0, 89.0], [10.0, 89.0], [0.0, 90.0]]),
        square(0.0, 89.0, 90.0, 89.5),
        circle([0.0, 89.5], 60_000.0),
        circle([0.0, -90.0], 1_000.0),
    ] {
        let f = Footprint::from_spec(&spec, &Limits::default()).expect("valid");
        assert_eq!(f.spec(), &spec);
    }
}

#[test]
fn radius_must_be_finite_not_negative_and_bounded() {
    let e = refuse(&circle([0.0, 0.0], -5.0));
    assert_eq!(e, GeometryError::RadiusNegative { radius_m: -5.0 });
    check(&e, &["radius_m is -5", "0 (a point) or more"], "/radius_m");
    let e = refuse(&circle([0.0, 0.0], f64::NAN));
    check(&e, &["NaN", "finite"], "/radius_m");
    let e = refuse(&circle([0.0, 0.0], 6_000_000.0));
    check(&e, &["6000000", "limit of 5000000"], "/radius_m");
    assert!(Footprint::from_spec(&circle([0.0, 0.0], 0.0), &Limits::default()).is_ok());
}

#[test]
fn a_circle_center_needs_two_or_three_numbers() {
    let e = refuse(&FootprintSpec::Circle {
        center: vec![1.0],
        radius_m: 5.0,
    });
    check(&e, &["center", "1 numbers"], "/center");
}

#[test]
fn an_oversized_polygon_is_refused() {
    let e = refuse(&square(-60.0, -40.0, 60.0, 40.0));
    assert!(
        matches!(e, GeometryError::FootprintTooLarge { .. }),
        "{e:?}"
    );
    check(&e, &["too large", "limit of 5000000 m"], "/coordinates");
}

#[test]
fn an_overlong_perimeter_is_refused() {
    // A zigzag between two far meridians: short in area, enormous in perimeter.
    let mut corners = Vec::new();
    for k in 0..60 {
        corners.push([-20.0, k as f64 * 0.01]);
        corners.push([20.0, k as f64 * 0.01 + 0.005]);
    }
    corners.push([0.0, 5.0]);
    let e = refuse(&polygon(&corners));
    assert!(matches!(e, GeometryError::PerimeterTooLong { .. }), "{e:?}");
    check(&e, &["perimeter", "limit of 100000000 m"], "/coordinates");
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn volume(lower: f64, upper: f64, start: &str, end: &str) -> Volume4dSpec {
    Volume4dSpec {
        footprint: square(0.0, 0.0, 0.1, 0.1),
        altitude_lower_m: lower,
        altitude_upper_m: upper,
        time_start: t(start),
        time_end: t(end),
    }
}

fn refuse_volume(spec: &Volume4dSpec) -> GeometryError {
    Volume4d::from_spec(spec, &Limits::default()).expect_err("should be refused")
}

const T0: &str = "2025-06-01T10:00:00Z";
const T1: &str = "2025-06-01T11:00:00Z";

#[test]
fn a_volume_reports_footprint_problems_under_footprint() {
    let mut spec = volume(0.0, 120.0, T0, T1);
    spec.footprint = ring(&[&[0.0, 0.0], &[0.1, 0.0], &[0.1, 0.1], &[0.0, 0.1]]);
    let e = refuse_volume(&spec);
    check(&e, &["not closed"], "/footprint/coordinates/0/3");
    assert!(matches!(e.innermost(), GeometryError::UnclosedRing { .. }));
    spec.footprint = circle([0.0, 0.0], -1.0);
    check(&refuse_volume(&spec), &["radius_m"], "/footprint/radius_m");
}

#[test]
fn altitudes_are_checked() {
    let e = refuse_volume(&volume(-600.0, 120.0, T0, T1));
    check(
        &e,
        &["altitude_lower_m is -600", "-500"],
        "/altitude_lower_m",
    );
    let e = refuse_volume(&volume(0.0, 30_001.0, T0, T1));
    check(
        &e,
        &["altitude_upper_m is 30001", "30000"],
        "/altitude_upper_m",
    );
    let e = refuse_volume(&volume(0.0, f64::INFINITY, T0, T1));
    check(&e, &["finite"], "/altitude_upper_m");
    let e = refuse_volume(&volume(120.0, 100.0, T0, T1));
    assert_eq!(
        e,
        GeometryError::AltitudeBandReversed {
            lower_m: 120.0,
            upper_m: 100.0
        }
    );
    check(&e, &["100 m", "120 m", "below"], "/altitude_upper_m");
    // A flat band is valid: sea operations use 0..0 (SPEC §2).
    let flat = volume(0.0, 0.0, T0, T1);
    assert!(Volume4d::from_spec(&flat, &Limits::default()).is_ok());
}

#[test]
fn time_windows_are_checked() {
    let e = refuse_volume(&volume(0.0, 120.0, T1, T0));
    check(
        &e,
        &["time_end", "after time_start", "2025-06-01 10:00:00 UTC"],
        "/time_end",
    );
    assert!(matches!(
        refuse_volume(&volume(0.0, 120.0, T0, T0)),
        GeometryError::TimeWindowReversed { .. }
    ));
    let e = refuse_volume(&volume(0.0, 120.0, T0, "2025-06-08T10:00:00.5Z"));
    assert_eq!(
        e,
        GeometryError::TimeWindowTooLong {
            seconds: 604_800.5,
            max_s: 604_800
        }
    );
    check(&e, &["604800.5 s", "limit of 604800 s"], "/time_end");
    let ok = volume(0.0, 120.0, T0, "2025-06-08T10:00:00Z");
    let v = Volume4d::from_spec(&ok, &Limits::default()).unwrap();
    assert_eq!(v.time_end() - v.time_start(), Duration::days(7));
    assert_eq!((v.altitude_lower_m(), v.altitude_upper_m()), (0.0, 120.0));
    assert_eq!(v.spec(), &ok);
    assert_eq!(v.footprint().spec(), &ok.footprint);
}

#[test]
fn every_message_is_one_sentence() {
    let errors = [
        refuse(&ring(&[&[0.0, 0.0], &[0.1, 0.0], &[0.0, 0.0]])),
        refuse(&circle([0.0, 0.0], -1.0)),
        refuse(&polygon(&[[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1]])),
        refuse_volume(&volume(0.0, 120.0, T1, T0)),
    ];
    for e in errors {
        let message = e.to_string();
        assert!(!message.contains('\n') && !message.trim_end_matches('.').contains(". "));
    }
}

#[test]
fn specs_round_trip_through_geojson() {
    let json = r#"{"type":"Polygon","coordinates":[[[0,0],[0.1,0],[0.1,0.1],[0,0]]]}"#;
    let spec: FootprintSpec = serde_json::from_str(json).unwrap();
    assert!(Footprint::from_spec(&spec, &Limits::default()).is_ok());
    let json = r#"{"type":"Circle","center":[10,50],"radius_m":250}"#;
    let spec: FootprintSpec = serde_json::from_str(json).unwrap();
    assert_eq!(spec, circle([10.0, 50.0], 250.0));
    let back: FootprintSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
}

fn holed(exterior: &[[f64; 2]], holes: &[&[[f64; 2]]]) -> FootprintSpec {
    let mut coordinates = vec![closed_ring(exterior)];
    coordinates.extend(holes.iter().map(|hole| closed_ring(hole)));
    FootprintSpec::Polygon { coordinates }
}

const OUTER: [[f64; 2]; 4] = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];

#[test]
fn holes_inside_their_exterior_are_accepted_in_either_orientation() {
    let clockwise = [[0.2, 0.2], [0.2, 0.4], [0.4, 0.4], [0.4, 0.2]];
    let counter = [[0.6, 0.6], [0.8, 0.6], [0.8, 0.8], [0.6, 0.8]];
    let spec = holed(&OUTER, &[&clockwise, &counter]);
    let f = Footprint::from_spec(&spec, &Limits::default()).unwrap();
    assert!(
        f.distance_to_point_m([0.3, 0.3]) > 10_000.0,
        "in the first hole"
    );
    assert_eq!(f.distance_to_point_m([0.5, 0.5]), 0.0);
}

#[test]
fn a_hole_touching_its_exterior_at_a_corner_is_accepted_but_not_one_passing_through() {
    // A triangle hole with one corner on the exterior's corner (0, 0): OGC-valid.
    let touching = holed(&OUTER, &[&[[0.0, 0.0], [0.5, 0.2], [0.2, 0.5]]]);
    assert!(Footprint::from_spec(&touching, &Limits::default()).is_ok());
    // Through two of the exterior's corners and outside between them.
    let through = holed(
        &[[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
        &[&[[0.0, 0.0], [0.25, -0.2], [0.5, 0.0], [0.25, 0.2]]],
    );
    let e = refuse(&through);
    assert!(matches!(e, GeometryError::HoleOutside { .. }), "{e:?}");
}

#[test]
fn a_hole_crossing_its_exterior_is_refused_naming_both_rings() {
    let e = refuse(&holed(
        &OUTER,
        &[&[[0.5, 0.5], [1.5, 0.5], [1.5, 0.6], [0.5, 0.6]]],
    ));
    let GeometryError::RingsMeet { ring_a, ring_b, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (ring_a, ring_b),
        (
            RingAt::EXTERIOR,
            RingAt {
                part: None,
                ring: 1
            }
        )
    );
    check(
        &e,
        &["hole 1 crosses or touches the exterior ring"],
        "/coordinates/1",
    );
}

#[test]
fn a_hole_outside_its_exterior_or_inside_another_hole_is_refused() {
    let e = refuse(&holed(&OUTER, &[&[[2.0, 2.0], [2.1, 2.0], [2.1, 2.1]]]));
    assert_eq!(
        e,
        GeometryError::HoleOutside {
            hole: RingAt {
                part: None,
                ring: 1
            }
        }
    );
    check(
        &e,
        &["hole 1 is not inside the exterior ring"],
        "/coordinates/1",
    );
    let big = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]];
    let small = [[0.4, 0.4], [0.5, 0.4], [0.5, 0.5]];
    let e = refuse(&holed(&OUTER, &[&big, &small]));
    assert!(matches!(e, GeometryError::HoleInHole { .. }), "{e:?}");
    check(
        &e,
        &["lies inside hole 1", "may not nest"],
        "/coordinates/2",
    );
}

#[test]
fn multipolygon_problems_name_the_polygon() {
    let e = refuse(&FootprintSpec::MultiPolygon {
        coordinates: vec![],
    });
    assert_eq!(e, GeometryError::NoPolygons);
    let good = vec![closed_ring(&OUTER)];
    let e = refuse(&FootprintSpec::MultiPolygon {
        coordinates: vec![good.clone(), vec![]],
    });
    assert_eq!(e, GeometryError::NoExteriorRing { part: Some(1) });
    check(&e, &["no ring"], "/coordinates/1");
    let bow_tie = closed_ring(&[[5.0, 5.0], [5.1, 5.0], [5.0, 5.1], [5.1, 5.1]]);
    let e = refuse(&FootprintSpec::MultiPolygon {
        coordinates: vec![good.clone(), vec![bow_tie]],
    });
    check(
        &e,
        &["the exterior ring of polygon 1 crosses or touches itself"],
        "/coordinates/1/0/3",
    );
    let e = refuse(&FootprintSpec::MultiPolygon {
        coordinates: vec![
            good.clone(),
            vec![vec![vec![0.0, 0.0], vec![f64::NAN, 0.0]]],
        ],
    });
    check(
        &e,
        &["position 1 of the exterior ring of polygon 1"],
        "/coordinates/1/0/1/0",
    );
    // Parts may touch or overlap: the footprint is their union.
    let overlapping = closed_ring(&[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]]);
    let spec = FootprintSpec::MultiPolygon {
        coordinates: vec![good, vec![overlapping]],
    };
    let f = Footprint::from_spec(&spec, &Limits::default()).unwrap();
    assert_eq!(f.distance_to_point_m([0.75, 0.75]), 0.0, "in both parts");
    assert_eq!(
        f.distance_to_point_m([1.25, 1.25]),
        0.0,
        "in the second only"
    );
}

#[test]
fn a_point_is_checked_like_a_position() {
    let e = refuse(&FootprintSpec::Point {
        coordinates: vec![10.0, 95.0],
    });
    check(&e, &["latitude 95", "the point"], "/coordinates/1");
    let e = refuse(&FootprintSpec::Point {
        coordinates: vec![10.0],
    });
    check(&e, &["1 numbers"], "/coordinates");
}

#[test]
fn zero_area_rings_are_refused_as_such() {
    // Three corners on a meridian: a line.
    let e = refuse(&polygon(&[[0.0, 0.0], [0.0, 0.1], [0.0, 0.2]]));
    assert!(matches!(e, GeometryError::ZeroArea { .. }), "{e:?}");
    check(&e, &["no area", "lie on one line"], "/coordinates/0");
    // A sliver 4 mm wide and 1 km long: thinner than the allowance.
    let a = [10.0, 50.0];
    let b = direct(a, 90.0, 1_000.0);
    let c = direct(direct(a, 90.0, 500.0), 0.0, 0.004);
    let e = refuse(&polygon(&[a, b, c]));
    assert!(matches!(e, GeometryError::ZeroArea { .. }), "{e:?}");
    // 5 cm wide is a polygon.
    let c = direct(direct(a, 90.0, 500.0), 0.0, 0.05);
    assert!(Footprint::from_spec(&polygon(&[a, b, c]), &Limits::default()).is_ok());
    // A hole with no area is refused too, naming it.
    let e = refuse(&holed(&OUTER, &[&[[0.5, 0.2], [0.5, 0.4], [0.5, 0.6]]]));
    check(&e, &["hole 1 has no area"], "/coordinates/1");
    // Corners within a centimetre of each other are one corner: a triangle 5 mm across is
    // two or fewer corners.
    let d = direct(a, 45.0, 0.005);
    let e = refuse(&polygon(&[a, d, direct(a, 90.0, 0.004)]));
    assert!(matches!(e, GeometryError::DegenerateRing { .. }), "{e:?}");
}
