//! Receiver formats for deconflict, parsed into [`TrackReport`]s in SI units.
//!
//! A position report is what the rest of deconflict takes from surveillance: one track's
//! position, altitude and velocity at one instant, checked by [`TrackReport::validate`].
//! Every report this crate returns has passed that check. This crate only parses: no sockets,
//! no clock; readers work over any [`std::io::BufRead`].
//!
//! Read in this order:
//! - `report` — [`TrackReport`] (the engine's, re-exported: one report type for feeds, engine
//!   and server), the unit conversions, and the range checks ([`ReportRefusal`]);
//! - `error` — [`LineError`] (one bad line: counted, never fatal) and [`FeedError`] (the
//!   whole feed unusable: I/O or an unknown format);
//! - `stats` — [`FeedStats`], what happened to every line;
//! - the formats, one per module: `ndjson` ([`parse_ndjson_line`]), `sbs` ([`SbsAssembler`],
//!   SBS-1 "BaseStation" text as dump1090/readsb emit on TCP port 30003), `opensky`
//!   ([`OpenSkyReader`], the OpenSky Network's state-vector CSV) and `ais` ([`AisDecoder`],
//!   ships' AIS in NMEA 0183 `!AIVDM` sentences, with each vessel's [`VesselStatic`] data);
//! - `format` — [`sniff`] tells the formats apart from a file's first line, and
//!   [`read_reports`] reads a whole file of any of them.
//!
//! # Decisions worth knowing
//! - SBS-1 carries position (MSG 3) and velocity (MSG 4) in separate messages (readsb also puts
//!   the velocity on MSG 3). A report is emitted on each MSG 3 once a velocity no older than
//!   [`VELOCITY_MAX_AGE_S`] is known for that address; the last callsign (MSG 1) is carried forward while the track lives. See
//!   `sbs`.
//! - OpenSky rows take the geometric (GNSS) altitude and fall back to the barometric one;
//!   on-ground rows are kept when they have an altitude; a row's time is when its position
//!   was last updated. See `opensky`.
//! - AIS positions take the receiver's time (tag block or trailer), never AIS's own second
//!   of the minute; "not available" values never become a position or a velocity. See `ais`.
//! - Limits everywhere: lines longer than [`MAX_LINE_BYTES`] are malformed, at most
//!   [`MAX_TRACKS`] tracks are held in memory per reader, at most [`MAX_EXAMPLES`] malformed
//!   lines are kept as examples.

mod ais;
mod error;
mod format;
mod lines;
mod ndjson;
mod opensky;
mod report;
mod sbs;
mod stats;

pub use ais::{mmsi_track_id, AisDecoder, VesselStatic};
pub use error::{FeedError, LineError};
pub use format::{read_reports, sniff, FeedFormat};
pub use lines::{LineReader, MAX_LINE_BYTES};
pub use ndjson::{
    parse_ndjson_line, parse_report_json, pointer_of, strip_position, JsonRefusal, TRAILING_CONTENT,
};
pub use opensky::{OpenSkyReader, OPENSKY_HEADER};
pub use report::{
    Domain, ReportRefusal, TrackReport, VesselParticulars, ALTITUDE_MAX_M, ALTITUDE_MIN_M,
    FEET_PER_MINUTE_TO_MPS, FEET_TO_M, KNOTS_TO_MPS, MAX_GROUND_SPEED_MPS, MAX_SEA_SPEED_MPS,
    MAX_VERTICAL_RATE_MPS,
};
pub use sbs::{SbsAssembler, TRACK_EXPIRY_S, VELOCITY_MAX_AGE_S};
pub use stats::{FeedStats, MAX_EXAMPLES, MAX_TRACKS};
