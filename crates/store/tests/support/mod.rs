//! Runs a test once per backend: SQLite in a temporary directory, and PostgreSQL in a fresh
//! database on the server `DECONFLICT_TEST_POSTGRES` names (skipped with a line on stderr when
//! it is unset, a failure under `CI=true`; see `deconflict_store::testing`).

#![allow(dead_code)]

use deconflict_store::testing::TestDatabase;
use deconflict_store::{AnyLog, Database};
use tempfile::TempDir;

/// One backend's empty log location, kept alive (and removed) with the value.
pub struct Backend {
    pub database: Database,
    _dir: Option<TempDir>,
    _postgres: Option<TestDatabase>,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self.database {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.database, Database::Postgres(_))
    }

    pub fn open(&self) -> AnyLog {
        AnyLog::open(&self.database).unwrap()
    }

    pub fn open_read_only(&self) -> AnyLog {
        AnyLog::open_read_only(&self.database).unwrap()
    }

    /// A direct connection to the PostgreSQL database (for tests that tamper with rows).
    pub fn postgres_client(&self) -> postgres::Client {
        let Database::Postgres(url) = &self.database else {
            panic!("not a PostgreSQL backend")
        };
        postgres::Client::connect(url, postgres::NoTls).unwrap()
    }
}

/// SQLite, and PostgreSQL when a test server is configured.
pub fn backends(test: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![Backend {
        database: Database::Sqlite(dir.path().join("events.db")),
        _dir: Some(dir),
        _postgres: None,
    }];
    if let Some(postgres) = TestDatabase::create(test) {
        backends.push(Backend {
            database: Database::Postgres(postgres.url().to_string()),
            _dir: None,
            _postgres: Some(postgres),
        });
    }
    backends
}

/// Each backend with a freshly opened log.
pub fn logs(test: &str) -> Vec<(Backend, AnyLog)> {
    backends(test)
        .into_iter()
        .map(|backend| {
            let log = backend.open();
            (backend, log)
        })
        .collect()
}
