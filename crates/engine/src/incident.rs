//! Incident reports and shared reports (SPEC §2).
//!
//! An incident report is a party's record of an unintended event (close pass, radar lock,
//! interference), shared with the parties it names; each of them gets an alert. A shared report
//! is information one party releases to an explicit list of parties (the 2016 "intelligence
//! sharing"): the list is fixed when it is sent and never widened, each recipient acknowledges
//! receipt, and the log records who received what when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::ids::PartyId;

/// The longest narrative or report text accepted, in characters.
pub const TEXT_MAX_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentCategory {
    ClosePass,
    UnsafeManoeuvre,
    WeaponsSystemLock,
    CommunicationsInterference,
    Other,
}

/// Where it happened: a GeoJSON Point or Polygon (positions `[lon, lat]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Place {
    Point { coordinates: [f64; 2] },
    Polygon { coordinates: Vec<Vec<[f64; 2]>> },
}

impl Place {
    /// Every position in range and finite; a polygon ring closed with at least 4 positions.
    pub fn check(&self) -> Result<(), String> {
        let position_ok = |p: &[f64; 2]| {
            p[0].is_finite() && p[1].is_finite() && p[0].abs() <= 180.0 && p[1].abs() <= 90.0
        };
        match self {
            Place::Point { coordinates } if position_ok(coordinates) => Ok(()),
            Place::Point { coordinates } => Err(format!(
                "position {coordinates:?} is not a valid [lon, lat]"
            )),
            Place::Polygon { coordinates } => {
                let ring = coordinates.first().ok_or("a polygon needs a ring")?;
                if coordinates.len() != 1 || ring.len() < 4 || ring.first() != ring.last() {
                    return Err(
                        "a polygon needs one closed ring of at least 4 positions".to_owned()
                    );
                }
                match ring.iter().find(|p| !position_ok(p)) {
                    Some(p) => Err(format!("position {p:?} is not a valid [lon, lat]")),
                    None => Ok(()),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: String,
    #[schema(value_type = String)]
    pub reporter: PartyId,
    pub time: DateTime<Utc>,
    pub place: Place,
    pub category: IncidentCategory,
    /// Track ids involved, as the reporter knows them.
    pub tracks: Vec<String>,
    /// Operation ids involved, as the reporter knows them.
    pub operations: Vec<String>,
    pub narrative: String,
    /// The parties it is shared with (besides the reporter).
    #[schema(value_type = Vec<String>)]
    pub shared_with: Vec<PartyId>,
    pub reported_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SharedReport {
    pub id: String,
    #[schema(value_type = String)]
    pub from: PartyId,
    /// Fixed when sent; never widened.
    #[schema(value_type = Vec<String>)]
    pub to: Vec<PartyId>,
    pub title: String,
    pub content: String,
    pub sent_at: DateTime<Utc>,
    /// Receipts: recipient → when it acknowledged receipt.
    #[schema(value_type = Object)]
    pub received_by: BTreeMap<PartyId, DateTime<Utc>>,
}

impl SharedReport {
    pub fn visible_to(&self, party: &PartyId) -> bool {
        &self.from == party || self.to.contains(party)
    }
}
