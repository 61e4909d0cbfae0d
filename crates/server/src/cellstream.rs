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
//! (`filter_subjects`, NATS 2.10). When its leases change, the consumer is replaced by one for
//! the new set, starting [`REPLAY`] back in the stream: a track's state is its newest report
//! and a track silent for the staleness limit (30 s) is lost anyway, so those 60 s are all a
//! node taking over a cell needs, and because the stream kept every acknowledged message, none
//! of them is lost. Re-reading reports already applied changes nothing (the newest report wins,
//! `State::apply_streamed_positions`). Reports a node receives are folded into its state
//! without entering the log; the alerts detected on them go through the log as every alert.
//!
//! A node decides for the cells of its leases only once its consumer has caught up with the
//! stream for them ([`App::set_positions_ready`]): before that it would judge alerts on tracks
//! it has not read yet. Conditions on tracks a node does not hold are not its to decide
//! (`decide::Scope::StreamedShard`): the node holding them is.
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

/// Starts consuming the subjects of this node's shard into its state, following its leases,
/// and refreshing the lease weights from the stream.
pub fn spawn_consumer(app: Arc<App>, client: async_nats::Client) -> Task {
    let Some(membership) = app.membership() else {
        return Task(None);
    };
    Task(Some(tokio::spawn(async move {
        use tokio_stream::StreamExt as _;
        let context = jetstream::new(client);
        let mut current: BTreeSet<String> = BTreeSet::new();
        let mut messages: Option<jetstream::consumer::pull::Ordered> = None;
        // The shard the consumer was built for, until it has caught up with the stream.
        let mut catching_up: Option<Arc<deconflict_engine::shard::Shard>> = None;
        let mut check = tokio::time::interval(RESUBSCRIBE_CHECK);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut weigh = tokio::time::interval(app.lease_ttl() / 4);
        weigh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = check.tick() => {
                    let shard = membership.shard();
                    let wanted = wanted_subjects(&shard);
                    if wanted == current && (messages.is_some() || wanted.is_empty()) {
                        // The cells may change while their subjects do not (a cell given or
                        // taken inside the band): the consumer already reads them all.
                        match catching_up.as_mut() {
                            Some(pending) => *pending = shard,
                            None if !wanted.is_empty() && app.positions_ready_for() != Some(shard.owned().clone()) => {
                                app.set_positions_ready(shard);
                            }
                            None => {}
                        }
                        continue;
                    }
                    messages = None;
                    catching_up = None;
                    current = wanted;
                    if current.is_empty() {
                        tracing::info!("no cells held: consuming no position subjects");
                        continue;
                    }
                    match consume(&context, &current, app.now()).await {
                        Ok((ordered, pending)) => {
                            tracing::info!(subjects = current.len(), pending, "consuming position subjects");
                            messages = Some(ordered);
                            if pending == 0 {
                                app.set_positions_ready(shard);
                            } else {
                                catching_up = Some(shard);
                            }
                        }
                        Err(error) => {
                            // Tried again at the next check.
                            tracing::warn!(%error, "cannot consume the position subjects");
                            current.clear();
                        }
                    }
                }
                _ = weigh.tick() => match cell_weights(&context).await {
                    Ok(weights) => app.set_stream_cell_weights(weights),
                    Err(error) => tracing::warn!(%error, "cannot read the cells' load from the stream"),
                },
                Some(message) = async {
                    match messages.as_mut() {
                        Some(ordered) => ordered.next().await,
                        None => std::future::pending().await,
                    }
                } => match message {
                    Ok(message) => {
                        match serde_json::from_slice::<CellBatch>(&message.payload) {
                            Ok(batch) => {
                                let reports = batch.reports.len() as u64;
                                app.apply_streamed_positions(batch);
                                metrics::counter!("deconflict_positions_consumed_total").increment(reports);
                            }
                            Err(error) => tracing::warn!(%error, subject = %message.subject, "a message on the position subjects is not a batch"),
                        }
                        let caught_up = message.info().is_ok_and(|info| info.pending == 0);
                        if let Some(shard) = catching_up.take_if(|_| caught_up) {
                            tracing::info!(cells = shard.owned().len(), "position subjects caught up");
                            app.set_positions_ready(shard);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the position consumer failed; consuming again");
                        messages = None;
                        current.clear();
                    }
                },
            }
        }
    })))
}

/// An ordered consumer of `subjects` from [`REPLAY`] before `now`, and how many messages it
/// had to deliver when created.
async fn consume(
    context: &jetstream::Context,
    subjects: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<(jetstream::consumer::pull::Ordered, u64), CellStreamError> {
    let stream = context
        .get_stream(STREAM)
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    let start_time = now - chrono::TimeDelta::from_std(REPLAY).expect("a minute");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subjects: subjects.iter().cloned().collect(),
            deliver_policy: jetstream::consumer::DeliverPolicy::ByStartTime { start_time },
            ..Default::default()
        })
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    let pending = consumer.cached_info().num_pending;
    let messages = consumer
        .messages()
        .await
        .map_err(|error| CellStreamError::Stream(error.to_string()))?;
    Ok((messages, pending))
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
}
