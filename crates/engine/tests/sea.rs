//! The sea domain through the engine's commands (SPEC §7 amended, issue 17 point 2): ships
//! are judged against ships with the sea minima and without a vertical criterion, against
//! aircraft only where an agreement checks air–sea pairs, and meet zones and their own plans
//! as aircraft do.

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor, Decision};
use deconflict_engine::track::VesselParticulars;
use deconflict_engine::Motion;
use deconflict_engine::{
    AgreementParams, Domain, Event, MissionType, OperationSpec, PartyId, Role, State, TrackReport,
};
use deconflict_geometry::{geodesic_direct, FootprintSpec, Limits, Volume4dSpec};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
}

fn party(id: &str) -> PartyId {
    PartyId(id.to_owned())
}

struct World {
    state: State,
}

impl World {
    fn new() -> World {
        let mut world = World {
            state: State::new(),
        };
        for (id, role) in [
            ("blue", Role::Operator),
            ("red", Role::Operator),
            ("cell", Role::Authority),
        ] {
            let decision = decide::register_party(
                &world.state,
                &Actor::Admin,
                id,
                id,
                role,
                format!("hash-{id}"),
            )
            .unwrap();
            world.commit(decision);
        }
        world
    }

    fn commit<T>(&mut self, decision: Decision<T>) -> (Vec<Event>, T) {
        for event in &decision.events {
            self.state.apply(t0(), event);
        }
        (decision.events, decision.outcome)
    }

    fn agree(&mut self, params: AgreementParams) {
        let decision = decide::propose_agreement(
            &self.state,
            &party("blue"),
            "blue-red",
            vec![party("blue"), party("red")],
            params,
            t0(),
        )
        .unwrap();
        self.commit(decision);
        let decision = decide::act_on_agreement(
            &self.state,
            &party("red"),
            "blue-red",
            decide::AgreementAction::Accept,
        )
        .unwrap();
        self.commit(decision);
    }

    /// Files and returns the number of strategic conflicts in the filing's response.
    fn file(&mut self, owner: &str, id: &str, spec: OperationSpec) -> usize {
        let decision = decide::file_operation(
            &self.state,
            &party(owner),
            id,
            spec,
            None,
            t0(),
            &Limits::default(),
            &Default::default(),
        )
        .unwrap();
        self.commit(decision).1.conflicts.len()
    }

    fn report(&mut self, owner: &str, reports: Vec<TrackReport>) -> Vec<decide::Refused> {
        let decision = decide::report_positions(
            &self.state,
            &party(owner),
            reports.into_iter().enumerate().collect(),
            t0(),
            &decide::ReportWindow::default(),
        );
        self.commit(decision).1 .1
    }

    fn pass(&mut self) -> decide::PassOutcome {
        let decision = decide::tactical_pass(&self.state, t0());
        self.commit(decision).1
    }
}

fn ship(id: &str, lon: f64, lat: f64, track_deg: f64, speed_mps: f64) -> TrackReport {
    TrackReport {
        track_id: id.to_owned(),
        motion: Motion {
            time: t0(),
            lat_deg: lat,
            lon_deg: lon,
            altitude_m: 0.0,
            ground_speed_mps: speed_mps,
            track_deg,
            vertical_rate_mps: 0.0,
        },
        operation_id: None,
        callsign: None,
        domain: Domain::Sea,
        vessel: Some(Box::new(VesselParticulars {
            name: Some(id.to_uppercase()),
            length_m: Some(150.0),
            beam_m: Some(18.0),
        })),
    }
}

fn aircraft(id: &str, lon: f64, lat: f64, altitude_m: f64) -> TrackReport {
    TrackReport {
        domain: Domain::Air,
        vessel: None,
        motion: Motion {
            altitude_m,
            ..ship(id, lon, lat, 0.0, 0.0).motion
        },
        ..ship(id, lon, lat, 0.0, 0.0)
    }
}

fn circle_op(domain: Domain, lon: f64, lat: f64, lower: f64, upper: f64) -> OperationSpec {
    OperationSpec {
        mission_type: MissionType::Exercise,
        domain,
        callsign: None,
        priority: 0,
        volumes: vec![Volume4dSpec {
            footprint: FootprintSpec::Circle {
                center: vec![lon, lat],
                radius_m: 5_000.0,
            },
            altitude_lower_m: lower,
            altitude_upper_m: upper,
            time_start: t0() - Duration::hours(1),
            time_end: t0() + Duration::hours(3),
        }],
    }
}

/// `[lon, lat]` `distance_m` from (lon, lat) towards `azimuth_deg`.
fn offset(lon: f64, lat: f64, azimuth_deg: f64, distance_m: f64) -> [f64; 2] {
    geodesic_direct([lon, lat], azimuth_deg, distance_m)
}

#[test]
fn two_ships_converging_raise_a_sea_cpa_alert_judged_with_the_sea_minima() {
    let mut world = World::new();
    // 18 km apart, head-on 1,000 m off each other's line at 9 m/s each: closest approach
    // 1,000 m (< 1 NM) in about 1,000 s, beyond the air look-ahead of 300 s.
    let [lon, lat] = offset(35.0, 35.0, 90.0, 18_000.0);
    let [lon, lat] = offset(lon, lat, 0.0, 1_000.0);
    world.report("red", vec![ship("smetlivy", 35.0, 35.0, 90.0, 9.0)]);
    world.report("blue", vec![ship("ross", lon, lat, 270.0, 9.0)]);
    let outcome = world.pass();
    assert_eq!(outcome.tactical_conflicts, 1);
    let alert = world
        .state
        .open_alerts()
        .find_map(|a| a.tactical())
        .unwrap();
    assert_eq!(alert.domains, [Domain::Sea, Domain::Sea]);
    assert!((alert.d_cpa_m - 1_000.0).abs() < 20.0, "{alert:?}");
    assert!(
        alert.t_cpa_s > 900.0 && alert.t_cpa_s < 1_100.0,
        "{alert:?}"
    );
    // The same geometry between aircraft is beyond their 300 s look-ahead.
    let mut air = World::new();
    let mut a = ship("a1", 35.0, 35.0, 90.0, 9.0);
    let mut b = ship("b1", lon, lat, 270.0, 9.0);
    for t in [&mut a, &mut b] {
        t.domain = Domain::Air;
        t.vessel = None;
    }
    air.report("red", vec![a]);
    air.report("blue", vec![b]);
    assert_eq!(air.pass().tactical_conflicts, 0);
}

#[test]
fn an_aircraft_over_a_ship_is_checked_only_under_an_agreement_that_says_so() {
    let mut world = World::new();
    world.report("red", vec![ship("moskva", 35.4, 34.9, 0.0, 0.0)]);
    world.report("blue", vec![aircraft("cobra", 35.4, 34.9, 150.0)]);
    assert_eq!(world.pass().tactical_conflicts, 0);
    world.agree(AgreementParams {
        air_sea_checked: true,
        ..AgreementParams::default()
    });
    assert_eq!(world.pass().tactical_conflicts, 1);
    let alert = world
        .state
        .open_alerts()
        .find_map(|a| a.tactical())
        .unwrap();
    let mut domains = alert.domains;
    domains.sort();
    assert_eq!(domains, [Domain::Air, Domain::Sea]);
    // The air minima's vertical criterion applies: 150 m above the sea, within 1,000 ft.
    assert!((alert.vertical_offset_now_m.abs() - 150.0).abs() < 1e-6);
}

#[test]
fn a_ship_in_a_naval_exercise_area_it_is_not_party_to_raises_a_zone_alert() {
    let mut world = World::new();
    let zone: deconflict_engine::zone::ZoneSpec = serde_json::from_value(serde_json::json!({
        "name": "Naval exercise area",
        "footprint": {"type": "Polygon", "coordinates": [[[35.1, 34.7], [35.75, 34.7], [35.75, 35.15], [35.1, 35.15], [35.1, 34.7]]]},
        "altitude_lower_m": 0, "altitude_upper_m": 12000, "enforcement": "advisory",
        "rules": [{"type": "deny", "parties": ["red"], "all_except": true}]
    }))
    .unwrap();
    let decision = decide::publish_zone(
        &world.state,
        &party("cell"),
        "exercise-area",
        zone,
        t0(),
        &Limits::default(),
    )
    .unwrap();
    world.commit(decision);
    // Red's warship inside its own exercise area: allowed. Blue's merchant ship 4 km west of
    // the area heading east at 6 m/s: entry predicted within the sea look-ahead (1,200 s),
    // though not within the air one (300 s).
    world.report("red", vec![ship("moskva", 35.4, 34.9, 0.0, 5.0)]);
    let [lon, lat] = offset(35.1, 34.9, 270.0, 4_000.0);
    world.report("blue", vec![ship("sea-star", lon, lat, 90.0, 6.0)]);
    let outcome = world.pass();
    assert_eq!(outcome.zone_entries, 1);
    let entry = world
        .state
        .open_alerts()
        .find_map(|a| a.track_zone())
        .unwrap();
    assert_eq!(entry.track.track_id, "sea-star");
    assert!(!entry.inside_now);
    assert!(
        entry.t_entry_s > 600.0 && entry.t_entry_s < 700.0,
        "{entry:?}"
    );
    let alert = world
        .state
        .open_alerts()
        .find(|a| a.track_zone().is_some())
        .unwrap();
    assert!(
        alert.recipients.contains(&party("blue")),
        "{:?}",
        alert.recipients
    );
    assert!(
        alert.recipients.contains(&party("cell")),
        "{:?}",
        alert.recipients
    );
    assert!(
        !alert.recipients.contains(&party("red")),
        "{:?}",
        alert.recipients
    );
}

#[test]
fn a_ship_outside_its_own_plan_is_non_conforming() {
    let mut world = World::new();
    world.file("red", "drill", circle_op(Domain::Sea, 35.4, 34.9, 0.0, 0.0));
    let mut inside = ship("moskva", 35.4, 34.9, 0.0, 5.0);
    inside.operation_id = Some("drill".into());
    world.report("red", vec![inside]);
    assert_eq!(world.pass().nonconforming, 0);
    let [lon, lat] = offset(35.4, 34.9, 0.0, 8_000.0);
    let mut outside = ship("moskva", lon, lat, 0.0, 5.0);
    outside.operation_id = Some("drill".into());
    outside.motion.time = t0() + Duration::seconds(1);
    world.report("red", vec![outside]);
    assert_eq!(world.pass().nonconforming, 1);
}

#[test]
fn sea_plans_have_no_vertical_criterion_and_air_sea_plans_are_checked_only_when_agreed() {
    let mut world = World::new();
    assert_eq!(
        world.file("red", "drill", circle_op(Domain::Sea, 35.4, 34.9, 0.0, 0.0)),
        0
    );
    // Another party's sea operation, far above in its band (a meaningless band for ships):
    // still in conflict, altitude does not separate ships.
    assert_eq!(
        world.file(
            "blue",
            "patrol",
            circle_op(Domain::Sea, 35.45, 34.9, 5_000.0, 6_000.0)
        ),
        1
    );
    // 1 NM is the sea minimum: footprints 1,900 m apart are separated at sea (they would
    // not be in the air, where 5 NM applies).
    let [lon, lat] = offset(35.4, 34.9, 180.0, 11_900.0);
    assert_eq!(
        world.file("blue", "south", circle_op(Domain::Sea, lon, lat, 0.0, 0.0)),
        0
    );
    // An air operation over the drill is not checked against it by default...
    assert_eq!(
        world.file(
            "blue",
            "sortie",
            circle_op(Domain::Air, 35.4, 34.9, 0.0, 3_000.0)
        ),
        0
    );
    // ...and is once an agreement checks air–sea pairs (with the air minima).
    world.agree(AgreementParams {
        air_sea_checked: true,
        ..AgreementParams::default()
    });
    assert_eq!(
        world.file(
            "blue",
            "sortie-2",
            circle_op(Domain::Air, 35.4, 34.9, 0.0, 3_000.0)
        ),
        1
    );
    assert_eq!(
        world.file(
            "blue",
            "high",
            circle_op(Domain::Air, 35.4, 34.9, 8_000.0, 9_000.0)
        ),
        0
    );
}

#[test]
fn a_ship_report_faster_than_any_ship_or_an_aircraft_with_vessel_data_is_refused() {
    let mut world = World::new();
    let refused = world.report("red", vec![ship("fast", 35.0, 35.0, 0.0, 60.0)]);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].refusal.field, "/ground_speed_mps");
    let mut plane = aircraft("plane", 35.0, 35.0, 1_000.0);
    plane.vessel = Some(Box::default());
    let refused = world.report("red", vec![plane]);
    assert_eq!(refused[0].refusal.field, "/vessel");
    // An aircraft at 60 m/s is fine.
    let mut slow = aircraft("slow", 35.0, 35.0, 1_000.0);
    slow.motion.ground_speed_mps = 60.0;
    assert!(world.report("red", vec![slow]).is_empty());
}

#[test]
fn old_reports_without_a_domain_are_aircraft_and_keep_their_bytes() {
    let report: TrackReport = serde_json::from_value(serde_json::json!({
        "track_id": "4ca2d6", "time": "2030-01-01T10:00:00Z", "lat_deg": 35.0, "lon_deg": 33.0,
        "altitude_m": 10000.0, "ground_speed_mps": 230.0, "track_deg": 90.0,
        "vertical_rate_mps": 0.0
    }))
    .unwrap();
    assert_eq!(report.domain, Domain::Air);
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("domain") && !text.contains("vessel"),
        "{text}"
    );
    let params: AgreementParams = serde_json::from_value(serde_json::json!({
        "separation_horizontal_m": 9260.0, "separation_vertical_m": 304.8,
        "time_buffer_s": 300.0, "lookahead_s": 300.0,
        "release_operations": "conflicts_only", "release_tracks": "conflicts_only"
    }))
    .unwrap();
    assert_eq!(params, AgreementParams::default());
    let text = serde_json::to_string(&params).unwrap();
    assert!(!text.contains("sea"), "{text}");
}
