//! The ASTM F3548-21 `Volume4D` shape, as drone service suppliers exchange operational intents
//! (the F3548 OpenAPI, `utm.yaml` of astm-utm/Protocol, components `Volume4D`, `Volume3D`,
//! `Polygon`, `Circle`, `LatLngPoint`, `Altitude`, `Radius`, `Time`), and its conversion to and
//! from deconflict's [`Volume4dSpec`].
//!
//! | F3548 | deconflict |
//! |---|---|
//! | `volume.outline_polygon.vertices: [{lat, lng}]`, open ring (last ≠ first) | `footprint: Polygon`, `[lon, lat]` positions, closed ring |
//! | `volume.outline_circle: {center: {lat, lng}, radius: {value, units: "M"}}` | `footprint: Circle {center: [lon, lat], radius_m}` |
//! | `volume.altitude_lower/upper: {value, reference: "W84", units: "M"}` | `altitude_lower_m` / `altitude_upper_m` (metres above the WGS84 ellipsoid: the same quantity) |
//! | `time_start/time_end: {value: RFC 3339, format: "RFC3339"}` | `time_start` / `time_end` |
//!
//! Both define polygon edges as geodesics and the polygon as the smaller of the two areas a
//! ring bounds, so a footprint means the same region in both. F3548 makes altitudes and times
//! optional (a volume of an intent being searched for); a filed volume needs all four, so a
//! missing one is refused, naming it. Only the values F3548 allows are accepted (`W84`, `M`,
//! `RFC3339`): another reference or unit is refused, never guessed at.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FootprintSpec, Volume4dSpec};

/// F3548 `Volume4D`: a volume during a time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume4D {
    pub volume: Volume3D,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_start: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_end: Option<Time>,
}

/// F3548 `Volume3D`: exactly one outline, extruded between two altitudes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume3D {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline_circle: Option<Circle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline_polygon: Option<Polygon>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_lower: Option<Altitude>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_upper: Option<Altitude>,
}

/// F3548 `Polygon`: at least three vertices, the last not repeating the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polygon {
    pub vertices: Vec<LatLngPoint>,
}

/// F3548 `Circle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub center: LatLngPoint,
    pub radius: Radius,
}

/// F3548 `LatLngPoint`, degrees on WGS84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLngPoint {
    pub lat: f64,
    pub lng: f64,
}

/// F3548 `Radius`: metres along the ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radius {
    pub value: f64,
    pub units: LengthUnit,
}

/// F3548 `Altitude`: metres above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Altitude {
    pub value: f64,
    pub reference: AltitudeReference,
    pub units: LengthUnit,
}

/// F3548 `Time`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Time {
    pub value: DateTime<Utc>,
    pub format: TimeFormat,
}

/// The one unit F3548 allows ("FIXM-compatible units. Only meters").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LengthUnit {
    M,
}

/// The one vertical reference F3548 allows: the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AltitudeReference {
    W84,
}

/// The one time format F3548 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeFormat {
    RFC3339,
}

/// Why an F3548 volume cannot be filed, with the JSON pointer (inside the volume) it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {reason}")]
pub struct F3548Error {
    pub pointer: &'static str,
    pub reason: &'static str,
}

fn refuse(pointer: &'static str, reason: &'static str) -> F3548Error {
    F3548Error { pointer, reason }
}

impl TryFrom<&Volume4D> for Volume4dSpec {
    type Error = F3548Error;

    /// The volume as deconflict files it. The footprint's own checks (vertex count, edges
    /// that cross, coordinate ranges) are left to validation, as for any footprint.
    fn try_from(volume: &Volume4D) -> Result<Volume4dSpec, F3548Error> {
        let shape = &volume.volume;
        let footprint = match (&shape.outline_polygon, &shape.outline_circle) {
            (Some(polygon), None) => {
                let mut ring: Vec<Vec<f64>> = polygon
                    .vertices
                    .iter()
                    .map(|point| vec![point.lng, point.lat])
                    .collect();
                if polygon.vertices.len() < 3 {
                    return Err(refuse(
                        "/volume/outline_polygon/vertices",
                        "a polygon has at least 3 vertices",
                    ));
                }
                if polygon.vertices.first() == polygon.vertices.last() {
                    return Err(refuse(
                        "/volume/outline_polygon/vertices",
                        "the last vertex repeats the first, which F3548 forbids",
                    ));
                }
                ring.push(ring[0].clone());
                FootprintSpec::Polygon {
                    coordinates: vec![ring],
                }
            }
            (None, Some(circle)) => FootprintSpec::Circle {
                center: vec![circle.center.lng, circle.center.lat],
                radius_m: circle.radius.value,
            },
            _ => {
                return Err(refuse(
                    "/volume",
                    "exactly one of outline_polygon and outline_circle is required",
                ))
            }
        };
        let lower = shape.altitude_lower.ok_or(refuse(
            "/volume/altitude_lower",
            "a filed volume needs its lower altitude",
        ))?;
        let upper = shape.altitude_upper.ok_or(refuse(
            "/volume/altitude_upper",
            "a filed volume needs its upper altitude",
        ))?;
        let start = volume
            .time_start
            .ok_or(refuse("/time_start", "a filed volume needs its start time"))?;
        let end = volume
            .time_end
            .ok_or(refuse("/time_end", "a filed volume needs its end time"))?;
        Ok(Volume4dSpec {
            footprint,
            altitude_lower_m: lower.value,
            altitude_upper_m: upper.value,
            time_start: start.value,
            time_end: end.value,
        })
    }
}

/// The volume in F3548's shape: one `Volume4D` per polygon of the footprint (F3548 has no
/// MultiPolygon; an operational intent is a list of volumes, so a MultiPolygon's parts become
/// volumes with the same altitudes and times), a polygon's closing vertex dropped, a third
/// number of a position (an altitude, accepted and ignored on filing) left out. An F3548
/// outline has no holes: a hole is filled, so what is sent is never smaller than what was
/// filed. A Point is an `outline_circle` of radius 0.
pub fn volumes(spec: &Volume4dSpec) -> Vec<Volume4D> {
    let point = |position: &[f64]| LatLngPoint {
        lng: position.first().copied().unwrap_or(f64::NAN),
        lat: position.get(1).copied().unwrap_or(f64::NAN),
    };
    let circle = |center: &[f64], radius_m: f64| Circle {
        center: point(center),
        radius: Radius {
            value: radius_m,
            units: LengthUnit::M,
        },
    };
    let outlines: Vec<(Option<Polygon>, Option<Circle>)> = match &spec.footprint {
        FootprintSpec::Polygon { .. } | FootprintSpec::MultiPolygon { .. } => spec
            .footprint
            .polygons()
            .iter()
            .map(|rings| {
                let ring = rings.first().map(Vec::as_slice).unwrap_or(&[]);
                let open = match ring {
                    [head @ .., last] if head.first() == Some(last) => head,
                    all => all,
                };
                let vertices = open.iter().map(|position| point(position)).collect();
                (Some(Polygon { vertices }), None)
            })
            .collect(),
        FootprintSpec::Point { coordinates } => vec![(None, Some(circle(coordinates, 0.0)))],
        FootprintSpec::Circle { center, radius_m } => {
            vec![(None, Some(circle(center, *radius_m)))]
        }
    };
    outlines
        .into_iter()
        .map(|(outline_polygon, outline_circle)| volume(spec, outline_polygon, outline_circle))
        .collect()
}

/// One F3548 volume with the spec's altitudes and times around an outline.
fn volume(
    spec: &Volume4dSpec,
    outline_polygon: Option<Polygon>,
    outline_circle: Option<Circle>,
) -> Volume4D {
    let altitude = |value| Altitude {
        value,
        reference: AltitudeReference::W84,
        units: LengthUnit::M,
    };
    let time = |value| Time {
        value,
        format: TimeFormat::RFC3339,
    };
    Volume4D {
        volume: Volume3D {
            outline_circle,
            outline_polygon,
            altitude_lower: Some(altitude(spec.altitude_lower_m)),
            altitude_upper: Some(altitude(spec.altitude_upper_m)),
        },
        time_start: Some(time(spec.time_start)),
        time_end: Some(time(spec.time_end)),
    }
}
