//! The hotline: a stream that loses nothing, acknowledgement, escalation, and messages that
//! reach exactly their parties.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Red files `count` small operations inside Blue's big one: `count` strategic alerts for Blue.
async fn burst(server: &TestServer, red: &str, from: usize, count: usize) {
    for i in from..from + count {
        let lon = 36.0 + (i % 40) as f64 * 0.01;
        let lat = 35.0 + (i / 40) as f64 * 0.01;
        let response = server
            .put(
                red,
                &format!("/v1/operations/op{i}"),
                &circle_operation(lon, lat, 100.0),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn a_client_that_disconnects_during_a_burst_of_1000_alerts_gets_each_exactly_once() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    server
        .put(
            &blue,
            "/v1/operations/big",
            &circle_operation(36.2, 35.1, 60_000.0),
        )
        .await;
    let start = server.log_head().await;

    let mut first = SseClient::connect(&server, &blue, None, Some(start)).await;
    burst(&server, &red, 0, 400).await;
    let mut seen = Vec::new();
    while seen.len() < 150 {
        seen.push(first.next(WAIT).await.expect("events of the burst"));
    }
    drop(first); // the client goes away in the middle of the burst
    burst(&server, &red, 400, 600).await;

    let last = seen.last().unwrap().id;
    let mut second = SseClient::connect(&server, &blue, Some(last), None).await;
    while let Some(event) = second.next(Duration::from_millis(1500)).await {
        seen.push(event);
    }
    let ids: Vec<u64> = seen.iter().map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids increase, no event twice"
    );
    let alerts: BTreeSet<String> = seen
        .iter()
        .filter(|e| e.data["change"] == "alert_raised")
        .map(|e| e.data["alert"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(alerts.len(), 1000);
    assert_eq!(seen.len(), 1000, "only Blue's alert events, each once");
    assert!(seen
        .iter()
        .all(|e| e.kind == "alert" && e.data["alert"]["recipients"] == json!(["blue", "red"])));
}

#[tokio::test]
async fn escalation_fires_at_the_deadline_until_every_recipient_acknowledges() {
    let clock = ManualClock::at("2030-01-01T06:00:00Z");
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = body["conflicts"][0]["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let severity = |alerts: &Value| alerts["alerts"][0]["severity"].as_str().unwrap().to_owned();
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(severity(&alerts), "advisory");

    clock.advance_s(299.9);
    assert_eq!(
        server.app.escalation_pass().unwrap(),
        0,
        "not yet at the 300 s deadline"
    );
    clock.advance_s(0.1);
    assert_eq!(server.app.escalation_pass().unwrap(), 1);
    let alerts: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(severity(&alerts), "caution");
    assert_eq!(alerts["alerts"][0]["escalations"], 1);

    // Blue acknowledges (twice: idempotent); Red has not, so it escalates again 300 s later.
    for _ in 0..2 {
        let response = server
            .post(&blue, &format!("/v1/alerts/{id}/ack"), &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let head = server.log_head().await;
    server
        .post(&blue, &format!("/v1/alerts/{id}/ack"), &json!({}))
        .await;
    assert_eq!(
        server.log_head().await,
        head,
        "a repeated acknowledgement logs nothing"
    );
    clock.advance_s(300.0);
    assert_eq!(server.app.escalation_pass().unwrap(), 1);
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(severity(&alerts), "warning");
    assert!(alerts["alerts"][0]["acknowledged_by"].get("blue").is_some());

    server
        .post(&red, &format!("/v1/alerts/{id}/ack"), &json!({}))
        .await;
    clock.advance_s(3600.0);
    assert_eq!(
        server.app.escalation_pass().unwrap(),
        0,
        "everyone acknowledged"
    );
}

#[tokio::test]
async fn messages_reach_exactly_their_parties_with_read_receipts() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "humanitarian").await;
    let head = server.log_head().await;
    let mut red_stream = SseClient::connect(&server, &red, None, Some(head)).await;
    let mut green_stream = SseClient::connect(&server, &green, None, Some(head)).await;

    let response = server.post(&blue, "/v1/messages", &json!({"to": ["red"], "priority": "flash", "text": "SOKOL 21, turn north now", "reference": {"kind": "operation", "id": "cap-1"}})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    let id = message["id"].as_str().unwrap().to_owned();
    let event = red_stream.next(WAIT).await.unwrap();
    assert_eq!(event.kind, "message");
    assert_eq!(event.data["message"]["text"], "SOKOL 21, turn north now");

    let read: Value = server
        .post(&red, &format!("/v1/messages/{id}/read"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(read["read_by"].get("red").is_some());
    let sent: Value = server
        .get(&blue, "/v1/messages")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        sent["messages"][0]["read_by"].get("red").is_some(),
        "the sender sees the receipt"
    );

    // Green is not a party to it: not listed, not found, not streamed.
    let listed: Value = server
        .get(&green, "/v1/messages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["messages"], json!([]));
    problem(
        server
            .post(&green, &format!("/v1/messages/{id}/read"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert!(green_stream
        .next(Duration::from_millis(500))
        .await
        .is_none());

    // Bad messages: unknown recipient, oneself, empty text.
    for (body, pointer) in [
        (json!({"to": ["nobody"], "text": "x"}), "/to"),
        (json!({"to": ["blue"], "text": "x"}), "/to"),
        (json!({"to": ["red"], "text": "  "}), "/text"),
    ] {
        let p = problem(
            server.post(&blue, "/v1/messages", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        )
        .await;
        assert_eq!(p["pointer"], pointer);
    }
}

#[tokio::test]
async fn no_party_sees_another_partys_alert_through_any_endpoint() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    let mut green_stream = SseClient::connect(&server, &green, None, Some(0)).await;
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await;
    let body: Value = server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.0, 35.0, 5000.0),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = body["conflicts"][0]["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        server
            .post(&green, &format!("/v1/alerts/{id}/ack"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let alerts: Value = server.get(&green, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(alerts["alerts"], json!([]));
    assert!(green_stream
        .next(Duration::from_millis(500))
        .await
        .is_none());
    let mut replay = SseClient::connect(&server, &green, None, Some(0)).await;
    assert!(
        replay.next(Duration::from_millis(500)).await.is_none(),
        "nothing in the whole log is Green's"
    );
    let mut blue_replay = SseClient::connect(&server, &blue, None, Some(0)).await;
    let event = blue_replay.next(WAIT).await.unwrap();
    assert_eq!(event.data["alert"]["id"], id.as_str());
}

#[tokio::test]
async fn an_incident_report_alerts_exactly_the_parties_named() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    let incident = json!({
        "time": "2030-01-01T10:05:00Z",
        "place": {"type": "Point", "coordinates": [36.0, 35.5]},
        "category": "weapons_system_lock",
        "tracks": ["b1"],
        "narrative": "VIPER 11 illuminated by fire-control radar for 40 s",
        "share_with": ["red"]
    });
    let response = server.post(&blue, "/v1/incidents", &incident).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed: Value = response.json().await.unwrap();
    assert_eq!(filed["shared_with"], json!(["red"]));
    let red_alerts: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(red_alerts["alerts"][0]["kind"], "incident");
    assert_eq!(
        red_alerts["alerts"][0]["incident"]["category"],
        "weapons_system_lock"
    );
    let blue_alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(blue_alerts["alerts"].as_array().unwrap().len(), 1);
    let green_alerts: Value = server.get(&green, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(green_alerts["alerts"], json!([]));
    let listed: Value = server
        .get(&green, "/v1/incidents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["incidents"], json!([]));
    let listed: Value = server
        .get(&red, "/v1/incidents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["incidents"].as_array().unwrap().len(), 1);

    let mut bad = incident.clone();
    bad["place"] = json!({"type": "Point", "coordinates": [36.0, 95.0]});
    let p = problem(
        server.post(&blue, "/v1/incidents", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(p["pointer"], "/place");
    let mut bad = incident.clone();
    bad["share_with"] = json!(["nobody"]);
    let p = problem(
        server.post(&blue, "/v1/incidents", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(p["pointer"], "/share_with");
    let mut bad = incident;
    bad["category"] = json!("rudeness");
    problem(
        server.post(&blue, "/v1/incidents", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
}

#[tokio::test]
async fn a_shared_report_reaches_only_its_list_and_records_receipt() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    let head = server.log_head().await;
    let mut red_stream = SseClient::connect(&server, &red, None, Some(head)).await;
    let mut green_stream = SseClient::connect(&server, &green, None, Some(head)).await;
    let response = server.post(&blue, "/v1/reports", &json!({"to": ["red"], "title": "Armed group positions", "content": "grid 37S BV 12 34"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let report: Value = response.json().await.unwrap();
    let id = report["id"].as_str().unwrap().to_owned();
    let event = red_stream.next(WAIT).await.unwrap();
    assert_eq!(event.kind, "report");
    assert_eq!(event.data["report"]["content"], "grid 37S BV 12 34");
    assert!(green_stream
        .next(Duration::from_millis(500))
        .await
        .is_none());
    problem(
        server
            .post(&green, &format!("/v1/reports/{id}/ack"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let listed: Value = server
        .get(&green, "/v1/reports")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["reports"], json!([]));

    let acknowledged: Value = server
        .post(&red, &format!("/v1/reports/{id}/ack"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(acknowledged["received_by"].get("red").is_some());
    let sent: Value = server.get(&blue, "/v1/reports").await.json().await.unwrap();
    assert!(
        sent["reports"][0]["received_by"].get("red").is_some(),
        "the sender sees who received it"
    );
    assert_eq!(sent["reports"][0]["to"], json!(["red"]));
}

/// Every read path, as every party: each sees exactly the messages, reports, incidents and
/// alerts it sent or was sent, and nothing of anyone else's.
#[tokio::test]
async fn every_read_endpoint_as_every_party_shows_only_its_own_traffic() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    let tokens = [("blue", &blue), ("red", &red), ("green", &green)];
    server
        .post(
            &blue,
            "/v1/messages",
            &json!({"to": ["red"], "text": "SECRET-MSG-BR"}),
        )
        .await;
    server
        .post(
            &blue,
            "/v1/messages",
            &json!({"to": ["green"], "text": "SECRET-MSG-BG"}),
        )
        .await;
    server
        .post(
            &red,
            "/v1/reports",
            &json!({"to": ["green"], "title": "SECRET-REP-RG", "content": "x"}),
        )
        .await;
    server.post(&green, "/v1/incidents", &json!({"time": "2030-01-01T10:00:00Z", "place": {"type": "Point", "coordinates": [36.0, 35.0]},
        "category": "close_pass", "narrative": "SECRET-INC-GB", "share_with": ["blue"]})).await;
    let mut blue_plan = circle_operation(36.0, 35.0, 5000.0);
    blue_plan["callsign"] = json!("SECRET-CS-BLUE");
    server
        .put(&blue, "/v1/operations/SECRET-OP-BLUE", &blue_plan)
        .await;
    let mut red_plan = circle_operation(36.0, 35.0, 5000.0);
    red_plan["callsign"] = json!("SECRET-CS-RED");
    server
        .put(&red, "/v1/operations/SECRET-OP-RED", &red_plan)
        .await;

    // What each party is entitled to see; everything else must never appear.
    let all = [
        "SECRET-MSG-BR",
        "SECRET-MSG-BG",
        "SECRET-REP-RG",
        "SECRET-INC-GB",
        "SECRET-OP-BLUE",
        "SECRET-OP-RED",
        "SECRET-CS-BLUE",
        "SECRET-CS-RED",
    ];
    let entitled = |party: &str| -> Vec<&str> {
        match party {
            "blue" => vec![
                "SECRET-MSG-BR",
                "SECRET-MSG-BG",
                "SECRET-INC-GB",
                "SECRET-OP-BLUE",
                "SECRET-CS-BLUE",
            ],
            "red" => vec![
                "SECRET-MSG-BR",
                "SECRET-REP-RG",
                "SECRET-OP-RED",
                "SECRET-CS-RED",
            ],
            _ => vec!["SECRET-MSG-BG", "SECRET-REP-RG", "SECRET-INC-GB"],
        }
    };
    for (party, token) in tokens {
        let mut seen = String::new();
        for path in [
            "/v1/alerts",
            "/v1/messages",
            "/v1/reports",
            "/v1/incidents",
            "/v1/operations",
            "/v1/tracks",
            "/v1/agreements",
            "/v1/parties/me",
        ] {
            let response = server.get(token, path).await;
            assert_eq!(response.status(), StatusCode::OK, "{party} {path}");
            seen.push_str(&response.text().await.unwrap());
        }
        for (owner, id) in [("blue", "SECRET-OP-BLUE"), ("red", "SECRET-OP-RED")] {
            let response = server.get(token, &format!("/v1/operations/{id}")).await;
            // The 404's detail echoes the id the caller typed; it reveals nothing, so it is not collected.
            let expected = if owner == party {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(response.status(), expected, "{party} reads {id}");
        }
        let mut stream = SseClient::connect(&server, token, None, Some(0)).await;
        while let Some(event) = stream.next(std::time::Duration::from_millis(700)).await {
            seen.push_str(&event.data.to_string());
        }
        for secret in all {
            let expected = entitled(party).contains(&secret);
            assert_eq!(
                seen.contains(secret),
                expected,
                "{party} {} {secret}",
                if expected { "must see" } else { "must not see" }
            );
        }
    }
}

#[tokio::test]
async fn a_replayed_stream_shows_each_alert_as_it_was_when_each_event_was_committed() {
    let clock = ManualClock::at("2030-01-01T06:00:00Z");
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let start = server.log_head().await;
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
    clock.advance_s(300.0);
    assert_eq!(server.app.escalation_pass().unwrap(), 1);
    server
        .post(&blue, "/v1/operations/a/cancel", &json!({}))
        .await;
    // Replayed from the start, after everything happened.
    let mut stream = SseClient::connect(&server, &red, None, Some(start)).await;
    let mut seen = Vec::new();
    while let Some(event) = stream.next(std::time::Duration::from_secs(2)).await {
        let alert = &event.data["alert"];
        seen.push((
            event.data["change"].as_str().unwrap().to_owned(),
            alert["state"].as_str().unwrap().to_owned(),
            alert["severity"].as_str().unwrap().to_owned(),
            alert["escalations"].as_u64().unwrap(),
        ));
        if seen.len() == 3 {
            break;
        }
    }
    let seen: Vec<(&str, &str, &str, u64)> = seen
        .iter()
        .map(|(c, s, v, e)| (c.as_str(), s.as_str(), v.as_str(), *e))
        .collect();
    assert_eq!(
        seen,
        [
            ("alert_raised", "open", "advisory", 0),
            ("alert_escalated", "open", "caution", 1),
            ("alert_resolved", "resolved", "caution", 1),
        ],
        "each event as it was sent, not the alert as it is now"
    );
}
