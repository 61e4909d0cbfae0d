//! Position reports on NATS JetStream, by cell (SPEC §9, issue 21 point 1).
//!
//! A cluster node started with `--node` and `--nats` takes position reports out of the log:
//! the log is one serial chain, and 10⁵–10⁶ reports a second would be most of what it holds.
//! Instead, any node's ingest validates a party's batch against its state
//! (`decide::report_positions`: fields, quantisation, the time window, and the owner of every
//! track this node holds), publishes the accepted reports to one subject per cell of the
//! shard grid (`positions.<cell>`, or `positions.fast` for tracks faster than the band allows;
//! [`deconflict_engine::shard`]), and waits for JetStream to acknowledge every message: that
//! acknowledgement is what "accepted" means to the caller. Only then it logs a
//! `PositionsPublished` event with the batch's digest (the same SHA-256 of the compact JSON of
//! the reports a `PositionsReported` event holds, in the order of the messages' stream
//! sequences) and those sequences, so audit and replay still cover positions: an auditor reads
//! the messages at the logged sequences and checks the digest ([`verify`]) while the stream
//! holds them, the digest alone after ([`STREAM_MAX_AGE`]), as the log's own retention prunes
//! old batches to their digest.
//!
//! # Why the shard grid is the subject grid
//!
//! A cell (rows of 4° of latitude cut into spans at least 445 km wide) is larger than the reach
//! of a conflict at the default limits (a chord of about 261 km: `Band::reach_chord_m`), so a
//! node owning some cells needs the subjects of those cells and of their neighbours, and no
//! more: [`deconflict_engine::shard::Shard::consumed`] lists them. The fast subject is consumed
//! by every node (fast tracks may pair with anything within their longer reach).
//!
//! # Consuming
//!
//! Each node keeps one ordered JetStream consumer filtered to the subjects its shard consumes
//! (`filter_subjects`, NATS 2.10), the *main* one. A node starting (or recovering from a failed
//! consumer) reads from [`REPLAY`] back in the stream: a track's state is its newest report
//! and a track silent for the staleness limit (30 s) is lost anyway, so those 60 s are all a
//! node taking over a cell needs, and because the stream kept every acknowledged message, none
//! of them is lost. When its leases change the subjects, the main consumer is replaced by one
//! for the new set that goes on after the last message it delivered, and the subjects added
//! are read back from [`REPLAY`] by a consumer of their own until it reaches where the stream
//! stood ([`Coverage`]). Re-reading reports already applied changes nothing (the newest report
//! wins, `State::apply_streamed_positions`). Reports a node receives are folded into its state
//! without entering the log; the alerts detected on them go through the log as every alert.
//! Messages on subjects the node has given up are not applied, even from a consumer not yet
//! replaced.
//!
//! A node decides a cell of its leases only once it has read every subject of the cell's band
//! (and the fast one) from [`REPLAY`] before it wanted it up to the stream's end
//! ([`App::set_positions_ready`]): before that it would judge alerts on tracks it has not read
//! yet. Cells already read stay decided while others are read back. Conditions on tracks a
//! node does not hold are not its to decide (`decide::Scope::StreamedShard`): the node holding
//! them is.
//!
//! The stream belongs to one log. A node applies every batch it reads (a batch was validated
//! by a node of the same log, so its owner exists there, though this node may not have followed
//! the registration yet), so two deployments must not share a JetStream account: their
//! reports would mix, and a track id taken in one would be refused in the other. Give each
//! deployment its own NATS cluster or account (the cluster test empties the stream first for
//! the same reason).
//!
//! Every node also reads, every lease renewal, how many messages the stream holds per cell
//! subject ([`cell_weights`]): the load the leases are shared by, the same seen from every node
//! (a node's own state holds only its band's tracks).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use deconflict_engine::shard::{Band, Cell, FAST_SUBJECT};
use deconflict_engine::{PartyId, TrackReport};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::snapshot::Task;
use crate::App;

/// The JetStream stream position reports travel in.
pub const STREAM: &str = "DECONFLICT_POSITIONS";
/// The subjects of [`STREAM`].
pub const SUBJECTS: &str = "positions.>";
/// How long the stream keeps a batch: an hour of reports to audit or replay against the log's
/// digests. At 10⁵ tracks reporting at 1 Hz that is about 20 GB (quantised JSON); the log keeps
/// every batch's digest forever.
pub const STREAM_MAX_AGE: Duration = Duration::from_secs(3600);
/// The most the stream holds by default before it drops its oldest batches
/// (`BusConfig::positions_max_bytes`).
pub const STREAM_MAX_BYTES: i64 = 32 << 30;
/// How far back in the stream a node (re)starts consuming: twice the staleness limit.
pub const REPLAY: Duration = Duration::from_secs(60);
/// Most reports in one message. Small enough that the stream's count of messages per cell
/// follows the number of reports there (the lease weights, [`cell_weights`]), large enough that
/// a message's overhead stays small against its reports (about 60 bytes each).
pub const MAX_REPORTS_PER_MESSAGE: usize = 64;
/// How often a node checks whether its leases changed the subjects it must consume.
const RESUBSCRIBE_CHECK: Duration = Duration::from_millis(200);

/// One message on `positions.<cell>`: a party's reports in that cell from one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellBatch {
    pub owner: PartyId,
    /// The node that received the batch.
    pub node: String,
    /// When that node received it (the time every node folds it at).
    pub received_at: DateTime<Utc>,
    #[serde(with = "deconflict_engine::track::compact")]
    pub reports: Vec<TrackReport>,
}

/// A batch as published: what the log records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub digest: String,
    pub reports: u32,
    /// The stream sequences of its messages (one per cell subject and up to
    /// [`MAX_REPORTS_PER_MESSAGE`] reports), ascending.
    pub seqs: Vec<u64>,
}

/// Why reports could not be published or a batch could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum CellStreamError {
    #[error("cannot connect to NATS at {servers}: {reason}")]
    Connect { servers: String, reason: String },
    #[error("cannot create or update the JetStream stream {STREAM}: {0}")]
    Stream(String),
    #[error("NATS JetStream did not take the reports on {subject}: {reason}")]
    Publish { subject: String, reason: String },
    #[error("message {seq} of {STREAM} cannot be read: {reason}")]
    Read { seq: u64, reason: String },
}

/// The subject a report is published on, by the band's grid.
pub fn subject(band: &Band, report: &TrackReport) -> String {
    let speed = report.motion.ground_speed_mps.abs();
    if speed.is_nan() || speed > band.max_speed_mps {
        return FAST_SUBJECT.to_owned();
    }
    Cell::of(report.motion.lat_deg, report.motion.lon_deg)
        .map(Cell::subject)
        // `report_positions` refuses positions outside the globe before this is asked.
        .unwrap_or_else(|| FAST_SUBJECT.to_owned())
}

/// The SHA-256 (hex) of the batches' reports in order, as `PositionsReported` digests them.
pub fn digest<'b>(batches: impl IntoIterator<Item = &'b CellBatch>) -> String {
    let reports: Vec<TrackReport> = batches
        .into_iter()
        .flat_map(|batch| batch.reports.iter().cloned())
        .collect();
    hex::encode(Sha256::digest(
        deconflict_engine::track::compact::to_json_bytes(&reports),
    ))
}

/// Publishes position reports for this node.
#[derive(Clone)]
pub struct Publisher {
    context: jetstream::Context,
    node: String,
    band: Band,
}

impl Publisher {
    /// Creates or updates [`STREAM`] and returns a publisher on it.
    pub async fn open(
        client: async_nats::Client,
        node: String,
        band: Band,
        replicas: usize,
        max_bytes: i64,
    ) -> Result<Publisher, CellStreamError> {
        let context = jetstream::new(client);
        let config = jetstream::stream::Config {
            name: STREAM.to_owned(),
            description: Some(
                "deconflict: validated position reports by cell of the shard grid".to_owned(),
            ),
            subjects: vec![SUBJECTS.to_owned()],
            max_age: STREAM_MAX_AGE,
            max_bytes,
            storage: jetstream::stream::StorageType::File,
            discard: jetstream::stream::DiscardPolicy::Old,
            num_replicas: replicas,
            ..Default::default()
        };
        // A JetStream cluster that has just started may not have elected its leader yet.
        let mut attempt = 1;
        loop {
            match context.get_or_create_stream(config.clone()).await {
                Ok(_) => break,
                Err(error) if attempt < 20 => {
                    tracing::debug!(%error, attempt, "JetStream not ready; trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(error) => return Err(CellStreamError::Stream(error.to_string())),
            }
        }
        Ok(Publisher {
            context,
            node,
            band,
        })
    }

    /// Publishes one party's accepted reports, in messages of at most [`MAX_REPORTS_PER_MESSAGE`]
    /// per cell subject, and returns once
    /// JetStream has acknowledged every message (or the first failure: the caller is then
    /// told nothing was accepted, although some cells' messages may be in the stream; the
    /// newest report wins wherever they are applied, so a retry changes nothing twice).
    pub async fn publish(
        &self,
        owner: &PartyId,
        received_at: DateTime<Utc>,
        reports: Vec<TrackReport>,
    ) -> Result<Published, CellStreamError> {
        let count = u32::try_from(reports.len()).unwrap_or(u32::MAX);
        let mut by_subject: std::collections::BTreeMap<String, Vec<TrackReport>> =
            Default::default();
        for report in reports {
            by_subject
                .entry(subject(&self.band, &report))
                .or_default()
                .push(report);
        }
        let mut pending = Vec::with_capacity(by_subject.len());
        let messages = by_subject.into_iter().flat_map(|(subject, reports)| {
            let chunks: Vec<Vec<TrackReport>> = reports
                .chunks(MAX_REPORTS_PER_MESSAGE)
                .map(<[TrackReport]>::to_vec)
                .collect();
            chunks
                .into_iter()
                .map(move |chunk| (subject.clone(), chunk))
        });
        for (subject, reports) in messages {
            let batch = CellBatch {
                owner: owner.clone(),
                node: self.node.clone(),
                received_at,
                reports,
            };
            let payload = serde_json::to_vec(&batch).expect("a batch serialises");
            let ack = self
                .context
                .publish(subject.clone(), payload.into())
                .await
                .map_err(|error| CellStreamError::Publish {
                    subject: subject.clone(),
                    reason: error.to_string(),
                })?;
            pending.push((subject, batch, ack));
        }
        let mut published = Vec::with_capacity(pending.len());
        for (subject, batch, ack) in pending {
            let ack = ack.await.map_err(|error| CellStreamError::Publish {
                subject,
                reason: error.to_string(),
            })?;
            published.push((ack.sequence, batch));
        }
        published.sort_by_key(|(seq, _)| *seq);
        metrics::counter!("deconflict_positions_published_total").increment(u64::from(count));
        Ok(Published {
            digest: digest(published.iter().map(|(_, batch)| batch)),
            reports: count,
            seqs: published.into_iter().map(|(seq, _)| seq).collect(),
        })
    }
}

/// Reads the messages at `seqs` back from the stream and returns their batches, in order
/// (for audit: their [`digest`] must be the logged one).
pub async fn read_back(
    context: &jetstream::Context,
    seqs: &[u64],
) -> Result<Vec<CellBatch>, CellStreamError> {
    let stream = context
        .get_stream(STREAM)
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    let mut batches = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let message = stream
            .get_raw_message(seq)
            .await
            .map_err(|error| CellStreamError::Read {
                seq,
                reason: error.to_string(),
            })?;
        batches.push(serde_json::from_slice(&message.payload).map_err(|error| {
            CellStreamError::Read {
                seq,
                reason: error.to_string(),
            }
        })?);
    }
    Ok(batches)
}

/// Whether the messages at a logged batch's sequences hold exactly the reports it digested.
pub async fn verify(
    context: &jetstream::Context,
    digest_logged: &str,
    seqs: &[u64],
) -> Result<bool, CellStreamError> {
    Ok(digest(&read_back(context, seqs).await?) == digest_logged)
}

/// Messages per cell subject in the stream, as lease weights (one per cell, at least 1).
pub async fn cell_weights(context: &jetstream::Context) -> Result<Vec<u64>, CellStreamError> {
    use tokio_stream::StreamExt as _;
    let stream = context
        .get_stream(STREAM)
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    let mut weights = vec![1u64; Cell::count() as usize];
    let mut subjects = stream
        .info_with_subjects(SUBJECTS)
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    while let Some(entry) = subjects.next().await {
        let (subject, count) = entry.map_err(|error| CellStreamError::Stream(error.to_string()))?;
        if let Some(cell) = Cell::from_subject(&subject) {
            weights[cell.0 as usize] += count as u64;
        }
    }
    Ok(weights)
}

/// The subjects a shard consumes: its cells and their band's, and the fast subject; none
/// without a cell.
fn wanted_subjects(shard: &deconflict_engine::shard::Shard) -> BTreeSet<String> {
    if shard.owned().is_empty() {
        return BTreeSet::new();
    }
    (shard.consumed().iter().map(|cell| cell.subject()))
        .chain([FAST_SUBJECT.to_owned()])
        .collect()
}

/// Connects (a connection of its own: reports are the heavy traffic), sets the stream up,
/// attaches the publisher to `app` and starts the consumer. Fails (and `serve` stops) if NATS
/// cannot be reached at start-up.
pub async fn start(
    app: Arc<App>,
    bus: &crate::bus::BusConfig,
    cluster: &crate::cluster::ClusterConfig,
) -> Result<Task, CellStreamError> {
    let client = async_nats::ConnectOptions::new()
        .name(format!("deconflict {} positions", cluster.node))
        .connection_timeout(Duration::from_secs(5))
        .connect(bus.servers.clone())
        .await
        .map_err(|error| CellStreamError::Connect {
            servers: bus.servers.join(","),
            reason: error.to_string(),
        })?;
    let publisher = Publisher::open(
        client.clone(),
        cluster.node.clone(),
        cluster.band,
        bus.replicas,
        bus.positions_max_bytes,
    )
    .await?;
    app.attach_positions(publisher);
    let (gatherer, answering) =
        crate::tracklist::Gatherer::start(app.clone(), client.clone(), cluster.node.clone())
            .await
            .map_err(|error| CellStreamError::Connect {
                servers: bus.servers.join(","),
                reason: error.to_string(),
            })?;
    app.attach_track_lists(gatherer);
    tracing::info!(
        stream = STREAM,
        "position reports travel on NATS JetStream by cell"
    );
    let consuming = spawn_consumer(app, client);
    // One task that holds both: dropping it (at shutdown) stops them.
    Ok(Task(Some(tokio::spawn(async move {
        let _running = (consuming, answering);
        std::future::pending::<()>().await
    }))))
}

/// Which position subjects this node has read without a gap, and which it is still reading
/// back: the bookkeeping behind [`App::set_positions_ready`], kept apart from the consumers so
/// it can be tested alone.
///
/// A subject is *ready* once this node holds every report on it from [`REPLAY`] before it was
/// wanted up to the stream's end at that moment, and has read every message since. A cell may
/// be decided when the subjects of its band (and the fast one) are all ready.
///
/// Why not one consumer rebuilt from [`REPLAY`] back at every change (as before): the leases
/// follow the stream's load, which moves, so a node's cells change every renewal or two; each
/// rebuild replayed a minute of all its subjects (thousands of messages) and made the node wait
/// for it again, so on a busy or slow machine a node taking over a dead node's cells could go
/// on catching up for longer than a track lives (found by the failover test in CI: the late
/// pairs were never decided). Now the main consumer goes on from the message after the last it
/// delivered (no gap, no replay), and only the subjects added are read back, by a consumer of
/// their own; the cells already ready stay ready throughout.
#[derive(Debug, Default)]
struct Coverage {
    ready: BTreeSet<String>,
    /// The subjects the main consumer reads: only these can be ready.
    main: BTreeSet<String>,
    backfills: std::collections::BTreeMap<u64, Backfill>,
    next_id: u64,
    /// Whether subjects became ready since [`Coverage::take_news`] was last asked.
    news: bool,
}

/// Subjects being read back from [`REPLAY`] before they were wanted.
#[derive(Debug)]
struct Backfill {
    subjects: BTreeSet<String>,
    /// The stream's last sequence when they were wanted: read back up to there…
    until: u64,
    /// …by their own consumer (or by the main one, when it was built from [`REPLAY`] back),
    read: bool,
    /// …and the main consumer has reached it too.
    main_read: bool,
}

/// Whether a consumer's delivery shows it holds everything on its subjects up to `until`: it
/// delivered that sequence or later, or nothing more is pending for it (the consumers are
/// created after `until` was read, so "nothing pending" is later than `until`).
fn reached(seq: u64, pending: u64, until: u64) -> bool {
    seq >= until || pending == 0
}

impl Coverage {
    /// Starts reading `subjects` back up to the stream's sequence `until`; `by_main` when the
    /// main consumer itself starts [`REPLAY`] back. Returns the backfill's id.
    fn start(&mut self, subjects: BTreeSet<String>, until: u64, by_main: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.backfills.insert(
            id,
            Backfill {
                subjects,
                until,
                read: by_main,
                main_read: false,
            },
        );
        id
    }

    /// The main consumer delivered stream sequence `seq` with `pending` messages after it
    /// (`seq` 0 and `pending` 0: it was created with nothing to deliver).
    fn main_delivered(&mut self, seq: u64, pending: u64) {
        for backfill in self.backfills.values_mut() {
            backfill.main_read |= reached(seq, pending, backfill.until);
        }
        self.promote();
    }

    /// Backfill `id` delivered stream sequence `seq` with `pending` after it. Returns whether
    /// it has read all it had to (its consumer may then go).
    fn backfill_delivered(&mut self, id: u64, seq: u64, pending: u64) -> bool {
        let done = match self.backfills.get_mut(&id) {
            Some(backfill) => {
                backfill.read |= reached(seq, pending, backfill.until);
                backfill.read
            }
            None => true,
        };
        self.promote();
        done
    }

    fn promote(&mut self) {
        let done: Vec<u64> = (self.backfills.iter())
            .filter(|(_, b)| b.read && b.main_read)
            .map(|(id, _)| *id)
            .collect();
        for id in done {
            if let Some(backfill) = self.backfills.remove(&id) {
                self.news = true;
                let main = &self.main;
                (self.ready).extend(backfill.subjects.into_iter().filter(|s| main.contains(s)));
            }
        }
    }

    /// Whether subjects became ready since last asked (then the ready cells are told at once,
    /// not at the next check).
    fn take_news(&mut self) -> bool {
        std::mem::take(&mut self.news)
    }

    /// The main consumer reads `subjects` now: the others are no longer ready (a gap begins),
    /// nor become ready when read back.
    fn main_reads(&mut self, subjects: &BTreeSet<String>) {
        self.ready.retain(|subject| subjects.contains(subject));
        self.main = subjects.clone();
    }

    /// Every backfill dropped (its consumer failed or the node holds no cell).
    fn abandon_backfills(&mut self) {
        self.backfills.clear();
    }

    /// Subjects wanted and neither ready nor being read back.
    fn uncovered(&self, wanted: &BTreeSet<String>) -> BTreeSet<String> {
        let reading: BTreeSet<&String> = (self.backfills.values())
            .flat_map(|b| &b.subjects)
            .collect();
        (wanted.iter())
            .filter(|s| !self.ready.contains(*s) && !reading.contains(s))
            .cloned()
            .collect()
    }

    /// The cells of `shard` whose band's subjects and the fast one are all ready.
    fn ready_cells(&self, shard: &deconflict_engine::shard::Shard) -> Vec<Cell> {
        if !self.ready.contains(FAST_SUBJECT) {
            return Vec::new();
        }
        let band = shard.band();
        (shard.owned().iter().copied())
            .filter(|&cell| {
                (band.cells(cell).into_iter()).all(|c| self.ready.contains(&c.subject()))
            })
            .collect()
    }
}

/// Starts consuming the subjects of this node's shard into its state, following its leases,
/// and refreshing the lease weights from the stream (see [`Coverage`] for how a change of
/// cells is read).
pub fn spawn_consumer(app: Arc<App>, client: async_nats::Client) -> Task {
    let Some(membership) = app.membership() else {
        return Task(None);
    };
    Task(Some(tokio::spawn(async move {
        use jetstream::consumer::DeliverPolicy;
        use tokio_stream::StreamExt as _;
        let context = jetstream::new(client);
        // The subjects the main consumer reads (rebuilt whenever they change: cheap, as it
        // goes on after its last message; only added subjects are read back).
        let mut current: BTreeSet<String> = BTreeSet::new();
        // The subjects whose messages are applied: those of the newest shard asked for. While
        // a new consumer is being opened the old one may still deliver subjects given up,
        // which are no longer this node's to hold (and stop being ready when it is in place).
        let mut reading: BTreeSet<String> = BTreeSet::new();
        let mut main: Option<jetstream::consumer::pull::Ordered> = None;
        // Where a rebuilt main consumer starts: after the last message it delivered.
        let mut main_from = DeliverPolicy::All;
        let mut backfills: tokio_stream::StreamMap<u64, jetstream::consumer::pull::Ordered> =
            tokio_stream::StreamMap::new();
        let mut coverage = Coverage::default();
        let mut check = tokio::time::interval(RESUBSCRIBE_CHECK);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut opening: Option<
            std::pin::Pin<Box<dyn std::future::Future<Output = Opening> + Send>>,
        > = None;
        // The cells' load, read every quarter lease by a task of its own (reading the counts
        // of 2,473 subjects must not hold the consumers up).
        let _weighing = {
            let (app, context) = (app.clone(), context.clone());
            Task(Some(tokio::spawn(async move {
                let mut weigh = tokio::time::interval(app.lease_ttl() / 4);
                weigh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    weigh.tick().await;
                    match cell_weights(&context).await {
                        Ok(weights) => app.set_stream_cell_weights(weights),
                        Err(error) => {
                            tracing::warn!(%error, "cannot read the cells' load from the stream")
                        }
                    }
                }
            })))
        };
        loop {
            tokio::select! {
                _ = check.tick() => {
                    let shard = membership.shard();
                    let wanted = wanted_subjects(&shard);
                    if wanted.is_empty() {
                        if main.take().is_some() {
                            tracing::info!("no cells held: consuming no position subjects");
                        }
                        opening = None;
                        current.clear();
                        reading.clear();
                        backfills = tokio_stream::StreamMap::new();
                        coverage = Coverage::default();
                    } else {
                        // Subjects given up are skipped from now on, even from a consumer
                        // still reading them, and are no longer ready: taken again, they are
                        // read back.
                        reading = wanted.clone();
                        coverage.main_reads(&current.intersection(&reading).cloned().collect());
                    }
                    if !wanted.is_empty()
                        && opening.is_none()
                        && (main.is_none() || wanted != current || !coverage.uncovered(&wanted).is_empty())
                    {
                        let replay_from = app.now() - chrono::TimeDelta::from_std(REPLAY).expect("a minute");
                        let from = match (&main, &main_from) {
                            (Some(_), DeliverPolicy::ByStartSequence { .. }) => main_from,
                            // The first consumer, or after a failure: from a minute back.
                            _ => DeliverPolicy::ByStartTime { start_time: replay_from },
                        };
                        let by_main = !matches!(from, DeliverPolicy::ByStartSequence { .. });
                        let added: BTreeSet<String> = if by_main {
                            // Its own read-backs are dropped once it is in place.
                            wanted.difference(&coverage.ready).cloned().collect()
                        } else {
                            coverage.uncovered(&wanted)
                        };
                        // Opened beside the consumers running (a consumer takes up to a second
                        // to create): the main one goes on meanwhile, so the cells it reads stay
                        // current (a report's alert is not held up), and its successor starts
                        // where it stood now, so some messages come twice (the newest report
                        // wins) and none is skipped.
                        let context = context.clone();
                        opening = Some(Box::pin(async move {
                            let opened = open(&context, &wanted, from, &added, replay_from, by_main).await;
                            (opened, wanted, added, from, by_main)
                        }));
                    }
                    coverage.take_news();
                    tell_ready(&app, &shard, &coverage);
                }
                (opened, wanted, added, from, by_main) = async {
                    match opening.as_mut() {
                        Some(future) => future.await,
                        None => std::future::pending().await,
                    }
                } => {
                    opening = None;
                    match opened {
                        Ok(opened) => {
                            tracing::info!(
                                subjects = wanted.len(),
                                added = added.len(),
                                replayed = opened.replayed,
                                "consuming position subjects"
                            );
                            if by_main {
                                coverage.abandon_backfills();
                                backfills = tokio_stream::StreamMap::new();
                            }
                            coverage.main_reads(&wanted.intersection(&reading).cloned().collect());
                            let id = coverage.start(added, opened.until, by_main);
                            if let Some((backfill, pending)) = opened.backfill {
                                if !coverage.backfill_delivered(id, 0, pending) {
                                    backfills.insert(id, backfill);
                                }
                            }
                            if opened.main_pending == 0 {
                                coverage.main_delivered(0, 0);
                            }
                            main = Some(opened.main);
                            main_from = from;
                            current = wanted;
                        }
                        Err(error) => {
                            // Tried again at the next check, from a minute back: the old
                            // consumer skipped the subjects given up meanwhile.
                            tracing::warn!(%error, "cannot consume the position subjects");
                            main = None;
                            current.clear();
                        }
                    }
                }
                Some(message) = async {
                    match main.as_mut() {
                        Some(ordered) => ordered.next().await,
                        None => std::future::pending().await,
                    }
                } => match message {
                    Ok(message) => {
                        if reading.contains(message.subject.as_str()) {
                            apply(&app, &message);
                        }
                        if let Ok(info) = message.info() {
                            main_from = DeliverPolicy::ByStartSequence { start_sequence: info.stream_sequence + 1 };
                            coverage.main_delivered(info.stream_sequence, info.pending);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the position consumer failed; consuming again");
                        main = None;
                        current.clear();
                    }
                },
                Some((id, message)) = backfills.next(), if !backfills.is_empty() => match message {
                    Ok(message) => {
                        if reading.contains(message.subject.as_str()) {
                            apply(&app, &message);
                        }
                        let done = message.info().is_ok_and(|info| {
                            coverage.backfill_delivered(id, info.stream_sequence, info.pending)
                        });
                        if done {
                            backfills.remove(&id);
                        }
                    }
                    Err(error) => {
                        // Its subjects are read back again from a rebuilt main consumer.
                        tracing::warn!(%error, "reading position subjects back failed; consuming again");
                        backfills.remove(&id);
                        main = None;
                        current.clear();
                    }
                },
            }
            if coverage.take_news() {
                tell_ready(&app, &membership.shard(), &coverage);
            }
        }
    })))
}

/// Tells `app` which of `shard`'s cells it may decide, if that changed.
fn tell_ready(app: &App, shard: &deconflict_engine::shard::Shard, coverage: &Coverage) {
    let ready = coverage.ready_cells(shard);
    if (app.positions_ready_for()).is_none_or(|cells| !cells.iter().eq(ready.iter())) {
        if !ready.is_empty() && ready.len() == shard.owned().len() {
            tracing::info!(cells = ready.len(), "position subjects caught up");
        }
        app.set_positions_ready(Arc::new(deconflict_engine::shard::Shard::new(
            *shard.band(),
            ready,
        )));
    }
}

/// Folds one consumed message into the state.
fn apply(app: &App, message: &jetstream::Message) {
    match serde_json::from_slice::<CellBatch>(&message.payload) {
        Ok(batch) => {
            let reports = batch.reports.len() as u64;
            app.apply_streamed_positions(batch);
            metrics::counter!("deconflict_positions_consumed_total").increment(reports);
        }
        Err(error) => {
            tracing::warn!(%error, subject = %message.subject, "a message on the position subjects is not a batch")
        }
    }
}

/// What a consumer being opened ends with: the consumers (or why not), and what they were
/// asked for (subjects, those added, where the main one starts, whether it replays itself).
type Opening = (
    Result<Opened, CellStreamError>,
    BTreeSet<String>,
    BTreeSet<String>,
    jetstream::consumer::DeliverPolicy,
    bool,
);

/// The consumers [`open`] built.
struct Opened {
    main: jetstream::consumer::pull::Ordered,
    /// Messages the main consumer had to deliver when created.
    main_pending: u64,
    /// The consumer reading the added subjects back, and its pending messages.
    backfill: Option<(jetstream::consumer::pull::Ordered, u64)>,
    /// The stream's last sequence before either was created.
    until: u64,
    /// Messages to read back (the backfill's, or the main consumer's when it starts a minute
    /// back).
    replayed: u64,
}

/// An ordered consumer of `subjects` from `from` and, unless the main consumer replays itself
/// (`by_main`) or nothing is added, one of `added` from `replay_from`.
async fn open(
    context: &jetstream::Context,
    subjects: &BTreeSet<String>,
    from: jetstream::consumer::DeliverPolicy,
    added: &BTreeSet<String>,
    replay_from: DateTime<Utc>,
    by_main: bool,
) -> Result<Opened, CellStreamError> {
    let stream = context
        .get_stream(STREAM)
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    // Read before the consumers exist, so whatever they find pending is later.
    let until = stream.cached_info().state.last_sequence;
    let ordered = |subjects: &BTreeSet<String>, deliver_policy| {
        stream.create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subjects: subjects.iter().cloned().collect(),
            deliver_policy,
            ..Default::default()
        })
    };
    let stream_error = |error: &dyn std::fmt::Display| CellStreamError::Stream(error.to_string());
    let backfill = if by_main || added.is_empty() {
        None
    } else {
        let consumer = ordered(
            added,
            jetstream::consumer::DeliverPolicy::ByStartTime {
                start_time: replay_from,
            },
        )
        .await
        .map_err(|e| stream_error(&e))?;
        let pending = consumer.cached_info().num_pending;
        Some((
            consumer.messages().await.map_err(|e| stream_error(&e))?,
            pending,
        ))
    };
    let consumer = ordered(subjects, from)
        .await
        .map_err(|e| stream_error(&e))?;
    let main_pending = consumer.cached_info().num_pending;
    let replayed = match &backfill {
        Some((_, pending)) => *pending,
        None if by_main => main_pending,
        None => 0,
    };
    Ok(Opened {
        main: consumer.messages().await.map_err(|e| stream_error(&e))?,
        main_pending,
        backfill,
        until,
        replayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use deconflict_engine::Domain;

    fn report(id: &str, lat: f64, lon: f64, speed: f64) -> TrackReport {
        serde_json::from_value(serde_json::json!({
            "track_id": id, "time": "2030-01-01T00:00:00Z", "lat_deg": lat, "lon_deg": lon,
            "altitude_m": 5000.0, "ground_speed_mps": speed, "track_deg": 90.0,
            "vertical_rate_mps": 0.0
        }))
        .unwrap()
    }

    #[test]
    fn a_report_goes_to_its_cells_subject_or_the_fast_one() {
        let band = Band::default();
        let damascus = report("a", 33.5, 36.3, 200.0);
        assert_eq!(
            subject(&band, &damascus),
            Cell::of(33.5, 36.3).unwrap().subject()
        );
        let fast = report("b", 33.5, 36.3, band.max_speed_mps + 1.0);
        assert_eq!(subject(&band, &fast), FAST_SUBJECT);
        assert_eq!(damascus.domain, Domain::Air);
    }

    #[test]
    fn the_digest_of_a_batch_split_by_cell_is_the_logged_batchs() {
        let reports = vec![
            report("a", 33.5, 36.3, 200.0),
            report("b", -30.0, 20.0, 200.0),
        ];
        let whole = hex::encode(Sha256::digest(
            deconflict_engine::track::compact::to_json_bytes(&reports),
        ));
        let split: Vec<CellBatch> = reports
            .iter()
            .map(|r| CellBatch {
                owner: PartyId("p".into()),
                node: "n".into(),
                received_at: Utc::now(),
                reports: vec![r.clone()],
            })
            .collect();
        assert_eq!(digest(&split), whole);
        assert_ne!(
            digest(split.iter().rev()),
            whole,
            "the order of the messages counts"
        );
    }

    #[test]
    fn a_batch_reads_back_as_written() {
        let batch = CellBatch {
            owner: PartyId("red.force".into()),
            node: "a".into(),
            received_at: "2030-01-01T00:00:01.5Z".parse().unwrap(),
            reports: vec![report("a", 33.5, 36.3, 200.0).quantised()],
        };
        let bytes = serde_json::to_vec(&batch).unwrap();
        assert_eq!(serde_json::from_slice::<CellBatch>(&bytes).unwrap(), batch);
    }

    /// A node's first consumer replays a minute itself; its cells are ready once it has
    /// delivered up to the stream's end as it was, not before, and "nothing pending" counts.
    #[test]
    fn the_first_consumer_makes_its_cells_ready_once_it_reaches_the_streams_end() {
        let band = Band::default();
        let damascus = Cell::of(33.5, 36.3).unwrap();
        let shard = deconflict_engine::shard::Shard::new(band, [damascus]);
        let wanted = wanted_subjects(&shard);
        let mut coverage = Coverage::default();
        coverage.main_reads(&wanted);
        let id = coverage.start(coverage.uncovered(&wanted), 500, true);
        assert!(coverage.ready_cells(&shard).is_empty());
        coverage.main_delivered(120, 40);
        coverage.main_delivered(499, 3);
        assert!(coverage.ready_cells(&shard).is_empty(), "not yet at 500");
        coverage.main_delivered(510, 7);
        assert_eq!(coverage.ready_cells(&shard), vec![damascus]);
        assert!(coverage.backfill_delivered(id, 0, 0), "gone once done");
        assert!(coverage.uncovered(&wanted).is_empty());

        let mut idle = Coverage::default();
        idle.main_reads(&wanted);
        idle.start(wanted.clone(), 500, true);
        idle.main_delivered(300, 0);
        assert_eq!(idle.ready_cells(&shard), vec![damascus], "nothing pending");
    }

    /// Cells taken while the node already reads others: the others stay ready throughout; the
    /// new ones are ready once their read-back and the main consumer both reached the end,
    /// however many further changes come meanwhile (each starts a read-back of its own and
    /// none restarts another: the fault CI found).
    #[test]
    fn cells_taken_later_are_read_back_without_unreadying_the_others() {
        let band = Band::default();
        let held = Cell::of(33.5, 36.3).unwrap();
        let far = Cell::of(-30.0, -60.0).unwrap();
        let farther = Cell::of(45.0, -120.0).unwrap();
        let first = deconflict_engine::shard::Shard::new(band, [held]);
        let mut coverage = Coverage::default();
        let wanted = wanted_subjects(&first);
        coverage.main_reads(&wanted);
        coverage.start(wanted.clone(), 10, true);
        coverage.main_delivered(10, 5);
        assert_eq!(coverage.ready_cells(&first), vec![held]);

        let second = deconflict_engine::shard::Shard::new(band, [held, far]);
        let wanted_2 = wanted_subjects(&second);
        let added_2: BTreeSet<String> = wanted_2.difference(&wanted).cloned().collect();
        assert!(!added_2.is_empty() && !added_2.contains(FAST_SUBJECT));
        coverage.main_reads(&wanted_2);
        let b2 = coverage.start(added_2.clone(), 1_000, false);
        assert_eq!(coverage.ready_cells(&second), vec![held]);
        assert!(!coverage.backfill_delivered(b2, 400, 600));

        // A third change before the second is read back.
        let third = deconflict_engine::shard::Shard::new(band, [held, far, farther]);
        let wanted_3 = wanted_subjects(&third);
        let added_3: BTreeSet<String> = wanted_3.difference(&wanted_2).cloned().collect();
        coverage.main_reads(&wanted_3);
        let b3 = coverage.start(added_3, 1_200, false);
        assert!(coverage.uncovered(&wanted_3).is_empty());
        assert_eq!(coverage.ready_cells(&third), vec![held]);

        assert!(coverage.backfill_delivered(b2, 1_000, 9));
        assert_eq!(
            coverage.ready_cells(&third),
            vec![held],
            "the main one is behind"
        );
        coverage.main_delivered(1_100, 50);
        let mut ready = coverage.ready_cells(&third);
        ready.sort();
        let mut want = vec![held, far];
        want.sort();
        assert_eq!(ready, want);
        assert!(coverage.backfill_delivered(b3, 1_150, 0));
        coverage.main_delivered(1_200, 3);
        assert_eq!(coverage.ready_cells(&third).len(), 3);

        // Cells given back and the consumer rebuilt without them: their subjects are no
        // longer read, so taking them again means reading them back again.
        let fourth = deconflict_engine::shard::Shard::new(band, [held]);
        coverage.main_reads(&wanted_subjects(&fourth));
        let again = deconflict_engine::shard::Shard::new(band, [held, far]);
        assert_eq!(coverage.ready_cells(&again), vec![held]);
        assert_eq!(coverage.uncovered(&wanted_subjects(&again)), added_2);
    }

    /// Subjects read back for cells given away before the read-back ended are not ready:
    /// the main consumer does not read them.
    #[test]
    fn a_read_back_finishing_after_its_cells_went_makes_nothing_ready() {
        let band = Band::default();
        let held = Cell::of(33.5, 36.3).unwrap();
        let far = Cell::of(-30.0, -60.0).unwrap();
        let both = deconflict_engine::shard::Shard::new(band, [held, far]);
        let one = deconflict_engine::shard::Shard::new(band, [held]);
        let mut coverage = Coverage::default();
        coverage.main_reads(&wanted_subjects(&one));
        coverage.start(wanted_subjects(&one), 0, true);
        coverage.main_delivered(0, 0);
        let added: BTreeSet<String> = wanted_subjects(&both)
            .difference(&wanted_subjects(&one))
            .cloned()
            .collect();
        coverage.main_reads(&wanted_subjects(&both));
        let id = coverage.start(added.clone(), 100, false);
        coverage.main_reads(&wanted_subjects(&one));
        coverage.main_delivered(100, 0);
        assert!(coverage.backfill_delivered(id, 100, 0));
        assert!(added.iter().all(|s| !coverage.ready.contains(s)));
        assert_eq!(coverage.ready_cells(&both), vec![held]);
    }
}
