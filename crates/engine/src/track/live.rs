//! The live tracks as the state holds them: one compact record per track, and the table that
//! keys the records by id (SPEC §10: at most 256 bytes per live track).
//!
//! Where the bytes go, and why each choice (measured by `benches/sea.rs` with a counting
//! allocator, map entries and shared tables included):
//! - The id is held once, as the table's key, inline ([`CompactString`] keeps up to 24 bytes
//!   without a heap allocation: an ICAO address, `mmsi-<MMSI>`, a drone's id). A record does
//!   not repeat it; [`LiveTrack`] is a view that pairs the two.
//! - The owner is interned: one `Arc<PartyId>` per party, a pointer per track.
//! - A record is boxed, so a B-tree node holds 32-byte entries (id and pointer) rather than
//!   whole records: nodes are never full, and empty slots of pointers cost a quarter of what
//!   empty slots of records would.
//! - Live and lost tracks are two maps rather than one map and a set of live ids: the pass
//!   walks the live map in id order, and no id is held a second time.
//! - A ship's particulars (name, length, beam) are kept once per track, boxed, and replaced
//!   only when a report brings different ones: most reports repeat them.
//!
//! The records are built from the logged reports and give them back unchanged
//! ([`LiveTrack::report`]); snapshots store the report as before ([`SnapshotTrack`]), so the
//! snapshot format did not change with this layout.

use std::collections::{BTreeMap, BTreeSet};
use std::iter::Peekable;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::{Motion, TrackReport, VesselParticulars};
use crate::ids::PartyId;
use crate::operation::Domain;

/// A ship's particulars as kept: the name inline when it fits (AIS names have 20 characters),
/// a dimension the ship did not give as NaN (a report never carries NaN: validation refuses
/// it), so the three fit in 40 bytes.
#[derive(Debug, Clone, PartialEq)]
struct Vessel {
    name: Option<CompactString>,
    length_m: f64,
    beam_m: f64,
}

impl Vessel {
    fn of(particulars: &VesselParticulars) -> Vessel {
        Vessel {
            name: particulars.name.as_deref().map(CompactString::from),
            length_m: particulars.length_m.unwrap_or(f64::NAN),
            beam_m: particulars.beam_m.unwrap_or(f64::NAN),
        }
    }

    fn particulars(&self) -> VesselParticulars {
        let given = |value: f64| (!value.is_nan()).then_some(value);
        VesselParticulars {
            name: self.name.as_ref().map(|name| name.to_string()),
            length_m: given(self.length_m),
            beam_m: given(self.beam_m),
        }
    }

    fn is(&self, particulars: &VesselParticulars) -> bool {
        let same = |kept: f64, given: Option<f64>| match given {
            Some(value) => kept == value,
            None => kept.is_nan(),
        };
        self.name.as_deref() == particulars.name.as_deref()
            && same(self.length_m, particulars.length_m)
            && same(self.beam_m, particulars.beam_m)
    }
}

/// One track's latest state, less its id (the table's key).
#[derive(Debug, Clone)]
struct Record {
    owner: Arc<PartyId>,
    motion: Motion,
    /// See [`LiveTrack::seen_at`].
    seen_at: DateTime<Utc>,
    callsign: Option<CompactString>,
    operation_id: Option<Box<str>>,
    vessel: Option<Box<Vessel>>,
    domain: Domain,
    /// See [`LiveTrack::reported`]. Bookkeeping of this process, not of the log: left out of
    /// equality, since a state rebuilt from a snapshot counts from its own start.
    reported: u64,
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        self.owner == other.owner
            && self.motion == other.motion
            && self.seen_at == other.seen_at
            && self.callsign == other.callsign
            && self.operation_id == other.operation_id
            && self.vessel == other.vessel
            && self.domain == other.domain
    }
}

impl Record {
    /// Takes the newer report's values, allocating only for what changed.
    fn take(&mut self, report: &TrackReport) {
        self.motion = report.motion;
        self.domain = report.domain;
        if self.callsign.as_deref() != report.callsign.as_deref() {
            self.callsign = report.callsign.as_deref().map(CompactString::from);
        }
        if self.operation_id.as_deref() != report.operation_id.as_deref() {
            self.operation_id = report.operation_id.as_deref().map(Box::from);
        }
        let same_vessel = match (&self.vessel, &report.vessel) {
            (Some(kept), Some(given)) => kept.is(given),
            (None, None) => true,
            _ => false,
        };
        if !same_vessel {
            self.vessel = report.vessel.as_deref().map(|v| Box::new(Vessel::of(v)));
        }
    }

    fn new(owner: Arc<PartyId>, report: &TrackReport, seen_at: DateTime<Utc>) -> Record {
        let mut record = Record {
            owner,
            motion: report.motion,
            seen_at,
            callsign: None,
            operation_id: None,
            vessel: None,
            domain: report.domain,
            reported: 0,
        };
        record.take(report);
        record
    }
}

/// One track as the state holds it: its id, owner and latest report, and whether it is lost.
/// A view into the state's table (cheap to copy); [`LiveTrack::report`] gives the report as
/// it was logged.
#[derive(Clone, Copy, PartialEq)]
pub struct LiveTrack<'a> {
    /// The track's (global) id.
    pub id: &'a str,
    pub owner: &'a PartyId,
    /// No report for longer than [`super::STALE_AFTER_S`]: no longer extrapolated or checked.
    pub lost: bool,
    record: &'a Record,
}

impl std::fmt::Debug for LiveTrack<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveTrack")
            .field("owner", self.owner)
            .field("report", &self.report())
            .field("lost", &self.lost)
            .field("seen_at", &self.seen_at())
            .finish()
    }
}

impl<'a> LiveTrack<'a> {
    /// Time, position and velocity of the latest report.
    pub fn motion(&self) -> &'a Motion {
        &self.record.motion
    }

    pub fn domain(&self) -> Domain {
        self.record.domain
    }

    pub fn callsign(&self) -> Option<&'a str> {
        self.record.callsign.as_deref()
    }

    /// The reporter's operation this track flies for (conformance, SPEC §5.3).
    pub fn operation_id(&self) -> Option<&'a str> {
        self.record.operation_id.as_deref()
    }

    /// The time of the last logged batch that carried a report of this track, whether or not
    /// that report was newer than the one held (reports may arrive out of order). Retention
    /// prunes batches by this time, so a track is forgotten by it (`decide::forget_tracks`):
    /// see there why a replay then agrees with the live state.
    pub fn seen_at(&self) -> DateTime<Utc> {
        self.record.seen_at
    }

    /// The [`TrackTable`] generation of the batch that last changed this track's report
    /// (`State::report_generation`): a pass of moved tracks finds them by it.
    pub fn reported(&self) -> u64 {
        self.record.reported
    }

    /// The latest report, as it was logged.
    pub fn report(&self) -> TrackReport {
        TrackReport {
            track_id: self.id.to_owned(),
            motion: self.record.motion,
            operation_id: self.operation_id().map(str::to_owned),
            callsign: self.callsign().map(str::to_owned),
            domain: self.record.domain,
            vessel: self
                .record
                .vessel
                .as_ref()
                .map(|v| Box::new(v.particulars())),
        }
    }

    /// Seconds from the latest report to `now`.
    pub fn age_s(&self, now: DateTime<Utc>) -> f64 {
        (now - self.record.motion.time)
            .num_microseconds()
            .unwrap_or(i64::MAX) as f64
            / 1e6
    }
}

type Tracks = BTreeMap<CompactString, Box<Record>>;

/// Every track the state knows, live and lost, by id.
#[derive(Debug, Default)]
pub(crate) struct TrackTable {
    live: Tracks,
    lost: Tracks,
    /// The lost tracks by when they were last seen, oldest first: what `decide::forget_tracks`
    /// reads, without walking every track.
    lost_by_seen: BTreeSet<(DateTime<Utc>, CompactString)>,
    /// One shared id per party that owns a track (parties are few, tracks many).
    owners: BTreeMap<PartyId, Arc<PartyId>>,
    /// Batches folded by [`TrackTable::report`] (see [`TrackTable::generation`]).
    generation: u64,
}

fn view<'a>(id: &'a CompactString, record: &'a Record, lost: bool) -> LiveTrack<'a> {
    LiveTrack {
        id: id.as_str(),
        owner: &record.owner,
        lost,
        record,
    }
}

impl TrackTable {
    fn owner(&mut self, owner: &PartyId) -> Arc<PartyId> {
        if let Some(shared) = self.owners.get(owner) {
            return shared.clone();
        }
        let shared = Arc::new(owner.clone());
        self.owners.insert(owner.clone(), shared.clone());
        shared
    }

    pub(crate) fn get(&self, id: &str) -> Option<LiveTrack<'_>> {
        if let Some((id, record)) = self.live.get_key_value(id) {
            return Some(view(id, record, false));
        }
        self.lost
            .get_key_value(id)
            .map(|(id, record)| view(id, record, true))
    }

    /// How many batches of reports the table has folded: a track's [`LiveTrack::reported`]
    /// above a value read earlier means its report changed since.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The tracks not lost, in id order.
    pub(crate) fn live(&self) -> impl Iterator<Item = LiveTrack<'_>> {
        self.live.iter().map(|(id, record)| view(id, record, false))
    }

    /// Every track, live and lost, in id order.
    pub(crate) fn all(&self) -> impl Iterator<Item = LiveTrack<'_>> {
        Merged {
            live: self.live.iter().peekable(),
            lost: self.lost.iter().peekable(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live.len() + self.lost.len()
    }

    /// The lost tracks last seen before `before`, oldest first.
    pub(crate) fn lost_seen_before(
        &self,
        before: DateTime<Utc>,
    ) -> impl Iterator<Item = LiveTrack<'_>> {
        self.lost_by_seen
            .iter()
            .take_while(move |(seen_at, _)| *seen_at < before)
            .filter_map(|(_, id)| {
                self.lost
                    .get_key_value(id)
                    .map(|(id, record)| view(id, record, true))
            })
    }

    /// Folds one logged batch of `owner`'s reports, logged at `time`: each report updates its
    /// track when it is the newest (reports may arrive out of order), and marks the track seen.
    pub(crate) fn report(&mut self, owner: &PartyId, reports: &[TrackReport], time: DateTime<Utc>) {
        self.generation += 1;
        let generation = self.generation;
        for report in reports {
            let id = report.track_id.as_str();
            if let Some(record) = self.live.get_mut(id) {
                // Another party's report of this id was refused when decided.
                if *record.owner != *owner {
                    continue;
                }
                record.seen_at = record.seen_at.max(time);
                if report.motion.time >= record.motion.time {
                    record.take(report);
                    record.reported = generation;
                }
            } else if let Some(record) = self.lost.get_mut(id) {
                if *record.owner != *owner {
                    continue;
                }
                let key = CompactString::from(id);
                self.lost_by_seen.remove(&(record.seen_at, key.clone()));
                record.seen_at = record.seen_at.max(time);
                if report.motion.time >= record.motion.time {
                    record.take(report);
                    record.reported = generation;
                    let (key, record) = self.lost.remove_entry(id).expect("just found");
                    self.live.insert(key, record);
                } else {
                    self.lost_by_seen.insert((record.seen_at, key));
                }
            } else {
                let owner = self.owner(owner);
                let mut record = Box::new(Record::new(owner, report, time));
                record.reported = generation;
                self.live.insert(CompactString::from(id), record);
            }
        }
    }

    /// Marks tracks lost (a pass found them stale).
    pub(crate) fn mark_lost(&mut self, ids: &[String]) {
        for id in ids {
            if let Some((key, record)) = self.live.remove_entry(id.as_str()) {
                self.lost_by_seen.insert((record.seen_at, key.clone()));
                self.lost.insert(key, record);
            }
        }
    }

    /// Forgets tracks altogether (retention). Absent ids are no error: a replay of a log whose
    /// batches of a track were all pruned never knew it.
    pub(crate) fn forget(&mut self, ids: &[String]) {
        for id in ids {
            let id = id.as_str();
            if self.live.remove(id).is_some() {
                continue;
            }
            if let Some((key, record)) = self.lost.remove_entry(id) {
                self.lost_by_seen.remove(&(record.seen_at, key));
            }
        }
    }

    /// The table a snapshot describes.
    pub(crate) fn from_snapshot(tracks: BTreeMap<String, SnapshotTrack>) -> TrackTable {
        let mut table = TrackTable::default();
        for (id, track) in tracks {
            let owner = table.owner(&track.owner);
            let key = CompactString::from(id);
            let record = Box::new(Record::new(owner, &track.report, track.seen_at));
            if track.lost {
                table.lost_by_seen.insert((track.seen_at, key.clone()));
                table.lost.insert(key, record);
            } else {
                table.live.insert(key, record);
            }
        }
        table
    }
}

/// The two maps' entries in one id order (an id is in one map or the other, never both).
struct Merged<'a> {
    live: Peekable<std::collections::btree_map::Iter<'a, CompactString, Box<Record>>>,
    lost: Peekable<std::collections::btree_map::Iter<'a, CompactString, Box<Record>>>,
}

impl<'a> Iterator for Merged<'a> {
    type Item = LiveTrack<'a>;

    fn next(&mut self) -> Option<LiveTrack<'a>> {
        let live_first = match (self.live.peek(), self.lost.peek()) {
            (Some((a, _)), Some((b, _))) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if live_first {
            self.live.next().map(|(id, record)| view(id, record, false))
        } else {
            self.lost.next().map(|(id, record)| view(id, record, true))
        }
    }
}

/// A track as a snapshot stores it: the shape the state held before tracks were compacted,
/// so snapshots written before and after read the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotTrack {
    pub owner: PartyId,
    pub report: TrackReport,
    pub lost: bool,
    pub seen_at: DateTime<Utc>,
}

/// The table, serialised as a map from id to [`SnapshotTrack`] in id order, each built as it
/// is written (no copy of the whole table).
pub(crate) struct SnapshotTracks<'a>(pub(crate) &'a TrackTable);

impl Serialize for SnapshotTracks<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.all().map(|track| {
            (
                track.id,
                SnapshotTrack {
                    owner: track.owner.clone(),
                    report: track.report(),
                    lost: track.lost,
                    seen_at: track.seen_at(),
                },
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, second: u32) -> TrackReport {
        TrackReport {
            track_id: id.into(),
            motion: Motion {
                time: DateTime::from_timestamp(1_900_000_000 + i64::from(second), 0).unwrap(),
                lat_deg: 35.0,
                lon_deg: 35.5,
                altitude_m: 0.0,
                ground_speed_mps: 5.0,
                track_deg: 90.0,
                vertical_rate_mps: 0.0,
            },
            operation_id: Some("op".into()),
            callsign: Some("A CALLSIGN LONGER THAN 24 BYTES".into()),
            domain: Domain::Sea,
            vessel: Some(Box::new(VesselParticulars {
                name: Some("SEA STAR".into()),
                length_m: Some(120.5),
                beam_m: None,
            })),
        }
    }

    #[test]
    fn a_record_gives_back_the_report_it_was_built_from() {
        let mut table = TrackTable::default();
        let owner = PartyId("p".into());
        let mut bare = report("x", 0);
        bare.vessel = Some(Box::default());
        bare.callsign = None;
        let reports = [report(&"i".repeat(64), 0), report("mmsi-1", 0), bare];
        table.report(&owner, &reports, reports[0].motion.time);
        let back: Vec<TrackReport> = table.all().map(|t| t.report()).collect();
        let mut want = reports.to_vec();
        want.sort_by(|a, b| a.track_id.cmp(&b.track_id));
        assert_eq!(back, want);
    }

    #[test]
    fn lost_tracks_move_between_maps_and_all_stays_in_id_order() {
        let mut table = TrackTable::default();
        let owner = PartyId("p".into());
        let ids = ["c", "a", "d", "b"];
        let reports: Vec<TrackReport> = ids.iter().map(|id| report(id, 0)).collect();
        let t0 = reports[0].motion.time;
        table.report(&owner, &reports, t0);
        table.mark_lost(&["a".into(), "d".into()]);
        let order: Vec<(&str, bool)> = table.all().map(|t| (t.id, t.lost)).collect();
        assert_eq!(
            order,
            [("a", true), ("b", false), ("c", false), ("d", true)]
        );
        assert_eq!(table.live().count(), 2);
        // An older report marks "a" seen but leaves it lost; a newer one brings it back.
        let later = t0 + chrono::Duration::seconds(5);
        let mut old = report("a", 0);
        old.motion.time -= chrono::Duration::seconds(1);
        table.report(&owner, &[old], later);
        assert!(table.get("a").unwrap().lost);
        assert_eq!(
            table
                .lost_seen_before(later)
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            ["d"]
        );
        table.report(&owner, &[report("a", 1)], later);
        assert!(!table.get("a").unwrap().lost);
        // Another party's report changes nothing.
        table.report(&PartyId("q".into()), &[report("b", 9)], later);
        assert_eq!(table.get("b").unwrap().motion().time, t0);
        table.forget(&["d".into(), "b".into(), "zz".into()]);
        assert_eq!(table.all().map(|t| t.id).collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(table.lost_by_seen.len(), 0);
    }
}
