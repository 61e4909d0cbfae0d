//! Test support: a fresh PostgreSQL database per test, for the tests of every crate that run
//! once per backend.
//!
//! `DECONFLICT_TEST_POSTGRES` names a server by a base URL (its database part, if any, is the
//! one connected to for `CREATE DATABASE`); `scripts/test.sh` starts a throwaway server and sets
//! it. When it is unset the PostgreSQL half of a test says so on stderr and is skipped, except
//! under `CI=true`, where a skipped half would hide a missing PostgreSQL, so it fails.

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test server.
pub const TEST_POSTGRES_ENV: &str = "DECONFLICT_TEST_POSTGRES";

/// A database created for one test and dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    base: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A new empty database on the test server, or `None` (after saying so on stderr) when no
    /// test server is configured. Panics under `CI=true` without one, or if it cannot be made.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let Ok(base) = std::env::var(TEST_POSTGRES_ENV) else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("{test}: {TEST_POSTGRES_ENV} is not set under CI=true; the PostgreSQL half of this test must run (scripts/test.sh starts a server)");
            }
            eprintln!("{test}: PostgreSQL half skipped ({TEST_POSTGRES_ENV} is not set; scripts/test.sh sets it)");
            return None;
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "deconflict_test_{}_{}_{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let statement = format!("CREATE DATABASE {name}");
        admin(&base, &statement).unwrap_or_else(|error| {
            panic!("{test}: cannot create a test database on {TEST_POSTGRES_ENV}: {error}")
        });
        let url = with_database(&base, &name);
        Some(TestDatabase { base, name, url })
    }

    /// The new database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(error) = admin(&self.base, &statement) {
            eprintln!("test database {} not dropped: {error}", self.name);
        }
    }
}

/// Runs one statement on `base` from a thread of its own (callers may be inside a tokio
/// runtime, where the blocking client must not run).
fn admin(base: &str, statement: &str) -> Result<(), String> {
    let base = base.to_string();
    let statement = statement.to_string();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&base, postgres::NoTls)
            .map_err(|error| format!("{error}: {:?}", std::error::Error::source(&error)))?;
        client
            .batch_execute(&statement)
            .map_err(|error| format!("{error}: {:?}", error.as_db_error().map(|e| e.message())))
    })
    .join()
    .map_err(|_| "the admin connection panicked".to_string())?
}

/// The variable naming the stores a benchmark runs on.
pub const BENCH_STORE_ENV: &str = "DECONFLICT_BENCH_STORE";

/// A backend a benchmark runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The backends a benchmark runs on, in the order given: `DECONFLICT_BENCH_STORE`
/// (`sqlite`, `postgres`, or both comma-separated); unset, both when `DECONFLICT_TEST_POSTGRES`
/// names a server, else SQLite alone. So one run measures both side by side, on the same
/// machine at the same time, which is the only comparison a shared machine allows.
pub fn bench_backends() -> Result<Vec<Backend>, String> {
    parse_backends(
        std::env::var(BENCH_STORE_ENV).ok().as_deref(),
        std::env::var_os(TEST_POSTGRES_ENV).is_some(),
    )
}

fn parse_backends(value: Option<&str>, postgres_configured: bool) -> Result<Vec<Backend>, String> {
    let Some(value) = value else {
        return Ok(match postgres_configured {
            true => vec![Backend::Sqlite, Backend::Postgres],
            false => vec![Backend::Sqlite],
        });
    };
    let mut backends = Vec::new();
    for name in value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let backend = match name {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            other => {
                return Err(format!(
                    "{BENCH_STORE_ENV}: unknown store {other:?} (sqlite, postgres)"
                ))
            }
        };
        if backend == Backend::Postgres && !postgres_configured {
            return Err(format!(
                "{BENCH_STORE_ENV} asks for postgres but {TEST_POSTGRES_ENV} is not set \
                 (`source scripts/postgres.sh && start_test_postgres`)"
            ));
        }
        if !backends.contains(&backend) {
            backends.push(backend);
        }
    }
    match backends.is_empty() {
        true => Err(format!("{BENCH_STORE_ENV} names no store")),
        false => Ok(backends),
    }
}

/// `base` with its database (the URL's path) replaced by `name`, its query kept.
pub fn with_database(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (base, None),
    };
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgresql", url));
    let authority = rest.split('/').next().unwrap_or("");
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_stores_default_to_both_when_a_server_is_configured() {
        use Backend::*;
        assert_eq!(parse_backends(None, true), Ok(vec![Sqlite, Postgres]));
        assert_eq!(parse_backends(None, false), Ok(vec![Sqlite]));
        assert_eq!(
            parse_backends(Some("postgres, sqlite"), true),
            Ok(vec![Postgres, Sqlite])
        );
        assert_eq!(parse_backends(Some("sqlite"), false), Ok(vec![Sqlite]));
        assert!(parse_backends(Some("postgres"), false)
            .unwrap_err()
            .contains("DECONFLICT_TEST_POSTGRES"));
        assert!(parse_backends(Some("mysql"), true)
            .unwrap_err()
            .contains("\"mysql\""));
        assert!(parse_backends(Some(""), true).is_err());
    }

    #[test]
    fn the_database_part_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database(
                "postgresql://postgres@localhost:5433/postgres?host=/tmp/pg",
                "t1"
            ),
            "postgresql://postgres@localhost:5433/t1?host=/tmp/pg"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1", "t2"),
            "postgres://u:p@h:1/t2"
        );
    }
}
