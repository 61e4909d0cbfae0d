//! The WGS84 ellipsoid: geodesics (GeographicLib), Earth-centred Earth-fixed (ECEF) coordinates,
//! and the small 3-vector algebra the rest of the crate works in.
//!
//! Positions are `[lon, lat]` in degrees everywhere in this crate; GeographicLib takes latitude
//! first, so the wrappers here are the only place that order flips.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};

/// WGS84 semi-major axis (m).
pub const A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis (m).
pub const B_M: f64 = A_M * (1.0 - F);
/// First eccentricity squared.
pub const E2: f64 = F * (2.0 - F);
/// The smallest radius of curvature anywhere on the ellipsoid (b²/a, at the equator, north-south).
/// Any curve on the surface bends at least this gently, which bounds how far an arc bulges from
/// its chord: `L² / (8 · RHO_MIN_M)`.
pub const RHO_MIN_M: f64 = B_M * B_M / A_M;

pub type Vec3 = [f64; 3];

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
pub fn scale(a: Vec3, k: f64) -> Vec3 {
    [a[0] * k, a[1] * k, a[2] * k]
}
pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}
/// `a / |a|`; the zero vector stays zero.
pub fn unit(a: Vec3) -> Vec3 {
    let n = norm(a);
    if n > 0.0 {
        scale(a, 1.0 / n)
    } else {
        a
    }
}

/// Longitude wrapped into [-180, 180).
pub fn wrap_lon(lon: f64) -> f64 {
    let wrapped = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if wrapped >= 180.0 {
        wrapped - 360.0
    } else {
        wrapped
    }
}

/// The surface point (height 0) at `[lon, lat]` in ECEF metres.
pub fn to_ecef(p: [f64; 2]) -> Vec3 {
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    let (sin_lat, cos_lat) = lat.sin_cos();
    let n = A_M / (1.0 - E2 * sin_lat * sin_lat).sqrt();
    [
        n * cos_lat * lon.cos(),
        n * cos_lat * lon.sin(),
        n * (1.0 - E2) * sin_lat,
    ]
}

/// `[lon, lat]` of the surface point below (or above) an ECEF point, along the ellipsoid normal.
/// Accurate to well below a millimetre for points within a few kilometres of the surface, which
/// is all this crate asks of it (points on chords of arcs at most 10 km long).
pub fn to_lonlat(p: Vec3) -> [f64; 2] {
    let rho = (p[0] * p[0] + p[1] * p[1]).sqrt();
    let lon = p[1].atan2(p[0]).to_degrees();
    if rho < 1e-9 {
        let lat = if p[2] >= 0.0 { 90.0 } else { -90.0 };
        return [0.0, lat];
    }
    // Fixed-point iteration on the geodetic latitude; converges to 1e-15 rad in a few steps
    // near the surface.
    let mut lat = (p[2] / (rho * (1.0 - E2))).atan();
    for _ in 0..4 {
        let sin_lat = lat.sin();
        let n = A_M / (1.0 - E2 * sin_lat * sin_lat).sqrt();
        lat = (p[2] + E2 * n * sin_lat).atan2(rho);
    }
    [lon, lat.to_degrees()]
}

fn geod() -> Geodesic {
    Geodesic::wgs84()
}

/// Exact WGS84 geodesic distance in metres between two `[lon, lat]` points.
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    geod().inverse(a[1], a[0], b[1], b[0])
}

/// Geodesic from `a` to `b`: (distance in metres, azimuth at `a` in degrees clockwise from north).
pub fn inverse(a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12) = geod().inverse(a[1], a[0], b[1], b[0]);
    (s12, azi1)
}

/// The point reached from `a` along the geodesic leaving at `azimuth_deg` after `distance_m`.
pub fn direct(a: [f64; 2], azimuth_deg: f64, distance_m: f64) -> [f64; 2] {
    let (lat, lon) = geod().direct(a[1], a[0], azimuth_deg, distance_m);
    [wrap_lon(lon), lat]
}

/// The surface point closest to the direction of `v` from the Earth's centre, as `[lon, lat]`
/// (used for "the ECEF mean of these points, put back on the surface").
pub fn direction_to_lonlat(v: Vec3) -> [f64; 2] {
    to_lonlat(scale(unit(v), A_M))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit outward normal of the ellipsoid at `[lon, lat]` (the "up" direction).
    fn up(p: [f64; 2]) -> Vec3 {
        let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }

    #[test]
    fn ecef_round_trip_is_exact_to_the_nanometre_level() {
        for p in [
            [0.0, 0.0],
            [179.9, 45.0],
            [-179.999, -89.5],
            [12.5, 89.99],
            [-60.0, -33.0],
        ] {
            let back = to_lonlat(to_ecef(p));
            assert!((back[0] - p[0]).abs() < 1e-11, "{p:?} -> {back:?}");
            assert!((back[1] - p[1]).abs() < 1e-11, "{p:?} -> {back:?}");
        }
    }

    #[test]
    fn points_slightly_below_the_surface_project_to_the_point_above() {
        let p = [24.0, 60.0];
        let below = sub(to_ecef(p), scale(up(p), 2.0));
        let back = to_lonlat(below);
        assert!(distance_m(back, p) < 1e-6);
    }

    #[test]
    fn wrap_lon_maps_into_the_half_open_range() {
        assert_eq!(wrap_lon(180.0), -180.0);
        assert_eq!(wrap_lon(-180.0), -180.0);
        assert_eq!(wrap_lon(190.0), -170.0);
        assert_eq!(wrap_lon(-190.0), 170.0);
        assert_eq!(wrap_lon(540.0), -180.0);
    }

    #[test]
    fn geodesic_distance_matches_geographiclib_reference() {
        // GeographicLib GeodSolve -i: 40.6 -73.8 51.6 -0.5 -> 5551759.400318 m (JFK to LHR).
        let d = distance_m([-73.8, 40.6], [-0.5, 51.6]);
        assert!((d - 5_551_759.400_318).abs() < 1e-3, "{d}");
    }
}
