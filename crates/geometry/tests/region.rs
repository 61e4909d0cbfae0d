//! Conflict regions: when they exist, what they cover, and their GeoJSON shape.

mod common;

use common::*;
use deconflict_geometry::{Footprint, Region};

/// Whether `p` is inside the region, by a crossing count in lon/lat (fine for small regions
/// away from the poles).
fn region_contains(region: &Region, p: [f64; 2]) -> bool {
    region.coordinates.iter().any(|polygon| {
        let mut inside = false;
        for ring in polygon {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a[1] > p[1]) != (b[1] > p[1])
                    && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
                {
                    inside = !inside;
                }
            }
        }
        inside
    })
}

fn point(p: [f64; 2]) -> Footprint {
    footprint(&circle(p, 0.001))
}

#[test]
fn no_region_when_the_separation_is_met() {
    let a = footprint(&square(0.0, 0.0, 0.1, 0.1));
    let b = footprint(&square(0.2, 0.0, 0.3, 0.1));
    let d = a.distance_m(&b);
    assert!(
        a.conflict_region(&b, d).is_none(),
        "equality meets the minimum"
    );
    assert!(a.conflict_region(&b, d - 1.0).is_none());
    assert!(a.conflict_region(&b, d + 1.0).is_some());
    assert!(a.conflict_region(&b, f64::NAN).is_none());
}

#[test]
fn region_of_overlapping_squares_covers_the_overlap_and_the_strips_near_it() {
    let a = footprint(&square(0.0, 0.0, 0.1, 0.1));
    let b = footprint(&square(0.05, 0.05, 0.15, 0.15));
    let region = a.conflict_region(&b, 1_000.0).expect("they overlap");
    assert_eq!(region.kind, "MultiPolygon");
    for polygon in &region.coordinates {
        for ring in polygon {
            assert_eq!(ring.first(), ring.last(), "rings are closed");
            assert!(ring.len() >= 4);
        }
    }
    assert!(region_contains(&region, [0.075, 0.075]), "the overlap");
    // In A, 500 m outside B: inside the region. In A, 2 km outside B: not.
    let near = direct([0.05, 0.07], 270.0, 500.0);
    let far = direct([0.05, 0.07], 270.0, 2_000.0);
    assert!(region_contains(&region, near));
    assert!(!region_contains(&region, far));
    // Outside both: not in the region.
    assert!(!region_contains(&region, [0.0, 0.15]));
}

#[test]
fn region_of_separate_shapes_lies_between_them() {
    let a = footprint(&square(10.0, 50.0, 10.1, 50.1));
    let b = footprint(&circle(direct([10.1, 50.05], 90.0, 3_000.0), 1_000.0));
    let d = a.distance_m(&b);
    assert!((d - 2_000.0).abs() < 5.0, "{d}");
    let region = a.conflict_region(&b, 2_500.0).expect("closer than 2.5 km");
    for ring in region.coordinates.iter().flatten() {
        for &v in ring {
            let here = point(v);
            assert!(here.distance_m(&a) <= 2_600.0 && here.distance_m(&b) <= 2_600.0);
        }
    }
}

#[test]
fn region_across_the_antimeridian_is_split_into_valid_longitudes() {
    let west = footprint(&square(179.95, -0.05, 180.0, 0.05));
    let east = footprint(&square(-179.99, -0.05, -179.9, 0.05));
    let region = west.conflict_region(&east, 5_000.0).expect("1.1 km apart");
    let lons: Vec<f64> = region
        .coordinates
        .iter()
        .flatten()
        .flatten()
        .map(|p| p[0])
        .collect();
    assert!(lons.iter().all(|lon| (-180.0..=180.0).contains(lon)));
    assert!(lons.iter().any(|&lon| lon > 179.9), "a western piece");
    assert!(lons.iter().any(|&lon| lon < -179.9), "an eastern piece");
    assert!(region.coordinates.len() >= 2, "cut at the antimeridian");
}

#[test]
fn region_near_the_pole() {
    let a = footprint(&square(0.0, 88.0, 10.0, 89.0));
    let b = footprint(&square(10.5, 88.0, 20.0, 89.0));
    let d = a.distance_m(&b);
    let region = a
        .conflict_region(&b, d + 2_000.0)
        .expect("within separation");
    for ring in region.coordinates.iter().flatten() {
        for &v in ring {
            assert!(v[1] < 90.0 && v[1] > 87.9, "{v:?}");
        }
    }
}

#[test]
fn a_tiny_separation_still_gives_a_region() {
    let a = footprint(&square(0.0, 0.0, 0.1, 0.1));
    let b = footprint(&square(0.1, 0.0, 0.2, 0.1));
    assert_eq!(a.distance_m(&b), 0.0);
    let region = a.conflict_region(&b, 0.001).expect("touching");
    assert!(!region.coordinates.is_empty());
}

#[test]
fn region_serialises_as_geojson() {
    let a = footprint(&square(0.0, 0.0, 0.1, 0.1));
    let region = a.conflict_region(&a, 10.0).unwrap();
    let json = serde_json::to_value(&region).unwrap();
    assert_eq!(json["type"], "MultiPolygon");
    assert!(json["coordinates"][0][0][0].is_array());
    let back: Region = serde_json::from_value(json).unwrap();
    assert_eq!(back, region);
}
