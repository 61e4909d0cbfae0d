//! What the fuzz targets share: the invariants each parser's output must keep, checked by
//! panicking (libFuzzer records a panic as a crash with its input).
//!
//! A target feeds arbitrary bytes to one parser through its public entry points, then checks
//! what came out: every report a feed parser returns passes its own validation; a footprint
//! that validates has distances that are finite, non-negative, symmetric and zero to itself;
//! every zone an importer returns goes through the validation publishing runs. Errors are fine;
//! panics, hangs and invariant breaks are not.

pub mod shapes;

use chrono::{DateTime, TimeZone, Utc};
use deconflict_feeds::{read_reports, TrackReport};
use deconflict_geometry::{Footprint, FootprintSpec, Limits, Volume4d, Volume4dSpec};
use std::time::Instant;

/// The receipt time live feeds pass for lines without a usable date (fixed, so runs repeat).
pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

/// A report a parser returned must pass the checks the parser promises to have run.
pub fn check_report(report: &TrackReport) {
    if let Err(error) = report.validate() {
        panic!("a parser returned a report that fails validation ({error}): {report:?}");
    }
}

/// The whole-file path (`read_reports`: line reader, format sniffing, the sniffed parser) over
/// `data`, with the file path's invariants: every report valid, never more reports than lines.
pub fn check_whole_file(data: &[u8]) {
    if let Ok((reports, stats)) = read_reports(data) {
        for report in &reports {
            check_report(report);
        }
        assert!(
            reports.len() as u64 <= stats.lines,
            "{} reports from {} lines",
            reports.len(),
            stats.lines
        );
    }
}

/// The largest horizontal separation an agreement may set (`AgreementParams::check`).
const SEPARATION_HORIZONTAL_MAX_M: f64 = 1_000_000.0;

/// Validates each spec as filing does and checks the distance invariants on every pair of
/// valid footprints (each with itself included).
///
/// With `FUZZ_SHOW` set in the environment, prints each spec as filed (JSON) and how long each
/// step took: for turning a crash or a slow unit into a test next to the geometry code.
pub fn check_footprints(specs: &[FootprintSpec], limits: &Limits) {
    let show = std::env::var_os("FUZZ_SHOW").is_some();
    let mut valid = Vec::new();
    for spec in specs {
        let start = Instant::now();
        let footprint = Footprint::from_spec(spec, limits);
        if show {
            let json = serde_json::to_string(spec).unwrap_or_default();
            let error = footprint.as_ref().err();
            eprintln!("{json}\n  validation: {error:?} in {:?}", start.elapsed());
        }
        valid.extend(footprint.ok());
    }
    for (i, a) in valid.iter().enumerate() {
        check_own_corners(a);
        for b in &valid[i..] {
            let start = Instant::now();
            check_pair(a, b);
            if show {
                eprintln!(
                    "  pair {i}: {} m, checked in {:?}",
                    a.distance_m(b),
                    start.elapsed()
                );
            }
        }
    }
}

/// Validates volumes (footprint, altitudes, window) and checks their footprints as above.
pub fn check_volumes(specs: &[Volume4dSpec], limits: &Limits) {
    let footprints: Vec<FootprintSpec> = specs
        .iter()
        .filter_map(|spec| Volume4d::from_spec(spec, limits).ok())
        .map(|volume| volume.footprint().spec().clone())
        .collect();
    check_footprints(&footprints, limits);
}

/// The distance between two valid footprints: finite, non-negative, symmetric (exactly, as
/// `Footprint::distance_m` promises), zero from a footprint to itself; and the conflict
/// region exists when the separation is above the distance, not when it is at or below.
fn check_pair(a: &Footprint, b: &Footprint) {
    let ab = a.distance_m(b);
    let ba = b.distance_m(a);
    assert!(
        ab.is_finite() && ab >= 0.0,
        "distance {ab} between {a:?} and {b:?}"
    );
    assert!(
        ab.to_bits() == ba.to_bits(),
        "distance not symmetric: {ab} one way, {ba} the other, between {:?} and {:?}",
        a.spec(),
        b.spec()
    );
    if std::ptr::eq(a, b) {
        assert!(
            ab == 0.0,
            "distance {ab} from a footprint to itself: {:?}",
            a.spec()
        );
    }
    // Agreements allow horizontal separations up to 1,000 km; beyond that a conflict region
    // is never asked for (and a continental buffer takes seconds).
    let separation_m = ab + 10.0;
    if separation_m <= SEPARATION_HORIZONTAL_MAX_M {
        assert!(
            a.conflict_region(b, separation_m).is_some(),
            "no conflict region at separation {separation_m} m though the distance is {ab} m: {:?} and {:?}",
            a.spec(),
            b.spec()
        );
    }
    if ab > 0.0 && ab <= SEPARATION_HORIZONTAL_MAX_M {
        assert!(
            a.conflict_region(b, ab).is_none(),
            "a conflict region at separation {ab} m, the distance itself: {:?} and {:?}",
            a.spec(),
            b.spec()
        );
    }
}

/// A footprint's own corners (or centre) are in it: distance 0 within the 1 cm by which
/// validation may move its boundary.
fn check_own_corners(footprint: &Footprint) {
    let corners: Vec<[f64; 2]> = match footprint.spec() {
        FootprintSpec::Point { coordinates } => vec![[coordinates[0], coordinates[1]]],
        FootprintSpec::Circle { center, .. } => vec![[center[0], center[1]]],
        spec => spec
            .polygons()
            .iter()
            .flat_map(|rings| rings.iter().flatten())
            .map(|position| [position[0], position[1]])
            .collect(),
    };
    for corner in corners {
        let distance_m = footprint.distance_to_point_m(corner);
        assert!(
            distance_m.is_finite() && distance_m <= 0.02,
            "corner {corner:?} is {distance_m} m from its own footprint {:?}",
            footprint.spec()
        );
    }
}

/// A zone importer's signature (`ed269::parse`, `ed318::parse`).
pub type ZoneParser = fn(
    &serde_json::Value,
    &deconflict_engine::heights::Heights<'_>,
) -> Result<
    Vec<(String, deconflict_engine::zone::ZoneSpec)>,
    deconflict_engine::ed269::Refusals,
>;

/// Parses `data` as a zone document with `parse`, as the server's import does (EGM96, no
/// terrain, default limits), then validates every zone it returns as publishing does
/// (`ZoneSpec::validate`). A refusal there is an answer (the importer leaves geometry to
/// publishing, which refuses the import with the zone named); only a panic is a failure.
pub fn check_zones(data: &[u8], parse: ZoneParser) {
    static GEOID: std::sync::OnceLock<deconflict_geometry::geoid::Geoid> =
        std::sync::OnceLock::new();
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let limits = Limits::default();
    let heights = deconflict_engine::heights::Heights {
        geoid: GEOID.get_or_init(deconflict_geometry::geoid::Geoid::new),
        terrain: None,
        limits,
    };
    if let Ok(zones) = parse(&document, &heights) {
        for (_, zone) in zones {
            let _ = zone.validate(&limits);
        }
    }
}
