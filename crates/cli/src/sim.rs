//! `deconflict sim`: a deterministic soak ("a week in a minute").
//!
//! The real engine and the real SQLite store are driven through [`App::execute`], exactly as
//! the HTTP routes drive them, but under a simulated clock: a seeded multi-party week of
//! filings, replacements, cancellations, activations, live tracks (some leaving their plan,
//! some converging on another party's), acknowledgements (`p1` acknowledges every alert within
//! a minute, `p2` half of them, the others never) and an agreement suspended and resumed once a
//! day. The tactical and escalation passes run every `tick` simulated seconds while tracks fly;
//! idle time is skipped a minute at a time.
//!
//! One row per simulated hour: the events logged in it by kind, the log's size, the open alerts
//! at its end, and (wall-clock, not deterministic) command latency and pass time. Every random
//! choice comes from one `ChaCha8Rng` seeded with `seed`, so with `--no-timings` two runs with
//! one seed print the same bytes.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use deconflict_engine::decide::{self, Actor, AgreementAction, Decision, Transition};
use deconflict_engine::{
    AgreementParams, AlertId, AlertState, Domain, EngineError, Event, MissionType, OperationId,
    OperationKey, OperationSpec, OperationState, PartyId, Role, State,
};
use deconflict_geometry::{FootprintSpec, Volume4dSpec};
use deconflict_server::app::{Clock, CommandError};
use deconflict_server::{App, Config};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::simulate::{Flight, Motion, SimTrack};

/// What to simulate and how to report it.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub days: u32,
    pub parties: usize,
    /// Simulated seconds between two passes while tracks fly.
    pub tick_s: u32,
    /// Simulated seconds between two position reports of a track.
    pub report_s: u32,
    /// The database file (must not exist yet); a temporary one otherwise.
    pub database: Option<PathBuf>,
    /// Print the wall-clock columns (otherwise `-`, so the output is deterministic).
    pub timings: bool,
    pub progress: bool,
}

/// When the simulated week starts (a Monday).
const START: &str = "2030-01-07T00:00:00Z";
/// The region: a 300 km × 300 km box in the eastern Mediterranean, `[lon, lat]`.
const REGION_SW: [f64; 2] = [32.0, 33.0];
const REGION_SIZE_M: f64 = 300_000.0;
/// Passes while nothing flies: once a simulated minute.
const IDLE_STEP_S: i64 = 60;
/// The longest a simulated flight lasts.
const FLIGHT_MAX_S: i64 = 90 * 60;
const US: i64 = 1_000_000;
const HOUR_US: i64 = 3600 * US;
const M_PER_DEG_LAT: f64 = 111_320.0;

/// The event kinds with a column of their own; any other kind goes to `other`.
const COLUMNS: [(&str, &str); 10] = [
    ("operation_filed", "filed"),
    ("operation_state_changed", "state"),
    ("alert_raised", "raised"),
    ("alert_updated", "updated"),
    ("alert_resolved", "resolvd"),
    ("alert_escalated", "escal"),
    ("alert_renotified", "renot"),
    ("alert_acknowledged", "acked"),
    ("positions_reported", "posns"),
    ("tracks_lost", "lost"),
];

/// A scheduled command of a party (or of the simulation itself).
#[derive(Debug, Clone)]
enum Action {
    /// Plan the hour's new filings of every party.
    PlanHour,
    File {
        party: usize,
    },
    Replace {
        party: usize,
        op: String,
    },
    Cancel {
        party: usize,
        op: String,
    },
    Activate {
        party: usize,
        op: String,
    },
    End {
        party: usize,
        op: String,
    },
    Ack {
        party: usize,
        alert: AlertId,
    },
    Agreement(AgreementAction),
}

/// What the simulation remembers of an operation it filed (for flights and replacements).
#[derive(Debug, Clone)]
struct Plan {
    centre: [f64; 2],
    /// A circle around `centre` of this radius lies inside the footprint.
    inner_radius_m: f64,
    lower_m: f64,
    upper_m: f64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// A track being flown: from `from_us` to `until_us` (simulated µs since the start).
#[derive(Debug, Clone)]
struct Flying {
    party: usize,
    flight: Flight,
    from_us: i64,
    until_us: i64,
    /// Where and how high it mostly flies (the target of converging flights).
    centre: [f64; 2],
    altitude_m: f64,
}

/// One simulated hour's figures.
#[derive(Debug, Clone, Default)]
struct Hour {
    kinds: BTreeMap<String, u64>,
    log_bytes: u64,
    open_alerts: usize,
    command_us: Vec<u64>,
    pass_us: Vec<u64>,
}

impl Hour {
    fn events(&self) -> u64 {
        self.kinds.values().sum()
    }
}

struct Sim {
    app: App,
    clock: Arc<AtomicI64>,
    start: DateTime<Utc>,
    rng: ChaCha8Rng,
    parties: Vec<PartyId>,
    hotspots: Vec<[f64; 2]>,
    /// Simulated µs since the start.
    now_us: i64,
    queue: BTreeMap<(i64, u64), Action>,
    queued: u64,
    next_op: Vec<u32>,
    plans: BTreeMap<(usize, String), Plan>,
    flying: BTreeMap<String, Flying>,
    next_report_us: i64,
    /// Events of the log already counted.
    counted_seq: u64,
    applied: u64,
    current: Hour,
    hours: Vec<Hour>,
    refused: u64,
    /// Alerts raised over the run, by alert kind.
    raised: BTreeMap<String, u64>,
    database: PathBuf,
}

pub fn run(options: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.parties >= 1, "--parties must be at least 1");
    anyhow::ensure!(options.days >= 1, "--days must be at least 1");
    anyhow::ensure!(options.tick_s >= 1, "--tick must be at least 1 second");
    anyhow::ensure!(options.report_s >= 1, "--report must be at least 1 second");
    // Every append is a durable transaction; on a disk, fsync would dominate the run (a few
    // ms each, hundreds of thousands of appends a week), so the temporary database lives on
    // tmpfs when there is one and measures the engine and SQLite, not the device.
    let shm = Path::new("/dev/shm");
    let (directory, storage) = if options.database.is_none() && shm.is_dir() {
        (
            tempfile::Builder::new()
                .prefix("deconflict-sim")
                .tempdir_in(shm),
            "a temporary file on tmpfs (/dev/shm; fsync costs nothing)".to_owned(),
        )
    } else {
        (tempfile::tempdir(), "a temporary file".to_owned())
    };
    let directory = directory.context("cannot create a temporary directory")?;
    let (database, storage) = match &options.database {
        Some(path) => {
            anyhow::ensure!(
                !path.exists(),
                "{} exists; the simulation needs a new database",
                path.display()
            );
            (path.clone(), path.display().to_string())
        }
        None => (directory.path().join("sim.db"), storage),
    };
    let started = Instant::now();
    let mut sim = Sim::new(options, database)?;
    let hours = options.days as usize * 24;
    let bar = if options.progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(hours as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] hour {pos}/{len} (eta {eta}) {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    sim.run(options, &bar)?;
    bar.finish_and_clear();
    print!("{}", report(options, &storage, &sim));
    if options.timings {
        println!(
            "wall-clock: {:.1} s for {} simulated days",
            started.elapsed().as_secs_f64(),
            options.days
        );
    }
    drop(sim);
    drop(directory);
    Ok(())
}

impl Sim {
    fn new(options: &Options, database: PathBuf) -> anyhow::Result<Sim> {
        let start: DateTime<Utc> = START.parse().expect("a valid start");
        let clock_us = Arc::new(AtomicI64::new(start.timestamp_micros()));
        let reader = clock_us.clone();
        let clock: Clock = Arc::new(move || {
            DateTime::from_timestamp_micros(reader.load(Ordering::SeqCst))
                .expect("simulated time within range")
        });
        let mut config = Config::new(database.clone(), "sim-admin-token-not-used".to_owned());
        config.tactical_interval = None;
        let log = deconflict_store::SqliteLog::open(&database)
            .with_context(|| format!("cannot open {}", database.display()))?;
        let app = App::with_log(config, Box::new(log), clock)
            .with_context(|| format!("cannot open {}", database.display()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let hotspots = (0..3).map(|_| random_point(&mut rng)).collect();
        let parties = (1..=options.parties)
            .map(|i| PartyId(format!("p{i}")))
            .collect();
        let mut sim = Sim {
            app,
            clock: clock_us,
            start,
            rng,
            parties,
            hotspots,
            now_us: 0,
            queue: BTreeMap::new(),
            queued: 0,
            next_op: vec![0; options.parties],
            plans: BTreeMap::new(),
            flying: BTreeMap::new(),
            next_report_us: 0,
            counted_seq: 0,
            applied: 0,
            current: Hour::default(),
            hours: Vec::new(),
            refused: 0,
            raised: BTreeMap::new(),
            database,
        };
        sim.set_up(options)?;
        Ok(sim)
    }

    fn now(&self) -> DateTime<Utc> {
        self.start + TimeDelta::microseconds(self.now_us)
    }

    fn schedule(&mut self, at_us: i64, action: Action) {
        self.queued += 1;
        self.queue
            .insert((at_us.max(self.now_us), self.queued), action);
    }

    /// Registers the parties, puts an agreement in force between `p1` and `p2`, and schedules
    /// every hour's planning (which schedules the rest, so a shorter run is a prefix of a
    /// longer one).
    fn set_up(&mut self, options: &Options) -> anyhow::Result<()> {
        for (index, party) in self.parties.clone().iter().enumerate() {
            let token_hash =
                deconflict_server::auth::hash_token(&format!("sim-{}-{}", options.seed, index));
            self.command(&Actor::Admin, |state, _| {
                decide::register_party(
                    state,
                    &Actor::Admin,
                    &party.0,
                    &format!("Party {}", index + 1),
                    Role::Operator,
                    token_hash.clone(),
                )
            })?;
        }
        if self.parties.len() >= 2 {
            let (a, b) = (self.parties[0].clone(), self.parties[1].clone());
            let params = AgreementParams {
                separation_horizontal_m: 12_000.0,
                ..AgreementParams::default()
            };
            self.command(&Actor::Party(a.clone()), |state, now| {
                decide::propose_agreement(
                    state,
                    &a,
                    "a-p1-p2",
                    vec![a.clone(), b.clone()],
                    params,
                    now,
                )
            })?;
            self.command(&Actor::Party(b.clone()), |state, _| {
                decide::act_on_agreement(state, &b, "a-p1-p2", AgreementAction::Accept)
            })?;
        }
        for hour in 0..i64::from(options.days) * 24 {
            self.schedule(hour * HOUR_US, Action::PlanHour);
        }
        Ok(())
    }

    /// Executes a command as the API would, timing it. A refusal is counted, not fatal.
    fn command<T>(
        &mut self,
        actor: &Actor,
        decide: impl FnMut(&State, DateTime<Utc>) -> Result<Decision<T>, EngineError>,
    ) -> anyhow::Result<Option<T>> {
        let began = Instant::now();
        let result = self.app.execute(actor, decide, |_, outcome| outcome);
        self.current
            .command_us
            .push(began.elapsed().as_micros() as u64);
        match result {
            Ok(outcome) => Ok(Some(outcome)),
            Err(CommandError::Refused(_)) => {
                self.refused += 1;
                Ok(None)
            }
            Err(error @ CommandError::Store(_)) => Err(error.into()),
        }
    }

    fn run(&mut self, options: &Options, bar: &ProgressBar) -> anyhow::Result<()> {
        let end_us = i64::from(options.days) * 24 * HOUR_US;
        let tick_us = i64::from(options.tick_s) * US;
        let report_us = i64::from(options.report_s) * US;
        let mut next_pass_us = 0;
        loop {
            let next_action = self.queue.keys().next().map(|(at, _)| *at);
            let action_first = next_action.is_some_and(|at| at <= next_pass_us);
            let at = if action_first {
                next_action.unwrap_or(next_pass_us)
            } else {
                next_pass_us
            };
            if at >= end_us {
                break;
            }
            self.advance_to(at, bar)?;
            if action_first {
                let (_, action) = self.queue.pop_first().expect("an action is due");
                self.act(action)?;
            } else {
                self.pass(report_us)?;
            }
            self.count_new_events()?;
            let busy = !self.flying.is_empty()
                || self
                    .app
                    .read(|state| state.tracks().any(|track| !track.lost));
            let step = if busy { tick_us } else { IDLE_STEP_S * US };
            if !action_first || busy {
                // The next pass: on the grid of the step, after now.
                let grid = (self.now_us / step + 1) * step;
                next_pass_us = if action_first {
                    next_pass_us.min(grid)
                } else {
                    grid
                };
            }
        }
        self.advance_to(end_us, bar)?;
        Ok(())
    }

    /// Moves the clock to `at_us`, closing the hours that end on the way.
    fn advance_to(&mut self, at_us: i64, bar: &ProgressBar) -> anyhow::Result<()> {
        while at_us >= (self.hours.len() as i64 + 1) * HOUR_US {
            let mut hour = std::mem::take(&mut self.current);
            hour.log_bytes = log_bytes(&self.database);
            hour.open_alerts = self.app.read(|state| state.open_alerts().count());
            bar.set_message(format!(
                "{} events, {} open alerts",
                hour.events(),
                hour.open_alerts
            ));
            self.hours.push(hour);
            bar.inc(1);
        }
        self.now_us = at_us;
        self.clock
            .store(self.start.timestamp_micros() + at_us, Ordering::SeqCst);
        Ok(())
    }

    /// Reads the events logged since the last call: counts them by kind, and schedules the
    /// acknowledgements of newly raised alerts (`p1` all within a minute, `p2` half of them).
    fn count_new_events(&mut self) -> anyhow::Result<()> {
        let applied = self.app.read(State::events_applied);
        if applied == self.applied {
            return Ok(());
        }
        self.applied = applied;
        loop {
            let page = self.app.read_log(self.counted_seq, 10_000)?;
            let Some(last) = page.last() else { break };
            self.counted_seq = last.seq;
            for committed in page {
                *self
                    .current
                    .kinds
                    .entry(committed.event.kind().to_owned())
                    .or_default() += 1;
                if let Event::AlertRaised { alert } = &committed.event {
                    let kind = serde_json::to_value(alert.kind)
                        .ok()
                        .and_then(|kind| kind.as_str().map(str::to_owned))
                        .unwrap_or_else(|| format!("{:?}", alert.kind));
                    *self.raised.entry(kind).or_default() += 1;
                    for recipient in &alert.recipients {
                        let Some(party) = self.parties.iter().position(|p| p == recipient) else {
                            continue;
                        };
                        let delay_s = match party {
                            0 => Some(self.rng.random_range(5..=55)),
                            1 if self.rng.random_bool(0.5) => Some(self.rng.random_range(5..=55)),
                            _ => None,
                        };
                        if let Some(delay_s) = delay_s {
                            let alert = alert.id.clone();
                            self.schedule(self.now_us + delay_s * US, Action::Ack { party, alert });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// One pass: the flying tracks report (every `report_us`), then the tactical and
    /// escalation passes run.
    fn pass(&mut self, report_us: i64) -> anyhow::Result<()> {
        let now_us = self.now_us;
        self.flying.retain(|_, flying| flying.until_us > now_us);
        if now_us >= self.next_report_us && !self.flying.is_empty() {
            self.next_report_us = now_us + report_us;
            let now = self.now();
            for party in 0..self.parties.len() {
                let reports: Vec<_> = self
                    .flying
                    .values()
                    .filter(|flying| flying.party == party)
                    .map(|flying| {
                        let t_s = (now_us - flying.from_us) as f64 / US as f64;
                        flying.flight.report_at(t_s, now)
                    })
                    .enumerate()
                    .collect();
                if reports.is_empty() {
                    continue;
                }
                let owner = self.parties[party].clone();
                self.command(&Actor::Party(owner.clone()), |state, now| {
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        reports.clone(),
                        now,
                        &Default::default(),
                    ))
                })?;
            }
        }
        let began = Instant::now();
        self.app.tactical_pass()?;
        self.app.escalation_pass()?;
        self.current
            .pass_us
            .push(began.elapsed().as_micros() as u64);
        Ok(())
    }

    fn act(&mut self, action: Action) -> anyhow::Result<()> {
        match action {
            Action::PlanHour => {
                // Once a day, p2 suspends the agreement in the morning and p1 resumes it.
                if self.now_us % (24 * HOUR_US) == 0 && self.parties.len() >= 2 {
                    let suspend = self.now_us + 10 * HOUR_US + self.rng.random_range(0..1800) * US;
                    let resume = self.now_us + 13 * HOUR_US + self.rng.random_range(0..1800) * US;
                    self.schedule(suspend, Action::Agreement(AgreementAction::Suspend));
                    self.schedule(resume, Action::Agreement(AgreementAction::Resume));
                }
                for party in 0..self.parties.len() {
                    for _ in 0..self.rng.random_range(1..=3) {
                        let at = self.now_us + self.rng.random_range(0..3600) * US;
                        self.schedule(at, Action::File { party });
                    }
                }
            }
            Action::File { party } => self.file(party)?,
            Action::Replace { party, op } => self.replace(party, op)?,
            Action::Cancel { party, op } => {
                if self.op_state(party, &op) == Some(OperationState::Filed) {
                    let owner = self.parties[party].clone();
                    self.command(&Actor::Party(owner.clone()), |state, now| {
                        decide::change_operation_state(
                            state,
                            &owner,
                            &op,
                            Transition::Cancel,
                            None,
                            now,
                        )
                    })?;
                }
            }
            Action::Activate { party, op } => self.activate(party, op)?,
            Action::End { party, op } => {
                if self.op_state(party, &op) == Some(OperationState::Active) {
                    let owner = self.parties[party].clone();
                    self.command(&Actor::Party(owner.clone()), |state, now| {
                        decide::change_operation_state(
                            state,
                            &owner,
                            &op,
                            Transition::End,
                            None,
                            now,
                        )
                    })?;
                }
            }
            Action::Ack { party, alert } => {
                let open = self.app.read(|state| {
                    state
                        .alert(&alert)
                        .is_some_and(|alert| alert.state == AlertState::Open)
                });
                if open {
                    let owner = self.parties[party].clone();
                    self.command(&Actor::Party(owner.clone()), |state, now| {
                        decide::acknowledge_alert(state, &owner, &alert.0, now)
                    })?;
                }
            }
            Action::Agreement(action) => {
                let party = self.parties[usize::from(action == AgreementAction::Suspend)].clone();
                self.command(&Actor::Party(party.clone()), |state, _| {
                    decide::act_on_agreement(state, &party, "a-p1-p2", action)
                })?;
            }
        }
        Ok(())
    }

    fn op_state(&self, party: usize, op: &str) -> Option<OperationState> {
        let key = self.key(party, op);
        self.app
            .read(|state| state.operation(&key).map(|operation| operation.state))
    }

    fn key(&self, party: usize, op: &str) -> OperationKey {
        OperationKey {
            owner: self.parties[party].clone(),
            id: OperationId(op.to_owned()),
        }
    }

    /// Files a new operation, and decides what becomes of it: cancelled, replaced, activated.
    fn file(&mut self, party: usize) -> anyhow::Result<()> {
        self.next_op[party] += 1;
        let op = format!("o{}", self.next_op[party]);
        let centre = if self.rng.random_bool(0.6) {
            let hotspot = self.hotspots[self.rng.random_range(0..self.hotspots.len())];
            let bearing = self.rng.random_range(0.0..360.0);
            let distance = self.rng.random_range(0.0..40_000.0);
            offset(hotspot, bearing, distance)
        } else {
            random_point(&mut self.rng)
        };
        let lower_m = f64::from(self.rng.random_range(0..=16)) * 250.0;
        let upper_m = lower_m + f64::from(self.rng.random_range(3..=15)) * 100.0;
        let lead_min = self.rng.random_range(10..=240);
        let length_min = self.rng.random_range(30..=240);
        let start = self.now() + TimeDelta::minutes(lead_min);
        let start = DateTime::from_timestamp(start.timestamp() / 60 * 60, 0).expect("in range");
        let end = start + TimeDelta::minutes(length_min);
        let circle = self.rng.random_bool(0.7);
        let (footprint, inner_radius_m) = if circle {
            let radius = f64::from(self.rng.random_range(3..=20)) * 1000.0;
            (
                FootprintSpec::Circle {
                    center: centre.to_vec(),
                    radius_m: radius,
                },
                radius,
            )
        } else {
            let half_x = f64::from(self.rng.random_range(5..=20)) * 1000.0;
            let half_y = f64::from(self.rng.random_range(5..=20)) * 1000.0;
            (rectangle(centre, half_x, half_y), half_x.min(half_y))
        };
        let mission_type = match self.rng.random_range(0..20) {
            0 => MissionType::Medical,
            1..=6 => MissionType::Patrol,
            7..=10 => MissionType::Reconnaissance,
            11..=14 => MissionType::Transport,
            15..=17 => MissionType::Training,
            _ => MissionType::Exercise,
        };
        let spec = OperationSpec {
            mission_type,
            domain: Domain::Air,
            callsign: Some(format!("{}-{}", self.parties[party].0, op).to_uppercase()),
            priority: 0,
            volumes: vec![Volume4dSpec {
                footprint,
                altitude_lower_m: lower_m,
                altitude_upper_m: upper_m,
                time_start: start,
                time_end: end,
            }],
        };
        let owner = self.parties[party].clone();
        let limits = self.app.config.limits;
        let filed = self.command(&Actor::Party(owner.clone()), |state, now| {
            decide::file_operation(
                state,
                &owner,
                &op,
                spec.clone(),
                None,
                now,
                &limits,
                &Default::default(),
            )
        })?;
        if filed.is_none() {
            return Ok(());
        }
        self.plans.insert(
            (party, op.clone()),
            Plan {
                centre,
                inner_radius_m,
                lower_m,
                upper_m,
                start,
                end,
            },
        );
        let until_start_us = (start - self.now()).num_microseconds().unwrap_or(0).max(US);
        if self.rng.random_bool(0.12) {
            let at = self.now_us + self.rng.random_range(0..until_start_us);
            self.schedule(at, Action::Cancel { party, op });
            return Ok(());
        }
        if self.rng.random_bool(0.25) {
            let at = self.now_us + self.rng.random_range(0..until_start_us);
            self.schedule(
                at,
                Action::Replace {
                    party,
                    op: op.clone(),
                },
            );
        }
        if self.rng.random_bool(0.8) {
            let at = self.now_us + until_start_us + self.rng.random_range(0..120) * US;
            self.schedule(at, Action::Activate { party, op });
        }
        Ok(())
    }

    /// Files a changed plan in place of a filed operation (`If-Match` its current version):
    /// another altitude band, a shifted window, or a moved footprint.
    fn replace(&mut self, party: usize, op: String) -> anyhow::Result<()> {
        let key = self.key(party, &op);
        let Some((version, mut spec)) = self.app.read(|state| {
            state
                .operation(&key)
                .filter(|operation| operation.state == OperationState::Filed)
                .map(|operation| (operation.version, operation.spec.clone()))
        }) else {
            return Ok(());
        };
        let Some(plan) = self.plans.get(&(party, op.clone())).cloned() else {
            return Ok(());
        };
        let mut plan = plan;
        let volume = &mut spec.volumes[0];
        match self.rng.random_range(0..3) {
            0 => {
                let shift = f64::from(self.rng.random_range(-3..=3)) * 300.0;
                let lower = (volume.altitude_lower_m + shift).max(0.0);
                volume.altitude_upper_m += lower - volume.altitude_lower_m;
                volume.altitude_lower_m = lower;
                (plan.lower_m, plan.upper_m) = (volume.altitude_lower_m, volume.altitude_upper_m);
            }
            1 => {
                let shift = TimeDelta::minutes(self.rng.random_range(-60..=60));
                let earliest = self.now() + TimeDelta::minutes(2);
                let start = (volume.time_start + shift).max(earliest);
                let start = DateTime::from_timestamp(start.timestamp() / 60 * 60 + 60, 0)
                    .expect("in range");
                volume.time_end = start + (volume.time_end - volume.time_start);
                volume.time_start = start;
                (plan.start, plan.end) = (volume.time_start, volume.time_end);
            }
            _ => {
                let bearing = self.rng.random_range(0.0..360.0);
                let distance = self.rng.random_range(5_000.0..20_000.0);
                let centre = offset(plan.centre, bearing, distance);
                let (dlon, dlat) = (centre[0] - plan.centre[0], centre[1] - plan.centre[1]);
                let moved = |ring: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
                    ring.iter()
                        .map(|position| vec![position[0] + dlon, position[1] + dlat])
                        .collect()
                };
                volume.footprint = match &volume.footprint {
                    FootprintSpec::Circle { radius_m, .. } => FootprintSpec::Circle {
                        center: centre.to_vec(),
                        radius_m: *radius_m,
                    },
                    FootprintSpec::Point { .. } => FootprintSpec::Point {
                        coordinates: centre.to_vec(),
                    },
                    FootprintSpec::Polygon { coordinates } => FootprintSpec::Polygon {
                        coordinates: coordinates.iter().map(moved).collect(),
                    },
                    FootprintSpec::MultiPolygon { coordinates } => FootprintSpec::MultiPolygon {
                        coordinates: coordinates
                            .iter()
                            .map(|rings| rings.iter().map(moved).collect())
                            .collect(),
                    },
                };
                plan.centre = centre;
            }
        }
        let owner = self.parties[party].clone();
        let limits = self.app.config.limits;
        let filed = self.command(&Actor::Party(owner.clone()), |state, now| {
            decide::file_operation(
                state,
                &owner,
                &op,
                spec.clone(),
                Some(version),
                now,
                &limits,
                &Default::default(),
            )
        })?;
        if filed.is_some() {
            self.plans.insert((party, op), plan);
        }
        Ok(())
    }

    /// Activates an operation at the start of its window (later if it was moved), and
    /// perhaps flies a track in it: inside the plan, climbing out of it now and then, or
    /// towards another party's track.
    fn activate(&mut self, party: usize, op: String) -> anyhow::Result<()> {
        if self.op_state(party, &op) != Some(OperationState::Filed) {
            return Ok(());
        }
        let Some(plan) = self.plans.get(&(party, op.clone())).cloned() else {
            return Ok(());
        };
        let now = self.now();
        if now >= plan.end {
            return Ok(());
        }
        if plan.start - now > TimeDelta::minutes(1) {
            let at = self.now_us + (plan.start - now).num_microseconds().unwrap_or(0);
            self.schedule(at, Action::Activate { party, op });
            return Ok(());
        }
        let owner = self.parties[party].clone();
        let activated = self.command(&Actor::Party(owner.clone()), |state, now| {
            decide::change_operation_state(state, &owner, &op, Transition::Activate, None, now)
        })?;
        if activated.is_none() || !self.rng.random_bool(0.5) {
            return Ok(());
        }
        let window_us = (plan.end - now).num_microseconds().unwrap_or(0);
        let until_us = self.now_us + window_us.min(FLIGHT_MAX_S * US);
        let altitude_m = (plan.lower_m + plan.upper_m) / 2.0;
        let speed_mps = self.rng.random_range(40.0..110.0);
        let others: Vec<([f64; 2], f64)> = self
            .flying
            .values()
            .filter(|flying| flying.party != party)
            .map(|flying| (flying.centre, flying.altitude_m))
            .collect();
        let roll = self.rng.random_range(0..10);
        let (motion, centre, altitude_m, swing_m) = if roll < 2 && !others.is_empty() {
            // Converging: shuttles between its own plan and another party's track.
            let (target, target_altitude) = others[self.rng.random_range(0..others.len())];
            (
                Motion::Shuttle {
                    from: plan.centre,
                    to: target,
                    speed_mps,
                },
                target,
                target_altitude,
                0.0,
            )
        } else {
            let radius_m = plan.inner_radius_m * 0.6;
            let motion = Motion::Orbit {
                centre: plan.centre,
                radius_m,
                speed_mps,
            };
            // Non-conforming: climbs above its band for a while, every ten minutes.
            let swing = if roll < 4 {
                plan.upper_m - altitude_m + self.rng.random_range(100.0..400.0)
            } else {
                0.0
            };
            (motion, plan.centre, altitude_m, swing)
        };
        let id = format!("{}-{}", owner.0, op);
        let flight = Flight {
            owner: owner.clone(),
            operation: op.clone(),
            callsign: Some(id.to_uppercase()),
            domain: deconflict_engine::Domain::Air,
            track: SimTrack {
                id: id.clone(),
                motion,
                altitude_m,
                altitude_swing_m: swing_m,
                swing_period_s: 600.0,
                vessel: None,
            },
        };
        self.flying.insert(
            id,
            Flying {
                party,
                flight,
                from_us: self.now_us,
                until_us,
                centre,
                altitude_m,
            },
        );
        let at = until_us + self.rng.random_range(30..=300) * US;
        self.schedule(at, Action::End { party, op });
        Ok(())
    }
}

/// The size of the database and its write-ahead log, in bytes.
fn log_bytes(database: &Path) -> u64 {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    [database.to_path_buf(), PathBuf::from(wal)]
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}

fn random_point(rng: &mut ChaCha8Rng) -> [f64; 2] {
    let east = rng.random_range(0.0..REGION_SIZE_M);
    let north = rng.random_range(0.0..REGION_SIZE_M);
    let lat = REGION_SW[1] + north / M_PER_DEG_LAT;
    let lon = REGION_SW[0] + east / (M_PER_DEG_LAT * lat.to_radians().cos());
    [round6(lon), round6(lat)]
}

/// The point `distance_m` from `from` on `bearing_deg` (flat earth: distances of tens of km).
fn offset(from: [f64; 2], bearing_deg: f64, distance_m: f64) -> [f64; 2] {
    let (sin, cos) = bearing_deg.to_radians().sin_cos();
    let lat = from[1] + distance_m * cos / M_PER_DEG_LAT;
    let lon = from[0] + distance_m * sin / (M_PER_DEG_LAT * from[1].to_radians().cos());
    [round6(lon), round6(lat)]
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// A rectangle of half-sizes `half_x` (east) and `half_y` (north) around `centre`.
fn rectangle(centre: [f64; 2], half_x: f64, half_y: f64) -> FootprintSpec {
    let dlat = half_y / M_PER_DEG_LAT;
    let dlon = half_x / (M_PER_DEG_LAT * centre[1].to_radians().cos());
    let corner = |x: f64, y: f64| vec![round6(centre[0] + x * dlon), round6(centre[1] + y * dlat)];
    FootprintSpec::Polygon {
        coordinates: vec![vec![
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
            corner(-1.0, -1.0),
        ]],
    }
}

fn percentile(values: &[u64], fraction: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    Some(sorted[index])
}

fn median(values: &[u64]) -> Option<u64> {
    percentile(values, 0.5)
}

/// A wall-clock figure, or `-` when timings are off or there is none.
fn timing(options: &Options, value: Option<u64>) -> String {
    match value {
        Some(value) if options.timings => value.to_string(),
        _ => "-".to_owned(),
    }
}

/// The least-squares slope of `values` per step.
fn slope(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if values.len() < 2 {
        return 0.0;
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, y) in values.iter().enumerate() {
        let dx = x as f64 - mean_x;
        num += dx * (y - mean_y);
        den += dx * dx;
    }
    num / den
}

/// The table of hours, then the first and last day side by side and the trend.
fn report(options: &Options, storage: &str, sim: &Sim) -> String {
    let (hours, refused) = (&sim.hours[..], sim.refused);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "deconflict sim: seed {}, {} days, {} parties, passes every {} s while tracks fly, reports every {} s",
        options.seed, options.days, options.parties, options.tick_s, options.report_s
    );
    let _ = writeln!(out, "database: {storage}");
    let _ = writeln!(
        out,
        "events logged per simulated hour by kind; bytes: database + WAL; open: open alerts at the end of the hour;"
    );
    let _ = writeln!(
        out,
        "p50/p99: wall-clock µs of the commands of the hour; pass: median µs of its passes (tactical + time: escalation, re-notification, plans past)"
    );
    let _ = writeln!(out);
    let mut header = format!("{:>4}", "hour");
    for (_, short) in COLUMNS {
        let _ = write!(header, " {short:>7}");
    }
    let _ = write!(
        header,
        " {:>11} {:>6} {:>7} {:>7} {:>7}  other",
        "bytes", "open", "p50", "p99", "pass"
    );
    let _ = writeln!(out, "{header}");
    for (index, hour) in hours.iter().enumerate() {
        let mut row = format!("{index:>4}");
        for (kind, _) in COLUMNS {
            let _ = write!(row, " {:>7}", hour.kinds.get(kind).copied().unwrap_or(0));
        }
        let other: Vec<String> = hour
            .kinds
            .iter()
            .filter(|(kind, _)| !COLUMNS.iter().any(|(column, _)| column == kind))
            .map(|(kind, count)| format!("{kind}={count}"))
            .collect();
        let _ = writeln!(
            row,
            " {:>11} {:>6} {:>7} {:>7} {:>7}  {}",
            hour.log_bytes,
            hour.open_alerts,
            timing(options, percentile(&hour.command_us, 0.5)),
            timing(options, percentile(&hour.command_us, 0.99)),
            timing(options, median(&hour.pass_us)),
            if other.is_empty() {
                "-".to_owned()
            } else {
                other.join(" ")
            }
        );
        out.push_str(&row);
    }
    let _ = writeln!(out);
    let days: Vec<&[Hour]> = hours.chunks(24).collect();
    let day_figures = |day: &[Hour]| {
        let events = day.iter().map(Hour::events).sum::<u64>() as f64 / day.len() as f64;
        let open = day.last().map_or(0, |hour| hour.open_alerts);
        let median_of = |f: &dyn Fn(&Hour) -> Option<u64>| {
            let values: Vec<u64> = day.iter().filter_map(f).collect();
            median(&values)
        };
        (
            events,
            open,
            median_of(&|hour| percentile(&hour.command_us, 0.5)),
            median_of(&|hour| percentile(&hour.command_us, 0.99)),
            median_of(&|hour| median(&hour.pass_us)),
            day.last().map_or(0, |hour| hour.log_bytes),
        )
    };
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let (f, l) = (day_figures(first), day_figures(last));
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "summary", "first day", "last day"
        );
        let _ = writeln!(out, "{:<34} {:>12.1} {:>12.1}", "events/hour", f.0, l.0);
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "open alerts at the end of the day", f.1, l.1
        );
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "command p50 µs (median of hours)",
            timing(options, f.2),
            timing(options, l.2)
        );
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "command p99 µs (median of hours)",
            timing(options, f.3),
            timing(options, l.3)
        );
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "pass µs (median of hours)",
            timing(options, f.4),
            timing(options, l.4)
        );
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}",
            "log bytes at the end of the day", f.5, l.5
        );
    }
    // The first day fills an empty airspace; judge the trend on the days after it.
    let judged: &[&[Hour]] = if days.len() >= 3 { &days[1..] } else { &days };
    let open: Vec<f64> = judged
        .iter()
        .map(|day| day.last().map_or(0, |hour| hour.open_alerts) as f64)
        .collect();
    let events: Vec<f64> = judged
        .iter()
        .map(|day| day.iter().map(Hour::events).sum::<u64>() as f64 / day.len() as f64)
        .collect();
    let from_day = if days.len() >= 3 { 2 } else { 1 };
    for (name, values) in [("open alerts", &open), ("events/hour", &events)] {
        let per_day = slope(values);
        let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
        // Growing: more than 5 % of the mean per day, and more than one a day.
        let verdict = if values.len() < 2 {
            "n/a (one day)"
        } else if per_day > 0.05 * mean && per_day > 1.0 {
            "GROWING"
        } else {
            "FLAT"
        };
        let _ = writeln!(
            out,
            "trend of {name} over days {from_day}-{}: {per_day:+.1}/day (mean {mean:.1}): {verdict}",
            days.len()
        );
    }
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for hour in hours {
        for (kind, count) in &hour.kinds {
            *totals.entry(kind).or_default() += count;
        }
    }
    let _ = writeln!(
        out,
        "totals: {}",
        totals
            .iter()
            .map(|(kind, count)| format!("{kind}={count}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(
        out,
        "alerts raised by kind: {}",
        sim.raised
            .iter()
            .map(|(kind, count)| format!("{kind}={count}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(out, "commands refused by the engine: {refused}");
    out
}
