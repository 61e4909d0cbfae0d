//! The spatial-temporal index of live volumes, for strategic detection.
//!
//! Each volume is stored in an R-tree (rstar) as a 5-dimensional box: its footprint's
//! conservative bounding box in WGS84 ECEF metres (x, y, z), its time window in seconds
//! since the Unix epoch, and its altitude band. ECEF boxes make the index correct across
//! the antimeridian and near the poles with no special case.
//!
//! Why the query cannot miss a conflict: a query box is the candidate's box grown by the
//! horizontal separation (plus 1 m) in x, y, z, by the time buffer (plus 1 s) in time and
//! by the vertical separation (plus 1 m) in altitude. A straight chord between two points
//! is never longer than the geodesic between them, so two footprints closer than H have
//! points less than H apart in ECEF, and their boxes grown by H intersect; the same holds
//! trivially for the time and altitude intervals. The index may return pairs that do not
//! conflict (the exact rule of [`crate::strategic`] decides); it never omits one that does.

use deconflict_geometry::Volume4d;
use rstar::{RTree, RTreeObject, AABB};

use crate::agreement::AgreementParams;
use crate::ids::OperationKey;

/// Slack added to every query so that rounding in the boxes can never exclude a pair.
const QUERY_SLACK_M: f64 = 1.0;
const QUERY_SLACK_S: f64 = 1.0;

/// One indexed volume: which operation and which of its volumes.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedVolume {
    pub operation: OperationKey,
    pub volume: usize,
    envelope: AABB<[f64; 5]>,
}

impl RTreeObject for IndexedVolume {
    type Envelope = AABB<[f64; 5]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// The 5-D box of a volume, grown by `grow` = (metres in ECEF, seconds, metres of altitude).
fn volume_box(volume: &Volume4d, grow: (f64, f64, f64)) -> AABB<[f64; 5]> {
    let bounds = volume.footprint().ecef_bounds();
    let (grow_m, grow_s, grow_alt_m) = grow;
    let t0 = volume.time_start().timestamp_micros() as f64 / 1e6;
    let t1 = volume.time_end().timestamp_micros() as f64 / 1e6;
    AABB::from_corners(
        [
            bounds.min[0] - grow_m,
            bounds.min[1] - grow_m,
            bounds.min[2] - grow_m,
            t0 - grow_s,
            volume.altitude_lower_m() - grow_alt_m,
        ],
        [
            bounds.max[0] + grow_m,
            bounds.max[1] + grow_m,
            bounds.max[2] + grow_m,
            t1 + grow_s,
            volume.altitude_upper_m() + grow_alt_m,
        ],
    )
}

/// All live volumes, searchable by proximity in space, time and altitude.
#[derive(Debug, Default)]
pub struct VolumeIndex {
    tree: RTree<IndexedVolume>,
}

/// A vertical margin that reaches every altitude a volume may have (SPEC §4: −500 m to
/// 30,000 m), for pairs with no vertical criterion.
const ANY_ALTITUDE_M: f64 = 100_000.0;

impl VolumeIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Adds every volume of an operation.
    pub fn insert(&mut self, operation: &OperationKey, volumes: &[Volume4d]) {
        for (index, volume) in volumes.iter().enumerate() {
            self.tree.insert(IndexedVolume {
                operation: operation.clone(),
                volume: index,
                envelope: volume_box(volume, (0.0, 0.0, 0.0)),
            });
        }
    }

    /// Removes every volume of an operation (as inserted with these volumes).
    pub fn remove(&mut self, operation: &OperationKey, volumes: &[Volume4d]) {
        for (index, volume) in volumes.iter().enumerate() {
            let entry = IndexedVolume {
                operation: operation.clone(),
                volume: index,
                envelope: volume_box(volume, (0.0, 0.0, 0.0)),
            };
            let removed = self.tree.remove(&entry);
            debug_assert!(
                removed.is_some(),
                "volume {index} of {operation} was not indexed"
            );
        }
    }

    /// Every indexed volume that could conflict with `volume` under `params`' air minima.
    pub fn candidates<'a>(
        &'a self,
        volume: &Volume4d,
        params: &AgreementParams,
    ) -> impl Iterator<Item = &'a IndexedVolume> + 'a {
        self.candidates_within(volume, &crate::strategic::PlanMinima::air(params))
    }

    /// Every indexed volume that could conflict with `volume` under `minima` (with no vertical
    /// minimum, at any altitude).
    pub fn candidates_within<'a>(
        &'a self,
        volume: &Volume4d,
        minima: &crate::strategic::PlanMinima,
    ) -> impl Iterator<Item = &'a IndexedVolume> + 'a {
        let query = volume_box(
            volume,
            (
                minima.separation_horizontal_m + QUERY_SLACK_M,
                minima.time_buffer_s + QUERY_SLACK_S,
                minima
                    .separation_vertical_m
                    .map_or(ANY_ALTITUDE_M, |vertical_m| vertical_m + QUERY_SLACK_M),
            ),
        );
        self.tree.locate_in_envelope_intersecting(&query)
    }
}
