//! The plan-against-plan rule of SPEC §5.1, for one pair of volumes.
//!
//! Two volumes of different parties conflict when all three hold:
//! 1. their time windows are closer than the time buffer (gap < buffer − 1 ms),
//! 2. their altitude bands are closer than the vertical separation (gap < V − 1 cm),
//! 3. their footprints are closer than the horizontal separation (distance < H − 1 cm).
//!
//! A minimum is met at equality, with the allowance of SPEC §5.2, so a pair exactly at
//! the minimum is separated whatever the float rounding of a unit conversion.
//! Each pair is judged with the minima of its domains ([`PlanMinima::between`]): two sea
//! operations on the horizontal and in time only, an air and a sea one only when the
//! agreement checks such pairs.
//! The checks run cheapest first; the geodesic distance is computed only when the time
//! and altitude tests have already failed to separate the pair.

use chrono::{DateTime, Utc};
use deconflict_geometry::{interval_gap, time_gap_s, Region, Volume4d, ALLOWANCE_M};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agreement::AgreementParams;
use crate::ids::OperationKey;
use crate::operation::Domain;

/// Allowance on the time buffer: a gap of exactly the buffer is separated.
pub const TIME_ALLOWANCE_S: f64 = 0.001;

/// What two conflicting volumes share: the description released under `conflicts_only`.
///
/// `time_*` is the overlap of the two windows, or the gap between them when they do not
/// overlap; `altitude_*` likewise for the bands; `region` is the part of each footprint
/// within the horizontal separation of the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Overlap {
    pub time_start: DateTime<Utc>,
    pub time_end: DateTime<Utc>,
    pub altitude_lower_m: f64,
    pub altitude_upper_m: f64,
    /// Geodesic distance between the footprints, 0 when they intersect.
    pub horizontal_distance_m: f64,
    pub vertical_gap_m: f64,
    pub time_gap_s: f64,
    /// GeoJSON MultiPolygon.
    #[schema(value_type = Object)]
    pub region: Region,
}

/// One conflicting pair of volumes, seen from operation `a` (the one filed or changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StrategicConflict {
    #[schema(value_type = Object)]
    pub operation_a: OperationKey,
    pub volume_a: usize,
    #[schema(value_type = Object)]
    pub operation_b: OperationKey,
    pub volume_b: usize,
    pub overlap: Overlap,
}

/// The minima one pair of operations is judged with: the agreement's for the pair's domains
/// (SPEC §7 amended). Two sea operations have no vertical criterion; an air and a sea
/// operation are judged with the air minima, and only when the agreement checks air–sea pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanMinima {
    pub separation_horizontal_m: f64,
    /// `None`: altitude bands never separate the pair.
    pub separation_vertical_m: Option<f64>,
    pub time_buffer_s: f64,
}

impl PlanMinima {
    /// The air minima of `params`.
    pub fn air(params: &AgreementParams) -> PlanMinima {
        PlanMinima {
            separation_horizontal_m: params.separation_horizontal_m,
            separation_vertical_m: Some(params.separation_vertical_m),
            time_buffer_s: params.time_buffer_s,
        }
    }

    /// The minima for operations of domains `a` and `b` under `params`; `None`: the pair is
    /// not checked.
    pub fn between(params: &AgreementParams, a: Domain, b: Domain) -> Option<PlanMinima> {
        match (a, b) {
            (Domain::Air, Domain::Air) => Some(PlanMinima::air(params)),
            (Domain::Sea, Domain::Sea) => Some(PlanMinima {
                separation_horizontal_m: params.sea.separation_horizontal_m,
                separation_vertical_m: None,
                time_buffer_s: params.time_buffer_s,
            }),
            _ if params.air_sea_checked => Some(PlanMinima::air(params)),
            _ => None,
        }
    }
}

/// Applies SPEC §5.1 to one pair of air volumes; `Some` with the overlap when they conflict.
pub fn volumes_conflict(a: &Volume4d, b: &Volume4d, params: &AgreementParams) -> Option<Overlap> {
    volumes_conflict_with(a, b, &PlanMinima::air(params))
}

/// Applies SPEC §5.1 to one pair of volumes with the pair's minima ([`PlanMinima::between`]).
pub fn volumes_conflict_with(a: &Volume4d, b: &Volume4d, minima: &PlanMinima) -> Option<Overlap> {
    let time_gap = time_gap_s(a.time_start(), a.time_end(), b.time_start(), b.time_end());
    if time_gap >= minima.time_buffer_s - TIME_ALLOWANCE_S {
        return None;
    }
    let vertical_gap = interval_gap(
        a.altitude_lower_m(),
        a.altitude_upper_m(),
        b.altitude_lower_m(),
        b.altitude_upper_m(),
    );
    if minima
        .separation_vertical_m
        .is_some_and(|vertical_m| vertical_gap >= vertical_m - ALLOWANCE_M)
    {
        return None;
    }
    let separation_m = minima.separation_horizontal_m - ALLOWANCE_M;
    let distance = a.footprint().distance_m(b.footprint());
    if distance >= separation_m {
        return None;
    }
    let region = a.footprint().conflict_region(b.footprint(), separation_m)?;
    let (time_start, time_end) = ordered(
        a.time_start().max(b.time_start()),
        a.time_end().min(b.time_end()),
    );
    let (altitude_lower_m, altitude_upper_m) = ordered(
        a.altitude_lower_m().max(b.altitude_lower_m()),
        a.altitude_upper_m().min(b.altitude_upper_m()),
    );
    Some(Overlap {
        time_start,
        time_end,
        altitude_lower_m,
        altitude_upper_m,
        horizontal_distance_m: distance,
        vertical_gap_m: vertical_gap,
        time_gap_s: time_gap,
        region,
    })
}

/// The pair in ascending order: an overlap interval, or the gap when they do not overlap.
fn ordered<T: PartialOrd>(first: T, second: T) -> (T, T) {
    if first <= second {
        (first, second)
    } else {
        (second, first)
    }
}
