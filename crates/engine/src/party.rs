//! Parties and their roles (SPEC §2).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::PartyId;

/// What a party may do besides filing its own operations and reading what is released to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A force or drone service supplier: files operations and tracks.
    Operator,
    /// May notify protected sites (hospitals, convoys, …).
    Humanitarian,
    /// May publish zones over its own territory.
    Authority,
    /// Registers parties.
    Admin,
}

/// A registered party. The bearer token is never stored, only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub id: PartyId,
    pub name: String,
    pub role: Role,
    pub token_hash: String,
}

/// The longest party name accepted, in characters.
pub const NAME_MAX_CHARS: usize = 200;
