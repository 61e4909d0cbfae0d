//! Validation errors: one variant per problem, each carrying the offending value and where it
//! is, so the server can answer with a one-sentence message and a JSON pointer.

use std::fmt;

/// Which ring of a footprint: `part` is the polygon's index in a MultiPolygon (`None` in a
/// Polygon); `ring` 0 is the exterior ring, 1 and up the holes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingAt {
    pub part: Option<usize>,
    pub ring: usize,
}

impl RingAt {
    /// The exterior ring of a Polygon.
    pub const EXTERIOR: RingAt = RingAt {
        part: None,
        ring: 0,
    };

    fn pointer(self) -> String {
        match self.part {
            None => format!("/coordinates/{}", self.ring),
            Some(part) => format!("/coordinates/{part}/{}", self.ring),
        }
    }
}

impl fmt::Display for RingAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ring {
            0 => f.write_str("the exterior ring")?,
            hole => write!(f, "hole {hole}")?,
        }
        match self.part {
            None => Ok(()),
            Some(part) => write!(f, " of polygon {part}"),
        }
    }
}

/// Where a position sits in a [`crate::FootprintSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionAt {
    /// Position `index` of a ring (`/coordinates/{ring}/{index}`, or
    /// `/coordinates/{part}/{ring}/{index}` in a MultiPolygon).
    Vertex(RingAt, usize),
    /// The centre of a circle (`/center`).
    Center,
    /// The position of a Point (`/coordinates`).
    Point,
}

impl PositionAt {
    fn pointer(self) -> String {
        match self {
            PositionAt::Vertex(ring, index) => format!("{}/{index}", ring.pointer()),
            PositionAt::Center => "/center".to_string(),
            PositionAt::Point => "/coordinates".to_string(),
        }
    }
}

impl fmt::Display for PositionAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PositionAt::Vertex(ring, index) => write!(f, "position {index} of {ring}"),
            PositionAt::Center => write!(f, "the circle's center"),
            PositionAt::Point => write!(f, "the point"),
        }
    }
}

/// A problem found while validating a footprint or a 4D volume.
///
/// A custom enum rather than a boxed error so the server can map every variant to one
/// problem+json answer and point at the offending field ([`GeometryError::pointer`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("the polygon has no ring; a polygon needs an exterior ring (then any holes)")]
    NoExteriorRing { part: Option<usize> },
    #[error("the MultiPolygon has no polygons")]
    NoPolygons,
    #[error("{at} has {count} numbers; a position is [longitude, latitude] or [longitude, latitude, altitude]")]
    BadPosition { at: PositionAt, count: usize },
    #[error("{at} has a coordinate that is not a finite number ({value}) at index {axis}")]
    NonFiniteCoordinate {
        at: PositionAt,
        axis: usize,
        value: f64,
    },
    #[error("longitude {lon} at {at} is outside -180..180 degrees")]
    LongitudeOutOfRange { at: PositionAt, lon: f64 },
    #[error("latitude {lat} at {at} is outside -90..90 degrees")]
    LatitudeOutOfRange { at: PositionAt, lat: f64 },
    #[error("{ring} is not closed: its last position {last:?} (index {last_index}) differs from its first {first:?}")]
    UnclosedRing {
        ring: RingAt,
        first: [f64; 2],
        last: [f64; 2],
        last_index: usize,
    },
    #[error("{ring} has {count} positions; a closed ring needs at least 4 (3 corners and the closing repeat of the first)")]
    TooFewPositions { ring: RingAt, count: usize },
    #[error("the footprint has {count} vertices, more than the limit of {max}")]
    TooManyVertices { count: usize, max: usize },
    #[error("{ring} has only {distinct} distinct corners once repeated positions (and positions within the 1 cm allowance of the one before) are merged; a ring needs at least 3")]
    DegenerateRing { ring: RingAt, distinct: usize },
    #[error("{ring} crosses or touches itself: edge {edge_a} meets edge {edge_b} near longitude {lon:.6}, latitude {lat:.6} (edge i runs from position i to position i+1)")]
    SelfIntersection {
        ring: RingAt,
        edge_a: usize,
        edge_b: usize,
        lon: f64,
        lat: f64,
    },
    #[error("{ring_b} crosses or touches {ring_a} near longitude {lon:.6}, latitude {lat:.6}; the rings of a polygon may not meet")]
    RingsMeet {
        ring_a: RingAt,
        ring_b: RingAt,
        lon: f64,
        lat: f64,
    },
    #[error("{hole} is not inside the exterior ring of its polygon")]
    HoleOutside { hole: RingAt },
    #[error("{hole} lies inside {other}; holes may not nest")]
    HoleInHole { hole: RingAt, other: RingAt },
    #[error("{ring} has no area ({area_m2:.3} m²): its corners lie on one line, or it is thinner than the 1 cm allowance")]
    ZeroArea { ring: RingAt, area_m2: f64 },
    #[error("the footprint is too large: it reaches {radius_m:.0} m from its centre, more than the limit of {max_m:.0} m")]
    FootprintTooLarge { radius_m: f64, max_m: f64 },
    #[error(
        "the footprint's perimeter is {perimeter_m:.0} m, more than the limit of {max_m:.0} m"
    )]
    PerimeterTooLong { perimeter_m: f64, max_m: f64 },
    #[error("the circle's radius_m is {radius_m}, but it must be a finite number")]
    RadiusNotFinite { radius_m: f64 },
    #[error("the circle's radius_m is {radius_m}, but it must be 0 (a point) or more")]
    RadiusNegative { radius_m: f64 },
    #[error("the circle's radius_m is {radius_m}, more than the limit of {max_m} m")]
    RadiusTooLarge { radius_m: f64, max_m: f64 },
    #[error("{field} is {value}, but it must be a finite number")]
    AltitudeNotFinite { field: &'static str, value: f64 },
    #[error("{field} is {value} m, outside the allowed altitudes {min_m} m .. {max_m} m")]
    AltitudeOutOfRange {
        field: &'static str,
        value: f64,
        min_m: f64,
        max_m: f64,
    },
    #[error("altitude_upper_m ({upper_m} m) is below altitude_lower_m ({lower_m} m)")]
    AltitudeBandReversed { lower_m: f64, upper_m: f64 },
    #[error("time_end ({end}) must be after time_start ({start})")]
    TimeWindowReversed {
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    },
    #[error("the time window lasts {seconds} s, more than the limit of {max_s} s")]
    TimeWindowTooLong { seconds: f64, max_s: i64 },
    /// A problem in the `footprint` of a 4D volume; displays as the inner problem.
    #[error(transparent)]
    VolumeFootprint(Box<GeometryError>),
}

impl GeometryError {
    /// JSON pointer of the offending field, relative to the object that was validated
    /// (a `FootprintSpec`: `/coordinates/0/5/1` (`/coordinates/2/0/5/1` in a MultiPolygon),
    /// `/radius_m`, `/center/0`; a `Volume4dSpec`: `/footprint/coordinates/0/5`,
    /// `/altitude_upper_m`, `/time_end`).
    pub fn pointer(&self) -> Option<String> {
        use GeometryError as E;
        let pointer = match self {
            E::NoExteriorRing { part: None } | E::NoPolygons => "/coordinates".to_string(),
            E::NoExteriorRing { part: Some(part) } => format!("/coordinates/{part}"),
            E::BadPosition { at, .. } => at.pointer(),
            E::NonFiniteCoordinate { at, axis, .. } => format!("{}/{axis}", at.pointer()),
            E::LongitudeOutOfRange { at, .. } => format!("{}/0", at.pointer()),
            E::LatitudeOutOfRange { at, .. } => format!("{}/1", at.pointer()),
            E::UnclosedRing {
                ring, last_index, ..
            } => format!("{}/{last_index}", ring.pointer()),
            E::SelfIntersection { ring, edge_b, .. } => format!("{}/{edge_b}", ring.pointer()),
            E::TooFewPositions { ring, .. }
            | E::DegenerateRing { ring, .. }
            | E::ZeroArea { ring, .. }
            | E::RingsMeet { ring_b: ring, .. }
            | E::HoleOutside { hole: ring }
            | E::HoleInHole { hole: ring, .. } => ring.pointer(),
            E::TooManyVertices { .. }
            | E::FootprintTooLarge { .. }
            | E::PerimeterTooLong { .. } => "/coordinates".to_string(),
            E::RadiusNotFinite { .. } | E::RadiusNegative { .. } | E::RadiusTooLarge { .. } => {
                "/radius_m".to_string()
            }
            E::AltitudeNotFinite { field, .. } | E::AltitudeOutOfRange { field, .. } => {
                format!("/{field}")
            }
            E::AltitudeBandReversed { .. } => "/altitude_upper_m".to_string(),
            E::TimeWindowReversed { .. } | E::TimeWindowTooLong { .. } => "/time_end".to_string(),
            E::VolumeFootprint(inner) => {
                return Some(format!("/footprint{}", inner.pointer().unwrap_or_default()))
            }
        };
        Some(pointer)
    }

    /// The problem itself, looking through [`GeometryError::VolumeFootprint`].
    pub fn innermost(&self) -> &GeometryError {
        match self {
            GeometryError::VolumeFootprint(inner) => inner.innermost(),
            other => other,
        }
    }
}
