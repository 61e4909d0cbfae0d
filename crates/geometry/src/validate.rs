//! Validation of footprints as filed, in a fixed order so the first problem reported is the most
//! basic one: the structure (a MultiPolygon has polygons, each polygon an exterior ring); every
//! position's shape (2 or 3 numbers, all finite); every position's range; each ring closed, with
//! at least 4 positions; at most `max_vertices` vertices in all; each ring with at least 3
//! distinct corners once close corners are merged; perimeter; size; each ring's area; rings that
//! cross or touch (themselves, or another ring of their polygon; a hole may touch its exterior
//! ring or another hole at a corner both list, as OGC Simple Features allows and national data
//! sets have it); holes inside their exterior ring and not inside one another. The polygons of
//! a MultiPolygon may touch or overlap: the footprint is their union.
//!
//! # Merging corners within the 1 cm allowance
//! Walking each ring, a corner closer than [`crate::ALLOWANCE_M`] (1 cm, by chord, which at
//! that scale is the geodesic) to the last corner kept is dropped; so are repeats, and last
//! corners within 1 cm of the first. Published rings have runs of vertices a centimetre apart
//! (digitising noise: FOCA's Swiss geozones), which would otherwise read as edges that touch.
//! The merge moves the boundary by less than 1 cm: a dropped corner `v` lies within 1 cm of the
//! kept corner `u` before it, and every point of the old path `u → v → w` is within `|uv|` of
//! the new edge `u → w` and back (the distance to a segment is convex along a segment, and is at
//! most `|uv|` at each end). So the footprint neither grows nor shrinks by more than the 1 cm
//! that every separation check already allows (SPEC §5.1).

use crate::ellipsoid::{norm, sub, to_ecef};
use crate::error::{GeometryError, PositionAt, RingAt};
use crate::ring::{self, Meeting, Outline, RingCorners};
use crate::{FootprintSpec, Limits, ALLOWANCE_M, MAX_FOOTPRINT_RADIUS_M, MAX_PERIMETER_M};

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

/// A single position (a circle's centre, a point), checked.
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

/// Whether two valid positions are within the 1 cm allowance of each other (or the same point).
/// Latitudes more than 1e-6° apart (at least 11 cm: a degree of latitude is at least
/// 110,574 m) are apart without the ECEF chord, which keeps this off the cost of validation.
fn within_allowance(a: [f64; 2], b: [f64; 2]) -> bool {
    if (a[1] - b[1]).abs() > 1e-6 {
        return false;
    }
    same_point(a, b) || norm(sub(to_ecef(a), to_ecef(b))) < ALLOWANCE_M
}

/// One filed ring: its positions and where it is.
struct FiledRing<'a> {
    at: RingAt,
    values: &'a [Vec<f64>],
}

/// Validates the polygons of a Polygon (`multi` false: one polygon) or MultiPolygon and builds
/// their densified outline.
pub fn polygons(spec: &FootprintSpec, limits: &Limits) -> Result<Outline, GeometryError> {
    let multi = matches!(spec, FootprintSpec::MultiPolygon { .. });
    let polygons = spec.polygons();
    if multi && polygons.is_empty() {
        return Err(GeometryError::NoPolygons);
    }
    let mut filed = Vec::new();
    let mut parts = Vec::with_capacity(polygons.len());
    for (index, rings) in polygons.iter().enumerate() {
        let part = multi.then_some(index);
        if rings.is_empty() {
            return Err(GeometryError::NoExteriorRing { part });
        }
        let first = filed.len();
        filed.extend(rings.iter().enumerate().map(|(ring, values)| FiledRing {
            at: RingAt { part, ring },
            values,
        }));
        parts.push(first..filed.len());
    }
    for ring in &filed {
        for (index, values) in ring.values.iter().enumerate() {
            check_shape(values, PositionAt::Vertex(ring.at, index))?;
        }
    }
    let positions = filed
        .iter()
        .map(|ring| {
            ring.values
                .iter()
                .enumerate()
                .map(|(index, values)| check_range(values, PositionAt::Vertex(ring.at, index)))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (ring, positions) in filed.iter().zip(&positions) {
        closed(ring.at, positions)?;
    }
    let vertices: usize = positions.iter().map(|p| p.len() - 1).sum();
    if vertices > limits.max_vertices {
        return Err(GeometryError::TooManyVertices {
            count: vertices,
            max: limits.max_vertices,
        });
    }
    let rings = filed
        .iter()
        .zip(&positions)
        .map(|(ring, positions)| corners(ring.at, positions))
        .collect::<Result<Vec<_>, _>>()?;
    let perimeter_m: f64 = rings
        .iter()
        .flat_map(|ring| ring.edges.iter().map(|e| e.length_m))
        .sum();
    if perimeter_m > MAX_PERIMETER_M {
        return Err(GeometryError::PerimeterTooLong {
            perimeter_m,
            max_m: MAX_PERIMETER_M,
        });
    }
    let outline = Outline::densify(&rings, parts, MAX_FOOTPRINT_RADIUS_M).map_err(|radius_m| {
        GeometryError::FootprintTooLarge {
            radius_m,
            max_m: MAX_FOOTPRINT_RADIUS_M,
        }
    })?;
    for (index, ring) in rings.iter().enumerate() {
        let ring_perimeter_m: f64 = ring.edges.iter().map(|e| e.length_m).sum();
        let area_m2 = outline.fan_area_m2(index);
        // Thinner than the allowance: a sliver of width h and length L has area about L·h/2
        // and perimeter about 2L.
        if area_m2 <= 0.25 * ALLOWANCE_M * ring_perimeter_m {
            return Err(GeometryError::ZeroArea {
                ring: ring.at,
                area_m2,
            });
        }
    }
    let (meeting, touching) = outline.meeting();
    if let Some(meeting) = meeting {
        let at_of = |ring: usize| outline.rings[ring].1;
        return Err(match meeting {
            Meeting::Itself {
                ring,
                edge_a,
                edge_b,
                at,
            } => GeometryError::SelfIntersection {
                ring: at_of(ring),
                edge_a,
                edge_b,
                lon: at[0],
                lat: at[1],
            },
            Meeting::Rings { ring_a, ring_b, at } => GeometryError::RingsMeet {
                ring_a: at_of(ring_a),
                ring_b: at_of(ring_b),
                lon: at[0],
                lat: at[1],
            },
        });
    }
    holes(&outline, &touching)?;
    Ok(outline)
}

/// The ring is closed and has at least 4 positions.
fn closed(at: RingAt, positions: &[[f64; 2]]) -> Result<(), GeometryError> {
    let count = positions.len();
    if let (Some(&first), Some(&last)) = (positions.first(), positions.last()) {
        if !same_point(first, last) {
            return Err(GeometryError::UnclosedRing {
                ring: at,
                first,
                last,
                last_index: count - 1,
            });
        }
    }
    if count < 4 {
        return Err(GeometryError::TooFewPositions { ring: at, count });
    }
    Ok(())
}

/// The ring's corners once merged (see the module doc), with at least 3 of them, and its edges.
fn corners(at: RingAt, positions: &[[f64; 2]]) -> Result<RingCorners, GeometryError> {
    let (corners, position_of) = distinct_corners(&positions[..positions.len() - 1]);
    if corners.len() < 3 {
        return Err(GeometryError::DegenerateRing {
            ring: at,
            distinct: corners.len(),
        });
    }
    let edges = ring::edges(&corners);
    Ok(RingCorners {
        at,
        corners,
        position_of,
        edges,
    })
}

/// Every hole is inside its exterior ring and outside the other holes. The rings do not cross
/// (checked before), so each lies wholly inside or wholly outside another, and one point of it
/// that is not a corner tells; a ring that touches another at corners (`touching`: pairs of
/// ring indices, the smaller first) is checked piece by piece, so that it cannot pass through
/// the other at two shared corners.
fn holes(outline: &Outline, touching: &[(usize, usize)]) -> Result<(), GeometryError> {
    let side = |inner: usize, outer: usize, inside: bool| {
        let touches = touching.contains(&(inner.min(outer), inner.max(outer)));
        if touches {
            outline.touching_ring_stays_on_its_side(inner, outer, inside)
        } else {
            outline.ring_contains(outer, outline.inner_point(inner)) == inside
        }
    };
    for rings in &outline.parts {
        let exterior = rings.start;
        for hole in rings.start + 1..rings.end {
            let at = outline.rings[hole].1;
            if !side(hole, exterior, true) {
                return Err(GeometryError::HoleOutside { hole: at });
            }
            if let Some(other) = (rings.start + 1..rings.end)
                .find(|&other| other != hole && !side(hole, other, false))
            {
                return Err(GeometryError::HoleInHole {
                    hole: at,
                    other: outline.rings[other].1,
                });
            }
        }
    }
    Ok(())
}

/// The ring's corners with consecutive repeats and corners within the allowance of the last one
/// kept dropped (the closing position already removed), each with the index of the position it
/// came from.
fn distinct_corners(positions: &[[f64; 2]]) -> (Vec<[f64; 2]>, Vec<usize>) {
    let mut corners: Vec<[f64; 2]> = Vec::with_capacity(positions.len());
    let mut position_of = Vec::with_capacity(positions.len());
    for (index, &p) in positions.iter().enumerate() {
        if corners
            .last()
            .is_some_and(|&last| within_allowance(last, p))
        {
            continue;
        }
        corners.push(p);
        position_of.push(index);
    }
    while corners.len() > 1 && within_allowance(corners[0], corners[corners.len() - 1]) {
        corners.pop();
        position_of.pop();
    }
    (corners, position_of)
}

/// Validates a circle: its centre, then its radius (0, a point, or more).
pub fn circle(center: &[f64], radius_m: f64) -> Result<([f64; 2], f64), GeometryError> {
    let centre = position(center, PositionAt::Center)?;
    if !radius_m.is_finite() {
        return Err(GeometryError::RadiusNotFinite { radius_m });
    }
    if radius_m < 0.0 {
        return Err(GeometryError::RadiusNegative { radius_m });
    }
    if radius_m > MAX_FOOTPRINT_RADIUS_M {
        return Err(GeometryError::RadiusTooLarge {
            radius_m,
            max_m: MAX_FOOTPRINT_RADIUS_M,
        });
    }
    Ok((centre, radius_m))
}

/// Validates a GeoJSON Point: a circle of radius 0.
pub fn point(coordinates: &[f64]) -> Result<[f64; 2], GeometryError> {
    position(coordinates, PositionAt::Point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_within_a_centimetre_of_the_last_kept_are_merged() {
        // 1e-7° of longitude at 46° N is 7.7 mm: the second is dropped, the third (15 mm from
        // the second but 23 mm from the first) kept.
        let positions = [
            [6.1830617, 46.2],
            [6.1830616, 46.2],
            [6.1830614, 46.2],
            [6.19, 46.21],
        ];
        let (corners, position_of) = distinct_corners(&positions);
        assert_eq!(position_of, [0, 2, 3]);
        assert_eq!(corners[1], positions[2]);
        let d = crate::ellipsoid::distance_m(positions[0], positions[1]);
        assert!(d < ALLOWANCE_M && d > 0.005, "{d}");
    }
}
