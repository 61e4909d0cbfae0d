//! Live tracks against zones and protected sites in the periodic pass (SPEC §5.4, §5.5, §10):
//! 10,000 tracks of realistic traffic (`tactical::generate` in its airways shape, over 2,000 × 2,000 km
//! around 10° E 50° N) under a 600 × 400 km zone that denies all but one party, with 20
//! hospitals and a 300 km convoy route. Measures the whole pass with and without the zone and
//! sites (the cost of the checks in the pass), and the checks alone: fast at 10,000 tracks, and
//! fast against visiting every sample of the look-ahead at 1,000.
//!
//! `cargo bench -p deconflict-engine --bench places`

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use deconflict_engine::decide::{
    sample_site_entry, sample_zone_entry, tactical_pass, track_site_entry, track_zone_entry,
};
use deconflict_engine::party::Party;
use deconflict_engine::site::{SiteGeometry, SiteKind, SiteSpec};
use deconflict_engine::tactical::{generate, TrafficShape};
use deconflict_engine::zone::{Enforcement, Schedule, Window, ZoneRule, ZoneSpec};
use deconflict_engine::{Event, LiveTrack, PartyId, Role, State, TrackReport};
use deconflict_geometry::FootprintSpec;

const SEED: u64 = 2030;
const TRACKS: usize = 10_000;

fn party(id: &str, role: Role) -> Event {
    Event::PartyRegistered {
        party: Party {
            id: PartyId(id.into()),
            name: id.into(),
            role,
            token_hash: format!("hash-{id}"),
        },
    }
}

/// The traffic's state, with or without the zone and sites.
fn world(now: DateTime<Utc>, places: bool) -> State {
    let mut state = State::new();
    let tracks = generate(TrafficShape::Airways, TRACKS, SEED, now);
    let mut owners: Vec<PartyId> = tracks.iter().map(|t| t.owner.clone()).collect();
    owners.sort();
    owners.dedup();
    for owner in &owners {
        state.apply(now, &party(&owner.0, Role::Operator));
    }
    state.apply(now, &party("authority", Role::Authority));
    state.apply(now, &party("aid", Role::Humanitarian));
    if places {
        let zone = ZoneSpec {
            name: "Closed airspace".into(),
            footprint: FootprintSpec::Polygon {
                coordinates: vec![vec![
                    vec![6.0, 48.0],
                    vec![14.0, 48.0],
                    vec![14.0, 51.6],
                    vec![6.0, 51.6],
                    vec![6.0, 48.0],
                ]],
            },
            altitude_lower_m: 0.0,
            altitude_upper_m: 20_000.0,
            schedule: Schedule::default(),
            enforcement: Enforcement::Hard,
            rules: vec![ZoneRule::Deny {
                parties: vec![owners[0].clone()],
                all_except: true,
            }],
            heights: None,
        };
        state.apply(
            now,
            &Event::ZonePublished {
                id: "closed".into(),
                owner: PartyId("authority".into()),
                version: 1,
                spec: zone,
            },
        );
        for k in 0..20 {
            let spec = SiteSpec {
                name: format!("Hospital {k}"),
                kind: SiteKind::Hospital,
                geometry: SiteGeometry::Point {
                    coordinates: vec![2.0 + k as f64, 44.0 + (k % 7) as f64 * 2.0],
                },
                buffer_m: 3_000.0,
                schedule: Schedule::default(),
                description: None,
            };
            state.apply(
                now,
                &Event::SitePublished {
                    id: format!("h{k}"),
                    owner: PartyId("aid".into()),
                    version: 1,
                    spec,
                },
            );
        }
        let convoy = SiteSpec {
            name: "Convoy".into(),
            kind: SiteKind::Convoy,
            geometry: SiteGeometry::LineString {
                coordinates: vec![vec![8.0, 52.0], vec![10.0, 51.0], vec![12.0, 50.5]],
            },
            buffer_m: 1_000.0,
            schedule: Schedule {
                windows: vec![Window {
                    start: now - chrono::Duration::hours(1),
                    end: now + chrono::Duration::hours(4),
                }],
                weekly: Vec::new(),
            },
            description: None,
        };
        state.apply(
            now,
            &Event::SitePublished {
                id: "convoy".into(),
                owner: PartyId("aid".into()),
                version: 1,
                spec: convoy,
            },
        );
    }
    for owner in &owners {
        let reports: Vec<TrackReport> = tracks
            .iter()
            .filter(|t| &t.owner == owner)
            .map(|t| TrackReport {
                track_id: t.track_id.clone(),
                motion: t.motion,
                operation_id: None,
                callsign: None,
                domain: Default::default(),
                vessel: None,
            })
            .collect();
        state.apply(
            now,
            &Event::PositionsReported {
                owner: owner.clone(),
                digest: String::new(),
                reports,
            },
        );
    }
    state
}

fn places(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
    let bare = world(now, false);
    let full = world(now, true);
    let outcome = tactical_pass(&full, now).outcome;
    eprintln!(
        "{TRACKS} tracks: {} in or heading into the zone, {} near a site",
        outcome.zone_entries, outcome.site_proximities
    );
    let zone = full.zone("closed").unwrap();
    let sites: Vec<_> = full.sites().collect();
    let live: Vec<LiveTrack<'_>> = full.tracks().collect();
    let lookahead = 300.0;
    let checks = |fast: bool, n: usize| {
        let mut found = 0usize;
        for track in &live[..n] {
            let entry = if fast {
                track_zone_entry(zone, track.motion(), now, lookahead)
            } else {
                sample_zone_entry(zone, track.motion(), now, lookahead)
            };
            found += usize::from(entry.is_some());
            for site in &sites {
                let entry = if fast {
                    track_site_entry(site, track.motion(), now, lookahead)
                } else {
                    sample_site_entry(site, track.motion(), now, lookahead)
                };
                found += usize::from(entry.is_some());
            }
        }
        found
    };
    assert_eq!(checks(true, 1_000), checks(false, 1_000));

    let mut group = c.benchmark_group("places");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("pass_without_places_10000", |b| {
        b.iter(|| tactical_pass(black_box(&bare), now))
    });
    group.bench_function("pass_with_places_10000", |b| {
        b.iter(|| tactical_pass(black_box(&full), now))
    });
    group.bench_function("checks_fast_10000", |b| {
        b.iter(|| checks(black_box(true), TRACKS))
    });
    group.bench_function("checks_fast_1000", |b| {
        b.iter(|| checks(black_box(true), 1_000))
    });
    group.bench_function("checks_every_sample_1000", |b| {
        b.iter(|| checks(black_box(false), 1_000))
    });
    group.finish();
}

criterion_group!(benches, places);
criterion_main!(benches);
