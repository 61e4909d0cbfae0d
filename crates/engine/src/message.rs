//! Messages: the hotline between parties (SPEC §2, §3).
//!
//! A message goes from one party to one or more others, with a priority and an optional
//! reference to an alert, an operation or an incident. Only its sender and its recipients can
//! ever read it; recipients mark it read, and the sender sees who has.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::ids::PartyId;

/// The longest message text accepted, in characters.
pub const TEXT_MAX_CHARS: usize = 10_000;
/// The most recipients of one message.
pub const RECIPIENTS_MAX: usize = 50;

/// How urgent, from least to most (ordering is meaningful).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Routine,
    Priority,
    Immediate,
    Flash,
}

/// What a message is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Alert,
    Operation,
    Incident,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: String,
    #[schema(value_type = String)]
    pub from: PartyId,
    #[schema(value_type = Vec<String>)]
    pub to: Vec<PartyId>,
    pub priority: Priority,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    pub sent_at: DateTime<Utc>,
    /// Read receipts: recipient → when it marked the message read.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub read_by: BTreeMap<PartyId, DateTime<Utc>>,
}

impl Message {
    /// Only the sender and the recipients may know this message exists.
    pub fn visible_to(&self, party: &PartyId) -> bool {
        &self.from == party || self.to.contains(party)
    }
}
