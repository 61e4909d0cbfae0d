//! Detection sharded by region (issue 21): the tactical pass at 100,000 tracks of the benchmark
//! traffic (`tactical::traffic`, `levels`: SPEC §10's shape) on one node, and on each shard of
//! 2 and 3 nodes holding the cells as their leases deal them (`store::PgLeases`: runs of the
//! cell numbering, lowest first, each node taking cells until it holds its share of the
//! weight, a cell weighing its live tracks plus one). A cluster's pass takes as long as its slowest shard; each shard
//! runs on its own machine. Each shard's input is what it receives (its cells' bands and the
//! fast tracks), and the union of what the shards decide is checked equal to the single pass
//! before anything is timed. Printed beside: tracks each shard receives and decides for.
//!
//! `cargo bench -p deconflict-engine --bench shard` (`DECONFLICT_BENCH_TRACKS` to change the
//! 100,000).

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use deconflict_engine::shard::{Band, Cell, Shard};
use deconflict_engine::tactical::{generate, TacticalDetector, TacticalParams, TrafficShape};

const SEED: u64 = 2030;

fn sharded_pass(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
    let params = TacticalParams::default();
    let n: usize = std::env::var("DECONFLICT_BENCH_TRACKS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let tracks = generate(TrafficShape::LevelsAndClimbers, n, SEED, now);
    let mut single = TacticalDetector::default();
    let whole = single.detect(&tracks, now, &params);
    let pair_ids = |t: &[deconflict_engine::tactical::TrackState], a: usize, b: usize| {
        (t[a].track_id.clone(), t[b].track_id.clone())
    };
    let mut expected: Vec<_> = whole.iter().map(|c| pair_ids(&tracks, c.a, c.b)).collect();
    expected.sort();

    let mut group = c.benchmark_group(format!("shard/levels/{n}"));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("single", |b| {
        b.iter(|| single.detect(black_box(&tracks), now, &params))
    });
    let mut weights = vec![1u64; Cell::count() as usize];
    for t in &tracks {
        weights[Cell::of(t.motion.lat_deg, t.motion.lon_deg).unwrap().0 as usize] += 1;
    }
    for nodes in [2u64, 3] {
        let share = weights.iter().sum::<u64>().div_ceil(nodes);
        let mut union = Vec::new();
        let mut next = 0u32;
        for k in 0..nodes {
            let mut cells = Vec::new();
            let mut held = 0;
            while next < Cell::count() && (held < share || k == nodes - 1) {
                held += weights[next as usize];
                cells.push(Cell(next));
                next += 1;
            }
            let shard = Shard::new(Band::default(), cells);
            let received: Vec<_> = tracks
                .iter()
                .filter(|t| shard.receives(t))
                .cloned()
                .collect();
            let owned = received.iter().filter(|t| shard.owns(t)).count();
            let mut detector = TacticalDetector::default();
            let found = detector.detect(&received, now, &params);
            let decided: Vec<_> = found
                .iter()
                .filter(|c| shard.decides(&received[c.a], &received[c.b]))
                .map(|c| pair_ids(&received, c.a, c.b))
                .collect();
            eprintln!(
                "{nodes} nodes, shard {k}: {} cells, receives {} tracks, owns {owned}, decides {} of {} pairs",
                shard.owned().len(),
                received.len(),
                decided.len(),
                expected.len()
            );
            union.extend(decided);
            group.bench_with_input(
                BenchmarkId::new(format!("{nodes}-nodes"), k),
                &received,
                |b, received| b.iter(|| detector.detect(black_box(received), now, &params)),
            );
        }
        union.sort();
        assert_eq!(union, expected, "{nodes} shards decide what one node does");
    }
    group.finish();
}

criterion_group!(benches, sharded_pass);
criterion_main!(benches);
