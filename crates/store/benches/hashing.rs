//! Cost of hashing one position batch event of 10,000 reports: the salted, redactable content
//! digest of chain v2 against v1's SHA-256 over the whole canonical payload text.
//!
//! Run: `cargo bench -p deconflict-store --bench hashing`. Divide by 10,000 for the cost per
//! report; the budget is about 1 µs per report.

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deconflict_store::{canonical_json, content_digest, event_hash, Salt, GENESIS_HASH};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const REPORTS: usize = 10_000;

/// A batch shaped like the server's: ten scalars per report.
fn position_batch() -> Value {
    let reports: Vec<Value> = (0..REPORTS)
        .map(|i| {
            let i = i as f64;
            json!([
                format!("trk-{}", i as u64 % 500),
                "2025-03-01T12:00:00.250000Z",
                52.123456 + i * 1e-6,
                4.654321 - i * 1e-6,
                1200.5 + i,
                250.25,
                90.5,
                -2.5,
                "7421",
                "adsb"
            ])
        })
        .collect();
    json!({ "owner": "party-a", "digest": "ab".repeat(32), "reports": reports })
}

/// v1's event hash: SHA-256 over length-prefixed columns, the payload as canonical text.
fn v1_hash(time: &str, actor: &str, kind: &str, payload: &str) -> String {
    let mut hasher = Sha256::new();
    let mut field = |text: &str| {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    field("deconflict-event-v1");
    for text in [time, actor, kind, payload, GENESIS_HASH] {
        field(text);
    }
    hex::encode(hasher.finalize())
}

fn hashing(c: &mut Criterion) {
    let payload = position_batch();
    let payload_text = canonical_json(&payload);
    let time = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let salt = Salt::from_bytes([7; 32]);
    let mut group = c.benchmark_group("position_batch_10k");
    group.throughput(Throughput::Elements(REPORTS as u64));
    group.sample_size(20);
    group.bench_function("v1_sha256_payload_text", |b| {
        b.iter(|| {
            v1_hash(
                "2025-03-01T12:00:00.000000Z",
                "a",
                "positions",
                &payload_text,
            )
        })
    });
    group.bench_function("v2_redactable_digest", |b| {
        b.iter(|| {
            let digest = content_digest(&time, "a", "positions", &payload, &salt);
            event_hash(1, GENESIS_HASH, &digest)
        })
    });
    group.bench_function("canonical_json_both_versions_pay", |b| {
        b.iter(|| canonical_json(&payload))
    });
    group.finish();
}

criterion_group!(benches, hashing);
criterion_main!(benches);
