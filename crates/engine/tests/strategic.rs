//! Strategic detection through the engine's public interface: the indexed search equals the
//! exhaustive comparison, the rule's boundaries hold, and replay rebuilds the same state.

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, find_conflicts, find_conflicts_exhaustive, Actor};
use deconflict_engine::{
    AgreementParams, Domain, Event, MissionType, OperationKey, OperationSpec, PartyId, Role,
    SeaMinima, State,
};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

/// A state with parties `p0`..`p3` registered.
fn state_with_parties() -> State {
    let mut state = State::new();
    for i in 0..4 {
        let decision = decide::register_party(
            &state,
            &Actor::Admin,
            &format!("p{i}"),
            "party",
            Role::Operator,
            format!("hash{i}"),
        )
        .unwrap();
        for event in &decision.events {
            state.apply(t0(), event);
        }
    }
    state
}

/// Files through decide + apply, as the server does; returns the events logged.
fn file(state: &mut State, owner: &str, id: &str, spec: OperationSpec) -> Vec<Event> {
    let decision = decide::file_operation(
        state,
        &PartyId(owner.to_owned()),
        id,
        spec,
        None,
        t0(),
        &Limits::default(),
        &Default::default(),
    )
    .unwrap();
    for event in &decision.events {
        state.apply(t0(), event);
    }
    decision.events
}

fn spec(volumes: Vec<Volume4dSpec>) -> OperationSpec {
    OperationSpec {
        priority: 0,
        mission_type: MissionType::Patrol,
        domain: Domain::Air,
        callsign: None,
        volumes,
    }
}

fn square(lon: f64, lat: f64, half_deg: f64) -> FootprintSpec {
    let wrap = |x: f64| {
        if x > 180.0 {
            x - 360.0
        } else if x < -180.0 {
            x + 360.0
        } else {
            x
        }
    };
    let ring = vec![
        vec![wrap(lon - half_deg), lat - half_deg],
        vec![wrap(lon + half_deg), lat - half_deg],
        vec![wrap(lon + half_deg), lat + half_deg],
        vec![wrap(lon - half_deg), lat + half_deg],
        vec![wrap(lon - half_deg), lat - half_deg],
    ];
    FootprintSpec::Polygon {
        coordinates: vec![ring],
    }
}

fn volume(
    footprint: FootprintSpec,
    lower: f64,
    upper: f64,
    start_s: i64,
    end_s: i64,
) -> Volume4dSpec {
    Volume4dSpec {
        footprint,
        altitude_lower_m: lower,
        altitude_upper_m: upper,
        time_start: t0() + Duration::seconds(start_s),
        time_end: t0() + Duration::seconds(end_s),
    }
}

/// Random volumes clustered around places that stress the index: mid-latitudes, both sides
/// of the antimeridian, and near the north pole; sizes from a few hundred metres to ~60 km,
/// so that many pairs sit close to the 9,260 m separation.
fn arb_volume() -> impl Strategy<Value = Volume4dSpec> {
    let centre = prop_oneof![
        Just((36.0, 35.0)),
        Just((179.95, -16.0)),
        Just((-179.95, -16.0)),
        Just((10.0, 84.0)),
    ];
    (
        centre,
        -0.3f64..0.3,
        -0.3f64..0.3,
        0.002f64..0.25,
        any::<bool>(),
        0.0f64..9000.0,
        100.0f64..3000.0,
        0i64..20_000,
        60i64..7200,
    )
        .prop_map(
            |((lon, lat), dlon, dlat, size, circle, lower, height, start, length)| {
                let (lon, lat) = (lon + dlon, lat + dlat);
                let lon = if lon > 180.0 {
                    lon - 360.0
                } else if lon < -180.0 {
                    lon + 360.0
                } else {
                    lon
                };
                let footprint = if circle {
                    FootprintSpec::Circle {
                        center: vec![lon, lat],
                        radius_m: size * 100_000.0,
                    }
                } else {
                    square(lon, lat, size)
                };
                volume(footprint, lower, lower + height, start, start + length)
            },
        )
}

fn arb_operation() -> impl Strategy<Value = (usize, Domain, Vec<Volume4dSpec>)> {
    (
        0usize..4,
        prop_oneof![Just(Domain::Air), Just(Domain::Sea)],
        prop::collection::vec(arb_volume(), 1..4),
    )
}

fn spec_in(domain: Domain, volumes: Vec<Volume4dSpec>) -> OperationSpec {
    OperationSpec {
        domain,
        ..spec(volumes)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The index may only skip pairs that provably cannot conflict: its result equals the
    /// exhaustive comparison for every candidate, including across the antimeridian and near
    /// the pole, for air and sea operations mixed (sea minima, no vertical criterion between
    /// ships, air–sea pairs checked or not).
    #[test]
    fn indexed_conflicts_equal_exhaustive(
        stored in prop::collection::vec(arb_operation(), 1..30),
        candidate in arb_operation(),
        ended in prop::collection::vec(any::<bool>(), 30),
        agreement in proptest::option::of((1_000.0f64..30_000.0, 100.0f64..1_000.0, 0.0f64..900.0, 500.0f64..40_000.0, any::<bool>())),
    ) {
        let mut state = state_with_parties();
        // Sometimes p0 and p1 have their own agreement: the pair's parameters differ from
        // everyone else's, and the index must be queried wide enough for both.
        if let Some((horizontal, vertical, buffer, sea_horizontal, air_sea_checked)) = agreement {
            let params = AgreementParams {
                separation_horizontal_m: horizontal,
                separation_vertical_m: vertical,
                time_buffer_s: buffer,
                sea: SeaMinima { separation_horizontal_m: sea_horizontal, ..SeaMinima::default() },
                air_sea_checked,
                ..AgreementParams::default()
            };
            for event in decide::propose_agreement(&state, &PartyId("p0".into()), "a", vec![PartyId("p0".into()), PartyId("p1".into())], params, t0()).unwrap().events {
                state.apply(t0(), &event);
            }
            for event in decide::act_on_agreement(&state, &PartyId("p1".into()), "a", decide::AgreementAction::Accept).unwrap().events {
                state.apply(t0(), &event);
            }
            prop_assert_eq!(state.params_between(&PartyId("p0".into()), &PartyId("p1".into())), params);
        }
        for (i, (owner, domain, volumes)) in stored.into_iter().enumerate() {
            file(&mut state, &format!("p{owner}"), &format!("op{i}"), spec_in(domain, volumes));
            if ended[i] {
                let decision = decide::change_operation_state(
                    &state, &PartyId(format!("p{owner}")), &format!("op{i}"),
                    decide::Transition::Cancel, None, t0()).unwrap();
                for event in &decision.events { state.apply(t0(), event); }
            }
        }
        let (owner, domain, volumes) = candidate;
        let key = OperationKey { owner: PartyId(format!("p{owner}")), id: "candidate".into() };
        let validated = spec(volumes).validate(&Limits::default()).unwrap();
        let indexed = find_conflicts(&state, &key, domain, &validated);
        let exhaustive = find_conflicts_exhaustive(&state, &key, domain, &validated);
        prop_assert_eq!(indexed, exhaustive);
    }
}

#[test]
fn minima_are_met_at_equality_with_the_allowance() {
    let here = square(36.0, 35.0, 0.05);
    let mut state = state_with_parties();
    file(
        &mut state,
        "p0",
        "a",
        spec(vec![volume(here.clone(), 1000.0, 2000.0, 0, 3600)]),
    );

    // Exactly 1,000 ft above (in metres, with float rounding): separated.
    let ft = 0.3048;
    let events = file(
        &mut state,
        "p1",
        "above",
        spec(vec![volume(
            here.clone(),
            2000.0 + 1000.0 * ft,
            4000.0,
            0,
            3600,
        )]),
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));
    // One centimetre and more closer: a conflict.
    let events = file(
        &mut state,
        "p1",
        "closer",
        spec(vec![volume(here.clone(), 2000.0 + 304.7, 4000.0, 0, 3600)]),
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));

    // A time gap of exactly the 300 s buffer: separated; 299 s: conflict.
    let events = file(
        &mut state,
        "p2",
        "later",
        spec(vec![volume(here.clone(), 1000.0, 2000.0, 3900, 7200)]),
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));
    let events = file(
        &mut state,
        "p2",
        "sooner",
        spec(vec![volume(here, 1000.0, 2000.0, 3899, 7200)]),
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));
}

#[test]
fn horizontal_separation_is_geodesic_distance_against_5_nm() {
    // Two circles on the equator whose edges are 9,250 m apart (conflict) and 9,270 m (separated).
    let metres_per_degree = 111_319.490_793; // WGS84 equatorial arc per degree of longitude
    let mut state = state_with_parties();
    let circle = |lon: f64| FootprintSpec::Circle {
        center: vec![lon, 0.0],
        radius_m: 1000.0,
    };
    file(
        &mut state,
        "p0",
        "a",
        spec(vec![volume(circle(0.0), 0.0, 100.0, 0, 60)]),
    );
    let near = (2000.0 + 9250.0) / metres_per_degree;
    let far = (2000.0 + 9270.0) / metres_per_degree;
    let events = file(
        &mut state,
        "p1",
        "near",
        spec(vec![volume(circle(near), 0.0, 100.0, 0, 60)]),
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));
    let events = file(
        &mut state,
        "p1",
        "far",
        spec(vec![volume(circle(far), 0.0, 100.0, 0, 60)]),
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::AlertRaised { .. })));
}

#[test]
fn own_operations_never_conflict() {
    let here = square(36.0, 35.0, 0.05);
    let mut state = state_with_parties();
    file(
        &mut state,
        "p0",
        "a",
        spec(vec![volume(here.clone(), 0.0, 100.0, 0, 60)]),
    );
    let events = file(
        &mut state,
        "p0",
        "b",
        spec(vec![volume(here, 0.0, 100.0, 0, 60)]),
    );
    assert_eq!(events.len(), 1, "only the filing itself: {events:?}");
}

#[test]
fn conflicts_across_the_antimeridian_are_found() {
    let mut state = state_with_parties();
    file(
        &mut state,
        "p0",
        "west",
        spec(vec![volume(square(179.98, -16.0, 0.01), 0.0, 100.0, 0, 60)]),
    );
    let events = file(
        &mut state,
        "p1",
        "east",
        spec(vec![volume(
            square(-179.98, -16.0, 0.01),
            0.0,
            100.0,
            0,
            60,
        )]),
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::AlertRaised { .. })),
        "{events:?}"
    );
}

#[test]
fn replaying_the_events_rebuilds_the_same_state() {
    let mut state = state_with_parties();
    let mut log: Vec<Event> = Vec::new();
    let here = square(36.0, 35.0, 0.05);
    for (owner, id, lower) in [
        ("p0", "a", 0.0),
        ("p1", "b", 50.0),
        ("p2", "c", 5000.0),
        ("p1", "b", 20000.0),
        ("p3", "d", 80.0),
    ] {
        log.extend(file(
            &mut state,
            owner,
            id,
            spec(vec![volume(here.clone(), lower, lower + 100.0, 0, 60)]),
        ));
    }
    let mut replayed = state_with_parties();
    for event in &log {
        replayed.apply(t0(), event);
    }
    let alerts = |s: &State| s.alerts().cloned().collect::<Vec<_>>();
    assert_eq!(alerts(&state), alerts(&replayed));
    assert_eq!(
        alerts(&state).len(),
        2,
        "a-b raised then resolved, a-d raised"
    );
    let ops = |s: &State| {
        s.operations()
            .map(|o| (o.key.clone(), o.version, o.state, o.spec.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ops(&state), ops(&replayed));
    // And events survive the log's JSON encoding unchanged.
    for event in &log {
        let (kind, payload) = event.to_log();
        let back = Event::from_parts(&kind, payload).unwrap();
        assert_eq!(&back, event);
    }
}

#[test]
fn filing_beyond_the_horizon_is_refused_naming_the_volume_and_logs_nothing() {
    let state = state_with_parties();
    let horizon = decide::OperationHorizon { ahead_days: 365 };
    let day_s = 86_400;
    let far = spec(vec![
        volume(square(35.0, 35.0, 0.1), 1000.0, 2000.0, 0, 3600),
        volume(
            square(35.0, 35.0, 0.1),
            1000.0,
            2000.0,
            364 * day_s,
            366 * day_s,
        ),
    ]);
    let owner = PartyId("p0".to_owned());
    let refused = decide::file_operation(
        &state,
        &owner,
        "far",
        far,
        None,
        t0(),
        &Limits::default(),
        &horizon,
    )
    .unwrap_err();
    assert!(
        matches!(
            refused,
            deconflict_engine::EngineError::BeyondHorizon {
                volume: 1,
                horizon_days: 365,
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(refused.pointer().as_deref(), Some("/volumes/1/time_end"));
    assert!(refused.to_string().contains("365 days"), "{refused}");

    // Ending exactly at the horizon is within it; the clock that decides is the one passed in.
    let within = spec(vec![volume(
        square(35.0, 35.0, 0.1),
        1000.0,
        2000.0,
        364 * day_s,
        365 * day_s,
    )]);
    let filed = decide::file_operation(
        &state,
        &owner,
        "within",
        within.clone(),
        None,
        t0(),
        &Limits::default(),
        &horizon,
    )
    .unwrap();
    assert!(filed.outcome.created);
    assert!(decide::file_operation(
        &state,
        &owner,
        "within",
        within,
        None,
        t0() - Duration::seconds(1),
        &Limits::default(),
        &horizon,
    )
    .is_err());
}
