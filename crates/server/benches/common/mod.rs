//! What the benchmarks share: random plans of the usual shape, percentiles, and the stores to
//! run on.
#![allow(dead_code)] // each bench uses a part

use chrono::{DateTime, Duration, Utc};
use deconflict_engine::{Domain, MissionType, OperationSpec};
use deconflict_geometry::{FootprintSpec, Volume4dSpec};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A plan: a circle or a quadrilateral of 1–20 km somewhere in the box (degrees), a band of
/// 300–3,000 m between 0 and 15 km, a 1–4 h window starting within `spread_s` of `start`.
pub fn random_spec(
    rng: &mut ChaCha8Rng,
    lon: (f64, f64),
    lat: (f64, f64),
    start: DateTime<Utc>,
    spread_s: i64,
) -> OperationSpec {
    let lon = rng.random_range(lon.0..lon.1);
    let lat = rng.random_range(lat.0..lat.1);
    let size_m: f64 = rng.random_range(1_000.0..20_000.0);
    let footprint = if rng.random_bool(0.5) {
        FootprintSpec::Circle {
            center: vec![lon, lat],
            radius_m: size_m,
        }
    } else {
        let dlat = size_m / 111_000.0;
        let dlon = dlat / f64::cos(lat.to_radians());
        let ring = vec![
            vec![lon - dlon, lat - dlat],
            vec![lon + dlon, lat - dlat],
            vec![lon + dlon * 0.6, lat + dlat],
            vec![lon - dlon, lat + dlat * 0.8],
            vec![lon - dlon, lat - dlat],
        ];
        FootprintSpec::Polygon {
            coordinates: vec![ring],
        }
    };
    let start = start + Duration::seconds(rng.random_range(0..spread_s));
    let lower = rng.random_range(0.0..12_000.0);
    OperationSpec {
        priority: 0,
        mission_type: MissionType::Patrol,
        domain: Domain::Air,
        callsign: None,
        volumes: vec![Volume4dSpec {
            footprint,
            altitude_lower_m: lower,
            altitude_upper_m: lower + rng.random_range(300.0..3_000.0),
            time_start: start,
            time_end: start + Duration::seconds(rng.random_range(3_600..4 * 3_600)),
        }],
    }
}

/// `p50 … p99 … max …` of samples in milliseconds.
pub fn percentiles(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  (n = {})",
        at(0.5),
        at(0.99),
        at(1.0),
        samples.len()
    )
}

/// The value at quantile `q` of samples.
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The stores this run measures (`DECONFLICT_BENCH_STORE`, see
/// `deconflict_store::testing::bench_backends`); exits with the reason if that is malformed.
pub fn backends() -> Vec<deconflict_store::testing::Backend> {
    let backends = deconflict_store::testing::bench_backends().unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2)
    });
    let names: Vec<_> = backends.iter().map(|b| b.name()).collect();
    eprintln!("stores: {}", names.join(", "));
    backends
}

/// A fresh, empty log for one bench on one backend: an SQLite file in a temporary directory,
/// or a new database on the test PostgreSQL server; both removed with the value.
pub struct BenchStore {
    pub backend: deconflict_store::testing::Backend,
    directory: tempfile::TempDir,
    postgres: Option<deconflict_store::testing::TestDatabase>,
}

impl BenchStore {
    pub fn new(backend: deconflict_store::testing::Backend, bench: &str) -> BenchStore {
        let postgres = match backend {
            deconflict_store::testing::Backend::Sqlite => None,
            deconflict_store::testing::Backend::Postgres => Some(
                deconflict_store::testing::TestDatabase::create(bench)
                    .expect("DECONFLICT_TEST_POSTGRES is set (checked by backends())"),
            ),
        };
        BenchStore {
            backend,
            directory: tempfile::tempdir().unwrap(),
            postgres,
        }
    }

    pub fn name(&self) -> &'static str {
        self.backend.name()
    }

    /// What `--database` (and `Config::database`) takes: the file, or the URL.
    pub fn database(&self) -> std::path::PathBuf {
        match &self.postgres {
            Some(postgres) => postgres.url().into(),
            None => self.directory.path().join("bench.db"),
        }
    }

    /// The server's settings on this log, its signing key in the temporary directory.
    pub fn config(&self, admin_token: &str) -> deconflict_server::Config {
        let mut config = deconflict_server::Config::new(self.database(), admin_token.to_owned());
        config.signing_key = Some(self.directory.path().join("bench.signing-key"));
        config
    }

    pub fn open_log(&self) -> deconflict_store::AnyLog {
        deconflict_store::AnyLog::open(&deconflict_store::Database::from_path(&self.database()))
            .unwrap()
    }
}

/// Registers the operator `id` on the server at `base` with the admin token `admin`; the
/// party's bearer token.
pub async fn register_operator(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    id: &str,
) -> String {
    let body: serde_json::Value = client
        .post(format!("{base}/v1/parties"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"id": id, "name": id, "role": "operator"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// A patrol of one volume: a circle, 1,000–2,000 m, 2030-01-01 10:00–12:00 UTC.
pub fn circle_operation(lon: f64, lat: f64, radius_m: f64) -> serde_json::Value {
    serde_json::json!({"mission_type": "patrol", "domain": "air", "volumes": [{
        "footprint": {"type": "Circle", "center": [lon, lat], "radius_m": radius_m},
        "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
        "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T12:00:00Z"}]})
}
