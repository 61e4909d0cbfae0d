//! ECEF bounds: every point of the footprint's surface, interior included, is in the box.

mod common;

use common::*;

const A_M: f64 = 6_378_137.0;

#[test]
fn a_large_polygon_over_an_axis_extreme_reaches_it() {
    // Around (0, 0) the surface bulges out to x = a in the middle, beyond every corner.
    let f = footprint(&square(-10.0, -10.0, 10.0, 10.0));
    let bounds = f.ecef_bounds();
    assert!(bounds.max[0] >= A_M, "{bounds:?}");
    let corner_x = ecef([10.0, 10.0])[0];
    assert!(bounds.min[0] <= corner_x);
    // Across the antimeridian the box reaches x = -a.
    let g = footprint(&square(175.0, -5.0, -175.0, 5.0));
    assert!(g.ecef_bounds().min[0] <= -A_M);
}

#[test]
fn a_circle_over_an_axis_extreme_reaches_it() {
    let f = footprint(&circle([90.0, 0.0], 1_000_000.0));
    assert!(f.ecef_bounds().max[1] >= A_M);
    let g = footprint(&circle([-90.0, 0.5], 100_000.0));
    assert!(g.ecef_bounds().min[1] <= -A_M);
}

#[test]
fn a_long_edge_rises_above_its_corners() {
    // The geodesic from (0, 60) to (60, 60) peaks near 63.4°N, north of every corner.
    let f = footprint(&square(0.0, 59.0, 60.0, 60.0));
    let (s, az) = inverse([0.0, 60.0], [60.0, 60.0]);
    let peak = direct([0.0, 60.0], az, s / 2.0);
    assert!(peak[1] > 63.0, "{peak:?}");
    let bounds = f.ecef_bounds();
    assert!(bounds.max[2] >= ecef(peak)[2], "{bounds:?}");
    assert!(bounds.contains(ecef(peak)));
}

#[test]
fn a_small_footprint_has_a_tight_box() {
    let f = footprint(&circle([24.9, 60.2], 500.0));
    let bounds = f.ecef_bounds();
    for i in 0..3 {
        let extent = bounds.max[i] - bounds.min[i];
        assert!(extent < 1_001.0, "axis {i}: {extent} m");
    }
    let centre = ecef([24.9, 60.2]);
    assert!(bounds.contains(centre));
}
