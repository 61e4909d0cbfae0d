//! Shared helpers for the integration tests: spec builders, and a brute-force geodesic reference
//! that shares no code with the crate (GeographicLib sampling only).

#![allow(dead_code)]

use deconflict_geometry::{Footprint, FootprintSpec, Limits};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};

pub fn geod() -> Geodesic {
    Geodesic::wgs84()
}

pub fn wrap(lon: f64) -> f64 {
    let w = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if w >= 180.0 {
        w - 360.0
    } else {
        w
    }
}

/// Geodesic distance and azimuth from a to b.
pub fn inverse(a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (s, azi1, _, _): (f64, f64, f64, f64) = geod().inverse(a[1], a[0], b[1], b[0]);
    (s, azi1)
}

pub fn direct(a: [f64; 2], azimuth: f64, s: f64) -> [f64; 2] {
    let (lat, lon): (f64, f64) = geod().direct(a[1], a[0], azimuth, s);
    [wrap(lon), lat]
}

pub fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    geod().inverse(a[1], a[0], b[1], b[0])
}

/// A closed polygon spec from its corners (the closing position is added).
pub fn polygon(corners: &[[f64; 2]]) -> FootprintSpec {
    let mut ring: Vec<Vec<f64>> = corners.iter().map(|p| p.to_vec()).collect();
    ring.push(corners[0].to_vec());
    FootprintSpec::Polygon {
        coordinates: vec![ring],
    }
}

/// An axis-aligned lon/lat box (edges are geodesics between its corners).
pub fn square(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> FootprintSpec {
    polygon(&[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1]])
}

pub fn circle(center: [f64; 2], radius_m: f64) -> FootprintSpec {
    FootprintSpec::Circle {
        center: center.to_vec(),
        radius_m,
    }
}

pub fn footprint(spec: &FootprintSpec) -> Footprint {
    Footprint::from_spec(spec, &Limits::default()).expect("valid footprint")
}

/// A star-shaped polygon around `centre`: corner k at azimuth `azimuths[k]` (increasing) and
/// geodesic distance `radii[k]`.
pub fn star(centre: [f64; 2], azimuths: &[f64], radii: &[f64]) -> FootprintSpec {
    FootprintSpec::Polygon {
        coordinates: vec![star_ring(centre, azimuths, radii)],
    }
}

/// The closed ring of [`star`].
pub fn star_ring(centre: [f64; 2], azimuths: &[f64], radii: &[f64]) -> Vec<Vec<f64>> {
    let mut ring: Vec<Vec<f64>> = azimuths
        .iter()
        .zip(radii)
        .map(|(&az, &r)| direct(centre, az, r).to_vec())
        .collect();
    ring.push(ring[0].clone());
    ring
}

/// A closed ring through `corners`.
pub fn closed_ring(corners: &[[f64; 2]]) -> Vec<Vec<f64>> {
    let mut ring: Vec<Vec<f64>> = corners.iter().map(|p| p.to_vec()).collect();
    ring.push(corners[0].to_vec());
    ring
}

/// The same footprint with every longitude moved by `delta_lon` (wrapped into [-180, 180]).
pub fn shifted(spec: &FootprintSpec, delta_lon: f64) -> FootprintSpec {
    let position = |p: &Vec<f64>| vec![wrap(p[0] + delta_lon), p[1]];
    let ring = |ring: &Vec<Vec<f64>>| ring.iter().map(position).collect::<Vec<_>>();
    let rings = |rings: &Vec<Vec<Vec<f64>>>| rings.iter().map(ring).collect::<Vec<_>>();
    match spec {
        FootprintSpec::Polygon { coordinates } => FootprintSpec::Polygon {
            coordinates: rings(coordinates),
        },
        FootprintSpec::MultiPolygon { coordinates } => FootprintSpec::MultiPolygon {
            coordinates: coordinates.iter().map(rings).collect(),
        },
        FootprintSpec::Point { coordinates } => FootprintSpec::Point {
            coordinates: position(coordinates),
        },
        FootprintSpec::Circle { center, radius_m } => FootprintSpec::Circle {
            center: position(center),
            radius_m: *radius_m,
        },
    }
}

/// One closed loop of a footprint's boundary (a polygon ring, or a circle's edge) as a function
/// of one parameter `u` in `[0, units)`: for a ring, edge `floor(u)` at fraction `fract(u)`
/// along its geodesic; for a circle, azimuth `u` degrees.
pub struct Boundary {
    kind: BoundaryKind,
}

enum BoundaryKind {
    Polygon {
        corners: Vec<[f64; 2]>,
        edges: Vec<(f64, f64)>,
    },
    Circle {
        centre: [f64; 2],
        radius_m: f64,
    },
}

/// A footprint for the reference: its polygons (each as loops, exterior first, then holes) or
/// one circle (a point is a circle of radius 0).
pub struct Shape {
    pub parts: Vec<Vec<Boundary>>,
}

impl Shape {
    pub fn of(spec: &FootprintSpec) -> Shape {
        let ring = |ring: &Vec<Vec<f64>>| Boundary::ring(ring);
        let parts = match spec {
            FootprintSpec::Polygon { coordinates } => vec![coordinates.iter().map(ring).collect()],
            FootprintSpec::MultiPolygon { coordinates } => coordinates
                .iter()
                .map(|rings| rings.iter().map(ring).collect())
                .collect(),
            FootprintSpec::Point { coordinates } => {
                vec![vec![Boundary::circle(
                    [coordinates[0], coordinates[1]],
                    0.0,
                )]]
            }
            FootprintSpec::Circle { center, radius_m } => {
                vec![vec![Boundary::circle([center[0], center[1]], *radius_m)]]
            }
        };
        Shape { parts }
    }

    pub fn loops(&self) -> impl Iterator<Item = &Boundary> {
        self.parts.iter().flatten()
    }
}

impl Boundary {
    /// The exterior loop of a Polygon or circle (the first loop of the first part).
    pub fn of(spec: &FootprintSpec) -> Boundary {
        Shape::of(spec).parts.swap_remove(0).swap_remove(0)
    }

    /// A closed ring of `[lon, lat]` positions (last == first).
    pub fn ring(ring: &[Vec<f64>]) -> Boundary {
        let corners: Vec<[f64; 2]> = ring[..ring.len() - 1]
            .iter()
            .map(|p| [p[0], p[1]])
            .collect();
        let edges = (0..corners.len())
            .map(|k| inverse(corners[k], corners[(k + 1) % corners.len()]))
            .collect();
        Boundary {
            kind: BoundaryKind::Polygon { corners, edges },
        }
    }

    pub fn circle(centre: [f64; 2], radius_m: f64) -> Boundary {
        Boundary {
            kind: BoundaryKind::Circle { centre, radius_m },
        }
    }

    /// How far the parameter moves per metre along the boundary at `u`.
    pub fn per_metre(&self, u: f64) -> f64 {
        let u = u.rem_euclid(self.units());
        match &self.kind {
            BoundaryKind::Polygon { corners, edges } => {
                let k = (u.floor() as usize).min(corners.len() - 1);
                1.0 / edges[k].0.max(1e-3)
            }
            BoundaryKind::Circle { radius_m, .. } => {
                360.0 / (std::f64::consts::TAU * radius_m.max(1e-3))
            }
        }
    }

    pub fn units(&self) -> f64 {
        match &self.kind {
            BoundaryKind::Polygon { corners, .. } => corners.len() as f64,
            BoundaryKind::Circle { .. } => 360.0,
        }
    }

    pub fn at(&self, u: f64) -> [f64; 2] {
        let u = u.rem_euclid(self.units());
        match &self.kind {
            BoundaryKind::Polygon { corners, edges } => {
                let k = (u.floor() as usize).min(corners.len() - 1);
                let (s, az) = edges[k];
                direct(corners[k], az, s * (u - k as f64))
            }
            BoundaryKind::Circle { centre, radius_m } => direct(*centre, u, *radius_m),
        }
    }

    /// Parameters sampling the boundary every `spacing_m` or closer.
    pub fn params(&self, spacing_m: f64) -> Vec<f64> {
        match &self.kind {
            BoundaryKind::Polygon { edges, .. } => edges
                .iter()
                .enumerate()
                .flat_map(|(k, e)| {
                    let n = (e.0 / spacing_m).ceil().max(1.0) as usize;
                    (0..n).map(move |i| k as f64 + i as f64 / n as f64)
                })
                .collect(),
            BoundaryKind::Circle { radius_m, .. } if *radius_m == 0.0 => vec![0.0],
            BoundaryKind::Circle { radius_m, .. } => {
                let n = (std::f64::consts::TAU * radius_m / spacing_m)
                    .ceil()
                    .max(360.0) as usize;
                (0..n).map(|i| 360.0 * i as f64 / n as f64).collect()
            }
        }
    }
}

/// ECEF of a surface point (WGS84), for chord distances (cheap, and ranked like geodesics).
pub fn ecef(p: [f64; 2]) -> [f64; 3] {
    let a = 6_378_137.0;
    let f = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    let n = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    [
        n * lat.cos() * lon.cos(),
        n * lat.cos() * lon.sin(),
        n * (1.0 - e2) * lat.sin(),
    ]
}

fn chord(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// For each point of `a`, the smallest geodesic distance to a point of `b` and which one. Only
/// the points of `b` whose chord is within 1e-6 (+1 m) of the shortest chord are measured: for a
/// fixed point the geodesic/chord ratio varies far less than that across a few kilometres.
/// Skipping a pair can only make the reference longer, never shorter than the truth.
fn row_minima(a: &[[f64; 2]], b: &[[f64; 2]]) -> Vec<(f64, usize)> {
    let eb: Vec<[f64; 3]> = b.iter().map(|&p| ecef(p)).collect();
    a.iter()
        .map(|&p| {
            let ep = ecef(p);
            let chords: Vec<f64> = eb.iter().map(|q| chord(&ep, q)).collect();
            let shortest = chords.iter().copied().fold(f64::INFINITY, f64::min);
            let cutoff = shortest * (1.0 + 1e-6) + 1.0;
            (0..b.len())
                .filter(|&j| chords[j] <= cutoff)
                .map(|j| (dist(p, b[j]), j))
                .min_by(|x, y| x.0.total_cmp(&y.0))
                .expect("samples")
        })
        .collect()
}

fn min_pair(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    row_minima(a, b)
        .iter()
        .map(|r| r.0)
        .fold(f64::INFINITY, f64::min)
}

/// An azimuthal-equidistant plane around `centre` (exact geodesic azimuths and distances from
/// GeographicLib; the shapes here are small enough that 200 m chords are straight in it, and
/// it shows a pole like any other point).
fn to_plane(centre: [f64; 2], q: [f64; 2]) -> [f64; 2] {
    let (s, az) = inverse(centre, q);
    [s * az.to_radians().sin(), s * az.to_radians().cos()]
}

/// Whether the plane point `[x, y]` is inside the closed polyline `ring` (crossing count).
fn inside_ring(ring: &[[f64; 2]], [x, y]: [f64; 2]) -> bool {
    let mut inside = false;
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        if (a[1] > y) != (b[1] > y) && x < a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
            inside = !inside;
        }
    }
    inside
}

/// Whether any of `points` is inside the polygon sampled by `ring`, by a crossing count in one
/// azimuthal-equidistant plane centred at `centre`.
pub fn any_inside(points: &[[f64; 2]], ring: &[[f64; 2]], centre: [f64; 2]) -> bool {
    let plane: Vec<[f64; 2]> = ring.iter().map(|&q| to_plane(centre, q)).collect();
    points
        .iter()
        .any(|&p| inside_ring(&plane, to_plane(centre, p)))
}

/// A footprint sampled every `spacing_m` or closer, for inside tests: per part, its loops in
/// the plane around `centre`.
struct Sampled {
    centre: [f64; 2],
    parts: Vec<Vec<Vec<[f64; 2]>>>,
}

impl Sampled {
    fn of(shape: &Shape, spacing_m: f64, centre: [f64; 2]) -> Sampled {
        let parts = shape
            .parts
            .iter()
            .map(|loops| {
                loops
                    .iter()
                    .map(|b| {
                        b.params(spacing_m)
                            .iter()
                            .map(|&u| to_plane(centre, b.at(u)))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Sampled { centre, parts }
    }

    /// Inside some part: inside its exterior loop and outside its holes (even-odd).
    fn contains(&self, p: [f64; 2]) -> bool {
        let xy = to_plane(self.centre, p);
        self.parts
            .iter()
            .any(|loops| loops.iter().filter(|l| inside_ring(l, xy)).count() % 2 == 1)
    }
}

/// Brute-force geodesic distance from the surface point `p` to a footprint (0 inside): the
/// smallest [`brute_distance`] to its loops, by the same sampling.
pub fn brute_point_distance(spec: &FootprintSpec, p: [f64; 2], spacing_m: f64) -> f64 {
    brute_distance(
        spec,
        &FootprintSpec::Point {
            coordinates: p.to_vec(),
        },
        spacing_m,
    )
}

/// Brute-force geodesic distance between two footprints (Polygons with holes, MultiPolygons,
/// circles, points): every loop of each sampled every `spacing_m` or closer; 0 if a sample of
/// one is inside the other (inside a part's exterior loop and outside its holes, in a plane
/// around a sample); otherwise the closest pair of samples over every pair of loops, each
/// refined by [`loop_distance`]. Outside each other, the closest points of two footprints are
/// on their boundaries (holes' included), so this is the distance.
pub fn brute_distance(a: &FootprintSpec, b: &FootprintSpec, spacing_m: f64) -> f64 {
    let (sa, sb) = (Shape::of(a), Shape::of(b));
    let samples = |shape: &Shape| -> Vec<[f64; 2]> {
        shape
            .loops()
            .flat_map(|l| l.params(spacing_m).into_iter().map(move |u| l.at(u)))
            .collect()
    };
    let (pa, pb) = (samples(&sa), samples(&sb));
    let centre = pa[0];
    let (in_a, in_b) = (
        Sampled::of(&sa, spacing_m, centre),
        Sampled::of(&sb, spacing_m, centre),
    );
    if pa.iter().any(|&p| in_b.contains(p)) || pb.iter().any(|&p| in_a.contains(p)) {
        return 0.0;
    }
    sa.loops()
        .flat_map(|la| sb.loops().map(move |lb| (la, lb)))
        .map(|(la, lb)| loop_distance(la, lb, spacing_m))
        .fold(f64::INFINITY, f64::min)
}

/// Brute-force geodesic distance between two loops: both sampled every `spacing_m` or closer;
/// the closest pair of samples, refined in two steps. First the stretches of each loop that
/// come within that distance plus two samples of the other are resampled densely (up to 200
/// times finer, at most ~600 points a side). Then the eight closest dense pairs are each zoomed
/// into: a 21 × 21 grid of boundary points around the pair, shrunk five-fold around its closest
/// pair, down to millimetres. Every value it can return is the geodesic between two boundary
/// points, so it is never below the truth; the zoom takes it to within millimetres of it even
/// where a dense step leaves tens of metres between samples (two edges a few metres apart,
/// interlocking shapes).
fn loop_distance(ba: &Boundary, bb: &Boundary, spacing_m: f64) -> f64 {
    let (ua, ub) = (ba.params(spacing_m), bb.params(spacing_m));
    let pa: Vec<[f64; 2]> = ua.iter().map(|&u| ba.at(u)).collect();
    let pb: Vec<[f64; 2]> = ub.iter().map(|&u| bb.at(u)).collect();
    let (rows_a, rows_b) = (row_minima(&pa, &pb), row_minima(&pb, &pa));
    let coarse = rows_a.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let limit = coarse + 2.0 * spacing_m;
    let dense = |b: &Boundary, u: &[f64], rows: &[(f64, usize)]| -> Vec<f64> {
        let near: Vec<usize> = (0..u.len()).filter(|&i| rows[i].0 <= limit).collect();
        let per = (600 / near.len()).clamp(4, 400);
        near.iter()
            .flat_map(|&i| {
                let lo = u[(i + u.len() - 1) % u.len()];
                let span = (u[(i + 1) % u.len()] - lo).rem_euclid(b.units());
                (0..=per).map(move |s| lo + span * s as f64 / per as f64)
            })
            .collect()
    };
    let (da, db) = (dense(ba, &ua, &rows_a), dense(bb, &ub, &rows_b));
    let qa: Vec<[f64; 2]> = da.iter().map(|&u| ba.at(u)).collect();
    let qb: Vec<[f64; 2]> = db.iter().map(|&u| bb.at(u)).collect();
    let mut rows: Vec<(f64, usize, usize)> = row_minima(&qa, &qb)
        .into_iter()
        .enumerate()
        .map(|(i, (d, j))| (d, i, j))
        .collect();
    rows.sort_by(|x, y| x.0.total_cmp(&y.0));
    let fine = rows.first().map_or(f64::INFINITY, |r| r.0);
    let zoomed = rows
        .iter()
        .take(8)
        .map(|&(_, i, j)| zoom(ba, bb, da[i], db[j], spacing_m))
        .fold(f64::INFINITY, f64::min);
    coarse.min(fine).min(zoomed)
}

/// The closest pair near boundary parameters `(u, v)`: a 21 × 21 grid of points within
/// `± w` metres along each boundary, ranked by chord, re-centred on its closest pair and shrunk
/// five-fold until `w` is under a millimetre; returns the geodesic of the last closest pair.
fn zoom(ba: &Boundary, bb: &Boundary, mut u: f64, mut v: f64, spacing_m: f64) -> f64 {
    const N: i32 = 10;
    let mut w = spacing_m / 2.0;
    let mut best = dist(ba.at(u), bb.at(v));
    while w > 1e-3 {
        let (su, sv) = (
            ba.per_metre(u) * w / N as f64,
            bb.per_metre(v) * w / N as f64,
        );
        let us: Vec<f64> = (-N..=N).map(|k| u + su * k as f64).collect();
        let vs: Vec<f64> = (-N..=N).map(|k| v + sv * k as f64).collect();
        let ea: Vec<[f64; 3]> = us.iter().map(|&x| ecef(ba.at(x))).collect();
        let eb: Vec<[f64; 3]> = vs.iter().map(|&x| ecef(bb.at(x))).collect();
        let (mut i0, mut j0, mut c0) = (0, 0, f64::INFINITY);
        for (i, p) in ea.iter().enumerate() {
            for (j, q) in eb.iter().enumerate() {
                let c = chord(p, q);
                if c < c0 {
                    (i0, j0, c0) = (i, j, c);
                }
            }
        }
        (u, v) = (us[i0], vs[j0]);
        best = best.min(dist(ba.at(u), bb.at(v)));
        w /= 5.0;
    }
    best
}
