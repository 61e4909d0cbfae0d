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

/// A required one-line text (a name, a title): not blank, at most `max` characters, no
/// control character; the field named otherwise.
pub(crate) fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), EngineError> {
    check_nonblank(field, text, max)?;
    check_printable(field, text, false)
}

/// A required text that may run over several lines (a message, a narrative): as
/// [`check_text`], with line feeds and tabs allowed.
pub(crate) fn check_multiline_text(
    field: &'static str,
    text: &str,
    max: usize,
) -> Result<(), EngineError> {
    check_nonblank(field, text, max)?;
    check_printable(field, text, true)
}

fn check_nonblank(field: &'static str, text: &str, max: usize) -> Result<(), EngineError> {
    if text.trim().is_empty() {
        return Err(EngineError::Empty { field });
    }
    if text.chars().count() > max {
        return Err(EngineError::TooLong { field, max });
    }
    Ok(())
}

/// Refuses control characters (C0, DEL, C1): one party's text is printed on another's screen.
pub fn check_printable(
    field: &'static str,
    text: &str,
    multiline: bool,
) -> Result<(), EngineError> {
    let allowed = |c: char| multiline && (c == '\n' || c == '\t');
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed(*c))
    {
        None => Ok(()),
        Some((position, character)) => Err(EngineError::ControlCharacter {
            field,
            character: format!("U+{:04X}", u32::from(character)),
            position,
            newline: if multiline {
                " (line feeds and tabs are)"
            } else {
                ""
            },
        }),
    }
}

/// Checks an externally chosen id: 1..=64 characters of `A-Z a-z 0-9 . _ -`.
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
