//! The writer: engine state and event log behind one lock.
//!
//! Every command follows the same path: lock, decide (pure, against the current state),
//! append the decided events to the log (one transaction, durable when it returns), apply
//! them to the state, unlock. If deciding fails nothing is written; if the append fails
//! nothing is applied. At start-up the state is rebuilt from the newest usable snapshot and
//! the log after it, or from the whole log ([`crate::snapshot`]).
//!
//! Several nodes may share one PostgreSQL log ([`Config::shared_log`]). The state of a node is
//! then always the log up to some seq, and a decision is only written on top of the state it
//! was made on: a node first applies what the others appended ([`App::catch_up`]), decides,
//! and appends with [`EventLog::append_after`] its applied seq; if another node appended in
//! between (`HeadMoved`), nothing was written, so it applies the new events and decides again.
//! After two lost races it takes the writer's turn ([`EventLog::take_turn`]), which holds
//! other nodes' appends back until it has logged: a node whose decisions are slower than
//! another node's stream of appends still gets through.
//! Events applied from the log go to this node's streams exactly as its own do, in seq order;
//! the background task of [`crate::follow`] applies them when no command does.

use chrono::{DateTime, SubsecRound, Utc};
use deconflict_engine::decide::{Actor, Decision};
use deconflict_engine::{EngineError, Event, State};
use deconflict_geometry::Limits;
use deconflict_store::{
    AnyLog, Database, Disclosure, EventLog, HeadSigner, NewEvent, Receipt, SignedHead, StoreError,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The embedded database file (created if missing), or a `postgres://` URL of a shared
    /// PostgreSQL database ([`deconflict_store::Database::from_path`]).
    pub database: PathBuf,
    /// The head-signing key file; `None`: [`signing_key_path`] of the database.
    pub signing_key: Option<PathBuf>,
    /// The bearer token that may register parties. Compared by hash only.
    pub admin_token: String,
    pub limits: Limits,
    /// The largest request body accepted, in bytes (default 8 MiB).
    pub body_limit_bytes: usize,
    /// How often the tactical pass runs over the live tracks; `None`: never by itself
    /// (tests drive it through [`App::tactical_pass`]).
    pub tactical_interval: Option<std::time::Duration>,
    /// With the periodic pass on, new position reports also start a pass of the live tracks
    /// (tactical, conformance, zones, sites) at most this long after the previous pass ended,
    /// instead of waiting for the next tick: SPEC §10 asks an alert on a party's stream within
    /// 100 ms of the report, and a 1 s tick alone would make it up to a second. Passes never
    /// overlap; under a steady stream of reports they run back to back, this far apart, so the
    /// gap bounds the CPU they take (a pass of 30 ms every 50 ms). `None`: the tick only.
    pub pass_after_reports: Option<std::time::Duration>,
    /// Requests per party.
    pub rate_limit: crate::ratelimit::RateLimit,
    /// How far a position report's time may lie from the server's clock.
    pub report_window: deconflict_engine::decide::ReportWindow,
    /// Position batches older than this are pruned to their digest in the background
    /// (`retention`; at least a day); `None`: never. Default 30 days (SPEC §8).
    pub retention_horizon: Option<chrono::TimeDelta>,
    /// How often the retention task runs (default hourly).
    pub retention_interval: std::time::Duration,
    /// Connection and request limits: timeouts, connection cap, concurrent requests per caller,
    /// body budget (see [`crate::limits`]).
    pub server_limits: crate::limits::ServerLimits,
    /// When set, `GET /metrics` needs `Authorization: Bearer <this token>`; when unset it is
    /// open (for a scraper on a trusted network).
    pub metrics_token: Option<String>,
    /// How far ahead of the server's clock an operation's window may reach.
    pub operation_horizon: deconflict_engine::decide::OperationHorizon,
    /// Snapshot the state once this many events were logged since the last snapshot
    /// (default 100,000: about a second of replay saved each time); `None`: not by count.
    pub snapshot_every_events: Option<u64>,
    /// Snapshot the state this long after the last one if anything was logged since
    /// (default 10 minutes), so a quiet server restarts from a recent state too; `None`: not by
    /// time.
    pub snapshot_interval: Option<std::time::Duration>,
    /// The largest zone import (`POST /v1/zones/ed269`), in bytes (`--zone-import-limit-mib`,
    /// default 64 MiB): national zone sets exceed the body limit. Read under the body budget.
    pub zone_import_limit_bytes: usize,
    /// The operator's terrain model for zone limits above ground (`--terrain FILE`).
    pub terrain: Option<Arc<deconflict_geometry::terrain::Terrain>>,
    /// Whether other nodes may append to the log (true for a PostgreSQL database): reads and
    /// commands then apply their events first, and [`crate::follow`] polls for them.
    pub shared_log: bool,
    /// How often a node on a shared log looks for the others' events when idle (default
    /// 200 ms): the most a stream on this node lags an alert raised on another.
    pub follow_interval: std::time::Duration,
    /// This node's part in a cluster (`serve --node NAME`, a PostgreSQL database only): its
    /// periodic pass decides only the cells it leases ([`crate::cluster`]). `None`: it decides
    /// everything.
    pub cluster: Option<crate::cluster::ClusterConfig>,
    /// The NATS servers that ring the other nodes when this one logs something a stream
    /// carries (`serve --nats`, with `--node`; [`crate::bus`]). `None`: they poll.
    pub bus: Option<crate::bus::BusConfig>,
    /// Most events a periodic pass logs in one append (default and at most
    /// [`deconflict_store::MAX_APPEND_BATCH_EVENTS`]); more are logged a chunk at a time.
    pub pass_chunk_events: usize,
    /// Whether position reports travel on NATS JetStream by cell rather than in the log
    /// ([`crate::cellstream`]; needs `cluster` and `bus`). Default: `serve --nats` turns it on.
    pub positions_on_bus: bool,
}

/// Default of [`Config::follow_interval`].
pub const FOLLOW_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Default of [`Config::snapshot_every_events`].
pub const SNAPSHOT_EVERY_EVENTS: u64 = 100_000;
/// Default of [`Config::snapshot_interval`].
pub const SNAPSHOT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// The default [`Config::pass_after_reports`].
pub const PASS_AFTER_REPORTS: std::time::Duration = std::time::Duration::from_millis(20);

impl Config {
    pub fn new(database: PathBuf, admin_token: String) -> Self {
        let shared_log = matches!(Database::from_path(&database), Database::Postgres(_));
        Self {
            database,
            signing_key: None,
            admin_token,
            limits: Limits::default(),
            body_limit_bytes: 8 * 1024 * 1024,
            tactical_interval: Some(std::time::Duration::from_secs(1)),
            pass_after_reports: Some(PASS_AFTER_REPORTS),
            rate_limit: crate::ratelimit::RateLimit::default(),
            report_window: Default::default(),
            retention_horizon: Some(chrono::TimeDelta::days(30)),
            retention_interval: std::time::Duration::from_secs(3600),
            server_limits: Default::default(),
            metrics_token: None,
            operation_horizon: Default::default(),
            snapshot_every_events: Some(SNAPSHOT_EVERY_EVENTS),
            snapshot_interval: Some(SNAPSHOT_INTERVAL),
            zone_import_limit_bytes: 64 * 1024 * 1024,
            terrain: None,
            shared_log,
            follow_interval: FOLLOW_INTERVAL,
            cluster: None,
            bus: None,
            pass_chunk_events: deconflict_store::MAX_APPEND_BATCH_EVENTS,
            positions_on_bus: false,
        }
    }
}

/// The time source; tests may replace it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A failed command: refused by the engine, or not stored.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Refused(#[from] EngineError),
    #[error("the event log could not be written: {0}")]
    Store(#[from] StoreError),
}

struct Core {
    state: State,
    log: Box<dyn EventLog>,
    /// The hash of the last event applied to `state` (seq `state.events_applied()`), so the
    /// next one read from a shared log can be checked to follow it, and a snapshot names the
    /// position it was taken at.
    applied_hash: String,
}

/// Events read per query when applying other nodes' events.
const FOLLOW_PAGE: usize = 1_000;

/// Most chunks one pass logs before it leaves the rest to the next pass ([`App::execute_pass`]):
/// a million events, more than any traffic raises at once.
const MAX_PASS_CHUNKS: u32 = 100;

/// Races to append a command may lose to other nodes before it takes the writer's turn
/// ([`EventLog::take_turn`]), after which no other node's append can overtake it. Two: a lost
/// race is cheap (a catch-up and a decision), and waiting for the turn holds other nodes'
/// appends up for one decision.
const RACES_BEFORE_TURN: u32 = 2;

/// Most times a command is decided again because another node appended first; beyond, the
/// command fails (503). With the turn taken after [`RACES_BEFORE_TURN`] this is not reached
/// unless a writer appends without taking the turn's lock shared (a node of an older
/// version, during an upgrade).
const MAX_DECIDE_ATTEMPTS: u32 = 32;

/// A committed event, as pushed to live streams.
#[derive(Debug, Clone)]
pub struct Committed {
    pub seq: u64,
    pub event: Event,
}

/// Whether streams may carry this kind of event (position batches never are).
fn is_pushed(event: &Event) -> bool {
    !matches!(
        event,
        Event::PositionsReported { .. }
            | Event::PositionsPublished { .. }
            | Event::TracksLost { .. }
    )
}

/// How many committed events a slow stream may fall behind before it re-reads the log.
const BROADCAST_CAPACITY: usize = 16_384;

pub struct App {
    core: Mutex<Core>,
    pub rate_limiter: crate::ratelimit::RateLimiter,
    committed: tokio::sync::broadcast::Sender<std::sync::Arc<Committed>>,
    admin_token_hash: String,
    /// Signs the log's head (SPEC §8); its key lives beside the database.
    signer: HeadSigner,
    pub config: Config,
    clock: Clock,
    /// How the state was rebuilt at start-up.
    startup: crate::snapshot::Startup,
    /// The seq of the newest snapshot taken or loaded, and when: what the next one is due from.
    last_snapshot: Mutex<(u64, std::time::Instant)>,
    /// The cells this node leases, in a cluster.
    membership: Option<Arc<crate::cluster::Membership>>,
    /// Where this node's logged events go to be announced on NATS ([`crate::bus`]), once the
    /// bus has started.
    outbox: std::sync::OnceLock<crate::bus::Outbox>,
    /// Rung when another node announces events: the follower applies the log at once.
    follower_bell: tokio::sync::Notify,
    /// Rung when position reports were applied: the pass loop runs a pass soon
    /// ([`Config::pass_after_reports`]).
    reports_bell: tokio::sync::Notify,
    /// The state's report generation when the last pass of live tracks decided: the next pass
    /// of moved tracks decides the tracks reported since ([`App::tactical_pass_moved`]).
    pass_generation: std::sync::atomic::AtomicU64,
    /// The state's report generation at the last [`App::tactical_pass`]: the next leaves out
    /// the tracks reported after it that a pass of moved tracks decided since.
    tick_generation: std::sync::atomic::AtomicU64,
    /// Publishes position reports by cell on NATS JetStream, once the bus has started, when
    /// [`Config::positions_on_bus`] ([`crate::cellstream`]).
    positions: std::sync::OnceLock<crate::cellstream::Publisher>,
    /// Asks every node for its share of a track list, when position reports travel on NATS
    /// ([`crate::tracklist`]).
    track_lists: std::sync::OnceLock<crate::tracklist::Gatherer>,
    /// The cells' load as the position stream counts it, for sharing the leases.
    stream_cell_weights: Mutex<Option<Vec<u64>>>,
    /// The shard whose position subjects this node has read up to the stream's end.
    positions_ready: Mutex<Option<Arc<deconflict_engine::shard::Shard>>>,
}

/// A snapshot taken by [`App::snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotTaken {
    /// The seq it was taken after.
    pub seq: u64,
    pub bytes: usize,
    /// Time spent encoding the state's body, under the writer lock (commands wait).
    pub body_s: f64,
    /// Time spent encoding in all: the body, then its digest and header without the lock.
    pub encode_s: f64,
    /// Time spent storing it, under the writer lock again (commands wait).
    pub store_s: f64,
}

/// Where the head-signing key of a database is kept: beside an SQLite file,
/// `<database>.signing-key`; for a PostgreSQL database, the file `DECONFLICT_SIGNING_KEY` names,
/// else `deconflict-postgres.signing-key` in the working directory (nodes sharing a database
/// should be given the same key file, so every head is signed by one key).
pub fn signing_key_path(database: &std::path::Path) -> PathBuf {
    if let Database::Postgres(_) = Database::from_path(database) {
        return std::env::var_os("DECONFLICT_SIGNING_KEY")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("deconflict-postgres.signing-key"));
    }
    let mut path = database.as_os_str().to_owned();
    path.push(".signing-key");
    PathBuf::from(path)
}

/// The log entry of `event`: its kind and payload in the current wire version
/// ([`deconflict_engine::wire`]).
pub fn new_event(time: DateTime<Utc>, actor: String, event: &Event) -> NewEvent {
    let (kind, payload) = event.to_log();
    NewEvent {
        time,
        actor,
        kind,
        payload,
    }
}

impl App {
    /// Opens the database and rebuilds the state (from a snapshot and the log after it).
    pub fn open(config: Config) -> Result<App, StoreError> {
        let log = AnyLog::open(&Database::from_path(&config.database))?;
        Self::with_log(config, Box::new(log), Arc::new(Utc::now))
    }

    /// As [`App::open`], with a given log and clock.
    pub fn with_log(
        config: Config,
        log: Box<dyn EventLog>,
        clock: Clock,
    ) -> Result<App, StoreError> {
        let (state, startup) = crate::snapshot::restore(&*log)?;
        let last_snapshot = (startup.snapshot_seq.unwrap_or(0), std::time::Instant::now());
        // Install the metrics recorder before anything is counted.
        crate::telemetry::handle();
        let signer = if config.database.as_os_str().is_empty() {
            HeadSigner::from_seed(rand::random())
        } else {
            let path =
                (config.signing_key.clone()).unwrap_or_else(|| signing_key_path(&config.database));
            HeadSigner::load_or_create(&path)?
        };
        let applied_hash = match state.events_applied() {
            0 => deconflict_store::GENESIS_HASH.to_owned(),
            seq => {
                log.read_from(seq - 1, 1)?
                    .into_iter()
                    .next()
                    .filter(|event| event.seq == seq)
                    .ok_or_else(|| StoreError::Corrupt {
                        seq,
                        reason: "the state was rebuilt up to an event the log does not have".into(),
                    })?
                    .hash
            }
        };
        let membership = match (&config.cluster, Database::from_path(&config.database)) {
            (None, _) => None,
            (Some(cluster), Database::Postgres(url)) => Some(Arc::new(
                crate::cluster::Membership::open(&url, cluster.clone())?,
            )),
            (Some(_), Database::Sqlite(path)) => {
                return Err(StoreError::DatabaseUrl {
                    url: path.display().to_string(),
                    reason: "a cluster node (--node) needs a shared PostgreSQL database".into(),
                })
            }
        };
        Ok(App {
            core: Mutex::new(Core {
                state,
                log,
                applied_hash,
            }),
            rate_limiter: Default::default(),
            committed: tokio::sync::broadcast::channel(BROADCAST_CAPACITY).0,
            admin_token_hash: crate::auth::hash_token(&config.admin_token),
            signer,
            config,
            clock,
            startup,
            last_snapshot: Mutex::new(last_snapshot),
            membership,
            outbox: std::sync::OnceLock::new(),
            follower_bell: tokio::sync::Notify::new(),
            reports_bell: tokio::sync::Notify::new(),
            pass_generation: std::sync::atomic::AtomicU64::new(0),
            tick_generation: std::sync::atomic::AtomicU64::new(0),
            positions: std::sync::OnceLock::new(),
            track_lists: std::sync::OnceLock::new(),
            stream_cell_weights: Mutex::new(None),
            positions_ready: Mutex::new(None),
        })
    }

    /// This node's leases, in a cluster.
    pub fn membership(&self) -> Option<Arc<crate::cluster::Membership>> {
        self.membership.clone()
    }

    /// How the state was rebuilt at start-up: from which snapshot, how many events replayed.
    pub fn startup(&self) -> &crate::snapshot::Startup {
        &self.startup
    }

    /// Whether a snapshot is due: `snapshot_every_events` logged since the last one, or
    /// `snapshot_interval` passed and something logged since.
    pub fn snapshot_due(&self) -> bool {
        let head = self
            .lock()
            .log
            .head()
            .ok()
            .flatten()
            .map_or(0, |(seq, _)| seq);
        let (seq, at) = *self
            .last_snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let logged = head.saturating_sub(seq);
        let by_count = self
            .config
            .snapshot_every_events
            .is_some_and(|every| logged >= every.max(1));
        let by_time = self
            .config
            .snapshot_interval
            .is_some_and(|every| logged > 0 && at.elapsed() >= every);
        by_count || by_time
    }

    /// Snapshots the state as of the log's head and stores it (`None`: empty log, or a
    /// snapshot at this head exists already). Holds the writer lock only while it encodes the
    /// state's body, so the snapshot is exactly the state after its seq; the digest is taken
    /// without it, and the lock is taken again to store (commands logged meanwhile come after
    /// the snapshot's seq, as its position says). See ARCHITECTURE.md for how long each is.
    pub fn snapshot(&self) -> Result<Option<SnapshotTaken>, StoreError> {
        // Held throughout: one snapshot at a time. Never taken while holding the core lock.
        let mut last = self
            .last_snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = std::time::Instant::now();
        let (position, body) = {
            let mut core = self.lock();
            if self.config.shared_log {
                self.catch_up(&mut core)?;
            }
            let applied = core.state.events_applied();
            if applied == 0 || applied == last.0 {
                return Ok(None);
            }
            let position = deconflict_engine::snapshot::SnapshotPosition {
                seq: applied,
                head_hash: core.applied_hash.clone(),
            };
            let body = crate::snapshot::encode_body(&core.state, applied)?;
            (position, body)
        };
        let body_s = started.elapsed().as_secs_f64();
        let seq = position.seq;
        let bytes = deconflict_engine::snapshot::frame(body, &position).map_err(|error| {
            StoreError::Corrupt {
                seq,
                reason: format!("the snapshot cannot be framed: {error}"),
            }
        })?;
        let encode_s = started.elapsed().as_secs_f64();
        let storing = std::time::Instant::now();
        self.lock().log.save_snapshot(position.seq, &bytes)?;
        let store_s = storing.elapsed().as_secs_f64();
        *last = (position.seq, std::time::Instant::now());
        let taken = SnapshotTaken {
            seq: position.seq,
            bytes: bytes.len(),
            body_s,
            encode_s,
            store_s,
        };
        tracing::info!(
            seq = taken.seq,
            bytes = taken.bytes,
            body_ms_locked = body_s * 1e3,
            encode_ms = encode_s * 1e3,
            store_ms = store_s * 1e3,
            "snapshot taken"
        );
        metrics::histogram!("deconflict_snapshot_seconds").record(encode_s + store_s);
        Ok(Some(taken))
    }

    pub fn admin_token_hash(&self) -> &str {
        &self.admin_token_hash
    }

    /// The current time, truncated to the log's microsecond precision.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock cannot leave a half-applied command: events are
        // applied only after they are stored, and apply itself does not fail.
        self.core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the state (on a shared log, after applying what other nodes appended: a party
    /// reading from one node what it wrote through another sees it).
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let mut core = self.lock();
        if self.config.shared_log {
            if let Err(error) = self.catch_up(&mut core) {
                // The state stays a consistent prefix of the log; the next read tries again.
                tracing::warn!(%error, "reading the other nodes' events failed");
            }
        }
        f(&core.state)
    }

    /// Applies the events other nodes appended after this node's state, in seq order, each
    /// checked to follow the chain this node applied, and pushes them to the streams. Returns
    /// how many. A no-op (one query) when nothing is new.
    fn catch_up(&self, core: &mut Core) -> Result<u64, StoreError> {
        let mut applied = 0;
        loop {
            let page = core
                .log
                .read_from(core.state.events_applied(), FOLLOW_PAGE)?;
            let full = page.len() == FOLLOW_PAGE;
            for stored in page {
                let expected = core.state.events_applied() + 1;
                if stored.seq != expected || stored.prev_hash != core.applied_hash {
                    return Err(StoreError::Corrupt {
                        seq: stored.seq,
                        reason: format!(
                            "it does not follow event {} as this node applied it",
                            expected - 1
                        ),
                    });
                }
                let event = Event::from_parts(&stored.kind, stored.payload).map_err(|error| {
                    StoreError::Corrupt {
                        seq: stored.seq,
                        reason: error.to_string(),
                    }
                })?;
                core.state.apply(stored.time, &event);
                core.applied_hash = stored.hash;
                self.push(stored.seq, event);
                applied += 1;
            }
            if !full {
                break;
            }
        }
        if applied > 0 {
            metrics::counter!("deconflict_events_followed_total").increment(applied);
            metrics::gauge!("deconflict_open_alerts").set(core.state.open_alert_count() as f64);
        }
        Ok(applied)
    }

    /// Applies what other nodes appended since this node last looked (the background task of
    /// [`crate::follow`]); 0 on a log nobody else writes.
    pub fn follow(&self) -> Result<u64, StoreError> {
        let mut core = self.lock();
        self.catch_up(&mut core)
    }

    /// The seq of the last event this node's state has applied.
    pub fn applied_seq(&self) -> u64 {
        self.lock().state.events_applied()
    }

    /// Sends a committed event to the live streams (position batches are not streamed).
    fn push(&self, seq: u64, event: Event) {
        if self.committed.receiver_count() > 0 && is_pushed(&event) {
            // No receiver is not an error: nobody is streaming.
            let _ = self.committed.send(Arc::new(Committed { seq, event }));
        }
    }

    /// [`Self::push`] for an event this node logged: also announced to the other nodes.
    fn push_own(&self, seq: u64, event: Event) {
        match self.outbox.get() {
            Some(outbox) if is_pushed(&event) => {
                let committed = Arc::new(Committed { seq, event });
                outbox.send(committed.clone());
                if self.committed.receiver_count() > 0 {
                    let _ = self.committed.send(committed);
                }
            }
            _ => self.push(seq, event),
        }
    }

    /// Sends this node's logged events to the NATS bus from now on ([`crate::bus::spawn`]).
    pub fn attach_outbox(&self, outbox: crate::bus::Outbox) {
        let _ = self.outbox.set(outbox);
    }

    /// Whether this node's logged events are announced on NATS yet (the bus has started).
    pub fn bus_attached(&self) -> bool {
        self.outbox.get().is_some()
    }

    /// Publishes position reports on NATS JetStream from now on ([`crate::cellstream`]).
    pub fn attach_positions(&self, publisher: crate::cellstream::Publisher) {
        let _ = self.positions.set(publisher);
    }

    pub fn attach_track_lists(&self, gatherer: crate::tracklist::Gatherer) {
        let _ = self.track_lists.set(gatherer);
    }

    /// Who gathers `GET /v1/tracks` from every node, when each holds only its cells' tracks.
    pub fn track_lists(&self) -> Option<&crate::tracklist::Gatherer> {
        self.track_lists.get()
    }

    /// The publisher of position reports, when they travel on NATS rather than in the log.
    pub fn positions_publisher(&self) -> Option<&crate::cellstream::Publisher> {
        self.positions.get()
    }

    /// Folds a batch of reports consumed from the position stream into the state (not the
    /// log): see [`deconflict_engine::State::apply_streamed_positions`].
    pub fn apply_streamed_positions(&self, batch: crate::cellstream::CellBatch) {
        {
            let mut core = self.lock();
            core.state
                .apply_streamed_positions(batch.received_at, batch.owner, batch.reports);
        }
        self.reports_applied();
    }

    /// Records that this node has read the position stream up to its end for `shard`'s cells.
    pub fn set_positions_ready(&self, shard: Arc<deconflict_engine::shard::Shard>) {
        *self
            .positions_ready
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(shard);
    }

    /// How many cells this node has read the position stream for up to its end (0 before its
    /// consumer caught up).
    pub fn positions_ready_cells(&self) -> usize {
        self.positions_ready
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .map_or(0, |shard| shard.owned().len())
    }

    /// The cells of the shard this node has read the position stream for, if any.
    pub fn positions_ready_for(
        &self,
    ) -> Option<std::collections::BTreeSet<deconflict_engine::shard::Cell>> {
        self.positions_ready
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .map(|shard| shard.owned().clone())
    }

    /// The shard this node's pass may decide when reports come from the stream: the cells it
    /// leases now and whose subjects it has caught up on.
    fn streamed_shard(
        &self,
        leased: Arc<deconflict_engine::shard::Shard>,
    ) -> Arc<deconflict_engine::shard::Shard> {
        let ready = self
            .positions_ready
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match ready {
            Some(ready) if ready.owned() == leased.owned() => leased,
            Some(ready) => Arc::new(deconflict_engine::shard::Shard::new(
                *leased.band(),
                leased.owned().intersection(ready.owned()).copied(),
            )),
            None => Arc::new(deconflict_engine::shard::Shard::new(*leased.band(), [])),
        }
    }

    /// The lease time of this node's cluster membership (the default when not in one).
    pub fn lease_ttl(&self) -> std::time::Duration {
        (self.config.cluster.as_ref()).map_or(crate::cluster::LEASE_TTL, |c| c.lease_ttl)
    }

    /// Records the cells' load as the position stream counts it ([`crate::cellstream`]).
    pub fn set_stream_cell_weights(&self, weights: Vec<u64>) {
        *self
            .stream_cell_weights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(weights);
    }

    /// Each cell's weight for sharing the leases: from the position stream when reports
    /// travel there (every node then sees the same load), else from the live tracks the state
    /// holds (every node holds them all).
    pub fn cell_weights(&self) -> Vec<u64> {
        let streamed = self
            .stream_cell_weights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match streamed {
            Some(weights) => weights,
            None => self.read(crate::cluster::cell_weights),
        }
    }

    /// Says that position reports were applied, so the pass loop runs a pass soon (one stored
    /// ring if the loop is busy: reports during a pass start the next one).
    pub fn reports_applied(&self) {
        self.reports_bell.notify_one();
    }

    /// Completes when [`Self::reports_applied`] is called (one stored ring if none waits).
    pub async fn reports_rung(&self) {
        self.reports_bell.notified().await;
    }

    /// Asks the follower to apply the log now rather than at its next poll.
    pub fn wake_follower(&self) {
        self.follower_bell.notify_one();
    }

    /// Completes when [`Self::wake_follower`] is called (one stored wake-up if none waits).
    pub async fn follower_woken(&self) {
        self.follower_bell.notified().await;
    }

    /// Decides a command, logs its events and applies them; then `respond` reads the new state.
    /// `decide` may be called more than once: on a shared log, again after another node's
    /// events were applied (see the module doc), so it must not consume what it captures.
    pub fn execute<T, R>(
        &self,
        actor: &Actor,
        decide: impl FnMut(&State, DateTime<Utc>) -> Result<Decision<T>, EngineError>,
        respond: impl FnOnce(&State, T) -> R,
    ) -> Result<R, CommandError> {
        self.execute_inner(actor, decide, respond, false)
    }

    /// [`Self::execute`] for a periodic pass, whose decision may hold more events than one
    /// append takes ([`deconflict_store::MAX_APPEND_BATCH_EVENTS`]: 36,000 alerts at once at
    /// 10⁵ tracks of the benchmark traffic). Its events are logged a chunk at a time, and
    /// the pass is decided again on the state after each chunk, which then holds what was
    /// logged (an alert raised is open and is not raised again): every event is written on
    /// the state it was decided on, as for any command. Only for passes: a command's events
    /// must be written together or not at all, and a command decided again after part of it
    /// was logged would be refused (an operation filed twice).
    fn execute_pass<T, R>(
        &self,
        decide: impl FnMut(&State, DateTime<Utc>) -> Result<Decision<T>, EngineError>,
        respond: impl FnOnce(&State, T) -> R,
    ) -> Result<R, CommandError> {
        self.execute_inner(&Actor::System, decide, respond, true)
    }

    fn execute_inner<T, R>(
        &self,
        actor: &Actor,
        mut decide: impl FnMut(&State, DateTime<Utc>) -> Result<Decision<T>, EngineError>,
        respond: impl FnOnce(&State, T) -> R,
        chunked: bool,
    ) -> Result<R, CommandError> {
        let started = std::time::Instant::now();
        let mut core = self.lock();
        let mut turn = false;
        // The turn is given back whatever happened, a panicking decision included: the node
        // lives on (the lock is taken back from a poisoned mutex), and a turn it kept would
        // hold every other node's appends back for good.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.decide_and_log(&mut core, actor, &mut decide, chunked, &mut turn)
        }));
        if turn {
            if let Err(error) = core.log.end_turn() {
                // The events are logged; a connection that failed gave the turn back with it.
                tracing::error!(%error, "the writer's turn could not be given back");
            }
        }
        let outcome = match outcome {
            Ok(outcome) => outcome?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        metrics::gauge!("deconflict_open_alerts").set(core.state.open_alert_count() as f64);
        let response = respond(&core.state, outcome);
        metrics::histogram!("deconflict_command_seconds").record(started.elapsed().as_secs_f64());
        Ok(response)
    }

    /// The body of [`Self::execute_inner`]: decides on the state, logs and applies; again on
    /// the new state when another node appended first, taking the writer's turn
    /// ([`EventLog::take_turn`]) after [`RACES_BEFORE_TURN`] lost races. Sets `turn` when it
    /// took it, for the caller to give back whatever happened.
    fn decide_and_log<T>(
        &self,
        core: &mut Core,
        actor: &Actor,
        decide: &mut impl FnMut(&State, DateTime<Utc>) -> Result<Decision<T>, EngineError>,
        chunked: bool,
        turn: &mut bool,
    ) -> Result<T, CommandError> {
        if self.config.shared_log {
            self.catch_up(core)?;
        }
        let mut attempt = 1;
        let mut chunks = 0;
        let outcome = loop {
            let now = self.now();
            let mut decision = decide(&core.state, now)?;
            if decision.events.is_empty() {
                break decision.outcome;
            }
            let chunk =
                (self.config.pass_chunk_events).clamp(1, deconflict_store::MAX_APPEND_BATCH_EVENTS);
            let more = chunked && decision.events.len() > chunk;
            if more {
                if chunks >= MAX_PASS_CHUNKS {
                    // The next pass goes on where this one stopped.
                    tracing::warn!(
                        chunks,
                        "a pass logged its most chunks; it goes on next time"
                    );
                    break decision.outcome;
                }
                chunks += 1;
                decision.events.truncate(chunk);
                metrics::counter!("deconflict_pass_chunks_total").increment(1);
            }
            let new_events = decision
                .events
                .iter()
                .map(|event| new_event(now, actor.log_name(), event))
                .collect();
            let applied = core.state.events_applied();
            match core.log.append_after(applied, new_events) {
                Ok(stored) => {
                    for (event, stored) in decision.events.into_iter().zip(stored) {
                        metrics::counter!("deconflict_events_total", "kind" => event.kind())
                            .increment(1);
                        core.state.apply(stored.time, &event);
                        core.applied_hash = stored.hash;
                        self.push_own(stored.seq, event);
                    }
                    if !more {
                        break decision.outcome;
                    }
                }
                Err(StoreError::HeadMoved { .. }) if attempt < MAX_DECIDE_ATTEMPTS => {
                    metrics::counter!("deconflict_decisions_retried_total").increment(1);
                    if attempt >= RACES_BEFORE_TURN && !*turn {
                        core.log.take_turn()?;
                        *turn = true;
                        metrics::counter!("deconflict_writer_turns_total").increment(1);
                    }
                    attempt += 1;
                    self.catch_up(core)?;
                }
                Err(error) => return Err(error.into()),
            }
        };
        Ok(outcome)
    }

    /// Live committed events, for streams. Subscribe before reading the log's backlog.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Committed>> {
        self.committed.subscribe()
    }

    /// Reads logged events after `after_seq` (for a stream's backlog), decoded.
    pub fn read_log(&self, after_seq: u64, limit: usize) -> Result<Vec<Committed>, StoreError> {
        let stored = self.lock().log.read_from(after_seq, limit)?;
        stored
            .into_iter()
            .map(|stored| {
                let event = Event::from_parts(&stored.kind, stored.payload).map_err(|error| {
                    StoreError::Corrupt {
                        seq: stored.seq,
                        reason: error.to_string(),
                    }
                })?;
                Ok(Committed {
                    seq: stored.seq,
                    event,
                })
            })
            .collect()
    }

    /// Does what time brings now (`decide::time_pass`): resolves plan alerts whose window has
    /// passed, ends operations whose last window closed, escalates and re-notifies alerts not
    /// acknowledged in time. Returns how many alerts were pushed again.
    pub fn escalation_pass(&self) -> Result<usize, CommandError> {
        Ok(self.time_pass()?.pushed_again())
    }

    /// As [`App::escalation_pass`], with everything it did.
    /// With retention on, the same pass forgets the lost tracks last seen more than the
    /// horizon ago (`decide::forget_tracks`), before retention may prune their batches.
    pub fn time_pass(&self) -> Result<deconflict_engine::decide::TimeOutcome, CommandError> {
        let forget_after = self
            .config
            .retention_horizon
            .map(|horizon| horizon.max(crate::retention::MIN_HORIZON));
        self.execute_pass(
            |state, now| {
                let mut decision = deconflict_engine::decide::time_pass(state, now);
                if let Some(horizon) = forget_after {
                    let forgotten = deconflict_engine::decide::forget_tracks(state, now, horizon);
                    decision.outcome.tracks_forgotten = forgotten.outcome;
                    decision.events.extend(forgotten.events);
                }
                Ok(decision)
            },
            |_, outcome| outcome,
        )
    }

    /// Runs one tactical pass (detection, conformance, staleness) at the current time: the
    /// whole pass, less what passes of moved tracks decided since the previous one
    /// (`engine::decide::tactical_pass_due`), so every condition is decided at least once
    /// between two of these.
    pub fn tactical_pass(&self) -> Result<deconflict_engine::decide::PassOutcome, CommandError> {
        self.live_pass(false)
    }

    /// Runs the pass of the tracks reported since the previous pass of live tracks (whole or
    /// moved): it decides their conditions as [`Self::tactical_pass`] would, and leaves the
    /// others to it (`engine::decide::tactical_pass_moved`). The pass started by reports.
    pub fn tactical_pass_moved(
        &self,
    ) -> Result<deconflict_engine::decide::PassOutcome, CommandError> {
        self.live_pass(true)
    }

    fn live_pass(
        &self,
        moved: bool,
    ) -> Result<deconflict_engine::decide::PassOutcome, CommandError> {
        use deconflict_engine::decide::{tactical_pass_due, tactical_pass_moved, Scope};
        use std::sync::atomic::Ordering;
        let started = std::time::Instant::now();
        // In a cluster, the shard of the cells leased now decides (SPEC §9).
        let streamed = self.positions.get().is_some();
        let shard = self.membership.as_ref().map(|m| match streamed {
            true => self.streamed_shard(m.shard()),
            false => m.shard(),
        });
        let since = self.pass_generation.load(Ordering::SeqCst);
        let previous_tick = self.tick_generation.load(Ordering::SeqCst);
        let outcome = self.execute_pass(
            |state, now| {
                // Read under the state's lock: reports folded after it are the next pass's.
                let generation = state.report_generation();
                self.pass_generation.store(generation, Ordering::SeqCst);
                if !moved {
                    self.tick_generation.store(generation, Ordering::SeqCst);
                }
                let scope = match &shard {
                    None => Scope::Whole,
                    Some(shard) if streamed => Scope::StreamedShard(shard),
                    Some(shard) => Scope::Shard(shard),
                };
                let deciding = std::time::Instant::now();
                let decision = match moved {
                    false => tactical_pass_due(state, now, scope, previous_tick, since),
                    true => tactical_pass_moved(state, now, scope, since),
                };
                // The decision alone, beside the whole pass's time (which also waits for the
                // state and logs what was decided).
                let kind = if moved { "moved" } else { "tick" };
                metrics::histogram!("deconflict_pass_decide_seconds", "pass" => kind)
                    .record(deciding.elapsed().as_secs_f64());
                Ok(decision)
            },
            |state, outcome| {
                use deconflict_engine::lifecycle::ConditionKind;
                let open = |kind| state.open_conditions_of_kind(kind).count();
                let counts = (
                    open(ConditionKind::Tactical),
                    open(ConditionKind::Nonconformance),
                );
                (outcome, counts)
            },
        )?;
        let (outcome, (tactical_open, nonconforming_open)) = outcome;
        if outcome.band_exceeded {
            tracing::warn!("the parameters in force exceed the cluster's band: this pass detected over every track");
        }
        if moved {
            metrics::histogram!("deconflict_moved_pass_seconds")
                .record(started.elapsed().as_secs_f64());
            return Ok(outcome);
        }
        metrics::histogram!("deconflict_tactical_pass_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::gauge!("deconflict_live_tracks").set(outcome.live_tracks as f64);
        // From the open alerts, not the pass's own findings: a tick's pass decides only what
        // the passes of moved tracks left, and a shard's only its cells.
        metrics::gauge!("deconflict_tactical_conflicts").set(tactical_open as f64);
        metrics::gauge!("deconflict_nonconforming_tracks").set(nonconforming_open as f64);
        Ok(outcome)
    }

    /// The sequence number and hash of the last logged event.
    pub fn log_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.lock().log.head()
    }

    /// Signs the current head and records it (unless that head is already recorded).
    pub fn sign_head(&self) -> Result<SignedHead, StoreError> {
        let now = self.now();
        let mut core = self.lock();
        if self.config.shared_log {
            self.catch_up(&mut core)?;
        }
        Self::sign_locked(&self.signer, &mut core, now)
    }

    fn sign_locked(
        signer: &HeadSigner,
        core: &mut Core,
        now: DateTime<Utc>,
    ) -> Result<SignedHead, StoreError> {
        // The position this node's state has applied (the log's head unless other nodes
        // appended since): a receipt's disclosures are decided on the state at its head.
        let (seq, hash) = (core.state.events_applied(), core.applied_hash.clone());
        if let Some(latest) = core.log.latest_signed_head()? {
            if latest.seq == seq && latest.public_key == signer.public_key_hex() {
                return Ok(latest);
            }
        }
        let head = signer.sign(seq, &hash, &now);
        if seq > 0 {
            core.log.record_signed_head(&head)?;
        }
        Ok(head)
    }

    /// The public half of the head-signing key (hex), for parties to pin.
    pub fn public_key(&self) -> String {
        self.signer.public_key_hex()
    }

    /// A signed receipt for `viewer` of the events after `after`: what it may see of each,
    /// as [`deconflict_engine::disclosure`] decides, up to a freshly signed head.
    pub fn receipt(
        &self,
        viewer: &deconflict_engine::PartyId,
        after: u64,
    ) -> Result<Receipt, StoreError> {
        let now = self.now();
        let mut core = self.lock();
        if self.config.shared_log {
            self.catch_up(&mut core)?;
        }
        let head = Self::sign_locked(&self.signer, &mut core, now)?;
        let Core { state, log, .. } = &mut *core;
        log.receipt(after, head, &mut |stored| {
            let Ok(event) = Event::from_parts(&stored.kind, stored.payload.clone()) else {
                return Disclosure::nothing();
            };
            let pointers = deconflict_engine::disclosure::disclosure(state, viewer, &event);
            Disclosure::of_pointers(pointers.iter().map(String::as_str))
                .expect("the engine names well-formed pointers")
        })
    }
}
