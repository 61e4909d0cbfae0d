//! Live tracks against zones and protected sites: the filtered checks equal the sampling of
//! every interval of the look-ahead, and neither misses nor is late against a brute-force
//! reference that steps through the look-ahead every 0.2 s with exact geodesic distances.

use chrono::{DateTime, Duration, Utc};
use deconflict_engine::decide::{
    sample_site_entry, sample_zone_entry, track_site_entry, track_zone_entry,
};
use deconflict_engine::predict::{position_at, STEP_M};
use deconflict_engine::site::{Site, SiteGeometry, SiteKind, SiteSpec};
use deconflict_engine::zone::{Enforcement, Schedule, Window, Zone, ZoneRule, ZoneSpec};
use deconflict_engine::Motion;
use deconflict_engine::{LiveTrack, PartyId, TrackReport};
use deconflict_geometry::{geodesic_direct, geodesic_distance_m, Footprint, FootprintSpec, Limits};
use proptest::prelude::*;

const LOOKAHEAD_S: f64 = 300.0;
const REFERENCE_STEP_S: f64 = 0.2;

fn now() -> DateTime<Utc> {
    "2030-01-01T10:00:00Z".parse().unwrap()
}

fn at(s: f64) -> DateTime<Utc> {
    now() + Duration::milliseconds((s * 1000.0).round() as i64)
}

#[derive(Debug, Clone)]
struct Case {
    centre: [f64; 2],
    /// Star polygon corners (azimuth, distance) or a circle.
    corners: Option<Vec<(f64, f64)>>,
    size_m: f64,
    lower_m: f64,
    upper_m: f64,
    /// A window of presence, as offsets (s) from now; `None`: always.
    window: Option<(f64, f64)>,
    /// Track start: azimuth and distance from the centre, heading, speed, altitude, climb.
    from_az: f64,
    from_m: f64,
    heading: f64,
    speed: f64,
    altitude: f64,
    climb: f64,
    /// The report's age (s): tracks are extrapolated from it.
    age_s: f64,
}

fn centre() -> impl Strategy<Value = [f64; 2]> {
    prop_oneof![
        (-180.0..180.0f64, -70.0..70.0f64).prop_map(|(lon, lat)| [lon, lat]),
        (-0.2..0.2f64, -60.0..60.0f64).prop_map(|(d, lat)| {
            let lon = 180.0 + d;
            [if lon > 180.0 { lon - 360.0 } else { lon }, lat]
        }),
        (-180.0..180.0f64, 80.0..86.0f64).prop_map(|(lon, lat)| [lon, lat]),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        centre(),
        proptest::option::weighted(0.6, proptest::collection::vec((0.3..1.0f64,), 3..8)),
        200.0..20_000.0f64,
        (0.0..8_000.0f64, 0.0..4_000.0f64),
        proptest::option::weighted(0.3, (-100.0..300.0f64, 10.0..400.0f64)),
        (
            0.0..360.0f64,
            0.0..80_000.0f64,
            0.0..360.0f64,
            0.0..320.0f64,
        ),
        (0.0..12_000.0f64, -20.0..20.0f64, 0.0..5.0f64),
    )
        .prop_map(
            |(centre, radii, size_m, (lower_m, band), window, track, (altitude, climb, age_s))| {
                let corners = radii.map(|radii| {
                    let slot = 360.0 / radii.len() as f64;
                    radii
                        .iter()
                        .enumerate()
                        .map(|(k, (r,))| (slot * k as f64, r * size_m))
                        .collect()
                });
                Case {
                    centre,
                    corners,
                    size_m,
                    lower_m,
                    upper_m: lower_m + band,
                    window: window.map(|(start, length)| (start, start + length)),
                    from_az: track.0,
                    from_m: track.1,
                    heading: track.2,
                    speed: track.3,
                    altitude,
                    climb,
                    age_s,
                }
            },
        )
}

impl Case {
    fn footprint_spec(&self) -> FootprintSpec {
        match &self.corners {
            None => FootprintSpec::Circle {
                center: self.centre.to_vec(),
                radius_m: self.size_m,
            },
            Some(corners) => {
                let mut ring: Vec<Vec<f64>> = corners
                    .iter()
                    .map(|&(az, r)| geodesic_direct(self.centre, az, r).to_vec())
                    .collect();
                ring.push(ring[0].clone());
                FootprintSpec::Polygon {
                    coordinates: vec![ring],
                }
            }
        }
    }

    fn schedule(&self) -> Schedule {
        Schedule {
            windows: self
                .window
                .map(|(a, b)| Window {
                    start: at(a),
                    end: at(b),
                })
                .into_iter()
                .collect(),
            weekly: Vec::new(),
        }
    }

    fn track(&self) -> TrackReport {
        let start = geodesic_direct(self.centre, self.from_az, self.from_m);
        TrackReport {
            track_id: "t".into(),
            motion: Motion {
                time: at(-self.age_s),
                lat_deg: start[1],
                lon_deg: start[0],
                altitude_m: self.altitude,
                ground_speed_mps: self.speed,
                track_deg: self.heading,
                vertical_rate_mps: self.climb,
            },
            operation_id: None,
            callsign: None,
            domain: Default::default(),
            vessel: None,
        }
    }

    fn zone(&self) -> Option<Zone> {
        let spec = ZoneSpec {
            name: "z".into(),
            footprint: self.footprint_spec(),
            altitude_lower_m: self.lower_m,
            altitude_upper_m: self.upper_m,
            schedule: self.schedule(),
            enforcement: Enforcement::Hard,
            rules: vec![ZoneRule::Deny {
                parties: vec![PartyId("blue".into())],
                all_except: false,
            }],
            heights: None,
        };
        let footprint = spec.validate(&Limits::default()).ok()?;
        Some(Zone {
            id: "z".into(),
            owner: PartyId("auth".into()),
            spec,
            version: 1,
            footprint,
            updated_at: now(),
        })
    }

    /// A hospital (point), a camp (polygon) or a convoy driving a route through the centre.
    fn site(&self, kind: u8) -> Option<Site> {
        let (kind, geometry, schedule) = match kind % 3 {
            0 => (
                SiteKind::Hospital,
                SiteGeometry::Point {
                    coordinates: self.centre.to_vec(),
                },
                self.schedule(),
            ),
            1 => {
                let FootprintSpec::Polygon { coordinates } = self.footprint_spec() else {
                    return None;
                };
                (
                    SiteKind::Camp,
                    SiteGeometry::Polygon { coordinates },
                    self.schedule(),
                )
            }
            _ => {
                let a = geodesic_direct(self.centre, self.from_az + 90.0, self.size_m * 3.0);
                let b = geodesic_direct(self.centre, self.from_az - 90.0, self.size_m * 3.0);
                let window = self.window.unwrap_or((-600.0, 900.0));
                (
                    SiteKind::Convoy,
                    SiteGeometry::LineString {
                        coordinates: vec![a.to_vec(), self.centre.to_vec(), b.to_vec()],
                    },
                    Schedule {
                        windows: vec![Window {
                            start: at(window.0),
                            end: at(window.1),
                        }],
                        weekly: Vec::new(),
                    },
                )
            }
        };
        let spec = SiteSpec {
            name: "s".into(),
            kind,
            geometry,
            buffer_m: self.lower_m / 4.0,
            schedule,
            description: None,
        };
        let shape = spec.validate(&Limits::default()).ok()?;
        Some(Site {
            id: "s".into(),
            owner: PartyId("icrc".into()),
            spec,
            version: 1,
            shape,
            updated_at: now(),
        })
    }
}

/// The first reference instant (s) at which `inside(t)` holds.
fn reference(inside: impl Fn(f64) -> bool) -> Option<f64> {
    let n = (LOOKAHEAD_S / REFERENCE_STEP_S) as usize;
    (0..=n)
        .map(|k| k as f64 * REFERENCE_STEP_S)
        .find(|&t| inside(t))
}

/// How much earlier than the truth a sampled entry may be: one step of relative motion.
fn early_allowance_s(speed: f64) -> f64 {
    if speed <= 0.0 {
        LOOKAHEAD_S
    } else {
        STEP_M / speed + REFERENCE_STEP_S
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn zone_entry_is_never_missed_nor_late(case in case()) {
        let Some(zone) = case.zone() else { return Err(TestCaseError::reject("invalid zone")) };
        let track = case.track().motion;
        let fast = track_zone_entry(&zone, &track, now(), LOOKAHEAD_S);
        prop_assert_eq!(fast, sample_zone_entry(&zone, &track, now(), LOOKAHEAD_S));
        let truth = reference(|t| {
            let (p, alt) = position_at(&track, at(t));
            (zone.spec.altitude_lower_m..=zone.spec.altitude_upper_m).contains(&alt)
                && zone.spec.schedule.meets(at(t), at(t) + Duration::milliseconds(1))
                && zone.footprint.distance_to_point_m(p) <= deconflict_geometry::ALLOWANCE_M
        });
        if let Some(truth) = truth {
            let fast = fast.expect("an entry the reference finds is found");
            prop_assert!(fast <= truth + 1e-6, "late: {fast} > {truth}");
        }
        if let (Some(fast), Some(truth)) = (fast, truth) {
            // Early by at most a step, unless the reference's own step skipped a brief entry
            // or the altitude or schedule gates are what it waits for.
            let gated = case.climb.abs() > 0.0 || case.window.is_some();
            prop_assert!(gated || truth - fast <= early_allowance_s(case.speed), "{fast} vs {truth}");
        }
    }

    #[test]
    fn site_entry_is_never_missed_nor_late(case in case(), kind in 0u8..3) {
        let Some(site) = case.site(kind) else { return Err(TestCaseError::reject("invalid site")) };
        let track = case.track().motion;
        let fast = track_site_entry(&site, &track, now(), LOOKAHEAD_S);
        prop_assert_eq!(fast, sample_site_entry(&site, &track, now(), LOOKAHEAD_S));
        let buffer = site.spec.buffer_m;
        let truth = reference(|t| {
            let (p, _) = position_at(&track, at(t));
            let present = site.present_during(at(t), at(t) + Duration::milliseconds(1));
            let distance = match site.convoy_position(at(t)) {
                Some(c) => geodesic_distance_m(p, c),
                None => site.distance_at(p, at(t)).unwrap_or(f64::INFINITY),
            };
            present && distance <= buffer
        });
        if let Some(truth) = truth {
            let fast = fast.expect("an entry the reference finds is found");
            prop_assert!(fast <= truth + 1e-6, "late: {fast} > {truth}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A convoy against a planned volume: the distance from the volume's footprint to the
    /// stretch of road the convoy drives during the volume's window is never above the truth
    /// (so a volume within the buffer is never missed), and at most half a fine step below it
    /// where it matters. The reference walks that stretch every 5 m.
    #[test]
    fn a_volume_near_the_convoys_stretch_of_road_is_never_missed(
        case in case(),
        from_s in -900.0..900.0f64,
        length_s in 1.0..1_800.0f64,
    ) {
        let Some(site) = case.site(2) else { return Err(TestCaseError::reject("invalid site")) };
        let volume_centre = geodesic_direct(case.centre, case.from_az, case.from_m / 4.0);
        let footprint = Footprint::from_spec(
            &FootprintSpec::Circle { center: volume_centre.to_vec(), radius_m: case.size_m / 2.0 },
            &Limits::default(),
        ).unwrap();
        let (start, end) = site.convoy_window().unwrap();
        let (from, to) = (at(from_s).max(start), at(from_s + length_s).min(end));
        let near = site.near_footprint(&footprint, at(from_s), at(from_s + length_s));
        if from >= to {
            prop_assert!(near.is_none());
            return Ok(());
        }
        let total_ms = (to - from).num_milliseconds();
        let road_m = site.speed_mps() * total_ms as f64 / 1000.0;
        let n = (road_m / 5.0).ceil().max(1.0) as i64;
        let walk: Vec<(DateTime<Utc>, f64)> = (0..=n)
            .map(|k| from + Duration::milliseconds(total_ms * k / n))
            .map(|t| (t, footprint.distance_to_point_m(site.convoy_position(t).unwrap())))
            .collect();
        let truth = walk.iter().map(|w| w.1).fold(f64::INFINITY, f64::min);
        let buffer = site.spec.buffer_m;
        // Every time the convoy is within the buffer lies in the window the check reports.
        for (t, d) in &walk {
            if *d <= buffer {
                let near = near.expect("a volume within the buffer is found");
                prop_assert!(near.from <= *t && *t <= near.to, "{t} outside {}..{}", near.from, near.to);
            }
        }
        if truth <= buffer {
            let near = near.expect("a volume within the buffer is found");
            prop_assert!(near.distance_m <= truth + 1e-6, "{} > {truth}", near.distance_m);
            prop_assert!(near.distance_m >= truth - 10.0 - 2.5 - 1e-6, "{} vs {truth}", near.distance_m);
        }
        if let Some(near) = near {
            prop_assert!(near.distance_m <= truth + 1e-6);
            prop_assert!(truth <= buffer + 10.0 + 2.5 + 0.01, "found at {truth} m, buffer {buffer}");
        }
    }
}

/// Registers a party in a state built by hand.
fn register(state: &mut deconflict_engine::State, id: &str, role: deconflict_engine::Role) {
    state.apply(
        now(),
        &deconflict_engine::Event::PartyRegistered {
            party: deconflict_engine::party::Party {
                id: PartyId(id.into()),
                name: id.into(),
                role,
                token_hash: format!("hash-{id}"),
            },
        },
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(80))]

    /// The periodic pass, with its cheap straight-line filter, alerts exactly the (track, zone)
    /// and (track, site) pairs that checking every sample of every pair finds.
    #[test]
    fn the_pass_finds_exactly_the_pairs_every_sample_finds(
        places in proptest::collection::vec((case(), 0u8..6), 1..4),
        tracks in proptest::collection::vec(case(), 1..25),
    ) {
        use deconflict_engine::{decide, Event, Role};
        let mut state = deconflict_engine::State::new();
        register(&mut state, "blue", Role::Operator);
        register(&mut state, "auth", Role::Authority);
        register(&mut state, "icrc", Role::Humanitarian);
        let mut zones = Vec::new();
        let mut sites = Vec::new();
        for (k, (place, kind)) in places.iter().enumerate() {
            if *kind >= 3 {
                if let Some(zone) = place.zone() {
                    state.apply(now(), &Event::ZonePublished {
                        id: format!("z{k}"), owner: zone.owner.clone(), version: 1, spec: zone.spec.clone(),
                    });
                    zones.push(format!("z{k}"));
                }
            } else if let Some(site) = place.site(*kind) {
                state.apply(now(), &Event::SitePublished {
                    id: format!("s{k}"), owner: site.owner.clone(), version: 1, spec: site.spec.clone(),
                });
                sites.push(format!("s{k}"));
            }
        }
        // Each track near one of the places (its case is placed around its own centre).
        let reports: Vec<TrackReport> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let anchor = &places[i % places.len()].0;
                let moved = Case { centre: anchor.centre, ..t.clone() };
                TrackReport { track_id: format!("t{i}"), ..moved.track() }
            })
            .collect();
        state.apply(now(), &Event::PositionsReported {
            owner: PartyId("blue".into()), digest: String::new(), reports,
        });
        let decision = decide::tactical_pass(&state, now());
        let live: Vec<LiveTrack<'_>> = state.tracks().collect();
        let mut want_zones = 0;
        let mut want_sites = 0;
        for track in &live {
            for id in &zones {
                let zone = state.zone(id).unwrap();
                want_zones += usize::from(sample_zone_entry(zone, track.motion(), now(), LOOKAHEAD_S).is_some());
            }
            for id in &sites {
                let site = state.site(id).unwrap();
                want_sites += usize::from(sample_site_entry(site, track.motion(), now(), LOOKAHEAD_S).is_some());
            }
        }
        prop_assert_eq!(decision.outcome.zone_entries, want_zones);
        prop_assert_eq!(decision.outcome.site_proximities, want_sites);
        let raised = decision.events.iter().filter(|e| matches!(e, Event::AlertRaised { .. })).count();
        prop_assert_eq!(raised, want_zones + want_sites);
    }
}
