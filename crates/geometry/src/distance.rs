//! Geodesic distance between footprints, and the closest points that realise it.
//!
//! - Circle–circle: `max(0, d(c1, c2) − r1 − r2)`, exact (GeographicLib inverse). A point is
//!   a circle of radius 0.
//! - Circle–shape: `max(0, d(c, S) − r)`, exact by the triangle inequality along the geodesic
//!   from the centre to the closest point of S.
//! - Polygon–polygon (and point–polygon for the above), where a polygonal footprint is a
//!   Polygon with any holes or a MultiPolygon, all its rings in one outline: 0 if any two
//!   boundary pieces cross (pairs of overlapping boxes in the two `Bvh`s, exact sign tests on
//!   central arcs) or if the first corner of some ring of one is inside the other (gnomonic
//!   crossing count, per part, holes excluded). Outside, the nearest point of a footprint is on
//!   its boundary, holes' included, so the distance is the closest pair of boundary pieces.
//!   Otherwise the closest pair of boundary chords is found by dual-tree branch and bound; the
//!   few pairs whose chord distance is within 0.1 % of the best are then measured exactly: their
//!   closest points are put back on the surface and measured with GeographicLib, and the
//!   smallest geodesic distance wins.
//!
//! Why this is within a few millimetres of the truth: piece ends lie on the filed geodesics and
//! a piece's central arc is within millimetres of the geodesic between them, so the two points
//! measured are (to mm) points of the two shapes, and the answer is never below the truth by
//! more than that. A chord is shorter than the geodesic between its ends by a factor of
//! `d² / (24 ρ²)` (ρ ≈ 6,340–6,400 km), which varies by less than 1e-6 between candidate pairs
//! under 200 km, so the pair chosen by chord distance is also the geodesically closest one to
//! within 1e-6 relative. Farther apart the ratio also depends on direction (flattening), by up
//! to ~0.1 % at 5,000 km; the result is then still the geodesic between two points of the
//! shapes, so it can only err long, and by at most that.
//!
//! No cap-based shortcut is taken for far pairs: the branch and bound already touches only a
//! handful of pieces, so every answer is the accurate one. The bounding caps only skip the
//! crossing and containment tests for shapes that cannot meet.
//!
//! The pair is always computed in a canonical order of the two footprints, so the result is
//! exactly symmetric.

use crate::arc::{self, arcs_meet};
use crate::bvh::{Aabb, Bvh};
use crate::ellipsoid::{self, to_ecef, to_lonlat, Vec3};
use crate::footprint::{Footprint, Shape};
use crate::ring::Outline;
use std::cmp::Ordering;

/// Chord-distance slack within which candidate pairs are measured geodesically.
const CANDIDATE_RELATIVE: f64 = 1e-3;
const CANDIDATE_ABSOLUTE_M: f64 = 0.01;
const CANDIDATES_KEPT: usize = 16;

/// The distance between two footprints and a pair of points realising it (`on_a` in the first,
/// `on_b` in the second; the same point when they meet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Approach {
    pub distance_m: f64,
    pub on_a: [f64; 2],
    pub on_b: [f64; 2],
}

impl Approach {
    fn swapped(self) -> Approach {
        Approach {
            distance_m: self.distance_m,
            on_a: self.on_b,
            on_b: self.on_a,
        }
    }
}

pub fn approach(a: &Footprint, b: &Footprint) -> Approach {
    if canonical_order(a, b) == Ordering::Greater {
        ordered(b, a).swapped()
    } else {
        ordered(a, b)
    }
}

/// A total order on footprints by their cap and then their boundary samples.
fn canonical_order(a: &Footprint, b: &Footprint) -> Ordering {
    let key = |f: &Footprint| [f.cap.centre[0], f.cap.centre[1], f.cap.radius_m];
    let (ka, kb) = (key(a), key(b));
    (0..3)
        .map(|i| ka[i].total_cmp(&kb[i]))
        .chain(
            a.boundary_lonlat()
                .iter()
                .zip(b.boundary_lonlat())
                .flat_map(|(p, q)| [p[0].total_cmp(&q[0]), p[1].total_cmp(&q[1])]),
        )
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.boundary_lonlat().len().cmp(&b.boundary_lonlat().len()))
}

fn ordered(a: &Footprint, b: &Footprint) -> Approach {
    match (&a.shape, &b.shape) {
        (
            Shape::Circle {
                centre: ca,
                radius_m: ra,
                ..
            },
            Shape::Circle {
                centre: cb,
                radius_m: rb,
                ..
            },
        ) => circle_circle(*ca, *ra, *cb, *rb),
        (
            Shape::Circle {
                centre, radius_m, ..
            },
            Shape::Polygon(ring),
        ) => circle_polygon(*centre, *radius_m, ring),
        (
            Shape::Polygon(ring),
            Shape::Circle {
                centre, radius_m, ..
            },
        ) => circle_polygon(*centre, *radius_m, ring).swapped(),
        (Shape::Polygon(ra), Shape::Polygon(rb)) => polygon_polygon(ra, rb),
    }
}

fn circle_circle(ca: [f64; 2], ra: f64, cb: [f64; 2], rb: f64) -> Approach {
    let (d, azimuth) = ellipsoid::inverse(ca, cb);
    if d <= ra + rb {
        // Meeting point on the line of centres, inside both discs.
        let t = (0.5 * (d + ra - rb)).clamp(0.0, d);
        let meet = ellipsoid::direct(ca, azimuth, t);
        return Approach {
            distance_m: 0.0,
            on_a: meet,
            on_b: meet,
        };
    }
    let (_, back) = ellipsoid::inverse(cb, ca);
    Approach {
        distance_m: d - ra - rb,
        on_a: ellipsoid::direct(ca, azimuth, ra),
        on_b: ellipsoid::direct(cb, back, rb),
    }
}

/// Circle (first) against polygon (second).
fn circle_polygon(centre: [f64; 2], radius_m: f64, ring: &Outline) -> Approach {
    let (d, nearest) = point_polygon(centre, ring);
    if d <= radius_m {
        let meet = if d == 0.0 { centre } else { nearest };
        return Approach {
            distance_m: 0.0,
            on_a: meet,
            on_b: meet,
        };
    }
    let (_, azimuth) = ellipsoid::inverse(centre, nearest);
    Approach {
        distance_m: d - radius_m,
        on_a: ellipsoid::direct(centre, azimuth, radius_m),
        on_b: nearest,
    }
}

/// Distance from a point to a polygon (0 inside) and the polygon's closest point.
pub fn point_polygon(p: [f64; 2], ring: &Outline) -> (f64, [f64; 2]) {
    let p_ecef = to_ecef(p);
    if ring.contains(p_ecef) {
        return (0.0, p);
    }
    let point = Bvh::build(vec![Aabb::around(&[p_ecef], 0.0)]);
    let candidates = point.nearest_pairs(
        &ring.bvh,
        |_, j| {
            let (a, b) = ring.piece(j);
            arc::closest_on_segments(p_ecef, p_ecef, a, b).2
        },
        CANDIDATE_RELATIVE,
        CANDIDATE_ABSOLUTE_M,
        CANDIDATES_KEPT,
    );
    candidates
        .iter()
        .map(|&(_, _, j)| {
            let (a, b) = ring.piece(j);
            let (_, t, _) = arc::closest_on_segments(p_ecef, p_ecef, a, b);
            let q = to_lonlat(arc::lerp(a, b, t));
            (ellipsoid::distance_m(p, q), q)
        })
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .expect("a ring has pieces")
}

fn polygon_polygon(ra: &Outline, rb: &Outline) -> Approach {
    if let Some(meet) = meeting_point(ra, rb) {
        return Approach {
            distance_m: 0.0,
            on_a: meet,
            on_b: meet,
        };
    }
    let candidates = ra.bvh.nearest_pairs(
        &rb.bvh,
        |i, j| {
            let (p1, q1) = ra.piece(i);
            let (p2, q2) = rb.piece(j);
            arc::closest_on_segments(p1, q1, p2, q2).2
        },
        CANDIDATE_RELATIVE,
        CANDIDATE_ABSOLUTE_M,
        CANDIDATES_KEPT,
    );
    candidates
        .iter()
        .map(|&(_, i, j)| {
            let (p1, q1) = ra.piece(i);
            let (p2, q2) = rb.piece(j);
            let (s, t, _) = arc::closest_on_segments(p1, q1, p2, q2);
            let on_a = to_lonlat(arc::lerp(p1, q1, s));
            let on_b = to_lonlat(arc::lerp(p2, q2, t));
            Approach {
                distance_m: ellipsoid::distance_m(on_a, on_b),
                on_a,
                on_b,
            }
        })
        .min_by(|x, y| x.distance_m.total_cmp(&y.distance_m))
        .expect("rings have pieces")
}

/// A point common to both polygonal footprints, if they meet: a crossing of their boundaries, or
/// a corner of one inside the other (when one holds a ring of the other). Holes and parts count:
/// a footprint inside another's hole does not meet it.
fn meeting_point(ra: &Outline, rb: &Outline) -> Option<[f64; 2]> {
    let centres_m = ellipsoid::distance_m(ra.cap.centre, rb.cap.centre);
    if centres_m > ra.cap.radius_m + rb.cap.radius_m {
        return None;
    }
    let crossing: Option<Vec3> = ra.bvh.find_overlapping(&rb.bvh, |i, j| {
        let (a1, a2) = ra.piece(i);
        let (b1, b2) = rb.piece(j);
        arcs_meet(a1, a2, b1, b2)
    });
    if let Some(at) = crossing {
        return Some(to_lonlat(at));
    }
    // The boundaries do not meet, so each ring lies wholly inside or wholly outside the other
    // footprint, and the two meet exactly when a ring of one is inside the other.
    if let Some(i) = ra.ring_starts().find(|&i| rb.contains(ra.ecef[i])) {
        return Some(ra.lonlat[i]);
    }
    if let Some(j) = rb.ring_starts().find(|&j| ra.contains(rb.ecef[j])) {
        return Some(rb.lonlat[j]);
    }
    None
}
