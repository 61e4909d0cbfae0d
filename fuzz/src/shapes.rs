//! Footprints built from the fuzzer's bytes (the `footprint_shapes` target): polygons (with
//! holes), MultiPolygons, points and circles near one centre anywhere on the globe (the poles
//! and the antimeridian included), at scales from sub-centimetre to continental.

use deconflict_geometry::FootprintSpec;
use libfuzzer_sys::arbitrary::{Result, Unstructured};

/// Spans of the offsets from the centre, in degrees: 1 mm to continental.
const SCALES_DEG: [f64; 8] = [1e-8, 1e-7, 1e-5, 1e-3, 0.1, 1.0, 10.0, 60.0];
/// Circle radii, metres: 0 (a point) to beyond a quarter of the globe.
const RADII_M: [f64; 7] = [0.0, 0.005, 1.0, 100.0, 1e4, 1e6, 1.2e7];

/// One to three footprint specs from `data` (not yet validated); `None` when the bytes run out.
pub fn shapes_of(data: &[u8]) -> Option<Vec<FootprintSpec>> {
    shapes(&mut Unstructured::new(data)).ok()
}

fn shapes(u: &mut Unstructured<'_>) -> Result<Vec<FootprintSpec>> {
    let centre = centre(u)?;
    let count = u.int_in_range(1..=3)?;
    (0..count).map(|_| shape(u, centre)).collect()
}

/// Somewhere, often a place where geometry is hard: a pole, the antimeridian, the equator.
fn centre(u: &mut Unstructured<'_>) -> Result<[f64; 2]> {
    let lon = match u.int_in_range(0..=3)? {
        0 => 180.0,
        1 => -180.0,
        _ => f64::from(u.int_in_range(-180_000_000..=180_000_000)?) * 1e-6,
    };
    let lat = match u.int_in_range(0..=4)? {
        0 => 90.0,
        1 => -90.0,
        2 => 0.0,
        _ => f64::from(u.int_in_range(-90_000_000..=90_000_000)?) * 1e-6,
    };
    Ok([lon, lat])
}

fn shape(u: &mut Unstructured<'_>, centre: [f64; 2]) -> Result<FootprintSpec> {
    let scale = *u.choose(&SCALES_DEG)?;
    Ok(match u.int_in_range(0..=4)? {
        0 => FootprintSpec::Polygon {
            coordinates: vec![ring(u, centre, scale)?],
        },
        1 => {
            let hole_scale = scale * f64::from(u.int_in_range(1..=9)?) / 10.0;
            FootprintSpec::Polygon {
                coordinates: vec![ring(u, centre, scale)?, ring(u, centre, hole_scale)?],
            }
        }
        2 => {
            let first = ring(u, centre, scale)?;
            let other_centre = offset(u, centre, scale)?;
            FootprintSpec::MultiPolygon {
                coordinates: vec![vec![first], vec![ring(u, other_centre, scale)?]],
            }
        }
        3 => FootprintSpec::Point {
            coordinates: offset(u, centre, scale)?.to_vec(),
        },
        _ => FootprintSpec::Circle {
            center: offset(u, centre, scale)?.to_vec(),
            radius_m: *u.choose(&RADII_M)?,
        },
    })
}

/// A closed ring of 3 to 12 corners near `centre`.
fn ring(u: &mut Unstructured<'_>, centre: [f64; 2], scale: f64) -> Result<Vec<Vec<f64>>> {
    let corners = u.int_in_range(3..=12)?;
    let mut ring = (0..corners)
        .map(|_| offset(u, centre, scale).map(|p| p.to_vec()))
        .collect::<Result<Vec<_>>>()?;
    ring.push(ring[0].clone());
    Ok(ring)
}

/// `centre` moved by up to `scale` degrees each way, longitude wrapped into [-180, 180] and
/// latitude clamped to [-90, 90].
fn offset(u: &mut Unstructured<'_>, centre: [f64; 2], scale: f64) -> Result<[f64; 2]> {
    let dx = f64::from(u.arbitrary::<i16>()?) / f64::from(i16::MAX) * scale;
    let dy = f64::from(u.arbitrary::<i16>()?) / f64::from(i16::MAX) * scale;
    let mut lon = centre[0] + dx;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    Ok([lon, (centre[1] + dy).clamp(-90.0, 90.0)])
}
