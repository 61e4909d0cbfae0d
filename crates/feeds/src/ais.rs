//! AIS (ITU-R M.1371) in NMEA 0183 `!AIVDM` / `!AIVDO` sentences, turned into position
//! reports for ships.
//!
//! [`AisDecoder`] takes a feed line by line, as receivers write it to files, TCP and UDP:
//! - `frame` takes the line apart: an optional NMEA 4.10 tag block in front (checksum checked,
//!   `c:` is the receiver's time), the sentence, a receiver time stamp behind the checksum;
//! - the sentence is parsed and its checksum checked by the `aivdm` crate;
//! - `reassembly` puts multi-sentence messages together per (message id, channel);
//! - the payload is decoded by `aivdm`;
//! - `vessel` keeps what ships say about themselves (types 5, 19, 24): name, callsign, size;
//! - positions (types 1, 2, 3 class A; 18, 19 class B; 27 long range) become
//!   [`TrackReport`]s: track id `mmsi-<MMSI>` (nine digits; a colon is not a track id
//!   character), altitude 0 m, speed in m/s, course as the track angle, the vessel's
//!   callsign when it has sent one.
//!
//! # Why `aivdm`
//! Three crates decode AIS on crates.io (versions as resolved here, December 2026):
//! - `aivdm` 0.3: every message type 1–27 (both parts of 24), each "not available" value as a
//!   typed `Option` (latitude 91, longitude 181, SOG 1023, COG 3600, heading 511), an encoder
//!   (used by the tests to write ITU-R M.1371 samples), no dependencies, `forbid(unsafe)`,
//!   property-tested; the newest of the three, MSRV 1.87. Its reassembly keeps one message at
//!   a time, so this module keys fragments itself.
//! - `nmea-parser` 0.10 (0.11 listed): AIS and GNSS, but reassembles at most 2 fragments,
//!   keeps unfinished fragments and type 24 halves without bound, accepts sentences without a
//!   checksum, slices the talker by bytes (a non-ASCII first character panics), and leaves
//!   types 7 and 8 undecoded.
//! - `ais` 0.12: nom 7, one running reassembly buffer (interleaved messages from two channels
//!   break each other), tag blocks skipped but not read, and a fragment number lower than the
//!   previous one overflows a `u8` subtraction (a panic in debug builds).
//!
//! `aivdm` was chosen for coverage and for never panicking; two of its gaps are covered here:
//! a type 27 "not available" position (91°, 181°, in 1/10 minute) is not recognised by it,
//! and course values 360.1–409.5 are returned as numbers. Both are "not available" here.
//!
//! # Decisions worth knowing
//! - **Time.** AIS carries only the second of the minute; a report's time is the receiver's:
//!   the tag block's `c:`, else a UNIX time after the checksum, else the time given by the
//!   caller (live feeds: when the line was received). A position without any is ignored.
//! - **Not available never moves a ship.** A position with latitude 91 or longitude 181, or
//!   without a speed, is ignored; without a course it is reported only when the ship is not
//!   moving (speed 0, track = heading or 0), because a speed without a direction is no
//!   velocity.
//! - **Counted, never fatal.** A bad checksum, a broken tag block, a fragment out of
//!   sequence or an undecodable payload is one malformed line. Fragments and static data are
//!   kept state (neither reports nor ignored); comments, other NMEA sentences and message
//!   types without a ship position (base stations, aids to navigation, binary) are ignored.

mod frame;
mod reassembly;
mod vessel;

use aivdm::{AisMessage, Sentence};
use chrono::{DateTime, Utc};
use deconflict_engine::Motion;

use crate::error::LineError;
use crate::report::{TrackReport, KNOTS_TO_MPS};
use crate::stats::{FeedStats, Outcome};
use frame::{frame, Framed};
use reassembly::{Assembled, Reassembly};
use vessel::Vessels;

pub use vessel::VesselStatic;

/// The track id of a ship: `mmsi-` and its nine-digit MMSI.
pub fn mmsi_track_id(mmsi: u32) -> String {
    format!("mmsi-{mmsi:09}")
}

/// Decodes AIS lines into position reports, one line at a time, in arrival order.
#[derive(Debug, Default)]
pub struct AisDecoder {
    reassembly: Reassembly,
    vessels: Vessels,
    stats: FeedStats,
}

impl AisDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next line (its number is one more than the last), with no receiver time
    /// but its own. Returns the report it completes, if any; a malformed line is an error,
    /// counted in [`Self::stats`], and the decoder stays usable.
    pub fn push_line(&mut self, line: &str) -> Result<Option<TrackReport>, LineError> {
        let line_number = self.stats.lines + 1;
        self.push_received(line_number, Ok(line), None)
    }

    /// As [`Self::push_line`] for a live feed: line `line_number` (or why it could not be
    /// read), received at `received`, which stands in for a time the line does not carry.
    pub fn push_received(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
        received: Option<DateTime<Utc>>,
    ) -> Result<Option<TrackReport>, LineError> {
        let outcome = line.and_then(|text| self.apply(line_number, text, received));
        self.stats.tally(line_number, outcome)
    }

    pub(crate) fn push_numbered(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        self.push_received(line_number, line, None)
    }

    pub fn stats(&self) -> &FeedStats {
        &self.stats
    }

    /// What vessel `mmsi` has said about itself so far.
    pub fn vessel(&self, mmsi: u32) -> Option<&VesselStatic> {
        self.vessels.get(mmsi)
    }

    /// Every vessel's static data, by MMSI in increasing order.
    pub fn vessels(&self) -> impl Iterator<Item = (u32, &VesselStatic)> {
        self.vessels.iter()
    }

    pub(crate) fn into_stats(self) -> FeedStats {
        self.stats
    }

    fn apply(
        &mut self,
        line_number: u64,
        text: &str,
        received: Option<DateTime<Utc>>,
    ) -> Result<Outcome, LineError> {
        if text.trim().is_empty() {
            return Ok(Outcome::Kept);
        }
        let malformed = |message: String| LineError::Ais {
            line: line_number,
            message,
        };
        let (sentence, line_time) = match frame(text).map_err(malformed)? {
            Framed::Other => return Ok(Outcome::Ignored),
            Framed::Sentence { sentence, received } => (sentence, received),
        };
        let sentence = Sentence::parse(sentence).map_err(|e| malformed(e.to_string()))?;
        let whole = match self
            .reassembly
            .push(line_number, &sentence, line_time)
            .map_err(malformed)?
        {
            Assembled::Waiting => return Ok(Outcome::Kept),
            Assembled::Whole(whole) => whole,
        };
        let message = aivdm::decode_payload(&whole.payload, whole.fill_bits)
            .map_err(|e| malformed(format!("message cannot be decoded: {e}")))?;
        if self.vessels.absorb(&message) && message.message_type() != 19 {
            return Ok(Outcome::Kept);
        }
        let Some(time) = whole.received.or(received) else {
            return Ok(Outcome::Ignored);
        };
        let Some(mut report) = position_report(&message, time) else {
            return Ok(Outcome::Ignored);
        };
        if let Some(vessel) = self.vessels.get(message.mmsi().raw()) {
            report.callsign = vessel.callsign.clone();
            let particulars = crate::report::VesselParticulars {
                name: vessel.name.clone(),
                length_m: vessel.length_m,
                beam_m: vessel.beam_m,
            };
            report.vessel = (particulars != crate::report::VesselParticulars::default())
                .then(|| Box::new(particulars));
        }
        report.validate().map_err(|source| LineError::Invalid {
            line: line_number,
            source,
        })?;
        Ok(Outcome::Report(report))
    }
}

/// The report for a message that carries a ship's position and velocity, all available.
fn position_report(message: &AisMessage, time: DateTime<Utc>) -> Option<TrackReport> {
    if !matches!(
        message,
        AisMessage::PositionReportClassA(_)
            | AisMessage::PositionReportClassB(_)
            | AisMessage::PositionReportClassBExtended(_)
            | AisMessage::LongRangeBroadcast(_)
    ) {
        return None;
    }
    let position = message.position()?;
    // 91° / 181° are "not available" in every resolution (aivdm misses them in type 27).
    if position.latitude == 91.0 || position.longitude == 181.0 {
        return None;
    }
    let speed_kn = message.sog_knots()?;
    let course = message.cog_degrees().filter(|course| *course < 360.0);
    let heading = message
        .heading_degrees()
        .filter(|heading| *heading < 360)
        .map(f64::from);
    let track_deg = match course {
        Some(course) => course,
        None if speed_kn == 0.0 => heading.unwrap_or(0.0),
        None => return None,
    };
    Some(TrackReport {
        track_id: mmsi_track_id(message.mmsi().raw()),
        motion: Motion {
            time,
            lat_deg: position.latitude,
            lon_deg: position.longitude,
            altitude_m: 0.0,
            ground_speed_mps: speed_kn * KNOTS_TO_MPS,
            track_deg,
            vertical_rate_mps: 0.0,
        },
        operation_id: None,
        callsign: None,
        domain: crate::report::Domain::Sea,
        vessel: None,
    })
}

#[cfg(test)]
mod tests;
