//! WGS84 geometry for deconflict: validated footprints and 4D volumes, geodesic distances
//! between them, and the regions where they come too close. Pure: no I/O, no clock.
//!
//! Read in this order:
//! - `spec` — the shapes as filed ([`FootprintSpec`], [`Volume4dSpec`]) and the [`Limits`];
//! - `validate` — what is refused and in which order, each problem a [`GeometryError`]
//!   variant with a message and a JSON pointer;
//! - `footprint` / `volume` — the validated types, only constructible by validation;
//! - `ellipsoid` — WGS84, GeographicLib geodesics, ECEF; `arc` — the exact predicates on
//!   boundary pieces; `bvh` — the index over them; `ring` — the densified boundary of a
//!   Polygon or MultiPolygon, every ring of every part in one outline;
//! - `distance` — distance between footprints; `local_frame` and `region` — conflict
//!   regions.
//!
//! # Method
//! Polygon edges are geodesics on WGS84 (SPEC §4). Each edge is split into equal pieces of at
//! most [`MAX_PIECE_M`] whose ends lie exactly on the geodesic (GeographicLib inverse + direct),
//! and every computation works in ECEF (Earth-centred, Earth-fixed metres) on those pieces:
//! - crossings: exact sign tests on the pieces' central arcs, for pairs of overlapping boxes
//!   in a bounding-volume hierarchy (self-intersection at validation, overlap between shapes);
//! - containment: a crossing count in a gnomonic plane centred on the polygon, where the
//!   pieces are exactly straight;
//! - distance: a dual-tree branch and bound on chord distances (a chord is never longer than
//!   the geodesic) finds the closest pieces, then GeographicLib measures the geodesic between
//!   the closest points. Circles are exact through their centres (triangle inequality).
//!
//! No flat approximation enters a distance, so there is no frame to place and no distortion
//! horizon: the same code serves both sides of the antimeridian and the polar caps. Under
//! 200 km the result is within millimetres of the geodesic truth (against a brute-force
//! GeographicLib reference over 3,000 random pairs: never more than 1 µm above it, at most
//! 1.5 cm below, the reference's own sampling resolution); farther apart, the chord ranking can
//! pick a pair at most ~0.1 % longer than the closest. Only conflict regions use a local plane
//! (azimuthal equidistant, centred on the conflict). See `distance` and `region`.
//!
//! [`Footprint::ecef_bounds`] is the box of the boundary samples grown by how far an arc can
//! bulge between them, and grown to any of the six axis extremes of the ellipsoid inside the
//! footprint (a coordinate over a surface region peaks there or on its boundary).
//!
//! # What is supported, and what is refused
//! - Footprints are GeoJSON Polygons (an exterior ring and any holes), MultiPolygons (one
//!   footprint of several polygons, their union: RFC 7946's antimeridian split behaves as the
//!   one shape it was cut from), Points (a circle of radius 0) and circles. Distances are to
//!   the nearest boundary, holes' included: a point in a hole is outside, at the distance of
//!   the hole's edge. All the rings of a footprint are one outline with one index, so a plain
//!   polygon costs what it did before holes and parts existed.
//! - Positions are `[lon, lat]` or `[lon, lat, alt]` (altitude ignored), longitude in
//!   [-180, 180], latitude in [-90, 90]. 180 and -180 are the same meridian.
//! - An edge is the shortest geodesic between its corners, so a ring crosses the antimeridian
//!   whenever that is the short way (179.5 → -179.5 is 1°, not 359°).
//! - Either ring orientation; a ring's inside is the side that does not contain the far side
//!   of the globe. A footprint may contain a pole (its ring goes round it; everything works in
//!   ECEF and in a gnomonic plane centred on the footprint, where the pole is a point like any
//!   other; conflict regions close such a ring along the pole in lon/lat).
//! - Corners closer than the 1 cm allowance ([`ALLOWANCE_M`]) to the corner kept before them
//!   are merged (repeats too), which moves the boundary by less than 1 cm (see `validate`).
//! - Checked in this order (the first problem is reported): structure (polygons, an exterior
//!   ring each); every position's shape (2 or 3 finite numbers); every position's range; each
//!   ring closed, with at least 4 positions; at most `max_vertices` vertices in all; at least 3
//!   distinct corners per ring; perimeter; size; each ring's area; rings that cross or touch;
//!   holes inside their exterior and not nested. A circle: centre, radius (finite, 0 or more,
//!   at most the size limit). A Point: its position.
//! - Refused: rings that cross or touch themselves; rings of one polygon that cross, or touch
//!   other than at a corner both list (OGC allows a hole to touch at a point); a hole outside
//!   its exterior ring or inside another hole; fewer than 3 distinct corners; no area (corners
//!   on one line, or a ring thinner than the 1 cm allowance: [`GeometryError::ZeroArea`]);
//!   footprints reaching more than [`MAX_FOOTPRINT_RADIUS_M`] from their centre (a circle's
//!   radius, or the bounding cap of all the polygons), perimeters above [`MAX_PERIMETER_M`].

mod arc;
mod bvh;
mod distance;
mod ellipsoid;
mod error;
pub mod f3548;
mod footprint;
pub mod geoid;
pub mod ground;
mod local_frame;
mod region;
mod ring;
mod spec;
pub mod terrain;
mod validate;
mod volume;

pub use error::{GeometryError, PositionAt, RingAt};
pub use footprint::{EcefBox, Footprint};
pub use spec::{FootprintSpec, Limits, Region, Volume4dSpec};
pub use volume::{interval_gap, time_gap_s, Volume4d};

/// The 1 cm allowance of SPEC §5.2: a minimum is met at equality, and comparisons against it
/// allow this much.
pub const ALLOWANCE_M: f64 = 0.01;

/// Longest boundary piece (m): each geodesic edge is split into equal pieces no longer than
/// this (SPEC §4).
pub const MAX_PIECE_M: f64 = 10_000.0;

/// The farthest a footprint may reach from its centre (m): a circle's radius, or the radius of
/// the bounding cap of a footprint's polygons. 5,000 km keeps every footprint well inside one hemisphere, which
/// makes "the inside of a ring" unambiguous, and is far beyond any operation or zone.
pub const MAX_FOOTPRINT_RADIUS_M: f64 = 5_000_000.0;

/// The longest perimeter of a footprint, all its rings together (m): 100,000 km. With [`MAX_PIECE_M`] it bounds a footprint to
/// 10,000 pieces beyond its corners.
pub const MAX_PERIMETER_M: f64 = 100_000_000.0;

/// Exact WGS84 geodesic distance in metres between two `[lon, lat]` points (GeographicLib).
pub fn geodesic_distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    ellipsoid::distance_m(a, b)
}

/// The WGS84 geodesic from `a` to `b` (`[lon, lat]`): its length in metres and its azimuth at
/// `a`, degrees clockwise from north (GeographicLib).
pub fn geodesic_inverse(a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    ellipsoid::inverse(a, b)
}

/// The point `distance_m` from `a` along the geodesic leaving at `azimuth_deg` (GeographicLib),
/// as `[lon, lat]` with the longitude in [-180, 180).
pub fn geodesic_direct(a: [f64; 2], azimuth_deg: f64, distance_m: f64) -> [f64; 2] {
    ellipsoid::direct(a, azimuth_deg, distance_m)
}

/// The WGS84 Earth-centred, Earth-fixed position (m) of the surface point `[lon, lat]`. The
/// straight line between two such points is never longer than the geodesic between them.
pub fn ecef(p: [f64; 2]) -> [f64; 3] {
    ellipsoid::to_ecef(p)
}
