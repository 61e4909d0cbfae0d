//! The doorbell between nodes: NATS JetStream subjects that tell every node, at once, that
//! another node logged something a stream carries (SPEC §9: "alerts to every node").
//!
//! The log in PostgreSQL stays the only truth. What a party's stream delivers, in what order
//! and from which id, is still read from the log (`App::catch_up`), so nothing is lost, doubled
//! or reordered whatever NATS does. NATS only cuts the wait: without it a node applies the
//! others' events when it next polls (`Config::follow_interval`, 200 ms by default); with it,
//! as soon as the node that logged them says so.
//!
//! After each command, the node publishes, for every event its streams carry, a message with
//! the event's log position to `alerts.<party>` for each party an alert is for, or to
//! `events.<kind>` for the rest (messages, acknowledgements, …), and waits for JetStream's
//! acknowledgement on a task of its own (never under the writer lock). The stream
//! `DECONFLICT_EVENTS` holding these subjects is created or updated at start-up with limits
//! set here ([`STREAM_MAX_AGE`], [`STREAM_MAX_BYTES`], `--nats-replicas` copies), so a party's
//! own systems may also follow `alerts.<party>` there — it carries positions in the log and
//! alert ids, nothing the log's reader could not see. Every node subscribes to both subject
//! trees and, on a message from another node, applies the log at once. Party ids may hold a
//! `.`, which NATS reads as a token separator: it is written `%2E` in subjects.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use deconflict_engine::Event;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::app::Committed;
use crate::snapshot::Task;
use crate::App;

/// The JetStream stream deconflict keeps its doorbell subjects in.
pub const STREAM: &str = "DECONFLICT_EVENTS";
/// How long the stream keeps a message: a day is plenty for a party's systems catching up
/// (the log keeps everything anyway).
pub const STREAM_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The most the stream holds before it drops its oldest messages.
pub const STREAM_MAX_BYTES: i64 = 1 << 30;

/// How this node reaches NATS (`serve --nats URL[,URL…] [--nats-replicas N]`).
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// The servers of the NATS cluster (any of them will do; the client fails over).
    pub servers: Vec<String>,
    /// Copies JetStream keeps of each message (1 .. the cluster's size, at most 5).
    pub replicas: usize,
    /// The most the position stream holds before it drops its oldest batches
    /// ([`crate::cellstream`]; default [`crate::cellstream::STREAM_MAX_BYTES`]): it must fit in
    /// the NATS servers' `max_file_store`.
    pub positions_max_bytes: i64,
}

impl BusConfig {
    /// `servers` with `replicas` copies and the default limits.
    pub fn new(servers: Vec<String>, replicas: usize) -> BusConfig {
        BusConfig {
            servers,
            replicas,
            positions_max_bytes: crate::cellstream::STREAM_MAX_BYTES,
        }
    }
}

/// One doorbell message: where in the log to look, and who published it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ring {
    /// The log position of the event.
    pub seq: u64,
    /// The node that logged it (`serve --node`).
    pub node: String,
    /// The alert's id, for alert events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

/// A party id as one NATS subject token.
pub fn subject_token(party: &str) -> String {
    party.replace('.', "%2E")
}

/// The subjects (and message) announcing one logged event, none for events streams never carry.
pub fn announce(seq: u64, event: &Event, node: &str) -> Vec<(String, Ring)> {
    let ring = |alert: Option<String>| Ring {
        seq,
        node: node.to_owned(),
        alert,
    };
    match event {
        Event::AlertRaised { alert } | Event::AlertUpdated { alert } => alert
            .recipients
            .iter()
            .map(|party| {
                (
                    format!("alerts.{}", subject_token(&party.0)),
                    ring(Some(alert.id.to_string())),
                )
            })
            .collect(),
        Event::AlertResolved {
            id,
            alert: Some(alert),
            ..
        } => alert
            .recipients
            .iter()
            .map(|party| {
                (
                    format!("alerts.{}", subject_token(&party.0)),
                    ring(Some(id.to_string())),
                )
            })
            .collect(),
        Event::PositionsReported { .. }
        | Event::PositionsPublished { .. }
        | Event::TracksLost { .. } => Vec::new(),
        other => vec![(format!("events.{}", other.kind()), ring(None))],
    }
}

/// The sending end the writer uses: committed events go to the publishing task.
#[derive(Debug, Clone)]
pub struct Outbox(mpsc::UnboundedSender<Arc<Committed>>);

impl Outbox {
    /// Hands an event this node logged to the publisher; never blocks.
    pub fn send(&self, committed: Arc<Committed>) {
        // A closed channel means the bus task ended (shutting down): the log has the event.
        let _ = self.0.send(committed);
    }
}

/// A new outbox and the receiving end for [`spawn`].
pub fn outbox() -> (Outbox, mpsc::UnboundedReceiver<Arc<Committed>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Outbox(tx), rx)
}

/// Why the bus could not start.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cannot connect to NATS at {servers}: {source}")]
    Connect {
        servers: String,
        source: async_nats::ConnectError,
    },
    #[error("cannot create or update the JetStream stream {STREAM}: {0}")]
    Stream(String),
    #[error("cannot subscribe to {subject}: {source}")]
    Subscribe {
        subject: &'static str,
        source: async_nats::SubscribeError,
    },
}

/// Connects, sets the stream up, and starts publishing this node's events and listening for
/// the others'. Fails (and `serve` stops) if NATS cannot be reached at start-up; later
/// outages only cost latency, since the client reconnects and the follower still polls.
pub async fn spawn(
    app: Arc<App>,
    config: &BusConfig,
    node: String,
    mut outbox: mpsc::UnboundedReceiver<Arc<Committed>>,
) -> Result<Task, BusError> {
    let client = async_nats::ConnectOptions::new()
        .name(format!("deconflict {node}"))
        .connection_timeout(Duration::from_secs(5))
        .connect(config.servers.clone())
        .await
        .map_err(|source| BusError::Connect {
            servers: config.servers.join(","),
            source,
        })?;
    let context = jetstream::new(client.clone());
    let stream = jetstream::stream::Config {
        name: STREAM.to_owned(),
        description: Some(
            "deconflict: the log positions of alerts and other streamed events, per party"
                .to_owned(),
        ),
        subjects: vec!["alerts.>".to_owned(), "events.>".to_owned()],
        max_age: STREAM_MAX_AGE,
        max_bytes: STREAM_MAX_BYTES,
        storage: jetstream::stream::StorageType::File,
        discard: jetstream::stream::DiscardPolicy::Old,
        num_replicas: config.replicas,
        ..Default::default()
    };
    // A JetStream cluster that has just started may not have elected its leader yet.
    let mut attempt = 1;
    loop {
        match context.get_or_create_stream(stream.clone()).await {
            Ok(_) => break,
            Err(error) if attempt < 20 => {
                tracing::debug!(%error, attempt, "JetStream not ready; trying again");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => return Err(BusError::Stream(error.to_string())),
        }
    }
    let mut alerts = client
        .subscribe("alerts.>")
        .await
        .map_err(|source| BusError::Subscribe {
            subject: "alerts.>",
            source,
        })?;
    let mut others = client
        .subscribe("events.>")
        .await
        .map_err(|source| BusError::Subscribe {
            subject: "events.>",
            source,
        })?;
    tracing::info!(servers = %config.servers.join(","), replicas = config.replicas, "NATS JetStream doorbell ready");
    Ok(Task(Some(tokio::spawn(async move {
        use tokio_stream::StreamExt;
        loop {
            tokio::select! {
                Some(committed) = outbox.recv() => {
                    for (subject, ring) in announce(committed.seq, &committed.event, &node) {
                        let payload = serde_json::to_vec(&ring).expect("a ring serialises");
                        match context.publish(subject, payload.into()).await {
                            Ok(ack) => {
                                // Wait for the acknowledgement elsewhere: the next event need
                                // not wait for this one's.
                                tokio::spawn(async move {
                                    match ack.await {
                                        Ok(_) => metrics::counter!("deconflict_bus_published_total").increment(1),
                                        Err(error) => {
                                            metrics::counter!("deconflict_bus_failures_total").increment(1);
                                            tracing::warn!(%error, "NATS did not acknowledge a doorbell (the log has the event; followers poll)");
                                        }
                                    }
                                });
                            }
                            Err(error) => {
                                metrics::counter!("deconflict_bus_failures_total").increment(1);
                                tracing::warn!(%error, "publishing a doorbell failed (the log has the event; followers poll)");
                            }
                        }
                    }
                }
                Some(message) = alerts.next() => ring_if_other(&app, &node, &message.payload),
                Some(message) = others.next() => ring_if_other(&app, &node, &message.payload),
                else => break,
            }
        }
    }))))
}

/// Wakes the follower unless the message is this node's own (or not a doorbell at all).
fn ring_if_other(app: &App, node: &str, payload: &[u8]) {
    match serde_json::from_slice::<Ring>(payload) {
        Ok(ring) if ring.node != node => {
            metrics::counter!("deconflict_bus_rings_total").increment(1);
            app.wake_follower();
        }
        Ok(_) => {}
        Err(error) => {
            tracing::debug!(%error, "a message on the doorbell subjects is not a doorbell")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dotted_party_id_is_one_subject_token() {
        assert_eq!(subject_token("red.force"), "red%2Eforce");
        assert_eq!(subject_token("blue-1_a"), "blue-1_a");
    }

    #[test]
    fn a_ring_reads_back() {
        let ring = Ring {
            seq: 42,
            node: "a".to_owned(),
            alert: Some("al-1".to_owned()),
        };
        let bytes = serde_json::to_vec(&ring).unwrap();
        assert_eq!(serde_json::from_slice::<Ring>(&bytes).unwrap(), ring);
    }
}
