//! Footprint validation and distance on the filing path (SPEC §10: filing p99 ≤ 5 ms): plain
//! polygons and circles as most operations file them, and a polygon with a hole and a
//! MultiPolygon of the same size. Run: `cargo bench -p deconflict-geometry --bench distance`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use deconflict_geometry::{geodesic_direct, Footprint, FootprintSpec, Limits};

/// A closed ring of `corners` corners on a geodesic circle of `radius_m` around `centre`.
fn ring(centre: [f64; 2], radius_m: f64, corners: usize) -> Vec<Vec<f64>> {
    let mut ring: Vec<Vec<f64>> = (0..corners)
        .map(|k| geodesic_direct(centre, 360.0 * k as f64 / corners as f64, radius_m).to_vec())
        .collect();
    ring.push(ring[0].clone());
    ring
}

fn polygon(centre: [f64; 2], radius_m: f64, corners: usize) -> FootprintSpec {
    FootprintSpec::Polygon {
        coordinates: vec![ring(centre, radius_m, corners)],
    }
}

fn build(spec: &FootprintSpec) -> Footprint {
    Footprint::from_spec(spec, &Limits::default()).expect("valid")
}

fn benches(c: &mut Criterion) {
    let here = [8.5, 47.4];
    let there = geodesic_direct(here, 60.0, 21_000.0);
    let small = polygon(here, 10_000.0, 24);
    let other = polygon(there, 10_000.0, 24);
    let circle = FootprintSpec::Circle {
        center: there.to_vec(),
        radius_m: 10_000.0,
    };
    let large = polygon(here, 50_000.0, 2_000);
    c.bench_function("validate polygon 24 corners", |b| {
        b.iter(|| build(black_box(&small)))
    });
    c.bench_function("validate polygon 2,000 corners", |b| {
        b.iter(|| build(black_box(&large)))
    });
    let (fa, fb, fc) = (build(&small), build(&other), build(&circle));
    c.bench_function("distance polygon-polygon 24 corners, 1 km apart", |b| {
        b.iter(|| black_box(&fa).distance_m(black_box(&fb)))
    });
    c.bench_function("distance polygon-circle, 1 km apart", |b| {
        b.iter(|| black_box(&fa).distance_m(black_box(&fc)))
    });
    let overlapping = build(&polygon(geodesic_direct(here, 60.0, 5_000.0), 10_000.0, 24));
    c.bench_function("distance polygon-polygon 24 corners, overlapping", |b| {
        b.iter(|| black_box(&fa).distance_m(black_box(&overlapping)))
    });
    c.bench_function("distance to a point, outside", |b| {
        b.iter(|| black_box(&fa).distance_to_point_m(black_box(there)))
    });
    if let Ok(holed) = Footprint::from_spec(
        &FootprintSpec::Polygon {
            coordinates: vec![ring(here, 10_000.0, 24), ring(here, 3_000.0, 12)],
        },
        &Limits::default(),
    ) {
        c.bench_function("distance holed-polygon 24+12 corners, 1 km apart", |b| {
            b.iter(|| black_box(&holed).distance_m(black_box(&fb)))
        });
    }
}

criterion_group!(distance, benches);
criterion_main!(distance);
