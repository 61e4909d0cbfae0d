//! The alert lifecycle of SPEC §6, given events, when a command or pass runs at a time, then
//! these events: raise, update, resolve (cleared, past, lost), operations ended by time,
//! escalation up to `warning`, bounded re-notification, overdue, acknowledgement, agreements
//! setting the deadlines, ids per generation, and each event carrying the alert as it stands.

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor, Decision, Transition};
use deconflict_engine::lifecycle::{self, PAST};
use deconflict_engine::release;
use deconflict_engine::Motion;
use deconflict_engine::{
    AgreementParams, AlertId, AlertKind, AlertState, Domain, Event, MissionType, OperationKey,
    OperationSpec, OperationState, PartyId, Role, Severity, State, TrackReport,
};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
}

fn at(seconds: f64) -> DateTime<Utc> {
    t0() + Duration::milliseconds((seconds * 1000.0).round() as i64)
}

fn party(id: &str) -> PartyId {
    PartyId(id.to_owned())
}

/// A state, and every event logged into it, as the server keeps them.
struct World {
    state: State,
    log: Vec<(DateTime<Utc>, Event)>,
}

impl World {
    /// Parties blue, red and green registered.
    fn new() -> World {
        let mut world = World {
            state: State::new(),
            log: Vec::new(),
        };
        for id in ["blue", "red", "green"] {
            let decision = decide::register_party(
                &world.state,
                &Actor::Admin,
                id,
                id,
                Role::Operator,
                format!("hash-{id}"),
            )
            .unwrap();
            world.commit(t0(), decision);
        }
        world
    }

    /// Logs and applies a decision's events at `now`; returns the events and the outcome.
    fn commit<T>(&mut self, now: DateTime<Utc>, decision: Decision<T>) -> (Vec<Event>, T) {
        for event in &decision.events {
            self.state.apply(now, event);
            self.log.push((now, event.clone()));
        }
        (decision.events, decision.outcome)
    }

    fn file(
        &mut self,
        now: DateTime<Utc>,
        owner: &str,
        id: &str,
        spec: OperationSpec,
    ) -> Vec<Event> {
        let decision = decide::file_operation(
            &self.state,
            &party(owner),
            id,
            spec,
            None,
            now,
            &Limits::default(),
            &Default::default(),
        )
        .unwrap();
        self.commit(now, decision).0
    }

    fn time_pass(&mut self, now: DateTime<Utc>) -> (Vec<Event>, decide::TimeOutcome) {
        let decision = decide::time_pass(&self.state, now);
        self.commit(now, decision)
    }

    fn tactical_pass(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let decision = decide::tactical_pass(&self.state, now);
        self.commit(now, decision).0
    }

    fn ack(&mut self, now: DateTime<Utc>, who: &str, id: &AlertId) -> Vec<Event> {
        let decision = decide::acknowledge_alert(&self.state, &party(who), &id.0, now).unwrap();
        self.commit(now, decision).0
    }

    fn report(&mut self, owner: &str, reports: Vec<TrackReport>) {
        let now = self.log.last().map_or(t0(), |(time, _)| *time);
        let decision = decide::report_positions(
            &self.state,
            &party(owner),
            reports.into_iter().enumerate().collect(),
            now,
            &decide::ReportWindow::default(),
        );
        self.commit(now, decision);
    }

    fn open_ids(&self) -> Vec<AlertId> {
        self.state.open_alerts().map(|a| a.id.clone()).collect()
    }

    /// Replays the log from empty: the state must be the same.
    fn replayed(&self) -> State {
        let mut state = State::new();
        for (time, event) in &self.log {
            state.apply(*time, event);
        }
        state
    }
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}

/// A circle of 10 km around (lon, lat), 5–8 km up, over [start, end) seconds from t0.
fn plan(lon: f64, lat: f64, start_s: f64, end_s: f64) -> OperationSpec {
    OperationSpec {
        priority: 0,
        mission_type: MissionType::Patrol,
        domain: Domain::Air,
        callsign: None,
        volumes: vec![Volume4dSpec {
            footprint: FootprintSpec::Circle {
                center: vec![lon, lat],
                radius_m: 10_000.0,
            },
            altitude_lower_m: 5_000.0,
            altitude_upper_m: 8_000.0,
            time_start: at(start_s),
            time_end: at(end_s),
        }],
    }
}

/// Blue and red plans over the same place; the overlap is [overlap_start, overlap_end).
fn conflicting_pair(world: &mut World, overlap_start_s: f64, overlap_end_s: f64) -> AlertId {
    world.file(
        t0(),
        "blue",
        "b1",
        plan(36.0, 35.0, overlap_start_s - 600.0, overlap_end_s),
    );
    let events = world.file(
        t0(),
        "red",
        "r1",
        plan(36.05, 35.0, overlap_start_s, overlap_end_s + 600.0),
    );
    let raised: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::AlertRaised { alert } => Some(alert.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        raised.len(),
        1,
        "one strategic alert raised: {:?}",
        kinds(&events)
    );
    raised[0].clone()
}

#[test]
fn a_strategic_alert_resolves_as_past_when_its_overlap_window_has_passed() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 3_600.0, 7_200.0);
    // Everyone acknowledges so that only time acts.
    world.ack(t0(), "blue", &id);
    world.ack(t0(), "red", &id);
    let (events, _) = world.time_pass(at(7_199.999));
    assert!(
        events.is_empty(),
        "nothing before the overlap ends: {:?}",
        kinds(&events)
    );
    let (events, outcome) = world.time_pass(at(7_200.0));
    // Blue's window closes with the overlap: blue's operation ends too.
    assert_eq!(
        kinds(&events),
        ["alert_resolved", "operation_state_changed"]
    );
    assert_eq!(outcome.alerts_past, 1);
    let alert = world.state.alert(&id).unwrap();
    assert_eq!(alert.state, AlertState::Resolved);
    assert_eq!(alert.resolved_reason.as_deref(), Some(PAST));
    assert_eq!(alert.resolved_at, Some(at(7_200.0)));
    // Red's plan runs on to 7,800 s: nothing further happens before.
    let (events, _) = world.time_pass(at(7_799.0));
    assert!(events.is_empty());
}

#[test]
fn an_operation_whose_last_window_closed_ends_by_itself_and_its_alerts_resolve() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 3_600.0, 7_200.0);
    let blue = OperationKey {
        owner: party("blue"),
        id: "b1".into(),
    };
    let red = OperationKey {
        owner: party("red"),
        id: "r1".into(),
    };
    let (events, outcome) = world.time_pass(at(7_200.0));
    // The overlap ended at the same instant as blue's plan: the alert is past, blue is ended.
    assert_eq!(
        kinds(&events),
        ["alert_resolved", "operation_state_changed"]
    );
    assert_eq!(outcome.operations_ended, 1);
    assert_eq!(
        world.state.operation(&blue).unwrap().state,
        OperationState::Ended
    );
    assert_eq!(
        world.state.alert(&id).unwrap().resolved_reason.as_deref(),
        Some(PAST)
    );
    assert_eq!(
        world.state.operation(&red).unwrap().state,
        OperationState::Filed
    );
    let (events, outcome) = world.time_pass(at(7_800.0));
    assert_eq!(kinds(&events), ["operation_state_changed"]);
    assert_eq!(outcome.operations_ended, 1);
    assert_eq!(
        world.state.operation(&red).unwrap().state,
        OperationState::Ended
    );
    // Ended plans take no part in detection: a new plan over the same place conflicts with none.
    let events = world.file(at(7_900.0), "green", "g1", plan(36.0, 35.0, 0.0, 9_000.0));
    assert!(
        events.iter().all(|e| e.kind() == "operation_filed"),
        "{:?}",
        kinds(&events)
    );
    let (events, _) = world.time_pass(at(100_000.0));
    assert_eq!(kinds(&events), ["operation_state_changed"], "green's, once");
    let (events, _) = world.time_pass(at(200_000.0));
    assert!(
        events.is_empty(),
        "each operation ends once: {:?}",
        kinds(&events)
    );
}

#[test]
fn an_unacknowledged_alert_escalates_to_warning_then_is_renotified_three_times_then_overdue() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 30.0 * 86_400.0, 31.0 * 86_400.0);
    assert_eq!(world.state.alert(&id).unwrap().severity, Severity::Advisory);
    let mut pushes = Vec::new();
    // Every second for two hours: only the due ones act.
    for second in 1..=7_200 {
        let (events, _) = world.time_pass(at(f64::from(second)));
        for event in events {
            pushes.push((second, event.kind()));
        }
    }
    assert_eq!(
        pushes,
        [
            (300, "alert_escalated"),  // advisory → caution after 300 s
            (600, "alert_escalated"),  // caution → warning after 300 s more
            (660, "alert_renotified"), // first re-notification at the warning deadline, 60 s
            (960, "alert_renotified"), // then every 300 s
            (1_260, "alert_renotified"),
        ]
    );
    let alert = world.state.alert(&id).unwrap();
    assert_eq!(alert.effective_severity(), Severity::Warning);
    assert_eq!(
        alert.state,
        AlertState::Open,
        "still open: nobody acknowledged"
    );
    let view = release::alert_view(&world.state, alert, &party("blue")).unwrap();
    assert!(view.overdue, "marked overdue");
    assert_eq!(view.renotifications, 3);
    assert_eq!(view.escalations, 2);
    let (events, _) = world.time_pass(at(20.0 * 86_400.0));
    assert!(events.is_empty(), "no further events: {:?}", kinds(&events));
    assert_eq!(world.state.queue_lengths().0, 0, "no deadline left queued");
}

#[test]
fn acknowledgement_by_every_recipient_stops_escalation_and_one_is_not_enough() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 30.0 * 86_400.0, 31.0 * 86_400.0);
    world.ack(at(10.0), "blue", &id);
    let (events, _) = world.time_pass(at(300.0));
    assert_eq!(
        kinds(&events),
        ["alert_escalated"],
        "red has not acknowledged"
    );
    world.ack(at(301.0), "red", &id);
    let (events, _) = world.time_pass(at(86_400.0));
    assert!(events.is_empty(), "{:?}", kinds(&events));
    assert_eq!(
        world.ack(at(86_401.0), "red", &id),
        Vec::<Event>::new(),
        "acknowledging twice logs nothing"
    );
}

#[test]
fn an_agreement_sets_the_deadlines_and_the_number_of_renotifications() {
    let mut world = World::new();
    let params = AgreementParams {
        ack_deadline_s: 30.0,
        ack_deadline_warning_s: 10.0,
        renotify_interval_s: 20.0,
        renotify_limit: 1,
        ..AgreementParams::default()
    };
    let decision = decide::propose_agreement(
        &world.state,
        &party("blue"),
        "a1",
        vec![party("blue"), party("red")],
        params,
        t0(),
    )
    .unwrap();
    world.commit(t0(), decision);
    let decision = decide::act_on_agreement(
        &world.state,
        &party("red"),
        "a1",
        decide::AgreementAction::Accept,
    )
    .unwrap();
    world.commit(t0(), decision);
    let id = conflicting_pair(&mut world, 30.0 * 86_400.0, 31.0 * 86_400.0);
    let mut pushes = Vec::new();
    for second in 1..=600 {
        for event in world.time_pass(at(f64::from(second))).0 {
            pushes.push((second, event.kind()));
        }
    }
    assert_eq!(
        pushes,
        [
            (30, "alert_escalated"),
            (60, "alert_escalated"),
            (70, "alert_renotified")
        ]
    );
    assert!(lifecycle::overdue(
        world.state.alert(&id).unwrap(),
        &world.state.alert_params(world.state.alert(&id).unwrap())
    ));
}

#[test]
fn an_agreement_coming_into_force_moves_deadlines_already_queued() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 30.0 * 86_400.0, 31.0 * 86_400.0);
    let params = AgreementParams {
        ack_deadline_s: 3_600.0,
        ..AgreementParams::default()
    };
    // Proposed only (red never accepts): not in force, so it moves nothing...
    let decision = decide::propose_agreement(
        &world.state,
        &party("blue"),
        "a1",
        vec![party("blue"), party("red")],
        params,
        t0(),
    )
    .unwrap();
    world.commit(t0(), decision);
    // ...and neither does a stricter one until it is in force.
    let strict = AgreementParams {
        ack_deadline_s: 100.0,
        ..AgreementParams::default()
    };
    let decision = decide::propose_agreement(
        &world.state,
        &party("blue"),
        "a2",
        vec![party("blue"), party("red")],
        strict,
        t0(),
    )
    .unwrap();
    world.commit(t0(), decision);
    let (events, _) = world.time_pass(at(100.0));
    assert!(events.is_empty(), "not in force before red accepts");
    let decision = decide::act_on_agreement(
        &world.state,
        &party("red"),
        "a2",
        decide::AgreementAction::Accept,
    )
    .unwrap();
    world.commit(at(101.0), decision);
    let (events, _) = world.time_pass(at(101.0));
    assert_eq!(
        kinds(&events),
        ["alert_escalated"],
        "the new deadline (100 s) has passed"
    );
    assert_eq!(world.state.alert(&id).unwrap().escalations, 1);
}

#[test]
fn a_resolved_alert_is_never_escalated() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 3_600.0, 7_200.0);
    let decision = decide::change_operation_state(
        &world.state,
        &party("red"),
        "r1",
        Transition::Cancel,
        None,
        at(5.0),
    )
    .unwrap();
    let (events, _) = world.commit(at(5.0), decision);
    assert_eq!(
        kinds(&events),
        ["operation_state_changed", "alert_resolved"]
    );
    assert_eq!(world.state.alert(&id).unwrap().state, AlertState::Resolved);
    for second in [300.0, 600.0, 7_200.0, 86_400.0] {
        let (events, _) = world.time_pass(at(second));
        assert!(
            events.iter().all(|e| e.kind() == "operation_state_changed"),
            "only blue's plan ends: {:?}",
            kinds(&events)
        );
    }
    assert_eq!(world.state.alert(&id).unwrap().escalations, 0);
}

#[test]
fn every_alert_event_carries_the_alert_exactly_as_the_state_holds_it_after() {
    let mut world = World::new();
    let id = conflicting_pair(&mut world, 30.0 * 86_400.0, 31.0 * 86_400.0);
    world.ack(at(1.0), "blue", &id);
    for second in 1..=1_300 {
        world.time_pass(at(f64::from(second)));
    }
    let decision = decide::change_operation_state(
        &world.state,
        &party("red"),
        "r1",
        Transition::Cancel,
        None,
        at(1_301.0),
    )
    .unwrap();
    world.commit(at(1_301.0), decision);
    let mut state = State::new();
    let mut checked = Vec::new();
    for (time, event) in &world.log {
        state.apply(*time, event);
        let (id, carried) = match event {
            Event::AlertRaised { alert } | Event::AlertUpdated { alert } => {
                (&alert.id, Some(alert))
            }
            Event::AlertRenotified { id, alert, .. } => (id, Some(alert.as_ref())),
            Event::AlertResolved { id, alert, .. }
            | Event::AlertAcknowledged { id, alert, .. }
            | Event::AlertEscalated { id, alert, .. } => (id, alert.as_deref()),
            _ => continue,
        };
        assert_eq!(
            carried,
            state.alert(id),
            "{} carries the alert as applied",
            event.kind()
        );
        checked.push(event.kind());
    }
    assert_eq!(
        checked,
        [
            "alert_raised",
            "alert_acknowledged",
            "alert_escalated",
            "alert_escalated",
            "alert_renotified",
            "alert_renotified",
            "alert_renotified",
            "alert_resolved"
        ]
    );
    assert_eq!(
        format!("{:?}", world.replayed().alert(&id)),
        format!("{:?}", world.state.alert(&id)),
        "replay rebuilds the same alert"
    );
}

#[test]
fn a_condition_that_clears_and_returns_is_a_new_alert_with_the_next_generation_id() {
    let mut world = World::new();
    let first = conflicting_pair(&mut world, 3_600.0, 7_200.0);
    // Red moves away: cleared.
    let events = world.file(at(1.0), "red", "r1", plan(40.0, 35.0, 3_600.0, 7_800.0));
    assert_eq!(kinds(&events), ["operation_filed", "alert_resolved"]);
    let resolved = world.state.alert(&first).unwrap();
    assert_eq!(
        resolved.resolved_reason.as_deref(),
        Some("the plans no longer conflict")
    );
    // And back: a new alert, id with `-2`; then `-3`.
    for generation in [2, 3] {
        let events = world.file(at(2.0), "red", "r1", plan(36.05, 35.0, 3_600.0, 7_800.0));
        let Event::AlertRaised { alert } = &events[1] else {
            panic!("raised: {:?}", kinds(&events))
        };
        assert_eq!(alert.id.0, format!("{}-{generation}", first.0));
        world.file(at(3.0), "red", "r1", plan(40.0, 35.0, 3_600.0, 7_800.0));
    }
    assert_eq!(
        world.replayed().fresh_alert_id(
            &lifecycle::Condition::of(&world.state.alert(&first).unwrap().detail).unwrap()
        ),
        AlertId(format!("{}-4", first.0)),
        "the generation count is part of the replayed state"
    );
}

fn report(id: &str, time: DateTime<Utc>, lon: f64, track_deg: f64) -> TrackReport {
    TrackReport {
        track_id: id.to_owned(),
        motion: Motion {
            time,
            lat_deg: 35.0,
            lon_deg: lon,
            altitude_m: 6_000.0,
            ground_speed_mps: 200.0,
            track_deg,
            vertical_rate_mps: 0.0,
        },
        operation_id: None,
        callsign: None,
        domain: Default::default(),
        vessel: None,
    }
}

#[test]
fn a_tactical_alert_is_updated_not_repeated_and_resolves_when_a_track_is_lost() {
    let mut world = World::new();
    // Head-on, 40 km apart at 400 m/s closing: loss of separation in about 77 s.
    world.report("blue", vec![report("B1", t0(), 35.78, 90.0)]);
    world.report("red", vec![report("R1", t0(), 36.22, 270.0)]);
    let events = world.tactical_pass(t0());
    assert_eq!(kinds(&events), ["alert_raised"]);
    let id = world.open_ids()[0].clone();
    assert_eq!(
        world.state.alert(&id).unwrap().kind,
        AlertKind::TacticalConflict
    );
    // One second later the figures barely moved (by the same extrapolation): nothing logged.
    let events = world.tactical_pass(at(1.0));
    assert!(events.is_empty(), "{:?}", kinds(&events));
    // Twenty seconds later the time to LoS moved by 20 s: updated, same id.
    let events = world.tactical_pass(at(20.0));
    assert_eq!(kinds(&events), ["alert_updated"]);
    assert_eq!(world.open_ids(), vec![id.clone()]);
    // Nobody reports: after 30 s the tracks are lost and the alert resolves.
    let events = world.tactical_pass(at(31.0));
    assert_eq!(kinds(&events), ["tracks_lost", "alert_resolved"]);
    let alert = world.state.alert(&id).unwrap();
    assert_eq!(alert.state, AlertState::Resolved);
    assert_eq!(
        alert.resolved_reason.as_deref(),
        Some("a track was lost (no report for 30 s)")
    );
    assert!(world.state.live_tracks().next().is_none());
    let events = world.tactical_pass(at(32.0));
    assert!(events.is_empty());
}

#[test]
fn the_open_count_and_queues_follow_every_change_and_survive_replay() {
    let mut world = World::new();
    let ids: Vec<AlertId> = (0..5)
        .map(|i| {
            let lon = 30.0 + f64::from(i);
            world.file(
                t0(),
                "blue",
                &format!("b{i}"),
                plan(lon, 35.0, 0.0, 3_600.0 * f64::from(i + 1)),
            );
            let events = world.file(
                t0(),
                "red",
                &format!("r{i}"),
                plan(lon, 35.0, 0.0, 3_600.0 * f64::from(i + 1)),
            );
            let Event::AlertRaised { alert } = &events[1] else {
                panic!()
            };
            alert.id.clone()
        })
        .collect();
    assert_eq!(world.state.open_alert_count(), 5);
    assert_eq!(world.state.queue_lengths(), (5, 5, 10));
    world.ack(at(1.0), "blue", &ids[0]);
    world.ack(at(1.0), "red", &ids[0]);
    assert_eq!(world.state.queue_lengths(), (4, 5, 10));
    world.time_pass(at(3_600.0));
    assert_eq!(world.state.open_alert_count(), 4);
    assert_eq!(world.state.queue_lengths(), (4, 4, 8));
    let replayed = world.replayed();
    assert_eq!(replayed.open_alert_count(), world.state.open_alert_count());
    assert_eq!(replayed.queue_lengths(), world.state.queue_lengths());
    world.time_pass(at(5.0 * 3_600.0));
    assert_eq!(world.state.open_alert_count(), 0);
    assert_eq!(world.state.queue_lengths(), (0, 0, 0));
}

#[test]
fn a_backlog_of_deadlines_is_worked_off_over_several_passes_never_more_than_the_bound_each() {
    let mut world = World::new();
    // 700 alerts raised at t0, nobody acknowledging; no pass runs for an hour (a restart).
    for i in 0..700 {
        let lon = -170.0 + f64::from(i % 100) * 3.0;
        let lat = -60.0 + f64::from(i / 100) * 15.0;
        world.file(t0(), "blue", &format!("b{i}"), plan_at(lon, lat));
        world.file(t0(), "red", &format!("r{i}"), plan_at(lon, lat));
    }
    assert_eq!(world.state.open_alert_count(), 700);
    let (first, _) = world.time_pass(at(3_600.0));
    assert_eq!(first.len(), decide::TIME_PASS_MAX_EVENTS);
    let (second, _) = world.time_pass(at(3_601.0));
    assert_eq!(second.len(), 700 - decide::TIME_PASS_MAX_EVENTS);
    assert!(
        world.state.alerts().all(|alert| alert.escalations == 1),
        "each escalated once, the backlog in two passes"
    );
    let (third, _) = world.time_pass(at(3_602.0));
    assert!(
        third.is_empty(),
        "the next deadlines are 300 s after each escalation"
    );
}

/// A plan a day ahead at (lon, lat).
fn plan_at(lon: f64, lat: f64) -> OperationSpec {
    plan(lon, lat, 86_400.0, 90_000.0)
}

#[test]
fn zone_and_site_alerts_resolve_as_past_when_the_last_volume_near_them_has_ended() {
    use deconflict_engine::site::{SiteGeometry, SiteKind, SiteSpec};
    use deconflict_engine::zone::{Enforcement, Schedule, ZoneRule, ZoneSpec};
    let mut world = World::new();
    for (id, role) in [("icrc", Role::Humanitarian), ("iraq", Role::Authority)] {
        let decision =
            decide::register_party(&world.state, &Actor::Admin, id, id, role, format!("h-{id}"))
                .unwrap();
        world.commit(t0(), decision);
    }
    let site = SiteSpec {
        name: "Hospital".to_owned(),
        kind: SiteKind::Hospital,
        geometry: SiteGeometry::Point {
            coordinates: vec![44.0, 33.0],
        },
        buffer_m: 2_000.0,
        schedule: Schedule::default(),
        description: None,
    };
    let decision = decide::publish_site(
        &world.state,
        &party("icrc"),
        "h1",
        site,
        t0(),
        &Limits::default(),
    )
    .unwrap();
    world.commit(t0(), decision);
    let zone = ZoneSpec {
        name: "Notified area".to_owned(),
        footprint: FootprintSpec::Circle {
            center: vec![44.0, 33.0],
            radius_m: 50_000.0,
        },
        altitude_lower_m: 0.0,
        altitude_upper_m: 20_000.0,
        schedule: Schedule::default(),
        enforcement: Enforcement::Advisory,
        rules: vec![ZoneRule::Notify],
        heights: None,
    };
    let decision = decide::publish_zone(
        &world.state,
        &party("iraq"),
        "z1",
        zone,
        t0(),
        &Limits::default(),
    )
    .unwrap();
    world.commit(t0(), decision);
    // Two volumes over the hospital: the second ends at 7,200 s.
    let mut spec = plan(44.0, 33.0, 0.0, 3_600.0);
    let mut later = spec.volumes[0].clone();
    later.time_start = at(5_000.0);
    later.time_end = at(7_200.0);
    spec.volumes.push(later);
    let events = world.file(t0(), "blue", "b1", spec);
    assert_eq!(
        kinds(&events),
        ["operation_filed", "alert_raised", "alert_raised"],
        "a zone alert and a site alert"
    );
    for id in world.open_ids() {
        for who in world.state.alert(&id).unwrap().recipients.clone() {
            world.ack(t0(), &who.0, &id);
        }
    }
    let (events, _) = world.time_pass(at(3_600.0));
    assert!(
        events.is_empty(),
        "the second volume is still to come: {:?}",
        kinds(&events)
    );
    let (events, outcome) = world.time_pass(at(7_200.0));
    assert_eq!(outcome.alerts_past, 2);
    assert_eq!(outcome.operations_ended, 1);
    assert_eq!(
        kinds(&events),
        [
            "alert_resolved",
            "alert_resolved",
            "operation_state_changed"
        ]
    );
    for alert in world.state.alerts() {
        assert_eq!(
            alert.resolved_reason.as_deref(),
            Some(PAST),
            "{:?}",
            alert.kind
        );
    }
}
