//! Agreements: in force only when all accept; their parameters change detection; suspending one
//! freezes the channel except for safety alerts.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn params(horizontal_m: f64) -> Value {
    json!({
        "separation_horizontal_m": horizontal_m, "separation_vertical_m": 304.8,
        "time_buffer_s": 300.0, "lookahead_s": 300.0,
        "release_operations": "conflicts_only", "release_tracks": "conflicts_only"
    })
}

fn track(id: &str, lon: f64) -> Value {
    json!({"track_id": id, "time": "2030-01-01T10:00:00Z", "lat_deg": 35.0, "lon_deg": lon, "altitude_m": 9000.0,
           "ground_speed_mps": 0.0, "track_deg": 0.0, "vertical_rate_mps": 0.0})
}

#[tokio::test]
async fn an_agreement_in_force_changes_detection_between_its_parties_only() {
    let clock = ManualClock::at("2030-01-01T10:00:00Z");
    let server = TestServer::start_with_clock(clock).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    // Circles of 1 km whose edges are about 13.6 km apart: separated under the default 5 NM.
    let lon_gap = 0.171; // about 15.6 km between centres at 35° N
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 1000.0),
        )
        .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.0 + lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["conflicts"], json!([]));

    let response = server
        .post(
            &blue,
            "/v1/agreements",
            &json!({"id": "blue-red", "parties": ["blue", "red"], "params": params(20_000.0)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let agreement: Value = response.json().await.unwrap();
    assert!(
        agreement["in_force"].is_null(),
        "not in force until red accepts"
    );
    problem(
        server.get(&green, "/v1/agreements/blue-red").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        server
            .post(&green, "/v1/agreements/blue-red/accept", &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b2",
            &circle_operation(36.0 + lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["conflicts"],
        json!([]),
        "a proposal alone changes nothing"
    );

    let accepted: Value = server
        .post(&red, "/v1/agreements/blue-red/accept", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["in_force"]["version"], 1);
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b3",
            &circle_operation(36.0 + lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["conflicts"].as_array().unwrap().len(),
        1,
        "20 km now applies between blue and red"
    );
    let body: Value = server
        .put(
            &green,
            "/v1/operations/g",
            &circle_operation(36.0 - lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["conflicts"],
        json!([]),
        "green has no agreement: the default applies"
    );

    // Tactical: stationary tracks about 15.6 km apart.
    server
        .post(&blue, "/v1/positions", &json!([track("b1", 36.0)]))
        .await;
    server
        .post(&red, "/v1/positions", &json!([track("r1", 36.0 + lon_gap)]))
        .await;
    server
        .post(
            &green,
            "/v1/positions",
            &json!([track("g1", 36.0 - lon_gap)]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(
        outcome.tactical_conflicts, 1,
        "only blue-red, under its 20 km"
    );

    // A new version (5 km) does not apply until red accepts it.
    server
        .post(
            &blue,
            "/v1/agreements",
            &json!({"id": "blue-red", "parties": ["blue", "red"], "params": params(5_000.0)}),
        )
        .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b4",
            &circle_operation(36.0 + lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["conflicts"].as_array().unwrap().len(),
        1,
        "version 1 stays in force"
    );
    server
        .post(&red, "/v1/agreements/blue-red/accept", &json!({}))
        .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b5",
            &circle_operation(36.0 + lon_gap, 35.0, 1000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["conflicts"],
        json!([]),
        "version 2 (5 km) now in force"
    );
}

#[tokio::test]
async fn a_suspended_agreement_freezes_messages_and_non_safety_alerts_but_not_safety_ones() {
    let clock = ManualClock::at("2030-01-01T10:00:00Z");
    let server = TestServer::start_with_clock(clock).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    server
        .post(
            &blue,
            "/v1/agreements",
            &json!({"id": "hotline", "parties": ["blue", "red"], "params": params(9260.0)}),
        )
        .await;
    server
        .post(&red, "/v1/agreements/hotline/accept", &json!({}))
        .await;
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await;
    server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await;
    server
        .post(&blue, "/v1/positions", &json!([track("b1", 36.0)]))
        .await;
    server
        .post(&red, "/v1/positions", &json!([track("r1", 36.01)]))
        .await;
    server.app.tactical_pass().unwrap();
    let kinds = |alerts: &Value| {
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(before["alerts"].as_array().unwrap().len(), 2);

    let suspended: Value = server
        .post(&red, "/v1/agreements/hotline/suspend", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(suspended["suspended"][0], "red");
    let p = problem(
        server
            .post(
                &blue,
                "/v1/messages",
                &json!({"to": ["red"], "text": "are you there?"}),
            )
            .await,
        StatusCode::CONFLICT,
        "channel-frozen",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("hotline"));
    problem(
        server
            .post(
                &blue,
                "/v1/reports",
                &json!({"to": ["red"], "title": "t", "content": "c"}),
            )
            .await,
        StatusCode::CONFLICT,
        "channel-frozen",
    )
    .await;
    let frozen: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(
        kinds(&frozen),
        vec!["tactical_conflict"],
        "the loss of separation still flows; the plan conflict does not"
    );

    server
        .post(&blue, "/v1/agreements/hotline/resume", &json!({}))
        .await;
    assert_eq!(
        server
            .post(
                &blue,
                "/v1/messages",
                &json!({"to": ["red"], "text": "back"})
            )
            .await
            .status(),
        StatusCode::CREATED
    );
    let after: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(after["alerts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_proposals_are_refused_with_the_field() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    server.party("red", "operator").await;
    let p = problem(
        server
            .post(
                &blue,
                "/v1/agreements",
                &json!({"id": "x", "parties": ["blue"], "params": params(9260.0)}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(p["pointer"], "/parties");
    let p = problem(
        server
            .post(
                &blue,
                "/v1/agreements",
                &json!({"id": "x", "parties": ["blue", "red"], "params": params(-1.0)}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(p["pointer"], "/params/separation_horizontal_m");
    let p = problem(
        server
            .post(
                &blue,
                "/v1/agreements",
                &json!({"id": "x", "parties": ["red", "nobody"], "params": params(9260.0)}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(p["pointer"], "/parties");
    problem(
        server
            .post(&blue, "/v1/agreements/x/suspend", &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn an_agreement_widens_who_is_told_of_a_nonconforming_track() {
    let clock = ManualClock::at("2030-01-01T10:00:00Z");
    let server = TestServer::start_with_clock(clock).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let lon_gap = 0.171; // about 15.6 km at 35° N
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 1000.0),
        )
        .await;
    // Red's operation: its edge about 14.6 km from where blue's track strays.
    server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.0 + 2.0 * lon_gap, 35.0, 1000.0),
        )
        .await;
    let stray = json!([{"track_id": "b1", "time": "2030-01-01T10:00:00Z", "lat_deg": 35.0,
        "lon_deg": 36.0 + lon_gap, "altitude_m": 1500.0, "ground_speed_mps": 0.0,
        "track_deg": 0.0, "vertical_rate_mps": 0.0, "operation_id": "a"}]);
    server.post(&blue, "/v1/positions", &stray).await;
    server.app.tactical_pass().unwrap();
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    let nonconformance = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "nonconformance")
        .unwrap()
        .clone();
    assert_eq!(
        nonconformance["recipients"],
        json!(["blue"]),
        "red's operation is beyond the default 5 NM"
    );

    server
        .post(
            &blue,
            "/v1/agreements",
            &json!({"id": "wide", "parties": ["blue", "red"], "params": params(20_000.0)}),
        )
        .await;
    server
        .post(&red, "/v1/agreements/wide/accept", &json!({}))
        .await;
    server.post(&blue, "/v1/positions", &stray).await;
    server.app.tactical_pass().unwrap();
    let alerts: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    let seen = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "nonconformance")
        .expect("red is told under the 20 km agreement");
    assert_eq!(seen["id"], nonconformance["id"]);
    assert_eq!(seen["recipients"], json!(["blue", "red"]));
    assert!(
        seen["nonconformance"].get("track_id").is_none(),
        "red sees where, not which track"
    );
}
