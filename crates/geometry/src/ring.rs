//! A polygon's boundary, densified and indexed: the form every computation on a polygon uses.
//!
//! Each filed edge (a WGS84 geodesic) is split into equal pieces of at most
//! [`crate::MAX_PIECE_M`]; the piece ends lie exactly on the geodesic (GeographicLib direct) and
//! each piece is treated as a central arc (see `arc`). The ring also keeps its pieces'
//! boxes in a [`Bvh`], and its corners in a gnomonic plane centred on the ring, where central
//! arcs are straight lines, so point-in-polygon is a planar crossing count.

use crate::arc::{self, arcs_meet, folds_back};
use crate::bvh::{Aabb, Bvh};
use crate::ellipsoid::{self, cross, dot, norm, to_ecef, unit, Vec3, RHO_MIN_M};
use crate::MAX_PIECE_M;

/// The gnomonic (central) projection onto the plane tangent to the sphere of radius
/// `radius_m` in direction `up`: `p ↦ radius_m · (p·east, p·north) / (p·up)`. Central arcs map
/// to straight lines; distances near the centre are nearly true.
#[derive(Debug, Clone)]
pub struct Gnomonic {
    up: Vec3,
    east: Vec3,
    north: Vec3,
    radius_m: f64,
}

impl Gnomonic {
    pub fn at(centre: [f64; 2]) -> Gnomonic {
        let origin = to_ecef(centre);
        let up = unit(origin);
        let east = if up[0].abs() < 1e-12 && up[1].abs() < 1e-12 {
            [1.0, 0.0, 0.0]
        } else {
            unit(cross([0.0, 0.0, 1.0], up))
        };
        Gnomonic {
            up,
            east,
            north: cross(up, east),
            radius_m: norm(origin),
        }
    }

    /// `None` for points in the other hemisphere, which the plane cannot show.
    pub fn project(&self, p: Vec3) -> Option<[f64; 2]> {
        let height = dot(p, self.up);
        if height <= 0.0 {
            return None;
        }
        let k = self.radius_m / height;
        Some([k * dot(p, self.east), k * dot(p, self.north)])
    }
}

/// A validated, densified ring (not closed: piece `i` runs from point `i` to point `i + 1`,
/// the last one back to point 0).
#[derive(Debug, Clone)]
pub struct Ring {
    pub lonlat: Vec<[f64; 2]>,
    pub ecef: Vec<Vec3>,
    /// For each piece, the position index where its filed edge starts (for error messages).
    pub edge_of_piece: Vec<usize>,
    /// How far any piece's arc can bulge out of its chord's box (m).
    pub bulge_m: f64,
    pub cap: Cap,
    pub bvh: Bvh,
    plane: Gnomonic,
    projected: Vec<[f64; 2]>,
}

/// A spherical cap around a shape: every point of the shape is within `radius_m` (geodesic) of
/// `centre`. Gives cheap lower bounds: two shapes are at least
/// `distance(centre_a, centre_b) - radius_a - radius_b` apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cap {
    pub centre: [f64; 2],
    pub radius_m: f64,
}

impl Cap {
    /// The cap centred on the normalised ECEF mean of the points (well defined across the
    /// antimeridian and near the poles). Points sampled at most `MAX_PIECE_M` apart along short
    /// arcs: the arcs between them stay within the radius plus a metre.
    pub fn around(lonlat: &[[f64; 2]], ecef: &[Vec3]) -> Cap {
        let sum = ecef.iter().fold([0.0; 3], |acc, &p| ellipsoid::add(acc, p));
        if norm(sum) < 1e3 * ecef.len() as f64 {
            // Points spread around the globe: no useful cap.
            return Cap {
                centre: [0.0, 0.0],
                radius_m: f64::INFINITY,
            };
        }
        let centre = ellipsoid::direction_to_lonlat(sum);
        let radius_m = lonlat
            .iter()
            .map(|&p| ellipsoid::distance_m(centre, p))
            .fold(0.0, f64::max);
        Cap {
            centre,
            radius_m: radius_m * (1.0 + 1e-9) + 1.0,
        }
    }
}

/// A filed edge: its length and azimuth at the start.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub length_m: f64,
    pub azimuth_deg: f64,
}

/// The geodesic edges between consecutive corners (closing edge included).
pub fn edges(corners: &[[f64; 2]]) -> Vec<Edge> {
    (0..corners.len())
        .map(|k| {
            let (length_m, azimuth_deg) =
                ellipsoid::inverse(corners[k], corners[(k + 1) % corners.len()]);
            Edge {
                length_m,
                azimuth_deg,
            }
        })
        .collect()
}

/// Where two pieces of a ring meet, when the ring crosses or touches itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfCrossing {
    pub edge_a: usize,
    pub edge_b: usize,
    pub at: [f64; 2],
}

impl Ring {
    /// Densifies the ring through `corners` (distinct consecutive corners, not closed;
    /// `position_of[k]` is corner k's index in the filed ring) and indexes it. Refuses, with the
    /// radius of its bounding cap, a ring that reaches further than `max_radius_m` from its
    /// centre (the gnomonic plane needs the ring well inside one hemisphere).
    pub fn densify(
        corners: &[[f64; 2]],
        position_of: &[usize],
        edges: &[Edge],
        max_radius_m: f64,
    ) -> Result<Ring, f64> {
        let mut lonlat = Vec::new();
        let mut edge_of_piece = Vec::new();
        for (k, edge) in edges.iter().enumerate() {
            let pieces = (edge.length_m / MAX_PIECE_M).ceil().max(1.0) as usize;
            lonlat.push(corners[k]);
            edge_of_piece.push(position_of[k]);
            for step in 1..pieces {
                let s = edge.length_m * step as f64 / pieces as f64;
                lonlat.push(ellipsoid::direct(corners[k], edge.azimuth_deg, s));
                edge_of_piece.push(position_of[k]);
            }
        }
        let ecef: Vec<Vec3> = lonlat.iter().map(|&p| to_ecef(p)).collect();
        let cap = Cap::around(&lonlat, &ecef);
        if cap.radius_m > max_radius_m {
            return Err(cap.radius_m);
        }
        let n = ecef.len();
        let mut bulge_m: f64 = 0.0;
        let boxes = (0..n)
            .map(|i| {
                let (p, q) = (ecef[i], ecef[(i + 1) % n]);
                let chord = norm(ellipsoid::sub(q, p));
                let bulge = chord * chord / (8.0 * RHO_MIN_M) + 0.01;
                bulge_m = bulge_m.max(bulge);
                Aabb::around(&[p, q], bulge)
            })
            .collect();
        let plane = Gnomonic::at(cap.centre);
        let projected = ecef
            .iter()
            .map(|&p| {
                plane
                    .project(p)
                    .expect("ring within a quarter globe of its centre")
            })
            .collect();
        Ok(Ring {
            lonlat,
            ecef,
            edge_of_piece,
            bulge_m,
            cap,
            bvh: Bvh::build(boxes),
            plane,
            projected,
        })
    }

    pub fn len(&self) -> usize {
        self.ecef.len()
    }

    /// Piece `i` as its two ECEF end points.
    pub fn piece(&self, i: usize) -> (Vec3, Vec3) {
        (self.ecef[i], self.ecef[(i + 1) % self.len()])
    }

    /// The first place where the ring crosses or touches itself, if any.
    pub fn self_crossing(&self) -> Option<SelfCrossing> {
        let n = self.len();
        let crossing = |i: usize, j: usize, at: Vec3| SelfCrossing {
            edge_a: self.edge_of_piece[i].min(self.edge_of_piece[j]),
            edge_b: self.edge_of_piece[i].max(self.edge_of_piece[j]),
            at: ellipsoid::to_lonlat(at),
        };
        for k in 0..n {
            let (prev, next) = ((k + n - 1) % n, (k + 1) % n);
            if folds_back(self.ecef[prev], self.ecef[k], self.ecef[next]) {
                return Some(crossing(prev, k, self.ecef[k]));
            }
        }
        self.bvh.find_overlapping(&self.bvh, |i, j| {
            let adjacent = j == (i + 1) % n || i == (j + 1) % n;
            if i >= j || adjacent {
                return None;
            }
            let (a1, a2) = self.piece(i);
            let (b1, b2) = self.piece(j);
            arcs_meet(a1, a2, b1, b2).map(|at| crossing(i, j, at))
        })
    }

    /// Whether the surface point `p` (ECEF) is inside the ring (boundary: either answer).
    pub fn contains(&self, p: Vec3) -> bool {
        let Some([x, y]) = self.plane.project(p) else {
            return false;
        };
        let n = self.projected.len();
        let mut inside = false;
        for i in 0..n {
            let [ax, ay] = self.projected[i];
            let [bx, by] = self.projected[(i + 1) % n];
            if (ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay) {
                inside = !inside;
            }
        }
        inside
    }

    /// Area in the gnomonic plane (m², nearly true for small rings; only used to tell a ring
    /// with no area).
    pub fn planar_area_m2(&self) -> f64 {
        let n = self.projected.len();
        let twice: f64 = (0..n)
            .map(|i| {
                let [ax, ay] = self.projected[i];
                let [bx, by] = self.projected[(i + 1) % n];
                ax * by - bx * ay
            })
            .sum();
        (0.5 * twice).abs()
    }

    /// Chord distance from `p` to the nearest piece, with that piece and the parameter along it.
    pub fn nearest_piece(&self, p: Vec3) -> (f64, usize, f64) {
        let point = Bvh::build(vec![Aabb::around(&[p], 0.0)]);
        let found = point.nearest_pairs(
            &self.bvh,
            |_, j| {
                let (a, b) = self.piece(j);
                arc::closest_on_segments(p, p, a, b).2
            },
            0.0,
            0.0,
            1,
        );
        let (d2, _, j) = found[0];
        let (a, b) = self.piece(j);
        let t = arc::closest_on_segments(p, p, a, b).1;
        (d2.sqrt(), j, t)
    }
}
