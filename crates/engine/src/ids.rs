//! Identifiers as newtypes, so a party id can never be passed where an operation id is meant.
//!
//! Operation ids are chosen by the filing party and scoped to it: two parties may both
//! file an operation called `patrol-1`. Scoping means a party can never learn, by
//! trying an id, that another party has an operation of that name.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::EngineError;

/// The longest id accepted, in bytes.
pub const ID_MAX_LEN: usize = 64;

/// Checks an externally chosen id: 1..=64 characters of `A-Z a-z 0-9 . _ -`.
/// A required text: not blank, and at most `max` characters; the field named otherwise.
pub(crate) fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), EngineError> {
    if text.trim().is_empty() {
        return Err(EngineError::Empty { field });
    }
    if text.chars().count() > max {
        return Err(EngineError::TooLong { field, max });
    }
    Ok(())
}

pub fn validate_id(field: &'static str, value: &str) -> Result<(), EngineError> {
    let ok = !value.is_empty()
        && value.len() <= ID_MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(EngineError::InvalidId {
            field,
            value: value.chars().take(80).collect(),
        })
    }
}

macro_rules! id_type {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

id_type!(
    PartyId,
    "A party's id, chosen by the admin who registers it."
);
id_type!(
    OperationId,
    "An operation's id, chosen by its owner; unique per owner."
);
id_type!(
    AlertId,
    "An alert's id: derived from its condition, so it stays the same while the condition persists."
);

/// The global key of an operation: its owner and the owner's id for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OperationKey {
    pub owner: PartyId,
    pub id: OperationId,
}

impl fmt::Display for OperationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_plain_names_and_refuse_others() {
        assert!(validate_id("id", "patrol-1.a_b").is_ok());
        assert!(validate_id("id", "").is_err());
        assert!(validate_id("id", "a/b").is_err());
        assert!(validate_id("id", &"x".repeat(65)).is_err());
    }
}
