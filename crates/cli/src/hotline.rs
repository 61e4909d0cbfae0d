//! The party's hotline from the terminal: `watch` prints the live stream, reconnecting and
//! resuming by itself (`Last-Event-ID`); `ack` acknowledges an alert; `send` sends a message.

use anyhow::Context;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

pub(crate) fn client(timeout: Option<Duration>) -> anyhow::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .context("cannot build an HTTP client")
}

/// One line for a stream event: `[seq] …`.
fn describe(seq: u64, data: &Value) -> String {
    let change = data["change"].as_str().unwrap_or("?");
    if let Some(alert) = data.get("alert") {
        let mut line = format!(
            "[{seq}] {change} {} {} {} {}",
            alert["id"].as_str().unwrap_or("?"),
            alert["kind"].as_str().unwrap_or("?"),
            alert["severity"].as_str().unwrap_or("?"),
            alert["state"].as_str().unwrap_or("?"),
        );
        if let Some(t) = alert.get("tactical") {
            line.push_str(&format!(
                " own {} vs {} t_los {:.0}s d_cpa {:.0}m",
                t["own_track"].as_str().unwrap_or("?"),
                t["other_party"].as_str().unwrap_or("?"),
                t["t_los_s"].as_f64().unwrap_or(f64::NAN),
                t["d_cpa_m"].as_f64().unwrap_or(f64::NAN)
            ));
        }
        if let Some(conflict) = alert["conflicts"].get(0) {
            line.push_str(&format!(
                " own {} vs {}",
                conflict["own_operation"].as_str().unwrap_or("?"),
                conflict["other_party"].as_str().unwrap_or("?")
            ));
        }
        line
    } else if let Some(message) = data.get("message") {
        format!(
            "[{seq}] {change} {} {} from {} to {}: {}",
            message["id"].as_str().unwrap_or("?"),
            message["priority"].as_str().unwrap_or("?"),
            message["from"].as_str().unwrap_or("?"),
            message["to"]
                .as_array()
                .map(|t| t
                    .iter()
                    .filter_map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default(),
            message["text"].as_str().unwrap_or("")
        )
    } else {
        format!("[{seq}] {change}")
    }
}

/// Prints the stream until `exit_after` events (or forever), resuming after every disconnect.
pub fn watch(
    server: &str,
    token: &str,
    mut after: Option<u64>,
    exit_after: Option<u64>,
) -> anyhow::Result<()> {
    let client = client(None)?;
    let url = format!("{}/v1/alerts/stream", server.trim_end_matches('/'));
    let mut printed = 0u64;
    let mut backoff = Duration::from_millis(200);
    let stdout = std::io::stdout();
    loop {
        let mut request = client.get(&url).bearer_auth(token);
        if let Some(after) = after {
            request = request.header("Last-Event-ID", after.to_string());
        }
        match request.send() {
            Ok(response) if response.status().is_success() => {
                backoff = Duration::from_millis(200);
                eprintln!(
                    "deconflict watch: connected to {url}{}",
                    after
                        .map(|a| format!(", resuming after event {a}"))
                        .unwrap_or_default()
                );
                let (mut id, mut data) = (None, String::new());
                for line in BufReader::new(response).lines() {
                    let Ok(line) = line else { break };
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse::<u64>().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    } else if line.is_empty() {
                        if let (Some(seq), false) = (id, data.is_empty()) {
                            let value: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
                            let mut out = stdout.lock();
                            writeln!(out, "{}", describe(seq, &value))?;
                            out.flush()?;
                            after = Some(seq);
                            printed += 1;
                            if exit_after.is_some_and(|n| printed >= n) {
                                return Ok(());
                            }
                        }
                        id = None;
                        data.clear();
                    }
                }
                eprintln!("deconflict watch: disconnected; reconnecting");
            }
            Ok(response) => {
                let status = response.status();
                let body: Value = response.json().unwrap_or(Value::Null);
                let detail = body["detail"].as_str().unwrap_or("no detail").to_owned();
                anyhow::ensure!(
                    !status.is_client_error(),
                    "the server refused the stream ({status}): {detail}"
                );
                eprintln!("deconflict watch: server answered {status}; retrying");
            }
            Err(error) => eprintln!("deconflict watch: cannot connect ({error}); retrying"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

pub(crate) fn answer(response: reqwest::blocking::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().context("the server's answer is not JSON")?;
    anyhow::ensure!(
        status.is_success(),
        "{} ({status})",
        body["detail"].as_str().unwrap_or("refused")
    );
    Ok(body)
}

pub fn ack(server: &str, token: &str, id: &str) -> anyhow::Result<()> {
    let url = format!("{}/v1/alerts/{id}/ack", server.trim_end_matches('/'));
    let body = answer(
        client(Some(Duration::from_secs(30)))?
            .post(&url)
            .bearer_auth(token)
            .send()
            .with_context(|| format!("cannot reach {url}"))?,
    )?;
    let by: Vec<&String> = body["acknowledged_by"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    println!(
        "acknowledged {id}; acknowledged by {}",
        by.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

pub fn send(
    server: &str,
    token: &str,
    to: &[String],
    priority: &str,
    text: &str,
) -> anyhow::Result<()> {
    let url = format!("{}/v1/messages", server.trim_end_matches('/'));
    let request = serde_json::json!({ "to": to, "priority": priority, "text": text });
    let body = answer(
        client(Some(Duration::from_secs(30)))?
            .post(&url)
            .bearer_auth(token)
            .json(&request)
            .send()
            .with_context(|| format!("cannot reach {url}"))?,
    )?;
    println!(
        "sent {} to {}",
        body["id"].as_str().unwrap_or("?"),
        to.join(", ")
    );
    Ok(())
}
