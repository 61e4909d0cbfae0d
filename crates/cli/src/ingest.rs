//! `deconflict ingest`: a receiver's feed forwarded to a server as a party's position reports.
//!
//! Reads SBS-1 BaseStation text from a TCP connection (`--sbs host:port`, as dump1090/readsb
//! serve on port 30003), AIS NMEA 0183 from a TCP connection or UDP datagrams (`--ais
//! tcp://host:port` or `udp://:port`, as AIS receivers and aggregators forward; see `ais`), or
//! any supported file (`FILE` or `--file FILE`), assembles position reports, and posts them as
//! NDJSON to `POST /v1/positions` with the party's token: every second, or every 1,000
//! reports, whichever comes first. Malformed lines (including lines that are not UTF-8 or
//! longer than [`deconflict_feeds::MAX_LINE_BYTES`], the same cap as files) are counted and
//! reported at the end, never fatal; refused reports are counted from the server's answers.
//! Lines from a network feed that carry no date and time are given the time they were
//! received.

mod ais;

use anyhow::Context;
use deconflict_feeds::{FeedStats, LineReader, SbsAssembler, TrackReport};
use std::io::BufReader;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const BATCH_REPORTS: usize = 1_000;
const BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Where the feed comes from.
pub enum Source {
    /// SBS-1 over TCP, `host:port`.
    Sbs(String),
    /// AIS over TCP or UDP.
    Ais(ais::Endpoint),
    /// A file of any supported format.
    File(PathBuf),
}

impl Source {
    /// The one source the command line names.
    pub fn from_args(
        sbs: Option<String>,
        ais: Option<String>,
        file: Option<PathBuf>,
    ) -> anyhow::Result<Source> {
        match (sbs, ais, file) {
            (Some(address), None, None) => Ok(Source::Sbs(address)),
            (None, Some(url), None) => Ok(Source::Ais(ais::Endpoint::parse(&url)?)),
            (None, None, Some(path)) => Ok(Source::File(path)),
            _ => anyhow::bail!(
                "give exactly one of FILE, --sbs HOST:PORT or --ais tcp://HOST:PORT|udp://:PORT"
            ),
        }
    }
}

pub(crate) struct Poster {
    client: reqwest::blocking::Client,
    url: String,
    token: String,
    pending: Vec<TrackReport>,
    last_post: Instant,
    accepted: u64,
    refused: u64,
}

impl Poster {
    pub(crate) fn push(&mut self, report: TrackReport) -> anyhow::Result<()> {
        self.pending.push(report);
        if self.pending.len() >= BATCH_REPORTS || self.last_post.elapsed() >= BATCH_INTERVAL {
            self.flush()?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        self.last_post = Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut body = String::new();
        for report in self.pending.drain(..) {
            body.push_str(&serde_json::to_string(&report)?);
            body.push('\n');
        }
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .with_context(|| format!("cannot reach {}", self.url))?;
        let status = response.status();
        let answer: serde_json::Value =
            response.json().context("the server's answer is not JSON")?;
        anyhow::ensure!(
            status.is_success(),
            "the server refused the batch ({status}): {}",
            answer["detail"].as_str().unwrap_or("no detail")
        );
        self.accepted += answer["accepted"].as_u64().unwrap_or(0);
        self.refused += answer["refused"].as_array().map_or(0, |r| r.len() as u64);
        Ok(())
    }
}

pub fn run(server: &str, token: &str, source: Source) -> anyhow::Result<()> {
    let mut poster = Poster {
        client: reqwest::blocking::Client::new(),
        url: format!("{}/v1/positions", server.trim_end_matches('/')),
        token: token.to_owned(),
        pending: Vec::new(),
        last_post: Instant::now(),
        accepted: 0,
        refused: 0,
    };
    let stats = match source {
        Source::Sbs(address) => read_sbs(&address, &mut poster)?,
        Source::Ais(endpoint) => ais::read(&endpoint, &mut poster)?,
        Source::File(path) => {
            let reader = std::fs::File::open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let (reports, stats) = deconflict_feeds::read_reports(BufReader::new(reader))
                .with_context(|| format!("cannot read {}", path.display()))?;
            for report in reports {
                poster.push(report)?;
            }
            stats
        }
    };
    poster.flush()?;
    println!(
        "{} lines, {} reports ({} accepted, {} refused by the server), {} ignored, {} malformed",
        stats.lines, stats.reports, poster.accepted, poster.refused, stats.ignored, stats.malformed
    );
    for example in &stats.examples {
        println!("  malformed: {example}");
    }
    Ok(())
}

fn read_sbs(address: &str, poster: &mut Poster) -> anyhow::Result<FeedStats> {
    let stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    eprintln!("deconflict ingest: reading SBS-1 from {address}");
    let mut assembler = SbsAssembler::new();
    let mut lines = LineReader::new(BufReader::new(stream));
    while let Some((number, line)) = lines
        .next_line()
        .with_context(|| format!("the connection to {address} failed"))?
    {
        let received = Some(chrono::Utc::now());
        if let Ok(Some(report)) = assembler.push_received(number, line, received) {
            poster.push(report)?;
        }
    }
    let mut stats = assembler.stats().clone();
    stats.lines = lines.line_number();
    Ok(stats)
}
