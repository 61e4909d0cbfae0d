//! The domain of `deconflict`: parties, operations, alerts, and strategic detection.
//!
//! The engine is a pure, deterministic function of events. The server asks it to
//! *decide* a command ([`decide`]): the engine validates the command against the
//! current [`State`] and answers with the [`Event`]s that record it, plus an outcome
//! for the caller (the conflicts found). The server appends those events to the
//! log and then *applies* them ([`State::apply`]), which is the only way state ever
//! changes. Replaying the log from empty therefore rebuilds the same state and the
//! same alerts, bit for bit.
//!
//! The engine has no clock, no randomness and no I/O: the time of a command and any
//! token hash are passed in by the caller.
//!
//! Map:
//! - [`ids`], [`party`]: who acts and with which role.
//! - [`agreement`]: separation minima and release settings (SPEC §7 defaults).
//! - [`operation`]: a party's plan of 4D volumes and its lifecycle.
//! - [`strategic`]: the plan-against-plan rule of SPEC §5.1 for one pair of volumes.
//! - [`index`]: the R-tree that finds candidate volume pairs fast.
//! - [`alert`]: what parties are told, with ids stable per condition; [`lifecycle`]: how an
//!   alert is raised, updated, resolved, escalated and re-notified (SPEC §6), in one place.
//! - [`event`], [`state`], [`decide`]: the log's events, the fold and the commands;
//!   [`snapshot`]: the state as bytes, so start-up replays only the log's tail.
//! - [`track`]: position reports and the live picture; [`tactical`]: track-against-track detection.
//! - [`zone`]: zones and their rules; [`ed269`] and [`ed318`]: zone files as authorities
//!   publish them, their heights converted by [`heights`]; [`site`]: protected sites;
//!   [`predict`]: when a live track first comes near a zone or a site; [`navwarning`]: a zone
//!   as the plain-text navigational warning mariners read.
//! - [`release`]: what one party may see of another's data.

pub mod agreement;
pub mod alert;
pub mod decide;
pub mod disclosure;
pub mod ed269;
pub mod ed318;
pub mod error;
pub mod event;
pub mod heights;
pub mod ids;
pub mod incident;
pub mod index;
pub mod lifecycle;
pub mod message;
pub mod navwarning;
pub mod operation;
pub mod party;
pub mod predict;
pub mod release;
pub mod shard;
pub mod site;
pub mod snapshot;
pub mod state;
pub mod strategic;
pub mod tactical;
pub mod track;
pub mod wire;
pub mod zone;

pub use agreement::{AgreementParams, SeaMinima};
pub use alert::{Alert, AlertDetail, AlertKind, AlertState, Severity, TrackRef};
pub use error::EngineError;
pub use event::Event;
pub use ids::{AlertId, OperationId, OperationKey, PartyId};
pub use message::{Message, Priority};
pub use operation::{Domain, MissionType, Operation, OperationSpec, OperationState};
pub use party::{Party, Role};
pub use state::State;
pub use strategic::StrategicConflict;
pub use track::{LiveTrack, Motion, TrackReport};
