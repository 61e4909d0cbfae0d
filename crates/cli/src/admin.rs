//! Administration from the terminal, through the HTTP API like any other client: parties and
//! their tokens (`party`), agreements between parties (`agreement`), and a party's operations
//! (`ops`), and a whole scenario in the demo's format (`scenario load`). Every command takes the server's URL and a bearer token from flags or the
//! environment, prints what a person reads by default and the server's JSON with `--json`, and
//! turns a refusal into one line naming the problem (the server's RFC 9457 `detail`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{json, Value};

/// Where the server is and who is asking.
#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// The server's base URL.
    #[arg(
        long,
        env = "DECONFLICT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// The bearer token: a party's, or the admin token where the command needs it.
    #[arg(long, env = "DECONFLICT_TOKEN", hide_env_values = true)]
    token: String,
    /// Print the server's JSON answer instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Like [`Connection`], with the admin token from `DECONFLICT_ADMIN_TOKEN`.
#[derive(Args, Debug, Clone)]
pub struct AdminConnection {
    /// The server's base URL.
    #[arg(
        long,
        env = "DECONFLICT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// The admin token (or an admin party's token).
    #[arg(long, env = "DECONFLICT_ADMIN_TOKEN", hide_env_values = true)]
    token: String,
    /// Print the server's JSON answer instead of a summary.
    #[arg(long)]
    json: bool,
}

impl From<AdminConnection> for Connection {
    fn from(admin: AdminConnection) -> Self {
        Connection {
            server: admin.server,
            token: admin.token,
            json: admin.json,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum PartyCommand {
    /// Register a party (admin); prints its token, shown only once.
    Add {
        /// 1–64 characters of A-Z a-z 0-9 . _ -
        id: String,
        /// Its name as others read it (default: the id).
        #[arg(long)]
        name: Option<String>,
        /// operator, humanitarian, authority or admin.
        #[arg(long, default_value = "operator")]
        role: String,
        #[command(flatten)]
        connection: AdminConnection,
    },
    /// List the registered parties.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// A party's tokens: issue a new one (rotate), list their ids, revoke one.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue a further token to a party (itself, or any with the admin token). Rotate by
    /// switching to the new token, then revoking the old one.
    Rotate {
        party: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The ids of a party's valid tokens.
    List {
        party: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Revoke a token by its id: requests with it are refused from now on.
    Revoke {
        party: String,
        token_id: String,
        #[command(flatten)]
        connection: Connection,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCommand {
    /// Propose an agreement (or a new version of one) between the caller and other parties.
    Propose {
        /// The agreement's id; proposing again under it proposes a new version.
        id: String,
        /// Another party it binds (repeat for several); the caller is always one.
        #[arg(long = "with", required = true)]
        with: Vec<String>,
        /// A JSON file of its parameters (separation, look-ahead, release; see
        /// `GET /openapi.json`, `AgreementParams`); default: SPEC §7's defaults.
        #[arg(long)]
        params: Option<PathBuf>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Accept the pending version of an agreement.
    Accept {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Suspend an agreement (freezes it for every party).
    Suspend {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Resume a suspended agreement.
    Resume {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The agreements the caller is party to.
    List {
        #[command(flatten)]
        connection: Connection,
    },
}

#[derive(Subcommand, Debug)]
pub enum OpsCommand {
    /// The caller's operations.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// File (or replace) an operation from a JSON file of its spec, as `PUT /v1/operations/{id}`
    /// takes it; prints the conflicts found.
    File {
        file: PathBuf,
        /// The operation's id (default: the file's name without its extension).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

#[derive(Subcommand, Debug)]
pub enum ZonesCommand {
    /// Import an authority's zone file as published: EUROCAE ED-269 JSON (any root shape), as
    /// `POST /v1/zones/ed269`, or ED-318 (a GeoJSON FeatureCollection), as
    /// `POST /v1/zones/ed318`; all its zones or none. The format is told from the file (a root
    /// `"type": "FeatureCollection"` or `"Feature"` is ED-318) unless `--format` names it. The
    /// file is streamed to the server, which reads it under its zone-import limit (default
    /// 64 MiB), not the body limit. The token is the authority's (`DECONFLICT_TOKEN`).
    Import {
        file: PathBuf,
        /// The file's format; told from its root when not given.
        #[arg(long, value_enum)]
        format: Option<ZoneFormat>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Print a zone as the navigational warning mariners read (NAVAREA style: area, period,
    /// positions in degrees and decimal minutes), as `GET /v1/zones/{id}?format=navwarning`.
    Navwarning {
        id: String,
        /// Message series identifier and number, e.g. "NAVAREA III 0123/26".
        #[arg(long)]
        series: Option<String>,
        /// General area, e.g. "EASTERN MEDITERRANEAN".
        #[arg(long)]
        area: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

/// The zone file formats the server imports.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneFormat {
    Ed269,
    Ed318,
}

impl ZoneFormat {
    fn path(self) -> &'static str {
        match self {
            ZoneFormat::Ed269 => "/v1/zones/ed269",
            ZoneFormat::Ed318 => "/v1/zones/ed318",
        }
    }

    /// The format of a zone document: ED-318 if its root is a GeoJSON FeatureCollection or
    /// Feature, ED-269 otherwise (ED-269 roots are arrays, or objects without a GeoJSON
    /// `type`). The document is read through once without being kept; a document that is not
    /// JSON is left for the server to refuse.
    fn detect(reader: impl std::io::Read) -> ZoneFormat {
        #[derive(serde::Deserialize)]
        struct Root {
            #[serde(rename = "type")]
            kind: Option<Value>,
        }
        match serde_json::from_reader::<_, Root>(std::io::BufReader::new(reader)) {
            Ok(Root {
                kind: Some(Value::String(kind)),
            }) if kind == "FeatureCollection" || kind == "Feature" => ZoneFormat::Ed318,
            _ => ZoneFormat::Ed269,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Load a scenario in the demo's format (`scenarios/syria-2015.json`: parties, zones,
    /// protected sites, operations with times as offsets) into a running server through its
    /// API: registers the parties (admin token; they must be new) and, as each owner, publishes
    /// the zones, notifies the sites and files the operations. Prints each party's token.
    Load {
        file: PathBuf,
        /// The scenario's start, to which its time offsets are added (RFC 3339; default: the
        /// next full hour).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        connection: AdminConnection,
    },
}

/// A refused or failed request, as one line.
fn answer(response: Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().context("the server's answer was cut off")?;
    answer_text(status, text)
}

fn answer_text(status: reqwest::StatusCode, text: String) -> anyhow::Result<Value> {
    let body: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if status.is_success() {
        return Ok(body);
    }
    let detail = body["detail"]
        .as_str()
        .or(body["title"].as_str())
        .unwrap_or("no detail");
    let kind = body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("");
    anyhow::bail!("the server refused ({} {kind}): {detail}", status.as_u16())
}

impl Connection {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.trim_end_matches('/'))
    }

    fn send(
        &self,
        request: impl FnOnce(&reqwest::blocking::Client, String) -> RequestBuilder,
        path: &str,
    ) -> anyhow::Result<Value> {
        let client = crate::hotline::client(Some(Duration::from_secs(30)))?;
        let url = self.url(path);
        let response = request(&client, url.clone())
            .bearer_auth(&self.token)
            .send()
            .with_context(|| format!("cannot reach {url}"))?;
        answer(response)
    }

    fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(|client, url| client.get(url), path)
    }

    fn post(&self, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        self.send(
            |client, url| match body {
                Some(body) => client.post(url).json(body),
                None => client.post(url),
            },
            path,
        )
    }

    /// Prints `value` as JSON with `--json`, else what `summary` says.
    fn print(&self, value: &Value, summary: impl FnOnce(&Value) -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            let text = summary(value);
            if !text.is_empty() {
                println!("{text}");
            }
        }
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("-")
}

fn list(values: &Value, key: &str) -> Vec<Value> {
    values[key].as_array().cloned().unwrap_or_default()
}

pub fn party(command: PartyCommand) -> anyhow::Result<()> {
    match command {
        PartyCommand::Add {
            id,
            name,
            role,
            connection,
        } => {
            let connection = Connection::from(connection);
            let body =
                json!({ "name": name.unwrap_or_else(|| id.clone()), "id": id, "role": role });
            let party = connection.post("/v1/parties", Some(&body))?;
            connection.print(&party, |p| {
                format!(
                    "registered {} ({}, {})\ntoken (shown only now): {}",
                    text(p, "id"),
                    text(p, "name"),
                    text(p, "role"),
                    text(p, "token")
                )
            });
        }
        PartyCommand::List { connection } => {
            let parties = connection.get("/v1/parties")?;
            connection.print(&parties, |all| {
                let mut lines = vec![format!("{:<20} {:<14} name", "party", "role")];
                for p in all.as_array().cloned().unwrap_or_default() {
                    lines.push(format!(
                        "{:<20} {:<14} {}",
                        text(&p, "id"),
                        text(&p, "role"),
                        text(&p, "name")
                    ));
                }
                lines.join("\n")
            });
        }
        PartyCommand::Token { command } => token(command)?,
    }
    Ok(())
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Rotate { party, connection } => {
            let issued = connection.post(&format!("/v1/parties/{party}/tokens"), None)?;
            connection.print(&issued, |t| {
                format!(
                    "issued token {} to {party} (shown only now): {}\nswitch to it, then: deconflict party token revoke {party} OLD_TOKEN_ID",
                    text(t, "token_id"),
                    text(t, "token")
                )
            });
        }
        TokenCommand::List { party, connection } => {
            let tokens = connection.get(&format!("/v1/parties/{party}/tokens"))?;
            connection.print(&tokens, |t| {
                let ids: Vec<String> = list(t, "token_ids")
                    .iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect();
                format!("valid tokens of {party}: {}", ids.join(", "))
            });
        }
        TokenCommand::Revoke {
            party,
            token_id,
            connection,
        } => {
            let answer = connection.send(
                |client, url| client.delete(url),
                &format!("/v1/parties/{party}/tokens/{token_id}"),
            )?;
            connection.print(&answer, |_| format!("revoked token {token_id} of {party}"));
        }
    }
    Ok(())
}

fn agreement_line(a: &Value) -> String {
    let parties: Vec<&str> = a["parties"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let state = if !a["suspended"].is_null() {
        "suspended".to_owned()
    } else if !a["pending"].is_null() {
        let waiting: Vec<&str> = parties
            .iter()
            .copied()
            .filter(|p| {
                !a["pending"]["accepted_by"]
                    .as_array()
                    .is_some_and(|by| by.iter().any(|b| b == p))
            })
            .collect();
        format!(
            "version {} pending, waiting for {}",
            a["pending"]["version"],
            waiting.join(", ")
        )
    } else {
        format!("version {} in force", a["in_force"]["version"])
    };
    format!("{:<24} {:<30} {state}", text(a, "id"), parties.join(", "))
}

pub fn agreement(command: AgreementCommand) -> anyhow::Result<()> {
    match command {
        AgreementCommand::Propose {
            id,
            with,
            params,
            connection,
        } => {
            let params: Value = match params {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{} is not JSON", path.display()))?
                }
                None => {
                    serde_json::to_value(deconflict_engine::agreement::AgreementParams::default())?
                }
            };
            let me = connection.get("/v1/parties/me")?;
            let mut parties = vec![text(&me, "id").to_owned()];
            parties.extend(with);
            parties.sort();
            parties.dedup();
            let body = json!({ "id": id, "parties": parties, "params": params });
            let agreement = connection.post("/v1/agreements", Some(&body))?;
            connection.print(&agreement, agreement_line);
        }
        AgreementCommand::Accept { id, connection } => {
            let agreement = connection.post(&format!("/v1/agreements/{id}/accept"), None)?;
            connection.print(&agreement, agreement_line);
        }
        AgreementCommand::Suspend { id, connection } => {
            let agreement = connection.post(&format!("/v1/agreements/{id}/suspend"), None)?;
            connection.print(&agreement, agreement_line);
        }
        AgreementCommand::Resume { id, connection } => {
            let agreement = connection.post(&format!("/v1/agreements/{id}/resume"), None)?;
            connection.print(&agreement, agreement_line);
        }
        AgreementCommand::List { connection } => {
            let agreements = connection.get("/v1/agreements")?;
            connection.print(&agreements, |all| {
                let mut lines = vec![format!("{:<24} {:<30} state", "agreement", "parties")];
                lines.extend(list(all, "agreements").iter().map(agreement_line));
                lines.join("\n")
            });
        }
    }
    Ok(())
}

/// How long an import may take: a national set is tens of thousands of zones, each with its
/// heights converted.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(600);

pub fn zones(command: ZonesCommand) -> anyhow::Result<()> {
    match command {
        ZonesCommand::Navwarning {
            id,
            series,
            area,
            connection,
        } => {
            let url = connection.url(&format!("/v1/zones/{id}"));
            let mut query = vec![("format", "navwarning".to_owned())];
            query.extend(series.map(|series| ("series", series)));
            query.extend(area.map(|area| ("area", area)));
            let response = crate::hotline::client(None)?
                .get(&url)
                .query(&query)
                .bearer_auth(&connection.token)
                .send()
                .with_context(|| format!("cannot reach {url}"))?;
            let status = response.status();
            let text = response.text().context("the server's answer was cut off")?;
            if !status.is_success() {
                answer_text(status, text)?;
                anyhow::bail!("the server refused ({})", status.as_u16());
            }
            print!("{text}");
        }
        ZonesCommand::Import {
            file,
            format,
            connection,
        } => {
            let open = || {
                std::fs::File::open(&file)
                    .with_context(|| format!("cannot read {}", file.display()))
            };
            let format = match format {
                Some(format) => format,
                None => ZoneFormat::detect(open()?),
            };
            let handle = open()?;
            let length = handle.metadata().map(|m| m.len()).ok();
            let client = crate::hotline::client(Some(IMPORT_TIMEOUT))?;
            let url = connection.url(format.path());
            let body = match length {
                Some(length) => reqwest::blocking::Body::sized(handle, length),
                None => reqwest::blocking::Body::new(handle),
            };
            let response = client
                .post(&url)
                .bearer_auth(&connection.token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .with_context(|| format!("cannot reach {url}"))?;
            let zones = answer_listing_errors(response)?;
            connection.print(&zones, |all| {
                let zones = list(all, "zones");
                let mut lines = vec![format!(
                    "imported {} zones from {} ({})",
                    zones.len(),
                    file.display(),
                    match format {
                        ZoneFormat::Ed269 => "ED-269",
                        ZoneFormat::Ed318 => "ED-318",
                    }
                )];
                for z in zones {
                    lines.push(format!(
                        "{:<16} {:<10} {:>9.1} .. {:>9.1} m  {}",
                        text(&z, "id"),
                        text(&z, "enforcement"),
                        z["altitude_lower_m"].as_f64().unwrap_or(f64::NAN),
                        z["altitude_upper_m"].as_f64().unwrap_or(f64::NAN),
                        text(&z, "name"),
                    ));
                }
                lines.join("\n")
            });
        }
    }
    Ok(())
}

/// As [`answer`]; a refused import's every refusal is printed to standard error, one a line,
/// after which the one-line error names the first.
fn answer_listing_errors(response: Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().context("the server's answer was cut off")?;
    if !status.is_success() {
        if let Ok(body) = serde_json::from_str::<Value>(&text) {
            for error in body["errors"].as_array().into_iter().flatten() {
                eprintln!(
                    "{}: {}",
                    text_of(error, "pointer"),
                    text_of(error, "detail")
                );
            }
        }
    }
    answer_text(status, text)
}

fn text_of(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_owned()
}

pub fn ops(command: OpsCommand) -> anyhow::Result<()> {
    match command {
        OpsCommand::List { connection } => {
            let operations = connection.get("/v1/operations")?;
            connection.print(&operations, |all| {
                let mut lines = vec![format!(
                    "{:<28} {:<10} {:<9} mission",
                    "operation", "state", "version"
                )];
                for o in list(all, "operations") {
                    lines.push(format!(
                        "{:<28} {:<10} {:<9} {}",
                        text(&o, "id"),
                        text(&o, "state"),
                        o["version"].to_string(),
                        text(&o, "mission_type")
                    ));
                }
                lines.join("\n")
            });
        }
        OpsCommand::File {
            file,
            id,
            connection,
        } => {
            let id = match id {
                Some(id) => id,
                None => file
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .map(str::to_owned)
                    .context("give the operation's id with --id")?,
            };
            let text_of_file = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let spec: Value = serde_json::from_str(&text_of_file)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let filed = connection.send(
                |client, url| client.put(url).json(&spec),
                &format!("/v1/operations/{id}"),
            )?;
            connection.print(&filed, |o| {
                let conflicts = list(o, "conflicts");
                let mut lines = vec![format!(
                    "filed {id}, version {}; {} conflict{}",
                    o["version"],
                    conflicts.len(),
                    if conflicts.len() == 1 { "" } else { "s" }
                )];
                for c in conflicts {
                    lines.push(format!(
                        "  volume {} with {} (alert {})",
                        c["own_volume"],
                        text(&c, "other_party"),
                        text(&c, "alert_id")
                    ));
                }
                lines.join("\n")
            });
        }
    }
    Ok(())
}

pub fn scenario(command: ScenarioCommand) -> anyhow::Result<()> {
    let ScenarioCommand::Load {
        file,
        at,
        connection,
    } = command;
    let admin = Connection::from(connection);
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let scenario = crate::scenario::load(&text)?;
    let start = at.unwrap_or_else(|| crate::demo::next_full_hour(chrono::Utc::now()));
    let mut tokens = serde_json::Map::new();
    for party in &scenario.parties {
        let body = json!({ "id": party.id, "name": party.name, "role": party.role });
        let registered = admin
            .post("/v1/parties", Some(&body))
            .with_context(|| format!("cannot register party {}", party.id))?;
        tokens.insert(party.id.clone(), registered["token"].clone());
    }
    let as_owner = |owner: &str| -> anyhow::Result<Connection> {
        let token = tokens[owner]
            .as_str()
            .with_context(|| format!("the scenario has no party {owner:?}"))?;
        Ok(Connection {
            token: token.to_owned(),
            ..admin.clone()
        })
    };
    let put = |connection: &Connection, path: String, body: Value| {
        connection.send(|client, url| client.put(url).json(&body), &path)
    };
    for zone in &scenario.zones {
        put(
            &as_owner(&zone.owner)?,
            format!("/v1/zones/{}", zone.id),
            serde_json::to_value(&zone.spec)?,
        )
        .with_context(|| format!("cannot publish zone {}", zone.id))?;
    }
    for site in &scenario.sites {
        put(
            &as_owner(&site.owner)?,
            format!("/v1/sites/{}", site.id),
            serde_json::to_value(site.spec_at(start))?,
        )
        .with_context(|| format!("cannot notify site {}", site.id))?;
    }
    let mut conflicts = 0;
    for operation in &scenario.operations {
        let filed = put(
            &as_owner(&operation.owner)?,
            format!("/v1/operations/{}", operation.id),
            serde_json::to_value(operation.spec_at(start))?,
        )
        .with_context(|| format!("cannot file operation {}/{}", operation.owner, operation.id))?;
        conflicts += list(&filed, "conflicts").len();
    }
    let summary = json!({
        "scenario": scenario.name,
        "start": start,
        "parties": tokens,
        "zones": scenario.zones.len(),
        "sites": scenario.sites.len(),
        "operations": scenario.operations.len(),
    });
    admin.print(&summary, |s| {
        let mut lines = vec![format!(
            "loaded {}: {} parties, {} zones, {} sites, {} operations ({conflicts} conflicts seen by their owners), start {}",
            scenario.name,
            scenario.parties.len(),
            scenario.zones.len(),
            scenario.sites.len(),
            scenario.operations.len(),
            start.to_rfc3339()
        )];
        for (party, token) in s["parties"].as_object().into_iter().flatten() {
            lines.push(format!("token for {party:<12} {}", token.as_str().unwrap_or("?")));
        }
        lines.join("\n")
    });
    Ok(())
}
