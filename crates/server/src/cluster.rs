//! A node's share of a cluster's live detection (SPEC §9, issue 21): the cells it leases
//! (`store::PgLeases`) and the shard they make (`engine::shard`).
//!
//! Every node on a shared PostgreSQL log with a node name (`serve --node NAME`) renews its
//! leases every quarter of the lease time ([`Membership::renew`], from [`spawn`]); its periodic
//! pass then decides only its shard's share (`decide::Scope::Shard`): the pairs whose anchor's
//! cell it holds, the tracks in its cells. Alerts still enter the log through the normal
//! command path, keyed by condition, so two nodes that both believe they hold a cell (around a
//! hand-over) never raise an alert twice: the second decides again on a head that already
//! holds it.
//!
//! A node trusts its cells until three quarters of the lease time after the renewal that
//! granted them began, by its own monotonic clock: a node cut off from the database stops
//! deciding before the database lets another node take its cells. Without a current lease it
//! decides nothing (an empty shard), rather than everything.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deconflict_engine::shard::{Band, Cell, Shard};
use deconflict_store::{PgLeases, Renewal, StoreError};

use crate::snapshot::Task;
use crate::App;

/// How a node takes part in a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The node's name, unique in the cluster.
    pub node: String,
    /// How long a lease lasts without renewal (default 5 s): a killed node's cells are taken
    /// over within about this.
    pub lease_ttl: Duration,
    /// The limits the shards' bands are built for.
    pub band: Band,
}

impl ClusterConfig {
    pub fn new(node: impl Into<String>) -> ClusterConfig {
        ClusterConfig {
            node: node.into(),
            lease_ttl: LEASE_TTL,
            band: Band::default(),
        }
    }
}

/// Default of [`ClusterConfig::lease_ttl`].
pub const LEASE_TTL: Duration = Duration::from_secs(5);

/// The cells this node holds and until when it trusts them.
pub struct Membership {
    config: ClusterConfig,
    leases: PgLeases,
    held: Mutex<Held>,
    /// The nodes holding live leases at the last renewal, this one included.
    live_nodes: AtomicU32,
}

struct Held {
    shard: Arc<Shard>,
    trusted_until: Option<Instant>,
}

impl Membership {
    /// Connects the node's lease connection (the log's schema must exist: open the log first).
    pub fn open(url: &str, config: ClusterConfig) -> Result<Membership, StoreError> {
        let leases = PgLeases::open(url, &config.node)?;
        let empty = Arc::new(Shard::new(config.band, []));
        Ok(Membership {
            config,
            leases,
            held: Mutex::new(Held {
                shard: empty,
                trusted_until: None,
            }),
            live_nodes: AtomicU32::new(1),
        })
    }

    pub fn node(&self) -> &str {
        &self.config.node
    }

    /// How many nodes held live leases at the last renewal (this one included; 1 before any).
    pub fn live_nodes(&self) -> u32 {
        self.live_nodes.load(Ordering::Relaxed).max(1)
    }

    /// Renews the leases, sharing the cells by `weights` (one per cell: [`cell_weights`]),
    /// and rebuilds the shard if its cells changed.
    pub fn renew(&self, weights: Vec<u64>) -> Result<Renewal, StoreError> {
        let started = Instant::now();
        let order = Cell::lease_order().iter().map(|cell| cell.0).collect();
        let renewal = (self.leases).renew_in_order(self.config.lease_ttl, weights, order)?;
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let same = held
            .shard
            .owned()
            .iter()
            .map(|c| c.0)
            .eq(renewal.cells.iter().copied());
        if !same {
            tracing::info!(
                node = %self.config.node,
                cells = renewal.cells.len(),
                live_nodes = renewal.live_nodes,
                "cells leased"
            );
            held.shard = Arc::new(Shard::new(
                self.config.band,
                renewal.cells.iter().map(|&c| Cell(c)),
            ));
        }
        held.trusted_until = Some(started + self.config.lease_ttl * 3 / 4);
        self.live_nodes.store(renewal.live_nodes, Ordering::Relaxed);
        metrics::gauge!("deconflict_cluster_cells").set(renewal.cells.len() as f64);
        metrics::gauge!("deconflict_cluster_live_nodes").set(f64::from(renewal.live_nodes));
        Ok(renewal)
    }

    /// The shard this node may decide for now: its leased cells while trusted, else none.
    pub fn shard(&self) -> Arc<Shard> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.trusted_until {
            Some(until) if Instant::now() < until => held.shard.clone(),
            _ => Arc::new(Shard::new(self.config.band, [])),
        }
    }

    /// Gives the cells back at once (a clean shutdown).
    pub fn release(&self) -> Result<(), StoreError> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.trusted_until = None;
        self.leases.release()
    }
}

/// Each cell's weight for sharing the cells among nodes: the live tracks reported in it, plus
/// one (an empty cell still costs a little, and the weights are never all zero). Every node
/// holds every track in this slice (positions travel through the log), so every node computes
/// nearly the same weights.
pub fn cell_weights(state: &deconflict_engine::State) -> Vec<u64> {
    let mut weights = vec![1u64; Cell::count() as usize];
    for track in state.live_tracks() {
        if let Some(cell) = Cell::of(track.motion().lat_deg, track.motion().lon_deg) {
            weights[cell.0 as usize] += 1;
        }
    }
    weights
}

/// Renews the node's leases every quarter of the lease time; none when not in a cluster.
pub fn spawn(app: Arc<App>) -> Task {
    let Some(membership) = app.membership() else {
        return Task(None);
    };
    let period = membership.config.lease_ttl / 4;
    Task(Some(tokio::spawn(async move {
        let mut timer = tokio::time::interval(period);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            timer.tick().await;
            let (membership, app) = (membership.clone(), app.clone());
            let renew = move || membership.renew(app.cell_weights());
            match tokio::task::spawn_blocking(renew).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "renewing the cluster leases failed"),
                Err(error) => tracing::error!(%error, "renewing the cluster leases panicked"),
            }
        }
    })))
}
