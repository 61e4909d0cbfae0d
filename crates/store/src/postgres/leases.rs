//! Leases of the shard grid's cells (SPEC §9, issue 21): which node of a cluster decides the
//! live traffic of which cells, held in the database beside the log.
//!
//! Every node calls [`PgLeases::renew`] every second or so. In one transaction it
//! 1. marks itself alive until `now + ttl` (`cluster_nodes`),
//! 2. counts the live nodes and so its fair share of the load, `⌈total weight / live nodes⌉`
//!    (each cell's weight is given by the caller: the server counts the live tracks in it,
//!    plus one, so a share is a share of the traffic and not of the globe's empty cells),
//! 3. extends its own leases to `now + ttl`, gives back its highest-numbered cells while what
//!    remains is still at least its share (so a node that joins finds cells to take), and
//! 4. takes free cells — never leased, or whose lease expired — lowest first until it holds
//!    its share (cells are numbered row by row, so a node's cells are mostly neighbours — a
//!    strip of latitude — and its band stays small). A take is an upsert that only
//!    overwrites an *expired* lease, so two nodes never both take a cell.
//!
//! Times are the database's (`now()`), so the nodes' clocks need not agree. A node trusts its
//! cells only until its own monotonic clock says `ttl` minus a margin has passed since the
//! renewal began (the caller's rule): a node cut off from the database stops deciding before
//! anyone else may take its cells. A killed node's cells are taken over within `ttl` plus
//! one renewal period. The SQL (upsert with `ON CONFLICT … DO UPDATE … WHERE`, `RETURNING`,
//! `now()` and intervals) is within what CockroachDB accepts.

use std::str::FromStr;
use std::time::Duration;

use postgres::Client;

use super::worker::Worker;
use super::{redact_url, retrying};
use crate::StoreError;

/// A connection for one node's leases (its own, so renewals never wait behind the log).
pub struct PgLeases {
    worker: Worker,
    node: String,
}

/// What a renewal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The cells this node holds now, ascending.
    pub cells: Vec<u32>,
    /// Nodes alive, this one included.
    pub live_nodes: u32,
}

impl PgLeases {
    /// Connects as `node` (a name unique in the cluster) to the database of an opened log (its
    /// schema must be at version 2 or later: open the log first).
    pub fn open(url: &str, node: &str) -> Result<PgLeases, StoreError> {
        let name = redact_url(url);
        let mut config =
            postgres::Config::from_str(url).map_err(|error| StoreError::DatabaseUrl {
                url: name,
                reason: error.to_string(),
            })?;
        config.application_name("deconflict-leases");
        config.connect_timeout(Duration::from_secs(10));
        Ok(PgLeases {
            worker: Worker::connect(config)?,
            node: node.to_owned(),
        })
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Renews this node's life and leases for `ttl`, and rebalances to a fair share of the
    /// cells' `weights` (one per cell, cell `i` at index `i`; see the module documentation).
    pub fn renew(&self, ttl: Duration, weights: Vec<u64>) -> Result<Renewal, StoreError> {
        let order = (0..u32::try_from(weights.len()).unwrap_or(u32::MAX)).collect();
        self.renew_in_order(ttl, weights, order)
    }

    /// As [`PgLeases::renew`], free cells taken and excess given back along `order` (every
    /// cell once: first taken first, last given back first), so that a node's cells follow a
    /// curve through the grid (`engine::shard::Cell::lease_order`). Every node must pass the
    /// same order.
    pub fn renew_in_order(
        &self,
        ttl: Duration,
        weights: Vec<u64>,
        order: Vec<u32>,
    ) -> Result<Renewal, StoreError> {
        let node = self.node.clone();
        let ttl_s = ttl.as_secs_f64().max(0.001);
        let order: Vec<i32> = order
            .into_iter()
            .filter_map(|c| i32::try_from(c).ok())
            .collect();
        self.worker.call(move |client| {
            retrying(client, |transaction| {
                renew_in(transaction, &node, ttl_s, &weights, &order)
            })
        })
    }

    /// Gives up every lease and marks the node gone (a clean shutdown), so others take its
    /// cells at once instead of after `ttl`.
    pub fn release(&self) -> Result<(), StoreError> {
        let node = self.node.clone();
        self.worker.call(move |client: &mut Client| {
            retrying(client, |transaction| {
                transaction.execute("DELETE FROM cell_leases WHERE node = $1", &[&node])?;
                transaction.execute("DELETE FROM cluster_nodes WHERE node = $1", &[&node])?;
                Ok(())
            })
        })
    }
}

fn renew_in(
    transaction: &mut postgres::Transaction<'_>,
    node: &str,
    ttl_s: f64,
    weights: &[u64],
    order: &[i32],
) -> Result<Renewal, StoreError> {
    // Each cell's place in `order`; cells it does not list come after, by number.
    let mut rank: std::collections::HashMap<i32, usize> = std::collections::HashMap::new();
    for (place, &cell) in order.iter().enumerate() {
        rank.entry(cell).or_insert(place);
    }
    let rank_of = |cell: i32| (rank.get(&cell).copied().unwrap_or(usize::MAX), cell);
    const UNTIL: &str = "now() + $2::FLOAT8 * interval '1 second'";
    transaction.execute(
        &format!(
            "INSERT INTO cluster_nodes (node, expires_at) VALUES ($1, {UNTIL}) \
             ON CONFLICT (node) DO UPDATE SET expires_at = excluded.expires_at"
        ),
        &[&node, &ttl_s],
    )?;
    let live: i64 = transaction
        .query_one(
            "SELECT count(*) FROM cluster_nodes WHERE expires_at > now()",
            &[],
        )?
        .try_get(0)?;
    let live = u32::try_from(live.max(1)).unwrap_or(u32::MAX);
    let total: u64 = weights.iter().sum();
    let share = total.div_ceil(u64::from(live));
    let weight = |cell: i32| {
        usize::try_from(cell)
            .ok()
            .and_then(|i| weights.get(i))
            .copied()
            .unwrap_or(0)
    };

    let mut mine: Vec<i32> = transaction
        .query(
            &format!(
                "UPDATE cell_leases SET expires_at = {UNTIL} \
                 WHERE node = $1 AND expires_at > now() RETURNING cell"
            ),
            &[&node, &ttl_s],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    mine.sort_unstable_by_key(|&cell| rank_of(cell));
    let mut held: u64 = mine.iter().map(|&c| weight(c)).sum();
    let mut excess = Vec::new();
    while let Some(&last) = mine.last() {
        if held.saturating_sub(weight(last)) < share || held <= share {
            break;
        }
        held -= weight(last);
        excess.push(mine.pop().unwrap_or(last));
    }
    if !excess.is_empty() {
        transaction.execute(
            "DELETE FROM cell_leases WHERE node = $1 AND cell = ANY($2)",
            &[&node, &excess],
        )?;
    } else if held < share {
        let taken: std::collections::BTreeSet<i32> = transaction
            .query("SELECT cell FROM cell_leases WHERE expires_at > now()", &[])?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
        let mut wanted = Vec::new();
        let mut candidates: Vec<i32> =
            (0..i32::try_from(weights.len()).unwrap_or(i32::MAX)).collect();
        candidates.sort_unstable_by_key(|&cell| rank_of(cell));
        for cell in candidates {
            if held >= share {
                break;
            }
            if !taken.contains(&cell) {
                held += weight(cell);
                wanted.push(cell);
            }
        }
        if !wanted.is_empty() {
            let got = transaction.query(
                &format!(
                    "INSERT INTO cell_leases (cell, node, expires_at) \
                     SELECT cell, $1, {UNTIL} FROM UNNEST($3::INT[]) AS t(cell) \
                     ON CONFLICT (cell) DO UPDATE \
                     SET node = excluded.node, expires_at = excluded.expires_at \
                     WHERE cell_leases.expires_at <= now() OR cell_leases.node = excluded.node \
                     RETURNING cell"
                ),
                &[&node, &ttl_s, &wanted],
            )?;
            for row in got {
                mine.push(row.try_get(0)?);
            }
        }
    }
    mine.sort_unstable();
    Ok(Renewal {
        cells: mine
            .into_iter()
            .filter_map(|c| u32::try_from(c).ok())
            .collect(),
        live_nodes: live,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;
    use crate::PgLog;

    /// Along a given order, a node keeps the first cells and gives back the last ones; the
    /// node joining takes them in that order.
    #[test]
    fn cells_are_taken_and_given_back_along_the_order() {
        let Some(db) = TestDatabase::create("leases in order") else {
            return;
        };
        let url = db.url().to_owned();
        drop(PgLog::open(&url).unwrap());
        let ttl = Duration::from_secs(30);
        let a = PgLeases::open(&url, "a").unwrap();
        let b = PgLeases::open(&url, "b").unwrap();
        let order = vec![3, 7, 1, 9, 0, 5, 2, 8, 6, 4];
        let renew = |leases: &PgLeases| {
            (leases.renew_in_order(ttl, vec![1; 10], order.clone()))
                .unwrap()
                .cells
        };
        assert_eq!(renew(&a), (0..10).collect::<Vec<_>>());
        assert!(renew(&b).is_empty());
        assert_eq!(renew(&a), [0, 1, 3, 7, 9], "the first five of the order");
        assert_eq!(renew(&b), [2, 4, 5, 6, 8], "the last five");
    }

    /// Two nodes share the cells fairly and never both hold one; one leaving (or expiring)
    /// hands its cells to the other.
    #[test]
    fn nodes_share_cells_and_take_over_when_one_goes() {
        let Some(db) = TestDatabase::create("leases") else {
            return;
        };
        let url = db.url().to_owned();
        drop(PgLog::open(&url).unwrap());
        let ttl = Duration::from_millis(600);
        let a = PgLeases::open(&url, "a").unwrap();
        let b = PgLeases::open(&url, "b").unwrap();
        // Alone, a takes every cell.
        assert_eq!(
            a.renew(ttl, vec![1; 10]).unwrap().cells,
            (0..10).collect::<Vec<_>>()
        );
        // b joins: it is alive but finds nothing free until a gives back its excess.
        let first_b = b.renew(ttl, vec![1; 10]).unwrap();
        assert_eq!(first_b.live_nodes, 2);
        assert!(first_b.cells.is_empty());
        let a_cells = a.renew(ttl, vec![1; 10]).unwrap().cells;
        assert_eq!(a_cells, (0..5).collect::<Vec<_>>());
        let b_cells = b.renew(ttl, vec![1; 10]).unwrap().cells;
        assert_eq!(b_cells, (5..10).collect::<Vec<_>>());
        // a stops renewing: after the ttl, b takes everything.
        std::thread::sleep(ttl + Duration::from_millis(100));
        assert_eq!(
            b.renew(ttl, vec![1; 10]).unwrap().cells,
            (0..10).collect::<Vec<_>>()
        );
        // a comes back, b gives back half, a takes it; a clean release hands back at once.
        a.renew(ttl, vec![1; 10]).unwrap();
        b.renew(ttl, vec![1; 10]).unwrap();
        assert_eq!(a.renew(ttl, vec![1; 10]).unwrap().cells.len(), 5);
        a.release().unwrap();
        let after = b.renew(ttl, vec![1; 10]).unwrap();
        assert_eq!((after.live_nodes, after.cells.len()), (1, 10));
    }

    /// Shares are of the weights, not of the cells: with the load in the last cells, the node
    /// holding the first ones holds many more of them.
    #[test]
    fn shares_follow_the_weights() {
        let Some(db) = TestDatabase::create("lease weights") else {
            return;
        };
        let url = db.url().to_owned();
        drop(PgLog::open(&url).unwrap());
        let ttl = Duration::from_secs(30);
        let a = PgLeases::open(&url, "a").unwrap();
        let b = PgLeases::open(&url, "b").unwrap();
        // 20 cells: the first 16 weigh 1 each, the last 4 weigh 10 each (total 56, share 28).
        let weights: Vec<u64> = (0..20).map(|c| if c < 16 { 1 } else { 10 }).collect();
        a.renew(ttl, weights.clone()).unwrap();
        b.renew(ttl, weights.clone()).unwrap();
        let a_cells = a.renew(ttl, weights.clone()).unwrap().cells;
        let b_cells = b.renew(ttl, weights.clone()).unwrap().cells;
        // a keeps cells 0..=17 (16 + 10 + 10 = 36 ≥ 28, and without 17 it would be 26 < 28).
        assert_eq!(a_cells, (0..18).collect::<Vec<_>>());
        assert_eq!(b_cells, vec![18, 19]);
    }
}
