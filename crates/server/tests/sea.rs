//! The sea domain through the HTTP API (issue 17 point 2): ships reported with their domain and
//! static data, a sea CPA alert showing the domains, what another party sees of a ship, the
//! OpenAPI document naming the new fields, and an unknown domain refused with its pointer.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOW: &str = "2030-01-01T10:00:00Z";

fn ship(track: &str, lon: f64, lat: f64, heading: f64) -> Value {
    json!({
        "track_id": track, "time": NOW, "lat_deg": lat, "lon_deg": lon, "altitude_m": 0.0,
        "ground_speed_mps": 9.0, "track_deg": heading, "vertical_rate_mps": 0.0,
        "callsign": format!("CS{track}"), "domain": "sea",
        "vessel": {"name": format!("SHIP {track}"), "length_m": 150.0, "beam_m": 18.0}
    })
}

#[tokio::test]
async fn converging_ships_raise_a_sea_cpa_alert_that_names_the_domains() {
    let server = TestServer::start_with_clock(ManualClock::at(NOW)).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // 0.2° of longitude apart at 35° N (18.2 km), head-on 9 m/s each, 800 m off each other's
    // line: closest approach 800 m in about 1,000 s, beyond the air look-ahead.
    let body: Value = server
        .post(
            &blue,
            "/v1/positions",
            &json!([ship("ross", 34.6, 35.0072, 90.0)]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 1, "{body}");
    let body: Value = server
        .post(
            &red,
            "/v1/positions",
            &json!([ship("smetlivy", 34.8, 35.0, 270.0)]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 1, "{body}");
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.tactical_conflicts, 1);

    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    let tactical = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a.get("tactical"))
        .expect("a tactical alert")
        .clone();
    assert_eq!(tactical["own_track"], "ross");
    assert_eq!(tactical["own_domain"], "sea");
    assert_eq!(tactical["other_domain"], "sea");
    assert!(
        tactical["d_cpa_m"].as_f64().unwrap() < 1_852.0,
        "{tactical}"
    );
    assert!(tactical["t_cpa_s"].as_f64().unwrap() > 300.0, "{tactical}");

    // The owner sees its ship in full; Red, under the default `conflicts_only`, sees nothing of
    // it — not its name, callsign or size.
    let own: Value = server.get(&blue, "/v1/tracks").await.json().await.unwrap();
    assert_eq!(own["tracks"][0]["report"]["domain"], "sea");
    assert_eq!(own["tracks"][0]["report"]["vessel"]["name"], "SHIP ross");
    let theirs = server.get(&red, "/v1/tracks").await.text().await.unwrap();
    assert!(
        !theirs.contains("SHIP ross") && !theirs.contains("CSross"),
        "{theirs}"
    );
    let alerts = server.get(&red, "/v1/alerts").await.text().await.unwrap();
    assert!(
        !alerts.contains("SHIP ross") && !alerts.contains("CSross"),
        "{alerts}"
    );
}

#[tokio::test]
async fn an_unknown_domain_is_refused_with_the_fields_pointer() {
    let server = TestServer::start_with_clock(ManualClock::at(NOW)).await;
    let blue = server.party("blue", "operator").await;
    server.party("red", "operator").await;

    let mut report = ship("x1", 34.6, 35.0, 90.0);
    report["domain"] = json!("space");
    let body: Value = server
        .post(&blue, "/v1/positions", &json!([report]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 0, "{body}");
    assert_eq!(body["refused"][0]["pointer"], "/domain", "{body}");

    let mut spec = circle_operation(34.6, 35.0, 5_000.0);
    spec["domain"] = json!("space");
    let response = server.put(&blue, "/v1/operations/drill", &spec).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/domain", "{body}");

    let response = server
        .post(
            &blue,
            "/v1/agreements",
            &json!({"id": "a", "parties": ["blue", "red"], "params": {
                "separation_horizontal_m": 9260.0, "separation_vertical_m": 304.8,
                "time_buffer_s": 300.0, "lookahead_s": 300.0,
                "release_operations": "conflicts_only", "release_tracks": "conflicts_only",
                "sea": {"separation_horizontal_m": 1852.0, "lookahead_s": 100000.0}
            }}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/params/sea/lookahead_s", "{body}");
}

#[tokio::test]
async fn the_openapi_document_names_the_domains_and_the_vessel_data() {
    let server = TestServer::start().await;
    let document: Value = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &document["components"]["schemas"];
    // A report is its motion's fields and its own, side by side: `allOf` the two.
    let report = &schemas["TrackReport"];
    let property = |name: &str| {
        let parts = report["allOf"].as_array().cloned().unwrap_or_default();
        std::iter::once(report.clone())
            .chain(parts)
            .map(|part| match part["$ref"].as_str() {
                Some(reference) => schemas[reference.rsplit('/').next().unwrap()].clone(),
                None => part,
            })
            .any(|part| part["properties"][name].is_object())
    };
    for name in [
        "track_id",
        "time",
        "lat_deg",
        "vertical_rate_mps",
        "domain",
        "vessel",
    ] {
        assert!(
            property(name),
            "TrackReport's schema has no {name}: {report}"
        );
    }
    assert!(schemas["VesselParticulars"]["properties"]["length_m"].is_object());
    assert!(schemas["AgreementParams"]["properties"]["sea"].is_object());
    assert!(schemas["AgreementParams"]["properties"]["air_sea_checked"].is_object());
    assert!(schemas["SeaMinima"]["properties"]["lookahead_s"].is_object());
    assert!(schemas["TacticalView"]["properties"]["other_domain"].is_object());
}
