//! The index of the fast pass (issue 20): candidate pairs from cells of the ground times
//! altitude bands, in which a track is entered only for the part of the look-ahead during which
//! its altitude reach touches the band. A climber then meets a level track only near the time it
//! crosses that track's level, and only over the stretch of ground it flies meanwhile; a level
//! track fills one band. The pass before this one ([`super::grid`], kept as
//! [`super::GridDetector`]) put one box per track over the whole look-ahead and altitude reach,
//! which for a climber is some 90 km of ground times 3 km of altitude.
//!
//! **Bands and windows.** Write `h = (V − 1 cm)/2 + 1 µm` (a track's altitude reach, as in
//! [`super::reach`]) and `g` for a track's ground growth ([`ground_growth_m`]). Bands have height
//! `B` (a power of two times `V`) and are centred on the multiples of `B`: `band(x)` is
//! `⌊x/B + 1/2⌋` as computed ([`Grid::cell`], axis 2), clamped, monotone in `x`. A track with
//! altitude `z(t) = z + vz·t` *is in band `b` at `t`* when `band(z(t) − h) ≤ b ≤ band(z(t) + h)`.
//! Its bands over the look-ahead are `b_lo = band(min(z, z + vz·T) − h − p)` to
//! `b_hi = band(max(…) + h + p)`, `p = 1 mm + 10⁻⁶·B` (a pad far above every rounding below).
//! For each band `b` of that range its *window* is `[0, T]` cut by two conditions:
//! `z(t) + h ≥ e_b − p` when `b > b_lo`, and `z(t) − h ≤ e_b+1 + p` when `b < b_hi`
//! (`e_b = (b − 1/2)·B` the band's lower edge), each a half-line in `t` when `vz ≠ 0` and dropped
//! when `vz = 0`. Its *sub-box* is the segment of the ground point (on the first two axes of a
//! [`GridFrame`]) over the window, grown by `g`. It is entered in every cell (squares of side `L`
//! on the two ground axes) its sub-box touches, in band `b`.
//!
//! **Proof that no conflicting pair is skipped.** Let a pair of different owners conflict under
//! the rule as computed ([`super::rule`]).
//! 1. *Some instant is close on both counts* ([`super::slices`], step 1): there is `t ∈ [0, T]`
//!    with `|w(t)| ≤ g_a + g_b` (`w` the ECEF difference of the ground points) and
//!    `|e(t)| ≤ 2h` (`e` the difference of altitudes). [`super::reach`]'s argument holds with
//!    1 m to spare: `|w(t)| > g_a + g_b − 1 m` already gives `|d(t)| > H + 1 m − 1e-8 m`.
//! 2. *Both tracks are in one band at `t`.* Let `z* = (z_a(t) + z_b(t))/2`: it is within `h` of
//!    both altitudes, so by monotony `b* = band(z*)` lies between `band(z_a(t) − h)` and
//!    `band(z_a(t) + h)`, and the same for `b`: both are in band `b*` at `t`, and `b*` is in
//!    both ranges (`z(t)` lies between `z` and `z + vz·T`, computed to ~1e-7 m, inside `p`).
//! 3. *`t` is in both windows of `b*`.* If `b* > b_lo` then `b* ≥ 1` and `band(z(t) + h) ≥ b*`
//!    unclamped below, so `z(t) + h ≥ e_b* − ε` with `ε ≤ 10⁻⁹·B + 1e-7 m` (the rounding of
//!    `x/B + 1/2 + 2²⁰` and of `e_b*`; an index clamped above belongs to an altitude beyond
//!    every edge): the first condition holds with `p` to spare, and the computed bound of the
//!    half-line (one division, relative error 1e-16 on altitudes below 5e8 m, ~1e-7 m) still
//!    admits `t`. Likewise the second. With `vz = 0` the window is `[0, T]`.
//! 4. *The sub-boxes of `b*` meet in a cell both are entered in.* Each frame coordinate is linear
//!    in time, so at `t` (inside the window) the ground point lies between the window's ends,
//!    and its sub-box holds it grown by `g`; a coordinate on an orthonormal axis is never longer
//!    than the vector, so `|x_a(t) − x_b(t)| ≤ |w(t)| ≤ g_a + g_b`: the sub-boxes overlap on both
//!    axes (rounding of coordinates, ~1e-8 m, is inside step 1's metre). The cell of the lower
//!    corner of their intersection lies in both cell ranges (the cell of a coordinate is
//!    monotone), so both are entered in it, in band `b*`, and their windows overlap (both hold
//!    `t`).
//! 5. *The pair is examined.* In a cell and band, every two entries whose windows and sub-boxes
//!    overlap and whose intersection's lower corner is this cell are examined: each pair at most
//!    once per band. Examined pairs meet [`may_meet`], the exact space-time test of step 1
//!    (`false` is its negation); survivors are gathered, sorted and deduplicated (a climbing pair
//!    may be examined in several bands), and only then compared by owner and given to the rule,
//!    on the same [`Kinematics`] as the exhaustive pass: identical figures, bit for bit.
//!    Clamping cell or band indices merges far cells, which costs time, never a pair.
//!
//! None of this depends on where the pair is: the frame is ECEF turned, the rule's frame is the
//! pair's own tangent plane (poles and the antimeridian are no special case), and `g` grows with
//! speed up to the 5,000 m/s limit. Traffic spread over more than a hemisphere folds onto itself
//! on the two ground axes: still correct, slower.
//!
//! **Cost.** `L` starts at the median ground extent of a track's whole-look-ahead box and `B` at
//! `V`, and both double until the entries stay within [`ENTRY_BUDGET_PER_TRACK`] per track and
//! the keys within 32 bits: time and memory are bounded whatever the speeds and rates. Entries
//! are ordered by a radix sort. Every buffer lives in [`Bands`] and is reused, so a pass
//! allocates nothing but its answer once the buffers have grown. The tracks are held as
//! structures of arrays (caller's index as `u32`, motion, growth, frame coordinates) put in
//! the order of their ground cell by a permutation in place, so that a cell's tracks lie close
//! in memory; the answer is sorted by the caller.

use super::grid::radix_sort_high;
use super::kinematics::Kinematics;
use super::reach::{ground_growth_m, GridFrame, ALTITUDE_MARGIN_M};
use super::slices::may_meet;
use super::{rule, TacticalConflict, TacticalParams, TrackState};
use deconflict_geometry::ALLOWANCE_M;

/// At most this many cell entries per track on average (cells and bands double until so).
const ENTRY_BUDGET_PER_TRACK: u64 = 8;
/// The smallest cell side (m).
const MIN_CELL_M: f64 = 1_000.0;
/// Cells start at this many times the median whole-look-ahead box.
const CELL_PER_MEDIAN: f64 = 2.0;
/// Bands start at this many times the vertical minimum.
const BAND_PER_MINIMUM: f64 = 4.0;
/// The pad `p` of the module documentation: `PAD_M + PAD_PER_BAND·B`.
const PAD_M: f64 = 1e-3;
const PAD_PER_BAND: f64 = 1e-6;
const INDEX_LIMIT: i64 = 1 << 20;
const LOW_32: u64 = 0xFFFF_FFFF;

/// The live tracks of a pass (in cell order) and the index's buffers, kept between passes.
#[derive(Debug, Default)]
pub(crate) struct Bands {
    /// Index into the caller's tracks.
    track: Vec<u32>,
    motion: Vec<Kinematics>,
    growth: Vec<f64>,
    /// Ground point and velocity on the frame's first two axes: `[x, y, vx, vy]`.
    ground: Vec<[f64; 4]>,
    /// `cell key << 32 | rank` (rank: index into the arrays above), sorted.
    entries: Vec<u64>,
    scratch: Vec<u64>,
    /// One cell's sub-boxes.
    run: Vec<Sub>,
    /// `rank a << 32 | rank b`, `a < b`, of pairs that passed the exact filter.
    pairs: Vec<u64>,
}

/// One track's sub-box in one band.
#[derive(Debug, Clone, Copy)]
struct Sub {
    lo: [f64; 2],
    hi: [f64; 2],
    from_s: f64,
    to_s: f64,
    /// The cells of `lo`.
    cell: [u64; 2],
    rank: usize,
}

/// The cells and bands of a pass.
#[derive(Debug, Clone, Copy)]
struct Grid {
    per_m: f64,
    band_m: f64,
    per_band: f64,
    pad_m: f64,
    /// First raw index on each axis (x, y, band).
    origin: [i64; 3],
    count: [u64; 3],
    lookahead_s: f64,
    half_height_m: f64,
}

impl Grid {
    /// `⌊x·per + offset⌋`, clamped, on numbers shifted to be non-negative: monotone in `x`.
    fn index(per: f64, offset: f64, x: f64) -> i64 {
        const SHIFT: f64 = INDEX_LIMIT as f64;
        (x * per + offset + SHIFT).clamp(0.0, 2.0 * SHIFT - 1.0) as i64 - INDEX_LIMIT
    }

    fn raw(&self, axis: usize, x: f64) -> i64 {
        if axis == 2 {
            Grid::index(self.per_band, 0.5, x)
        } else {
            Grid::index(self.per_m, 0.0, x)
        }
    }

    /// The cell (band, on axis 2) of `x`, counted from the grid's origin and clamped to it.
    fn cell(&self, axis: usize, x: f64) -> u64 {
        (self.raw(axis, x) - self.origin[axis]).clamp(0, self.count[axis] as i64 - 1) as u64
    }

    fn key(&self, x: u64, y: u64, band: u64) -> u64 {
        (x * self.count[1] + y) * self.count[2] + band
    }

    /// The lower edge of band `band` (counted from the origin), `e_b`.
    fn edge(&self, band: u64) -> f64 {
        ((band as i64 + self.origin[2]) as f64 - 0.5) * self.band_m
    }

    /// The bands `b_lo..=b_hi` of a track (module documentation).
    fn bands(&self, z: f64, vz: f64) -> (u64, u64) {
        let (z0, z1) = (z, z + vz * self.lookahead_s);
        let reach = self.half_height_m + self.pad_m;
        (
            self.cell(2, z0.min(z1) - reach),
            self.cell(2, z0.max(z1) + reach),
        )
    }

    /// The window and ground sub-box of a track in `band` of its range `(lo, hi)`, if the
    /// window is not empty: `([x, y] low, [x, y] high, from, to)`.
    #[allow(clippy::too_many_arguments)]
    fn sub(
        &self,
        ground: [f64; 4],
        growth_m: f64,
        z: f64,
        vz: f64,
        (lo, hi): (u64, u64),
        band: u64,
    ) -> Option<([f64; 2], [f64; 2], f64, f64)> {
        let (mut from, mut to) = (0.0_f64, self.lookahead_s);
        if vz != 0.0 {
            let (h, p) = (self.half_height_m, self.pad_m);
            if band > lo {
                // z(t) + h ≥ e_b − p
                let s = (self.edge(band) - p - h - z) / vz;
                if vz > 0.0 {
                    from = from.max(s);
                } else {
                    to = to.min(s);
                }
            }
            if band < hi {
                // z(t) − h ≤ e_b+1 + p
                let s = (self.edge(band + 1) + p + h - z) / vz;
                if vz > 0.0 {
                    to = to.min(s);
                } else {
                    from = from.max(s);
                }
            }
            if from > to {
                return None;
            }
        }
        let [x, y, vx, vy] = ground;
        let (x0, x1, y0, y1) = (x + vx * from, x + vx * to, y + vy * from, y + vy * to);
        Some((
            [x0.min(x1) - growth_m, y0.min(y1) - growth_m],
            [x0.max(x1) + growth_m, y0.max(y1) + growth_m],
            from,
            to,
        ))
    }

    /// Calls `enter(band, low cells, high cells)` for every band of a track with a window.
    fn for_each_band(
        &self,
        ground: [f64; 4],
        growth_m: f64,
        z: f64,
        vz: f64,
        mut enter: impl FnMut(u64, [u64; 2], [u64; 2]),
    ) {
        let range = self.bands(z, vz);
        for band in range.0..=range.1 {
            if let Some((lo, hi, _, _)) = self.sub(ground, growth_m, z, vz, range, band) {
                enter(
                    band,
                    [self.cell(0, lo[0]), self.cell(1, lo[1])],
                    [self.cell(0, hi[0]), self.cell(1, hi[1])],
                );
            }
        }
    }
}

impl Bands {
    /// Every conflict among `motions` (`(index into tracks, motion)`, rising indices), appended
    /// (unsorted) to `conflicts`; `mixed_only` keeps only pairs of different domains.
    pub(crate) fn detect(
        &mut self,
        tracks: &[TrackState],
        motions: impl Iterator<Item = (u32, Kinematics)>,
        params: &TacticalParams,
        mixed_only: bool,
        focus: Option<&[bool]>,
        conflicts: &mut Vec<TacticalConflict>,
    ) {
        self.track.clear();
        self.motion.clear();
        self.growth.clear();
        self.ground.clear();
        self.entries.clear();
        self.pairs.clear();
        let n = tracks.len();
        // Exact capacities: the working memory is what the pass needs, not a doubling beyond.
        self.track.reserve_exact(n);
        self.motion.reserve_exact(n);
        self.growth.reserve_exact(n);
        self.ground.reserve_exact(n);
        for (track, m) in motions {
            debug_assert!(self.track.last().is_none_or(|&last| last < track));
            self.track.push(track);
            self.growth.push(ground_growth_m(&m, params));
            self.motion.push(m);
        }
        if self.track.len() < 2 {
            return;
        }
        let frame = GridFrame::around(self.motion.iter().map(|m| m.position));
        (self.ground).extend(self.motion.iter().map(|m| {
            let [x, y] = frame.ground(m.position);
            let [vx, vy] = frame.ground(m.velocity_mps);
            [x, y, vx, vy]
        }));
        let grid = self.choose(params);
        let key_bits = u64::BITS - grid.count.iter().product::<u64>().leading_zeros();

        radix_sort_high(&mut self.entries, key_bits, &mut self.scratch);

        let band_m = 2.0 * grid.half_height_m;
        let lookahead_s = params.lookahead_s;
        for run in self.entries.chunk_by(|x, y| x >> 32 == y >> 32) {
            if run.len() < 2 {
                continue;
            }
            let key = run[0] >> 32;
            let band = key % grid.count[2];
            let cell = [
                key / grid.count[2] / grid.count[1],
                key / grid.count[2] % grid.count[1],
            ];
            self.run.clear();
            for &entry in run {
                let rank = (entry & LOW_32) as usize;
                let m = &self.motion[rank];
                let (z, vz) = (m.altitude_m, m.vertical_rate_mps);
                let range = grid.bands(z, vz);
                let growth = self.growth[rank];
                if let Some((lo, hi, from_s, to_s)) =
                    grid.sub(self.ground[rank], growth, z, vz, range, band)
                {
                    self.run.push(Sub {
                        lo,
                        hi,
                        from_s,
                        to_s,
                        cell: [grid.cell(0, lo[0]), grid.cell(1, lo[1])],
                        rank,
                    });
                }
            }
            // With a focus, the marked sub-boxes first: each pair with a marked one is then
            // `(a, b)` with `a` among the first `marked`, `b` after it, and no other pair is.
            let marked = match focus {
                None => self.run.len(),
                Some(focus) => {
                    let marked = |s: &Sub| focus[self.track[s.rank] as usize];
                    let mut k = 0;
                    for i in 0..self.run.len() {
                        if marked(&self.run[i]) {
                            self.run.swap(k, i);
                            k += 1;
                        }
                    }
                    k
                }
            };
            for (n, a) in self.run[..marked].iter().enumerate() {
                for b in &self.run[n + 1..] {
                    // Without short circuits: the outcomes are unpredictable, and a
                    // mispredicted branch costs more than the comparisons it would save.
                    let meet = (a.from_s <= b.to_s)
                        & (b.from_s <= a.to_s)
                        & (a.lo[0] <= b.hi[0])
                        & (b.lo[0] <= a.hi[0])
                        & (a.lo[1] <= b.hi[1])
                        & (b.lo[1] <= a.hi[1])
                        & (a.cell[0].max(b.cell[0]) == cell[0])
                        & (a.cell[1].max(b.cell[1]) == cell[1]);
                    if !meet {
                        continue;
                    }
                    let (i, j) = (a.rank.min(b.rank), a.rank.max(b.rank));
                    let reach_m = self.growth[i] + self.growth[j];
                    if may_meet(
                        &self.motion[i],
                        &self.motion[j],
                        reach_m,
                        band_m,
                        lookahead_s,
                    ) {
                        self.pairs.push((i as u64) << 32 | j as u64);
                    }
                }
            }
        }

        self.pairs.sort_unstable();
        self.pairs.dedup();
        for &pair in &self.pairs {
            let (i, j) = ((pair >> 32) as usize, (pair & LOW_32) as usize);
            let (i, j) = if self.track[i] < self.track[j] {
                (i, j)
            } else {
                (j, i)
            };
            let (ta, tb) = (self.track[i] as usize, self.track[j] as usize);
            if tracks[ta].owner == tracks[tb].owner
                || (mixed_only && tracks[ta].domain == tracks[tb].domain)
            {
                continue;
            }
            if let Some(figures) = rule::figures(&self.motion[i], &self.motion[j], params) {
                conflicts.push(TacticalConflict::new(ta, tb, figures));
            }
        }
    }

    /// Cells and bands from the medians, doubled until the entries fit the budget and the keys
    /// fit 32 bits. Ends: once cells and bands are larger than the traffic's span, every track
    /// occupies one cell and band.
    fn choose(&mut self, params: &TacticalParams) -> Grid {
        let n = self.track.len();
        let t = params.lookahead_s;
        let half_height_m = (params.separation_vertical_m - ALLOWANCE_M) / 2.0 + ALTITUDE_MARGIN_M;
        let mut low = [f64::INFINITY; 3];
        let mut high = [f64::NEG_INFINITY; 3];
        // Extents as the bits of non-negative floats, which sort as the floats do.
        self.scratch.clear();
        for ((ground, &g), m) in self.ground.iter().zip(&self.growth).zip(&self.motion) {
            let [x, y, vx, vy] = *ground;
            for (axis, (p, v)) in [(x, vx), (y, vy)].into_iter().enumerate() {
                let (a, b) = (p, p + v * t);
                low[axis] = low[axis].min(a.min(b) - g);
                high[axis] = high[axis].max(a.max(b) + g);
            }
            let (a, b) = (m.altitude_m, m.altitude_m + m.vertical_rate_mps * t);
            low[2] = low[2].min(a.min(b));
            high[2] = high[2].max(a.max(b));
            let extent = (vx.abs().max(vy.abs()) * t + 2.0 * g).max(MIN_CELL_M);
            self.scratch.push(extent.to_bits());
        }
        let median = f64::from_bits(*self.scratch.select_nth_unstable(n / 2).1);
        self.order_by_cell([low[0], low[1]], median);
        let budget = ENTRY_BUDGET_PER_TRACK * n as u64;
        let mut cell_m = CELL_PER_MEDIAN * median;
        let mut band_m = BAND_PER_MINIMUM * params.separation_vertical_m;
        loop {
            let mut grid = Grid {
                per_m: 1.0 / cell_m,
                band_m,
                per_band: 1.0 / band_m,
                pad_m: PAD_M + PAD_PER_BAND * band_m,
                origin: [0; 3],
                count: [1; 3],
                lookahead_s: t,
                half_height_m,
            };
            let reach = half_height_m + grid.pad_m;
            let (low, high) = (
                [low[0], low[1], low[2] - reach],
                [high[0], high[1], high[2] + reach],
            );
            grid.origin = std::array::from_fn(|axis| grid.raw(axis, low[axis]));
            grid.count = std::array::from_fn(|axis| {
                (grid.raw(axis, high[axis]) - grid.origin[axis] + 1).max(1) as u64
            });
            if !(cell_m.is_finite() && band_m.is_finite()) {
                // Unreachable in practice (one cell and one band fit any budget long before),
                // but never a pass without its entries.
                self.fill(&grid, u64::MAX);
                return grid;
            }
            if grid.count.iter().product::<u64>() <= 1 << 32 && self.fill(&grid, budget) {
                return grid;
            }
            cell_m *= 2.0;
            band_m *= 2.0;
        }
    }

    /// Puts the tracks in the order of their ground cell at `now` (squares of `cell_m` from
    /// `low`), so that the tracks of one cell lie close in memory: a permutation in place,
    /// following its cycles.
    fn order_by_cell(&mut self, low: [f64; 2], cell_m: f64) {
        const DONE: u64 = 1 << 63;
        let per_m = 1.0 / cell_m;
        self.scratch.clear();
        for (i, g) in self.ground.iter().enumerate() {
            let cell = |axis: usize| ((g[axis] - low[axis]) * per_m).clamp(0.0, 65_535.0) as u64;
            self.scratch
                .push((cell(0) << 16 | cell(1)) << 32 | i as u64);
        }
        radix_sort_high(&mut self.scratch, 32, &mut self.entries);
        self.entries.clear();
        let order = &mut self.scratch;
        for start in 0..order.len() {
            if order[start] & DONE != 0 {
                continue;
            }
            let (track, motion, growth, ground) = (
                self.track[start],
                self.motion[start],
                self.growth[start],
                self.ground[start],
            );
            let mut at = start;
            loop {
                let from = (order[at] & LOW_32) as usize;
                order[at] |= DONE;
                if from == start {
                    self.track[at] = track;
                    self.motion[at] = motion;
                    self.growth[at] = growth;
                    self.ground[at] = ground;
                    break;
                }
                self.track[at] = self.track[from];
                self.motion[at] = self.motion[from];
                self.growth[at] = self.growth[from];
                self.ground[at] = self.ground[from];
                at = from;
            }
        }
    }

    /// Enters every track in the cells and bands of `grid`; `false` (and the entries cleared)
    /// as soon as they exceed `budget`.
    fn fill(&mut self, grid: &Grid, budget: u64) -> bool {
        self.entries.clear();
        for (rank, (&ground, (&growth, m))) in self
            .ground
            .iter()
            .zip(self.growth.iter().zip(&self.motion))
            .enumerate()
        {
            let entries = &mut self.entries;
            grid.for_each_band(
                ground,
                growth,
                m.altitude_m,
                m.vertical_rate_mps,
                |band, lo, hi| {
                    for x in lo[0]..=hi[0] {
                        for y in lo[1]..=hi[1] {
                            entries.push(grid.key(x, y, band) << 32 | rank as u64);
                        }
                    }
                },
            );
            if entries.len() as u64 > budget {
                entries.clear();
                return false;
            }
        }
        true
    }

    /// Bytes held by the buffers (their capacity), for the memory figure.
    pub(crate) fn capacity_bytes(&self) -> usize {
        use std::mem::size_of;
        self.track.capacity() * size_of::<u32>()
            + self.motion.capacity() * size_of::<Kinematics>()
            + self.growth.capacity() * size_of::<f64>()
            + self.ground.capacity() * size_of::<[f64; 4]>()
            + (self.entries.capacity() + self.scratch.capacity() + self.pairs.capacity())
                * size_of::<u64>()
            + self.run.capacity() * size_of::<Sub>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tactical::traffic::generate_traffic;
    use crate::tactical::{detect_exhaustive, TacticalDetector};
    use crate::track::Motion;
    use chrono::{TimeZone, Utc};

    fn grid(band_m: f64, origin_band: i64, bands: u64) -> Grid {
        let params = TacticalParams::default();
        Grid {
            per_m: 1.0 / 10_000.0,
            band_m,
            per_band: 1.0 / band_m,
            pad_m: PAD_M + PAD_PER_BAND * band_m,
            origin: [0, 0, origin_band],
            count: [1, 1, bands],
            lookahead_s: params.lookahead_s,
            half_height_m: (params.separation_vertical_m - ALLOWANCE_M) / 2.0 + ALTITUDE_MARGIN_M,
        }
    }

    #[test]
    fn a_level_track_at_a_flight_level_fills_one_band_for_the_whole_lookahead() {
        let v = TacticalParams::default().separation_vertical_m;
        let g = grid(v, 0, 60);
        for level in [100.0, 350.0, 400.0] {
            let z = level * 100.0 * 0.3048;
            let range = g.bands(z, 0.0);
            assert_eq!(range.0, range.1, "FL{level}");
            let (_, _, from, to) = g.sub([0.0; 4], 5_000.0, z, 0.0, range, range.0).unwrap();
            assert_eq!((from, to), (0.0, 300.0));
        }
    }

    #[test]
    fn a_climber_is_in_each_band_only_while_its_reach_touches_it() {
        let v = TacticalParams::default().separation_vertical_m;
        let g = grid(v, 0, 60);
        let h = g.half_height_m;
        // 10 m/s from 3,000 m for 300 s: up to 6,000 m.
        let (z, vz) = (3_000.0, 10.0);
        let range = g.bands(z, vz);
        assert_eq!(range, (g.cell(2, z - h), g.cell(2, z + vz * 300.0 + h)));
        let mut previous_to = 0.0;
        for band in range.0..=range.1 {
            let (_, _, from, to) = g
                .sub([0.0, 0.0, 200.0, 0.0], 5_000.0, z, vz, range, band)
                .unwrap();
            // Windows follow each other without a gap, and at every instant of a window the
            // reach touches the band (up to the pad).
            assert!(from <= previous_to && from < to, "band {band}");
            previous_to = to;
            for k in 0..=10 {
                let t = from + (to - from) * f64::from(k) / 10.0;
                let (low, high) = (z + vz * t - h, z + vz * t + h);
                assert!(high >= g.edge(band) - g.pad_m && low <= g.edge(band + 1) + g.pad_m);
            }
            // A window inside the look-ahead is the band's crossing: (B + 2h)/vz and the pads.
            if from > 0.0 && to < 300.0 {
                assert!((to - from - (v + 2.0 * h) / vz).abs() < 1e-3, "{from} {to}");
            }
        }
        assert_eq!(previous_to, 300.0);
    }

    /// A climber that comes within the vertical minimum of a level track only in the last
    /// 0.1 ms of the look-ahead, the two at the same point: at that instant their mean altitude
    /// is just above a band's lower edge, so the band they share is one the climber's window
    /// reaches only at its very end. A window cut by a metre of altitude would miss them.
    #[test]
    fn a_conflict_only_at_the_edge_of_a_band_window_is_found() {
        let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        let params = TacticalParams::default();
        let band_m = BAND_PER_MINIMUM * params.separation_vertical_m;
        let within = params.separation_vertical_m - ALLOWANCE_M - 0.001;
        let track = |owner: &str, altitude_m: f64, vertical_rate_mps: f64| TrackState {
            owner: crate::PartyId::from(owner),
            track_id: owner.into(),
            motion: Motion {
                time: now,
                lat_deg: 47.0,
                lon_deg: 8.0,
                altitude_m,
                ground_speed_mps: 0.0,
                track_deg: 0.0,
                vertical_rate_mps,
            },
            domain: crate::operation::Domain::Air,
        };
        let mut detector = TacticalDetector::default();
        for k in 0..40 {
            let above_edge_m = 0.05 + 0.1 * f64::from(k % 10);
            let mean_m = (7.5 + f64::from(k / 10)) * band_m + above_edge_m;
            let (climber_end, level) = (mean_m - within / 2.0, mean_m + within / 2.0);
            for rate in [10.0, 3.0] {
                let climber = track("c", climber_end - rate * params.lookahead_s, rate);
                let tracks = [climber, track("l", level, 0.0)];
                let exhaustive = detect_exhaustive(&tracks, now, &params);
                assert_eq!(exhaustive.len(), 1, "{k}");
                assert!(exhaustive[0].t_los_s > params.lookahead_s - 1e-3);
                assert_eq!(detector.detect(&tracks, now, &params), exhaustive, "{k}");
            }
        }
    }

    #[test]
    fn reused_buffers_give_the_exhaustive_answer_within_the_memory_target() {
        let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        let params = TacticalParams::default();
        let mut detector = TacticalDetector::default();
        for (n, seed) in [(3_000, 1), (500, 2), (2_000, 3)] {
            let tracks = generate_traffic(n, seed, now);
            let found = detector.detect(&tracks, now, &params);
            assert!(!found.is_empty());
            assert_eq!(found, detect_exhaustive(&tracks, now, &params));
        }
        // 3,000 tracks have been through it: the buffers are sized for them, not doubled.
        let bytes = detector.working_bytes() as f64 / 3_000.0;
        assert!(bytes < 256.0, "{bytes} bytes per track");
    }
}
