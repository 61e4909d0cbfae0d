//! Where a test's log lives, on either backend (shared by the tests and benches that run the
//! binary on both).
#![allow(dead_code)] // not every user needs every part

use std::path::PathBuf;

use deconflict_store::testing::TestDatabase;

/// Where a test's log lives: an SQLite file in a temporary directory, or a fresh database on
/// the test PostgreSQL server (dropped with this value), whose signing key is a file in that
/// directory (`DECONFLICT_SIGNING_KEY`), the same across restarts.
pub struct Store {
    pub directory: tempfile::TempDir,
    pub postgres: Option<TestDatabase>,
}

impl Store {
    pub fn sqlite() -> Store {
        Store {
            directory: tempfile::tempdir().unwrap(),
            postgres: None,
        }
    }

    /// `None` (after a line on stderr) when no test server is configured.
    pub fn postgres(test: &str) -> Option<Store> {
        Some(Store {
            directory: tempfile::tempdir().unwrap(),
            postgres: Some(TestDatabase::create(test)?),
        })
    }

    /// What `--database` takes: the file, or the URL.
    pub fn database(&self) -> PathBuf {
        match &self.postgres {
            Some(postgres) => PathBuf::from(postgres.url()),
            None => self.directory.path().join("test.db"),
        }
    }

    pub fn signing_key(&self) -> PathBuf {
        self.directory.path().join("postgres.signing-key")
    }
}
