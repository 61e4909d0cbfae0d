//! The exact rule of SPEC §5.2 for one pair of tracks whose motion at `now` is known.
//!
//! **The pair's frame.** "Up" is the ellipsoid normal at the midpoint `M` of the two ground
//! points (the gradient of the ellipsoid's equation at `M`); the horizontal plane is
//! perpendicular to it. The relative position `d` and velocity `v` are the ECEF differences with
//! their "up" components removed. The rule only ever uses lengths and dot products in that plane,
//! so it never needs to name its east and north axes: any east/north pair in the plane gives the
//! same numbers. For ground points on the ellipsoid the chord `Pa − Pb` is exactly perpendicular
//! to that normal (`(Pa + Pb)·D(Pa − Pb) = Pa·DPa − Pb·DPb = 0` for the quadric's matrix `D`),
//! so `|d|` is the chord, which is shorter than the geodesic by `s³/(24R²)`: 0.004 % at 200 km.
//!
//! **The intervals.** Horizontal: the open interval of `t` where `|d + v·t| < H − 1 cm`, the
//! roots of a quadratic (found in the stable form); `v = 0` gives all `t` or none, and a double
//! root (a path that only touches the circle) gives none. Vertical: likewise for
//! `|dz + vz·t| < V − 1 cm`. Both are open, so a pair exactly at a minimum is separated.
//!
//! **The answer.** A loss of separation is predicted when `(A, B) ∩ [0, T]` is not empty, `A`
//! and `B` being the larger start and smaller end of the two open intervals and `T` the look-
//! ahead. For `T > 0` that is exactly `max(A, 0) < min(B, T)`; so a contact of zero length — an
//! interval that ends at 0 or starts at `T` — is no conflict. `t_los = max(A, 0)`,
//! `t_out = min(B, T)`. Loss of separation *now* is `A < 0 < B`, i.e. `|d| < H − 1 cm` and
//! `|dz| < V − 1 cm` at `t = 0` (the roots' signs are exact, so this agrees with the
//! intervals); then `t_los = 0`.
//!
//! **Reach.** Before any of this, a pair whose chord is at least `H + (sa + sb)·T + 1 m` is
//! answered "no conflict": `|d + v·t| ≥ |d| − |v|·t` and `|v| ≤ sa + sb`, so the full rule would
//! say the same. Pairs more than [`MAX_PAIR_CHORD_M`] apart are no conflict either: the pair's
//! frame means nothing there, and closing that distance in a 300 s look-ahead would take
//! 6,600 m/s.

use super::kinematics::{add, dot, reject, scale, sub, surface_normal, Kinematics, Vec3};
use super::{TacticalConflictFigures, TacticalParams};
use crate::Severity;
use deconflict_geometry::ALLOWANCE_M;

/// Added to a pair's reach before the early "too far apart" answer (m).
pub(crate) const REACH_MARGIN_M: f64 = 1.0;
/// Pairs whose ground points are farther apart than this (chord, m) are never in conflict.
pub const MAX_PAIR_CHORD_M: f64 = 2_000_000.0;

/// An open interval of time from `now` (s); either end may be infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Open {
    start: f64,
    end: f64,
}

const ALWAYS: Open = Open {
    start: f64::NEG_INFINITY,
    end: f64::INFINITY,
};

/// The rule for the pair (a, b); `None` when they are separated over the whole look-ahead.
/// `params` must be usable ([`TacticalParams::is_usable`]).
pub(crate) fn figures(
    a: &Kinematics,
    b: &Kinematics,
    params: &TacticalParams,
) -> Option<TacticalConflictFigures> {
    let lookahead_s = params.lookahead_s;
    let chord = sub(a.position, b.position);
    let reach_m = (params.separation_horizontal_m
        + (a.speed_mps + b.speed_mps) * lookahead_s
        + REACH_MARGIN_M)
        .min(MAX_PAIR_CHORD_M);
    if dot(chord, chord) >= reach_m * reach_m {
        return None;
    }

    let Relative { d, v, dz, vz } = Relative::of(a, b);
    let horizontal = within_circle(d, v, params.separation_horizontal_m - ALLOWANCE_M)?;
    let vertical = within_band(dz, vz, params.separation_vertical_m - ALLOWANCE_M)?;
    let start = horizontal.start.max(vertical.start);
    let end = horizontal.end.min(vertical.end);
    let los_now = start < 0.0 && 0.0 < end;
    let t_los_s = start.max(0.0);
    let t_out_s = end.min(lookahead_s);
    if !(los_now || t_los_s < t_out_s) {
        return None;
    }

    let closing = dot(v, v);
    let t_cpa_s = if closing > 0.0 {
        (-dot(d, v) / closing).max(0.0).min(lookahead_s)
    } else {
        0.0
    };
    let at_cpa = [
        d[0] + v[0] * t_cpa_s,
        d[1] + v[1] * t_cpa_s,
        d[2] + v[2] * t_cpa_s,
    ];
    let severity = if los_now || t_los_s < params.warning_s {
        Severity::Warning
    } else if t_los_s < params.caution_s {
        Severity::Caution
    } else {
        Severity::Advisory
    };
    Some(TacticalConflictFigures {
        los_now,
        t_los_s,
        t_out_s,
        t_cpa_s,
        d_cpa_m: dot(at_cpa, at_cpa).sqrt(),
        horizontal_distance_now_m: dot(d, d).sqrt(),
        vertical_offset_now_m: dz,
        severity,
    })
}

/// Where `a` is seen from `b`, and how it moves, in the pair's frame (see the module).
#[derive(Debug, Clone, Copy)]
struct Relative {
    /// Horizontal position (m), a vector in the pair's horizontal plane.
    d: Vec3,
    /// Horizontal velocity (m/s), in the same plane.
    v: Vec3,
    dz: f64,
    vz: f64,
}

impl Relative {
    fn of(a: &Kinematics, b: &Kinematics) -> Relative {
        let up = surface_normal(scale(add(a.position, b.position), 0.5));
        Relative {
            d: reject(sub(a.position, b.position), up),
            v: reject(sub(a.velocity_mps, b.velocity_mps), up),
            dz: a.altitude_m - b.altitude_m,
            vz: a.vertical_rate_mps - b.vertical_rate_mps,
        }
    }
}

/// Times `t` with `|d + v·t| < radius`: the open interval between the roots of
/// `|v|²t² + 2(d·v)t + |d|² − radius² = 0`, or `None` when there is no such time.
fn within_circle(d: Vec3, v: Vec3, radius_m: f64) -> Option<Open> {
    let c = dot(d, d) - radius_m * radius_m;
    let a = dot(v, v);
    if a == 0.0 {
        return (c < 0.0).then_some(ALWAYS);
    }
    let b_half = dot(d, v);
    let discriminant = b_half * b_half - a * c;
    if discriminant.is_nan() || discriminant <= 0.0 {
        return None; // a miss, or a double root: a touch, which is no interval
    }
    // Stable roots: q/a and c/q, never the difference of two close numbers. When c < 0 (inside
    // now) they have opposite signs exactly, so `start < 0 < end` matches `|d| < radius`.
    let q = -(b_half + b_half.signum() * discriminant.sqrt());
    let (r1, r2) = (q / a, c / q);
    Some(Open {
        start: r1.min(r2),
        end: r1.max(r2),
    })
}

/// Times `t` with `|dz + vz·t| < half_width`, or `None` when there is no such time.
fn within_band(dz: f64, vz: f64, half_width_m: f64) -> Option<Open> {
    if vz == 0.0 {
        return (dz.abs() < half_width_m).then_some(ALWAYS);
    }
    let (r1, r2) = ((-half_width_m - dz) / vz, (half_width_m - dz) / vz);
    let (start, end) = (r1.min(r2), r1.max(r2));
    (start < end).then_some(Open { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tactical::TrackState;
    use crate::track::Motion;
    use crate::PartyId;
    use chrono::{TimeZone, Utc};
    use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
    use rand::{Rng, SeedableRng};

    fn length(v: Vec3) -> f64 {
        dot(v, v).sqrt()
    }

    /// Random pairs under 200 km, a quarter of them above 80° and a quarter across the
    /// antimeridian: the pair's horizontal distance, now and after each has flown 60 s along its
    /// geodesic, is within 0.5 % (+ 1 m for pairs that nearly meet) of GeographicLib's.
    #[test]
    fn relative_motion_matches_geodesics_within_half_a_percent() {
        let geodesic = Geodesic::wgs84();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let mut worst_now = 0.0_f64;
        let mut worst_later = 0.0_f64;
        for case in 0..20_000 {
            let (lat, lon) = match case % 4 {
                0 => (
                    rng.random_range(-80.0..80.0),
                    rng.random_range(-180.0..180.0),
                ),
                1 => (
                    rng.random_range(80.0..89.99),
                    rng.random_range(-180.0..180.0),
                ),
                2 => (
                    rng.random_range(-89.99..-80.0),
                    rng.random_range(-180.0..180.0),
                ),
                _ => (
                    rng.random_range(-70.0..70.0),
                    180.0 - rng.random_range(0.0..1.0),
                ),
            };
            let distance_m = 10f64.powf(rng.random_range(2.0..5.3));
            let (lat2, lon2): (f64, f64) =
                geodesic.direct(lat, lon, rng.random_range(-180.0..180.0), distance_m);
            let report =
                |lat_deg: f64, lon_deg: f64, rng: &mut rand_chacha::ChaCha8Rng| TrackState {
                    owner: PartyId::from("p"),
                    track_id: "t".into(),
                    motion: Motion {
                        time: now,
                        lat_deg,
                        lon_deg,
                        altitude_m: 0.0,
                        ground_speed_mps: rng.random_range(0.0..300.0),
                        track_deg: rng.random_range(0.0..360.0),
                        vertical_rate_mps: 0.0,
                    },
                    domain: crate::operation::Domain::Air,
                };
            let (a, b) = (report(lat, lon, &mut rng), report(lat2, lon2, &mut rng));
            let relative = Relative::of(
                &Kinematics::at(&a, now).unwrap(),
                &Kinematics::at(&b, now).unwrap(),
            );
            worst_now = worst_now.max((length(relative.d) - distance_m).abs() / distance_m);

            let t = 60.0;
            let later = |r: &TrackState| -> (f64, f64) {
                geodesic.direct(
                    r.motion.lat_deg,
                    r.motion.lon_deg,
                    r.motion.track_deg,
                    r.motion.ground_speed_mps * t,
                )
            };
            let ((lat_a, lon_a), (lat_b, lon_b)) = (later(&a), later(&b));
            let geodesic_m: f64 = geodesic.inverse(lat_a, lon_a, lat_b, lon_b);
            let planar_m = length(std::array::from_fn(|i| relative.d[i] + relative.v[i] * t));
            let error = ((planar_m - geodesic_m).abs() - 1.0).max(0.0) / geodesic_m;
            worst_later = worst_later.max(error);
        }
        assert!(
            worst_now < 0.005 && worst_later < 0.005,
            "{worst_now} {worst_later}"
        );
        // The chord is within 5e-5 of the geodesic at 200 km.
        assert!(worst_now < 1e-4, "{worst_now}");
    }

    #[test]
    fn circle_interval_is_open_and_a_touch_is_empty() {
        // Passing at exactly the radius: a double root, no interval.
        let touch = within_circle([-1000.0, 500.0, 0.0], [10.0, 0.0, 0.0], 500.0);
        assert_eq!(touch, None);
        let through = within_circle([-1000.0, 0.0, 0.0], [10.0, 0.0, 0.0], 500.0).unwrap();
        assert_eq!((through.start, through.end), (50.0, 150.0));
        let still_inside = within_circle([100.0, 0.0, 0.0], [0.0; 3], 500.0);
        assert_eq!(still_inside, Some(ALWAYS));
        assert_eq!(within_circle([500.0, 0.0, 0.0], [0.0; 3], 500.0), None);
    }

    #[test]
    fn inside_now_gives_roots_of_opposite_sign() {
        let open = within_circle([1e-9, 0.0, 0.0], [1e-7, 3.0, 0.0], 9_259.99).unwrap();
        assert!(open.start < 0.0 && open.end > 0.0);
    }

    #[test]
    fn band_interval_is_open() {
        let band = within_band(-1000.0, 10.0, 300.0).unwrap();
        assert_eq!((band.start, band.end), (70.0, 130.0));
        assert_eq!(within_band(300.0, 0.0, 300.0), None);
        assert_eq!(within_band(299.0, 0.0, 300.0), Some(ALWAYS));
    }
}
