//! Live detection sharded by region (SPEC §9, issue 21): a fixed global grid of cells, the band
//! of cells a shard must see to decide the pairs of the cells it owns, and which shard decides
//! each pair — so that the union of the shards' answers is exactly the single-node answer.
//!
//! **The grid.** Rows of [`ROW_DEG`] = 4° of latitude (45 rows, about 445 km north–south); each
//! row is cut into as many equal spans of longitude as fit [`CELL_WIDTH_M`] (445 km) along its
//! poleward parallel, at least one. The rows touching the poles therefore have one cell each,
//! so a pole is in exactly one cell whatever longitude a report gives it. 2,472 cells in all. A
//! plain latitude–longitude grid rather than H3 or S2: the band below needs a *proven* bound on
//! which cells can hold a track within a given distance, and on this grid that bound is two
//! lines of arithmetic on the ellipsoid (latitude through `z`, longitude through the parallel's
//! radius), where H3's cells (gnomonic, with pentagons and distortion) give no such bound
//! without computing polygon distances. Cells are larger than the band at the default limits
//! (below), so a shard's band is its cells and their neighbours.
//!
//! **Which shard decides a pair.** A report goes to the cell of its *reported* ground point
//! `G` (the subject `positions.<cell>`). Tracks faster than the band's `max_speed_mps` are
//! *fast* and go to every shard ([`FAST_SUBJECT`]). A pair's *anchor* is its slower-class
//! track: the one that is not fast if exactly one is, else the lower `(owner, track_id)`. The
//! shard owning the anchor's cell decides the pair; since cells are owned once, the pair is
//! decided once.
//!
//! **Why that shard holds the other track (the band).** Let the pair conflict at `now`. The
//! tactical rule answers "no conflict" whenever the chord between the two ground points at `now`
//! is at least `H + (s_a + s_b)·T + 1 m` (`tactical::rule`, its reach test), so here
//! `|P_a − P_b| < H + 2·v·T + 1 m` when neither is fast (`s ≤ v`). Each `P` is the reported `G`
//! extrapolated by `dt` (at most `max_extrapolation_s`): `q = G + V·dt` along the tangent, then
//! scaled onto the ellipsoid. With `L = v·dt`: `|q − G| = L`; the quadratic form `f(x) =
//! (x² + y²)/a² + z²/b²` has `f(G) = 1`, no linear term along the tangent, so
//! `f(q) ≤ 1 + L²/b²` and `level = √f(q) ≤ 1 + L²/(2b²)`; `|q| ≤ a·level`, so
//! `|q − P| = |q|·(1 − 1/level) ≤ a·(level − 1) ≤ a·L²/(2b²)`. Hence
//! `|P − G| ≤ drift = L + a·L²/(2b²)` and `|G_a − G_b| < D = H + 2vT + 1 m + 2·drift`
//! ([`Band::reach_chord_m`]; 1 m more for rounding).
//! Two ground points (on the ellipsoid) a chord `c` apart have
//! - `z` (ECEF, along the axis) differing by at most `c`; `z = b²/a²·N(φ)·sin φ` grows with
//!   latitude, so the other point's latitude lies where `z` is within `D` of the cell's `z` range;
//! - projections on the equatorial plane at most `c` apart: at radii `ρ_a, ρ_b` and an angle
//!   `Δλ` of longitude these are at least `max(ρ_a, ρ_b)·sin Δλ` apart when `Δλ ≤ 90°`, else
//!   `max(ρ_a, ρ_b)`. So `Δλ ≤ asin(D/ρ_min)` with `ρ_min` the anchor cell's smallest parallel
//!   radius, or any longitude when `D ≥ ρ_min`.
//!
//! The band of a cell ([`Band::cells`]) is every cell meeting that latitude × longitude box;
//! a shard consumes its cells' bands and [`FAST_SUBJECT`]. The property test below (and in
//! `tests/shard.rs`) shows the union of shards' answers equal to [`crate::tactical::detect`] on
//! the whole traffic, with pairs across cell borders, the antimeridian and the poles.
//!
//! Ships (SPEC §7 amended) have a longer look-ahead (1,200 s) but a speed bound
//! ([`MAX_SEA_SPEED_MPS`], enforced on input and by the rule): their reach is what bounds a
//! band, not their look-ahead alone ([`Band::covers_domains`]).
//!
//! Pure: no clocks, no I/O. The limits a band is built for must cover every pair's parameters
//! ([`Band::covers`], [`Band::covers_domains`]); the runtime checks that before trusting a
//! shard's answer.

use std::collections::BTreeSet;

use crate::tactical::{TacticalDomains, TacticalParams, TrackState};
use crate::track::MAX_SEA_SPEED_MPS;

/// Height of a row of cells (degrees of latitude).
pub const ROW_DEG: f64 = 4.0;
/// Number of rows from the south pole to the north pole.
pub const ROWS: u32 = 45;
/// The least width of a cell along its row's poleward parallel (m).
pub const CELL_WIDTH_M: f64 = 445_000.0;
/// The subject every shard consumes: tracks too fast for the band.
pub const FAST_SUBJECT: &str = "positions.fast";

const A_M: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
const B_M: f64 = A_M * (1.0 - F);
const E2: f64 = F * (2.0 - F);
/// Added to the band's chord for the rounding of every computation involved (m).
const ROUNDING_M: f64 = 1.0;

/// A cell of the global grid, numbered row by row from the south pole, west to east from
/// −180°.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell(pub u32);

/// The grid's rows: how many cells each has and the number of its first cell.
struct Rows {
    columns: [u32; ROWS as usize],
    first: [u32; ROWS as usize + 1],
}

fn rows() -> &'static Rows {
    static ROWS_TABLE: std::sync::OnceLock<Rows> = std::sync::OnceLock::new();
    ROWS_TABLE.get_or_init(|| {
        let mut columns = [0; ROWS as usize];
        let mut first = [0; ROWS as usize + 1];
        for row in 0..ROWS as usize {
            let (lo, hi) = row_latitudes(row as u32);
            let poleward = lo.abs().max(hi.abs());
            let circumference = 2.0 * std::f64::consts::PI * parallel_radius_m(poleward);
            columns[row] = ((circumference / CELL_WIDTH_M).floor() as u32).max(1);
            first[row + 1] = first[row] + columns[row];
        }
        Rows { columns, first }
    })
}

fn row_latitudes(row: u32) -> (f64, f64) {
    let lo = -90.0 + ROW_DEG * f64::from(row);
    (lo, lo + ROW_DEG)
}

/// Radius of the parallel at geodetic latitude `lat_deg` on the ellipsoid (m).
fn parallel_radius_m(lat_deg: f64) -> f64 {
    let (sin, cos) = lat_deg.to_radians().sin_cos();
    (A_M / (1.0 - E2 * sin * sin).sqrt() * cos).max(0.0)
}

/// ECEF `z` of the ground point at geodetic latitude `lat_deg` (m); increasing in latitude.
fn axial_m(lat_deg: f64) -> f64 {
    let sin = lat_deg.to_radians().sin();
    A_M / (1.0 - E2 * sin * sin).sqrt() * (1.0 - E2) * sin
}

/// Latitudes bracketing the one whose ground point has ECEF `z` (bisection on the increasing
/// `axial_m`), clamped to the poles: `lo ≤ φ ≤ hi`, about 1e-14° apart.
fn latitude_of_axial(z: f64) -> (f64, f64) {
    if z <= axial_m(-90.0) {
        return (-90.0, -90.0);
    }
    if z >= axial_m(90.0) {
        return (90.0, 90.0);
    }
    let (mut lo, mut hi) = (-90.0_f64, 90.0_f64);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if axial_m(mid) < z {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, hi)
}

impl Cell {
    /// The cell holding the ground point at (`lat_deg`, `lon_deg`); `None` for a latitude
    /// outside ±90° or a non-finite number. Longitudes wrap (−180° and 180° are one meridian).
    pub fn of(lat_deg: f64, lon_deg: f64) -> Option<Cell> {
        if !lat_deg.is_finite() || !lon_deg.is_finite() || lat_deg.abs() > 90.0 {
            return None;
        }
        let row = (((lat_deg + 90.0) / ROW_DEG).floor() as u32).min(ROWS - 1);
        let columns = rows().columns[row as usize];
        let turn = (lon_deg + 180.0).rem_euclid(360.0) / 360.0;
        let column = ((turn * f64::from(columns)).floor() as u32).min(columns - 1);
        Some(Cell(rows().first[row as usize] + column))
    }

    /// Every cell of the grid.
    pub fn all() -> impl Iterator<Item = Cell> {
        (0..rows().first[ROWS as usize]).map(Cell)
    }

    /// Number of cells in the grid.
    pub fn count() -> u32 {
        rows().first[ROWS as usize]
    }

    fn row_column(self) -> (u32, u32) {
        let first = &rows().first;
        let row = first.partition_point(|&f| f <= self.0) as u32 - 1;
        (row, self.0 - first[row as usize])
    }

    /// South, north, west and east edges (degrees); east may be 180.
    pub fn bounds(self) -> [f64; 4] {
        let (row, column) = self.row_column();
        let (south, north) = row_latitudes(row);
        let span = 360.0 / f64::from(rows().columns[row as usize]);
        let west = -180.0 + span * f64::from(column);
        [south, north, west, west + span]
    }

    /// Every cell in the order nodes lease them: along a Hilbert curve over the cells'
    /// centres (longitude and latitude on a 1024 × 1024 grid), so that a node taking the next
    /// cells in this order, or giving back its last ones, holds a compact region rather than
    /// latitude strips. A region's band (the neighbours it must also read) grows with its
    /// border, so compact regions overlap less: at 10⁵ tracks, strips made three nodes hold two
    /// tracks for every track they decide.
    pub fn lease_order() -> &'static [Cell] {
        static ORDER: std::sync::OnceLock<Vec<Cell>> = std::sync::OnceLock::new();
        ORDER.get_or_init(|| {
            let scale = |value: f64, range: f64| ((value / range) * 1023.0).round() as u32;
            let mut cells: Vec<(u64, Cell)> = Cell::all()
                .map(|cell| {
                    let [south, north, west, east] = cell.bounds();
                    let x = scale((west + east) / 2.0 + 180.0, 360.0);
                    let y = scale((south + north) / 2.0 + 90.0, 180.0);
                    (fast_hilbert::xy2h(x, y, 10), cell)
                })
                .collect();
            cells.sort_unstable();
            cells.into_iter().map(|(_, cell)| cell).collect()
        })
    }

    /// The JetStream subject of the reports in this cell.
    pub fn subject(self) -> String {
        format!("positions.{}", self.0)
    }

    /// The cell a subject names (`positions.<n>`), if any.
    pub fn from_subject(subject: &str) -> Option<Cell> {
        let n: u32 = subject.strip_prefix("positions.")?.parse().ok()?;
        (n < Cell::count()).then_some(Cell(n))
    }
}

/// The limits a shard's band is built for. A pair whose parameters exceed them is not
/// guaranteed to be seen by one shard ([`Band::covers`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Tracks faster than this go to every shard (m/s).
    pub max_speed_mps: f64,
    pub max_lookahead_s: f64,
    pub max_separation_horizontal_m: f64,
    /// The longest extrapolation of a report to the pass's `now`, either way (s): the time after
    /// which a silent track is lost, or the furthest a report may be ahead of the clock.
    pub max_extrapolation_s: f64,
}

impl Default for Band {
    /// 350 m/s (faster than airliners with a jet-stream tailwind; faster tracks are broadcast),
    /// a 300 s look-ahead, 5 NM, and 60 s (reports are accepted up to 60 s ahead of the clock;
    /// tracks are lost after 30 s): a chord of about 261 km, within one cell.
    fn default() -> Self {
        Band {
            max_speed_mps: 350.0,
            max_lookahead_s: 300.0,
            max_separation_horizontal_m: 9_260.0,
            max_extrapolation_s: 60.0,
        }
    }
}

impl Band {
    /// How far a track's ground point at `now` can be from its reported one (m): see the
    /// module documentation.
    pub fn drift_m(&self) -> f64 {
        let l = self.max_speed_mps * self.max_extrapolation_s;
        l + A_M * l * l / (2.0 * B_M * B_M)
    }

    /// The chord between the reported ground points of two tracks, neither fast, below which
    /// they may conflict (m): `H + 2vT + 1 m + 2·drift`, plus rounding.
    pub fn reach_chord_m(&self) -> f64 {
        self.max_separation_horizontal_m
            + 2.0 * self.max_speed_mps * self.max_lookahead_s
            + 1.0
            + 2.0 * self.drift_m()
            + ROUNDING_M
    }

    /// Whether a pass with `params` is within this band's limits.
    pub fn covers(&self, params: &TacticalParams) -> bool {
        params.lookahead_s <= self.max_lookahead_s
            && params.separation_horizontal_m <= self.max_separation_horizontal_m
    }

    /// Whether a pass over mixed traffic with `domains` is within this band's limits: the
    /// air minima as [`Band::covers`] (they also judge air–sea pairs), and the ships' reach
    /// within the band's. A pair of ships conflicts only when its ground points are closer
    /// than `H_sea + (s_a + s_b)·T_sea + 1 m` (the rule's reach test), with each speed at most
    /// [`MAX_SEA_SPEED_MPS`] (a faster ship takes part in no conflict), so the band proof
    /// holds for it as soon as `H_sea + 2·s_max·T_sea ≤ H + 2·v·T` and `s_max ≤ v` (a ship is
    /// never fast, and its drift is within an aircraft's). A 1,200 s sea look-ahead therefore
    /// costs the band nothing: 1,852 m + 2 × 53 m/s × 1,200 s is 129 km, within the 219 km
    /// of the default band's air reach.
    pub fn covers_domains(&self, domains: &TacticalDomains) -> bool {
        let sea_reach_m =
            domains.sea.separation_horizontal_m + 2.0 * MAX_SEA_SPEED_MPS * domains.sea.lookahead_s;
        let band_reach_m =
            self.max_separation_horizontal_m + 2.0 * self.max_speed_mps * self.max_lookahead_s;
        self.covers(&domains.air)
            && MAX_SEA_SPEED_MPS <= self.max_speed_mps
            && sea_reach_m <= band_reach_m
    }

    /// Whether a report goes to every shard: faster than the band, or not a number.
    pub fn is_fast(&self, track: &TrackState) -> bool {
        let speed = track.motion.ground_speed_mps.abs();
        speed.is_nan() || speed > self.max_speed_mps
    }

    /// The subject a report is published on: its cell's, or [`FAST_SUBJECT`]. `None` for a
    /// report with no valid position (the engine refuses those before).
    pub fn subject(&self, track: &TrackState) -> Option<String> {
        if self.is_fast(track) {
            return Some(FAST_SUBJECT.to_owned());
        }
        Cell::of(track.motion.lat_deg, track.motion.lon_deg).map(Cell::subject)
    }

    /// The cells whose tracks a shard owning `cell` must see: every cell with a ground point
    /// within [`Band::reach_chord_m`] (chord) of one of `cell`'s. Sorted; includes `cell`.
    pub fn cells(&self, cell: Cell) -> Vec<Cell> {
        let d = self.reach_chord_m();
        let [south, north, west, east] = cell.bounds();
        let south = latitude_of_axial(axial_m(south) - d).0;
        let north = latitude_of_axial(axial_m(north) + d).1;
        // The smallest parallel radius of the anchor cell: at its poleward edge.
        let rho_min = parallel_radius_m(cell.bounds()[0].abs().max(cell.bounds()[1].abs()));
        let all_longitudes = d >= rho_min;
        let widen = if all_longitudes {
            180.0
        } else {
            (d / rho_min).asin().to_degrees()
        };
        let mut cells = Vec::new();
        for row in 0..ROWS {
            let (lo, hi) = row_latitudes(row);
            if hi < south || lo > north {
                continue;
            }
            let columns = rows().columns[row as usize];
            let first = rows().first[row as usize];
            let span = 360.0 / f64::from(columns);
            for column in 0..columns {
                let c_west = -180.0 + span * f64::from(column);
                if all_longitudes
                    || overlaps_wrapped(west - widen, east + widen, c_west, c_west + span)
                {
                    cells.push(Cell(first + column));
                }
            }
        }
        cells
    }
}

/// Whether the longitude interval `[a0, a1]` (may extend past ±180°, width below 360°) meets
/// `[b0, b1]` (within −180..180), edges included, on the circle.
fn overlaps_wrapped(a0: f64, a1: f64, b0: f64, b1: f64) -> bool {
    if a1 - a0 >= 360.0 {
        return true;
    }
    [-360.0, 0.0, 360.0]
        .iter()
        .any(|shift| a0 + shift <= b1 && b0 <= a1 + shift)
}

/// One shard's share of the traffic: the cells it owns, and what it must consume for them.
#[derive(Debug, Clone)]
pub struct Shard {
    band: Band,
    owned: BTreeSet<Cell>,
    consumed: BTreeSet<Cell>,
}

impl Shard {
    pub fn new(band: Band, owned: impl IntoIterator<Item = Cell>) -> Shard {
        let owned: BTreeSet<Cell> = owned.into_iter().collect();
        let consumed = owned.iter().flat_map(|&c| band.cells(c)).collect();
        Shard {
            band,
            owned,
            consumed,
        }
    }

    pub fn band(&self) -> &Band {
        &self.band
    }

    pub fn owned(&self) -> &BTreeSet<Cell> {
        &self.owned
    }

    /// The cells whose subjects this shard consumes (besides [`FAST_SUBJECT`]).
    pub fn consumed(&self) -> &BTreeSet<Cell> {
        &self.consumed
    }

    /// Whether a report reaches this shard.
    pub fn receives(&self, track: &TrackState) -> bool {
        self.band.is_fast(track)
            || Cell::of(track.motion.lat_deg, track.motion.lon_deg)
                .is_some_and(|c| self.consumed.contains(&c))
    }

    /// Whether the track is this shard's own: its cell is owned here. Checks of one track
    /// (conformance, zones, sites) are the owner's; a fast track's are its cell's owner's too.
    pub fn owns(&self, track: &TrackState) -> bool {
        Cell::of(track.motion.lat_deg, track.motion.lon_deg)
            .is_some_and(|c| self.owned.contains(&c))
    }

    /// Whether this shard decides the pair `(a, b)`: it owns the pair's anchor's cell.
    pub fn decides(&self, a: &TrackState, b: &TrackState) -> bool {
        self.owns(anchor(&self.band, a, b))
    }
}

/// The track of a pair whose cell decides it: the one that is not fast if exactly one is, else
/// the lower `(owner, track_id)`.
pub fn anchor<'t>(band: &Band, a: &'t TrackState, b: &'t TrackState) -> &'t TrackState {
    match (band.is_fast(a), band.is_fast(b)) {
        (false, true) => a,
        (true, false) => b,
        _ => {
            if (&a.owner, &a.track_id) <= (&b.owner, &b.track_id) {
                a
            } else {
                b
            }
        }
    }
}

#[cfg(test)]
mod lease_order_tests {
    use super::*;

    #[test]
    fn the_lease_order_holds_every_cell_once() {
        let mut order: Vec<u32> = Cell::lease_order().iter().map(|c| c.0).collect();
        order.sort_unstable();
        assert_eq!(order, (0..Cell::count()).collect::<Vec<_>>());
    }

    /// A third of the cells taken in lease order is a compact region: at least a quarter fewer
    /// cells of the others border it than border the third taken in numbering order (latitude
    /// strips; 115 against 168).
    #[test]
    fn a_run_of_the_lease_order_is_compact() {
        let band = Band::default();
        let third = Cell::count() as usize / 3;
        let border = |cells: &[Cell]| {
            let own: BTreeSet<Cell> = cells.iter().copied().collect();
            let seen: BTreeSet<Cell> = cells.iter().flat_map(|&c| band.cells(c)).collect();
            seen.difference(&own).count()
        };
        let middle_curve = &Cell::lease_order()[third..2 * third];
        let strips: Vec<Cell> = (third as u32..2 * third as u32).map(Cell).collect();
        let (curve, strip) = (border(middle_curve), border(&strips));
        assert!(curve * 4 < strip * 3, "curve {curve} vs strips {strip}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_the_globe_once() {
        assert_eq!(Cell::count(), 2_472);
        assert_eq!(Cell::count(), Cell::all().count() as u32);
        for cell in Cell::all() {
            let [s, n, w, e] = cell.bounds();
            let mid = Cell::of(0.5 * (s + n), 0.5 * (w + e)).unwrap();
            assert_eq!(mid, cell, "{cell:?} {s} {n} {w} {e}");
        }
        // The poles are each one cell, whatever the longitude.
        let north: BTreeSet<_> = [-180.0, -3.0, 0.0, 90.0, 180.0]
            .iter()
            .map(|&lon| Cell::of(90.0, lon).unwrap())
            .collect();
        assert_eq!(north.len(), 1);
        assert_eq!(Cell::of(0.0, 180.0), Cell::of(0.0, -180.0));
        assert_eq!(Cell::of(91.0, 0.0), None);
    }

    #[test]
    fn subjects_round_trip() {
        for cell in Cell::all() {
            assert_eq!(Cell::from_subject(&cell.subject()), Some(cell));
        }
        assert_eq!(Cell::from_subject(FAST_SUBJECT), None);
        assert_eq!(Cell::from_subject("positions.99999"), None);
    }

    #[test]
    fn the_default_band_is_within_a_cell() {
        let band = Band::default();
        assert!(
            band.reach_chord_m() < CELL_WIDTH_M,
            "{}",
            band.reach_chord_m()
        );
        // Drift is the straight move plus a small curvature term.
        let l = 350.0 * 60.0;
        assert!(band.drift_m() > l && band.drift_m() < l + 50.0);
    }

    #[test]
    fn a_band_near_a_pole_takes_every_longitude() {
        let band = Band::default();
        let polar = Cell::of(89.0, 10.0).unwrap();
        let cells = band.cells(polar);
        // Every cell of the next row south is included.
        let ring: Vec<_> = Cell::all()
            .filter(|c| c.bounds()[0] == 82.0 && c.bounds()[1] == 86.0)
            .collect();
        assert!(!ring.is_empty());
        assert!(ring.iter().all(|c| cells.contains(c)));
    }

    #[test]
    fn a_band_wraps_the_antimeridian() {
        let band = Band::default();
        let east = Cell::of(10.0, 179.9).unwrap();
        let west = Cell::of(10.0, -179.9).unwrap();
        assert!(band.cells(east).contains(&west));
        assert!(band.cells(west).contains(&east));
    }
}
