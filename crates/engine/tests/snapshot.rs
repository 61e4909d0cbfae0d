//! Snapshots (SPEC §8): the state from a snapshot taken after event k plus the replay of the
//! tail is the state from a full replay, compared by re-encoding both and by what the read
//! paths and the next decisions show; a corrupt, truncated or other-version blob is refused.

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor, AgreementAction, Decision, NewMessage, Transition};
use deconflict_engine::lifecycle::ConditionKind;
use deconflict_engine::snapshot::{self, SnapshotError, SnapshotPosition};
use deconflict_engine::Motion;
use deconflict_engine::{
    AgreementParams, Domain, Event, MissionType, OperationSpec, PartyId, Priority, Role, State,
    TrackReport,
};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
}

const PARTIES: [&str; 4] = ["blue", "red", "green", "gold"];

fn party(id: &str) -> PartyId {
    PartyId(id.to_owned())
}

/// A seeded random world driven through the engine's commands, its log kept as the server
/// keeps it.
struct World {
    state: State,
    log: Vec<(DateTime<Utc>, Event)>,
    now: DateTime<Utc>,
    rng: ChaCha8Rng,
}

impl World {
    fn new(seed: u64) -> World {
        let mut world = World {
            state: State::new(),
            log: Vec::new(),
            now: t0(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        for id in PARTIES {
            let decision = decide::register_party(
                &world.state,
                &Actor::Admin,
                id,
                id,
                Role::Operator,
                format!("hash-{id}"),
            );
            world.commit(decision);
        }
        let params = AgreementParams {
            ack_deadline_s: 120.0,
            ..AgreementParams::default()
        };
        let proposed = decide::propose_agreement(
            &world.state,
            &party("blue"),
            "a-blue-red",
            vec![party("blue"), party("red")],
            params,
            world.now,
        );
        world.commit(proposed);
        let accepted = decide::act_on_agreement(
            &world.state,
            &party("red"),
            "a-blue-red",
            AgreementAction::Accept,
        );
        world.commit(accepted);
        world
    }

    fn commit<T, E>(&mut self, decision: Result<Decision<T>, E>) {
        if let Ok(decision) = decision {
            for event in decision.events {
                self.state.apply(self.now, &event);
                self.log.push((self.now, event));
            }
        }
    }

    fn pick_party(&mut self) -> PartyId {
        party(PARTIES[self.rng.random_range(0..PARTIES.len())])
    }

    /// One random step: a filing, a state change, position reports, a pass, an
    /// acknowledgement, a message or an agreement action; time moves on a little.
    fn step(&mut self) {
        self.now += Duration::milliseconds(self.rng.random_range(200..20_000));
        let now = self.now;
        let owner = self.pick_party();
        match self.rng.random_range(0..100) {
            0..=14 => {
                let id = format!("op{}", self.rng.random_range(0..12));
                let spec = self.plan();
                let decision = decide::file_operation(
                    &self.state,
                    &owner,
                    &id,
                    spec,
                    None,
                    now,
                    &Limits::default(),
                    &decide::OperationHorizon::default(),
                );
                self.commit(decision);
            }
            15..=19 => {
                let id = format!("op{}", self.rng.random_range(0..12));
                let transition = [Transition::Activate, Transition::End, Transition::Cancel]
                    [self.rng.random_range(0..3)];
                let decision =
                    decide::change_operation_state(&self.state, &owner, &id, transition, None, now);
                self.commit(decision);
            }
            20..=54 => {
                let reports = (0..self.rng.random_range(1..6))
                    .map(|_| self.report(&owner))
                    .enumerate()
                    .collect();
                let decision = decide::report_positions(
                    &self.state,
                    &owner,
                    reports,
                    now,
                    &decide::ReportWindow::default(),
                );
                self.commit::<_, ()>(Ok(decision));
            }
            55..=69 => {
                let decision = decide::tactical_pass(&self.state, now);
                self.commit::<_, ()>(Ok(decision));
            }
            70..=84 => {
                self.now += Duration::seconds(self.rng.random_range(0..400));
                let decision = decide::time_pass(&self.state, self.now);
                self.commit::<_, ()>(Ok(decision));
            }
            85..=92 => {
                let open: Vec<_> = self.state.open_alerts_for(&owner).cloned().collect();
                if !open.is_empty() {
                    let alert = &open[self.rng.random_range(0..open.len())];
                    let decision = decide::acknowledge_alert(&self.state, &owner, &alert.id.0, now);
                    self.commit(decision);
                }
            }
            93..=97 => {
                let to = self.pick_party();
                let message = NewMessage {
                    to: vec![to],
                    priority: Priority::Routine,
                    text: format!("step at {now}"),
                    reference: None,
                };
                let decision = decide::send_message(&self.state, &owner, message, now);
                self.commit(decision);
            }
            _ => {
                let action = [AgreementAction::Suspend, AgreementAction::Resume]
                    [self.rng.random_range(0..2)];
                let decision =
                    decide::act_on_agreement(&self.state, &party("red"), "a-blue-red", action);
                self.commit(decision);
            }
        }
    }

    /// A circle of a few km somewhere in a 40 km box, a window of minutes to an hour soon.
    fn plan(&mut self) -> OperationSpec {
        let start = self.now + Duration::seconds(self.rng.random_range(-600..1_800));
        let lower = self.rng.random_range(0.0..3_000.0);
        OperationSpec {
            priority: 0,
            mission_type: MissionType::Patrol,
            domain: Domain::Air,
            callsign: None,
            volumes: vec![Volume4dSpec {
                footprint: FootprintSpec::Circle {
                    center: vec![
                        36.0 + self.rng.random_range(0.0..0.4),
                        35.0 + self.rng.random_range(0.0..0.4),
                    ],
                    radius_m: self.rng.random_range(1_000.0..8_000.0),
                },
                altitude_lower_m: lower,
                altitude_upper_m: lower + self.rng.random_range(100.0..2_000.0),
                time_start: start,
                time_end: start + Duration::seconds(self.rng.random_range(300..3_600)),
            }],
        }
    }

    /// A track of `owner` (a few each) somewhere in the same box, some flying for a plan.
    fn report(&mut self, owner: &PartyId) -> TrackReport {
        let operation_id = match self.rng.random_range(0..4) {
            0 => Some(format!("op{}", self.rng.random_range(0..12))),
            _ => None,
        };
        TrackReport {
            track_id: format!("{}-t{}", owner.0, self.rng.random_range(0..5)),
            motion: Motion {
                time: self.now,
                lat_deg: 35.0 + self.rng.random_range(0.0..0.4),
                lon_deg: 36.0 + self.rng.random_range(0.0..0.4),
                altitude_m: self.rng.random_range(0.0..3_000.0),
                ground_speed_mps: self.rng.random_range(20.0..120.0),
                track_deg: self.rng.random_range(0.0..360.0),
                vertical_rate_mps: self.rng.random_range(-5.0..5.0),
            },
            operation_id,
            callsign: Some(format!("C{}", self.rng.random_range(0..99))),
            domain: Default::default(),
            vessel: None,
        }
    }
}

fn replay(log: &[(DateTime<Utc>, Event)]) -> State {
    let mut state = State::new();
    for (time, event) in log {
        state.apply(*time, event);
    }
    state
}

fn position(seq: usize) -> SnapshotPosition {
    SnapshotPosition {
        seq: seq as u64,
        head_hash: format!("{seq:064x}"),
    }
}

/// What a party reads and what the next passes would decide, as comparable text.
fn read_paths(state: &State, now: DateTime<Utc>) -> Vec<String> {
    let mut seen = Vec::new();
    for id in PARTIES {
        let party = party(id);
        seen.push(format!(
            "{id} open {:?}",
            state.open_alerts_for(&party).collect::<Vec<_>>()
        ));
        seen.push(format!(
            "{id} resolved {:?}",
            state.resolved_alerts_for(&party).collect::<Vec<_>>()
        ));
        let operations: Vec<_> = state
            .operations_of(&party)
            .map(|op| (op.key.clone(), op.state, op.version, op.volumes.clone()))
            .collect();
        seen.push(format!("{id} operations {operations:?}"));
        seen.push(format!(
            "{id} token {:?}",
            state.party_by_token_hash(&format!("hash-{id}"))
        ));
    }
    seen.push(format!("tracks {:?}", state.tracks().collect::<Vec<_>>()));
    seen.push(format!(
        "live {:?}",
        state.live_tracks().collect::<Vec<_>>()
    ));
    seen.push(format!("queues {:?}", state.queue_lengths()));
    for kind in [
        ConditionKind::Strategic,
        ConditionKind::Tactical,
        ConditionKind::Nonconformance,
    ] {
        seen.push(format!(
            "{kind:?} {:?}",
            state
                .open_alerts_of_kind(kind)
                .map(|a| &a.id)
                .collect::<Vec<_>>()
        ));
    }
    seen.push(format!("index {}", state.index().len()));
    seen.push(format!(
        "messages {:?}",
        state.messages().collect::<Vec<_>>()
    ));
    // What the engine would decide next, over the next hour.
    for minutes in [0, 1, 5, 30, 60] {
        let later = now + Duration::minutes(minutes);
        seen.push(format!(
            "tactical {:?}",
            decide::tactical_pass(state, later).events
        ));
        seen.push(format!("time {:?}", decide::time_pass(state, later).events));
    }
    seen
}

#[test]
fn snapshot_then_tail_equals_full_replay_at_every_cut_of_random_logs() {
    for seed in 0..4 {
        let mut world = World::new(seed);
        for _ in 0..600 {
            world.step();
        }
        let log = &world.log;
        assert!(log.len() > 300, "seed {seed}: {} events", log.len());
        let kinds: std::collections::BTreeSet<_> = log.iter().map(|(_, e)| e.kind()).collect();
        for kind in [
            "alert_raised",
            "alert_resolved",
            "positions_reported",
            "message_sent",
        ] {
            assert!(kinds.contains(kind), "seed {seed} has no {kind}: {kinds:?}");
        }
        let full = replay(log);
        let full_bytes = snapshot::encode(&full, &position(log.len())).unwrap();
        let step = (log.len() / 7).max(1);
        for k in (0..=log.len()).step_by(step).chain([log.len()]) {
            let at_k = replay(&log[..k]);
            let bytes = snapshot::encode(&at_k, &position(k)).unwrap();
            let (read_at, mut restored) = snapshot::decode(&bytes).unwrap();
            assert_eq!(read_at, position(k));
            assert_eq!(
                snapshot::encode(&restored, &position(k)).unwrap(),
                bytes,
                "seed {seed}, k {k}: a decoded snapshot re-encodes to the same bytes"
            );
            for (time, event) in &log[k..] {
                restored.apply(*time, event);
            }
            assert_eq!(restored.events_applied(), full.events_applied());
            assert!(
                snapshot::encode(&restored, &position(log.len())).unwrap() == full_bytes,
                "seed {seed}, k {k}: snapshot + tail encodes differently from full replay"
            );
            assert_eq!(
                read_paths(&restored, world.now),
                read_paths(&full, world.now),
                "seed {seed}, k {k}: read paths differ"
            );
        }
    }
}

#[test]
fn a_corrupt_truncated_or_other_version_snapshot_is_refused() {
    let mut world = World::new(9);
    for _ in 0..200 {
        world.step();
    }
    let bytes = snapshot::encode(&world.state, &position(world.log.len())).unwrap();
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert_eq!(
        snapshot::decode(&flipped).err(),
        Some(SnapshotError::DigestMismatch)
    );
    let mut moved = bytes.clone();
    moved[12] ^= 0x01; // the seq: covered by the digest too
    assert_eq!(
        snapshot::decode(&moved).err(),
        Some(SnapshotError::DigestMismatch)
    );
    assert!(matches!(
        snapshot::decode(&bytes[..bytes.len() - 10]),
        Err(SnapshotError::Truncated { .. })
    ));
    assert_eq!(
        snapshot::decode(&bytes[..20]).err(),
        Some(SnapshotError::NotASnapshot)
    );
    let mut other = bytes.clone();
    other[8..12].copy_from_slice(&(snapshot::FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(
        snapshot::read_header(&other).err(),
        Some(SnapshotError::OtherVersion {
            found: snapshot::FORMAT_VERSION + 1,
            supported: snapshot::FORMAT_VERSION
        })
    );
}
