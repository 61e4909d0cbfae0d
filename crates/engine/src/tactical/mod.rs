//! Tactical detection (SPEC §5.2): which pairs of live tracks of different parties will lose
//! separation within the look-ahead, extrapolating each linearly from its latest report.
//!
//! - [`pair_conflict`] is the rule for one pair; [`detect_exhaustive`] applies it to every pair
//!   and is the reference; [`detect`] (or a reused [`TacticalDetector`]) gives the same answer,
//!   always, through an index.
//! - `kinematics`: each track's ground point and velocity at `now`, in Earth-centred,
//!   Earth-fixed (ECEF) metres, extrapolated from its report time.
//! - `rule`: the pair's local frame (the tangent plane at the midpoint of the two ground
//!   points, so poles and the antimeridian need no special case) and the exact intervals.
//! - `reach`: where a track can be over the look-ahead — its path grown by half the separation
//!   and by a bound on how much a pair's frame can tilt against the track's own — and the proof
//!   that two tracks that cannot reach each other are not in conflict under the rule *as
//!   computed*.
//! - `bands`: the index of [`TacticalDetector`] (issue 20). Cells of the ground (on ECEF axes
//!   turned to the traffic's mean "up") times altitude bands; a track is entered in a band only
//!   for the window of the look-ahead during which its altitude reach touches the band, over the
//!   ground it flies in that window, so a climber meets a level track only around the time and
//!   place it crosses that track's level. Pairs whose windows and sub-boxes overlap in a cell
//!   meet an exact space-time test (do the ground points come within reach while the altitudes
//!   are within the vertical minimum?), and only survivors, deduplicated, meet the owners'
//!   comparison and the rule. Its proof is beside the code. Tracks are structures of arrays in
//!   cell order, and every buffer is kept from one pass to the next.
//! - `grid`: the index before it, [`GridDetector`], kept as the benchmark's baseline. The
//!   reaches' bounding boxes over the whole look-ahead go into a uniform grid of cells, with a
//!   sweep on altitude inside each cell; pairs whose boxes overlap meet an exact closest-approach
//!   test of their ground reaches, and survivors meet the rule.
//! - `slices`: a space-time index tried for issue 20, [`SpaceTimeDetector`]: the look-ahead cut
//!   into slices, in each every track's reach a box in cells of the ground times altitude bands.
//!   Not faster than `grid` on the benchmark traffic (a slice box is never narrower than the
//!   separation, and each slice enters every track again); tested and benchmarked beside the
//!   others.
//!
//! - Mixed traffic (SPEC §7 amended): aircraft and ships have their own minima
//!   ([`TacticalDomains`]); [`detect_in`] gives the answer of [`detect_exhaustive_in`] with a
//!   pass of the index per kind of pair (see [`TacticalDetector::detect_in`]).
//!
//! Every fast pass skips only pairs the exhaustive pass also rejects, and calls the same rule on
//! the same numbers: the results are identical, bit for bit.
//! [`traffic`] is a seeded generator of realistic traffic, for benchmarks and `loadgen`.
//!
//! Pure and deterministic: `now` is passed in, and outputs are sorted by `(a, b)`.
//! A track whose report is implausible (see [`MAX_GROUND_SPEED_MPS`]) and a pass
//! with unusable parameters ([`TacticalParams::is_usable`]) yield no conflict. Dropping lost
//! (stale) tracks is the caller's: every track given is extrapolated to `now`.

pub mod traffic;

mod bands;
mod grid;
mod kinematics;
mod reach;
mod rule;
mod slices;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::operation::Domain;
use crate::track::Motion;
use crate::{PartyId, Severity};
use kinematics::Kinematics;

pub use kinematics::{
    MAX_ABS_ALTITUDE_M, MAX_EXTRAPOLATION_S, MAX_GROUND_SPEED_MPS, MAX_VERTICAL_RATE_MPS,
};
pub use rule::MAX_PAIR_CHORD_M;
pub use traffic::{generate, generate_traffic, TrafficShape};

/// One live track's latest report, as the detector needs it: state derived from a
/// `TrackReport` (the one report type, `crate::track`), not a report of its own. Its limits
/// ([`MAX_GROUND_SPEED_MPS`], [`MAX_VERTICAL_RATE_MPS`], [`MAX_ABS_ALTITUDE_M`]) are the
/// report's constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackState {
    /// Tracks of the same owner are never in conflict.
    pub owner: PartyId,
    pub track_id: String,
    /// The time, position and velocity of the report.
    #[serde(flatten)]
    pub motion: Motion,
    /// Which minima apply ([`TacticalDomains`]). A ship (`sea`) is taken at sea level and
    /// level, whatever its report says, and takes part in no conflict when reported faster
    /// than [`crate::track::MAX_SEA_SPEED_MPS`].
    #[serde(default)]
    pub domain: Domain,
}

/// The minima and times of SPEC §5.2 (defaults: 5 NM, 1,000 ft, 300 s, 60 s, 180 s).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TacticalParams {
    pub separation_horizontal_m: f64,
    pub separation_vertical_m: f64,
    pub lookahead_s: f64,
    /// A conflict closer than this (s) is a `warning`.
    pub warning_s: f64,
    /// A conflict closer than this (s) is a `caution`; later ones are `advisory`.
    pub caution_s: f64,
}

/// The longest look-ahead a pass accepts (s).
pub const MAX_LOOKAHEAD_S: f64 = 86_400.0;

impl Default for TacticalParams {
    fn default() -> Self {
        TacticalParams {
            separation_horizontal_m: 9_260.0,
            separation_vertical_m: 304.8,
            lookahead_s: 300.0,
            warning_s: 60.0,
            caution_s: 180.0,
        }
    }
}

impl TacticalParams {
    /// Finite, minima above the 1 cm allowance, look-ahead in `0..=MAX_LOOKAHEAD_S`. Other
    /// parameters describe no separation at all; a pass with them finds no conflict.
    pub fn is_usable(&self) -> bool {
        let allowance = deconflict_geometry::ALLOWANCE_M;
        self.separation_horizontal_m.is_finite()
            && self.separation_vertical_m.is_finite()
            && self.warning_s.is_finite()
            && self.caution_s.is_finite()
            && self.separation_horizontal_m > allowance
            && self.separation_vertical_m > allowance
            && (0.0..=MAX_LOOKAHEAD_S).contains(&self.lookahead_s)
    }
}

/// The minima of each kind of pair in mixed traffic (SPEC §7 amended): two aircraft are judged
/// with `air`, two ships with `sea`, and an aircraft and a ship with `air` only when
/// `air_sea_checked` (otherwise never). `sea`'s vertical minimum never matters, since ships
/// are all at sea level ([`TrackState::domain`]); [`TacticalDomains::new`] sets it to
/// [`SEA_VERTICAL_PLACEHOLDER_M`] so the parameters are usable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TacticalDomains {
    pub air: TacticalParams,
    pub sea: TacticalParams,
    pub air_sea_checked: bool,
}

/// The vertical minimum given to the sea rule: any positive value judges two ships (both at
/// sea level, level) alike. Small, so that a ship's box in the index is flat.
pub const SEA_VERTICAL_PLACEHOLDER_M: f64 = 1.0;

impl Default for TacticalDomains {
    /// SPEC §7: 5 NM, 1,000 ft, 300 s in the air; 1 NM, 1,200 s at sea; air–sea not checked.
    fn default() -> Self {
        TacticalDomains::new(TacticalParams::default(), 1_852.0, 1_200.0, false)
    }
}

impl TacticalDomains {
    /// The air parameters, and the sea's from its horizontal minimum and look-ahead (the
    /// severity thresholds are the air's).
    pub fn new(
        air: TacticalParams,
        sea_separation_horizontal_m: f64,
        sea_lookahead_s: f64,
        air_sea_checked: bool,
    ) -> TacticalDomains {
        TacticalDomains {
            air,
            sea: TacticalParams {
                separation_horizontal_m: sea_separation_horizontal_m,
                separation_vertical_m: SEA_VERTICAL_PLACEHOLDER_M,
                lookahead_s: sea_lookahead_s,
                ..air
            },
            air_sea_checked,
        }
    }

    /// The parameters a pair of these domains is judged with; `None`: not judged at all.
    pub fn for_pair(&self, a: Domain, b: Domain) -> Option<&TacticalParams> {
        match (a, b) {
            (Domain::Air, Domain::Air) => Some(&self.air),
            (Domain::Sea, Domain::Sea) => Some(&self.sea),
            _ if self.air_sea_checked => Some(&self.air),
            _ => None,
        }
    }
}

/// What the rule says of one conflicting pair; times are seconds from `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TacticalConflictFigures {
    /// Separation is lost at `now` (then `t_los_s` is 0).
    pub los_now: bool,
    /// Start of the predicted loss of separation.
    pub t_los_s: f64,
    /// Its end, clipped to the look-ahead.
    pub t_out_s: f64,
    /// Time of closest horizontal approach, within `[0, look-ahead]`.
    pub t_cpa_s: f64,
    /// Horizontal distance at `t_cpa_s` (m).
    pub d_cpa_m: f64,
    pub horizontal_distance_now_m: f64,
    /// Altitude of `a` minus altitude of `b`, at `now` (m).
    pub vertical_offset_now_m: f64,
    pub severity: Severity,
}

/// Result for one pair; times are seconds from `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TacticalConflict {
    /// Indices into the input slice, `a < b`.
    pub a: usize,
    pub b: usize,
    pub los_now: bool,
    pub t_los_s: f64,
    pub t_out_s: f64,
    pub t_cpa_s: f64,
    pub d_cpa_m: f64,
    pub horizontal_distance_now_m: f64,
    pub vertical_offset_now_m: f64,
    pub severity: Severity,
}

impl TacticalConflict {
    fn new(a: usize, b: usize, figures: TacticalConflictFigures) -> TacticalConflict {
        TacticalConflict {
            a,
            b,
            los_now: figures.los_now,
            t_los_s: figures.t_los_s,
            t_out_s: figures.t_out_s,
            t_cpa_s: figures.t_cpa_s,
            d_cpa_m: figures.d_cpa_m,
            horizontal_distance_now_m: figures.horizontal_distance_now_m,
            vertical_offset_now_m: figures.vertical_offset_now_m,
            severity: figures.severity,
        }
    }

    /// The figures without the indices.
    pub fn figures(&self) -> TacticalConflictFigures {
        TacticalConflictFigures {
            los_now: self.los_now,
            t_los_s: self.t_los_s,
            t_out_s: self.t_out_s,
            t_cpa_s: self.t_cpa_s,
            d_cpa_m: self.d_cpa_m,
            horizontal_distance_now_m: self.horizontal_distance_now_m,
            vertical_offset_now_m: self.vertical_offset_now_m,
            severity: self.severity,
        }
    }
}

/// The exact rule for one pair, both tracks extrapolated linearly from their report times to
/// `now`. `None` when they belong to the same owner, are separated over the whole look-ahead,
/// or either report (or `params`) is unusable.
pub fn pair_conflict(
    a: &TrackState,
    b: &TrackState,
    now: DateTime<Utc>,
    params: &TacticalParams,
) -> Option<TacticalConflictFigures> {
    if !params.is_usable() || a.owner == b.owner {
        return None;
    }
    rule::figures(&Kinematics::at(a, now)?, &Kinematics::at(b, now)?, params)
}

/// The reference: the rule applied to every pair of tracks of different owners.
pub fn detect_exhaustive(
    tracks: &[TrackState],
    now: DateTime<Utc>,
    params: &TacticalParams,
) -> Vec<TacticalConflict> {
    let mut conflicts = Vec::new();
    if !params.is_usable() {
        return conflicts;
    }
    let motions: Vec<Option<Kinematics>> = tracks.iter().map(|t| Kinematics::at(t, now)).collect();
    for a in 0..tracks.len() {
        for b in a + 1..tracks.len() {
            if tracks[a].owner == tracks[b].owner {
                continue;
            }
            let (Some(motion_a), Some(motion_b)) = (&motions[a], &motions[b]) else {
                continue;
            };
            if let Some(figures) = rule::figures(motion_a, motion_b, params) {
                conflicts.push(TacticalConflict::new(a, b, figures));
            }
        }
    }
    conflicts
}

/// The exact rule for one pair of mixed traffic: [`pair_conflict`] with the parameters of the
/// pair's domains ([`TacticalDomains::for_pair`]); `None` for a pair not checked.
pub fn pair_conflict_in(
    a: &TrackState,
    b: &TrackState,
    now: DateTime<Utc>,
    domains: &TacticalDomains,
) -> Option<TacticalConflictFigures> {
    pair_conflict(a, b, now, domains.for_pair(a.domain, b.domain)?)
}

/// The reference for mixed traffic: [`pair_conflict_in`] applied to every pair of tracks.
pub fn detect_exhaustive_in(
    tracks: &[TrackState],
    now: DateTime<Utc>,
    domains: &TacticalDomains,
) -> Vec<TacticalConflict> {
    let mut conflicts = Vec::new();
    for a in 0..tracks.len() {
        for b in a + 1..tracks.len() {
            if let Some(figures) = pair_conflict_in(&tracks[a], &tracks[b], now, domains) {
                conflicts.push(TacticalConflict::new(a, b, figures));
            }
        }
    }
    conflicts
}

/// The fast pass for mixed traffic: the same result as [`detect_exhaustive_in`], always,
/// sorted by `(a, b)`.
pub fn detect_in(
    tracks: &[TrackState],
    now: DateTime<Utc>,
    domains: &TacticalDomains,
) -> Vec<TacticalConflict> {
    TacticalDetector::default().detect_in(tracks, now, domains)
}

/// The fast pass: the same result as [`detect_exhaustive`], always, sorted by `(a, b)`.
pub fn detect(
    tracks: &[TrackState],
    now: DateTime<Utc>,
    params: &TacticalParams,
) -> Vec<TacticalConflict> {
    TacticalDetector::default().detect(tracks, now, params)
}

/// The space-time slices tried for issue 20 ([`slices`]): the same result as
/// [`detect_exhaustive`], always, with about 240 bytes per track of working memory, but not
/// faster than [`GridDetector`] on the benchmark traffic (see ARCHITECTURE.md), so not the one
/// [`detect`] uses. Kept, tested and benchmarked beside it.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct SpaceTimeDetector {
    index: slices::SpaceTime,
}

impl SpaceTimeDetector {
    /// The same result as [`detect_exhaustive`], always, sorted by `(a, b)`.
    pub fn detect(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        params: &TacticalParams,
    ) -> Vec<TacticalConflict> {
        let mut conflicts = Vec::new();
        if !params.is_usable() {
            return conflicts;
        }
        assert!(tracks.len() < 1 << 32, "too many tracks for one pass");
        let motions = tracks
            .iter()
            .enumerate()
            .filter_map(|(i, report)| Some((i as u32, Kinematics::at(report, now)?)));
        self.index.detect(tracks, motions, params, &mut conflicts);
        conflicts.sort_unstable_by_key(|c| (c.a, c.b));
        conflicts
    }

    /// Bytes of working memory the detector holds between passes (the capacity of its
    /// buffers; its answer is the caller's).
    pub fn working_bytes(&self) -> usize {
        self.index.capacity_bytes()
    }
}

/// The fast pass with its working memory kept from one pass to the next, for a caller that
/// runs it every few seconds: it then allocates nothing but its answer. Cells of the ground
/// times altitude bands, a track entered in a band only while its altitude reach touches it
/// ([`bands`]).
#[derive(Debug, Default)]
pub struct TacticalDetector {
    bands: bands::Bands,
}

impl TacticalDetector {
    /// The same result as [`detect_exhaustive`], always, sorted by `(a, b)`: one set of
    /// minima for every pair, whatever the domains (ships are still taken at sea level).
    pub fn detect(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        params: &TacticalParams,
    ) -> Vec<TacticalConflict> {
        let mut conflicts = Vec::new();
        self.pass(tracks, now, params, |_| true, false, None, &mut conflicts);
        conflicts.sort_unstable_by_key(|c| (c.a, c.b));
        conflicts
    }

    /// The same result as [`detect_exhaustive_in`], always, sorted by `(a, b)`: one pass per
    /// kind of pair, as [`GridDetector::detect_in`] explains.
    pub fn detect_in(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        domains: &TacticalDomains,
    ) -> Vec<TacticalConflict> {
        self.detect_in_focused(tracks, now, domains, None)
    }

    /// [`Self::detect_in`] kept to the pairs with at least one track `focus` marks (indexed
    /// as `tracks`; `None`: every pair): exactly the pairs of [`detect_exhaustive_in`] with a
    /// marked track, sorted by `(a, b)`. Every track is still indexed (a marked track's
    /// partner need not be marked), but a cell's pairs of two unmarked tracks are never
    /// examined, which is most of the work when few tracks moved (the pass started by
    /// reports, `decide::tactical_pass_moved`). Skipping pairs the caller does not want
    /// changes nothing in the proof (`bands`): every pair with a marked track is examined as
    /// before.
    pub fn detect_in_focused(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        domains: &TacticalDomains,
        focus: Option<&[bool]>,
    ) -> Vec<TacticalConflict> {
        if let Some(focus) = focus {
            assert_eq!(focus.len(), tracks.len(), "one mark per track");
        }
        let mut conflicts = Vec::new();
        let air = |i: usize| tracks[i].domain == Domain::Air;
        let sea = |i: usize| tracks[i].domain == Domain::Sea;
        if tracks.iter().any(|t| t.domain == Domain::Air) {
            self.pass(tracks, now, &domains.air, air, false, focus, &mut conflicts);
        }
        if tracks.iter().any(|t| t.domain == Domain::Sea) {
            self.pass(tracks, now, &domains.sea, sea, false, focus, &mut conflicts);
            if domains.air_sea_checked && tracks.iter().any(|t| t.domain == Domain::Air) {
                self.pass(
                    tracks,
                    now,
                    &domains.air,
                    |_| true,
                    true,
                    focus,
                    &mut conflicts,
                );
            }
        }
        conflicts.sort_unstable_by_key(|c| (c.a, c.b));
        conflicts
    }

    /// One indexed pass over the tracks `include` admits, with one set of minima, appending
    /// (unsorted) to `conflicts`; `mixed_only` keeps only pairs of different domains, `focus`
    /// only pairs with a marked track.
    #[allow(clippy::too_many_arguments)]
    fn pass(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        params: &TacticalParams,
        include: impl Fn(usize) -> bool,
        mixed_only: bool,
        focus: Option<&[bool]>,
        conflicts: &mut Vec<TacticalConflict>,
    ) {
        if !params.is_usable() {
            return;
        }
        assert!(tracks.len() < 1 << 32, "too many tracks for one pass");
        let motions = tracks.iter().enumerate().filter_map(|(i, report)| {
            if !include(i) {
                return None;
            }
            Some((i as u32, Kinematics::at(report, now)?))
        });
        self.bands
            .detect(tracks, motions, params, mixed_only, focus, conflicts);
    }

    /// Bytes of working memory the detector holds between passes (the capacity of its
    /// buffers; its answer is the caller's).
    pub fn working_bytes(&self) -> usize {
        self.bands.capacity_bytes()
    }
}

/// The fast pass before issue 20's bands ([`TacticalDetector`] now): one box per track over
/// the whole look-ahead and altitude reach in [`grid`]'s cells, about 400 bytes per track.
/// The same result as [`detect_exhaustive`], always; kept as the benchmark's baseline and
/// tested beside the others.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct GridDetector {
    live: Vec<Live>,
    boxes: Vec<reach::SweptBox>,
    grid: grid::Grid,
    /// `live` in the grid's order.
    ordered: Vec<Live>,
}

/// A track that takes part in this pass.
#[derive(Debug, Clone, Copy)]
struct Live {
    track: usize,
    motion: Kinematics,
    ground_growth_m: f64,
}

impl GridDetector {
    /// The same result as [`detect_exhaustive`], always, sorted by `(a, b)`: one set of
    /// minima for every pair, whatever the domains (ships are still taken at sea level).
    pub fn detect(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        params: &TacticalParams,
    ) -> Vec<TacticalConflict> {
        let mut conflicts = Vec::new();
        self.pass(tracks, now, params, |_| true, false, &mut conflicts);
        conflicts.sort_unstable_by_key(|c| (c.a, c.b));
        conflicts
    }

    /// The same result as [`detect_exhaustive_in`], always, sorted by `(a, b)`.
    ///
    /// One pass per kind of pair, each the single-minima pass above on a part of the traffic:
    /// the aircraft with the air minima, the ships with the sea minima, and (when air–sea
    /// pairs are checked) everything with the air minima keeping only mixed pairs. Each pass
    /// is exact for the pairs it keeps (the proof of the single pass, on a subset), and every
    /// pair is kept by exactly one of them, so the union is the reference's answer. Why not
    /// one pass with per-track reaches: the reach proof (`reach`) is for one look-ahead and
    /// one minimum; ships' 1,200 s look-ahead would otherwise stretch every aircraft's box
    /// fourfold, and the aircraft are most of the traffic.
    pub fn detect_in(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        domains: &TacticalDomains,
    ) -> Vec<TacticalConflict> {
        let mut conflicts = Vec::new();
        let air = |i: usize| tracks[i].domain == Domain::Air;
        let sea = |i: usize| tracks[i].domain == Domain::Sea;
        if tracks.iter().any(|t| t.domain == Domain::Air) {
            self.pass(tracks, now, &domains.air, air, false, &mut conflicts);
        }
        if tracks.iter().any(|t| t.domain == Domain::Sea) {
            self.pass(tracks, now, &domains.sea, sea, false, &mut conflicts);
            if domains.air_sea_checked && tracks.iter().any(|t| t.domain == Domain::Air) {
                self.pass(tracks, now, &domains.air, |_| true, true, &mut conflicts);
            }
        }
        conflicts.sort_unstable_by_key(|c| (c.a, c.b));
        conflicts
    }

    /// One indexed pass over the tracks `include` admits, with one set of minima, appending
    /// (unsorted) to `conflicts`; `mixed_only` keeps only pairs of different domains.
    fn pass(
        &mut self,
        tracks: &[TrackState],
        now: DateTime<Utc>,
        params: &TacticalParams,
        include: impl Fn(usize) -> bool,
        mixed_only: bool,
        conflicts: &mut Vec<TacticalConflict>,
    ) {
        let GridDetector {
            live,
            boxes,
            grid,
            ordered,
        } = self;
        live.clear();
        boxes.clear();
        ordered.clear();
        if !params.is_usable() {
            return;
        }
        live.reserve(tracks.len());
        boxes.reserve(tracks.len());
        for (track, report) in tracks.iter().enumerate() {
            if !include(track) {
                continue;
            }
            if let Some(motion) = Kinematics::at(report, now) {
                let ground_growth_m = reach::ground_growth_m(&motion, params);
                live.push(Live {
                    track,
                    motion,
                    ground_growth_m,
                });
            }
        }
        let frame = reach::GridFrame::around(live.iter().map(|l| l.motion.position));
        (boxes).extend(
            live.iter()
                .map(|l| reach::SweptBox::of(&l.motion, l.ground_growth_m, params, &frame)),
        );
        grid.index(boxes);
        ordered.extend(grid.order().map(|i| live[i]));
        grid.for_each_overlap(|x, y| {
            let (x, y) = (&ordered[x], &ordered[y]);
            let (a, b) = if x.track < y.track { (x, y) } else { (y, x) };
            if mixed_only && tracks[a.track].domain == tracks[b.track].domain {
                return;
            }
            let reach_m = a.ground_growth_m + b.ground_growth_m;
            if !reach::may_meet(&a.motion, &b.motion, reach_m, params.lookahead_s) {
                return;
            }
            // The owners last: an owner's name is a trip to memory far away.
            if let Some(figures) = rule::figures(&a.motion, &b.motion, params) {
                if tracks[a.track].owner != tracks[b.track].owner {
                    conflicts.push(TacticalConflict::new(a.track, b.track, figures));
                }
            }
        });
    }

    /// Bytes of working memory the detector holds between passes (the capacity of its
    /// buffers; its answer is the caller's).
    pub fn working_bytes(&self) -> usize {
        use std::mem::size_of;
        (self.live.capacity() + self.ordered.capacity()) * size_of::<Live>()
            + self.boxes.capacity() * size_of::<reach::SweptBox>()
            + self.grid.capacity_bytes()
    }
}
