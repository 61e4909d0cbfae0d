//! `deconflict`: the one binary. A thin layer over the server and store crates.
//!
//! - `serve`: the HTTP API on an embedded database.
//! - `demo`: the built-in multi-party scenario, served (or checked and printed with `--check`).
//! - `audit verify`: checks the hash chain of a database and names the first bad event.

mod audit;
mod demo;
mod scenario;
mod serve;

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
        /// The database file (created if missing).
        #[arg(long, default_value = "deconflict.db")]
        database: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The admin token that registers parties.
        #[arg(long, env = "DECONFLICT_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: String,
    },
    /// Run the built-in scenario (Syria and the eastern Mediterranean, 2015) and serve it.
    Demo {
        /// Print the scenario's conflicts and exit instead of serving.
        #[arg(long)]
        check: bool,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Start of the scenario (RFC 3339); default: the next full hour.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Audit the event log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and report the first event that does not match.
    Verify {
        /// The database file.
        #[arg(long)]
        db: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            database,
            listen,
            admin_token,
        } => serve::run(database, listen, admin_token).map(|()| ExitCode::SUCCESS),
        Command::Demo { check, listen, at } => {
            demo::run(check, listen, at).map(|()| ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => audit::verify(&db),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("deconflict: {error:#}");
            ExitCode::from(2)
        }
    }
}
