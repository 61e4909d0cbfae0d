//! `deconflict audit verify --db FILE | --receipt FILE`, `deconflict audit receipt`.

use anyhow::Context;
use deconflict_store::{AnyLog, Database};
use std::path::Path;
use std::process::ExitCode;

/// Exit 0 when the chain verifies, 1 when an event does not match (named on stdout).
pub fn verify(db: &Path) -> anyhow::Result<ExitCode> {
    let database = Database::from_path(db);
    let log = AnyLog::open_read_only(&database)
        .with_context(|| format!("cannot open {}", database.display()))?;
    let report = log
        .verify()
        .with_context(|| format!("cannot read the event log in {}", database.display()))?;
    match report.first_bad {
        None => {
            match report.head {
                Some((seq, hash)) => println!(
                    "ok: {} events verified; head is event {seq}, hash {hash}",
                    report.events_checked
                ),
                None => println!("ok: the event log is empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(bad) => {
            println!(
                "FAILED: event {} does not verify: {} ({} events before it verified)",
                bad.seq, bad.reason, report.events_checked
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Exit 0 when the receipt verifies (against `public_key` if given), 1 when it does not.
pub fn verify_receipt(path: &Path, public_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let receipt: deconflict_store::Receipt = match serde_json::from_str(&text) {
        Ok(receipt) => receipt,
        Err(error) => {
            println!("FAILED: {} is not a receipt: {error}", path.display());
            return Ok(ExitCode::from(1));
        }
    };
    // The digests prove the values; this proves the bytes: a receipt is checked only in the
    // form deconflict writes it (pretty, as saved by `audit receipt`, or compact, as served),
    // so not even a number re-spelt to the same value passes unnoticed.
    let pretty = serde_json::to_string_pretty(&receipt)?;
    let compact = serde_json::to_string(&receipt)?;
    let as_written = text.strip_suffix('\n').unwrap_or(&text);
    if as_written != pretty && as_written != compact {
        println!(
            "FAILED: {} is not byte for byte the receipt it parses as (was it edited?)",
            path.display()
        );
        return Ok(ExitCode::from(1));
    }
    if let Some(expected) = public_key {
        if !receipt
            .head
            .public_key
            .eq_ignore_ascii_case(expected.trim())
        {
            println!(
                "FAILED: the receipt is signed by key {}, not by {}",
                receipt.head.public_key,
                expected.trim()
            );
            return Ok(ExitCode::from(1));
        }
    }
    match deconflict_store::verify_receipt(&receipt) {
        Ok(report) => {
            println!(
                "ok: events {}..={} verified up to the signed head (event {}, hash {}); \
                 {} disclosed to you, {} opaque",
                report.after + 1,
                report.head_seq,
                report.head_seq,
                receipt.head.hash,
                report.entries_disclosed,
                report.entries_opaque
            );
            if public_key.is_none() {
                println!(
                    "signed by key {}: compare it with the operator's published key \
                     (or pass --public-key)",
                    report.public_key
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("FAILED: {error}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Fetches the caller's receipt from a server and writes it to `out`.
pub fn fetch_receipt(server: &str, token: &str, after: u64, out: &Path) -> anyhow::Result<()> {
    let url = format!(
        "{}/v1/audit/receipt?after={after}",
        server.trim_end_matches('/')
    );
    let body = crate::hotline::answer(
        crate::hotline::client(Some(std::time::Duration::from_secs(120)))?
            .get(&url)
            .bearer_auth(token)
            .send()
            .with_context(|| format!("cannot reach {url}"))?,
    )?;
    let receipt: deconflict_store::Receipt =
        serde_json::from_value(body.clone()).context("the server's answer is not a receipt")?;
    let text = serde_json::to_string_pretty(&receipt)? + "\n";
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    let entries = body["entries"].as_array().map_or(0, Vec::len);
    println!(
        "saved a receipt of {entries} events up to event {} in {}",
        body["head"]["seq"],
        out.display()
    );
    Ok(())
}
