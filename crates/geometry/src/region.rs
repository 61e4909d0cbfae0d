//! The region of a conflict: `(A ∩ buffer(B, H)) ∪ (B ∩ buffer(A, H))`.
//!
//! Both shapes are put in a local AEQD plane centred between their closest points (where the
//! conflict is, so the plane is most faithful there), buffered and intersected with `geo`'s
//! boolean operations, densified to pieces of at most 10 km and put back in lon/lat. Rings are
//! unwrapped around the centre's longitude and cut at the antimeridian, as RFC 7946 asks. A
//! ring that goes once around a pole (a region holding a pole) is closed along the pole's
//! "edge" of the lon/lat rectangle (up to latitude ±90 and across), the usual lon/lat form of a
//! polar cap, and its holes are taken out of it with a boolean difference. Holes of a footprint
//! are holes in its planar polygon; the parts of a MultiPolygon are polygons of one planar
//! MultiPolygon (their union, so RFC 7946's two halves of a shape split at the antimeridian
//! join up again); a point is a disc of 1 mm. Boolean operations along the ±90° edge can round
//! a latitude a few nanodegrees past it; output positions are clamped to the valid ranges.
//! If the planar operations give nothing (a tiny separation at the limit of their precision), the
//! region is a small disc around the closest points: it is `Some` exactly when the distance is
//! below the separation.

use crate::distance;
use crate::ellipsoid::{self, to_ecef, wrap_lon};
use crate::footprint::Shape;
use crate::local_frame::LocalFrame;
use crate::{Footprint, Region, MAX_PIECE_M};
use geo::orient::{Direction, Orient};
use geo::{BooleanOps, Buffer, Coord, LineString, MapCoords, MultiPolygon, Polygon, Rect};

/// Corners of the fallback disc (and of a point's disc).
const FALLBACK_CORNERS: usize = 32;
/// Longest step of longitude between two points of a region's ring (degrees): below about
/// 85° of latitude a 10 km piece never spans more.
const MAX_LON_STEP_DEG: f64 = 1.0;
/// Radius of the planar disc that stands for a point (m).
const POINT_DISC_M: f64 = 0.001;

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
        region = MultiPolygon(vec![disc(radius_m, Coord { x: 0.0, y: 0.0 })]);
    }
    Some(to_region(&frame, &region.orient(Direction::Default)))
}

fn planar(frame: &LocalFrame, footprint: &Footprint) -> MultiPolygon<f64> {
    let to_plane = |points: &[[f64; 2]]| -> LineString<f64> {
        points
            .iter()
            .map(|&p| {
                let [x, y] = frame.to_plane(p);
                Coord { x, y }
            })
            .collect()
    };
    match &footprint.shape {
        Shape::Circle {
            centre, radius_m, ..
        } if *radius_m == 0.0 => {
            let [x, y] = frame.to_plane(*centre);
            MultiPolygon(vec![disc(POINT_DISC_M, Coord { x, y })])
        }
        Shape::Circle { boundary, .. } => {
            MultiPolygon(vec![Polygon::new(to_plane(boundary), vec![])])
        }
        Shape::Polygon(outline) => MultiPolygon(
            outline
                .parts
                .iter()
                .map(|rings| {
                    let ring = |r: usize| to_plane(&outline.lonlat[outline.rings[r].0.clone()]);
                    Polygon::new(
                        ring(rings.start),
                        (rings.start + 1..rings.end).map(ring).collect(),
                    )
                })
                .collect(),
        ),
    }
}

fn disc(radius_m: f64, centre: Coord<f64>) -> Polygon<f64> {
    let ring = (0..FALLBACK_CORNERS)
        .map(|k| {
            let angle = std::f64::consts::TAU * k as f64 / FALLBACK_CORNERS as f64;
            Coord {
                x: centre.x + radius_m * angle.cos(),
                y: centre.y + radius_m * angle.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

/// A planar ring in lon/lat: densified (pieces of at most 10 km, and near a pole at most
/// [`MAX_LON_STEP_DEG`] of longitude, since a lon/lat straight line there is far from the
/// planar one), unwrapped (the first point around the centre's longitude, each next one within
/// 180° of the one before), not closed; with its net change of longitude once closed, 0 unless
/// the ring goes around a pole (±360).
fn to_lonlat_ring(frame: &LocalFrame, ring: &LineString<f64>) -> (Vec<Coord<f64>>, f64) {
    let mut points: Vec<[f64; 2]> = Vec::new();
    for line in ring.lines() {
        let length = (line.end.x - line.start.x).hypot(line.end.y - line.start.y);
        let pieces = (length / MAX_PIECE_M).ceil().max(1.0) as usize;
        let at = |t: f64| {
            [
                line.start.x + t * (line.end.x - line.start.x),
                line.start.y + t * (line.end.y - line.start.y),
            ]
        };
        for step in 0..pieces {
            let (t0, t1) = (
                step as f64 / pieces as f64,
                (step + 1) as f64 / pieces as f64,
            );
            let (a, b) = (at(t0), at(t1));
            push_piece(
                frame,
                (a, frame.to_lonlat(a)),
                (b, frame.to_lonlat(b)),
                0,
                &mut points,
            );
        }
    }
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(points.len());
    let mut previous = frame.centre()[0];
    for [lon, lat] in points {
        previous += wrap_lon(lon - previous);
        out.push(Coord {
            x: previous,
            y: lat,
        });
    }
    let net = match (out.first(), out.last()) {
        (Some(first), Some(last)) => {
            let closing = last.x + wrap_lon(first.x - last.x);
            (closing - first.x).round()
        }
        _ => 0.0,
    };
    (out, net)
}

/// Pushes the lon/lat of the planar piece from `a` to `b` (not `b` itself), halved until each
/// part spans at most [`MAX_LON_STEP_DEG`] of longitude (at most 2^16 parts).
fn push_piece(
    frame: &LocalFrame,
    (a, a_lonlat): ([f64; 2], [f64; 2]),
    (b, b_lonlat): ([f64; 2], [f64; 2]),
    depth: u32,
    out: &mut Vec<[f64; 2]>,
) {
    if depth < 16 && wrap_lon(b_lonlat[0] - a_lonlat[0]).abs() > MAX_LON_STEP_DEG {
        let mid = [0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])];
        let mid_lonlat = frame.to_lonlat(mid);
        push_piece(frame, (a, a_lonlat), (mid, mid_lonlat), depth + 1, out);
        push_piece(frame, (mid, mid_lonlat), (b, b_lonlat), depth + 1, out);
    } else {
        out.push(a_lonlat);
    }
}

/// A lon/lat ring as a polygon: as it is, or, when it goes around a pole, closed along that
/// pole (the pole nearer its points: a footprint reaches at most 5,000 km from its centre).
fn ring_polygon(points: Vec<Coord<f64>>, net: f64) -> Polygon<f64> {
    if net == 0.0 || points.is_empty() {
        return Polygon::new(LineString::new(points), vec![]);
    }
    let mean_lat = points.iter().map(|c| c.y).sum::<f64>() / points.len() as f64;
    let pole = if mean_lat >= 0.0 { 90.0 } else { -90.0 };
    let first = points[0];
    let mut closed = points;
    closed.push(Coord {
        x: first.x + net,
        y: first.y,
    });
    closed.push(Coord {
        x: first.x + net,
        y: pole,
    });
    closed.push(Coord {
        x: first.x,
        y: pole,
    });
    Polygon::new(LineString::new(closed), vec![])
}

/// The planar region in lon/lat: densified, unwrapped around the centre, polar rings closed
/// along their pole, cut at ±180°.
fn to_region(frame: &LocalFrame, region: &MultiPolygon<f64>) -> Region {
    let mut polygons = Vec::new();
    for polygon in &region.0 {
        let (exterior, net) = to_lonlat_ring(frame, polygon.exterior());
        let holes: Vec<(Vec<Coord<f64>>, f64)> = polygon
            .interiors()
            .iter()
            .map(|ring| to_lonlat_ring(frame, ring))
            .collect();
        if net == 0.0 && holes.iter().all(|(_, net)| *net == 0.0) {
            polygons.push(Polygon::new(
                LineString::new(exterior),
                holes
                    .into_iter()
                    .map(|(ring, _)| LineString::new(ring))
                    .collect(),
            ));
            continue;
        }
        let mut outer = MultiPolygon(vec![ring_polygon(exterior, net)]);
        for (ring, net) in holes {
            outer = outer.difference(&MultiPolygon(vec![ring_polygon(ring, net)]));
        }
        polygons.extend(outer.0);
    }
    let polygons = split_at_antimeridian(MultiPolygon(polygons));
    Region {
        kind: "MultiPolygon".to_string(),
        coordinates: polygons
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|ring| {
                        ring.0
                            .iter()
                            .map(|c| [c.x.clamp(-180.0, 180.0), c.y.clamp(-90.0, 90.0)])
                            .collect()
                    })
                    .collect()
            })
            .collect(),
    }
}

/// Puts polygons whose longitudes leave [-180, 180] back into range: shifted by 360° when they
/// lie wholly on one side of the antimeridian, cut into pieces (each shifted back) when they
/// straddle it.
fn split_at_antimeridian(region: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut pieces = Vec::new();
    for polygon in region.0 {
        let (west, east) = polygon
            .exterior()
            .0
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(w, e), c| {
                (w.min(c.x), e.max(c.x))
            });
        if let Some(shift) = [0.0, 360.0, -360.0]
            .into_iter()
            .find(|shift| west + shift >= -180.0 && east + shift <= 180.0)
        {
            pieces.push(polygon.map_coords(|c| Coord {
                x: c.x + shift,
                y: c.y,
            }));
            continue;
        }
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
            let part = polygon.intersection(&window);
            pieces.extend(part.0.iter().map(|polygon| {
                polygon.map_coords(|c| Coord {
                    x: (c.x + shift).clamp(-180.0, 180.0),
                    y: c.y,
                })
            }));
        }
    }
    MultiPolygon(pieces).orient(Direction::Default)
}
