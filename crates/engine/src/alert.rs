//! Alerts: what the system tells a party (SPEC §6).
//!
//! An alert's id is derived from its condition — for a strategic conflict, the pair of
//! operations — so it stays the same while the condition persists and is *updated*, not
//! repeated, when the figures change. When a condition clears the alert is resolved; if
//! the same pair conflicts again later, that is a new condition with a new id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::ids::{AlertId, OperationKey, PartyId};
use crate::strategic::StrategicConflict;

/// Severity, from least to most urgent (ordering is meaningful).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Advisory,
    Caution,
    Warning,
}

impl Severity {
    /// SPEC §5.2 thresholds applied to the time until a conflict begins:
    /// below 60 s (or already begun) `warning`, below 180 s `caution`, otherwise `advisory`.
    pub fn from_time_to_conflict_s(seconds: f64) -> Severity {
        if seconds < 60.0 {
            Severity::Warning
        } else if seconds < 180.0 {
            Severity::Caution
        } else {
            Severity::Advisory
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Resolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Two plans of different parties too close (SPEC §5.1).
    StrategicConflict,
    /// Two live tracks of different parties predicted to lose separation, or lost it (§5.2).
    TacticalConflict,
    /// A track outside its operation's volumes (§5.3).
    Nonconformance,
    /// An incident report shared with the party.
    Incident,
    /// An operation entering a zone against an advisory rule, or a zone that reports entries
    /// (SPEC §5.4).
    ZoneEntry,
    /// A live track inside a zone against its rules, or predicted to enter it within the
    /// look-ahead (SPEC §5.4).
    TrackZoneEntry,
    /// An operation or a live track near a protected site (SPEC §5.5).
    SiteProximity,
}

/// One live track, named by its owner and its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrackRef {
    pub owner: PartyId,
    pub track_id: String,
}

/// A predicted or actual loss of separation between two tracks, figures as of `evaluated_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TacticalDetail {
    /// Sorted, so the same pair always has the same content.
    pub tracks: [TrackRef; 2],
    pub evaluated_at: DateTime<Utc>,
    pub los_now: bool,
    pub t_los_s: f64,
    pub t_out_s: f64,
    pub t_cpa_s: f64,
    pub d_cpa_m: f64,
    pub horizontal_distance_now_m: f64,
    pub vertical_offset_now_m: f64,
    /// The domains of `tracks`, in the same order: two ships are judged with the sea minima,
    /// an aircraft and a ship with the air minima (SPEC §7 amended). Written only when a ship
    /// is involved, so the alerts of aircraft keep their bytes in the log.
    #[serde(default, skip_serializing_if = "both_air")]
    pub domains: [crate::operation::Domain; 2],
}

fn both_air(domains: &[crate::operation::Domain; 2]) -> bool {
    domains.iter().all(|d| d.is_air())
}

/// A track outside every active volume of the operation it flies for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonconformanceDetail {
    pub track: TrackRef,
    pub operation: OperationKey,
    pub evaluated_at: DateTime<Utc>,
    /// `[lon, lat]` of the track when it was found outside.
    pub position: [f64; 2],
    pub altitude_m: f64,
    /// Why, in words: how far outside, or that the operation is not live.
    pub reason: String,
    /// Other parties whose live operations are within separation of the track.
    pub nearby_parties: Vec<PartyId>,
}

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertDetail {
    StrategicConflict(StrategicDetail),
    TacticalConflict(TacticalDetail),
    Nonconformance(NonconformanceDetail),
    Incident(crate::incident::Incident),
    ZoneEntry(ZoneEntryDetail),
    TrackZoneEntry(TrackZoneDetail),
    SiteProximity(SiteDetail),
}

/// A live track inside a zone against its rules, or predicted to enter it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackZoneDetail {
    pub track: TrackRef,
    pub zone: String,
    pub zone_name: String,
    pub zone_owner: PartyId,
    pub enforcement: crate::zone::Enforcement,
    /// The mission of the operation the track flies for, when it names a filed one.
    pub mission_type: Option<crate::operation::MissionType>,
    /// The rules the track's entry breaks.
    pub findings: Vec<crate::zone::Finding>,
    pub evaluated_at: DateTime<Utc>,
    pub inside_now: bool,
    /// Seconds from `evaluated_at` to the predicted entry (0 when inside).
    pub t_entry_s: f64,
    /// `[lon, lat]` and altitude of the track at `evaluated_at`.
    pub position: [f64; 2],
    pub altitude_m: f64,
}

/// Something near a protected site: the site, and the operation or track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteDetail {
    pub site: String,
    pub site_name: String,
    pub site_kind: crate::site::SiteKind,
    pub site_owner: PartyId,
    pub buffer_m: f64,
    pub description: Option<String>,
    pub subject: SiteSubject,
}

/// What comes near a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SiteSubject {
    /// Volumes of an operation within the buffer while the site is present.
    Operation {
        operation: OperationKey,
        mission_type: crate::operation::MissionType,
        volumes: Vec<SiteVolume>,
    },
    /// A live track within the buffer, or predicted to enter it within the look-ahead.
    Track {
        track: TrackRef,
        evaluated_at: DateTime<Utc>,
        inside_now: bool,
        t_entry_s: f64,
        position: [f64; 2],
        altitude_m: f64,
        /// A convoy's expected position at the predicted entry.
        site_position: Option<[f64; 2]>,
    },
}

/// One volume near a site: when, and how close (a lower bound, m).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteVolume {
    pub volume: usize,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub distance_m: f64,
    /// A convoy's expected position at `from`.
    pub site_position: Option<[f64; 2]>,
}

/// An operation whose volumes enter a zone: the rules engaged, per volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneEntryDetail {
    pub zone: String,
    pub zone_name: String,
    pub zone_owner: PartyId,
    pub enforcement: crate::zone::Enforcement,
    pub operation: OperationKey,
    /// The operation's mission type (the zone's rules may turn on it).
    pub mission_type: crate::operation::MissionType,
    /// Each entering volume: its index, time window and altitude band, and the rules engaged.
    pub entries: Vec<ZoneEntryVolume>,
}

/// One volume of an operation inside a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneEntryVolume {
    pub volume: usize,
    pub time_start: DateTime<Utc>,
    pub time_end: DateTime<Utc>,
    pub altitude_lower_m: f64,
    pub altitude_upper_m: f64,
    pub findings: Vec<crate::zone::Finding>,
}

/// A conflict between two operations: every conflicting pair of their volumes.
///
/// Stored oriented so that `operations[0] < operations[1]`, whichever was filed last, so
/// the same condition always has the same content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategicDetail {
    pub operations: [OperationKey; 2],
    pub conflicts: Vec<StrategicConflict>,
    /// The owner of a `medical` or `humanitarian` operation in the pair, which has right of way.
    pub right_of_way: Option<PartyId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub state: AlertState,
    /// The parties concerned, sorted; nobody else is ever told of this alert.
    pub recipients: Vec<PartyId>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub detail: AlertDetail,
    /// Who has acknowledged, and when (SPEC §6: per recipient). Kept across updates.
    #[serde(default)]
    pub acknowledgements: BTreeMap<PartyId, DateTime<Utc>>,
    /// How many times the alert was escalated for want of acknowledgement.
    #[serde(default)]
    pub escalations: u32,
    #[serde(default)]
    pub escalated_at: Option<DateTime<Utc>>,
    /// How many times the alert was pushed again at `warning` for want of acknowledgement
    /// (at most the agreement's `renotify_limit`; then it is overdue and quiet).
    #[serde(default)]
    pub renotifications: u32,
    #[serde(default)]
    pub renotified_at: Option<DateTime<Utc>>,
    /// Why it was resolved: [`crate::lifecycle::PAST`] when its window has passed, or in words.
    #[serde(default)]
    pub resolved_reason: Option<String>,
}

impl Severity {
    /// One step more urgent; `warning` stays `warning`.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Advisory => Severity::Caution,
            Severity::Caution | Severity::Warning => Severity::Warning,
        }
    }
}

impl Alert {
    /// The severity shown: the condition's own, raised one step per escalation.
    pub fn effective_severity(&self) -> Severity {
        (0..self.escalations).fold(self.severity, |severity, _| severity.raised())
    }

    /// Recipients who have not acknowledged yet.
    pub fn unacknowledged(&self) -> impl Iterator<Item = &PartyId> {
        self.recipients
            .iter()
            .filter(|p| !self.acknowledgements.contains_key(*p))
    }

    /// A new open alert with no acknowledgement.
    pub fn raise(
        id: AlertId,
        kind: AlertKind,
        severity: Severity,
        recipients: Vec<PartyId>,
        now: DateTime<Utc>,
        detail: AlertDetail,
    ) -> Alert {
        Alert {
            id,
            kind,
            severity,
            state: AlertState::Open,
            recipients,
            raised_at: now,
            updated_at: now,
            resolved_at: None,
            detail,
            acknowledgements: BTreeMap::new(),
            escalations: 0,
            escalated_at: None,
            renotifications: 0,
            renotified_at: None,
            resolved_reason: None,
        }
    }

    pub fn strategic(&self) -> Option<&StrategicDetail> {
        match &self.detail {
            AlertDetail::StrategicConflict(detail) => Some(detail),
            _ => None,
        }
    }

    pub fn tactical(&self) -> Option<&TacticalDetail> {
        match &self.detail {
            AlertDetail::TacticalConflict(detail) => Some(detail),
            _ => None,
        }
    }

    pub fn incident(&self) -> Option<&crate::incident::Incident> {
        match &self.detail {
            AlertDetail::Incident(incident) => Some(incident),
            _ => None,
        }
    }

    pub fn nonconformance(&self) -> Option<&NonconformanceDetail> {
        match &self.detail {
            AlertDetail::Nonconformance(detail) => Some(detail),
            _ => None,
        }
    }

    /// The operations this alert concerns (indexed so ending one resolves its alerts).
    pub fn operations(&self) -> Vec<&OperationKey> {
        match &self.detail {
            AlertDetail::StrategicConflict(detail) => detail.operations.iter().collect(),
            AlertDetail::TacticalConflict(_) => Vec::new(),
            AlertDetail::Nonconformance(detail) => vec![&detail.operation],
            AlertDetail::Incident(_) => Vec::new(),
            AlertDetail::ZoneEntry(detail) => vec![&detail.operation],
            AlertDetail::TrackZoneEntry(_) => Vec::new(),
            AlertDetail::SiteProximity(detail) => match &detail.subject {
                SiteSubject::Operation { operation, .. } => vec![operation],
                SiteSubject::Track { .. } => Vec::new(),
            },
        }
    }

    pub fn track_zone(&self) -> Option<&TrackZoneDetail> {
        match &self.detail {
            AlertDetail::TrackZoneEntry(detail) => Some(detail),
            _ => None,
        }
    }

    pub fn site(&self) -> Option<&SiteDetail> {
        match &self.detail {
            AlertDetail::SiteProximity(detail) => Some(detail),
            _ => None,
        }
    }

    pub fn zone_entry(&self) -> Option<&ZoneEntryDetail> {
        match &self.detail {
            AlertDetail::ZoneEntry(detail) => Some(detail),
            _ => None,
        }
    }
}

/// The id of the condition "operation `key` enters zone `zone`".
pub fn zone_alert_base_id(key: &OperationKey, zone: &str) -> String {
    condition_id("ze", &[&key.owner.0, &key.id.0, zone])
}

/// The id of the condition "track `track` enters zone `zone`".
pub fn track_zone_alert_base_id(track: &TrackRef, zone: &str) -> String {
    condition_id("tz", &[&track.owner.0, &track.track_id, zone])
}

/// The id of the condition "operation `key` is near site `site`".
pub fn site_operation_alert_base_id(key: &OperationKey, site: &str) -> String {
    condition_id("so", &[&key.owner.0, &key.id.0, site])
}

/// The id of the condition "track `track` is near site `site`".
pub fn site_track_alert_base_id(track: &TrackRef, site: &str) -> String {
    condition_id("st", &[&track.owner.0, &track.track_id, site])
}

/// A short id from a prefix and length-prefixed parts (so ("ab","c") ≠ ("a","bc")).
fn condition_id(prefix: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prefix.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    format!("{prefix}-{}", &hex::encode(hasher.finalize())[..16])
}

/// The base id of the strategic alert for a pair of operations (order-independent).
pub fn strategic_alert_base_id(a: &OperationKey, b: &OperationKey) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    condition_id(
        "sc",
        &[&first.owner.0, &first.id.0, &second.owner.0, &second.id.0],
    )
}

/// The base id of the tactical alert for a pair of tracks (order-independent).
pub fn tactical_alert_base_id(a: &TrackRef, b: &TrackRef) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    condition_id(
        "tc",
        &[
            &first.owner.0,
            &first.track_id,
            &second.owner.0,
            &second.track_id,
        ],
    )
}

/// The base id of the non-conformance alert of a track against its operation.
pub fn nonconformance_alert_base_id(track: &TrackRef, operation: &OperationKey) -> String {
    condition_id(
        "nc",
        &[
            &track.owner.0,
            &track.track_id,
            &operation.owner.0,
            &operation.id.0,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategic_alert_id_does_not_depend_on_order() {
        let a = OperationKey {
            owner: "blue".into(),
            id: "p1".into(),
        };
        let b = OperationKey {
            owner: "red".into(),
            id: "p1".into(),
        };
        assert_eq!(
            strategic_alert_base_id(&a, &b),
            strategic_alert_base_id(&b, &a)
        );
        assert_ne!(
            strategic_alert_base_id(&a, &b),
            strategic_alert_base_id(&a, &a)
        );
    }

    #[test]
    fn severity_thresholds() {
        assert_eq!(Severity::from_time_to_conflict_s(-5.0), Severity::Warning);
        assert_eq!(Severity::from_time_to_conflict_s(59.9), Severity::Warning);
        assert_eq!(Severity::from_time_to_conflict_s(60.0), Severity::Caution);
        assert_eq!(Severity::from_time_to_conflict_s(180.0), Severity::Advisory);
    }
}
