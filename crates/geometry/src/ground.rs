//! The ground anywhere on Earth, bounded from a small bundled grid, for zone limits given above
//! ground when the operator has no terrain model of the place (SPEC §4: "otherwise a
//! conservative bound that never makes a zone smaller than declared").
//!
//! The grid is NOAA's ETOPO5 (5′ samples, public domain) as Debian's `ferret-datasets` ships
//! it, reduced by `scripts/ground-grid.py` to the lowest and highest surface of each 0.25° cell
//! (the samples in the cell and one beyond each edge; the sea floor counts as −431 m, the Dead
//! Sea shore, and the sea as 0 m): 568 KB compressed in `data/`, decompressed once per process.
//!
//! That copy of ETOPO5 is smooth: it has Everest's cell at 6,096 m and Kilimanjaro's at
//! 3,962 m, so its highest sample is no bound on the real ground. The bound is therefore
//! widened where the land is rough: a cell's bound is its own range widened on each side by
//! [`MARGIN_BASE_M`] plus [`RELIEF_FACTOR`] × the relief of the 3 × 3 cells around it (their
//! highest surface minus their lowest surface above sea level), and never below −431 m. The
//! factor is empirical, not proved: it is the smallest multiple of 0.5 that holds at every
//! summit and depression in this module's tests (the worst are Vinson Massif, which needs
//! 1.31, and Aoraki/Mount Cook, 1.23 — the grid is poorest in Antarctica and New Zealand's
//! Alps); the tests check it at 22 summits and 9 depressions with their surveyed heights. Flat
//! land stays tight (Amsterdam ±183 m, Paris −342..500 m); hills and mountains get wide bounds
//! (Damascus −431..4,547 m, Bern −431..5,844 m), which is why a zone's view says which bound was used and a
//! terrain model (`--terrain`) gives the ground itself.

use std::io::Read;
use std::sync::OnceLock;

use crate::terrain::GroundRange;

/// Cell size of the bundled grid, degrees.
pub const CELL_DEG: f64 = 0.25;
/// Rows (from 90° S northwards) and columns (from 0° E eastwards).
const ROWS: usize = 720;
const COLUMNS: usize = 1440;
/// Widening of every cell's range, metres: what a smooth grid misses on flat land.
pub const MARGIN_BASE_M: f64 = 150.0;
/// Widening per metre of the neighbourhood's relief (see the module doc for why 1.5).
pub const RELIEF_FACTOR: f64 = 1.5;
/// The lowest surface on Earth, metres above mean sea level: the shore of the Dead Sea.
const LOWEST_SURFACE_M: f64 = -431.0;

/// The compressed grid: two i16 grids (lowest, then highest), little-endian, row-major.
const DATA: &[u8] = include_bytes!("../data/ground-etopo5-quarter-degree.i16.zst");

/// The bundled grid, each cell already widened to its bound.
#[derive(Debug)]
pub struct BundledGround {
    low: Vec<f32>,
    high: Vec<f32>,
}

/// The bundled grid, decompressed and widened on first use.
pub fn bundled() -> &'static BundledGround {
    static GRID: OnceLock<BundledGround> = OnceLock::new();
    GRID.get_or_init(BundledGround::load)
}

impl BundledGround {
    fn load() -> Self {
        let mut raw = Vec::with_capacity(ROWS * COLUMNS * 4);
        zstd::stream::read::Decoder::new(DATA)
            .and_then(|mut decoder| decoder.read_to_end(&mut raw))
            .expect("the bundled ground grid is compiled in and tested");
        assert_eq!(
            raw.len(),
            ROWS * COLUMNS * 4,
            "the bundled ground grid's size"
        );
        let values: Vec<f64> = raw
            .chunks_exact(2)
            .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])))
            .collect();
        let (lowest, highest) = values.split_at(ROWS * COLUMNS);
        let mut low = Vec::with_capacity(ROWS * COLUMNS);
        let mut high = Vec::with_capacity(ROWS * COLUMNS);
        for row in 0..ROWS {
            for column in 0..COLUMNS {
                let (mut top, mut bottom) = (f64::NEG_INFINITY, f64::INFINITY);
                for r in row.saturating_sub(1)..=(row + 1).min(ROWS - 1) {
                    for dc in [COLUMNS - 1, 0, 1] {
                        let i = r * COLUMNS + (column + dc) % COLUMNS;
                        top = top.max(highest[i]);
                        bottom = bottom.min(lowest[i]);
                    }
                }
                let relief = top - bottom.max(0.0);
                let widen = MARGIN_BASE_M + RELIEF_FACTOR * relief.max(0.0);
                let i = row * COLUMNS + column;
                // f32 keeps whole metres exactly; rounding outwards keeps the bound.
                low.push(((lowest[i] - widen).max(LOWEST_SURFACE_M)).floor() as f32);
                high.push((highest[i] + widen).ceil() as f32);
            }
        }
        Self { low, high }
    }

    /// The bound on the ground over every cell meeting the box `west..east` × `south..north`
    /// (degrees; `west > east` is a box across the antimeridian; longitudes may be given in
    /// −180..180 or 0..360).
    pub fn range_over(&self, west: f64, south: f64, east: f64, north: f64) -> GroundRange {
        let row = |lat: f64| {
            (((lat.clamp(-90.0, 90.0) + 90.0) / CELL_DEG).floor() as usize).min(ROWS - 1)
        };
        let column = |lon: f64| ((lon.rem_euclid(360.0) / CELL_DEG).floor() as usize) % COLUMNS;
        let mut span = east - west;
        if span < 0.0 {
            span += 360.0;
        }
        let first = column(west);
        // Every column from the west edge's to the east edge's, going east; a box reaching a
        // pole holds the pole, which every column's polar cell touches.
        let count =
            if span >= 360.0 - CELL_DEG || south.min(north) <= -90.0 || north.max(south) >= 90.0 {
                COLUMNS
            } else {
                (column(east) + COLUMNS - first) % COLUMNS + 1
            };
        let mut range = GroundRange {
            min_m: f64::INFINITY,
            max_m: f64::NEG_INFINITY,
        };
        for r in row(south.min(north))..=row(north.max(south)) {
            for k in 0..count {
                let i = r * COLUMNS + (first + k) % COLUMNS;
                range.min_m = range.min_m.min(f64::from(self.low[i]));
                range.max_m = range.max_m.max(f64::from(self.high[i]));
            }
        }
        range
    }

    /// The bound at one point.
    pub fn at(&self, lon: f64, lat: f64) -> GroundRange {
        self.range_over(lon, lat, lon, lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Summits with their surveyed heights (metres above mean sea level) and positions.
    const SUMMITS: [(&str, f64, f64, f64); 22] = [
        ("Everest", 27.9881, 86.9250, 8849.0),
        ("K2", 35.8825, 76.5133, 8611.0),
        ("Mont Blanc", 45.8326, 6.8652, 4808.0),
        ("Aconcagua", -32.6532, -70.0109, 6961.0),
        ("Denali", 63.0692, -151.0070, 6190.0),
        ("Kilimanjaro", -3.0674, 37.3556, 5895.0),
        ("Elbrus", 43.3499, 42.4453, 5642.0),
        ("Matterhorn", 45.9763, 7.6586, 4478.0),
        ("Mount Hermon", 33.4164, 35.8572, 2814.0),
        ("Mount Whitney", 36.5785, -118.2923, 4421.0),
        ("Mauna Kea", 19.8207, -155.4681, 4207.0),
        ("Damavand", 35.9553, 52.1100, 5610.0),
        ("Aoraki / Mount Cook", -43.5950, 170.1418, 3724.0),
        ("Zugspitze", 47.4211, 10.9853, 2962.0),
        ("Pico de Orizaba", 19.0300, -97.2683, 5636.0),
        ("Mount Rainier", 46.8523, -121.7603, 4392.0),
        ("Etna", 37.751, 14.9934, 3357.0),
        ("Ararat", 39.7019, 44.2983, 5137.0),
        ("Chimborazo", -1.4692, -78.8175, 6263.0),
        ("Huascarán", -9.1219, -77.6042, 6768.0),
        ("Vinson Massif", -78.5254, -85.6171, 4892.0),
        ("Eiger", 46.5776, 8.0053, 3967.0),
    ];

    /// Depressions and deep valleys with their surveyed heights.
    const DEPRESSIONS: [(&str, f64, f64, f64); 9] = [
        ("Dead Sea shore", 31.5, 35.5, -431.0),
        ("Badwater Basin", 36.2297, -116.7669, -86.0),
        ("Phantom Ranch, Grand Canyon", 36.1058, -112.0950, 756.0),
        ("Lake Assal", 11.65, 42.41, -155.0),
        ("Qattara Depression", 29.5, 27.0, -133.0),
        ("Turpan Depression", 42.6, 89.3, -154.0),
        ("Yosemite Valley", 37.7456, -119.5936, 1200.0),
        ("Lauterbrunnen", 46.5935, 7.9091, 800.0),
        ("Zermatt", 46.0207, 7.7491, 1608.0),
    ];

    #[test]
    fn the_bound_holds_at_every_named_summit_and_depression() {
        let grid = bundled();
        for (name, lat, lon, height) in SUMMITS {
            let bound = grid.at(lon, lat);
            assert!(
                bound.max_m >= height,
                "{name}: {height} m above the bound {bound:?}"
            );
        }
        for (name, lat, lon, height) in DEPRESSIONS {
            let bound = grid.at(lon, lat);
            assert!(
                bound.min_m <= height,
                "{name}: {height} m below the bound {bound:?}"
            );
        }
    }

    #[test]
    fn flat_land_and_open_sea_stay_tight() {
        let grid = bundled();
        let amsterdam = grid.at(4.90, 52.37);
        assert!(
            amsterdam.min_m >= -431.0 && amsterdam.max_m <= 250.0,
            "{amsterdam:?}"
        );
        let ocean = grid.at(-40.0, 30.0);
        assert_eq!(
            (ocean.min_m, ocean.max_m),
            (-431.0, 150.0),
            "the sea surface, widened"
        );
    }

    #[test]
    fn a_box_is_the_union_of_its_cells_across_the_antimeridian_and_at_the_poles() {
        let grid = bundled();
        let union = |cells: &[(f64, f64)]| {
            cells.iter().fold(
                (f64::INFINITY, f64::NEG_INFINITY),
                |(lo, hi), &(lon, lat)| {
                    let b = grid.at(lon, lat);
                    (lo.min(b.min_m), hi.max(b.max_m))
                },
            )
        };
        // Fiji straddles 180°: a box from 179.6° E to 179.6° W.
        let fiji = grid.range_over(179.6, -17.0, -179.6, -16.6);
        let cells: Vec<(f64, f64)> = [179.6, 179.85, -179.9, -179.65]
            .iter()
            .flat_map(|&lon| [-16.9, -16.7].map(move |lat| (lon, lat)))
            .collect();
        assert_eq!((fiji.min_m, fiji.max_m), union(&cells));
        // The same box in 0..360 longitudes.
        let again = grid.range_over(179.6, -17.0, 180.4, -16.6);
        assert_eq!((again.min_m, again.max_m), (fiji.min_m, fiji.max_m));
        // A box around the South Pole covers Antarctica's plateau (over 4,000 m).
        let pole = grid.range_over(-180.0, -90.0, 180.0, -80.0);
        assert!(pole.max_m > 4000.0, "{pole:?}");
        assert_eq!(grid.at(0.0, -90.0).max_m, grid.at(120.0, -90.0).max_m);
    }

    #[test]
    fn a_larger_box_never_has_a_narrower_bound() {
        let grid = bundled();
        let small = grid.range_over(36.2, 33.4, 36.4, 33.6);
        let large = grid.range_over(35.0, 33.0, 37.0, 34.0);
        assert!(large.min_m <= small.min_m && large.max_m >= small.max_m);
    }
}
