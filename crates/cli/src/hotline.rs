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

/// One line for a stream event, as `(change, what a person reads)`; printed as
/// `[seq] change what`.
fn describe(data: &Value) -> (String, String) {
    let change = data["change"].as_str().unwrap_or("?").to_owned();
    if let Some(alert) = data.get("alert") {
        let mut line = format!(
            "{} {} {} {}",
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
        line.push_str(&alert_status(alert));
        (change, line)
    } else if let Some(message) = data.get("message") {
        let line = format!(
            "{} {} from {} to {}: {}",
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
        );
        (change, line)
    } else {
        (change, String::new())
    }
}

/// Another party's text with its control characters written out (`\u{1b}`), so nothing it
/// says can clear, retitle or overwrite the terminal it is printed on. The server refuses them
/// in what it accepts; this also guards against a server that does not.
fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Where an alert stands for a person: escalated, re-notified, overdue, acknowledged by whom,
/// resolved and why.
fn alert_status(alert: &Value) -> String {
    let mut parts = Vec::new();
    let count = |field: &str| alert[field].as_u64().unwrap_or(0);
    if count("escalations") > 0 {
        parts.push(format!("escalated {}×", count("escalations")));
    }
    if count("renotifications") > 0 {
        parts.push(format!("re-notified {}×", count("renotifications")));
    }
    if alert["overdue"].as_bool() == Some(true) {
        parts.push("OVERDUE: no further reminders".to_owned());
    }
    if let Some(by) = alert["acknowledged_by"]
        .as_object()
        .filter(|by| !by.is_empty())
    {
        let names: Vec<&str> = by.keys().map(String::as_str).collect();
        parts.push(format!("acknowledged by {}", names.join(", ")));
    }
    if alert["state"].as_str() == Some("resolved") {
        let reason = match alert["resolved_reason"].as_str() {
            Some("past") => "its window has passed",
            Some(reason) => reason,
            None => "condition cleared",
        };
        parts.push(format!("resolved: {reason}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" · {}", parts.join(" · "))
    }
}

/// How many alerts and messages `watch` remembers the last printed line of.
const LAST_READ_MAX: usize = 100_000;

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
    // What was last printed of each alert or message: a change a person cannot read (figures
    // that round to the same line) prints nothing.
    let mut last_read: std::collections::HashMap<String, String> = Default::default();
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
                            let (change, text) = describe(&value);
                            let (change, text) = (escape_controls(&change), escape_controls(&text));
                            after = Some(seq);
                            let subject = text.split_whitespace().next().unwrap_or("").to_owned();
                            if last_read.get(&subject) == Some(&text) {
                                id = None;
                                data.clear();
                                continue;
                            }
                            let mut out = stdout.lock();
                            writeln!(out, "[{seq}] {change} {text}")?;
                            out.flush()?;
                            if last_read.len() >= LAST_READ_MAX {
                                last_read.clear(); // at worst one repeated line per alert
                            }
                            last_read.insert(subject, text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tactical(change: &str, t_los_s: f64, escalations: u32) -> Value {
        json!({"seq": 1, "change": change, "alert": {
            "id": "tc-1", "kind": "tactical_conflict", "severity": "caution", "state": "open",
            "escalations": escalations, "renotifications": 0, "overdue": false,
            "acknowledged_by": {},
            "tactical": {"own_track": "A1", "other_party": "red", "t_los_s": t_los_s, "d_cpa_m": 900.0}}})
    }

    #[test]
    fn control_characters_are_written_out_never_printed() {
        let text = "SOKOL 21\u{1b}]0;forged\u{7}\r[99] alert_resolved";
        let escaped = escape_controls(text);
        assert!(!escaped.chars().any(char::is_control), "{escaped}");
        assert!(
            escaped.contains("\\u{1b}]0;forged\\u{7}\\u{d}[99]"),
            "{escaped}"
        );
    }

    #[test]
    fn an_update_whose_printed_figures_did_not_change_reads_the_same() {
        let (_, first) = describe(&tactical("alert_updated", 77.2, 0));
        let (_, second) = describe(&tactical("alert_updated", 76.9, 0));
        assert_eq!(first, second);
        let (_, later) = describe(&tactical("alert_updated", 70.0, 0));
        assert_ne!(first, later);
    }

    #[test]
    fn escalation_renotification_overdue_and_resolution_are_written_out() {
        let (change, text) = describe(&tactical("alert_escalated", 70.0, 1));
        assert_eq!(change, "alert_escalated");
        assert!(text.ends_with(" · escalated 1×"), "{text}");
        let mut value = tactical("alert_renotified", 70.0, 2);
        value["alert"]["renotifications"] = json!(3);
        value["alert"]["overdue"] = json!(true);
        let (_, text) = describe(&value);
        assert!(text.contains("re-notified 3× · OVERDUE"), "{text}");
        value["alert"]["state"] = json!("resolved");
        value["alert"]["overdue"] = json!(false);
        value["alert"]["resolved_reason"] = json!("past");
        let (_, text) = describe(&value);
        assert!(text.ends_with("resolved: its window has passed"), "{text}");
    }
}
