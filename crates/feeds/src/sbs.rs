//! SBS-1 "BaseStation" text (TCP port 30003, as dump1090/readsb emit it) assembled into
//! position reports.
//!
//! SBS-1 spreads what deconflict needs over separate messages per aircraft: position and
//! altitude in MSG 3, velocity in MSG 4, callsign in MSG 1 (see `record` for the fields);
//! readsb also writes the velocity on MSG 3 when it has one, which is then used at once.
//! [`SbsAssembler`] keeps, per ICAO address, the last velocity and callsign, and emits a
//! report on each MSG 3:
//!
//! - **Velocity carried forward.** A MSG 3 that carries its own velocity (readsb) is reported
//!   with it, and that velocity kept. Otherwise a MSG 3 produces a report once a MSG 4 has
//!   been seen for that address, with that last velocity, if it was generated no more than
//!   [`VELOCITY_MAX_AGE_S`] (60 s) before or after the position. ADS-B sends velocity twice
//!   a second, so a 60 s gap means the receiver lost the velocity messages; a turn or climb
//!   begun since would make a stale velocity mislead conflict prediction, so the position
//!   is then not reported (counted as ignored) until a fresh MSG 4 arrives. A MSG 3 before
//!   any MSG 4 is likewise ignored.
//! - **Callsign carried forward** for as long as the track lives (callsigns change at most
//!   between flights).
//! - **Track expiry.** An address silent for more than [`TRACK_EXPIRY_S`] (300 s, as
//!   dump1090 drops aircraft) starts afresh: its old velocity and callsign are forgotten.
//! - **Bound.** At most [`MAX_TRACKS`] addresses are held; when full, expired ones are
//!   dropped, and if none has expired the message from a new address is ignored.
//! - **Bad values poison nothing.** A line with an impossible value (a speed below 0 or above
//!   Mach 6, a track outside 0–360°, NaN) is malformed and changes no state, so the
//!   aircraft's next valid lines are used as if it had not been sent.
//!
//! MSG 1 and MSG 4 lines only update that state (neither reports nor ignored in
//! [`FeedStats`]); other MSG types (2, 5–8) and the SEL, ID, AIR, STA, CLK records are
//! ignored; lines that are not SBS-1 or are truncated (fewer than 22 fields) are malformed.

mod record;

use deconflict_engine::Motion;
use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::LineError;
use crate::report::TrackReport;
use crate::stats::{FeedStats, Outcome, MAX_TRACKS};
use record::{parse_record, Header, Position, SbsRecord, Velocity};

pub(crate) use record::RECORD_TYPES;

/// How far apart in time a carried velocity and a position may be, in seconds.
pub const VELOCITY_MAX_AGE_S: i64 = 60;
/// How long an address may be silent before its state is forgotten, in seconds.
pub const TRACK_EXPIRY_S: i64 = 300;

/// What is known of one address between its messages.
#[derive(Debug)]
struct TrackState {
    callsign: Option<String>,
    velocity: Option<(Velocity, DateTime<Utc>)>,
    last_message: DateTime<Utc>,
}

/// Assembles SBS-1 lines into position reports, one line at a time, in arrival order.
#[derive(Debug, Default)]
pub struct SbsAssembler {
    tracks: HashMap<String, TrackState>,
    stats: FeedStats,
}

impl SbsAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next line (its line number is one more than the last). Returns the report
    /// this line completes, if any; a malformed line is an error, counted in [`Self::stats`],
    /// and the assembler stays usable.
    pub fn push_line(&mut self, line: &str) -> Result<Option<TrackReport>, LineError> {
        let line_number = self.stats.lines + 1;
        self.push_numbered(line_number, Ok(line))
    }

    pub fn stats(&self) -> &FeedStats {
        &self.stats
    }

    /// Takes line `line_number`, or the reason it could not be read.
    pub(crate) fn push_numbered(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        self.push_received(line_number, line, None)
    }

    /// As [`Self::push_line`] for a live feed: line `line_number` (or why it could not be
    /// read), received at `received`, which stands in for empty date and time fields.
    pub fn push_received(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
        received: Option<DateTime<Utc>>,
    ) -> Result<Option<TrackReport>, LineError> {
        let outcome = line.and_then(|text| {
            if text.trim().is_empty() {
                return Ok(Outcome::Kept);
            }
            let record = parse_record(text, line_number, received)?;
            self.apply(record, line_number)
        });
        self.stats.tally(line_number, outcome)
    }

    pub(crate) fn into_stats(self) -> FeedStats {
        self.stats
    }

    fn apply(&mut self, record: SbsRecord, line_number: u64) -> Result<Outcome, LineError> {
        let (header, update) = match record {
            SbsRecord::Ignored => return Ok(Outcome::Ignored),
            SbsRecord::AirbornePosition(_, None, _) | SbsRecord::AirborneVelocity(_, None) => {
                return Ok(Outcome::Ignored)
            }
            SbsRecord::Identification(header, callsign) => (header, Update::Callsign(callsign)),
            SbsRecord::AirbornePosition(header, Some(p), velocity) => {
                (header, Update::Position(p, velocity))
            }
            SbsRecord::AirborneVelocity(header, Some(v)) => (header, Update::Velocity(v)),
        };
        let Some(track) = self.track(&header) else {
            return Ok(Outcome::Ignored);
        };
        track.last_message = header.time;
        match update {
            Update::Callsign(callsign) => {
                if callsign.is_some() {
                    track.callsign = callsign;
                }
                Ok(Outcome::Kept)
            }
            Update::Velocity(velocity) => {
                track.velocity = Some((velocity, header.time));
                Ok(Outcome::Kept)
            }
            Update::Position(position, velocity) => {
                if let Some(velocity) = velocity {
                    track.velocity = Some((velocity, header.time));
                }
                let Some(report) = report(header, position, track) else {
                    return Ok(Outcome::Ignored);
                };
                report.validate().map_err(|source| LineError::Invalid {
                    line: line_number,
                    source,
                })?;
                Ok(Outcome::Report(report))
            }
        }
    }

    /// The state of the header's address: forgotten first if expired, created if new;
    /// `None` when the table is full of live tracks.
    fn track(&mut self, header: &Header) -> Option<&mut TrackState> {
        let expiry = TimeDelta::seconds(TRACK_EXPIRY_S);
        let expired = |track: &TrackState| (header.time - track.last_message).abs() > expiry;
        if !self.tracks.contains_key(&header.track_id) && self.tracks.len() >= MAX_TRACKS {
            self.tracks.retain(|_, track| !expired(track));
            if self.tracks.len() >= MAX_TRACKS {
                return None;
            }
        }
        let track = self
            .tracks
            .entry(header.track_id.clone())
            .or_insert_with(|| TrackState {
                callsign: None,
                velocity: None,
                last_message: header.time,
            });
        if expired(track) {
            track.callsign = None;
            track.velocity = None;
        }
        Some(track)
    }
}

enum Update {
    Callsign(Option<String>),
    Position(Position, Option<Velocity>),
    Velocity(Velocity),
}

/// The report for a position, if the track has a velocity recent enough to go with it.
fn report(header: Header, position: Position, track: &TrackState) -> Option<TrackReport> {
    let (velocity, velocity_time) = track.velocity?;
    if (header.time - velocity_time).abs() > TimeDelta::seconds(VELOCITY_MAX_AGE_S) {
        return None;
    }
    Some(TrackReport {
        track_id: header.track_id,
        motion: Motion {
            time: header.time,
            lat_deg: position.lat_deg,
            lon_deg: position.lon_deg,
            altitude_m: position.altitude_m,
            ground_speed_mps: velocity.ground_speed_mps,
            track_deg: velocity.track_deg,
            vertical_rate_mps: velocity.vertical_rate_mps,
        },
        operation_id: None,
        callsign: track.callsign.clone(),
        domain: Default::default(),
        vessel: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u8, hex: &str, time: &str, rest: &str) -> String {
        format!("MSG,{kind},1,1,{hex},1,2015/10/01,{time},2015/10/01,{time},{rest}")
    }
    fn position(hex: &str, time: &str) -> String {
        msg(3, hex, time, ",37000,,,51.45735,-1.02826,,,0,,0,0")
    }
    fn velocity(hex: &str, time: &str) -> String {
        msg(4, hex, time, ",,451,146,,,-64,,,,,0")
    }
    fn callsign(hex: &str, time: &str) -> String {
        msg(1, hex, time, "BAW123  ,,,,,,,,,,,0")
    }

    #[test]
    fn position_before_any_velocity_is_ignored_then_reported_with_it() {
        let mut sbs = SbsAssembler::new();
        assert_eq!(sbs.push_line(&position("4CA2D6", "06:00:00.000")), Ok(None));
        assert_eq!(sbs.push_line(&callsign("4CA2D6", "06:00:00.100")), Ok(None));
        assert_eq!(sbs.push_line(&velocity("4CA2D6", "06:00:00.200")), Ok(None));
        let report = sbs
            .push_line(&position("4CA2D6", "06:00:00.500"))
            .unwrap()
            .unwrap();
        assert_eq!(report.track_id, "4ca2d6");
        assert_eq!(report.callsign.as_deref(), Some("BAW123"));
        assert_eq!(
            report.motion.time.to_rfc3339(),
            "2015-10-01T06:00:00.500+00:00"
        );
        assert_eq!(report.motion.track_deg, 146.0);
        let stats = sbs.stats();
        assert_eq!((stats.lines, stats.reports, stats.ignored), (4, 1, 1));
    }

    #[test]
    fn velocity_is_carried_for_at_most_sixty_seconds() {
        let mut sbs = SbsAssembler::new();
        sbs.push_line(&velocity("4CA2D6", "06:00:00.000")).unwrap();
        let within = sbs.push_line(&position("4CA2D6", "06:01:00.000")).unwrap();
        assert!(within.is_some());
        let stale = sbs.push_line(&position("4CA2D6", "06:01:00.001")).unwrap();
        assert_eq!(stale, None);
        sbs.push_line(&velocity("4CA2D6", "06:01:01.000")).unwrap();
        assert!(sbs
            .push_line(&position("4CA2D6", "06:01:02.000"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn state_is_kept_per_address() {
        let mut sbs = SbsAssembler::new();
        sbs.push_line(&velocity("4CA2D6", "06:00:00.000")).unwrap();
        assert_eq!(sbs.push_line(&position("4010E9", "06:00:01.000")), Ok(None));
        assert!(sbs
            .push_line(&position("4CA2D6", "06:00:01.000"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn a_silent_track_forgets_its_callsign() {
        let mut sbs = SbsAssembler::new();
        sbs.push_line(&callsign("4CA2D6", "06:00:00.000")).unwrap();
        sbs.push_line(&velocity("4CA2D6", "06:05:01.000")).unwrap();
        let report = sbs
            .push_line(&position("4CA2D6", "06:05:02.000"))
            .unwrap()
            .unwrap();
        assert_eq!(report.callsign, None);
    }

    #[test]
    fn an_out_of_range_assembled_report_is_malformed() {
        let mut sbs = SbsAssembler::new();
        sbs.push_line(&velocity("4CA2D6", "06:00:00.000")).unwrap();
        let line = position("4CA2D6", "06:00:01.000").replace("51.45735", "91.5");
        let error = sbs.push_line(&line).unwrap_err();
        assert!(
            matches!(error, LineError::Invalid { line: 2, .. }),
            "{error}"
        );
        assert_eq!(sbs.stats().malformed, 1);
    }

    #[test]
    fn a_full_table_drops_expired_tracks_before_refusing_new_ones() {
        let mut sbs = SbsAssembler::new();
        for n in 0..MAX_TRACKS {
            sbs.push_line(&velocity(&format!("{n:06X}"), "06:00:00.000"))
                .unwrap();
        }
        let newcomer = format!("{:06X}", MAX_TRACKS + 1);
        sbs.push_line(&velocity(&newcomer, "06:00:10.000")).unwrap();
        assert_eq!(sbs.stats().ignored, 1, "refused while all tracks are live");
        sbs.push_line(&velocity(&newcomer, "06:10:00.000")).unwrap();
        assert_eq!(sbs.tracks.len(), 1, "expired tracks dropped");
        assert_eq!(sbs.stats().ignored, 1);
    }

    #[test]
    fn a_position_with_its_own_velocity_is_reported_at_once() {
        let mut sbs = SbsAssembler::new();
        let line = msg(
            3,
            "4CA2D6",
            "06:00:00.000",
            ",37000,451,146,51.45735,-1.02826,-64,,0,,0,0",
        );
        let report = sbs.push_line(&line).unwrap().unwrap();
        assert_eq!(report.motion.track_deg, 146.0);
        // And kept for the positions that follow without one.
        assert!(sbs
            .push_line(&position("4CA2D6", "06:00:01.000"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn an_absurd_velocity_does_not_lose_the_next_valid_position() {
        let mut sbs = SbsAssembler::new();
        sbs.push_line(&velocity("4CA2D6", "06:00:00.000")).unwrap();
        let absurd = msg(4, "4CA2D6", "06:00:00.500", ",,1000000,146,,,-64,,,,,0");
        assert!(sbs.push_line(&absurd).is_err());
        let report = sbs
            .push_line(&position("4CA2D6", "06:00:01.000"))
            .unwrap()
            .expect("the earlier valid velocity still goes with the position");
        assert!((report.motion.ground_speed_mps - 451.0 * 1852.0 / 3600.0).abs() < 1e-9);
        assert_eq!(sbs.stats().malformed, 1);
    }

    #[test]
    fn a_live_line_without_any_time_takes_the_time_it_was_received() {
        let mut sbs = SbsAssembler::new();
        let received = "2026-12-06T05:00:00Z".parse().unwrap();
        let bare = |kind: u8, rest: &str| format!("MSG,{kind},1,1,4CA2D6,1,,,,,{rest}");
        sbs.push_received(1, Ok(&bare(4, ",,451,146,,,-64,,,,,0")), Some(received))
            .unwrap();
        let report = sbs
            .push_received(
                2,
                Ok(&bare(3, ",37000,,,51.45735,-1.02826,,,0,,0,0")),
                Some(received),
            )
            .unwrap()
            .unwrap();
        assert_eq!(report.motion.time, received);
    }
}
