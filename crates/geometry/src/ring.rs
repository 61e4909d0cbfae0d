//! A polygonal footprint's boundary, densified and indexed: the form every computation on a
//! Polygon or MultiPolygon uses.
//!
//! Each filed edge (a WGS84 geodesic) is split into equal pieces of at most
//! [`crate::MAX_PIECE_M`]; the piece ends lie exactly on the geodesic (GeographicLib direct) and
//! each piece is treated as a central arc (see `arc`). All the rings of all the parts (exterior
//! rings and holes) go into one [`Outline`]: one list of points, one [`Bvh`] over every piece,
//! so crossing and closest-pair searches between two footprints are one dual-tree walk however
//! many rings they have. The points are also kept in a gnomonic plane centred on the footprint,
//! where central arcs are straight lines, so point-in-polygon is a planar crossing count: per
//! part, over its exterior ring and its holes (even-odd: inside the exterior and outside every
//! hole), and inside the footprint when inside any part.

use crate::arc::{arcs_meet, folds_back, meet_only_at_shared_end};
use crate::bvh::{Aabb, Bvh};
use crate::ellipsoid::{self, cross, dot, norm, to_ecef, unit, Vec3, RHO_MIN_M};
use crate::error::RingAt;
use crate::MAX_PIECE_M;
use std::ops::Range;

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

/// A ring as validated: its distinct corners (not closed), each corner's index in the filed
/// ring, the geodesic edges between them, and where the ring is.
#[derive(Debug, Clone)]
pub struct RingCorners {
    pub at: RingAt,
    pub corners: Vec<[f64; 2]>,
    pub position_of: Vec<usize>,
    pub edges: Vec<Edge>,
}

/// Every ring of a polygonal footprint, densified (rings not closed: piece `i` runs from point
/// `i` to point `next[i]`, the ring's last point back to its first).
#[derive(Debug, Clone)]
pub struct Outline {
    pub lonlat: Vec<[f64; 2]>,
    pub ecef: Vec<Vec3>,
    next: Vec<u32>,
    /// For each piece, its ring (an index into `rings`).
    ring_of_piece: Vec<u32>,
    /// For each piece, the position index where its filed edge starts (for error messages).
    pub edge_of_piece: Vec<usize>,
    /// Each ring's points, and where it was filed.
    pub rings: Vec<(Range<usize>, RingAt)>,
    /// Each part's rings (indices into `rings`): the exterior ring first, then its holes.
    pub parts: Vec<Range<usize>>,
    part_of_ring: Vec<u32>,
    /// How far any piece's arc can bulge out of its chord's box (m).
    pub bulge_m: f64,
    pub cap: Cap,
    pub bvh: Bvh,
    plane: Gnomonic,
    projected: Vec<[f64; 2]>,
}

/// Where two pieces of an outline meet, when a ring crosses or touches itself or another ring
/// of its polygon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Meeting {
    /// A ring meets itself: filed edges `edge_a` and `edge_b` of ring `ring`.
    Itself {
        ring: usize,
        edge_a: usize,
        edge_b: usize,
        at: [f64; 2],
    },
    /// Two rings of one polygon meet (`ring_a < ring_b`).
    Rings {
        ring_a: usize,
        ring_b: usize,
        at: [f64; 2],
    },
}

impl Outline {
    /// Densifies the rings (`parts[p]` lists part p's rings in `rings`, exterior first) and
    /// indexes them. Refuses, with the radius of its bounding cap, a footprint that reaches
    /// further than `max_radius_m` from its centre (the gnomonic plane needs it well inside one
    /// hemisphere).
    pub fn densify(
        rings: &[RingCorners],
        parts: Vec<Range<usize>>,
        max_radius_m: f64,
    ) -> Result<Outline, f64> {
        let mut lonlat = Vec::new();
        let mut edge_of_piece = Vec::new();
        let mut ranges = Vec::with_capacity(rings.len());
        for ring in rings {
            let start = lonlat.len();
            for (k, edge) in ring.edges.iter().enumerate() {
                let pieces = (edge.length_m / MAX_PIECE_M).ceil().max(1.0) as usize;
                lonlat.push(ring.corners[k]);
                edge_of_piece.push(ring.position_of[k]);
                for step in 1..pieces {
                    let s = edge.length_m * step as f64 / pieces as f64;
                    lonlat.push(ellipsoid::direct(ring.corners[k], edge.azimuth_deg, s));
                    edge_of_piece.push(ring.position_of[k]);
                }
            }
            ranges.push((start..lonlat.len(), ring.at));
        }
        let mut next = Vec::with_capacity(lonlat.len());
        let mut ring_of_piece = Vec::with_capacity(lonlat.len());
        for (r, (range, _)) in ranges.iter().enumerate() {
            for i in range.clone() {
                next.push(if i + 1 == range.end {
                    range.start
                } else {
                    i + 1
                } as u32);
                ring_of_piece.push(r as u32);
            }
        }
        let ecef: Vec<Vec3> = lonlat.iter().map(|&p| to_ecef(p)).collect();
        let cap = Cap::around(&lonlat, &ecef);
        if cap.radius_m > max_radius_m {
            return Err(cap.radius_m);
        }
        let mut bulge_m: f64 = 0.0;
        let boxes = (0..ecef.len())
            .map(|i| {
                let (p, q) = (ecef[i], ecef[next[i] as usize]);
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
                    .expect("footprint within a quarter globe of its centre")
            })
            .collect();
        let mut part_of_ring = vec![0; ranges.len()];
        for (part, rings) in parts.iter().enumerate() {
            for ring in rings.clone() {
                part_of_ring[ring] = part as u32;
            }
        }
        Ok(Outline {
            part_of_ring,
            lonlat,
            ecef,
            next,
            ring_of_piece,
            edge_of_piece,
            rings: ranges,
            parts,
            bulge_m,
            cap,
            bvh: Bvh::build(boxes),
            plane,
            projected,
        })
    }

    /// Piece `i` as its two ECEF end points.
    pub fn piece(&self, i: usize) -> (Vec3, Vec3) {
        (self.ecef[i], self.ecef[self.next[i] as usize])
    }

    /// The first place where a ring crosses or touches itself or another ring of its polygon,
    /// if any, and the pairs of rings of one polygon that touch at a shared corner (and meet
    /// nowhere else between those pieces): a hole may touch its exterior ring or another hole at
    /// a point (OGC Simple Features), which [`Outline::touching_ring_stays_on_its_side`] checks.
    /// Rings of different parts may meet (the footprint is their union).
    pub fn meeting(&self) -> (Option<Meeting>, Vec<(usize, usize)>) {
        for (range, _) in &self.rings {
            let (start, end) = (range.start, range.end);
            let n = end - start;
            for k in 0..n {
                let prev = start + (k + n - 1) % n;
                let (here, after) = (start + k, start + (k + 1) % n);
                if folds_back(self.ecef[prev], self.ecef[here], self.ecef[after]) {
                    return (
                        Some(self.meeting_at(prev, here, self.ecef[here])),
                        Vec::new(),
                    );
                }
            }
        }
        let mut touching = Vec::new();
        let found = self.bvh.find_overlapping(&self.bvh, |i, j| {
            let adjacent = j == self.next[i] as usize || i == self.next[j] as usize;
            if i >= j || adjacent {
                return None;
            }
            let (ri, rj) = (self.ring_of_piece[i], self.ring_of_piece[j]);
            if self.part_of_ring[ri as usize] != self.part_of_ring[rj as usize] {
                return None;
            }
            let (a1, a2) = self.piece(i);
            let (b1, b2) = self.piece(j);
            let at = arcs_meet(a1, a2, b1, b2)?;
            if ri != rj && meet_only_at_shared_end(a1, a2, b1, b2) {
                let pair = (ri.min(rj) as usize, ri.max(rj) as usize);
                if !touching.contains(&pair) {
                    touching.push(pair);
                }
                return None;
            }
            Some(self.meeting_at(i, j, at))
        });
        (found, touching)
    }

    /// For rings `inner` and `outer` of one polygon that touch at corners: whether the middle
    /// of every piece of `inner` is inside `outer` (`inside`) or outside it (`!inside`), so the
    /// touch does not cross. The middle of a piece is never a shared corner.
    pub fn touching_ring_stays_on_its_side(
        &self,
        inner: usize,
        outer: usize,
        inside: bool,
    ) -> bool {
        self.rings[inner].0.clone().all(|i| {
            let (p, q) = self.piece(i);
            self.ring_contains(outer, ellipsoid::scale(ellipsoid::add(p, q), 0.5)) == inside
        })
    }

    /// A point of ring `ring` that is not one of its corners (the middle of its first piece), to
    /// tell on which side of another ring it lies when the two may touch at corners.
    pub fn inner_point(&self, ring: usize) -> Vec3 {
        let (p, q) = self.piece(self.rings[ring].0.start);
        ellipsoid::scale(ellipsoid::add(p, q), 0.5)
    }

    fn meeting_at(&self, i: usize, j: usize, at: Vec3) -> Meeting {
        let at = ellipsoid::to_lonlat(at);
        let (ri, rj) = (
            self.ring_of_piece[i] as usize,
            self.ring_of_piece[j] as usize,
        );
        if ri == rj {
            Meeting::Itself {
                ring: ri,
                edge_a: self.edge_of_piece[i].min(self.edge_of_piece[j]),
                edge_b: self.edge_of_piece[i].max(self.edge_of_piece[j]),
                at,
            }
        } else {
            Meeting::Rings {
                ring_a: ri.min(rj),
                ring_b: ri.max(rj),
                at,
            }
        }
    }

    /// Whether the projected point `[x, y]` is inside ring `ring` alone (boundary: either
    /// answer).
    fn ring_contains_projected(&self, ring: usize, [x, y]: [f64; 2]) -> bool {
        let range = self.rings[ring].0.clone();
        let points = &self.projected[range];
        let n = points.len();
        let mut inside = false;
        let mut previous = points[n - 1];
        for &[bx, by] in points {
            let [ax, ay] = previous;
            if (ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay) {
                inside = !inside;
            }
            previous = [bx, by];
        }
        inside
    }

    /// Whether the surface point `p` (ECEF) is inside ring `ring` alone.
    pub fn ring_contains(&self, ring: usize, p: Vec3) -> bool {
        self.plane
            .project(p)
            .is_some_and(|xy| self.ring_contains_projected(ring, xy))
    }

    /// Whether the surface point `p` (ECEF) is inside the footprint: inside some part's
    /// exterior ring and outside that part's holes (boundary: either answer).
    pub fn contains(&self, p: Vec3) -> bool {
        let Some(xy) = self.plane.project(p) else {
            return false;
        };
        self.parts.iter().any(|rings| {
            rings
                .clone()
                .filter(|&ring| self.ring_contains_projected(ring, xy))
                .count()
                % 2
                == 1
        })
    }

    /// Twice the area swept from ring `ring`'s first point to each of its pieces, unsigned, in
    /// the gnomonic plane (m², nearly true for small rings): 0 exactly when every point of the
    /// ring lies on one line, and small when the ring is thin. Only used to tell a ring with
    /// no area.
    pub fn fan_area_m2(&self, ring: usize) -> f64 {
        let range = self.rings[ring].0.clone();
        let points = &self.projected[range];
        let [ox, oy] = points[0];
        let twice: f64 = points
            .windows(2)
            .map(|w| {
                let ([ax, ay], [bx, by]) = (w[0], w[1]);
                ((ax - ox) * (by - oy) - (bx - ox) * (ay - oy)).abs()
            })
            .sum();
        0.5 * twice
    }

    /// The first point of each ring: a point of every connected piece of the boundary.
    pub fn ring_starts(&self) -> impl Iterator<Item = usize> + '_ {
        self.rings.iter().map(|(range, _)| range.start)
    }
}
