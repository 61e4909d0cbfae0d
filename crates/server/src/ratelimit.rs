//! Request rate limits per party: a token bucket each (refill `rate_per_s`, capacity `burst`).
//! A request over the limit gets 429 with `Retry-After`, and changes nothing.
//!
//! Kept in memory on purpose: a limit protects the server now, it is not state to audit or
//! replay; after a restart every party starts with a full bucket.

use deconflict_engine::PartyId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub rate_per_s: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    /// Generous enough for a busy feed (ingest sends one request per second per batch).
    fn default() -> Self {
        RateLimit {
            rate_per_s: 500.0,
            burst: 1_000.0,
        }
    }
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<PartyId, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one request from the party's bucket; `Err(seconds)` to wait when it is empty.
    pub fn check(&self, party: &PartyId, limit: RateLimit) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = buckets.entry(party.clone()).or_insert((limit.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * limit.rate_per_s).min(limit.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / limit.rate_per_s).ceil().max(1.0) as u64)
        }
    }
}
