//! Zones with rules (SPEC §5.4) through the API: each rule type, both enforcements, schedules,
//! and who may publish.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn zone(rules: Value, enforcement: &str, schedule: Value) -> Value {
    json!({
        "name": "Zone Z", "enforcement": enforcement, "rules": rules, "schedule": schedule,
        "footprint": {"type": "Circle", "center": [37.0, 36.0], "radius_m": 20000.0},
        "altitude_lower_m": 0.0, "altitude_upper_m": 10000.0
    })
}

/// An operation of one volume inside zone Z at the given time.
fn inside(mission: &str, start: &str, end: &str) -> Value {
    json!({
        "mission_type": mission, "domain": "air",
        "volumes": [{
            "footprint": {"type": "Circle", "center": [37.05, 36.0], "radius_m": 2000.0},
            "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
            "time_start": start, "time_end": end
        }]
    })
}

const START: &str = "2030-01-04T10:00:00Z"; // a Friday
const END: &str = "2030-01-04T11:00:00Z";

async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let authority = server.party("turkey", "authority").await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    (server, authority, blue, red)
}

async fn alerts_of_kind(server: &TestServer, token: &str, kind: &str) -> Vec<Value> {
    let body: Value = server.get(token, "/v1/alerts").await.json().await.unwrap();
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind && a["state"] == "open")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_hard_allow_only_missions_rule_refuses_naming_the_zone_and_rule() {
    let (server, authority, blue, red) = setup().await;
    let rules = json!([{"type": "allow_only_missions", "parties": ["blue"], "missions": ["humanitarian", "medical"]}]);
    let response = server
        .put(
            &authority,
            "/v1/zones/zone-z",
            &zone(rules, "hard", json!({})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let head = server.log_head().await;
    let body = problem(
        server
            .put(
                &blue,
                "/v1/operations/strike",
                &inside("combat", START, END),
            )
            .await,
        StatusCode::CONFLICT,
        "zone-violation",
    )
    .await;
    assert_eq!(body["pointer"], "/volumes/0");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("zone-z") && detail.contains("Zone Z"),
        "{detail}"
    );
    assert!(
        detail.contains("rule 0: blue may fly only humanitarian, medical missions"),
        "{detail}"
    );
    assert_eq!(
        server.log_head().await,
        head,
        "a refused filing changes nothing"
    );
    let response = server
        .put(
            &blue,
            "/v1/operations/medevac",
            &inside("medical", START, END),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a listed mission may"
    );
    let response = server
        .put(&red, "/v1/operations/strike", &inside("combat", START, END))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "red is not bound by the rule"
    );
}

#[tokio::test]
async fn an_advisory_deny_all_except_accepts_and_alerts_both_owners() {
    let (server, authority, blue, red) = setup().await;
    let rules = json!([{"type": "deny", "parties": ["blue"], "all_except": true}]);
    server
        .put(
            &authority,
            "/v1/zones/corridor",
            &zone(rules, "advisory", json!({})),
        )
        .await;
    let response = server
        .put(
            &blue,
            "/v1/operations/transit",
            &inside("transit", START, END),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(alerts_of_kind(&server, &blue, "zone_entry")
        .await
        .is_empty());
    let response = server
        .put(
            &red,
            "/v1/operations/recon",
            &inside("reconnaissance", START, END),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "advisory: accepted");
    let red_alerts = alerts_of_kind(&server, &red, "zone_entry").await;
    assert_eq!(red_alerts.len(), 1);
    let alert = &red_alerts[0];
    assert_eq!(alert["recipients"], json!(["red", "turkey"]));
    assert_eq!(alert["severity"], "caution");
    assert_eq!(alert["zone_entry"]["operation_id"], "recon");
    assert_eq!(
        alert["zone_entry"]["entries"][0]["findings"][0]["description"],
        "deny all except blue"
    );
    let seen = alerts_of_kind(&server, &authority, "zone_entry").await;
    assert_eq!(seen[0]["id"], alert["id"]);
    assert_eq!(seen[0]["zone_entry"]["party"], "red");
    let text = seen[0].to_string();
    assert!(
        !text.contains("recon\"") && !text.contains("reconnaissance"),
        "the zone's owner sees who, where and when, not the operation: {text}"
    );
    // Moving the operation out resolves the alert.
    let mut outside = inside("reconnaissance", START, END);
    outside["volumes"][0]["footprint"]["center"] = json!([39.0, 36.0]);
    server.put(&red, "/v1/operations/recon", &outside).await;
    assert!(alerts_of_kind(&server, &authority, "zone_entry")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_notify_rule_reports_entries_to_the_zone_owner() {
    let (server, authority, blue, _red) = setup().await;
    server
        .put(
            &authority,
            "/v1/zones/watch",
            &zone(json!([{"type": "notify"}]), "hard", json!({})),
        )
        .await;
    let response = server
        .put(&blue, "/v1/operations/p", &inside("patrol", START, END))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "notify breaks nothing"
    );
    let seen = alerts_of_kind(&server, &authority, "zone_entry").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["severity"], "advisory");
    assert_eq!(
        seen[0]["zone_entry"]["entries"][0]["findings"][0]["broken"],
        false
    );
}

#[tokio::test]
async fn schedules_decide_when_a_rule_applies() {
    let (server, authority, blue, _red) = setup().await;
    let rules = json!([{"type": "deny", "parties": ["blue"]}]);
    let weekly = json!({"weekly": [{"days": ["sat"], "start": "10:00", "end": "12:00"}],
                        "windows": [{"start": "2030-02-01T00:00:00Z", "end": "2030-02-02T00:00:00Z"}]});
    server
        .put(
            &authority,
            "/v1/zones/weekends",
            &zone(rules, "hard", weekly),
        )
        .await;
    // Friday: not in effect.
    let response = server
        .put(&blue, "/v1/operations/fri", &inside("patrol", START, END))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // Saturday 11:30-13:00 meets the 10:00-12:00 slot.
    problem(
        server
            .put(
                &blue,
                "/v1/operations/sat",
                &inside("patrol", "2030-01-05T11:30:00Z", "2030-01-05T13:00:00Z"),
            )
            .await,
        StatusCode::CONFLICT,
        "zone-violation",
    )
    .await;
    // Saturday from noon: the slot is half-open.
    let response = server
        .put(
            &blue,
            "/v1/operations/sat-late",
            &inside("patrol", "2030-01-05T12:00:00Z", "2030-01-05T13:00:00Z"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // The one-off window, a Friday.
    problem(
        server
            .put(
                &blue,
                "/v1/operations/feb",
                &inside("patrol", "2030-02-01T06:00:00Z", "2030-02-01T07:00:00Z"),
            )
            .await,
        StatusCode::CONFLICT,
        "zone-violation",
    )
    .await;
}

#[tokio::test]
async fn a_new_zone_alerts_operations_already_filed_and_withdrawing_it_resolves_them() {
    let (server, authority, blue, _red) = setup().await;
    server
        .put(&blue, "/v1/operations/early", &inside("patrol", START, END))
        .await;
    let rules = json!([{"type": "deny", "parties": ["blue"]}]);
    server
        .put(
            &authority,
            "/v1/zones/late",
            &zone(rules, "hard", json!({})),
        )
        .await;
    let alerts = alerts_of_kind(&server, &blue, "zone_entry").await;
    assert_eq!(
        alerts.len(),
        1,
        "filed before the zone: alerted, not refused"
    );
    let response = server
        .client
        .delete(server.url("/v1/zones/late"))
        .bearer_auth(&authority)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(alerts_of_kind(&server, &blue, "zone_entry")
        .await
        .is_empty());
    problem(
        server.get(&blue, "/v1/zones/late").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn only_authorities_publish_and_only_the_owner_replaces() {
    let (server, authority, blue, _red) = setup().await;
    let rules = json!([{"type": "notify"}]);
    problem(
        server
            .put(
                &blue,
                "/v1/zones/mine",
                &zone(rules.clone(), "hard", json!({})),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    server
        .put(
            &authority,
            "/v1/zones/z",
            &zone(rules.clone(), "hard", json!({})),
        )
        .await;
    let other = server.party("syria", "authority").await;
    problem(
        server
            .put(
                &other,
                "/v1/zones/z",
                &zone(rules.clone(), "advisory", json!({})),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let response = server
        .client
        .delete(server.url("/v1/zones/z"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    // Every party reads zones, and lists them by area and time.
    let read: Value = server.get(&blue, "/v1/zones/z").await.json().await.unwrap();
    assert_eq!(read["owner"], "turkey");
    assert_eq!(read["version"], 1);
    let near: Value = server
        .get(&blue, "/v1/zones?bbox=36.5,35.5,37.5,36.5")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(near["zones"].as_array().unwrap().len(), 1);
    let far: Value = server
        .get(&blue, "/v1/zones?bbox=10,10,11,11")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(far["zones"], json!([]));
    problem(
        server.get(&blue, "/v1/zones?bbox=1,2,3").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
}

#[tokio::test]
async fn bad_zones_are_refused_with_the_field() {
    let (server, authority, _blue, _red) = setup().await;
    let cases = [
        (json!({"rules": []}), "/rules"),
        (
            json!({"rules": [{"type": "deny", "parties": []}]}),
            "/rules",
        ),
        (
            json!({"altitude_lower_m": 5000.0, "altitude_upper_m": 100.0}),
            "/altitude_lower_m",
        ),
        (
            json!({"footprint": {"type": "Circle", "center": [37.0, 95.0], "radius_m": 10.0}}),
            "/footprint",
        ),
        (
            json!({"schedule": {"weekly": [{"days": ["mon"], "start": "25:00", "end": "10:00"}]}}),
            "/schedule/weekly",
        ),
        (
            json!({"schedule": {"windows": [{"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}]}}),
            "/schedule/windows",
        ),
    ];
    let head = server.log_head().await;
    for (change, pointer) in cases {
        let mut body = zone(json!([{"type": "notify"}]), "hard", json!({}));
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let p = problem(
            server.put(&authority, "/v1/zones/bad", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        )
        .await;
        assert_eq!(p["pointer"], pointer, "{p}");
    }
    assert_eq!(server.log_head().await, head);
}

fn ed269_sample() -> Value {
    let path = format!(
        "{}/../engine/tests/data/ed269/deconflict-che-sample.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn an_ed269_document_imports_circles_and_polygons_with_units_and_schedules() {
    let (server, authority, blue, _red) = setup().await;
    let response = server
        .post(&authority, "/v1/zones/ed269", &ed269_sample())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let ids: Vec<&str> = body["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["TST01", "TST02", "TST02-2"]);
    let polygon: Value = server
        .get(&blue, "/v1/zones/TST01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(polygon["enforcement"], "hard");
    assert_eq!(
        polygon["rules"],
        json!([{"type": "deny", "parties": [], "all_except": true}])
    );
    assert_eq!(polygon["altitude_upper_m"], 3000.0);
    let circle: Value = server
        .get(&blue, "/v1/zones/TST02")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(circle["enforcement"], "advisory");
    let radius = circle["footprint"]["radius_m"].as_f64().unwrap();
    assert!((radius - 16404.0 * 0.3048).abs() < 1e-6, "{radius}");
    assert_eq!(circle["altitude_lower_m"], -500.0, "AGL 0 is the surface");
    // 5,000 ft AMSL converted with EGM96 (about 48 m near Zurich), not widened by 110 m.
    let upper = circle["altitude_upper_m"].as_f64().unwrap();
    assert!(
        upper > 5000.0 * 0.3048 + 40.0 && upper < 5000.0 * 0.3048 + 55.0,
        "AMSL converted: {upper}"
    );
    assert!(
        circle["heights"]["upper"]
            .as_str()
            .unwrap()
            .contains("EGM96"),
        "{circle}"
    );
    assert_eq!(
        circle["schedule"]["weekly"][0]["days"],
        json!(["mon", "tue", "wed", "thu", "fri"])
    );

    // The prohibited polygon refuses a filing inside it.
    let inside_polygon = json!({"mission_type": "patrol", "domain": "air", "volumes": [{
        "footprint": {"type": "Circle", "center": [7.45, 46.95], "radius_m": 500.0},
        "altitude_lower_m": 500.0, "altitude_upper_m": 800.0,
        "time_start": START, "time_end": END}]});
    let p = problem(
        server
            .put(&blue, "/v1/operations/bern", &inside_polygon)
            .await,
        StatusCode::CONFLICT,
        "zone-violation",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("TST01"));
    // The authorisation circle alerts on a weekday (Friday) and not on Sunday.
    let near_zurich = |start: &str, end: &str| {
        json!({"mission_type": "patrol", "domain": "air", "volumes": [{
            "footprint": {"type": "Circle", "center": [8.55, 47.45], "radius_m": 500.0},
            "altitude_lower_m": 500.0, "altitude_upper_m": 800.0,
            "time_start": start, "time_end": end}]})
    };
    let response = server
        .put(&blue, "/v1/operations/zrh-fri", &near_zurich(START, END))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = server
        .put(
            &blue,
            "/v1/operations/zrh-sun",
            &near_zurich("2030-01-06T10:00:00Z", "2030-01-06T11:00:00Z"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let alerts = alerts_of_kind(&server, &authority, "zone_entry").await;
    assert_eq!(alerts.len(), 1, "only the weekday entry: {alerts:#?}");
    assert_eq!(alerts[0]["zone_entry"]["zone"], "TST02");
}

#[tokio::test]
async fn unsupported_ed269_features_are_refused_naming_what_and_nothing_is_imported() {
    let (server, authority, blue, _red) = setup().await;
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|d| {
                d["features"][1]["applicability"][0]["schedule"][0]["day"] = json!(["XYZ"])
            }),
            "/features/1/applicability/0/schedule/0/day/0",
            "XYZ",
        ),
        (
            Box::new(|d| {
                d["features"][1]["applicability"][0]["schedule"][0]["startTime"] = json!("25:00")
            }),
            "/features/1/applicability/0/schedule/0/startTime",
            "not a time of day",
        ),
        (
            Box::new(|d| d["features"][0]["type"] = json!("SPECIAL")),
            "/features/0/type",
            "SPECIAL",
        ),
        (
            Box::new(|d| {
                d["features"][0]["geometry"][0]["horizontalProjection"]["type"] =
                    json!("LineString")
            }),
            "/features/0/geometry/0/horizontalProjection/type",
            "LineString",
        ),
        (
            Box::new(|d| d["features"][0]["geometry"][0]["uomDimensions"] = json!("NM")),
            "/features/0/geometry/0/uomDimensions",
            "NM",
        ),
        (
            Box::new(|d| d["features"][0]["restriction"] = json!("FORBIDDEN")),
            "/features/0/restriction",
            "FORBIDDEN",
        ),
    ];
    for (change, pointer, says) in cases {
        let mut document = ed269_sample();
        change(&mut document);
        let p = problem(
            server.post(&authority, "/v1/zones/ed269", &document).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "import-refused",
        )
        .await;
        assert_eq!(p["errors"][0]["pointer"], pointer, "{p}");
        assert!(
            p["errors"][0]["detail"].as_str().unwrap().contains(says),
            "{p}"
        );
    }
    // Every refused zone is listed in one problem, not only the first.
    let mut document = ed269_sample();
    document["features"][0]["type"] = json!("SPECIAL");
    document["features"][1]["restriction"] = json!("FORBIDDEN");
    let p = problem(
        server.post(&authority, "/v1/zones/ed269", &document).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import-refused",
    )
    .await;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/features/0/type", "/features/1/restriction"],
        "{p}"
    );
    let listed: Value = server.get(&blue, "/v1/zones").await.json().await.unwrap();
    assert_eq!(listed["zones"], json!([]), "all or nothing");
    problem(
        server.post(&blue, "/v1/zones/ed269", &ed269_sample()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

fn published_sample(name: &str) -> Value {
    let path = format!(
        "{}/../engine/tests/data/ed269/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn start_with(edit: impl FnOnce(&mut deconflict_server::Config)) -> (TestServer, String) {
    let mut config = deconflict_server::Config::new(std::path::PathBuf::new(), ADMIN.to_owned());
    edit(&mut config);
    let server =
        TestServer::start_with_config(ManualClock::at("2030-01-01T00:00:00Z"), config).await;
    let authority = server.party("swiss", "authority").await;
    (server, authority)
}

#[tokio::test]
async fn published_documents_of_every_root_shape_import_unchanged() {
    let (server, authority, blue, _red) = setup().await;
    for (name, ids) in [
        ("interuss-che-cis-sample.json", vec!["LSXX"]),
        ("deconflict-as-published.json", vec!["TSTA01", "TSTA02"]),
    ] {
        let response = server
            .post(&authority, "/v1/zones/ed269", &published_sample(name))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let body: Value = response.json().await.unwrap();
        let got: Vec<&str> = body["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids, "{name}");
    }
    // An AGL-120 m zone without a terrain model: the bundled grid's bound, and the view says so.
    let agl: Value = server
        .get(&blue, "/v1/zones/TSTA01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(agl["heights"]["ground"], "bundled", "{agl}");
    let upper = agl["altitude_upper_m"].as_f64().unwrap();
    assert!(upper > 120.0 && upper < 120.0 + 8849.0, "{agl}");
    assert!(
        agl["heights"]["upper"]
            .as_str()
            .unwrap()
            .contains("bundled ETOPO5"),
        "{agl}"
    );
}

#[tokio::test]
async fn an_agl_zone_is_converted_over_the_operators_terrain() {
    // Ground of 1,000 m over 7.5..7.8 E, 46.5..46.8 N.
    let cells = vec![1000.0f32; 300 * 300];
    let bytes = deconflict_geometry::terrain::write_geotiff(7.5, 46.8, 0.001, 300, &cells).unwrap();
    let terrain = deconflict_geometry::terrain::Terrain::from_geotiff(&bytes).unwrap();
    let (server, authority) = start_with(|config| config.terrain = Some(terrain.into())).await;
    let response = server
        .post(
            &authority,
            "/v1/zones/ed269",
            &published_sample("deconflict-as-published.json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let agl = &body["zones"][0];
    assert_eq!(agl["heights"]["ground"], "terrain", "{agl}");
    let upper = agl["altitude_upper_m"].as_f64().unwrap();
    // 120 m over 1,000 m of ground, plus the geoid (about 50 m in the Bernese Oberland).
    assert!(upper > 1120.0 + 45.0 && upper < 1120.0 + 56.0, "{upper}");
}

#[tokio::test]
async fn a_zone_import_has_its_own_body_limit() {
    // A body limit of 64 KiB and an import limit of 4 MiB: a 1 MiB zone set goes in, a
    // 5 MiB one is refused 413 naming the import limit.
    let (server, authority) = start_with(|config| {
        config.body_limit_bytes = 64 * 1024;
        config.zone_import_limit_bytes = 4 * 1024 * 1024;
    })
    .await;
    let zones_of = |count: usize| {
        Value::Array(
            (0..count)
                .map(|i| {
                    let lon = 6.0 + (i % 100) as f64 * 0.03;
                    let lat = 46.0 + (i / 100) as f64 * 0.03;
                    json!({
                        "identifier": format!("Z{i:05}"), "country": "CHE", "type": "COMMON",
                        "restriction": "NO_RESTRICTION", "applicability": {"permanent": "YES"},
                        "geometry": [{"uomDimensions": "M", "lowerLimit": 0, "lowerVerticalReference": "WGS84",
                            "upperLimit": 500, "upperVerticalReference": "WGS84",
                            "horizontalProjection": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]]}}],
                        "message": "x".repeat(1000)
                    })
                })
                .collect(),
        )
    };
    let set = zones_of(800);
    assert!(serde_json::to_vec(&set).unwrap().len() > 1024 * 1024);
    let response = server.post(&authority, "/v1/zones/ed269", &set).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["zones"].as_array().unwrap().len(), 800);
    let p = problem(
        server
            .post(&authority, "/v1/zones/ed269", &zones_of(3500))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("4194304"), "{p}");
}

fn ed318_sample(name: &str) -> Value {
    let path = format!(
        "{}/../engine/tests/data/ed318/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn ed318_documents_import_unchanged_with_their_rules_heights_and_daylight_schedules() {
    let (server, authority, blue, _red) = setup().await;
    for (name, ids) in [
        (
            "interuss-che-cis-sample-ed318.json",
            vec!["LSZB003", "BLns058", "LSTB002"],
        ),
        (
            "Example_Collection.json",
            vec!["NFZ6547", "NFZ6547-2", "ABC1234"],
        ),
        (
            "deconflict-daylight.json",
            vec!["ATL0001", "ATL0002", "ATL0003", "ATL0004", "ATL0004-2"],
        ),
    ] {
        let response = server
            .post(&authority, "/v1/zones/ed318", &ed318_sample(name))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let body: Value = response.json().await.unwrap();
        let got: Vec<&str> = body["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids, "{name}");
    }
    let prohibited: Value = server
        .get(&blue, "/v1/zones/ABC1234")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prohibited["enforcement"], "hard");
    assert_eq!(prohibited["footprint"]["radius_m"], 3500.0);
    assert_eq!(prohibited["heights"]["ground"], "bundled", "{prohibited}");
    // A sunrise-to-sunset zone says where its events are computed.
    let daytime: Value = server
        .get(&blue, "/v1/zones/ATL0001")
        .await
        .json()
        .await
        .unwrap();
    let daylight = &daytime["schedule"]["weekly"][0]["daylight"];
    assert_eq!(daylight["start_event"], "sunrise", "{daytime}");
    assert_eq!(daylight["end_event"], "sunset", "{daytime}");
    assert_eq!(daylight["area"].as_array().unwrap().len(), 4);
    // The zones list by time honours the daylight schedule: 6 September 2009, USNO sunrise
    // 11:15Z in Atlanta.
    let at = |from: &str, to: &str| {
        format!("/v1/zones?bbox=-84.41,33.79,-84.39,33.81&from={from}&to={to}")
    };
    let ids_at = |list: Value| -> Vec<String> {
        list["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let day: Value = server
        .get(&blue, &at("2009-09-06T12:00:00Z", "2009-09-06T12:01:00Z"))
        .await
        .json()
        .await
        .unwrap();
    assert!(ids_at(day).contains(&"ATL0001".to_owned()));
    let dawn: Value = server
        .get(&blue, &at("2009-09-06T11:00:00Z", "2009-09-06T11:05:00Z"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !ids_at(dawn).contains(&"ATL0001".to_owned()),
        "before sunrise"
    );
}

#[tokio::test]
async fn ed318_refusals_are_all_listed_and_nothing_is_imported() {
    let (server, authority, blue, _red) = setup().await;
    let mut document = ed318_sample("Example_Collection.json");
    document["features"][0]["properties"]["type"] = json!("FORBIDDEN");
    document["features"][1]["geometry"]["layer"]["upperReference"] = json!("FL");
    let p = problem(
        server.post(&authority, "/v1/zones/ed318", &document).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import-refused",
    )
    .await;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/features/0/properties/type",
            "/features/1/geometry/layer/upperReference"
        ],
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("ED-318"), "{p}");
    let listed: Value = server.get(&blue, "/v1/zones").await.json().await.unwrap();
    assert_eq!(listed["zones"], json!([]), "all or nothing");
    // An ED-269 document is not ED-318.
    problem(
        server
            .post(&authority, "/v1/zones/ed318", &ed269_sample())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import-refused",
    )
    .await;
    problem(
        server
            .post(
                &blue,
                "/v1/zones/ed318",
                &ed318_sample("Example_Collection.json"),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn an_ed318_import_has_the_zone_import_limit_not_the_body_limit() {
    let (server, authority) = start_with(|config| {
        config.body_limit_bytes = 64 * 1024;
        config.zone_import_limit_bytes = 4 * 1024 * 1024;
    })
    .await;
    let message = Value::Array(vec![json!({"text": "x".repeat(200), "lang": "en"}); 5]);
    let features_of = |count: usize| {
        let features: Vec<Value> = (0..count)
            .map(|i| {
                let lon = 6.0 + (i % 100) as f64 * 0.03;
                let lat = 46.0 + (i / 100) as f64 * 0.03;
                json!({"type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]],
                                 "layer": {"lower": 0, "lowerReference": "WGS84", "upper": 500, "upperReference": "WGS84"}},
                    "properties": {"identifier": format!("Z{i:05}"), "country": "CHE", "type": "NO_RESTRICTION",
                                   "variant": "COMMON", "zoneAuthority": [{"purpose": "INFORMATION"}],
                                   "message": message.clone()}})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    };
    let set = features_of(1200);
    assert!(serde_json::to_vec(&set).unwrap().len() > 1024 * 1024);
    let response = server.post(&authority, "/v1/zones/ed318", &set).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["zones"].as_array().unwrap().len(), 1200);
    problem(
        server
            .post(&authority, "/v1/zones/ed318", &features_of(5000))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    )
    .await;
}
