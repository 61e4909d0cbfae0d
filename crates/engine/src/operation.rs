//! Operations: a party's plan of one or more 4D volumes, and its lifecycle.

use deconflict_geometry::{Limits, Volume4d, Volume4dSpec};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

use crate::error::EngineError;
use crate::ids::OperationKey;

/// Mission types of SPEC §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissionType {
    Combat,
    Patrol,
    Reconnaissance,
    Transport,
    Humanitarian,
    Medical,
    Exercise,
    Transit,
    Training,
    Other,
}

impl MissionType {
    /// `medical` and `humanitarian` operations have right of way (SPEC §5.1).
    pub fn has_right_of_way(self) -> bool {
        matches!(self, MissionType::Medical | MissionType::Humanitarian)
    }
}

/// Where an operation or a track moves (SPEC §2, §7 amended). Each domain has its own minima
/// in an agreement; pairs across domains are checked only where the agreement says so. The
/// default is `air`, so clients and logs from before domains existed keep their meaning.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    #[default]
    Air,
    Sea,
}

impl Domain {
    /// For `skip_serializing_if`: `air` is written as nothing, so what was written before
    /// domains existed and what is written now for aircraft are the same bytes.
    pub fn is_air(&self) -> bool {
        *self == Domain::Air
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Domain::Air => "air",
            Domain::Sea => "sea",
        })
    }
}

/// Lifecycle: `filed` → `active` → `ended`, or `filed`/`active` → `cancelled`.
/// Only `filed` and `active` operations take part in detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    Filed,
    Active,
    Ended,
    Cancelled,
}

impl OperationState {
    pub fn is_live(self) -> bool {
        matches!(self, OperationState::Filed | OperationState::Active)
    }
}

impl fmt::Display for OperationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperationState::Filed => "filed",
            OperationState::Active => "active",
            OperationState::Ended => "ended",
            OperationState::Cancelled => "cancelled",
        })
    }
}

/// The longest callsign accepted.
pub const CALLSIGN_MAX_CHARS: usize = 32;

/// An operation as filed (the body of `PUT /v1/operations/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub mission_type: MissionType,
    pub domain: Domain,
    /// Optional callsign; never released to other parties under `conflicts_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// One or more 4D volumes: footprint (GeoJSON Polygon, or `{"type":"Circle","center":[lon,lat],"radius_m":r}`),
    /// altitude band in metres above the WGS84 ellipsoid, and time window [time_start, time_end).
    /// The API also takes ASTM F3548 `Volume4D` volumes (`deconflict_geometry::f3548`).
    #[schema(value_type = Vec<Object>)]
    pub volumes: Vec<Volume4dSpec>,
    /// ASTM F3548 priority (default 0; greater is higher). A filing or change that would
    /// create a conflict with a live operation of higher priority is refused; equal
    /// priorities conflict as any plans do (reported, not refused).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i32,
}

fn is_zero(priority: &i32) -> bool {
    *priority == 0
}

impl OperationSpec {
    /// Validates every field and builds the volumes. Errors name the first bad field.
    pub fn validate(&self, limits: &Limits) -> Result<Vec<Volume4d>, EngineError> {
        if let Some(callsign) = &self.callsign {
            crate::ids::check_printable("callsign", callsign, false)?;
            if callsign.chars().count() > CALLSIGN_MAX_CHARS {
                return Err(EngineError::TooLong {
                    field: "callsign",
                    max: CALLSIGN_MAX_CHARS,
                });
            }
        }
        if self.volumes.is_empty() {
            return Err(EngineError::NoVolumes);
        }
        if self.volumes.len() > limits.max_volumes_per_operation {
            return Err(EngineError::TooManyVolumes {
                count: self.volumes.len(),
                max: limits.max_volumes_per_operation,
            });
        }
        self.volumes
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                Volume4d::from_spec(spec, limits)
                    .map_err(|source| EngineError::InvalidVolume { index, source })
            })
            .collect()
    }
}

/// A filed operation with its validated volumes.
#[derive(Debug, Clone)]
pub struct Operation {
    pub key: OperationKey,
    pub spec: OperationSpec,
    pub volumes: Vec<Volume4d>,
    pub state: OperationState,
    /// Starts at 1 and grows with every change; the HTTP ETag.
    pub version: u64,
    pub filed_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
