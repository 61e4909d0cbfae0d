//! Specs as filed.
use chrono::{DateTime, Utc};

/// As filed (GeoJSON-shaped input/output).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum FootprintSpec {
    /// GeoJSON Polygon.
    Polygon { coordinates: Vec<Vec<Vec<f64>>> },
    /// A geodesic disc.
    Circle { center: Vec<f64>, radius_m: f64 },
}

/// Limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_vertices: usize,
    pub max_volumes_per_operation: usize,
    pub max_window_s: i64,
    pub altitude_min_m: f64,
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

/// GeoJSON MultiPolygon.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

/// A 4D volume as filed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Volume4dSpec {
    pub footprint: FootprintSpec,
    pub altitude_lower_m: f64,
    pub altitude_upper_m: f64,
    pub time_start: DateTime<Utc>,
    pub time_end: DateTime<Utc>,
}
