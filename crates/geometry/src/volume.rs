//! [`Volume4d`]: a footprint with an altitude band and a half-open time window, and the gaps
//! between bands and windows that strategic detection compares against its minima.

use crate::{Footprint, GeometryError, Limits, Volume4dSpec};
use chrono::{DateTime, Utc};

/// A validated 4D volume: the footprint between `altitude_lower_m` and `altitude_upper_m`
/// (closed band) during `[time_start, time_end)`.
#[derive(Debug, Clone)]
pub struct Volume4d {
    spec: Volume4dSpec,
    footprint: Footprint,
}

impl Volume4d {
    /// Validates the footprint (errors wrapped in [`GeometryError::VolumeFootprint`], so their
    /// pointers start with `/footprint`), then the altitudes (finite, within the limits, upper
    /// above lower), then the time window (end after start, at most `max_window_s` long).
    pub fn from_spec(spec: &Volume4dSpec, limits: &Limits) -> Result<Volume4d, GeometryError> {
        let footprint = Footprint::from_spec(&spec.footprint, limits)
            .map_err(|e| GeometryError::VolumeFootprint(Box::new(e)))?;
        for (field, value) in [
            ("altitude_lower_m", spec.altitude_lower_m),
            ("altitude_upper_m", spec.altitude_upper_m),
        ] {
            if !value.is_finite() {
                return Err(GeometryError::AltitudeNotFinite { field, value });
            }
            if value < limits.altitude_min_m || value > limits.altitude_max_m {
                return Err(GeometryError::AltitudeOutOfRange {
                    field,
                    value,
                    min_m: limits.altitude_min_m,
                    max_m: limits.altitude_max_m,
                });
            }
        }
        // Equal bounds are a flat band: sea operations use 0..0 (SPEC §2).
        if spec.altitude_upper_m < spec.altitude_lower_m {
            return Err(GeometryError::AltitudeBandReversed {
                lower_m: spec.altitude_lower_m,
                upper_m: spec.altitude_upper_m,
            });
        }
        if spec.time_end <= spec.time_start {
            return Err(GeometryError::TimeWindowReversed {
                start: spec.time_start,
                end: spec.time_end,
            });
        }
        let window = spec.time_end - spec.time_start;
        if window > chrono::Duration::seconds(limits.max_window_s) {
            return Err(GeometryError::TimeWindowTooLong {
                seconds: duration_s(window),
                max_s: limits.max_window_s,
            });
        }
        Ok(Volume4d {
            spec: spec.clone(),
            footprint,
        })
    }

    pub fn spec(&self) -> &Volume4dSpec {
        &self.spec
    }
    pub fn footprint(&self) -> &Footprint {
        &self.footprint
    }
    pub fn altitude_lower_m(&self) -> f64 {
        self.spec.altitude_lower_m
    }
    pub fn altitude_upper_m(&self) -> f64 {
        self.spec.altitude_upper_m
    }
    pub fn time_start(&self) -> DateTime<Utc> {
        self.spec.time_start
    }
    pub fn time_end(&self) -> DateTime<Utc> {
        self.spec.time_end
    }
}

/// Gap between two closed intervals (0 when they overlap or touch). Used for altitude bands.
pub fn interval_gap(a_lower: f64, a_upper: f64, b_lower: f64, b_upper: f64) -> f64 {
    (b_lower - a_upper).max(a_lower - b_upper).max(0.0)
}

/// Gap in seconds (sub-second precision) between the half-open windows `[a_start, a_end)` and
/// `[b_start, b_end)`; 0 when they overlap (and when one ends as the other starts).
pub fn time_gap_s(
    a_start: DateTime<Utc>,
    a_end: DateTime<Utc>,
    b_start: DateTime<Utc>,
    b_end: DateTime<Utc>,
) -> f64 {
    let gap = (b_start - a_end).max(a_start - b_end);
    if gap <= chrono::Duration::zero() {
        0.0
    } else {
        duration_s(gap)
    }
}

/// Seconds in a duration, exact to the nanosecond for any span chrono can hold.
fn duration_s(d: chrono::Duration) -> f64 {
    d.num_seconds() as f64 + f64::from(d.subsec_nanos()) * 1e-9
}
