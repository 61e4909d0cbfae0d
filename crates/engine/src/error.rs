//! The engine's errors. Each variant names the problem and carries the offending value;
//! [`EngineError::pointer`] gives the JSON pointer of the bad field in the request body.

use deconflict_geometry::GeometryError;
use thiserror::Error;

use crate::operation::OperationState;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum EngineError {
    #[error("{field} {value:?} is not a valid id: use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidId { field: &'static str, value: String },

    #[error("volume {index}: {source}")]
    InvalidVolume {
        index: usize,
        #[source]
        source: GeometryError,
    },

    #[error("an operation needs at least one volume")]
    NoVolumes,

    #[error("an operation may have at most {max} volumes, this one has {count}")]
    TooManyVolumes { count: usize, max: usize },

    #[error("{field} is too long: at most {max} characters")]
    TooLong { field: &'static str, max: usize },

    #[error("{field} must not be empty")]
    Empty { field: &'static str },

    /// A control character (escape, bell, carriage return, NUL, C1 …): shown to another party's
    /// terminal or page it could clear, retitle or forge what they read.
    #[error("{field} contains the control character {character} at character {position}: only printable text is accepted{newline}")]
    ControlCharacter {
        field: &'static str,
        character: String,
        position: usize,
        newline: &'static str,
    },

    #[error("no {what} with id {id:?}")]
    NotFound { what: &'static str, id: String },

    #[error("version mismatch: you sent If-Match {expected}, the current version is {current}; read it again and retry")]
    VersionMismatch { expected: u64, current: u64 },

    #[error("operation is {from}: it cannot be {attempted}")]
    InvalidTransition {
        from: OperationState,
        attempted: &'static str,
    },

    #[error("{field}: {reason}")]
    InvalidParameter { field: &'static str, reason: String },

    #[error("{0}")]
    AgreementState(&'static str),

    #[error("the channel with {party} is frozen: agreement {agreement} is suspended; only safety alerts flow until it is resumed")]
    ChannelFrozen { party: String, agreement: String },

    #[error("place: {0}")]
    InvalidPlace(String),

    #[error("{id:?} is not a party you can send to")]
    UnknownRecipient { field: &'static str, id: String },

    #[error("a party with id {0:?} already exists")]
    PartyExists(String),

    #[error(
        "volume {volume} enters zone {zone:?} ({name}) against its rule {rule}: {description}"
    )]
    ZoneRefused {
        zone: String,
        name: String,
        rule: usize,
        description: String,
        volume: usize,
    },

    #[error("volume {volume} would conflict with an operation of {party} of higher priority ({other} > {own}): under ASTM F3548 a lower-priority operation may not create a conflict with a higher-priority one")]
    LowerPriority {
        volume: usize,
        party: String,
        own: i32,
        other: i32,
    },

    #[error("volume {volume} ends at {time_end}, beyond the horizon of {horizon_days} days ahead of the server's clock ({limit}): file plans at most {horizon_days} days ahead")]
    BeyondHorizon {
        volume: usize,
        time_end: chrono::DateTime<chrono::Utc>,
        horizon_days: u32,
        limit: chrono::DateTime<chrono::Utc>,
    },

    #[error("only {needed} may {action}")]
    Forbidden {
        needed: &'static str,
        action: &'static str,
    },
}

impl EngineError {
    /// The JSON pointer of the offending field of the request body, where there is one.
    pub fn pointer(&self) -> Option<String> {
        match self {
            EngineError::InvalidVolume { index, source } => Some(match source.pointer() {
                Some(inner) => format!("/volumes/{index}{inner}"),
                None => format!("/volumes/{index}"),
            }),
            EngineError::NoVolumes | EngineError::TooManyVolumes { .. } => {
                Some("/volumes".to_owned())
            }
            EngineError::TooLong { field, .. }
            | EngineError::Empty { field }
            | EngineError::ControlCharacter { field, .. } => Some(format!("/{field}")),
            EngineError::UnknownRecipient { field, .. } => Some(format!("/{field}")),
            EngineError::InvalidPlace(_) => Some("/place".to_owned()),
            EngineError::InvalidParameter { field, .. } => Some((*field).to_owned()),
            EngineError::ZoneRefused { volume, .. } | EngineError::LowerPriority { volume, .. } => {
                Some(format!("/volumes/{volume}"))
            }
            EngineError::BeyondHorizon { volume, .. } => {
                Some(format!("/volumes/{volume}/time_end"))
            }
            EngineError::InvalidId { field, .. }
                if *field != "operation id" && *field != "zone id" =>
            {
                Some(format!("/{field}"))
            }
            _ => None,
        }
    }
}
