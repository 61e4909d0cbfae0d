//! `deconflict demo`: the built-in scenario on a temporary embedded database.
//!
//! Parties are registered and operations filed through the same command path as the API
//! (decide, log, apply), so the demo shows exactly what a client would get.

use anyhow::Context;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use deconflict_engine::alert::SiteSubject;
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::{PartyId, State};
use deconflict_server::auth::{generate_token, hash_token};
use deconflict_server::{App, Config};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::scenario;
use crate::serve::{init_logging, runtime, shutdown_signal};

pub fn run(
    check: bool,
    listen: SocketAddr,
    at: Option<DateTime<Utc>>,
    traffic: bool,
) -> anyhow::Result<()> {
    let start = match at {
        Some(at) => at,
        // Live with traffic: most plans under way, so the simulated tracks fly inside them.
        None if traffic && !check => {
            Utc::now()
                .duration_trunc(TimeDelta::minutes(1))
                .unwrap_or(Utc::now())
                - TimeDelta::minutes(LIVE_OFFSET_MIN)
        }
        None => next_full_hour(Utc::now()),
    };
    let directory = tempfile::tempdir().context("cannot create a temporary directory")?;
    let admin_token = generate_token();
    let database = directory.path().join("demo.db");
    let app = App::open(Config::new(database.clone(), admin_token.clone()))
        .context("cannot open the demo database")?;
    let scenario = scenario::load(scenario::SYRIA_2015)?;
    let tokens = load_scenario(&app, &scenario, start)?;
    let flights: Vec<crate::simulate::Flight> = if traffic || check {
        scenario
            .operations
            .iter()
            .filter_map(|operation| {
                Some(crate::simulate::Flight {
                    owner: PartyId(operation.owner.clone()),
                    operation: operation.id.clone(),
                    callsign: operation.callsign().map(str::to_owned),
                    domain: operation.domain(),
                    track: operation.track.clone()?,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    println!("deconflict demo: {}", scenario.name);
    println!("scenario start {}", start.format("%Y-%m-%d %H:%M UTC"));
    println!();
    print!("{}", app.read(conflict_table));
    if check {
        let live_at = start + TimeDelta::minutes(LIVE_OFFSET_MIN);
        live_check(&app, &flights, live_at)?;
        print!(
            "{}",
            app.read(|state| live_table(state, flights.len(), live_at))
        );
        return Ok(());
    }
    init_logging();
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen} (try --listen 127.0.0.1:0)"))?;
        let address = listener.local_addr()?;
        println!();
        println!("serving on http://{address}  (OpenAPI: http://{address}/openapi.json)");
        println!("map: open http://{address}/ and sign in with a party's token below");
        println!("admin token: {admin_token}");
        for (party, token) in &tokens {
            println!("token for {party:<10} {token}");
        }
        println!(
            "database: {} (temporary: removed when the demo stops)",
            database.display()
        );
        println!();
        println!("for the commands below and the README's, in another shell:");
        println!(
            "  export DECONFLICT_SERVER=http://{address} DECONFLICT_ADMIN_TOKEN={admin_token} DECONFLICT_TOKEN={} DECONFLICT_DB={}",
            tokens[0].1,
            database.display()
        );
        println!();
        let bin = invocation();
        println!(
            "try: curl -H 'Authorization: Bearer {}' http://{address}/v1/alerts",
            tokens[0].1
        );
        println!(
            "or follow a party's alerts live: {bin} watch --server http://{address} --after 0 --token {}",
            tokens[0].1
        );
        let head = app.sign_head().context("cannot sign the log head")?;
        println!(
            "the log's head (event {}) is signed by key {}; keep a party's proof of what it was told:",
            head.seq, head.public_key
        );
        println!(
            "  {bin} audit receipt --server http://{address} --token {} --out {}.receipt.json",
            tokens[0].1, tokens[0].0
        );
        println!(
            "  {bin} audit verify --receipt {}.receipt.json --public-key {}",
            tokens[0].0, head.public_key
        );
        if !flights.is_empty() {
            println!(
                "simulated traffic: {} tracks reported every second ({}); --no-traffic turns it off",
                flights.len(),
                flights
                    .iter()
                    .map(|flight| flight.callsign.as_deref().unwrap_or(&flight.track.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        println!("Ctrl-C stops the demo; its database is temporary.");
        let app = Arc::new(app);
        let simulation = (!flights.is_empty()).then(|| {
            let app = app.clone();
            tokio::spawn(async move {
                let began = std::time::Instant::now();
                let mut timer = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    timer.tick().await;
                    let (app, flights) = (app.clone(), flights.clone());
                    let t_s = began.elapsed().as_secs_f64();
                    let outcome = tokio::task::spawn_blocking(move || {
                        crate::simulate::report_all(&app, &flights, t_s)
                    })
                    .await;
                    if let Ok(Err(error)) = outcome {
                        tracing::error!(%error, "simulated traffic could not be reported");
                    }
                }
            })
        });
        deconflict_server::serve(listener, app, shutdown_signal()).await?;
        if let Some(simulation) = simulation {
            simulation.abort();
        }
        drop(directory);
        Ok(())
    })
}

/// How to run this binary from the current directory: `deconflict` when that is what the
/// PATH finds, else its path (e.g. `target/debug/deconflict` after `cargo run`), so that the
/// commands the demo prints run as printed.
fn invocation() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "deconflict".to_owned();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            dir.join("deconflict")
                .canonicalize()
                .is_ok_and(|found| exe.canonicalize().is_ok_and(|exe| exe == found))
        })
    });
    if on_path {
        return "deconflict".to_owned();
    }
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| exe.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf));
    relative.unwrap_or(exe).display().to_string()
}

pub(crate) fn next_full_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now) + TimeDelta::hours(1)
}

/// Registers the parties and files the operations; returns each party's token.
fn load_scenario(
    app: &App,
    scenario: &scenario::Scenario,
    start: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut tokens = Vec::new();
    for party in &scenario.parties {
        let token = generate_token();
        let token_hash = hash_token(&token);
        app.execute(
            &Actor::Admin,
            |state, _| {
                decide::register_party(
                    state,
                    &Actor::Admin,
                    &party.id,
                    &party.name,
                    party.role,
                    token_hash.clone(),
                )
            },
            |_, _| (),
        )
        .with_context(|| format!("cannot register party {}", party.id))?;
        tokens.push((party.id.clone(), token));
    }
    let limits = app.config.limits;
    for zone in &scenario.zones {
        let owner = PartyId(zone.owner.clone());
        app.execute(
            &Actor::Party(owner.clone()),
            |state, now| {
                decide::publish_zone(state, &owner, &zone.id, zone.spec.clone(), now, &limits)
            },
            |_, _| (),
        )
        .with_context(|| format!("cannot publish zone {}/{}", zone.owner, zone.id))?;
    }
    for site in &scenario.sites {
        let owner = PartyId(site.owner.clone());
        let spec = site.spec_at(start);
        app.execute(
            &Actor::Party(owner.clone()),
            |state, now| decide::publish_site(state, &owner, &site.id, spec.clone(), now, &limits),
            |_, _| (),
        )
        .with_context(|| format!("cannot notify site {}/{}", site.owner, site.id))?;
    }
    for operation in &scenario.operations {
        let owner = PartyId(operation.owner.clone());
        let spec = operation.spec_at(start);
        app.execute(
            &Actor::Party(owner.clone()),
            |state, now| {
                decide::file_operation(
                    state,
                    &owner,
                    &operation.id,
                    spec.clone(),
                    None,
                    now,
                    &limits,
                    &Default::default(),
                )
            },
            |_, _| (),
        )
        .with_context(|| format!("cannot file operation {}/{}", operation.owner, operation.id))?;
    }
    Ok(tokens)
}

/// How far into the scenario the live demo starts (most plans under way), and the moment
/// `--check` shows the live picture of.
const LIVE_OFFSET_MIN: i64 = 130;

/// The live picture as the demo's traffic begins: every simulated track reported once,
/// stamped `at` (its first report of the live demo), then one pass at that same instant —
/// decided at `at`, not the wall clock, so `--check` prints the same figures on every run.
fn live_check(
    app: &App,
    flights: &[crate::simulate::Flight],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    let mut by_owner: BTreeMap<&PartyId, Vec<(usize, deconflict_engine::TrackReport)>> =
        BTreeMap::new();
    for (index, flight) in flights.iter().enumerate() {
        by_owner
            .entry(&flight.owner)
            .or_default()
            .push((index, flight.report_at(0.0, at)));
    }
    for (owner, reports) in by_owner {
        app.execute(
            &Actor::Party(owner.clone()),
            |state, _| {
                Ok(decide::report_positions(
                    state,
                    owner,
                    reports.clone(),
                    at,
                    &Default::default(),
                ))
            },
            |_, _| (),
        )?;
    }
    app.execute(
        &Actor::System,
        |state, _| Ok(decide::tactical_pass(state, at)),
        |_, _| (),
    )?;
    Ok(())
}

/// The tactical conflicts of [`live_check`] (with the domains of the pair: two ships are
/// judged with the sea minima) and the tracks in or heading into a zone against its rules.
fn live_table(state: &State, tracks: usize, at: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "live traffic at {} ({tracks} tracks reported)",
        at.format("%H:%M UTC"),
    );
    let conflicts: Vec<_> = state
        .open_alerts()
        .filter_map(|a| Some((a, a.tactical()?)))
        .collect();
    let _ = writeln!(out, "{} tactical conflicts found", conflicts.len());
    let _ = writeln!(
        out,
        "{:<20} {:<26} {:<26} {:<8} {:<9} {:>7} {:>8}",
        "alert", "track", "with", "domain", "severity", "t_cpa", "d_cpa"
    );
    for (alert, detail) in conflicts {
        let domain = if detail.domains[0] == detail.domains[1] {
            detail.domains[0].to_string()
        } else {
            "air-sea".to_owned()
        };
        let _ = writeln!(
            out,
            "{:<20} {:<26} {:<26} {:<8} {:<9} {:>6.0}s {:>6.2}km",
            alert.id.0,
            format!("{}/{}", detail.tracks[0].owner.0, detail.tracks[0].track_id),
            format!("{}/{}", detail.tracks[1].owner.0, detail.tracks[1].track_id),
            domain,
            format!("{:?}", alert.severity).to_lowercase(),
            detail.t_cpa_s,
            detail.d_cpa_m / 1000.0,
        );
    }
    let entries: Vec<_> = state
        .open_alerts()
        .filter_map(|a| Some((a, a.track_zone()?)))
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "{} tracks in or entering a zone", entries.len());
    let _ = writeln!(
        out,
        "{:<20} {:<26} {:<8} {:<44} {:>7}  rules engaged",
        "alert", "track", "domain", "zone", "entry"
    );
    for (alert, detail) in entries {
        let domain = state
            .track(&detail.track.track_id)
            .map_or("-".to_owned(), |t| t.domain().to_string());
        let rules: Vec<&str> = detail
            .findings
            .iter()
            .map(|f| f.description.as_str())
            .collect();
        let _ = writeln!(
            out,
            "{:<20} {:<26} {:<8} {:<44} {:>6.0}s  {}",
            alert.id.0,
            format!("{}/{}", detail.track.owner.0, detail.track.track_id),
            domain,
            format!("{}/{}", detail.zone_owner.0, detail.zone),
            detail.t_entry_s,
            rules.join("; ")
        );
    }
    out
}

/// The open strategic conflicts as a table (the operator's view of the whole scenario).
fn conflict_table(state: &State) -> String {
    let mut out = String::new();
    let open: Vec<_> = state
        .open_alerts()
        .filter_map(|a| Some((a, a.strategic()?)))
        .collect();
    let _ = writeln!(out, "{} strategic conflicts found", open.len());
    let _ = writeln!(
        out,
        "{:<20} {:<34} {:<34} {:<13} {:<13} {:>7}  right of way",
        "alert", "operation", "conflicts with", "time (UTC)", "altitude (m)", "dist"
    );
    for (alert, detail) in open {
        for conflict in &detail.conflicts {
            let overlap = &conflict.overlap;
            let _ = writeln!(
                out,
                "{:<20} {:<34} {:<34} {:<13} {:<13} {:>5.1}km  {}",
                alert.id.0,
                conflict.operation_a.to_string(),
                conflict.operation_b.to_string(),
                format!(
                    "{}-{}",
                    overlap.time_start.format("%H:%M"),
                    overlap.time_end.format("%H:%M")
                ),
                format!(
                    "{:.0}-{:.0}",
                    overlap.altitude_lower_m, overlap.altitude_upper_m
                ),
                overlap.horizontal_distance_m / 1000.0,
                detail
                    .right_of_way
                    .as_ref()
                    .map_or("-".to_owned(), |p| p.0.clone()),
            );
        }
    }
    let entries: Vec<_> = state
        .open_alerts()
        .filter_map(|a| Some((a, a.zone_entry()?)))
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "{} zone entries found", entries.len());
    let _ = writeln!(
        out,
        "{:<20} {:<34} {:<44} {:<9} rules engaged",
        "alert", "operation", "zone", "severity"
    );
    for (alert, detail) in entries {
        let mut rules: Vec<&str> = detail
            .entries
            .iter()
            .flat_map(|entry| entry.findings.iter().map(|f| f.description.as_str()))
            .collect();
        rules.dedup();
        let _ = writeln!(
            out,
            "{:<20} {:<34} {:<44} {:<9} {}",
            alert.id.0,
            detail.operation.to_string(),
            format!(
                "{}/{} ({:?})",
                detail.zone_owner.0, detail.zone, detail.enforcement
            )
            .to_lowercase(),
            format!("{:?}", alert.severity).to_lowercase(),
            rules.join("; ")
        );
    }
    let near: Vec<_> = state
        .open_alerts()
        .filter_map(|a| Some((a, a.site()?)))
        .collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "{} protected sites endangered", near.len());
    let _ = writeln!(
        out,
        "{:<20} {:<34} {:<44} {:<13} {:>7}",
        "alert", "operation", "site", "time (UTC)", "dist"
    );
    for (alert, detail) in near {
        let SiteSubject::Operation {
            operation, volumes, ..
        } = &detail.subject
        else {
            continue;
        };
        for volume in volumes {
            let _ = writeln!(
                out,
                "{:<20} {:<34} {:<44} {:<13} {:>5.1}km",
                alert.id.0,
                operation.to_string(),
                format!(
                    "{}/{} ({})",
                    detail.site_owner.0,
                    detail.site,
                    detail.site_kind.as_str()
                ),
                format!(
                    "{}-{}",
                    volume.from.format("%H:%M"),
                    volume.to.format("%H:%M")
                ),
                volume.distance_m / 1000.0,
            );
        }
    }
    out
}
