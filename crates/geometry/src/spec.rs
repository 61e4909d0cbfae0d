//! The shapes as filed: GeoJSON-shaped, serde-ready, not yet validated. Validation turns a
//! [`FootprintSpec`] into a [`crate::Footprint`] and a [`Volume4dSpec`] into a
//! [`crate::Volume4d`]; the specs are kept so they can be echoed back exactly as filed.

use chrono::{DateTime, Utc};

/// A footprint as filed: a GeoJSON geometry (Polygon, MultiPolygon or Point) or a circle.
/// Positions are `[lon, lat]` (a third number, altitude, is accepted and ignored) in WGS84
/// degrees.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum FootprintSpec {
    /// GeoJSON Polygon: an exterior ring, then any number of holes (interior rings), each
    /// closed (first == last) with >= 4 positions, in either orientation. Edges are WGS84
    /// geodesics (the shortest way, across the antimeridian when that is shorter). The
    /// footprint is the inside of the exterior ring less the insides of the holes.
    Polygon { coordinates: Vec<Vec<Vec<f64>>> },
    /// GeoJSON MultiPolygon: one footprint made of several polygons (each as in `Polygon`);
    /// the footprint is their union, so parts may touch (RFC 7946's antimeridian split cuts a
    /// shape into two parts that share the ±180 meridian) or overlap.
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
    /// GeoJSON Point: a circle of radius 0.
    Point { coordinates: Vec<f64> },
    /// A circle: the geodesic disc of `radius_m` metres (0 or more) around `center`
    /// `[lon, lat]`.
    Circle { center: Vec<f64>, radius_m: f64 },
}

impl FootprintSpec {
    /// The polygons of a Polygon or MultiPolygon, each as its rings (exterior first); empty for
    /// a point or a circle.
    pub fn polygons(&self) -> Vec<&[Vec<Vec<f64>>]> {
        match self {
            FootprintSpec::Polygon { coordinates } => vec![coordinates.as_slice()],
            FootprintSpec::MultiPolygon { coordinates } => {
                coordinates.iter().map(Vec::as_slice).collect()
            }
            FootprintSpec::Point { .. } | FootprintSpec::Circle { .. } => Vec::new(),
        }
    }
}

/// Limits on what may be filed (SPEC §4); configurable, the defaults are the SPEC's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Vertices per footprint (the closing repeat of the first position not counted): 10,000.
    pub max_vertices: usize,
    /// Volumes per operation (enforced by the engine): 100.
    pub max_volumes_per_operation: usize,
    /// Longest time window of a volume (s): 7 days.
    pub max_window_s: i64,
    /// Lowest altitude (m): -500.
    pub altitude_min_m: f64,
    /// Highest altitude (m): 30,000.
    pub altitude_max_m: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_vertices: 10_000,
            max_volumes_per_operation: 100,
            max_window_s: 7 * 24 * 3600,
            altitude_min_m: -500.0,
            altitude_max_m: 30_000.0,
        }
    }
}

/// A GeoJSON MultiPolygon in `[lon, lat]`: polygons, each a list of closed rings (exterior
/// counter-clockwise first, then holes clockwise), longitudes within [-180, 180].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    /// Always `"MultiPolygon"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

/// A 4D volume as filed: a footprint between two altitudes (m, closed band) during the
/// half-open window `[time_start, time_end)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Volume4dSpec {
    pub footprint: FootprintSpec,
    pub altitude_lower_m: f64,
    pub altitude_upper_m: f64,
    pub time_start: DateTime<Utc>,
    pub time_end: DateTime<Utc>,
}
