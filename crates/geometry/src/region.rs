//! The region of a conflict: `(A ∩ buffer(B, H)) ∪ (B ∩ buffer(A, H))`.
//!
//! Both shapes are put in a local AEQD plane centred between their closest points (where the
//! conflict is, so the plane is most faithful there), buffered and intersected with `geo`'s
//! boolean operations, densified to pieces of at most 10 km and put back in lon/lat. Rings are
//! unwrapped around the centre's longitude and cut at the antimeridian, as RFC 7946 asks.
//! Footprints never contain a pole, so neither does a region.
//! If the planar operations give nothing (a tiny separation at the limit of their precision), the
//! region is a small disc around the closest points: it is `Some` exactly when the distance is
//! below the separation.

use crate::distance;
use crate::ellipsoid::{self, to_ecef, wrap_lon};
use crate::local_frame::LocalFrame;
use crate::{Footprint, Region, MAX_PIECE_M};
use geo::orient::{Direction, Orient};
use geo::{BooleanOps, Buffer, Coord, LineString, MapCoords, MultiPolygon, Polygon, Rect};

/// Corners of the fallback disc.
const FALLBACK_CORNERS: usize = 32;

pub fn conflict_region(a: &Footprint, b: &Footprint, separation_m: f64) -> Option<Region> {
    let approach = distance::approach(a, b);
    // Written so that a NaN separation gives None.
    if approach.distance_m.partial_cmp(&separation_m) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let centre = ellipsoid::direction_to_lonlat(ellipsoid::add(
        to_ecef(approach.on_a),
        to_ecef(approach.on_b),
    ));
    let frame = LocalFrame::at(centre);
    let plane_a = planar(&frame, a);
    let plane_b = planar(&frame, b);
    let a_near_b = plane_a.intersection(&plane_b.buffer(separation_m));
    let b_near_a = plane_b.intersection(&plane_a.buffer(separation_m));
    let mut region = a_near_b.union(&b_near_a);
    region.0.retain(|p| p.exterior().0.len() >= 4);
    if region.0.is_empty() {
        let radius_m = (0.5 * separation_m).max(0.01);
        region = MultiPolygon(vec![disc(radius_m)]);
    }
    Some(to_region(&frame, &region.orient(Direction::Default)))
}

fn planar(frame: &LocalFrame, footprint: &Footprint) -> Polygon<f64> {
    let ring: Vec<Coord<f64>> = footprint
        .boundary_lonlat()
        .iter()
        .map(|&p| {
            let [x, y] = frame.to_plane(p);
            Coord { x, y }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

fn disc(radius_m: f64) -> Polygon<f64> {
    let ring = (0..FALLBACK_CORNERS)
        .map(|k| {
            let angle = std::f64::consts::TAU * k as f64 / FALLBACK_CORNERS as f64;
            Coord {
                x: radius_m * angle.cos(),
                y: radius_m * angle.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

/// The planar region in lon/lat: densified, unwrapped around the centre, cut at ±180°.
fn to_region(frame: &LocalFrame, region: &MultiPolygon<f64>) -> Region {
    let centre_lon = frame.centre()[0];
    let to_lonlat_ring = |ring: &LineString<f64>| -> LineString<f64> {
        let mut out = Vec::new();
        for line in ring.lines() {
            let length = (line.end.x - line.start.x).hypot(line.end.y - line.start.y);
            let pieces = (length / MAX_PIECE_M).ceil().max(1.0) as usize;
            for step in 0..pieces {
                let t = step as f64 / pieces as f64;
                let xy = [
                    line.start.x + t * (line.end.x - line.start.x),
                    line.start.y + t * (line.end.y - line.start.y),
                ];
                let [lon, lat] = frame.to_lonlat(xy);
                out.push(Coord {
                    x: centre_lon + wrap_lon(lon - centre_lon),
                    y: lat,
                });
            }
        }
        LineString::new(out)
    };
    let unwrapped = MultiPolygon(
        region
            .0
            .iter()
            .map(|p| {
                Polygon::new(
                    to_lonlat_ring(p.exterior()),
                    p.interiors().iter().map(to_lonlat_ring).collect(),
                )
            })
            .collect(),
    );
    let polygons = split_at_antimeridian(unwrapped);
    Region {
        kind: "MultiPolygon".to_string(),
        coordinates: polygons
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|ring| ring.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect(),
    }
}

/// Cuts polygons whose longitudes leave [-180, 180] into pieces shifted back into range.
fn split_at_antimeridian(region: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let outside = region
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter())
        .any(|c| c.x < -180.0 || c.x > 180.0);
    if !outside {
        return region;
    }
    let mut pieces = Vec::new();
    for shift in [-360.0, 0.0, 360.0] {
        let window = Rect::new(
            Coord {
                x: -180.0 - shift,
                y: -90.0,
            },
            Coord {
                x: 180.0 - shift,
                y: 90.0,
            },
        )
        .to_polygon();
        let part = region.intersection(&window);
        pieces.extend(part.0.iter().map(|polygon| {
            polygon.map_coords(|c| Coord {
                x: (c.x + shift).clamp(-180.0, 180.0),
                y: c.y,
            })
        }));
    }
    MultiPolygon(pieces).orient(Direction::Default)
}
