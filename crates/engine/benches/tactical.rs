//! One tactical pass (SPEC §10): `detect` at 1,000, 10,000 and 100,000 tracks of realistic
//! traffic (`tactical::generate_traffic`, density of 10,000 tracks over 2,000 × 2,000 km), the
//! same with a `TacticalDetector` kept between passes (as a server ticking every second would),
//! and the exhaustive all-pairs pass at 1,000 and 10,000 for comparison.
//!
//! `cargo bench -p deconflict-engine --bench tactical`

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use deconflict_engine::tactical::{
    detect, detect_exhaustive, generate_traffic, TacticalDetector, TacticalParams,
};

const SEED: u64 = 2030;

fn tactical_pass(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
    let params = TacticalParams::default();
    let mut group = c.benchmark_group("tactical");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for n in [1_000, 10_000, 100_000] {
        let tracks = generate_traffic(n, SEED, now);
        let found = detect(&tracks, now, &params);
        eprintln!("{n} tracks: {} conflicting pairs", found.len());
        group.bench_with_input(BenchmarkId::new("detect", n), &tracks, |b, tracks| {
            b.iter(|| detect(black_box(tracks), now, &params))
        });
        let mut detector = TacticalDetector::default();
        group.bench_with_input(
            BenchmarkId::new("detector_reused", n),
            &tracks,
            |b, tracks| b.iter(|| detector.detect(black_box(tracks), now, &params)),
        );
        if n <= 10_000 {
            assert_eq!(found, detect_exhaustive(&tracks, now, &params));
            group.bench_with_input(BenchmarkId::new("exhaustive", n), &tracks, |b, tracks| {
                b.iter(|| detect_exhaustive(black_box(tracks), now, &params))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, tactical_pass);
criterion_main!(benches);
