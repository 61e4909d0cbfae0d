//! Altitude-band and time-window gaps.

use chrono::{DateTime, Duration, Utc};
use deconflict_geometry::{interval_gap, time_gap_s, ALLOWANCE_M};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn interval_gap_is_zero_when_bands_overlap_or_touch() {
    assert_eq!(interval_gap(0.0, 100.0, 50.0, 150.0), 0.0);
    assert_eq!(interval_gap(0.0, 100.0, 100.0, 150.0), 0.0);
    assert_eq!(interval_gap(0.0, 100.0, 20.0, 30.0), 0.0);
}

#[test]
fn interval_gap_is_the_distance_between_separate_bands_either_way() {
    assert_eq!(interval_gap(0.0, 100.0, 130.0, 150.0), 30.0);
    assert_eq!(interval_gap(130.0, 150.0, 0.0, 100.0), 30.0);
}

#[test]
fn adjacent_flight_levels_are_separated_with_the_allowance() {
    // FL100 and FL110 as filed in metres: 1,000 ft apart, whatever the rounding.
    let ft = 0.3048;
    let gap = interval_gap(0.0, 10_000.0 * ft, 11_000.0 * ft, 12_000.0 * ft);
    let vertical_m = 1_000.0 * ft;
    assert!(gap >= vertical_m - ALLOWANCE_M, "{gap}");
    assert_eq!(ALLOWANCE_M, 0.01);
}

#[test]
fn time_gap_of_half_open_windows() {
    let (a0, a1) = (t("2025-06-01T10:00:00Z"), t("2025-06-01T11:00:00Z"));
    // Overlapping.
    assert_eq!(
        time_gap_s(a0, a1, t("2025-06-01T10:30:00Z"), t("2025-06-01T12:00:00Z")),
        0.0
    );
    // One starts when the other ends: no overlap, no gap.
    assert_eq!(time_gap_s(a0, a1, a1, t("2025-06-01T12:00:00Z")), 0.0);
    // A gap either way, with sub-second precision.
    let b0 = a1 + Duration::milliseconds(90_250);
    assert_eq!(time_gap_s(a0, a1, b0, b0 + Duration::hours(1)), 90.25);
    assert_eq!(time_gap_s(b0, b0 + Duration::hours(1), a0, a1), 90.25);
    assert_eq!(
        time_gap_s(
            a0,
            a1,
            a1 + Duration::nanoseconds(1),
            a1 + Duration::hours(1)
        ),
        1e-9
    );
}

#[test]
fn time_gap_over_years_keeps_its_precision() {
    let a0 = t("2000-01-01T00:00:00Z");
    let b0 = t("2400-01-01T00:00:00.5Z");
    let gap = time_gap_s(a0, a0 + Duration::hours(1), b0, b0 + Duration::hours(1));
    let want = (b0 - a0).num_seconds() as f64 + 0.5 - 3600.0;
    assert_eq!(gap, want);
}
