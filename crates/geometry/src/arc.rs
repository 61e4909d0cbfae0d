//! Short arcs on the ellipsoid, in ECEF.
//!
//! A footprint boundary is stored as pieces at most [`crate::MAX_PIECE_M`] long whose end points
//! lie exactly on the filed geodesic edge. Each piece is modelled as the *central arc* between its
//! end points: the curve where the plane through the two points and the Earth's centre cuts the
//! surface. Over 10 km that curve and the geodesic differ by millimetres, and it has two
//! properties that make exact, projection-free tests possible:
//! - two arcs cross iff each one's end points lie on opposite sides of the other's plane
//!   (signs of triple products), at any latitude and across the antimeridian;
//! - its chord (the straight segment between its ends) is at most `L² / (8 · RHO_MIN_M)` (≈ 2 m for
//!   L = 10 km) below it, and the chord distance between two points is never longer than their
//!   geodesic distance, so chords give fast, tight lower bounds.

use crate::ellipsoid::{add, cross, dot, norm, scale, sub, unit, Vec3};

/// Distance from a plane within which a point counts as on it (m).
const TOUCH_M: f64 = 1e-6;

/// Whether the central arcs `a1→a2` and `b1→b2` (each a few kilometres at most) cross or touch
/// (to within a micrometre); returns an ECEF point near the meeting point.
pub fn arcs_meet(a1: Vec3, a2: Vec3, b1: Vec3, b2: Vec3) -> Option<Vec3> {
    // Two short arcs on opposite sides of the Earth share their planes' line but cannot meet.
    if dot(add(a1, a2), add(b1, b2)) <= 0.0 {
        return None;
    }
    // Signed distances (m) of each arc's ends from the other's plane; rounding makes them
    // ~1e-9 m for a point on the plane (a shared corner), so within TOUCH_M counts as on it.
    let snap = |v: f64| if v.abs() < TOUCH_M { 0.0 } else { v };
    let normal_a = unit(cross(a1, a2));
    let normal_b = unit(cross(b1, b2));
    let side_b1 = snap(dot(normal_a, b1));
    let side_b2 = snap(dot(normal_a, b2));
    if side_b1 == 0.0 && side_b2 == 0.0 {
        return collinear_overlap(a1, a2, b1, b2);
    }
    let side_a1 = snap(dot(normal_b, a1));
    let side_a2 = snap(dot(normal_b, a2));
    let b_straddles = side_b1 * side_b2 <= 0.0;
    let a_straddles = side_a1 * side_a2 <= 0.0;
    if !(a_straddles && b_straddles) {
        return None;
    }
    let t = if side_a1 == side_a2 {
        0.0
    } else {
        side_a1 / (side_a1 - side_a2)
    };
    Some(add(a1, scale(sub(a2, a1), t.clamp(0.0, 1.0))))
}

/// Both arcs lie in one plane through the centre: they meet iff their extents overlap.
fn collinear_overlap(a1: Vec3, a2: Vec3, b1: Vec3, b2: Vec3) -> Option<Vec3> {
    let direction = sub(a2, a1);
    let length2 = dot(direction, direction);
    let t1 = dot(sub(b1, a1), direction);
    let t2 = dot(sub(b2, a1), direction);
    let slack = TOUCH_M * length2.sqrt();
    let (low, high) = (t1.min(t2).max(0.0), t1.max(t2).min(length2));
    if low > high + slack || length2 == 0.0 {
        return None;
    }
    Some(add(a1, scale(direction, low / length2)))
}

/// Whether the arcs `a1→a2` and `b1→b2` share an end point and meet only there: the other end
/// of each is off the other's plane, so they are not collinear and cannot overlap.
pub fn meet_only_at_shared_end(a1: Vec3, a2: Vec3, b1: Vec3, b2: Vec3) -> bool {
    let same = |p: Vec3, q: Vec3| norm(sub(p, q)) < TOUCH_M;
    let (a_other, b_other) = if same(a1, b1) {
        (a2, b2)
    } else if same(a1, b2) {
        (a2, b1)
    } else if same(a2, b1) {
        (a1, b2)
    } else if same(a2, b2) {
        (a1, b1)
    } else {
        return false;
    };
    let off_plane = |p: Vec3, q1: Vec3, q2: Vec3| dot(unit(cross(q1, q2)), p).abs() >= TOUCH_M;
    off_plane(b_other, a1, a2) && off_plane(a_other, b1, b2)
}

/// Whether the path `p0→p1→p2` turns back on itself at `p1` (a spike of zero width), which makes
/// two adjacent pieces overlap.
pub fn folds_back(p0: Vec3, p1: Vec3, p2: Vec3) -> bool {
    let incoming = sub(p1, p0);
    let outgoing = sub(p2, p1);
    let (n_in, n_out) = (norm(incoming), norm(outgoing));
    if n_in == 0.0 || n_out == 0.0 {
        return true;
    }
    // cos of the turn angle below -1 + 1e-14: the directions are opposite to within 1.4e-7 rad.
    dot(incoming, outgoing) / (n_in * n_out) < -1.0 + 1e-14
}

/// The closest points of segments `p1→q1` and `p2→q2`: (parameter on the first, parameter on
/// the second, squared distance). Handles parallel and zero-length segments (Ericson, *Real-Time
/// Collision Detection*, 5.1.9).
pub fn closest_on_segments(p1: Vec3, q1: Vec3, p2: Vec3, q2: Vec3) -> (f64, f64, f64) {
    let d1 = sub(q1, p1);
    let d2 = sub(q2, p2);
    let r = sub(p1, p2);
    let a = dot(d1, d1);
    let e = dot(d2, d2);
    let f = dot(d2, r);
    let (s, t);
    if a <= f64::MIN_POSITIVE && e <= f64::MIN_POSITIVE {
        (s, t) = (0.0, 0.0);
    } else if a <= f64::MIN_POSITIVE {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c = dot(d1, r);
        if e <= f64::MIN_POSITIVE {
            t = 0.0;
            s = (-c / a).clamp(0.0, 1.0);
        } else {
            let b = dot(d1, d2);
            let denom = a * e - b * b;
            let s0 = if denom > 0.0 {
                ((b * f - c * e) / denom).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let t0 = (b * s0 + f) / e;
            if t0 < 0.0 {
                t = 0.0;
                s = (-c / a).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t = 1.0;
                s = ((b - c) / a).clamp(0.0, 1.0);
            } else {
                (s, t) = (s0, t0);
            }
        }
    }
    let c1 = add(p1, scale(d1, s));
    let c2 = add(p2, scale(d2, t));
    let gap = sub(c1, c2);
    (s, t, dot(gap, gap))
}

/// The point a fraction `t` along the segment `p→q`.
pub fn lerp(p: Vec3, q: Vec3, t: f64) -> Vec3 {
    add(p, scale(sub(q, p), t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ellipsoid::to_ecef;

    #[test]
    fn crossing_arcs_meet_across_the_antimeridian() {
        let a1 = to_ecef([179.99, -0.01]);
        let a2 = to_ecef([-179.99, 0.01]);
        let b1 = to_ecef([179.99, 0.01]);
        let b2 = to_ecef([-179.99, -0.01]);
        let meet = arcs_meet(a1, a2, b1, b2).expect("they cross");
        let lonlat = crate::ellipsoid::to_lonlat(meet);
        assert!((lonlat[0].abs() - 180.0).abs() < 1e-6 && lonlat[1].abs() < 1e-6);
    }

    #[test]
    fn parallel_arcs_do_not_meet() {
        let a = (to_ecef([10.0, 60.0]), to_ecef([10.05, 60.0]));
        let b = (to_ecef([10.0, 60.001]), to_ecef([10.05, 60.001]));
        assert!(arcs_meet(a.0, a.1, b.0, b.1).is_none());
    }

    #[test]
    fn overlapping_arcs_on_the_equator_meet() {
        let a = (to_ecef([0.0, 0.0]), to_ecef([0.05, 0.0]));
        let b = (to_ecef([0.02, 0.0]), to_ecef([0.08, 0.0]));
        assert!(arcs_meet(a.0, a.1, b.0, b.1).is_some());
        let c = (to_ecef([0.06, 0.0]), to_ecef([0.08, 0.0]));
        assert!(arcs_meet(a.0, a.1, c.0, c.1).is_none());
    }

    #[test]
    fn antipodal_arcs_do_not_meet() {
        let a = (to_ecef([0.0, -0.01]), to_ecef([0.0, 0.01]));
        let b = (to_ecef([-180.0, -0.01]), to_ecef([180.0, 0.01]));
        assert!(arcs_meet(a.0, a.1, b.0, b.1).is_none());
    }

    #[test]
    fn closest_points_of_skew_segments() {
        let (s, t, d2) = closest_on_segments(
            [0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [1.0, -1.0, 3.0],
            [1.0, 1.0, 3.0],
        );
        assert_eq!((s, t, d2), (0.5, 0.5, 9.0));
        let (_, _, d2) = closest_on_segments([0.0; 3], [0.0; 3], [3.0, 4.0, 0.0], [3.0, 4.0, 0.0]);
        assert_eq!(d2, 25.0);
    }

    #[test]
    fn a_spike_folds_back() {
        let p = to_ecef([5.0, 5.0]);
        let q = to_ecef([5.05, 5.0]);
        assert!(folds_back(p, q, p));
        assert!(!folds_back(p, q, to_ecef([5.1, 5.01])));
    }
}
