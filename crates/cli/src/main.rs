//! `deconflict`: the one binary. A thin layer over the server and store crates.
//!
//! - `serve`: the HTTP API on an embedded database.
//! - `demo`: the built-in multi-party scenario, served (or checked and printed with `--check`).
//! - `audit verify`: checks the hash chain of a database and names the first bad event.
//! - `db compact`: retention by hand: old position batches pruned to their digest, file shrunk.
//! - `sim`: a seeded multi-party week on the real engine and store under a simulated clock.
//! - `party`, `agreement`, `ops`: administration through the HTTP API (`admin`).

mod admin;
mod audit;
mod db;
mod demo;
mod hotline;
mod ingest;
mod loadgen;
mod replay;
mod scenario;
mod serve;
mod sim;
mod simulate;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "deconflict",
    version,
    about = "The neutral deconfliction service between parties that share airspace or sea"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API on an embedded database.
    Serve {
        /// The database file (created if missing), or a postgres:// URL of a shared PostgreSQL
        /// database (several nodes may serve one).
        #[arg(long, default_value = "deconflict.db")]
        database: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The admin token that registers parties.
        #[arg(long, env = "DECONFLICT_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: String,
        /// Position batches older than this many days are pruned to their digest, hourly, in
        /// the background (at least 1; alerts and everything else are kept).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: u32,
        #[command(flatten)]
        limits: serve::LimitFlags,
        /// Snapshot the state every N logged events (0: not by count). Start-up loads the
        /// newest snapshot and replays only the events after it.
        #[arg(long, default_value_t = deconflict_server::app::SNAPSHOT_EVERY_EVENTS)]
        snapshot_every_events: u64,
        /// Snapshot the state every T minutes if anything was logged (0: not by time).
        #[arg(long, default_value_t = deconflict_server::app::SNAPSHOT_INTERVAL.as_secs() / 60)]
        snapshot_every_minutes: u64,
        #[command(flatten)]
        cluster: serve::ClusterFlags,
    },
    /// Run the built-in scenario (Syria and the eastern Mediterranean, 2015) and serve it.
    Demo {
        /// Print the scenario's conflicts and exit instead of serving.
        #[arg(long)]
        check: bool,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Start of the scenario (RFC 3339); default: 130 minutes ago with traffic (so most
        /// plans are under way), the next full hour with --check.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Do not fly the scenario's simulated live tracks.
        #[arg(long)]
        no_traffic: bool,
    },
    /// Run recorded traffic (SBS-1, OpenSky CSV, NDJSON or AIS NMEA) through tactical detection and report.
    Replay {
        /// Traffic files; the format of each is recognised from its first line.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write the full report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Seconds of recorded time between tactical passes.
        #[arg(long, default_value_t = 1.0)]
        tick: f64,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Forward a receiver's feed (SBS-1 over TCP, AIS over TCP or UDP, or a file) to a server as a party's reports.
    Ingest {
        /// The server's base URL.
        #[arg(
            long,
            env = "DECONFLICT_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        /// The party's bearer token (the reports are that party's).
        #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
        token: String,
        /// Read SBS-1 BaseStation text from this TCP address (e.g. localhost:30003).
        #[arg(long, conflicts_with_all = ["file", "path", "ais"])]
        sbs: Option<String>,
        /// Read AIS NMEA 0183 from `tcp://HOST:PORT` (connect) or `udp://[HOST]:PORT` (listen).
        #[arg(long, conflicts_with_all = ["file", "path"])]
        ais: Option<String>,
        /// Read a file (SBS-1, OpenSky CSV, NDJSON or AIS NMEA).
        #[arg(long, conflicts_with = "path")]
        file: Option<PathBuf>,
        /// The file to read, as with --file.
        path: Option<PathBuf>,
    },
    /// Print a party's live stream of alerts and messages, reconnecting and resuming by itself.
    Watch {
        #[arg(
            long,
            env = "DECONFLICT_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
        token: String,
        /// Start after this event id (0: everything the party was ever told); default: new events only.
        #[arg(long)]
        after: Option<u64>,
        /// Exit after printing this many events.
        #[arg(long)]
        exit_after: Option<u64>,
    },
    /// Acknowledge an alert.
    Ack {
        id: String,
        #[arg(
            long,
            env = "DECONFLICT_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Send a message on the hotline.
    Send {
        /// Recipient party (repeat for several).
        #[arg(long, required = true)]
        to: Vec<String>,
        /// routine, priority, immediate or flash.
        #[arg(long, default_value = "routine")]
        priority: String,
        text: String,
        #[arg(
            long,
            env = "DECONFLICT_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Parties and their tokens (through the API of a running server).
    Party {
        #[command(subcommand)]
        command: admin::PartyCommand,
    },
    /// Agreements between parties (through the API of a running server).
    Agreement {
        #[command(subcommand)]
        command: admin::AgreementCommand,
    },
    /// Load a scenario file into a running server (through its API).
    Scenario {
        #[command(subcommand)]
        command: admin::ScenarioCommand,
    },
    /// Zones: import an authority's published zone file, or print a zone as a navigational warning (through the API of a running server).
    Zones {
        #[command(subcommand)]
        command: admin::ZonesCommand,
    },
    /// A party's operations (through the API of a running server).
    Ops {
        #[command(subcommand)]
        command: admin::OpsCommand,
    },
    /// Write a seeded traffic file (NDJSON position reports) for tests, replay and benchmarks.
    Loadgen {
        /// Number of flights.
        #[arg(long, default_value_t = 2000)]
        flights: usize,
        /// Span of the file, in seconds.
        #[arg(long, default_value_t = 3600)]
        duration: i64,
        /// Seconds between two reports of a flight.
        #[arg(long, default_value_t = 10)]
        interval: i64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Traffic shape: `levels` (uniform density, 60 % on flight levels, 40 % climbing or
        /// descending anywhere up to 12,500 m) or `airways` (cities, airways, terminal areas).
        #[arg(long, default_value = "levels")]
        shape: deconflict_engine::tactical::TrafficShape,
        /// Time of the first report (RFC 3339).
        #[arg(long, default_value = "2030-01-01T00:00:00Z")]
        start: chrono::DateTime<chrono::Utc>,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// A deterministic soak: a seeded multi-party week on the real engine and store under a
    /// simulated clock, one row per simulated hour.
    Sim {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Simulated days.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Number of parties (p1, p2, …).
        #[arg(long, default_value_t = 4)]
        parties: usize,
        /// Simulated seconds between the tactical and escalation passes while tracks fly.
        #[arg(long, default_value_t = 5)]
        tick: u32,
        /// Simulated seconds between two position reports of a track.
        #[arg(long, default_value_t = 10)]
        report: u32,
        /// The database file to create (default: a temporary one).
        #[arg(long)]
        database: Option<PathBuf>,
        /// Print the wall-clock columns as `-`, so that runs with one seed print the same bytes.
        #[arg(long)]
        no_timings: bool,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Audit the event log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Maintain a database file.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Prune position batches older than the horizon to their digest (the chain still
    /// verifies, receipts say what was pruned; everything else is kept), then shrink the file.
    Compact {
        /// The database file, or a postgres:// URL.
        #[arg(long)]
        database: PathBuf,
        /// Keep position batches of the last this many days whole (at least 1).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: u32,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Write the whole event log to stdout as NDJSON, one event a line (the chain verified on
    /// the way out); for `db import` into another store. Holds every salt: keep it as secret as
    /// the database.
    Export {
        /// The database file, or a postgres:// URL.
        #[arg(long)]
        database: PathBuf,
    },
    /// Read what `db export` wrote from stdin into an empty database (file or postgres:// URL,
    /// created if missing); refused whole unless the events verify as one chain.
    Import {
        /// The database file, or a postgres:// URL.
        #[arg(long)]
        database: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain of a database (--db), or check a party's signed receipt
    /// offline (--receipt), and report the first event that does not match.
    #[command(group = clap::ArgGroup::new("what").required(true).args(["db", "receipt"]))]
    Verify {
        /// The database file, or a postgres:// URL.
        #[arg(long, alias = "database")]
        db: Option<PathBuf>,
        /// A receipt saved with `deconflict audit receipt`.
        #[arg(long)]
        receipt: Option<PathBuf>,
        /// The server's public key (hex) to check the receipt's signature against; without
        /// it the key inside the receipt is used and printed for you to compare.
        #[arg(long, requires = "receipt")]
        public_key: Option<String>,
    },
    /// Fetch this party's signed receipt of the events after --after and save it.
    Receipt {
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Where to write the receipt (JSON).
        #[arg(long)]
        out: PathBuf,
        #[arg(
            long,
            env = "DECONFLICT_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
        token: String,
    },
}

fn run_replay(
    files: &[PathBuf],
    json: Option<&std::path::Path>,
    tick: f64,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let report = replay::replay(files, tick, !quiet)?;
    print!("{}", replay::table(&report));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            database,
            listen,
            admin_token,
            retention_days,
            limits,
            snapshot_every_events,
            snapshot_every_minutes,
            cluster,
        } => {
            let snapshots = serve::Snapshots {
                every_events: snapshot_every_events,
                every_minutes: snapshot_every_minutes,
            };
            serve::run(
                database,
                listen,
                admin_token,
                retention_days,
                limits,
                snapshots,
                cluster,
            )
            .map(|()| ExitCode::SUCCESS)
        }
        Command::Db {
            command:
                DbCommand::Compact {
                    database,
                    retention_days,
                    quiet,
                },
        } => db::compact(&database, retention_days, quiet).map(|()| ExitCode::SUCCESS),
        Command::Db {
            command: DbCommand::Export { database },
        } => db::export(&database, &mut std::io::stdout().lock()).map(|head| {
            match head {
                Some((seq, hash)) => eprintln!("exported {seq} events; head hash {hash}"),
                None => eprintln!("the event log is empty; nothing exported"),
            }
            ExitCode::SUCCESS
        }),
        Command::Db {
            command: DbCommand::Import { database },
        } => db::import(&database, &mut std::io::stdin().lock()).map(|head| {
            match head {
                Some((seq, hash)) => println!("imported {seq} events; head hash {hash}"),
                None => println!("nothing to import: the input holds no events"),
            }
            ExitCode::SUCCESS
        }),
        Command::Demo {
            check,
            listen,
            at,
            no_traffic,
        } => demo::run(check, listen, at, !no_traffic).map(|()| ExitCode::SUCCESS),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    db,
                    receipt,
                    public_key,
                },
        } => match (db, receipt) {
            (Some(db), _) => audit::verify(&db),
            (None, Some(receipt)) => audit::verify_receipt(&receipt, public_key.as_deref()),
            (None, None) => unreachable!("clap requires --db or --receipt"),
        },
        Command::Audit {
            command:
                AuditCommand::Receipt {
                    after,
                    out,
                    server,
                    token,
                },
        } => audit::fetch_receipt(&server, &token, after, &out).map(|()| ExitCode::SUCCESS),
        Command::Watch {
            server,
            token,
            after,
            exit_after,
        } => hotline::watch(&server, &token, after, exit_after).map(|()| ExitCode::SUCCESS),
        Command::Ack { id, server, token } => {
            hotline::ack(&server, &token, &id).map(|()| ExitCode::SUCCESS)
        }
        Command::Send {
            to,
            priority,
            text,
            server,
            token,
        } => hotline::send(&server, &token, &to, &priority, &text).map(|()| ExitCode::SUCCESS),
        Command::Ingest {
            server,
            token,
            sbs,
            ais,
            file,
            path,
        } => ingest::Source::from_args(sbs, ais, file.or(path))
            .and_then(|source| ingest::run(&server, &token, source))
            .map(|()| ExitCode::SUCCESS),
        Command::Replay {
            files,
            json,
            tick,
            quiet,
        } => run_replay(&files, json.as_deref(), tick, quiet),
        Command::Sim {
            seed,
            days,
            parties,
            tick,
            report,
            database,
            no_timings,
            quiet,
        } => sim::run(&sim::Options {
            seed,
            days,
            parties,
            tick_s: tick,
            report_s: report,
            database,
            timings: !no_timings,
            progress: !quiet,
        })
        .map(|()| ExitCode::SUCCESS),
        Command::Party { command } => admin::party(command).map(|()| ExitCode::SUCCESS),
        Command::Agreement { command } => admin::agreement(command).map(|()| ExitCode::SUCCESS),
        Command::Ops { command } => admin::ops(command).map(|()| ExitCode::SUCCESS),
        Command::Zones { command } => admin::zones(command).map(|()| ExitCode::SUCCESS),
        Command::Scenario { command } => admin::scenario(command).map(|()| ExitCode::SUCCESS),
        Command::Loadgen {
            flights,
            duration,
            interval,
            seed,
            shape,
            start,
            out,
        } => {
            let plan = loadgen::Plan {
                flights,
                duration_s: duration,
                interval_s: interval,
                seed,
                shape,
                start,
            };
            loadgen::write(&plan, &out).map(|count| {
                println!(
                    "wrote {count} reports of {flights} flights to {}",
                    out.display()
                );
                ExitCode::SUCCESS
            })
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("deconflict: {error:#}");
            ExitCode::from(2)
        }
    }
}
