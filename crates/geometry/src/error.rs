//! Validation errors: one variant per problem, each carrying the offending value and where it
//! is, so the server can answer with a one-sentence message and a JSON pointer.

use std::fmt;

/// Where a position sits in a [`crate::FootprintSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionAt {
    /// Position `index` of the exterior ring (`/coordinates/0/{index}`).
    Vertex(usize),
    /// The centre of a circle (`/center`).
    Center,
}

impl PositionAt {
    fn pointer(self) -> String {
        match self {
            PositionAt::Vertex(index) => format!("/coordinates/0/{index}"),
            PositionAt::Center => "/center".to_string(),
        }
    }
}

impl fmt::Display for PositionAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PositionAt::Vertex(index) => write!(f, "position {index} of the ring"),
            PositionAt::Center => write!(f, "the circle's center"),
        }
    }
}

/// A geographic pole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pole {
    North,
    South,
}

impl fmt::Display for Pole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pole::North => "North Pole",
            Pole::South => "South Pole",
        })
    }
}

/// A problem found while validating a footprint or a 4D volume.
///
/// A custom enum rather than a boxed error so the server can map every variant to one
/// problem+json answer and point at the offending field ([`GeometryError::pointer`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("the polygon has no ring; a Polygon needs exactly one exterior ring")]
    NoExteriorRing,
    #[error("the polygon has {rings} rings, but holes (interior rings) are not supported; file the exterior ring only, or split the footprint")]
    HolesNotSupported { rings: usize },
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
    #[error("the ring is not closed: its last position {last:?} (index {last_index}) differs from its first {first:?}")]
    UnclosedRing {
        first: [f64; 2],
        last: [f64; 2],
        last_index: usize,
    },
    #[error("the ring has {count} positions; a closed ring needs at least 4 (3 corners and the closing repeat of the first)")]
    TooFewPositions { count: usize },
    #[error("the ring has {count} vertices, more than the limit of {max}")]
    TooManyVertices { count: usize, max: usize },
    #[error("the ring has only {distinct} distinct corners once repeated positions are dropped; a polygon needs at least 3")]
    DegenerateRing { distinct: usize },
    #[error("the ring crosses or touches itself: edge {edge_a} meets edge {edge_b} near longitude {lon:.6}, latitude {lat:.6} (edge i runs from position i to position i+1)")]
    SelfIntersection {
        edge_a: usize,
        edge_b: usize,
        lon: f64,
        lat: f64,
    },
    #[error("the polygon has no area ({area_m2:.3} m²): its corners lie on one line")]
    ZeroArea { area_m2: f64 },
    #[error("the footprint contains the {pole}; footprints that contain a pole are not supported")]
    EnclosesPole { at_center: bool, pole: Pole },
    #[error("the polygon is too large: it reaches {radius_m:.0} m from its centre, more than the limit of {max_m:.0} m")]
    FootprintTooLarge { radius_m: f64, max_m: f64 },
    #[error("the ring's perimeter is {perimeter_m:.0} m, more than the limit of {max_m:.0} m")]
    PerimeterTooLong { perimeter_m: f64, max_m: f64 },
    #[error("the circle's radius_m is {radius_m}, but it must be a finite number")]
    RadiusNotFinite { radius_m: f64 },
    #[error("the circle's radius_m is {radius_m}, but it must be greater than 0")]
    RadiusNotPositive { radius_m: f64 },
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
    /// (a `FootprintSpec`: `/coordinates/0/5/1`, `/radius_m`, `/center/0`; a `Volume4dSpec`:
    /// `/footprint/coordinates/0/5`, `/altitude_upper_m`, `/time_end`).
    pub fn pointer(&self) -> Option<String> {
        use GeometryError as E;
        let pointer = match self {
            E::NoExteriorRing => "/coordinates".to_string(),
            E::HolesNotSupported { .. } => "/coordinates/1".to_string(),
            E::BadPosition { at, .. } => at.pointer(),
            E::NonFiniteCoordinate { at, axis, .. } => format!("{}/{axis}", at.pointer()),
            E::LongitudeOutOfRange { at, .. } => format!("{}/0", at.pointer()),
            E::LatitudeOutOfRange { at, .. } => format!("{}/1", at.pointer()),
            E::UnclosedRing { last_index, .. } => format!("/coordinates/0/{last_index}"),
            E::SelfIntersection { edge_b, .. } => format!("/coordinates/0/{edge_b}"),
            E::TooFewPositions { .. }
            | E::TooManyVertices { .. }
            | E::DegenerateRing { .. }
            | E::ZeroArea { .. }
            | E::FootprintTooLarge { .. }
            | E::PerimeterTooLong { .. } => "/coordinates/0".to_string(),
            E::EnclosesPole { at_center, .. } => match at_center {
                true => "/center".to_string(),
                false => "/coordinates/0".to_string(),
            },
            E::RadiusNotFinite { .. } | E::RadiusNotPositive { .. } | E::RadiusTooLarge { .. } => {
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
