//! One tactical pass (SPEC §10) on one core: `detect` at 1,000, 10,000, 100,000 and 1,000,000
//! tracks, the same with a `TacticalDetector` kept between passes (as a server ticking every
//! second would), the same with the `GridDetector` it replaced (`grid_reused`: the baseline,
//! measured in the same run), and the exhaustive all-pairs pass where it finishes (1,000 to
//! 10,000), on two
//! traffic shapes (`tactical::traffic`): `levels` (the default: uniform density, 60 % on flight
//! levels, 40 % climbing or descending anywhere from 0 to 12,500 m, the shape of the independent
//! traffic of issue 20) and `airways` (cities, airways, terminal areas: easier for the detector).
//! Beside them, in the same process, `space_time_reused`: the space-time index of issue 20
//! (`SpaceTimeDetector`: the look-ahead in slices, cells of ground times altitude bands). Every
//! answer is checked against the exhaustive pass where that finishes, and the two fast passes
//! against each other everywhere. The working memory printed is each reused detector's buffers
//! (their capacity in bytes, `working_bytes`) after one pass, divided by the number of tracks.
//!
//! `cargo bench -p deconflict-engine --bench tactical` (all), or a filter such as
//! `-- 'tactical/levels/detect/10000'`. `DECONFLICT_BENCH_MAX_TRACKS=100000` leaves out the
//! million-track pass (it takes about a minute to set up and measure).

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use deconflict_engine::tactical::{
    detect, detect_exhaustive, generate, GridDetector, SpaceTimeDetector, TacticalDetector,
    TacticalParams, TrafficShape,
};

const SEED: u64 = 2030;

fn tactical_pass(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
    let params = TacticalParams::default();
    let max_tracks: usize = std::env::var("DECONFLICT_BENCH_MAX_TRACKS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    for (name, shape) in [
        ("levels", TrafficShape::LevelsAndClimbers),
        ("airways", TrafficShape::Airways),
    ] {
        let mut group = c.benchmark_group(format!("tactical/{name}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));
        for n in [1_000, 5_000, 10_000, 100_000, 1_000_000] {
            if n > max_tracks {
                continue;
            }
            let tracks = generate(shape, n, SEED, now);
            let found = detect(&tracks, now, &params);
            let mut detector = TacticalDetector::default();
            detector.detect(&tracks, now, &params);
            let mut grid = GridDetector::default();
            assert_eq!(found, grid.detect(&tracks, now, &params));
            let mut space_time = SpaceTimeDetector::default();
            assert_eq!(found, space_time.detect(&tracks, now, &params));
            eprintln!(
                "{name}, {n} tracks: {} conflicting pairs; working memory {:.0} bytes per track \
                 (grid before it {:.0}, space-time index {:.0})",
                found.len(),
                detector.working_bytes() as f64 / n as f64,
                grid.working_bytes() as f64 / n as f64,
                space_time.working_bytes() as f64 / n as f64,
            );
            if n <= 10_000 {
                assert_eq!(found, detect_exhaustive(&tracks, now, &params));
                group.bench_with_input(BenchmarkId::new("exhaustive", n), &tracks, |b, tracks| {
                    b.iter(|| detect_exhaustive(black_box(tracks), now, &params))
                });
            }
            if n == 5_000 {
                continue;
            }
            group.bench_with_input(BenchmarkId::new("detect", n), &tracks, |b, tracks| {
                b.iter(|| detect(black_box(tracks), now, &params))
            });
            group.bench_with_input(
                BenchmarkId::new("detector_reused", n),
                &tracks,
                |b, tracks| b.iter(|| detector.detect(black_box(tracks), now, &params)),
            );
            group.bench_with_input(BenchmarkId::new("grid_reused", n), &tracks, |b, tracks| {
                b.iter(|| grid.detect(black_box(tracks), now, &params))
            });
            group.bench_with_input(
                BenchmarkId::new("space_time_reused", n),
                &tracks,
                |b, tracks| b.iter(|| space_time.detect(black_box(tracks), now, &params)),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, tactical_pass);
criterion_main!(benches);
