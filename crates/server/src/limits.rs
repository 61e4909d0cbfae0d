//! The server's limits on connections and requests (SPEC §10), and what a client sees at each.
//!
//! One hostile client must not be able to hold the server's memory, sockets or workers: every
//! resource a connection or a request can hold has a limit here, with a default that an
//! honest client never meets. [`crate::connections`] enforces the connection limits,
//! [`crate::concurrency`] the per-caller request slots, [`crate::body`] and
//! `routes::positions` the body limits.

use std::time::Duration;

/// Connection and request limits. Each is a `deconflict serve` flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerLimits {
    /// From accepting a connection, or from the first byte of a later request on it, to the end
    /// of the request's headers (`--header-timeout-s`, default 10 s). Past it the connection is
    /// closed without an answer: a client that trickles header bytes (slowloris), or connects
    /// and sends nothing, holds a connection for at most this long.
    pub header_read_timeout: Duration,
    /// The longest pause between two pieces of a request body (`--body-timeout-s`, default
    /// 30 s). Past it the request is answered 408 `request-timeout` problem+json and the
    /// connection closed (a client that stopped sending may never read it). The whole body may
    /// take longer, as long as it keeps coming.
    pub request_body_timeout: Duration,
    /// How long a kept-alive connection may wait, idle, for its next request
    /// (`--idle-timeout-s`, default 60 s); then it is closed, as HTTP/1.1 allows, and the
    /// client opens a new one. Once the next request's first byte arrives, the header timeout
    /// applies instead.
    pub keep_alive_idle_timeout: Duration,
    /// Connections open at once (`--max-connections`, default 1,024). Beyond it the server
    /// stops accepting: new connections wait in the kernel's listen backlog (1,024) and are
    /// served as others close; when the backlog is full too, the kernel drops new attempts and
    /// the client's connect retries, then times out. Nothing is refused with an answer, since
    /// answering would need the socket the cap is there to save.
    pub max_connections: usize,
    /// Requests of one party in progress at once, from its headers to the start of its
    /// response (`--max-requests-per-party`, default 16). Beyond it: 429 `too-many-requests`
    /// problem+json with `Retry-After: 1`, and nothing changes. A party is identified by its
    /// bearer token (any of its tokens counts towards the same party). An event stream counts
    /// only while it is being set up.
    pub max_requests_per_party: usize,
    /// As [`ServerLimits::max_requests_per_party`], for the admin token
    /// (`--max-requests-admin`, default 16).
    pub max_requests_admin: usize,
    /// Requests without a valid token in progress at once, all clients together (health
    /// probes, the map's assets, `/metrics`, and anything that will be answered 401)
    /// (`--max-requests-unauthenticated`, default 64). Beyond it: 503 `server-busy`
    /// problem+json with `Retry-After: 1`: the cause is shared, not the caller's own.
    pub max_requests_unauthenticated: usize,
    /// The bytes of request bodies held in memory at once across all connections
    /// (`--body-budget-mib`, default 128 MiB): JSON documents while they are read, and the
    /// parsed reports of NDJSON uploads. A body that would exceed it is answered 503
    /// `server-busy` with `Retry-After: 1`. Without it, N unfinished uploads could hold
    /// N × the body limit.
    pub body_budget_bytes: usize,
    /// The longest line of an NDJSON upload (`--max-line-kib`, default 64 KiB; a report is a
    /// few hundred bytes). A longer line is answered 413 `line-too-long` naming the line: an
    /// unfinished upload holds at most one line's buffer.
    pub ndjson_line_max_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            request_body_timeout: Duration::from_secs(30),
            keep_alive_idle_timeout: Duration::from_secs(60),
            max_connections: 1_024,
            max_requests_per_party: 16,
            max_requests_admin: 16,
            max_requests_unauthenticated: 64,
            body_budget_bytes: 128 * 1024 * 1024,
            ndjson_line_max_bytes: 64 * 1024,
        }
    }
}
