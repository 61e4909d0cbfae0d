//! The index of the fast pass: the tracks' [`SweptBox`]es in a uniform grid of cells, so that
//! only pairs whose boxes overlap are looked at (why that is safe: [`super::reach`]).
//!
//! Cells are cubes of side `L` on the boxes' three ground axes (ECEF turned so that the third is
//! the traffic's mean "up", which makes the grid nearly flat; altitude is not a cell axis). A
//! box is entered in every cell it touches, so correctness never depends on `L`: a box larger
//! than a cell (a 1,000 m/s track) simply occupies several. Within a cell the boxes are taken by rising floor,
//! and a box is compared only with those whose floor is not above its ceiling (a sweep on
//! altitude; floors are quantised monotonically to fit a sort key, which keeps the stop exact).
//! A pair is visited only in the cell holding the lower corner of the two boxes' intersection,
//! which both boxes occupy, so each overlapping pair is visited exactly once.
//!
//! `L` starts at the median box size and doubles until the cells entered stay within
//! [`ENTRY_BUDGET_PER_TRACK`] per track and the occupied grid within 2³² cells, which bounds
//! time and memory whatever the mix of speeds and spread. Indices are clamped to 16 bits;
//! clamping merges far cells, which costs time, never a pair.
//!
//! Most of a pass's time is waiting for memory, so the boxes are put in the order of the cell of
//! their lower corner (a cell's boxes then lie in a few runs of memory, and the caller keeps its
//! own data in the same order, [`Grid::order`]), and entries are ordered by cell with a radix
//! sort. The buffers live in [`Grid`] and are reused from one pass to the next.

use super::reach::SweptBox;

/// The smallest cell side (m).
const MIN_CELL_M: f64 = 1_000.0;
/// At most this many cell entries per track on average (the grid doubles its cells until so).
const ENTRY_BUDGET_PER_TRACK: u64 = 16;
const INDEX_LIMIT: i64 = 1 << 15;
const LOW_32: u64 = 0xFFFF_FFFF;

/// The grid's buffers, kept between passes.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    /// `home cell key << 32 | index into the boxes`, sorted: the boxes in space order.
    by_home: Vec<u64>,
    /// The boxes in `by_home` order.
    sorted: Vec<SweptBox>,
    /// `cell key << 32 | index into sorted`, sorted.
    entries: Vec<u64>,
    scratch: Vec<u64>,
    extents: Vec<f64>,
    /// One cell's `floor_key << 32 | index into sorted`, sorted.
    cell: Vec<u64>,
    /// The grid of the last `index`, if it had boxes.
    cells: Option<Cells>,
}

impl Grid {
    /// Indexes `boxes`, replacing what the grid held.
    pub(crate) fn index(&mut self, boxes: &[SweptBox]) {
        assert!(boxes.len() < 1 << 32, "too many tracks for one pass");
        self.by_home.clear();
        self.sorted.clear();
        self.entries.clear();
        self.cells = None;
        if boxes.is_empty() {
            return;
        }
        let (cells, total) = Cells::choose(boxes, &mut self.extents);
        let key_bits = u64::BITS - cells.count.iter().product::<u64>().leading_zeros();
        // Boxes in the order of the cell of their lower corner, so that the boxes of one cell
        // lie in a few runs of memory.
        let homes = boxes
            .iter()
            .enumerate()
            .map(|(i, b)| cells.home(b) << 32 | i as u64);
        self.by_home.extend(homes);
        radix_sort_high(&mut self.by_home, key_bits, &mut self.scratch);
        (self.sorted).extend(self.by_home.iter().map(|&k| boxes[(k & LOW_32) as usize]));

        self.entries.reserve(total as usize);
        for (rank, b) in self.sorted.iter().enumerate() {
            let [xs, ys, zs] = cells.span(b);
            for x in xs.0..=xs.1 {
                for y in ys.0..=ys.1 {
                    for z in zs.0..=zs.1 {
                        self.entries.push(cells.key([x, y, z]) << 32 | rank as u64);
                    }
                }
            }
        }
        radix_sort_high(&mut self.entries, key_bits, &mut self.scratch);
        self.cells = Some(cells);
    }

    /// Bytes held by the buffers (their capacity).
    pub(crate) fn capacity_bytes(&self) -> usize {
        use std::mem::size_of;
        (self.by_home.capacity()
            + self.entries.capacity()
            + self.scratch.capacity()
            + self.cell.capacity())
            * size_of::<u64>()
            + self.sorted.capacity() * size_of::<SweptBox>()
            + self.extents.capacity() * size_of::<f64>()
    }

    /// The boxes in the grid's order ("ranks"), as indices into the indexed boxes: keeping what
    /// goes with each box in this order keeps it close in memory too.
    pub(crate) fn order(&self) -> impl Iterator<Item = usize> + '_ {
        self.by_home.iter().map(|&k| (k & LOW_32) as usize)
    }

    /// Calls `visit(i, j)` (ranks, in either order) once for every pair of overlapping boxes.
    pub(crate) fn for_each_overlap(&mut self, mut visit: impl FnMut(usize, usize)) {
        let Some(cells) = self.cells else {
            return;
        };
        let sorted = &self.sorted;
        for entries in self.entries.chunk_by(|x, y| x >> 32 == y >> 32) {
            if entries.len() < 2 {
                continue;
            }
            let key = entries[0] >> 32;
            // This cell's boxes by rising floor, the floor in the key: the sweep's stop costs
            // no trip to memory.
            self.cell.clear();
            (self.cell).extend(entries.iter().map(|&e| {
                let rank = e & LOW_32;
                floor_key(sorted[rank as usize].lo[3]) << 32 | rank
            }));
            self.cell.sort_unstable();
            for (n, &i) in self.cell.iter().enumerate() {
                let a = &sorted[(i & LOW_32) as usize];
                let ceiling = floor_key(a.hi[3]);
                for &j in &self.cell[n + 1..] {
                    if j >> 32 > ceiling {
                        break; // and so are all later ones: `floor_key` is monotone
                    }
                    let b = &sorted[(j & LOW_32) as usize];
                    if a.overlaps(b) && cells.is_reference(key, a, b) {
                        visit((i & LOW_32) as usize, (j & LOW_32) as usize);
                    }
                }
            }
        }
    }
}

/// A monotone 32-bit quantisation of an altitude (1/8 m steps, clamped): if
/// `floor_key(x) > floor_key(y)` then `x > y`, which is all the sweep needs.
fn floor_key(altitude_m: f64) -> u64 {
    const SHIFT: f64 = (1u64 << 31) as f64;
    (altitude_m * 8.0 + SHIFT).clamp(0.0, 2.0 * SHIFT - 1.0) as u64
}

/// The grid: cubes of `1/per_m` on the ECEF axes, indices offset to start at 0 over the boxes.
#[derive(Debug, Clone, Copy)]
struct Cells {
    per_m: f64,
    origin: [i64; 3],
    /// Cells along each axis.
    count: [u64; 3],
}

impl Cells {
    /// The cell of coordinate `x`: `⌊x/L⌋` clamped to 16 bits, computed on numbers shifted to be
    /// non-negative (where truncation is the floor) so that it compiles to a few instructions.
    /// Monotone in `x`, which is all the reference-cell argument needs.
    fn index(per_m: f64, x: f64) -> i64 {
        const SHIFT: f64 = INDEX_LIMIT as f64;
        (x * per_m + SHIFT).clamp(0.0, 2.0 * SHIFT - 1.0) as i64 - INDEX_LIMIT
    }

    fn over(boxes: &[SweptBox], cell_m: f64) -> Cells {
        let per_m = 1.0 / cell_m;
        let mut low = [f64::INFINITY; 3];
        let mut high = [f64::NEG_INFINITY; 3];
        for b in boxes {
            for axis in 0..3 {
                low[axis] = low[axis].min(b.lo[axis]);
                high[axis] = high[axis].max(b.hi[axis]);
            }
        }
        // `index` is monotone, so the extremes' cells bound every box's cells.
        let origin = low.map(|x| Cells::index(per_m, x));
        Cells {
            per_m,
            origin,
            count: std::array::from_fn(|axis| {
                (Cells::index(per_m, high[axis]) - origin[axis] + 1).max(1) as u64
            }),
        }
    }

    fn cell(&self, axis: usize, x: f64) -> u64 {
        (Cells::index(self.per_m, x) - self.origin[axis]) as u64
    }

    fn span(&self, b: &SweptBox) -> [(u64, u64); 3] {
        std::array::from_fn(|axis| (self.cell(axis, b.lo[axis]), self.cell(axis, b.hi[axis])))
    }

    fn key(&self, [x, y, z]: [u64; 3]) -> u64 {
        (x * self.count[1] + y) * self.count[2] + z
    }

    /// The key of the cell holding the box's lower corner.
    fn home(&self, b: &SweptBox) -> u64 {
        self.key(std::array::from_fn(|axis| self.cell(axis, b.lo[axis])))
    }

    fn entries(&self, b: &SweptBox) -> u64 {
        self.span(b)
            .iter()
            .map(|&(from, to)| to - from + 1)
            .product()
    }

    /// Whether `key` is the cell of the lower corner of `a ∩ b` (boxes known to overlap).
    fn is_reference(&self, key: u64, a: &SweptBox, b: &SweptBox) -> bool {
        let corner = std::array::from_fn(|axis| self.cell(axis, a.lo[axis].max(b.lo[axis])));
        self.key(corner) == key
    }

    /// Cells from the median box, doubled until the entries fit the budget and the keys fit
    /// 32 bits; and the number of entries. Ends: once every box is smaller than a cell, each occupies at most 2³ = 8
    /// cells, and once a cell is larger than the boxes' span there is one cell.
    fn choose(boxes: &[SweptBox], extents: &mut Vec<f64>) -> (Cells, u64) {
        extents.clear();
        extents.extend(boxes.iter().map(SweptBox::horizontal_extent_m));
        let middle = extents.len() / 2;
        let median = *extents.select_nth_unstable_by(middle, f64::total_cmp).1;
        let mut cell_m = median.max(MIN_CELL_M);
        let budget = ENTRY_BUDGET_PER_TRACK * boxes.len() as u64;
        loop {
            let cells = Cells::over(boxes, cell_m);
            let total: u64 = boxes.iter().map(|b| cells.entries(b)).sum();
            let keys: u64 = cells.count.iter().product();
            if (total <= budget && keys <= 1 << 32) || !cell_m.is_finite() {
                return (cells, total);
            }
            cell_m *= 2.0;
        }
    }
}

/// Stable least-significant-digit radix sort of `values` by their top 32 bits, of which only the
/// lowest `key_bits` may be set.
pub(crate) fn radix_sort_high(values: &mut Vec<u64>, key_bits: u32, scratch: &mut Vec<u64>) {
    const DIGIT_BITS: u32 = 11;
    const DIGITS: usize = 1 << DIGIT_BITS;
    scratch.clear();
    scratch.resize(values.len(), 0);
    let mut shift = 32;
    while shift < 32 + key_bits {
        let digit = |value: u64| ((value >> shift) as usize) & (DIGITS - 1);
        let mut next = [0usize; DIGITS];
        for &value in values.iter() {
            next[digit(value)] += 1;
        }
        let mut sum = 0;
        for slot in next.iter_mut() {
            (*slot, sum) = (sum, sum + *slot);
        }
        for &value in values.iter() {
            let d = digit(value);
            scratch[next[d]] = value;
            next[d] += 1;
        }
        std::mem::swap(values, scratch);
        shift += DIGIT_BITS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn cube(lo: [f64; 4], size: f64) -> SweptBox {
        SweptBox {
            lo,
            hi: lo.map(|x| x + size),
        }
    }

    fn pairs(grid: &mut Grid, boxes: &[SweptBox]) -> Vec<(usize, usize)> {
        grid.index(boxes);
        let order: Vec<usize> = grid.order().collect();
        let mut found = Vec::new();
        grid.for_each_overlap(|x, y| {
            let (i, j) = (order[x], order[y]);
            found.push((i.min(j), i.max(j)))
        });
        found.sort_unstable();
        found
    }

    fn brute_force(boxes: &[SweptBox]) -> Vec<(usize, usize)> {
        let mut expected = Vec::new();
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                if boxes[i].overlaps(&boxes[j]) {
                    expected.push((i, j));
                }
            }
        }
        expected
    }

    #[test]
    fn every_overlapping_pair_is_visited_exactly_once_whatever_the_sizes() {
        // Small boxes, a huge one spanning many cells, and two far apart.
        let mut boxes: Vec<SweptBox> = (0..40)
            .map(|i| cube([i as f64 * 1_500.0, 0.0, 0.0, 0.0], 2_000.0))
            .collect();
        boxes.push(cube([-50_000.0, -50_000.0, -50_000.0, -10.0], 200_000.0));
        boxes.push(cube([9e6, 9e6, 9e6, 0.0], 10.0));
        let expected = brute_force(&boxes);
        assert!(expected.len() > 40);
        assert_eq!(pairs(&mut Grid::default(), &boxes), expected);
    }

    #[test]
    fn random_boxes_of_mixed_sizes_give_the_brute_force_pairs() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut grid = Grid::default();
        for round in 0..20 {
            let boxes: Vec<SweptBox> = (0..300)
                .map(|_| {
                    let size = 10f64.powf(rng.random_range(2.0..5.7));
                    let lo: [f64; 4] = std::array::from_fn(|axis| match axis {
                        3 => rng.random_range(0.0..3_000.0),
                        _ => 3.8e6 + rng.random_range(0.0..400_000.0),
                    });
                    let mut b = cube(lo, size);
                    b.hi[3] = lo[3] + rng.random_range(0.0..500.0);
                    b
                })
                .collect();
            // One grid reused across rounds, as a detector does.
            assert_eq!(
                pairs(&mut grid, &boxes),
                brute_force(&boxes),
                "round {round}"
            );
        }
    }

    #[test]
    fn floor_key_is_monotone_and_clamped() {
        let xs = [
            -1e12, -5e8, -1.0, -0.1, 0.0, 0.1, 0.125, 304.8, 1e5, 5e8, 1e12,
        ];
        for pair in xs.windows(2) {
            assert!(floor_key(pair[0]) <= floor_key(pair[1]));
        }
        assert!(floor_key(304.8) > floor_key(304.6));
    }
}
