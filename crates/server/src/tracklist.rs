//! `GET /v1/tracks` on a cluster whose position reports travel on NATS (SPEC §9, issue 21).
//!
//! There each node holds only the tracks of the cells it consumes ([`crate::cellstream`]), so
//! no node can list a party's tracks alone. The node asked publishes the question on
//! [`SUBJECT`] (core NATS, not the stream: a question is worth nothing once answered) with a
//! reply inbox; every node answers with the party's tracks, and those released to it, that lie
//! in the cells it *owns* (not its band, so a track is listed by the one node that decides it),
//! as its own state and the log's agreements release them. The node asked waits for as many
//! nodes as held live leases at its last renewal, at most [`GATHER_TIMEOUT`], and merges the
//! shares: where two nodes list the same track (around a hand-over), the newer report wins.
//! The answer says how many nodes answered of how many were expected, so a list short of a
//! node is never taken for the whole picture.
//!
//! An answer is sent in parts of at most [`VIEWS_PER_PART`] tracks (NATS refuses messages over
//! its `max_payload`, 1 MiB by default), each naming its node and how many parts it sends.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use deconflict_engine::PartyId;
use serde::{Deserialize, Serialize};

use crate::routes::positions::{local_list, Gathered, TrackList};
use crate::snapshot::Task;
use crate::App;

/// Where nodes are asked for their share of a party's tracks.
pub const SUBJECT: &str = "deconflict.tracks.list";
/// How long the node asked waits for the others.
pub const GATHER_TIMEOUT: Duration = Duration::from_millis(750);
/// Most tracks in one part of an answer: a track's view is at most about 700 bytes of JSON
/// (ids of 64 characters, callsign and ship's name of 32), so a part stays under 400 KB.
pub const VIEWS_PER_PART: usize = 512;

#[derive(Debug, Serialize, Deserialize)]
struct Question {
    party: PartyId,
}

/// One part of one node's answer.
#[derive(Debug, Serialize, Deserialize)]
struct Part {
    node: String,
    part: u32,
    parts: u32,
    list: TrackList,
}

/// Asks the cluster's nodes for their shares of a party's tracks.
pub struct Gatherer {
    client: async_nats::Client,
}

impl Gatherer {
    /// Answers questions on [`SUBJECT`] with this node's share, and returns the gatherer that
    /// asks them, with the task that answers.
    pub async fn start(
        app: Arc<App>,
        client: async_nats::Client,
        node: String,
    ) -> Result<(Gatherer, Task), async_nats::SubscribeError> {
        let mut questions = client.subscribe(SUBJECT).await?;
        let answering = client.clone();
        let task = tokio::spawn(async move {
            use tokio_stream::StreamExt as _;
            while let Some(message) = questions.next().await {
                let Some(reply) = message.reply else { continue };
                let Ok(question) = serde_json::from_slice::<Question>(&message.payload) else {
                    tracing::warn!("a question for the track list that is not one");
                    continue;
                };
                let owned = app.membership().map(|m| m.shard().owned().clone());
                let list = app.read(|state| match &owned {
                    Some(cells) => local_list(state, &question.party, Some(cells)),
                    None => TrackList::default(),
                });
                for part in parts(&node, list) {
                    let body = serde_json::to_vec(&part).expect("a track list serialises");
                    if let Err(error) = answering.publish(reply.clone(), body.into()).await {
                        tracing::warn!(%error, "answering for the track list failed");
                        break;
                    }
                }
            }
        });
        Ok((Gatherer { client }, Task(Some(task))))
    }

    /// Every node's share of `viewer`'s tracks, merged. Short of a node after the timeout,
    /// what came (the answer's `nodes` says so); if NATS cannot be asked at all, what this
    /// node holds.
    pub async fn gather(&self, app: &App, viewer: &PartyId) -> TrackList {
        let expected = app.membership().map_or(1, |m| m.live_nodes());
        match self.ask(viewer, expected).await {
            Ok(shares) => {
                let answered = shares.len() as u32;
                if answered < expected {
                    metrics::counter!("deconflict_track_lists_short_total").increment(1);
                    tracing::warn!(answered, expected, "a track list short of some nodes");
                }
                let mut list = merge(shares.into_values().flatten());
                list.nodes = Some(Gathered { answered, expected });
                list
            }
            Err(error) => {
                tracing::warn!(%error, "asking the nodes for the track list failed");
                let mut list = app.read(|state| local_list(state, viewer, None));
                list.nodes = Some(Gathered {
                    answered: 1,
                    expected,
                });
                list
            }
        }
    }

    /// Each answering node's complete parts, by node.
    async fn ask(
        &self,
        viewer: &PartyId,
        expected: u32,
    ) -> Result<HashMap<String, Vec<TrackList>>, Box<dyn std::error::Error + Send + Sync>> {
        use tokio_stream::StreamExt as _;
        let inbox = self.client.new_inbox();
        let mut replies = self.client.subscribe(inbox.clone()).await?;
        let question = serde_json::to_vec(&Question {
            party: viewer.clone(),
        })?;
        (self.client)
            .publish_with_reply(SUBJECT, inbox, question.into())
            .await?;
        self.client.flush().await?;
        let deadline = tokio::time::Instant::now() + GATHER_TIMEOUT;
        let mut pending: HashMap<String, (u32, Vec<TrackList>)> = HashMap::new();
        let mut complete: HashMap<String, Vec<TrackList>> = HashMap::new();
        while (complete.len() as u32) < expected {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, replies.next()).await else {
                break;
            };
            let Ok(part) = serde_json::from_slice::<Part>(&message.payload) else {
                continue;
            };
            let entry = pending.entry(part.node.clone()).or_default();
            entry.0 += 1;
            entry.1.push(part.list);
            if entry.0 >= part.parts {
                let (_, lists) = pending.remove(&part.node).unwrap_or_default();
                complete.insert(part.node, lists);
            }
        }
        Ok(complete)
    }
}

/// A node's share in parts of at most [`VIEWS_PER_PART`] tracks (one part when empty).
fn parts(node: &str, list: TrackList) -> Vec<Part> {
    let mut lists = vec![TrackList::default()];
    for view in list.tracks {
        with_room(&mut lists).tracks.push(view);
    }
    for view in list.others {
        with_room(&mut lists).others.push(view);
    }
    let count = lists.len() as u32;
    lists
        .into_iter()
        .enumerate()
        .map(|(index, list)| Part {
            node: node.to_owned(),
            part: index as u32,
            parts: count,
            list,
        })
        .collect()
}

/// The last list, or a new one when the last holds [`VIEWS_PER_PART`] tracks already.
fn with_room(lists: &mut Vec<TrackList>) -> &mut TrackList {
    let full = lists
        .last()
        .is_none_or(|last| last.tracks.len() + last.others.len() >= VIEWS_PER_PART);
    if full {
        lists.push(TrackList::default());
    }
    lists
        .last_mut()
        .expect("a list was just pushed if there was none")
}

/// The shares as one list: each track once, with its newest report; sorted by track id (and
/// party, for others' tracks) as one node lists them.
fn merge(shares: impl IntoIterator<Item = TrackList>) -> TrackList {
    let mut own = BTreeMap::new();
    let mut others = BTreeMap::new();
    for share in shares {
        for view in share.tracks {
            let key = view.report.track_id.clone();
            keep_newer(&mut own, key, view, |v| v.report.motion.time);
        }
        for view in share.others {
            let key = (view.party.clone(), view.report.track_id.clone());
            keep_newer(&mut others, key, view, |v| v.report.motion.time);
        }
    }
    TrackList {
        tracks: own.into_values().collect(),
        others: others.into_values().collect(),
        nodes: None,
    }
}

fn keep_newer<K: Ord, V, T: PartialOrd>(
    map: &mut BTreeMap<K, V>,
    key: K,
    value: V,
    time: impl Fn(&V) -> T,
) {
    match map.get(&key) {
        Some(kept) if time(kept) >= time(&value) => {}
        _ => {
            map.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::positions::TrackView;
    use deconflict_engine::release::ReleasedTrackView;
    use deconflict_engine::TrackReport;

    fn report(track_id: &str) -> TrackReport {
        serde_json::from_value(serde_json::json!({
            "track_id": track_id, "time": "2026-12-07T10:00:00Z", "lat_deg": 35.0,
            "lon_deg": 36.0, "altitude_m": 1000.0, "ground_speed_mps": 100.0, "track_deg": 90.0,
            "vertical_rate_mps": 0.0
        }))
        .expect("a valid report")
    }

    /// Every view is sent once, in order, in parts of at most `VIEWS_PER_PART` views each,
    /// numbered `0..parts`; an empty share is one empty part (so the asker counts the node).
    #[test]
    fn a_share_goes_in_numbered_parts_of_bounded_size_each_view_once() {
        let own = 2 * VIEWS_PER_PART - 3;
        let released = 10;
        let list = TrackList {
            tracks: (0..own)
                .map(|i| TrackView {
                    report: report(&format!("own-{i}")),
                    lost: false,
                })
                .collect(),
            others: (0..released)
                .map(|i| ReleasedTrackView {
                    party: PartyId::from("red"),
                    report: report(&format!("other-{i}")),
                    lost: false,
                })
                .collect(),
            nodes: None,
        };
        let sent = parts("n1", list);
        assert_eq!(sent.len(), 3);
        let mut tracks = Vec::new();
        let mut others = Vec::new();
        for (index, part) in sent.iter().enumerate() {
            assert_eq!(
                (part.node.as_str(), part.part, part.parts),
                ("n1", index as u32, 3)
            );
            assert!(part.list.tracks.len() + part.list.others.len() <= VIEWS_PER_PART);
            tracks.extend(part.list.tracks.iter().map(|v| v.report.track_id.clone()));
            others.extend(part.list.others.iter().map(|v| v.report.track_id.clone()));
        }
        let expected: Vec<String> = (0..own).map(|i| format!("own-{i}")).collect();
        assert_eq!(tracks, expected);
        let expected: Vec<String> = (0..released).map(|i| format!("other-{i}")).collect();
        assert_eq!(others, expected);

        let empty = parts("n2", TrackList::default());
        assert_eq!(empty.len(), 1);
        assert_eq!((empty[0].part, empty[0].parts), (0, 1));
    }
}
