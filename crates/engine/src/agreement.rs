//! Agreement parameters between parties (SPEC §7).
//!
//! Until agreements can be negotiated, every pair of parties uses [`AgreementParams::default`],
//! the defaults of SPEC §7. Detection takes the parameters as an argument so that later
//! per-pair agreements change only how they are looked up.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a party may see of another party's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationRelease {
    Full,
    ConflictsOnly,
    None,
}

/// What a party may see of another party's tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackRelease {
    Full,
    Proximity,
    ConflictsOnly,
}

/// Separation minima, look-ahead and release settings for a pair of parties.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgreementParams {
    pub separation_horizontal_m: f64,
    pub separation_vertical_m: f64,
    pub time_buffer_s: f64,
    pub lookahead_s: f64,
    pub release_operations: OperationRelease,
    pub release_tracks: TrackRelease,
}

impl Default for AgreementParams {
    /// SPEC §7: 5 NM, 1,000 ft, 300 s buffer, 300 s look-ahead, conflicts only.
    fn default() -> Self {
        Self {
            separation_horizontal_m: 9_260.0,
            separation_vertical_m: 304.8,
            time_buffer_s: 300.0,
            lookahead_s: 300.0,
            release_operations: OperationRelease::ConflictsOnly,
            release_tracks: TrackRelease::ConflictsOnly,
        }
    }
}
