//! Agreements between parties (SPEC §2, §7): separation minima, look-ahead, release settings.
//!
//! An agreement names two or more parties. One proposes a version; it is in force once every
//! named party has accepted it, and a newer version replaces it only when all accept again (the
//! version in force stays until then). Any named party may suspend ("freeze") it and resume it.
//! Parties with no agreement in force use [`AgreementParams::default`] (SPEC §7). Where several
//! agreements in force name the same two parties, the strictest value of each parameter applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

use crate::ids::PartyId;
use crate::operation::Domain;

/// What a party may see of another party's operations (ordered from least to most revealing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationRelease {
    None,
    ConflictsOnly,
    Full,
}

/// What a party may see of another party's tracks (ordered from least to most revealing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackRelease {
    ConflictsOnly,
    Proximity,
    Full,
}

/// The minima between ships (SPEC §7 amended: 1 NM, 1,200 s, the closest point of approach
/// and time to it that mariners' tools use). There is no vertical criterion: ships are on the
/// surface, so detection judges a sea pair on the horizontal alone (`tactical` puts every
/// ship at sea level; `strategic` ignores the altitude bands of two sea operations).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeaMinima {
    #[serde(default = "default_sea_separation_horizontal_m")]
    pub separation_horizontal_m: f64,
    #[serde(default = "default_sea_lookahead_s")]
    pub lookahead_s: f64,
}

fn default_sea_separation_horizontal_m() -> f64 {
    1_852.0
}
fn default_sea_lookahead_s() -> f64 {
    1_200.0
}

impl Default for SeaMinima {
    /// 1 NM, 1,200 s.
    fn default() -> Self {
        SeaMinima {
            separation_horizontal_m: default_sea_separation_horizontal_m(),
            lookahead_s: default_sea_lookahead_s(),
        }
    }
}

impl SeaMinima {
    fn is_default(&self) -> bool {
        *self == SeaMinima::default()
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Separation minima, look-ahead and release settings for a pair of parties. The top-level
/// minima are the air domain's (as before domains existed, so stored agreements keep their
/// meaning); `sea` holds the ships', and `air_sea_checked` says whether an aircraft and a ship
/// are judged against each other at all (with the air minima: the aircraft is what a ship
/// can endanger, and the air rule keeps its vertical criterion, a ship being at sea level).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementParams {
    pub separation_horizontal_m: f64,
    pub separation_vertical_m: f64,
    pub time_buffer_s: f64,
    pub lookahead_s: f64,
    /// Minima between two ships (default 1 NM, 1,200 s look-ahead, no vertical criterion).
    /// Written only when not the default, so logs of agreements keep their bytes.
    #[serde(default, skip_serializing_if = "SeaMinima::is_default")]
    pub sea: SeaMinima,
    /// Whether pairs of an aircraft and a ship (tracks or operations) are checked, with the
    /// air minima (default: no).
    #[serde(default, skip_serializing_if = "is_false")]
    pub air_sea_checked: bool,
    pub release_operations: OperationRelease,
    pub release_tracks: TrackRelease,
    /// Seconds a `warning` alert may stay unacknowledged before it is pushed again (SPEC §6).
    #[serde(default = "default_ack_deadline_warning_s")]
    pub ack_deadline_warning_s: f64,
    /// Seconds an `advisory` or `caution` alert may stay unacknowledged before it is escalated.
    #[serde(default = "default_ack_deadline_s")]
    pub ack_deadline_s: f64,
    /// Seconds between re-notifications of an unacknowledged `warning` after the first.
    #[serde(default = "default_renotify_interval_s")]
    pub renotify_interval_s: f64,
    /// How many times an unacknowledged `warning` is re-notified; then it is overdue and quiet.
    #[serde(default = "default_renotify_limit")]
    pub renotify_limit: u32,
}

fn default_ack_deadline_warning_s() -> f64 {
    60.0
}
fn default_ack_deadline_s() -> f64 {
    300.0
}
fn default_renotify_interval_s() -> f64 {
    300.0
}
fn default_renotify_limit() -> u32 {
    3
}

impl Default for AgreementParams {
    /// SPEC §7: 5 NM, 1,000 ft, 300 s buffer, 300 s look-ahead, conflicts only.
    fn default() -> Self {
        Self {
            separation_horizontal_m: 9_260.0,
            separation_vertical_m: 304.8,
            time_buffer_s: 300.0,
            lookahead_s: 300.0,
            sea: SeaMinima::default(),
            air_sea_checked: false,
            release_operations: OperationRelease::ConflictsOnly,
            release_tracks: TrackRelease::ConflictsOnly,
            ack_deadline_warning_s: default_ack_deadline_warning_s(),
            ack_deadline_s: default_ack_deadline_s(),
            renotify_interval_s: default_renotify_interval_s(),
            renotify_limit: default_renotify_limit(),
        }
    }
}

impl AgreementParams {
    /// The strictest of two: larger minima, buffer and look-ahead, air–sea pairs checked if
    /// either checks them, less released, shorter
    /// acknowledgement deadlines and more re-notifications.
    pub fn strictest(self, other: AgreementParams) -> AgreementParams {
        AgreementParams {
            separation_horizontal_m: self
                .separation_horizontal_m
                .max(other.separation_horizontal_m),
            separation_vertical_m: self.separation_vertical_m.max(other.separation_vertical_m),
            time_buffer_s: self.time_buffer_s.max(other.time_buffer_s),
            lookahead_s: self.lookahead_s.max(other.lookahead_s),
            sea: SeaMinima {
                separation_horizontal_m: self
                    .sea
                    .separation_horizontal_m
                    .max(other.sea.separation_horizontal_m),
                lookahead_s: self.sea.lookahead_s.max(other.sea.lookahead_s),
            },
            air_sea_checked: self.air_sea_checked || other.air_sea_checked,
            release_operations: self.release_operations.min(other.release_operations),
            release_tracks: self.release_tracks.min(other.release_tracks),
            ack_deadline_warning_s: self
                .ack_deadline_warning_s
                .min(other.ack_deadline_warning_s),
            ack_deadline_s: self.ack_deadline_s.min(other.ack_deadline_s),
            renotify_interval_s: self.renotify_interval_s.min(other.renotify_interval_s),
            renotify_limit: self.renotify_limit.max(other.renotify_limit),
        }
    }

    /// The look-ahead for a track or operation of `domain` (a ship's is the sea's).
    pub fn lookahead_for(&self, domain: Domain) -> f64 {
        match domain {
            Domain::Air => self.lookahead_s,
            Domain::Sea => self.sea.lookahead_s,
        }
    }

    /// Finite, positive minima within sane bounds; the field at fault otherwise.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let checks = [
            (
                "/params/separation_horizontal_m",
                self.separation_horizontal_m,
                1.0,
                1_000_000.0,
            ),
            (
                "/params/separation_vertical_m",
                self.separation_vertical_m,
                1.0,
                30_000.0,
            ),
            (
                "/params/time_buffer_s",
                self.time_buffer_s,
                0.0,
                7.0 * 86_400.0,
            ),
            ("/params/lookahead_s", self.lookahead_s, 1.0, 3_600.0),
            (
                "/params/sea/separation_horizontal_m",
                self.sea.separation_horizontal_m,
                1.0,
                100_000.0,
            ),
            (
                "/params/sea/lookahead_s",
                self.sea.lookahead_s,
                1.0,
                3_600.0,
            ),
            (
                "/params/ack_deadline_warning_s",
                self.ack_deadline_warning_s,
                1.0,
                86_400.0,
            ),
            ("/params/ack_deadline_s", self.ack_deadline_s, 1.0, 86_400.0),
            (
                "/params/renotify_interval_s",
                self.renotify_interval_s,
                1.0,
                86_400.0,
            ),
            (
                "/params/renotify_limit",
                f64::from(self.renotify_limit),
                0.0,
                100.0,
            ),
        ];
        for (field, value, min, max) in checks {
            if !value.is_finite() || value < min || value > max {
                return Err((field, format!("{value} is outside [{min}, {max}]")));
            }
        }
        Ok(())
    }
}

/// One proposed version of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgreementVersion {
    pub version: u32,
    pub params: AgreementParams,
    #[schema(value_type = String)]
    pub proposed_by: PartyId,
    pub proposed_at: DateTime<Utc>,
    #[schema(value_type = Vec<String>)]
    pub accepted_by: BTreeSet<PartyId>,
}

/// An agreement between two or more parties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Agreement {
    pub id: String,
    /// Sorted; only these parties may see, accept, suspend or resume it.
    #[schema(value_type = Vec<String>)]
    pub parties: Vec<PartyId>,
    /// The version every party accepted; `None` until the first is.
    pub in_force: Option<AgreementVersion>,
    /// A newer version awaiting acceptance.
    pub pending: Option<AgreementVersion>,
    /// Set while frozen: who suspended it, and when.
    #[schema(value_type = Option<Object>)]
    pub suspended: Option<(PartyId, DateTime<Utc>)>,
}

impl Agreement {
    pub fn names(&self, party: &PartyId) -> bool {
        self.parties.contains(party)
    }

    /// In force and not suspended: its parameters apply.
    pub fn applies(&self) -> bool {
        self.in_force.is_some()
    }

    /// In force and suspended: the channel between its parties is frozen.
    pub fn frozen(&self) -> bool {
        self.in_force.is_some() && self.suspended.is_some()
    }
}
