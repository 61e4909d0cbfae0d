//! Heights above mean sea level to heights above the WGS84 ellipsoid (SPEC §4: "heights given
//! above mean sea level are converted with a geoid model (EGM96 or EGM2008), never treated as
//! ellipsoidal").
//!
//! The geoid is EGM96, evaluated by spherical-harmonic synthesis to degree and order 360 from
//! NGA's coefficients, as the `egm96` crate ships them (its default features, which download
//! raster maps at build time, are off: nothing is fetched at build or run time). Synthesis is the
//! model itself, not an interpolation of a grid, so the only error against the published model
//! is rounding; the tests compare it with GeographicLib's and NGA's published reference values.
//!
//! A zone's footprint spans many geoid heights. [`Geoid::range_over`] samples the footprint's
//! bounding box on a global lattice of [`SAMPLE_SPACING_DEG`] (or a whole multiple of it, so
//! that at most [`MAX_SAMPLES_PER_SIDE`] cells span the box), from the lattice lines just
//! outside the box, and widens the range found by a bound on how much the geoid can change
//! between samples, so an AMSL limit converted with the
//! range's low end (for a lower limit) or high end (for an upper limit) never makes the zone
//! smaller than declared, and is within about a metre of the declared surface. The lattice is
//! the same for every box and its heights are kept for the process, so the zones of a national
//! set, which overlap, and an import sent again, cost little more synthesis than one zone.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use egm96::Egm96Scratch;

/// The finest step of the lattice on which a footprint's geoid range is sampled, degrees
/// (about 1.1 km of latitude).
pub const SAMPLE_SPACING_DEG: f64 = 0.01;
/// Most lattice cells across a footprint's bounding box, each way; a larger box is sampled on
/// a coarser lattice (a whole multiple of the finest) and widened more.
pub const MAX_SAMPLES_PER_SIDE: usize = 24;
/// How much the EGM96 geoid can change per degree of arc, metres: deflections of the vertical
/// in a degree-360 model stay under about 100 arc seconds (0.5 mm/m, 54 m per degree) even over
/// trenches; the test `the_slope_bound_holds_over_the_steepest_regions` checks it there. Used
/// to widen a sampled range by what may lie between samples.
pub const MAX_SLOPE_M_PER_DEG: f64 = 54.0;

/// The EGM96 geoid: heights of mean sea level above the WGS84 ellipsoid.
pub struct Geoid {
    scratch: Mutex<Egm96Scratch>,
}

impl std::fmt::Debug for Geoid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Geoid(EGM96)")
    }
}

impl Default for Geoid {
    fn default() -> Self {
        Self::new()
    }
}

/// The lowest and highest geoid heights over an area, metres above the ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoidRange {
    pub min_m: f64,
    pub max_m: f64,
}

impl Geoid {
    /// The model's name, for the views that say how a height was converted.
    pub const NAME: &'static str = "EGM96";

    pub fn new() -> Self {
        Self {
            scratch: Mutex::new(Egm96Scratch::new()),
        }
    }

    /// The geoid's height above the WGS84 ellipsoid at a point, metres.
    pub fn height_m(&self, lon_deg: f64, lat_deg: f64) -> f64 {
        let mut scratch = self
            .scratch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        egm96::egm96_compute_altitude_offset_with_scratch(lat_deg, lon_deg, &mut scratch)
    }

    /// The range of geoid heights over a box (`west..east`, `south..north`, degrees; `east` may
    /// be less than `west` across the antimeridian), widened by what may lie between samples.
    ///
    /// Any numbers are answered: a box that leaves the globe is read as the nearest box on it
    /// that holds it ([`on_globe`]), so importers may ask before validation has refused a
    /// coordinate (a fuzzed ED-269 longitude of 2.2·10¹⁹ overflowed the lattice's indices).
    pub fn range_over(&self, west: f64, south: f64, east: f64, north: f64) -> GeoidRange {
        let (west, width, south, north) = on_globe(west, south, east, north);
        let height = north - south;
        // Lattice steps: whole multiples of the finest, as few as keep at most
        // MAX_SAMPLES_PER_SIDE cells across the box.
        let multiple = |span: f64| {
            (span / (SAMPLE_SPACING_DEG * MAX_SAMPLES_PER_SIDE as f64))
                .ceil()
                .max(1.0) as i64
        };
        let (step_x, step_y) = (multiple(width), multiple(height));
        let (dx, dy) = (
            SAMPLE_SPACING_DEG * step_x as f64,
            SAMPLE_SPACING_DEG * step_y as f64,
        );
        // The lattice lines that bracket the box, so every point of it lies in a cell whose
        // corners are sampled. A bound that is itself on the lattice (7.40° is 740 steps of
        // 0.01°, though 7.4 / 0.01 is not exactly 740 in floating point) is its own line.
        const ON_LATTICE: f64 = 1e-9;
        let first_row = (south / dy + ON_LATTICE).floor() as i64;
        let last_row = (north / dy - ON_LATTICE).ceil().max(first_row as f64) as i64;
        let first_column = (west / dx + ON_LATTICE).floor() as i64;
        let last_column = ((west + width) / dx - ON_LATTICE)
            .ceil()
            .max(first_column as f64) as i64;
        let mut range = GeoidRange {
            min_m: f64::INFINITY,
            max_m: f64::NEG_INFINITY,
        };
        for row in first_row..=last_row {
            for column in first_column..=last_column {
                let n = self.lattice_height_m(row * step_y, column * step_x);
                range.min_m = range.min_m.min(n);
                range.max_m = range.max_m.max(n);
            }
        }
        // Any point of the box is within half a cell of a sample in each direction.
        let gap = MAX_SLOPE_M_PER_DEG * 0.5 * dx.hypot(dy);
        GeoidRange {
            min_m: range.min_m - gap,
            max_m: range.max_m + gap,
        }
    }

    /// The geoid's height at a point of the finest lattice: `row` × [`SAMPLE_SPACING_DEG`] of
    /// latitude (held at the poles) and `column` × the same of longitude (any number of turns).
    /// Kept for the process (at most [`LATTICE_MEMO_MAX`] heights, then started again): a pure
    /// function of the point, and the zones of one import overlap.
    fn lattice_height_m(&self, row: i64, column: i64) -> f64 {
        static MEMO: OnceLock<Mutex<HashMap<(i32, i32), f64>>> = OnceLock::new();
        let rows_to_pole = (90.0 / SAMPLE_SPACING_DEG).round() as i64;
        let columns_per_turn = (360.0 / SAMPLE_SPACING_DEG).round() as i64;
        let row = row.clamp(-rows_to_pole, rows_to_pole);
        // Counted from 180° W, so a longitude has one key whatever turn it is given on.
        let column = (column + columns_per_turn / 2).rem_euclid(columns_per_turn);
        let key = (row as i32, column as i32);
        let memo = MEMO.get_or_init(Default::default);
        if let Some(n) = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return *n;
        }
        let n = self.height_m(
            column as f64 * SAMPLE_SPACING_DEG - 180.0,
            row as f64 * SAMPLE_SPACING_DEG,
        );
        let mut memo = memo.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= LATTICE_MEMO_MAX {
            memo.clear();
        }
        memo.insert(key, n);
        n
    }
}

/// A box as `(west, width, south, north)` with `west` in [-180, 180), `width` in [0, 360] and
/// `-90 ≤ south ≤ north ≤ 90`, holding the box asked for: latitudes clamped to the poles (a NaN
/// south as the south pole, a NaN north as the north pole; bounds given the wrong way round
/// swapped); every longitude when a longitude is not finite or the box spans 360° or more.
fn on_globe(west: f64, south: f64, east: f64, north: f64) -> (f64, f64, f64, f64) {
    let clamp = |lat: f64, if_nan: f64| {
        if lat.is_nan() {
            if_nan
        } else {
            lat.clamp(-90.0, 90.0)
        }
    };
    let (south, north) = (clamp(south, -90.0), clamp(north, 90.0));
    let (south, north) = (south.min(north), south.max(north));
    if !(west.is_finite() && east.is_finite()) {
        return (-180.0, 360.0, south, north);
    }
    let width = if east >= west {
        east - west
    } else {
        east + 360.0 - west
    };
    if width >= 360.0 {
        return (-180.0, 360.0, south, north);
    }
    if (-180.0..180.0).contains(&west) {
        return (west, width, south, north);
    }
    let west = (west + 180.0).rem_euclid(360.0) - 180.0;
    // rem_euclid can round up to the modulus itself for a tiny negative offset.
    let west = if west >= 180.0 { -180.0 } else { west };
    (west, width, south, north)
}

/// Most lattice heights a process keeps (about 8 MB).
pub const LATTICE_MEMO_MAX: usize = 250_000;

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference geoid heights as (lat, lon, N): GeographicLib's published examples (the
    /// `GeoidEval(1)` manual: EGM96 at Timbuktu, 16:46:33N 3:00:34W, is 28.7068 m; the UTM 18n
    /// point 531595 4468135 at 23 m MSL is -10.842 m HAE, so N = -33.842 m there, its latitude
    /// and longitude by GeographicLib's `GeoConvert`), and NGA's EGM96 test points (the
    /// `OUTINTPT.DAT` results shipped with NGA's `F477` synthesis program).
    const REFERENCE: [(f64, f64, f64); 8] = [
        (16.775833333333333, -3.009444444444444, 28.7068),
        (40.36318575262629, -74.62788193604962, -33.842),
        (38.6281550, 269.7791550, -31.628),
        (-14.6212170, 305.0211140, -2.969),
        (46.8743190, 102.4487290, -43.575),
        (-23.6174460, 133.8747120, 15.871),
        (38.6254730, 359.9995000, 50.066),
        (-0.4667440, 0.0023000, 17.329),
    ];

    #[test]
    fn egm96_matches_the_reference_heights_to_a_centimetre() {
        let geoid = Geoid::new();
        for (lat, lon, expected) in REFERENCE {
            let lon = if lon > 180.0 { lon - 360.0 } else { lon };
            let n = geoid.height_m(lon, lat);
            assert!(
                (n - expected).abs() < 0.01,
                "{lat},{lon}: {n} vs {expected}"
            );
        }
    }

    /// From the ED-269 fuzz target: a zone with a corner at longitude 2.2·10¹⁹ (refused later
    /// by validation) overflowed the lattice's column index while its heights were converted.
    /// Any box is answered, finite and holding the heights of the box on the globe it stands for.
    #[test]
    fn a_box_off_the_globe_is_answered_as_the_nearest_box_on_it() {
        let geoid = Geoid::new();
        /// `(west, south, east, north)` asked, and points whose heights the answer must hold.
        type Case<'a> = ((f64, f64, f64, f64), &'a [[f64; 2]]);
        let cases: [Case; 6] = [
            // Every longitude between 23.2° and 46.2° N.
            ((1.17, 23.2, 2.2e19, 46.2), &[[-120.0, 30.0], [100.0, 46.2]]),
            // A NaN west: every longitude; the whole globe with infinite latitudes too.
            ((f64::NAN, 0.0, 10.0, 1.0), &[[-170.0, 0.5]]),
            (
                (f64::NEG_INFINITY, -1e300, f64::INFINITY, 1e300),
                // EGM96's lowest (south of India) and highest (New Guinea) heights.
                &[[78.8, 4.7], [147.4, -8.1], [0.0, 90.0], [0.0, -90.0]],
            ),
            ((-1e20, 10.0, 1e20, 20.0), &[[179.9, 15.0]]),
            // Latitudes the wrong way round and past the pole: -5° to the north pole.
            ((10.0, 1e20, 11.0, -5.0), &[[10.5, 89.9], [10.5, -5.0]]),
            // Longitudes a turn and a half on: 180.5° to 181.5° is 179.5° W to 178.5° W.
            ((540.5, 0.0, 541.5, 1.0), &[[-179.0, 0.5], [-179.5, 1.0]]),
        ];
        for ((west, south, east, north), points) in cases {
            let range = geoid.range_over(west, south, east, north);
            assert!(
                range.min_m.is_finite() && range.max_m.is_finite() && range.min_m <= range.max_m,
                "{range:?}"
            );
            for &[lon, lat] in points {
                let n = geoid.height_m(lon, lat);
                assert!(
                    range.min_m <= n && n <= range.max_m,
                    "({west}, {south}, {east}, {north}) at {lon},{lat}: {n} {range:?}"
                );
            }
        }
    }

    #[test]
    fn a_range_contains_every_height_inside_its_box() {
        let geoid = Geoid::new();
        // Over the Alps, across the antimeridian, and near a pole.
        for (west, south, east, north) in [
            (6.0, 45.8, 10.5, 47.8),
            (179.5, -17.0, -179.5, -16.0),
            (-10.0, 89.0, 10.0, 90.0),
        ] {
            let range = geoid.range_over(west, south, east, north);
            let width = if east >= west {
                east - west
            } else {
                east + 360.0 - west
            };
            for i in 0..=37 {
                for j in 0..=37 {
                    let mut lon = west + width * i as f64 / 37.0;
                    if lon > 180.0 {
                        lon -= 360.0;
                    }
                    let lat = south + (north - south) * j as f64 / 37.0;
                    let n = geoid.height_m(lon, lat);
                    assert!(
                        range.min_m <= n && n <= range.max_m,
                        "{lon},{lat}: {n} {range:?}"
                    );
                }
            }
            // And it stays tight: a small zone's range is within a couple of metres.
            assert!(range.max_m - range.min_m < 60.0, "{range:?}");
        }
        let small = geoid.range_over(7.40, 46.90, 7.50, 46.98);
        assert!(small.max_m - small.min_m < 2.5, "{small:?}");
    }

    #[test]
    fn lattice_heights_are_the_synthesis_at_their_point_whatever_turn_or_beyond_a_pole() {
        let geoid = Geoid::new();
        let turn = (360.0 / SAMPLE_SPACING_DEG).round() as i64;
        let pole = (90.0 / SAMPLE_SPACING_DEG).round() as i64;
        let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // 46.94° N, 7.46° E; then the same column a turn on and a turn back.
        for column in [746, 746 + turn, 746 - turn] {
            let n = geoid.lattice_height_m(4694, column);
            assert!(same(n, geoid.height_m(7.46, 46.94)), "column {column}: {n}");
        }
        let south = geoid.lattice_height_m(-pole - 500, 1_000);
        assert!(same(south, geoid.height_m(10.0, -90.0)), "held at the pole");
        // 180° W and 180° E are one key, and one height.
        assert_eq!(
            geoid.lattice_height_m(0, turn / 2),
            geoid.lattice_height_m(0, -turn / 2)
        );
    }

    /// The slope bound against finite differences every 0.01° over the steepest regions of
    /// the geoid: the Tonga trench, the Mariana trench, the Himalaya front, the Puerto Rico
    /// trench.
    #[test]
    fn the_slope_bound_holds_over_the_steepest_regions() {
        let geoid = Geoid::new();
        let step = 0.01;
        let mut steepest: f64 = 0.0;
        for (lon0, lat0) in [(-173.5, -21.0), (142.5, 11.5), (85.0, 27.5), (-66.5, 19.8)] {
            for i in 0..40 {
                let lat = lat0 + i as f64 * 0.05;
                let mut previous = geoid.height_m(lon0, lat);
                for j in 1..100 {
                    let lon = lon0 + j as f64 * step;
                    let n = geoid.height_m(lon, lat);
                    let east = (n - previous).abs() / (step * lat.to_radians().cos());
                    let north = (geoid.height_m(lon, lat + step) - n).abs() / step;
                    steepest = steepest.max(east).max(north);
                    previous = n;
                }
            }
        }
        assert!(steepest < MAX_SLOPE_M_PER_DEG, "{steepest} m per degree");
    }
}
