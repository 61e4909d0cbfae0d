//! The access matrix of SPEC §7: every endpoint of the OpenAPI document × every ordered pair
//! of parties × every release setting, asserting that no response body, header or stream shows
//! a party anything its agreements do not release.
//!
//! Three parties (blue, red, white) file operations that conflict pairwise, fly tracks that
//! come within separation of each other, and exchange messages, reports and an incident; white,
//! a humanitarian party, has notified a hospital that everyone's operations and tracks come near. Every
//! piece of data carries a distinctive marker (an id, a callsign, a coordinate, a time); for each
//! viewer the test knows which markers of each other party are unreleased under the settings in
//! force, and searches every response for them. The agreement between blue and red takes each of
//! the 3 × 3 release settings in turn; white has no agreement, so the defaults of §7 apply to it.
//!
//! The endpoints come from the served `/openapi.json`, which is generated from the routes
//! themselves (utoipa-axum), so a new endpoint is covered automatically: if it is missing from
//! [`probes`], the matrix fails. The second and third tests add a deliberately leaky endpoint and
//! show that the matrix catches it, both unlisted and listed.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const OPERATION_RELEASES: [&str; 3] = ["full", "conflicts_only", "none"];
const TRACK_RELEASES: [&str; 3] = ["full", "proximity", "conflicts_only"];
const PARTIES: [&str; 3] = ["blue", "red", "white"];
const AGREEMENT: &str = "agr-blue-red-9911";

/// One party's data, with the markers the matrix searches for.
struct World {
    party: &'static str,
    operation: &'static str,
    callsign: &'static str,
    mission: &'static str,
    /// The operation's conflicting volume: centre longitude, and its end time (the end of
    /// every overlap with a party whose volume ends later).
    lon: f64,
    end: &'static str,
    end_marker: &'static str,
    /// A second volume far from everyone else's: only `full` releases it.
    far_lon: &'static str,
    near_track: &'static str,
    near_track_lon: &'static str,
    far_track: &'static str,
    far_track_lon: &'static str,
    track_callsign: &'static str,
    /// Text of the message this party sends, and to whom.
    message: (&'static str, &'static str),
    report: Option<(&'static str, &'static str)>,
    incident: Option<(&'static str, &'static str)>,
}

const WORLDS: [World; 3] = [
    World {
        party: "blue",
        operation: "blue-op-alpha",
        callsign: "BLUECALL7",
        mission: "combat",
        lon: 36.0,
        end: "2030-01-01T11:52:43Z",
        end_marker: "11:52:43",
        far_lon: "38.4321987",
        near_track: "blue-trk-near",
        near_track_lon: "36.0000013",
        far_track: "blue-trk-far",
        far_track_lon: "12.3456789",
        track_callsign: "BLUETRKCALL",
        message: ("red", "MSG-blue-to-red-7781"),
        report: Some(("white", "RPT-blue-to-white-5561")),
        incident: None,
    },
    World {
        party: "red",
        operation: "red-op-bravo",
        callsign: "REDCALL9",
        mission: "reconnaissance",
        lon: 36.01,
        end: "2030-01-01T11:13:17Z",
        end_marker: "11:13:17",
        far_lon: "39.8765432",
        near_track: "red-trk-near",
        near_track_lon: "36.0100003",
        far_track: "red-trk-far",
        far_track_lon: "44.1234567",
        track_callsign: "REDTRKCALL",
        message: ("white", "MSG-red-to-white-7782"),
        report: Some(("blue", "RPT-red-to-blue-5562")),
        incident: None,
    },
    World {
        party: "white",
        operation: "white-op-charlie",
        callsign: "WHITECALL3",
        mission: "transport",
        lon: 36.02,
        end: "2030-01-01T11:41:29Z",
        end_marker: "11:41:29",
        far_lon: "20.7654321",
        near_track: "white-trk-near",
        near_track_lon: "36.0050007",
        far_track: "white-trk-far",
        far_track_lon: "27.6543219",
        track_callsign: "WHITETRKCALL",
        message: ("blue", "MSG-white-to-blue-7783"),
        report: None,
        incident: Some(("red", "INC-white-to-red-3341")),
    },
];

fn world(party: &str) -> &'static World {
    WORLDS.iter().find(|w| w.party == party).unwrap()
}

/// The release settings in force between two parties.
#[derive(Clone, Copy, Debug)]
struct Setting {
    operations: &'static str,
    tracks: &'static str,
}

const DEFAULT: Setting = Setting {
    operations: "conflicts_only",
    tracks: "conflicts_only",
};

struct Matrix {
    server: TestServer,
    tokens: Vec<(&'static str, String)>,
    setting: Setting,
}

impl Matrix {
    fn token(&self, party: &str) -> &str {
        &self.tokens.iter().find(|(p, _)| *p == party).unwrap().1
    }

    fn between(&self, a: &str, b: &str) -> Setting {
        let mut pair = [a, b];
        pair.sort();
        if pair == ["blue", "red"] {
            self.setting
        } else {
            DEFAULT
        }
    }

    /// What `viewer` must never see of `owner`'s data, as (marker, what it is).
    fn unreleased(&self, viewer: &str, owner: &str) -> Vec<(String, String)> {
        let w = world(owner);
        let setting = self.between(viewer, owner);
        let mut secret: Vec<(String, String)> =
            vec![(self.token(owner).to_owned(), "its bearer token".to_owned())];
        if setting.operations != "full" {
            secret.push((w.operation.into(), "its operation id".into()));
            secret.push((w.callsign.into(), "its operation callsign".into()));
            secret.push((format!("\"{}\"", w.mission), "its mission type".into()));
            secret.push((w.far_lon.into(), "its non-conflicting volume".into()));
        }
        if setting.operations == "none" {
            secret.push((w.end_marker.into(), "the overlap with its operation".into()));
        }
        if setting.tracks != "full" {
            secret.push((w.far_track.into(), "its distant track's id".into()));
            secret.push((
                w.far_track_lon.into(),
                "its distant track's position".into(),
            ));
        }
        if setting.tracks == "conflicts_only" {
            secret.push((w.near_track.into(), "its near track's id".into()));
            secret.push((w.near_track_lon.into(), "its near track's position".into()));
            secret.push((w.track_callsign.into(), "its track callsign".into()));
        }
        // The hotline: only to the parties named.
        for other in WORLDS.iter() {
            if other.party == viewer {
                continue;
            }
            if other.message.0 != viewer {
                secret.push((other.message.1.into(), "a message not sent to it".into()));
            }
            if let Some((to, text)) = other.report {
                if to != viewer {
                    secret.push((text.into(), "a report not shared with it".into()));
                }
            }
            if let Some((to, text)) = other.incident {
                if to != viewer {
                    secret.push((text.into(), "an incident not shared with it".into()));
                }
            }
        }
        if viewer == "white" {
            secret.push((AGREEMENT.into(), "an agreement it is not party to".into()));
        }
        secret
    }
}

/// Builds the world with the given blue–red setting.
async fn build(
    setting: Setting,
    api: utoipa_axum::router::OpenApiRouter<Arc<deconflict_server::App>>,
) -> Matrix {
    let clock = ManualClock::at("2030-01-01T10:00:00Z");
    let server = TestServer::start_with_api(clock, api).await;
    let mut tokens = Vec::new();
    for party in PARTIES {
        // White is a humanitarian party: it notifies a hospital next to everyone's operations
        // and tracks, and must learn only that its site is affected, and when.
        let role = if party == "white" {
            "humanitarian"
        } else {
            "operator"
        };
        tokens.push((party, server.party(party, role).await));
    }
    let matrix = Matrix {
        server,
        tokens,
        setting,
    };
    let server = &matrix.server;
    let params = json!({
        "separation_horizontal_m": 9260.0, "separation_vertical_m": 304.8,
        "time_buffer_s": 300.0, "lookahead_s": 300.0,
        "release_operations": setting.operations, "release_tracks": setting.tracks
    });
    let response = server
        .post(
            matrix.token("blue"),
            "/v1/agreements",
            &json!({"id": AGREEMENT, "parties": ["blue", "red"], "params": params}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let response = server
        .post(
            matrix.token("red"),
            &format!("/v1/agreements/{AGREEMENT}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let response = server
        .put(
            matrix.token("white"),
            "/v1/sites/white-hospital",
            &json!({"name": "Field hospital", "kind": "hospital", "buffer_m": 3000.0,
                    "geometry": {"type": "Point", "coordinates": [36.005, 35.0]}}),
        )
        .await;
    assert_eq!(response.status(), 201);
    for w in &WORLDS {
        let token = matrix.token(w.party);
        let volume = |lon: f64, end: &str| {
            json!({
                "footprint": {"type": "Circle", "center": [lon, 35.0], "radius_m": 2000.0},
                "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
                "time_start": "2030-01-01T10:00:00Z", "time_end": end
            })
        };
        let far: f64 = w.far_lon.parse().unwrap();
        let spec = json!({
            "mission_type": w.mission, "domain": "air", "callsign": w.callsign,
            "volumes": [volume(w.lon, w.end), volume(far, "2030-01-01T18:00:00Z")]
        });
        let response = server
            .put(token, &format!("/v1/operations/{}", w.operation), &spec)
            .await;
        assert_eq!(response.status(), 201);
        let track = |id: &str, lon: &str, lat: f64, operation: Option<&str>| {
            let lon: f64 = lon.parse().unwrap();
            let mut report = json!({
                "track_id": id, "time": "2030-01-01T10:00:00Z", "lat_deg": lat, "lon_deg": lon,
                "altitude_m": 1500.0, "ground_speed_mps": 50.0, "track_deg": 90.0,
                "vertical_rate_mps": 0.0, "callsign": w.track_callsign
            });
            if let Some(operation) = operation {
                report["operation_id"] = json!(operation);
            }
            report
        };
        let reports = json!([
            track(w.near_track, w.near_track_lon, 35.0, Some(w.operation)),
            track(w.far_track, w.far_track_lon, 30.0, None),
        ]);
        let response = server.post(token, "/v1/positions", &reports).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["accepted"], 2, "{body}");
    }
    for w in &WORLDS {
        let token = matrix.token(w.party);
        let (to, text) = w.message;
        let response = server
            .post(
                token,
                "/v1/messages",
                &json!({"to": [to], "priority": "routine", "text": text}),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        if let Some((to, text)) = w.report {
            let response = server
                .post(
                    token,
                    "/v1/reports",
                    &json!({"to": [to], "title": "report", "content": text}),
                )
                .await;
            assert_eq!(response.status(), 201);
        }
        if let Some((to, text)) = w.incident {
            let response = server
                .post(
                    token,
                    "/v1/incidents",
                    &json!({
                        "time": "2030-01-01T10:00:00Z",
                        "place": {"type": "Point", "coordinates": [36.0, 35.0]},
                        "category": "close_pass", "tracks": [],
                        "narrative": text, "share_with": [to]
                    }),
                )
                .await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        }
    }
    server.app.tactical_pass().unwrap();
    // The hospital is affected by the others' operations and tracks: white hears of each.
    let alerts: Value = server
        .get(matrix.token("white"), "/v1/alerts")
        .await
        .json()
        .await
        .unwrap();
    let subjects: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "site_proximity")
        .map(|a| a["site"]["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects.iter().filter(|s| **s == "operation").count(),
        2,
        "{subjects:?}"
    );
    assert!(subjects.contains(&"track"), "{subjects:?}");
    matrix
}

/// One request of a probe.
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn probe(method: Method, path: impl Into<String>) -> Probe {
    Probe {
        method,
        path: path.into(),
        body: None,
    }
}

fn with_body(method: Method, path: impl Into<String>, body: Value) -> Probe {
    Probe {
        method,
        path: path.into(),
        body: Some(body),
    }
}

/// Ids of everything in the system, whoever owns it: probes ask for all of them.
struct Ids {
    alerts: Vec<String>,
    messages: Vec<String>,
    reports: Vec<String>,
    agreements: Vec<String>,
}

fn ids(matrix: &Matrix) -> Ids {
    matrix.server.app.read(|state| Ids {
        alerts: state.alerts().map(|alert| alert.id.0.clone()).collect(),
        messages: state.messages().map(|message| message.id.clone()).collect(),
        reports: state.reports().map(|report| report.id.clone()).collect(),
        agreements: state
            .agreements()
            .map(|agreement| agreement.id.clone())
            .collect(),
    })
}

/// The access-matrix table: for each endpoint of the OpenAPI document, the requests `viewer`
/// makes to it, with every id in the system (its own and others'). Mutations aimed at others'
/// things must fail without saying more; mutations of its own are idempotent or harmless.
/// `None`: the endpoint is not in the table, which fails the matrix.
fn probes(endpoint: &str, viewer: &str, ids: &Ids) -> Option<Vec<Probe>> {
    let me = world(viewer);
    let others: Vec<&World> = WORLDS.iter().filter(|w| w.party != viewer).collect();
    let every = |template: &str, values: &[String], method: Method| -> Vec<Probe> {
        values
            .iter()
            .map(|value| probe(method.clone(), template.replace("{id}", value)))
            .collect()
    };
    let all_operations: Vec<String> = WORLDS.iter().map(|w| w.operation.to_owned()).collect();
    let others_operations: Vec<String> = others.iter().map(|w| w.operation.to_owned()).collect();
    let all_parties: Vec<String> = PARTIES.iter().map(|p| p.to_string()).collect();
    let others_parties: Vec<String> = others.iter().map(|w| w.party.to_owned()).collect();
    Some(match endpoint {
        "GET /healthz" => vec![probe(Method::GET, "/healthz")],
        "GET /readyz" => vec![probe(Method::GET, "/readyz")],
        "POST /v1/parties" => vec![with_body(
            Method::POST,
            "/v1/parties",
            json!({"id": "intruder", "name": "x", "role": "operator"}),
        )],
        "GET /v1/parties" => vec![probe(Method::GET, "/v1/parties")],
        "GET /v1/parties/me" => vec![probe(Method::GET, "/v1/parties/me")],
        "POST /v1/parties/{id}/tokens" => {
            every("/v1/parties/{id}/tokens", &others_parties, Method::POST)
        }
        "GET /v1/parties/{id}/tokens" => {
            every("/v1/parties/{id}/tokens", &all_parties, Method::GET)
        }
        "DELETE /v1/parties/{id}/tokens/{token_id}" => every(
            "/v1/parties/{id}/tokens/t1",
            &others_parties,
            Method::DELETE,
        ),
        "GET /v1/operations" => vec![probe(Method::GET, "/v1/operations")],
        "GET /v1/operations/{id}" => every("/v1/operations/{id}", &all_operations, Method::GET),
        "PUT /v1/operations/{id}" => {
            // Re-filing its own operation unchanged: the answer lists its conflicts.
            let far: f64 = me.far_lon.parse().unwrap();
            let volume = |lon: f64, end: &str| {
                json!({
                    "footprint": {"type": "Circle", "center": [lon, 35.0], "radius_m": 2000.0},
                    "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
                    "time_start": "2030-01-01T10:00:00Z", "time_end": end
                })
            };
            vec![with_body(
                Method::PUT,
                format!("/v1/operations/{}", me.operation),
                json!({
                    "mission_type": me.mission, "domain": "air", "callsign": me.callsign,
                    "volumes": [volume(me.lon, me.end), volume(far, "2030-01-01T18:00:00Z")]
                }),
            )]
        }
        "POST /v1/operations/{id}/activate" => every(
            "/v1/operations/{id}/activate",
            &all_operations,
            Method::POST,
        ),
        "POST /v1/operations/{id}/end" => {
            every("/v1/operations/{id}/end", &others_operations, Method::POST)
        }
        "POST /v1/operations/{id}/cancel" => every(
            "/v1/operations/{id}/cancel",
            &others_operations,
            Method::POST,
        ),
        "GET /v1/alerts" => vec![probe(Method::GET, "/v1/alerts")],
        "GET /v1/alerts/stream" => vec![probe(Method::GET, "/v1/alerts/stream?after=0")],
        "POST /v1/alerts/{id}/ack" => every("/v1/alerts/{id}/ack", &ids.alerts, Method::POST),
        "POST /v1/messages" => others
            .iter()
            .map(|other| {
                with_body(
                    Method::POST,
                    "/v1/messages",
                    json!({"to": [other.party], "priority": "routine", "text": "probe"}),
                )
            })
            .collect(),
        "GET /v1/messages" => vec![probe(Method::GET, "/v1/messages")],
        "POST /v1/messages/{id}/read" => {
            every("/v1/messages/{id}/read", &ids.messages, Method::POST)
        }
        "POST /v1/incidents" => vec![with_body(
            Method::POST,
            "/v1/incidents",
            json!({
                "time": "2030-01-01T10:00:00Z",
                "place": {"type": "Point", "coordinates": [36.0, 35.0]},
                "category": "other", "tracks": [], "narrative": "probe",
                "share_with": others_parties
            }),
        )],
        "GET /v1/incidents" => vec![probe(Method::GET, "/v1/incidents")],
        "POST /v1/reports" => vec![with_body(
            Method::POST,
            "/v1/reports",
            json!({"to": others_parties, "title": "probe", "content": "probe"}),
        )],
        "GET /v1/reports" => vec![probe(Method::GET, "/v1/reports")],
        "POST /v1/reports/{id}/ack" => every("/v1/reports/{id}/ack", &ids.reports, Method::POST),
        "POST /v1/agreements" => vec![with_body(
            Method::POST,
            "/v1/agreements",
            json!({"id": format!("probe-{viewer}"), "parties": [viewer, others[0].party]}),
        )],
        "GET /v1/agreements" => vec![probe(Method::GET, "/v1/agreements")],
        "GET /v1/agreements/{id}" => every("/v1/agreements/{id}", &ids.agreements, Method::GET),
        // Acting on an agreement it is party to would change the release under test.
        "POST /v1/agreements/{id}/accept"
        | "POST /v1/agreements/{id}/suspend"
        | "POST /v1/agreements/{id}/resume" => {
            let action = endpoint.rsplit('/').next().unwrap();
            let foreign: Vec<String> = if viewer == "white" {
                vec![AGREEMENT.to_owned()]
            } else {
                Vec::new()
            };
            every(
                &format!("/v1/agreements/{{id}}/{action}"),
                &foreign,
                Method::POST,
            )
        }
        "POST /v1/positions" => others
            .iter()
            .map(|other| {
                // Reporting for another party's track is refused without describing it.
                with_body(
                    Method::POST,
                    "/v1/positions",
                    json!([{"track_id": other.far_track, "time": "2030-01-01T10:00:00Z",
                            "lat_deg": 35.0, "lon_deg": 36.0, "altitude_m": 1500.0,
                            "ground_speed_mps": 0.0, "track_deg": 0.0, "vertical_rate_mps": 0.0}]),
                )
            })
            .collect(),
        "GET /v1/tracks" => vec![probe(Method::GET, "/v1/tracks")],
        // Zones are public; operators may not publish or withdraw them.
        "GET /v1/zones" => vec![probe(Method::GET, "/v1/zones")],
        // Also as a navigational warning: the same zone in plain text, nothing more.
        "GET /v1/zones/{id}" => vec![
            probe(Method::GET, "/v1/zones/some-zone"),
            probe(Method::GET, "/v1/zones/some-zone?format=navwarning"),
        ],
        "PUT /v1/zones/{id}" => vec![with_body(
            Method::PUT,
            "/v1/zones/some-zone",
            json!({"name": "z", "enforcement": "hard", "rules": [{"type": "notify"}],
                   "footprint": {"type": "Circle", "center": [36.0, 35.0], "radius_m": 1000.0},
                   "altitude_lower_m": 0.0, "altitude_upper_m": 1000.0}),
        )],
        "POST /v1/zones/ed269" => vec![with_body(
            Method::POST,
            "/v1/zones/ed269",
            json!({"features": []}),
        )],
        "POST /v1/zones/ed318" => vec![with_body(
            Method::POST,
            "/v1/zones/ed318",
            json!({"type": "FeatureCollection", "features": []}),
        )],
        "DELETE /v1/zones/{id}" => vec![probe(Method::DELETE, "/v1/zones/some-zone")],
        // Protected sites are public; operators may not notify or withdraw them.
        "GET /v1/sites" => vec![probe(Method::GET, "/v1/sites")],
        "GET /v1/sites/{id}" => vec![probe(Method::GET, "/v1/sites/some-site")],
        "PUT /v1/sites/{id}" => vec![with_body(
            Method::PUT,
            "/v1/sites/some-site",
            json!({"name": "s", "kind": "hospital", "buffer_m": 1000.0,
                   "geometry": {"type": "Point", "coordinates": [36.0, 35.0]}}),
        )],
        "DELETE /v1/sites/{id}" => vec![probe(Method::DELETE, "/v1/sites/some-site")],
        "GET /v1/audit/head" => vec![probe(Method::GET, "/v1/audit/head")],
        "GET /v1/audit/receipt" => vec![probe(Method::GET, "/v1/audit/receipt?after=0")],
        _ => return None,
    })
}

/// Every `METHOD path` of the served OpenAPI document.
async fn endpoints(server: &TestServer) -> Vec<String> {
    let document: Value = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut endpoints = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                endpoints.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    endpoints
}

/// One response: status, headers and body; a stream is read until it falls quiet.
struct Seen {
    status: u16,
    headers: String,
    body: String,
}

async fn exchange(
    matrix: &Matrix,
    viewer: &str,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> Seen {
    let server = &matrix.server;
    let mut request = server
        .client
        .request(method.clone(), server.url(path))
        .bearer_auth(matrix.token(viewer));
    if let Some(body) = body {
        request = request.json(body);
    }
    let mut response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let mut headers = String::new();
    for (name, value) in response.headers() {
        headers.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("")));
    }
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|value| value.to_str().unwrap().starts_with("text/event-stream"));
    let mut text = String::new();
    if streaming {
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(300), response.chunk()).await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    } else {
        text.push_str(&response.text().await.unwrap());
    }
    Seen {
        status,
        headers,
        body: text,
    }
}

/// The strings a request itself carries (path segments, body strings): a response may echo
/// what the caller sent without revealing anything.
fn supplied(probe: &Probe) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Object(map) => map.values().for_each(|item| strings(item, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = probe.path.split(['/', '?']).map(str::to_owned).collect();
    if let Some(body) = &probe.body {
        strings(body, &mut out);
    }
    out.retain(|text| text.len() >= 6);
    out
}

/// An id the matrix never creates: asking for another party's thing must answer exactly as
/// asking for this (404, never 403: no existence oracle).
const UNKNOWN_ID: &str = "zz-no-such-thing-0000";

/// Runs the matrix for one setting; the violations found, and the number of cells checked
/// (endpoint × ordered pair).
async fn run(matrix: &Matrix, extra: &dyn Fn(&str) -> Option<Vec<Probe>>) -> (Vec<String>, usize) {
    let endpoints = endpoints(&matrix.server).await;
    let ids = ids(matrix);
    let mut violations = Vec::new();
    let mut cells = 0;
    for endpoint in &endpoints {
        for viewer in PARTIES {
            let Some(requests) = probes(endpoint, viewer, &ids).or_else(|| extra(endpoint)) else {
                violations.push(format!(
                    "{endpoint} is missing from the access-matrix table"
                ));
                break;
            };
            let mut seen = String::new();
            for request in &requests {
                let answer = exchange(
                    matrix,
                    viewer,
                    &request.method,
                    &request.path,
                    request.body.as_ref(),
                )
                .await;
                // Another party's id in the path: the answer must not differ from an unknown id's.
                let foreign = PARTIES
                    .iter()
                    .filter(|owner| **owner != viewer)
                    .flat_map(|owner| matrix.unreleased(viewer, owner))
                    .map(|(marker, _)| marker)
                    .find(|marker| request.path.contains(marker.as_str()));
                if let Some(marker) = foreign {
                    let twin_path = request.path.replace(&marker, UNKNOWN_ID);
                    let twin = exchange(
                        matrix,
                        viewer,
                        &request.method,
                        &twin_path,
                        request.body.as_ref(),
                    )
                    .await;
                    if twin.status != answer.status
                        || twin.body.replace(UNKNOWN_ID, &marker) != answer.body
                    {
                        violations.push(format!(
                            "{endpoint} answers {viewer} differently for another party's id \
                             {marker:?} ({} {}) than for an unknown id ({} {})",
                            answer.status, answer.body, twin.status, twin.body
                        ));
                    }
                }
                let mut text = format!("{}\n{}\n{}", answer.status, answer.headers, answer.body);
                for echo in supplied(request) {
                    text = text.replace(&echo, "<supplied>");
                }
                seen.push_str(&text);
            }
            for owner in PARTIES.iter().filter(|owner| **owner != viewer) {
                cells += 1;
                for (marker, what) in matrix.unreleased(viewer, owner) {
                    if seen.contains(&marker) {
                        violations.push(format!(
                            "{endpoint} shows {viewer} {what} of {owner} ({marker:?}) under \
                             operations={} tracks={}",
                            matrix.between(viewer, owner).operations,
                            matrix.between(viewer, owner).tracks
                        ));
                    }
                }
            }
        }
    }
    (violations, cells)
}

/// Nothing a probe did to another party's things took effect.
async fn nothing_changed(matrix: &Matrix) {
    for w in &WORLDS {
        let token = matrix.token(w.party);
        let response = matrix
            .server
            .get(token, &format!("/v1/operations/{}", w.operation))
            .await;
        assert_eq!(response.status(), 200, "{}'s token still works", w.party);
        let operation: Value = response.json().await.unwrap();
        assert!(
            ["filed", "active"].contains(&operation["state"].as_str().unwrap()),
            "{}'s operation was not ended or cancelled by another party",
            w.party
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_shows_a_party_what_its_agreements_do_not_release() {
    let mut all = Vec::new();
    let mut cells = 0;
    let mut endpoints_seen = 0;
    for operations in OPERATION_RELEASES {
        for tracks in TRACK_RELEASES {
            let setting = Setting { operations, tracks };
            let matrix = build(setting, deconflict_server::routes::api()).await;
            endpoints_seen = endpoints(&matrix.server).await.len();
            let (violations, checked) = run(&matrix, &|_| None).await;
            nothing_changed(&matrix).await;
            cells += checked;
            all.extend(violations);
            matrix.server.stop().await;
        }
    }
    assert!(
        all.is_empty(),
        "{} violations:\n{}",
        all.len(),
        all.join("\n")
    );
    assert!(endpoints_seen >= 40, "the document lists every endpoint");
    let settings = OPERATION_RELEASES.len() * TRACK_RELEASES.len();
    assert_eq!(cells, endpoints_seen * 6 * settings);
    println!(
        "access matrix: {endpoints_seen} endpoints × 6 ordered pairs × {settings} settings = {cells} cells"
    );
}

/// A deliberately leaky endpoint: every operation of every party, whole.
#[utoipa::path(get, path = "/v1/debug/operations", responses((status = 200, description = "leak")))]
async fn leaky(
    axum::extract::State(app): axum::extract::State<Arc<deconflict_server::App>>,
) -> axum::Json<Value> {
    axum::Json(app.read(|state| {
        state
            .operations()
            .map(|operation| json!({"id": operation.key.id.0, "callsign": operation.spec.callsign}))
            .collect()
    }))
}

fn leaky_api() -> utoipa_axum::router::OpenApiRouter<Arc<deconflict_server::App>> {
    deconflict_server::routes::api().routes(utoipa_axum::routes!(leaky))
}

#[tokio::test]
async fn an_endpoint_missing_from_the_table_fails_the_matrix() {
    let matrix = build(DEFAULT, leaky_api()).await;
    let (violations, _) = run(&matrix, &|_| None).await;
    assert_eq!(
        violations,
        vec!["GET /v1/debug/operations is missing from the access-matrix table".to_owned()]
    );
}

#[tokio::test]
async fn a_leaky_endpoint_fails_the_matrix() {
    let matrix = build(DEFAULT, leaky_api()).await;
    let (violations, _) = run(&matrix, &|endpoint| {
        (endpoint == "GET /v1/debug/operations")
            .then(|| vec![probe(Method::GET, "/v1/debug/operations")])
    })
    .await;
    assert!(!violations.is_empty());
    assert!(
        violations
            .iter()
            .all(|v| v.starts_with("GET /v1/debug/operations shows")),
        "{violations:#?}"
    );
    assert!(violations
        .iter()
        .any(|v| v.contains("shows white its operation id of red (\"red-op-bravo\")")));
}

/// The other side of the matrix: what an agreement does release is shown.
#[tokio::test]
async fn each_release_setting_shows_what_it_releases() {
    for (operations, tracks) in [
        ("full", "full"),
        ("conflicts_only", "proximity"),
        ("none", "conflicts_only"),
    ] {
        let matrix = build(
            Setting { operations, tracks },
            deconflict_server::routes::api(),
        )
        .await;
        let blue = matrix.token("blue");
        let listed: Value = matrix
            .server
            .get(blue, "/v1/operations")
            .await
            .json()
            .await
            .unwrap();
        let text = listed.to_string();
        let conflicts = &listed["operations"][0]["conflicts"];
        let with_red = conflicts
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["other_party"] == "red")
            .expect("the conflict with red is always told");
        match operations {
            "full" => {
                assert_eq!(listed["released"][0]["id"], "red-op-bravo", "{listed}");
                assert_eq!(listed["released"][0]["callsign"], "REDCALL9");
                assert!(text.contains("39.8765432"), "red's other volume");
                assert!(with_red["overlap"].is_object());
            }
            "conflicts_only" => {
                assert_eq!(listed["released"], json!([]));
                assert!(with_red["overlap"]["time_end"]
                    .as_str()
                    .unwrap()
                    .contains("11:13:17"));
                assert!(listed["others"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["party"] == "red"));
            }
            _ => {
                assert_eq!(listed["released"], json!([]));
                assert!(with_red["overlap"].is_null(), "{with_red}");
                assert!(!listed["others"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["party"] == "red"));
            }
        }
        let tracks_seen: Value = matrix
            .server
            .get(blue, "/v1/tracks")
            .await
            .json()
            .await
            .unwrap();
        let others: Vec<&str> = tracks_seen["others"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["report"]["track_id"].as_str().unwrap())
            .collect();
        match tracks {
            "full" => {
                assert_eq!(others, ["red-trk-far", "red-trk-near"]);
                assert_eq!(
                    tracks_seen["others"][1]["report"]["operation_id"], "red-op-bravo",
                    "with operations released in full"
                );
            }
            "proximity" => {
                assert_eq!(others, ["red-trk-near"], "only the one within reach");
                assert!(
                    tracks_seen["others"][0]["report"]
                        .get("operation_id")
                        .is_none(),
                    "not with operations released conflicts-only"
                );
            }
            _ => assert!(others.is_empty()),
        }
        // A tactical conflict names the other track only if tracks are released.
        let alerts: Value = matrix
            .server
            .get(blue, "/v1/alerts")
            .await
            .json()
            .await
            .unwrap();
        let tactical = alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "tactical_conflict" && a["tactical"]["other_party"] == "red")
            .expect("blue and red tracks are within separation");
        match tracks {
            "conflicts_only" => assert!(tactical["tactical"].get("other_track").is_none()),
            _ => assert_eq!(tactical["tactical"]["other_track"], "red-trk-near"),
        }
        // White, with no agreement, sees blue and red under the defaults whatever they agreed.
        let white: Value = matrix
            .server
            .get(matrix.token("white"), "/v1/tracks")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(white["others"], json!([]));
        matrix.server.stop().await;
    }
}
