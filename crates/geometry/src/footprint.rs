//! [`Footprint`]: a validated horizontal shape, with what makes distances fast precomputed.

use crate::bvh::Aabb;
use crate::ellipsoid::{self, to_ecef, Vec3, RHO_MIN_M};
use crate::ring::{Cap, Outline};
use crate::{distance, region, validate};
use crate::{FootprintSpec, GeometryError, Limits, Region};

/// Longest chord between consecutive samples of a circle's boundary (m).
const CIRCLE_SAMPLE_M: f64 = 5_000.0;
/// Fewest samples of a circle's boundary.
const CIRCLE_MIN_SAMPLES: usize = 64;

/// A validated footprint; only constructible through [`Footprint::from_spec`].
#[derive(Clone)]
pub struct Footprint {
    spec: FootprintSpec,
    pub(crate) shape: Shape,
    pub(crate) cap: Cap,
    bounds: EcefBox,
}

/// Shows the spec and the bounding cap, not the (large) precomputed index.
impl std::fmt::Debug for Footprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Footprint")
            .field("spec", &self.spec)
            .field("cap", &self.cap)
            .field("boundary_points", &self.boundary_lonlat().len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// A geodesic disc (a point when `radius_m` is 0). `boundary` samples its edge (for regions
    /// and bounds only: distances to a circle are exact through its centre); a point's is the
    /// point.
    Circle {
        centre: [f64; 2],
        radius_m: f64,
        boundary: Vec<[f64; 2]>,
    },
    /// A Polygon or MultiPolygon: every ring of every part in one outline.
    Polygon(Box<Outline>),
}

/// An axis-aligned box in WGS84 ECEF metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EcefBox {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl EcefBox {
    /// Whether the point is inside the box (boundary included).
    pub fn contains(&self, p: [f64; 3]) -> bool {
        (0..3).all(|axis| self.min[axis] <= p[axis] && p[axis] <= self.max[axis])
    }

    /// Straight-line distance (m) from `p` to the box, 0 inside. Since the box holds every
    /// point of its footprint and no path on the surface is shorter than the straight line,
    /// this is a lower bound on the geodesic distance from a surface point `p` to the footprint.
    pub fn distance_to(&self, p: [f64; 3]) -> f64 {
        (0..3)
            .map(|axis| {
                (self.min[axis] - p[axis])
                    .max(p[axis] - self.max[axis])
                    .max(0.0)
            })
            .map(|gap| gap * gap)
            .sum::<f64>()
            .sqrt()
    }
}

impl Footprint {
    /// Validates `spec` (see the crate docs for what is refused, in which order) and
    /// precomputes the densified boundary, its index and the bounds.
    pub fn from_spec(spec: &FootprintSpec, limits: &Limits) -> Result<Footprint, GeometryError> {
        let disc = |centre: [f64; 2], radius_m: f64| Shape::Circle {
            centre,
            radius_m,
            boundary: circle_boundary(centre, radius_m),
        };
        let shape = match spec {
            FootprintSpec::Polygon { .. } | FootprintSpec::MultiPolygon { .. } => {
                Shape::Polygon(Box::new(validate::polygons(spec, limits)?))
            }
            FootprintSpec::Point { coordinates } => disc(validate::point(coordinates)?, 0.0),
            FootprintSpec::Circle { center, radius_m } => {
                let (centre, radius_m) = validate::circle(center, *radius_m)?;
                disc(centre, radius_m)
            }
        };
        let cap = match &shape {
            Shape::Circle {
                centre, radius_m, ..
            } => Cap {
                centre: *centre,
                radius_m: *radius_m,
            },
            Shape::Polygon(outline) => outline.cap,
        };
        let mut footprint = Footprint {
            spec: spec.clone(),
            shape,
            cap,
            bounds: EcefBox {
                min: [0.0; 3],
                max: [0.0; 3],
            },
        };
        footprint.bounds = footprint.compute_bounds();
        Ok(footprint)
    }

    /// The footprint as filed.
    pub fn spec(&self) -> &FootprintSpec {
        &self.spec
    }

    /// Geodesic (WGS84) distance in metres between the two shapes; 0 when they intersect or one
    /// contains the other. Symmetric: `a.distance_m(b) == b.distance_m(a)` exactly.
    pub fn distance_m(&self, other: &Footprint) -> f64 {
        distance::approach(self, other).distance_m
    }

    /// The region of the conflict: `(self ∩ buffer(other, separation_m)) ∪
    /// (other ∩ buffer(self, separation_m))`, as a GeoJSON MultiPolygon in lon/lat, split at the
    /// antimeridian. `None` exactly when `distance_m >= separation_m`.
    pub fn conflict_region(&self, other: &Footprint, separation_m: f64) -> Option<Region> {
        region::conflict_region(self, other, separation_m)
    }

    /// Geodesic distance in metres from the surface point `[lon, lat]` to the footprint; 0 inside.
    /// Used for conformance (is a track inside its operation's volume?).
    pub fn distance_to_point_m(&self, point: [f64; 2]) -> f64 {
        match &self.shape {
            Shape::Circle {
                centre, radius_m, ..
            } => (ellipsoid::distance_m(*centre, point) - radius_m).max(0.0),
            Shape::Polygon(outline) => distance::point_polygon(point, outline).0,
        }
    }

    /// Conservative axis-aligned box in WGS84 ECEF metres that contains every point of the
    /// footprint on the ellipsoid surface, interior included.
    pub fn ecef_bounds(&self) -> EcefBox {
        self.bounds
    }

    /// Whether the surface point `p` is inside the footprint (boundary: either answer).
    pub(crate) fn contains(&self, p: [f64; 2]) -> bool {
        match &self.shape {
            Shape::Circle {
                centre, radius_m, ..
            } => ellipsoid::distance_m(*centre, p) <= *radius_m,
            Shape::Polygon(outline) => outline.contains(to_ecef(p)),
        }
    }

    /// The boundary as `[lon, lat]` samples (each ring not closed, the rings one after the
    /// other), for a canonical order between footprints.
    pub(crate) fn boundary_lonlat(&self) -> &[[f64; 2]] {
        match &self.shape {
            Shape::Circle { boundary, .. } => boundary,
            Shape::Polygon(outline) => &outline.lonlat,
        }
    }

    /// The box of the boundary samples, grown by how far the boundary can bulge between samples,
    /// then grown to each of the six points where an ECEF coordinate is extreme on the ellipsoid
    /// (±a on the x and y axes, the poles) that lies inside: a coordinate restricted to a
    /// region of the surface peaks either at such a point or on the region's boundary.
    fn compute_bounds(&self) -> EcefBox {
        let (points, bulge_m): (Vec<Vec3>, f64) = match &self.shape {
            Shape::Polygon(outline) => (outline.ecef.clone(), outline.bulge_m),
            Shape::Circle { centre, .. } if self.cap.radius_m == 0.0 => {
                (vec![to_ecef(*centre)], 0.0)
            }
            Shape::Circle {
                boundary, radius_m, ..
            } => {
                let points: Vec<Vec3> = boundary.iter().map(|&p| to_ecef(p)).collect();
                let n = points.len();
                let chord_m = (0..n)
                    .map(|i| ellipsoid::norm(ellipsoid::sub(points[(i + 1) % n], points[i])))
                    .fold(0.0, f64::max);
                // The circle's edge curves with at most 1/r sideways plus 1/RHO_MIN_M downwards.
                let bulge = chord_m * chord_m / 8.0 * (1.0 / radius_m + 1.0 / RHO_MIN_M);
                (points, bulge + 0.01)
            }
        };
        let mut bbox = Aabb::around(&points, bulge_m);
        let extremes = [
            [0.0, 0.0],
            [180.0, 0.0],
            [90.0, 0.0],
            [-90.0, 0.0],
            [0.0, 90.0],
            [0.0, -90.0],
        ];
        for extreme in extremes {
            if self.contains(extreme) {
                bbox.include(to_ecef(extreme));
            }
        }
        // Rounding in the ECEF conversions is far below a millimetre at Earth scale.
        let bbox = bbox.expand(0.001);
        EcefBox {
            min: bbox.min,
            max: bbox.max,
        }
    }
}

/// Samples of a geodesic circle's edge, at most `CIRCLE_SAMPLE_M` apart; a point's is itself.
fn circle_boundary(centre: [f64; 2], radius_m: f64) -> Vec<[f64; 2]> {
    if radius_m == 0.0 {
        return vec![centre];
    }
    let circumference_m = std::f64::consts::TAU * radius_m;
    let samples = ((circumference_m / CIRCLE_SAMPLE_M).ceil() as usize).max(CIRCLE_MIN_SAMPLES);
    (0..samples)
        .map(|k| ellipsoid::direct(centre, 360.0 * k as f64 / samples as f64, radius_m))
        .collect()
}
