//! Validation of footprints as filed, in a fixed order so the first problem reported is the most
//! basic one: the polygon's structure (one ring, no holes); every position's shape (2 or 3
//! numbers, all finite); every position's range; the ring closed; at least 4 positions; at most
//! `max_vertices` vertices; at least 3 distinct corners; perimeter; size; self-intersection;
//! poles; area.

use crate::ellipsoid;
use crate::error::{GeometryError, Pole, PositionAt};
use crate::ring::{self, Ring};
use crate::{Limits, MAX_FOOTPRINT_RADIUS_M, MAX_PERIMETER_M};

/// Distance within which a shape counts as touching a pole (m).
const POLE_CLEARANCE_M: f64 = 1.0;

/// Checks one position's shape (2 or 3 numbers, all finite).
fn check_shape(values: &[f64], at: PositionAt) -> Result<(), GeometryError> {
    if !(2..=3).contains(&values.len()) {
        return Err(GeometryError::BadPosition {
            at,
            count: values.len(),
        });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(axis) => Err(GeometryError::NonFiniteCoordinate {
            at,
            axis,
            value: values[axis],
        }),
        None => Ok(()),
    }
}

/// Checks one (well-shaped) position's range and returns it as `[lon, lat]`.
fn check_range(values: &[f64], at: PositionAt) -> Result<[f64; 2], GeometryError> {
    let (lon, lat) = (values[0], values[1]);
    if !(-180.0..=180.0).contains(&lon) {
        return Err(GeometryError::LongitudeOutOfRange { at, lon });
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(GeometryError::LatitudeOutOfRange { at, lat });
    }
    Ok([lon, lat])
}

/// A single position (a circle's centre), checked.
pub fn position(values: &[f64], at: PositionAt) -> Result<[f64; 2], GeometryError> {
    check_shape(values, at)?;
    check_range(values, at)
}

/// Whether two valid positions are the same point on the ellipsoid: equal, or on the same pole,
/// or on the antimeridian written as 180 and -180.
pub fn same_point(a: [f64; 2], b: [f64; 2]) -> bool {
    if a[1] != b[1] {
        return false;
    }
    a[0] == b[0] || a[1].abs() == 90.0 || (a[0].abs() == 180.0 && b[0].abs() == 180.0)
}

/// Validates a polygon's rings and builds its densified boundary.
pub fn polygon(rings: &[Vec<Vec<f64>>], limits: &Limits) -> Result<Ring, GeometryError> {
    let ring = match rings {
        [] => return Err(GeometryError::NoExteriorRing),
        [ring] => ring,
        _ => {
            return Err(GeometryError::HolesNotSupported { rings: rings.len() });
        }
    };
    for (index, values) in ring.iter().enumerate() {
        check_shape(values, PositionAt::Vertex(index))?;
    }
    let positions = ring
        .iter()
        .enumerate()
        .map(|(index, values)| check_range(values, PositionAt::Vertex(index)))
        .collect::<Result<Vec<_>, _>>()?;
    let count = positions.len();
    if let (Some(&first), Some(&last)) = (positions.first(), positions.last()) {
        if !same_point(first, last) {
            return Err(GeometryError::UnclosedRing {
                first,
                last,
                last_index: count - 1,
            });
        }
    }
    if count < 4 {
        return Err(GeometryError::TooFewPositions { count });
    }
    if count - 1 > limits.max_vertices {
        return Err(GeometryError::TooManyVertices {
            count: count - 1,
            max: limits.max_vertices,
        });
    }
    let (corners, position_of) = distinct_corners(&positions[..count - 1]);
    if corners.len() < 3 {
        return Err(GeometryError::DegenerateRing {
            distinct: corners.len(),
        });
    }
    let edges = ring::edges(&corners);
    let perimeter_m: f64 = edges.iter().map(|e| e.length_m).sum();
    if perimeter_m > MAX_PERIMETER_M {
        return Err(GeometryError::PerimeterTooLong {
            perimeter_m,
            max_m: MAX_PERIMETER_M,
        });
    }
    let ring = Ring::densify(&corners, &position_of, &edges, MAX_FOOTPRINT_RADIUS_M).map_err(
        |radius_m| GeometryError::FootprintTooLarge {
            radius_m,
            max_m: MAX_FOOTPRINT_RADIUS_M,
        },
    )?;
    if let Some(crossing) = ring.self_crossing() {
        return Err(GeometryError::SelfIntersection {
            edge_a: crossing.edge_a,
            edge_b: crossing.edge_b,
            lon: crossing.at[0],
            lat: crossing.at[1],
        });
    }
    for (pole, lat) in [(Pole::North, 90.0), (Pole::South, -90.0)] {
        let at = ellipsoid::to_ecef([0.0, lat]);
        if ring.contains(at) || ring.nearest_piece(at).0 < POLE_CLEARANCE_M {
            return Err(GeometryError::EnclosesPole {
                at_center: false,
                pole,
            });
        }
    }
    let area_m2 = ring.planar_area_m2();
    if area_m2 <= 1e-10 * perimeter_m * perimeter_m {
        return Err(GeometryError::ZeroArea { area_m2 });
    }
    Ok(ring)
}

/// The ring's corners with consecutive repeats dropped (the closing position already removed),
/// each with the index of the position it came from.
fn distinct_corners(positions: &[[f64; 2]]) -> (Vec<[f64; 2]>, Vec<usize>) {
    let mut corners: Vec<[f64; 2]> = Vec::with_capacity(positions.len());
    let mut position_of = Vec::with_capacity(positions.len());
    for (index, &p) in positions.iter().enumerate() {
        if corners.last().is_some_and(|&last| same_point(last, p)) {
            continue;
        }
        corners.push(p);
        position_of.push(index);
    }
    while corners.len() > 1 && same_point(corners[0], corners[corners.len() - 1]) {
        corners.pop();
        position_of.pop();
    }
    (corners, position_of)
}

/// Validates a circle: its centre, then its radius, then the poles.
pub fn circle(center: &[f64], radius_m: f64) -> Result<([f64; 2], f64), GeometryError> {
    let centre = position(center, PositionAt::Center)?;
    if !radius_m.is_finite() {
        return Err(GeometryError::RadiusNotFinite { radius_m });
    }
    if radius_m <= 0.0 {
        return Err(GeometryError::RadiusNotPositive { radius_m });
    }
    if radius_m > MAX_FOOTPRINT_RADIUS_M {
        return Err(GeometryError::RadiusTooLarge {
            radius_m,
            max_m: MAX_FOOTPRINT_RADIUS_M,
        });
    }
    for (pole, lat) in [(Pole::North, 90.0), (Pole::South, -90.0)] {
        if ellipsoid::distance_m(centre, [0.0, lat]) <= radius_m + POLE_CLEARANCE_M {
            return Err(GeometryError::EnclosesPole {
                at_center: true,
                pole,
            });
        }
    }
    Ok((centre, radius_m))
}
