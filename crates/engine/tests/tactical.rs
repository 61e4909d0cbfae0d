//! Tactical detection through the engine's public interface: the fast pass (and the space-time
//! index of issue 20 beside it) equals the exhaustive one on random clustered
//! traffic (antimeridian, poles, closure rates up to 10,000 m/s, climbers, stale reports), and
//! the rule's figures and boundaries are those of SPEC §5.2.

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::tactical::{
    detect, detect_exhaustive, generate_traffic, pair_conflict, SpaceTimeDetector,
    TacticalDetector, TacticalParams, TrackState, MAX_GROUND_SPEED_MPS,
};
use deconflict_engine::{PartyId, Severity};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const FOOT_M: f64 = 0.3048;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
}

fn track(owner: &str, lon_deg: f64, lat_deg: f64, altitude_m: f64) -> TrackState {
    TrackState {
        owner: PartyId::from(owner),
        track_id: format!("{owner}-{lon_deg}-{lat_deg}"),
        time: now(),
        lat_deg,
        lon_deg,
        altitude_m,
        ground_speed_mps: 0.0,
        track_deg: 0.0,
        vertical_rate_mps: 0.0,
    }
}

fn moving(mut t: TrackState, track_deg: f64, ground_speed_mps: f64) -> TrackState {
    t.track_deg = track_deg;
    t.ground_speed_mps = ground_speed_mps;
    t
}

/// `[lon, lat]` of the point `distance_m` from `(lon, lat)` at `azimuth_deg` (GeographicLib).
fn offset(lon: f64, lat: f64, azimuth_deg: f64, distance_m: f64) -> (f64, f64) {
    let (lat2, lon2): (f64, f64) = Geodesic::wgs84().direct(lat, lon, azimuth_deg, distance_m);
    (lon2, lat2)
}

fn conflict(
    a: &TrackState,
    b: &TrackState,
) -> Option<deconflict_engine::tactical::TacticalConflictFigures> {
    pair_conflict(a, b, now(), &TacticalParams::default())
}

#[test]
fn adjacent_flight_levels_exactly_1000_ft_apart_are_separated_and_999_ft_are_not() {
    let fl = |level: f64| level * 100.0 * FOOT_M;
    let a = moving(track("p", 5.0, 45.0, fl(350.0)), 90.0, 240.0);
    let b = moving(track("q", 5.0, 45.0, fl(360.0)), 270.0, 240.0);
    assert_eq!(conflict(&a, &b), None);
    assert!(detect(&[a.clone(), b.clone()], now(), &TacticalParams::default()).is_empty());

    let c = moving(
        track("q", 5.0, 45.0, fl(350.0) + 999.0 * FOOT_M),
        270.0,
        240.0,
    );
    let found = conflict(&a, &c).expect("999 ft apart at the same point is a loss of separation");
    assert!(found.los_now);
    assert_eq!(found.severity, Severity::Warning);
    assert_eq!(detect(&[a, c], now(), &TacticalParams::default()).len(), 1);
}

#[test]
fn level_pairs_at_or_beyond_the_vertical_minimum_never_conflict() {
    let base = 10_000.0;
    for dz in [304.8, 304.79, 400.0, -304.8, 5_000.0] {
        let a = moving(track("p", 0.0, 0.0, base), 90.0, 250.0);
        let b = moving(track("q", 0.0, 0.0, base + dz), 270.0, 250.0);
        assert_eq!(conflict(&a, &b), None, "dz = {dz}");
    }
    let b = moving(track("q", 0.0, 0.0, base + 304.78), 270.0, 250.0);
    assert!(conflict(&track("p", 0.0, 0.0, base), &b).is_some());
}

#[test]
fn head_on_at_known_closure_gives_the_expected_times() {
    let distance_m = 60_000.0;
    let (lon, lat) = offset(0.0, 0.0, 90.0, distance_m);
    let a = moving(track("p", 0.0, 0.0, 10_000.0), 90.0, 250.0);
    let b = moving(track("q", lon, lat, 10_000.0), 270.0, 250.0);
    let found = conflict(&a, &b).unwrap();
    let h = 9_260.0 - 0.01;
    assert!(!found.los_now);
    assert!(
        (found.t_los_s - (distance_m - h) / 500.0).abs() < 0.01,
        "{found:?}"
    );
    assert!(
        (found.t_out_s - (distance_m + h) / 500.0).abs() < 0.01,
        "{found:?}"
    );
    assert!(
        (found.t_cpa_s - distance_m / 500.0).abs() < 0.01,
        "{found:?}"
    );
    assert!(found.d_cpa_m < 1.0, "{found:?}");
    assert!((found.horizontal_distance_now_m - distance_m).abs() < 1.0);
    assert_eq!(found.severity, Severity::Caution);
}

#[test]
fn head_on_across_the_pole_and_the_antimeridian_closes_at_the_sum_of_speeds() {
    // Both fly "north", towards each other over the pole; then east and west across ±180°.
    for (a, b) in [
        (
            moving(track("p", 0.0, 89.5, 9_000.0), 0.0, 250.0),
            moving(track("q", 180.0, 89.5, 9_000.0), 0.0, 250.0),
        ),
        (
            moving(track("p", 179.8, 10.0, 9_000.0), 90.0, 250.0),
            moving(track("q", -179.8, 10.0, 9_000.0), 270.0, 250.0),
        ),
    ] {
        let geodesic_m: f64 = Geodesic::wgs84().inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg);
        let found = conflict(&a, &b).unwrap();
        assert!(
            (found.t_cpa_s - geodesic_m / 500.0).abs() < 0.005 * found.t_cpa_s,
            "{found:?}"
        );
        assert!(found.d_cpa_m < 0.005 * geodesic_m, "{found:?}");
    }
}

#[test]
fn parallel_tracks_at_the_same_speed_never_converge() {
    for lat in [0.0, 45.0, -60.0, 84.0] {
        let (lon, lat2) = offset(20.0, lat, 0.0, 9_300.0);
        let a = moving(track("p", 20.0, lat, 10_000.0), 90.0, 230.0);
        let b = moving(track("q", lon, lat2, 10_000.0), 90.0, 230.0);
        assert_eq!(conflict(&a, &b), None, "lat {lat}");
        // In trail, 10 km apart on the same course.
        let (lon3, lat3) = offset(20.0, lat, 90.0, 10_000.0);
        let c = moving(track("q", lon3, lat3, 10_000.0), 90.0, 230.0);
        assert_eq!(conflict(&a, &c), None, "lat {lat}");
    }
}

#[test]
fn loss_of_separation_now_starts_at_zero_and_is_a_warning() {
    let (lon, lat) = offset(0.0, 50.0, 45.0, 5_000.0);
    let found = conflict(
        &track("p", 0.0, 50.0, 1_000.0),
        &track("q", lon, lat, 1_100.0),
    )
    .unwrap();
    assert!(found.los_now);
    assert_eq!(
        (found.t_los_s, found.t_out_s, found.t_cpa_s),
        (0.0, 300.0, 0.0)
    );
    assert!((found.horizontal_distance_now_m - 5_000.0).abs() < 0.5);
    assert_eq!(found.vertical_offset_now_m, -100.0);
    assert_eq!(found.severity, Severity::Warning);
}

#[test]
fn same_owner_and_exactly_at_the_horizontal_minimum_are_no_conflict() {
    let a = track("p", 0.0, 0.0, 1_000.0);
    assert_eq!(conflict(&a, &track("p", 0.0, 0.0, 1_000.0)), None);
    // The rule measures the chord, 0.8 mm shorter than the geodesic at 9,260 m: well inside the
    // 1 cm allowance, so a pair exactly at the minimum by the geodesic is separated.
    for azimuth in [0.0, 45.0, 90.0] {
        let (lon, lat) = offset(0.0, 0.0, azimuth, 9_260.0);
        assert_eq!(conflict(&a, &track("q", lon, lat, 1_000.0)), None);
        let (lon, lat) = offset(0.0, 0.0, azimuth, 9_259.98);
        assert!(
            conflict(&a, &track("q", lon, lat, 1_000.0))
                .unwrap()
                .los_now
        );
    }
}

#[test]
fn severity_thresholds_are_strict() {
    let (lon, lat) = offset(0.0, 0.0, 90.0, 100_000.0);
    let a = moving(track("p", 0.0, 0.0, 10_000.0), 90.0, 200.0);
    let b = moving(track("q", lon, lat, 10_000.0), 270.0, 200.0);
    let t_los = conflict(&a, &b).unwrap().t_los_s;
    let just_above = f64::from_bits(t_los.to_bits() + 1);
    let with = |warning_s: f64, caution_s: f64| {
        let params = TacticalParams {
            warning_s,
            caution_s,
            ..TacticalParams::default()
        };
        pair_conflict(&a, &b, now(), &params).unwrap().severity
    };
    assert_eq!(with(just_above, 1_000.0), Severity::Warning);
    assert_eq!(with(t_los, 1_000.0), Severity::Caution);
    assert_eq!(with(0.0, just_above), Severity::Caution);
    assert_eq!(with(0.0, t_los), Severity::Advisory);
}

#[test]
fn a_stale_report_is_extrapolated_to_now() {
    // 20 s old at 250 m/s: 5 km further on, so 10 km becomes 5 km and separation is lost now.
    let (lon, lat) = offset(0.0, 40.0, 90.0, 10_000.0);
    let mut a = moving(track("p", 0.0, 40.0, 3_000.0), 90.0, 250.0);
    a.time = now() - Duration::seconds(20);
    let found = conflict(&a, &track("q", lon, lat, 3_000.0)).unwrap();
    assert!(found.los_now);
    assert!(
        (found.horizontal_distance_now_m - 5_000.0).abs() < 1.0,
        "{found:?}"
    );
}

#[test]
fn a_contact_of_zero_length_at_the_start_of_the_lookahead_is_no_conflict() {
    // Same point, exactly V − 1 cm apart: separated now (the minimum is met at equality).
    let params = TacticalParams::default();
    let edge_m = params.separation_vertical_m - 0.01;
    let below = track("p", 3.0, 3.0, 0.0);
    let mut above = track("q", 3.0, 3.0, edge_m);
    assert_eq!(conflict(&below, &above), None);
    // Climbing away: the vertical interval ends exactly at t = 0, so nothing is left of it.
    above.vertical_rate_mps = 1.0;
    assert_eq!(conflict(&below, &above), None);
    // Descending towards: separation is lost from t = 0 on, though not "now".
    above.vertical_rate_mps = -10.0;
    let found = conflict(&below, &above).unwrap();
    assert!(!found.los_now);
    assert_eq!((found.t_los_s, found.t_out_s), (0.0, 2.0 * edge_m / 10.0));
    // A look-ahead of zero keeps only "now", and now they are separated.
    let instant = TacticalParams {
        lookahead_s: 0.0,
        ..params
    };
    assert_eq!(pair_conflict(&below, &above, now(), &instant), None);
}

#[test]
fn realistic_traffic_gives_the_same_result_fast_and_exhaustive() {
    let params = TacticalParams::default();
    for seed in 0..3 {
        let tracks = generate_traffic(3_000, seed, now());
        let fast = detect(&tracks, now(), &params);
        assert!(fast.len() > 10, "{}", fast.len());
        assert_eq!(fast, detect_exhaustive(&tracks, now(), &params));
    }
}

#[test]
fn mixed_speeds_and_a_dense_cluster_give_the_same_result_fast_and_exhaustive() {
    // Realistic traffic, plus 300 tracks of up to 5,000 m/s and 300 in one 10 km cluster.
    let mut tracks = generate_traffic(1_500, 9, now());
    let seeds = generate_traffic(600, 10, now());
    for (i, mut t) in seeds.into_iter().enumerate() {
        if i < 300 {
            t.ground_speed_mps = 1_000.0 * (i % 6) as f64;
        } else {
            let (lon, lat) = offset(10.0, 50.0, i as f64 * 7.3, (i % 50) as f64 * 200.0);
            (t.lon_deg, t.lat_deg) = (lon, lat);
        }
        tracks.push(t);
    }
    let params = TacticalParams::default();
    let fast = detect(&tracks, now(), &params);
    assert!(fast.len() > 100, "{}", fast.len());
    assert_eq!(fast, detect_exhaustive(&tracks, now(), &params));
}

// ---- random clustered scenes -------------------------------------------------------------

/// One random scene: tracks clustered around a centre so that many pairs sit near the minima.
#[derive(Debug, Clone)]
struct Scene {
    tracks: Vec<TrackState>,
    params: TacticalParams,
}

/// Centre: mid-latitudes, across the antimeridian, near either pole, or on it.
fn centre() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        4 => (-180.0..180.0, -60.0..60.0),
        4 => (Just(180.0), -70.0..70.0),
        2 => (-180.0..180.0, 85.0..89.0),
        2 => (-180.0..180.0, -89.0..-85.0),
        1 => (-180.0..180.0, prop_oneof![Just(90.0), Just(-90.0)]),
    ]
}

fn params() -> impl Strategy<Value = TacticalParams> {
    prop_oneof![
        3 => Just(TacticalParams::default()),
        1 => (500.0..20_000.0, 30.0..600.0, prop_oneof![Just(0.0), 1.0..900.0]).prop_map(
            |(h, v, lookahead)| TacticalParams {
                separation_horizontal_m: h,
                separation_vertical_m: v,
                lookahead_s: lookahead,
                ..TacticalParams::default()
            }
        ),
    ]
}

/// Per track: (azimuth, distance fraction, partner offset and head-on?), (level, jitter, speed,
/// heading inward?, heading), (vertical rate, age, owner).
type Draw = (
    (f64, f64, Option<(f64, usize, bool)>),
    (u8, usize, f64, bool, f64),
    (f64, f64, u8),
);

fn draw() -> impl Strategy<Value = Draw> {
    // Up to the plausibility limit: head-on pairs close at up to 10,000 m/s.
    let speed = prop_oneof![
        2 => Just(0.0),
        2 => Just(250.0),
        4 => 30.0..300.0,
        2 => 300.0..1_000.0,
        1 => 1_000.0..MAX_GROUND_SPEED_MPS,
        1 => Just(MAX_GROUND_SPEED_MPS),
    ];
    let rate = prop_oneof![3 => Just(0.0), 1 => -20.0..20.0, 1 => -60.0..60.0];
    let age = prop_oneof![Just(0.0), 0.0..30.0];
    (
        (
            0.0..360.0,
            0.0..1.0,
            proptest::option::weighted(0.3, (0.0..360.0, 0..6usize, any::<bool>())),
        ),
        (0..3u8, 0..10usize, speed, any::<bool>(), 0.0..360.0),
        (rate, age, 0..4u8),
    )
}

fn scene() -> impl Strategy<Value = Scene> {
    (
        centre(),
        prop_oneof![
            Just(3_000.0),
            Just(15_000.0),
            Just(60_000.0),
            Just(200_000.0)
        ],
        2..=4u8,
        params(),
        proptest::collection::vec(draw(), 2..60),
    )
        .prop_map(|((lon, lat), spread_m, owners, params, draws)| {
            let jitters = [
                0.0, 0.0, 0.0, 0.005, -0.005, 0.01, -0.01, 1.0, -150.0, 150.0,
            ];
            let near_minimum = [-1.0, -0.005, 0.0, 0.005, 0.01, 1.0];
            let mut tracks: Vec<TrackState> = Vec::new();
            for (i, ((azimuth, fraction, partner), motion, (rate, age, owner))) in
                draws.into_iter().enumerate()
            {
                let (level, jitter, speed, inward, heading) = motion;
                let mut t = match (partner, tracks.last()) {
                    // Exactly about the horizontal minimum from the previous track, same motion.
                    // or head-on towards it at the same speed (twice the closure rate).
                    (Some((az, k, head_on)), Some(previous)) => {
                        let mut t = previous.clone();
                        let distance = params.separation_horizontal_m + near_minimum[k];
                        (t.lon_deg, t.lat_deg) = offset(t.lon_deg, t.lat_deg, az, distance);
                        if head_on {
                            t.track_deg = (t.track_deg + 180.0).rem_euclid(360.0);
                            t.vertical_rate_mps = -t.vertical_rate_mps;
                        }
                        t
                    }
                    _ => {
                        let (lon2, lat2) = offset(lon, lat, azimuth, spread_m * fraction);
                        let mut t = track("", lon2, lat2, 0.0);
                        t.altitude_m = 9_000.0
                            + f64::from(level) * params.separation_vertical_m
                            + jitters[jitter];
                        t.ground_speed_mps = speed;
                        t.track_deg = if inward { azimuth + 180.0 } else { heading };
                        t.vertical_rate_mps = rate;
                        t.time = now() - Duration::microseconds((age * 1e6) as i64);
                        t
                    }
                };
                t.owner = PartyId(format!("party-{}", owner % owners));
                t.track_id = format!("T{i}");
                tracks.push(t);
            }
            Scene { tracks, params }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Each case runs both fast passes, each through a detector whose buffers hold another pass
    /// (the same scene reversed), as a server's does.
    #[test]
    fn fast_pass_equals_exhaustive_pass_on_random_clustered_scenes(scene in scene()) {
        let exhaustive = detect_exhaustive(&scene.tracks, now(), &scene.params);
        let reversed: Vec<TrackState> = scene.tracks.iter().rev().cloned().collect();
        let mut detector = TacticalDetector::default();
        detector.detect(&reversed, now(), &scene.params);
        prop_assert_eq!(&detector.detect(&scene.tracks, now(), &scene.params), &exhaustive);
        let mut space_time = SpaceTimeDetector::default();
        space_time.detect(&reversed, now(), &scene.params);
        prop_assert_eq!(space_time.detect(&scene.tracks, now(), &scene.params), exhaustive);
    }
}

/// The scenes above are worth testing on: most of them hold a conflict, and conflicts include
/// pairs closing faster than 2,000 m/s, pairs near a pole and pairs across the antimeridian.
#[test]
fn random_scenes_mostly_hold_conflicts() {
    let mut runner = TestRunner::deterministic();
    let strategy = scene();
    let (mut with_conflicts, mut pairs, cases) = (0, 0, 2_000);
    let (mut fast_closing, mut polar, mut antimeridian) = (0, 0, 0);
    for _ in 0..cases {
        let scene = strategy.new_tree(&mut runner).unwrap().current();
        let found = detect_exhaustive(&scene.tracks, now(), &scene.params);
        with_conflicts += usize::from(!found.is_empty());
        pairs += found.len();
        for c in &found {
            let (a, b) = (&scene.tracks[c.a], &scene.tracks[c.b]);
            let closing = (c.horizontal_distance_now_m - c.d_cpa_m) / c.t_cpa_s.max(1e-9);
            fast_closing += usize::from(c.t_cpa_s > 0.0 && closing > 2_000.0);
            polar += usize::from(a.lat_deg.abs() > 85.0 && b.lat_deg.abs() > 85.0);
            antimeridian += usize::from(a.lon_deg * b.lon_deg < 0.0 && a.lon_deg.abs() > 179.0);
        }
    }
    println!(
        "{with_conflicts} of {cases} scenes hold a conflict ({pairs} conflicting pairs; \
         {fast_closing} closing faster than 2,000 m/s, {polar} near a pole, {antimeridian} across \
         the antimeridian)"
    );
    assert!(with_conflicts * 2 > cases, "{with_conflicts} of {cases}");
    assert!(fast_closing > 50 && polar > 200 && antimeridian > 50);
}
