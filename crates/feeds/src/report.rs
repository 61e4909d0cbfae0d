//! The unit conversions into a position report, and the report itself: one type and one
//! validation for every feed, the engine and the server (`deconflict_engine::TrackReport`,
//! its limits and `TrackReport::validate`), re-exported here so that a parser names what it
//! produces.
//!
//! Units are SI with the unit in the name (`altitude_m`, `ground_speed_mps`); angles are
//! degrees. Conversions from the aviation units receivers speak are constants here so that
//! every parser converts the same way.

pub use deconflict_engine::track::{
    ReportRefusal, TrackReport, VesselParticulars, ALTITUDE_MAX_M, ALTITUDE_MIN_M,
    MAX_GROUND_SPEED_MPS, MAX_SEA_SPEED_MPS, MAX_VERTICAL_RATE_MPS,
};
pub use deconflict_engine::Domain;

/// International foot, exactly.
pub const FEET_TO_M: f64 = 0.3048;
/// International knot (1,852 m per hour), exactly.
pub const KNOTS_TO_MPS: f64 = 1852.0 / 3600.0;
/// Feet per minute, as vertical rates are given.
pub const FEET_PER_MINUTE_TO_MPS: f64 = 0.3048 / 60.0;

/// How much of an offending value an error repeats.
const PREVIEW_CHARS: usize = 80;

/// The start of `text`, cut at a character boundary, so errors stay small.
pub(crate) fn preview(text: &str) -> String {
    if text.chars().count() <= PREVIEW_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(PREVIEW_CHARS).collect();
        cut.push('…');
        cut
    }
}
