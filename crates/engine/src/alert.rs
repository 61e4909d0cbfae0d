//! Alerts: what the system tells a party (SPEC §6).
//!
//! An alert's id is derived from its condition — for a strategic conflict, the pair of
//! operations — so it stays the same while the condition persists and is *updated*, not
//! repeated, when the figures change. When a condition clears the alert is resolved; if
//! the same pair conflicts again later, that is a new condition with a new id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    StrategicConflict,
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
    pub detail: StrategicDetail,
}

/// The base id of the strategic alert for a pair of operations (order-independent).
pub fn strategic_alert_base_id(a: &OperationKey, b: &OperationKey) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut hasher = Sha256::new();
    for part in [&first.owner.0, &first.id.0, &second.owner.0, &second.id.0] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    format!("sc-{}", &hex::encode(hasher.finalize())[..16])
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
