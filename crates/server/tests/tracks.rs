//! Position reports, tactical alerts, staleness and conformance through the HTTP API,
//! with a clock the test moves (no sleeps).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOW: &str = "2030-01-01T10:00:00Z";

fn report(
    track: &str,
    time: &str,
    lon: f64,
    lat: f64,
    alt: f64,
    speed: f64,
    heading: f64,
) -> Value {
    json!({
        "track_id": track, "time": time, "lat_deg": lat, "lon_deg": lon, "altitude_m": alt,
        "ground_speed_mps": speed, "track_deg": heading, "vertical_rate_mps": 0.0,
        "callsign": format!("CS-{track}")
    })
}

async fn post_ndjson(server: &TestServer, token: &str, lines: &[String]) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/positions"))
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_report_is_checked_on_its_own_and_the_rest_are_kept() {
    let server = TestServer::start_with_clock(ManualClock::at(NOW)).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let head = server.log_head().await;
    let mut bad_type = report("b2", NOW, 36.0, 35.0, 9000.0, 200.0, 90.0);
    bad_type["altitude_m"] = json!("high");
    let batch = json!([
        report("b1", NOW, 36.0, 35.0, 9000.0, 200.0, 90.0),
        report("b2", NOW, 36.0, 95.0, 9000.0, 200.0, 90.0),
        bad_type,
        report("b3", NOW, 36.0, 35.0, 9000.0, 200.0, 360.0),
    ]);
    let response = server.post(&blue, "/v1/positions", &batch).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 1);
    let refused = body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 3, "{body}");
    assert_eq!(refused[0]["index"], 1);
    assert_eq!(refused[0]["pointer"], "/lat_deg");
    assert!(refused[0]["reason"].as_str().unwrap().contains("95"));
    assert_eq!(refused[1]["pointer"], "/altitude_m");
    assert_eq!(refused[2]["pointer"], "/track_deg");
    assert_eq!(server.log_head().await, head + 1, "one event for the batch");

    // Red may not report Blue's track; its own track in the same batch is kept (NDJSON, with a broken line).
    let lines = vec![
        report("b1", NOW, 36.0, 35.0, 9000.0, 200.0, 90.0).to_string(),
        "{not json".to_owned(),
        report("r1", NOW, 36.2, 35.0, 9000.0, 200.0, 270.0).to_string(),
    ];
    let body: Value = post_ndjson(&server, &red, &lines)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(body["refused"][0]["index"], 0);
    assert!(body["refused"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("another party"));
    assert_eq!(body["refused"][1]["index"], 1);

    let tracks: Value = server.get(&blue, "/v1/tracks").await.json().await.unwrap();
    assert_eq!(tracks["tracks"].as_array().unwrap().len(), 1);
    assert_eq!(tracks["tracks"][0]["report"]["track_id"], "b1");
    assert_eq!(
        tracks["tracks"][0]["report"]["lon_deg"], 36.0,
        "Red's report for b1 changed nothing"
    );

    let response = server
        .client
        .post(server.url("/v1/positions"))
        .bearer_auth(&blue)
        .header("content-type", "application/json")
        .body("{\"track_id\": 1}")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    let response = server
        .client
        .post(server.url("/v1/positions"))
        .bearer_auth(&blue)
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "malformed-json").await;
}

#[tokio::test]
async fn head_on_tracks_raise_one_tactical_alert_that_is_updated_then_resolved() {
    let clock = ManualClock::at(NOW);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    // 0.2° of longitude apart at 35° N (about 18.25 km), closing at 400 m/s, same altitude.
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b1", NOW, 35.9, 35.0, 9000.0, 200.0, 90.0)]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", NOW, 36.1, 35.0, 9000.0, 200.0, 270.0)]),
        )
        .await;
    server
        .post(
            &green,
            "/v1/positions",
            &json!([report("g1", NOW, 20.0, 35.0, 9000.0, 200.0, 270.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.tactical_conflicts, 1);

    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    let alert = &alerts["alerts"][0];
    assert_eq!(alert["kind"], "tactical_conflict");
    assert_eq!(alert["severity"], "warning");
    let tactical = &alert["tactical"];
    assert_eq!(tactical["own_track"], "b1");
    assert_eq!(tactical["other_party"], "red");
    let t_los = tactical["t_los_s"].as_f64().unwrap();
    assert!(
        (t_los - (18_250.0 - 9_260.0) / 400.0).abs() < 1.0,
        "t_los {t_los}"
    );
    let t_cpa = tactical["t_cpa_s"].as_f64().unwrap();
    assert!((t_cpa - 18_250.0 / 400.0).abs() < 1.0, "t_cpa {t_cpa}");
    let text = serde_json::to_string(&alerts).unwrap();
    assert!(
        !text.contains("r1") && !text.contains("CS-r1"),
        "Red's track leaked: {text}"
    );
    let green_alerts: Value = server.get(&green, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(green_alerts["alerts"], json!([]));

    // Ten seconds on, the same condition: the same alert, updated.
    clock.advance_s(10.0);
    let later = "2030-01-01T10:00:10Z";
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report(
                "b1",
                later,
                35.9 + 2000.0 / 91_290.0,
                35.0,
                9000.0,
                200.0,
                90.0
            )]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report(
                "r1",
                later,
                36.1 - 2000.0 / 91_290.0,
                35.0,
                9000.0,
                200.0,
                270.0
            )]),
        )
        .await;
    server.app.tactical_pass().unwrap();
    let again: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(again["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(again["alerts"][0]["id"], alert["id"]);
    // The same prediction ten seconds on is not news (the countdown follows time): the alert
    // still carries the figures it was raised with.
    assert_eq!(
        again["alerts"][0]["tactical"]["t_los_s"].as_f64().unwrap(),
        t_los
    );
    assert_eq!(again["alerts"][0]["updated_at"], alert["updated_at"]);

    // Red slows to 50 m/s: the loss of separation comes 7.5 s later: updated, same alert.
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report(
                "r1",
                later,
                36.1 - 2000.0 / 91_290.0,
                35.0,
                9000.0,
                50.0,
                270.0
            )]),
        )
        .await;
    server.app.tactical_pass().unwrap();
    let slower: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(slower["alerts"][0]["id"], alert["id"]);
    assert!(slower["alerts"][0]["tactical"]["t_los_s"].as_f64().unwrap() > t_los - 10.0 + 5.0);
    assert_ne!(slower["alerts"][0]["updated_at"], alert["updated_at"]);

    // Red climbs away by 2,000 m: resolved.
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", later, 36.0, 35.0, 11000.0, 200.0, 270.0)]),
        )
        .await;
    server.app.tactical_pass().unwrap();
    let resolved: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(resolved["alerts"][0]["state"], "resolved");
}

#[tokio::test]
async fn a_silent_track_is_lost_after_30_s_and_its_alert_resolved() {
    let clock = ManualClock::at(NOW);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b1", NOW, 36.0, 35.0, 9000.0, 0.0, 90.0)]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", NOW, 36.01, 35.0, 9000.0, 0.0, 270.0)]),
        )
        .await;
    server.app.tactical_pass().unwrap();
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(alerts["alerts"][0]["tactical"]["los_now"], true);

    clock.advance_s(30.0);
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.lost, 0, "30 s is not yet stale");
    clock.advance_s(0.5);
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.lost, 2);
    let tracks: Value = server.get(&blue, "/v1/tracks").await.json().await.unwrap();
    assert_eq!(tracks["tracks"][0]["lost"], true);
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(alerts["alerts"][0]["state"], "resolved");
}

#[tokio::test]
async fn a_track_outside_its_operation_alerts_its_owner_and_nearby_parties() {
    let clock = ManualClock::at(NOW);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let plan = operation(
        "patrol",
        square(36.0, 35.0, 0.05),
        8000.0,
        10000.0,
        "2030-01-01T09:00:00Z",
        "2030-01-01T12:00:00Z",
    );
    server.put(&blue, "/v1/operations/cap", &plan).await;
    // Red's operation is 0.15° east: the track will stray towards it.
    let red_plan = operation(
        "patrol",
        square(36.2, 35.0, 0.05),
        8000.0,
        10000.0,
        "2030-01-01T09:00:00Z",
        "2030-01-01T12:00:00Z",
    );
    server.put(&red, "/v1/operations/east", &red_plan).await;

    let mut inside = report("b1", NOW, 36.0, 35.0, 9000.0, 100.0, 90.0);
    inside["operation_id"] = json!("cap");
    server.post(&blue, "/v1/positions", &json!([inside])).await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.nonconforming, 0);
    // 10 m above the band: within the 30 m tolerance.
    let mut tolerated = report(
        "b1",
        "2030-01-01T10:00:01Z",
        36.0,
        35.0,
        10010.0,
        100.0,
        90.0,
    );
    tolerated["operation_id"] = json!("cap");
    server
        .post(&blue, "/v1/positions", &json!([tolerated]))
        .await;
    assert_eq!(server.app.tactical_pass().unwrap().nonconforming, 0);

    clock.advance_s(5.0);
    let mut outside = report(
        "b1",
        "2030-01-01T10:00:05Z",
        36.1,
        35.0,
        9000.0,
        100.0,
        90.0,
    );
    outside["operation_id"] = json!("cap");
    server.post(&blue, "/v1/positions", &json!([outside])).await;
    assert_eq!(server.app.tactical_pass().unwrap().nonconforming, 1);

    let alerts: Value = server
        .get(&blue, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    let own = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "nonconformance")
        .unwrap()
        .clone();
    assert_eq!(own["nonconformance"]["track_id"], "b1");
    assert!(own["nonconformance"]["reason"]
        .as_str()
        .unwrap()
        .contains("outside the footprint"));
    let red_alerts: Value = server
        .get(&red, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    let theirs = red_alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "nonconformance")
        .expect("red is near")
        .clone();
    assert_eq!(theirs["id"], own["id"]);
    assert_eq!(theirs["nonconformance"]["track_owner"], "blue");
    assert!(theirs["nonconformance"].get("track_id").is_none());
    assert!(theirs["nonconformance"].get("operation_id").is_none());

    // Back inside: resolved.
    clock.advance_s(5.0);
    let mut back = report(
        "b1",
        "2030-01-01T10:00:10Z",
        36.0,
        35.0,
        9000.0,
        100.0,
        90.0,
    );
    back["operation_id"] = json!("cap");
    server.post(&blue, "/v1/positions", &json!([back])).await;
    assert_eq!(server.app.tactical_pass().unwrap().nonconforming, 0);
    let alerts: Value = server
        .get(&blue, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    assert!(alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["kind"] != "nonconformance"));
}

#[tokio::test]
async fn reports_dated_far_from_the_server_clock_are_refused_and_never_freeze_a_track() {
    let server = TestServer::start_with_clock(ManualClock::at(NOW)).await;
    let blue = server.party("blue", "operator").await;
    let head = server.log_head().await;
    let batch = json!([
        report(
            "b1",
            "9999-12-31T23:59:59Z",
            36.0,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
        report(
            "b1",
            "0001-01-01T00:00:00Z",
            36.0,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
        report(
            "b1",
            "2030-01-01T09:49:59Z",
            36.0,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
        report(
            "b1",
            "2030-01-01T10:01:01Z",
            36.0,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
    ]);
    let body: Value = server
        .post(&blue, "/v1/positions", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 0, "{body}");
    let refused = body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 4);
    for (index, refusal) in refused.iter().enumerate() {
        assert_eq!(refusal["index"], index);
        assert_eq!(refusal["pointer"], "/time");
    }
    assert!(refused[0]["reason"]
        .as_str()
        .unwrap()
        .contains("ahead are refused"));
    assert!(refused[2]["reason"]
        .as_str()
        .unwrap()
        .contains("old are refused"));
    assert_eq!(server.log_head().await, head, "nothing logged");
    // The edges of the window are accepted, and the newest report stands.
    let batch = json!([
        report(
            "b1",
            "2030-01-01T09:50:00Z",
            36.0,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
        report(
            "b1",
            "2030-01-01T10:01:00Z",
            36.1,
            35.0,
            9000.0,
            200.0,
            90.0
        ),
    ]);
    let body: Value = server
        .post(&blue, "/v1/positions", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 2, "{body}");
    let tracks: Value = server.get(&blue, "/v1/tracks").await.json().await.unwrap();
    assert_eq!(tracks["tracks"][0]["report"]["lon_deg"], 36.1);
}

/// A crowd whose pairs are all in conflict: 5 parties of 35 aircraft within 2 km at one level
/// make 12,250 pairs of different parties, more alerts than one append of the log takes
/// (`MAX_APPEND_BATCH_EVENTS`, 10,000). One pass still raises every one of them (logged a chunk
/// at a time), and a pass after it writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_raising_more_alerts_than_one_append_takes_raises_them_all() {
    let server = TestServer::start_with_clock(ManualClock::at(NOW)).await;
    let mut pairs = 0;
    let mut per_party = Vec::new();
    for p in 0..5 {
        let token = server.party(&format!("crowd-{p}"), "operator").await;
        let lines: Vec<String> = (0..35)
            .map(|i| {
                let k = p * 35 + i;
                let (lon, lat) = (
                    36.0 + (k % 13) as f64 * 0.001,
                    35.0 + (k / 13) as f64 * 0.001,
                );
                report(
                    &format!("c{p}-{i}"),
                    NOW,
                    lon,
                    lat,
                    9000.0,
                    150.0,
                    (k * 37 % 360) as f64,
                )
                .to_string()
            })
            .collect();
        let body: Value = post_ndjson(&server, &token, &lines)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["accepted"], 35, "{body}");
        pairs += 35 * 35 * per_party.len();
        per_party.push(token);
    }
    assert_eq!(pairs, 12_250);
    assert!(pairs > deconflict_store::MAX_APPEND_BATCH_EVENTS);
    let app = server.app.clone();
    let outcome = tokio::task::spawn_blocking(move || app.tactical_pass())
        .await
        .unwrap()
        .expect("the pass is logged whatever its size");
    assert_eq!(outcome.tactical_conflicts, pairs);
    let open = server.app.read(|state| state.open_alerts().count());
    assert_eq!(open, pairs, "every conflict raised in one pass");
    let head = server.log_head().await;
    let app = server.app.clone();
    tokio::task::spawn_blocking(move || app.tactical_pass().unwrap())
        .await
        .unwrap();
    assert_eq!(server.log_head().await, head, "nothing raised twice");
}

/// The open tactical alerts a party sees: (id, updated_at).
async fn open_tactical(server: &TestServer, token: &str) -> Vec<(String, String)> {
    let alerts: Value = server
        .get(token, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "tactical_conflict")
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["updated_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The pass of moved tracks (issue 20): it raises the conflicts of the tracks reported since
/// the previous pass, against tracks that did not move too; it leaves the alerts of tracks that
/// did not report alone (the whole pass decides those), resolves a moved track's alert that
/// cleared, and with nothing reported since, logs nothing.
#[tokio::test]
async fn the_pass_of_moved_tracks_decides_the_reported_tracks_and_leaves_the_rest() {
    let clock = ManualClock::at(NOW);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // Two head-on pairs, far apart (as in the test above: LoS predicted in about 22 s).
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b1", NOW, 35.9, 35.0, 9000.0, 200.0, 90.0)]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", NOW, 36.1, 35.0, 9000.0, 200.0, 270.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass_moved().unwrap();
    assert_eq!(outcome.tactical_conflicts, 1);
    let first = open_tactical(&server, &blue).await;
    assert_eq!(first.len(), 1);

    // Nothing reported since: the pass of moved tracks logs nothing.
    let head = server.log_head().await;
    server.app.tactical_pass_moved().unwrap();
    assert_eq!(server.log_head().await, head);

    // A second pair: only red's r2 reports now, blue's b2 reported before the last pass.
    clock.advance_s(1.0);
    let now = "2030-01-01T10:00:01Z";
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b2", now, 20.9, 10.0, 9000.0, 200.0, 90.0)]),
        )
        .await;
    server.app.tactical_pass_moved().unwrap();
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r2", now, 21.1, 10.0, 9000.0, 200.0, 270.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass_moved().unwrap();
    assert_eq!(
        outcome.tactical_conflicts, 1,
        "r2 against b2, which did not move"
    );
    let second = open_tactical(&server, &blue).await;
    assert_eq!(second.len(), 2);
    // b1/r1 moved on unreported: its alert is as it was (the whole pass's to update).
    assert!(second.contains(&first[0]), "{second:?} kept {first:?}");

    // r1 turns away: the pass of moved tracks resolves its alert, and leaves b2/r2's.
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", now, 36.5, 35.0, 9000.0, 200.0, 90.0)]),
        )
        .await;
    server.app.tactical_pass_moved().unwrap();
    let third = open_tactical(&server, &blue).await;
    assert_eq!(third.len(), 1);
    assert!(
        second.contains(&third[0]) && third[0] != first[0],
        "{third:?}"
    );
}

/// Through the server's own loop: with the whole pass an hour apart, a conflict reported now
/// is alerted within seconds, by the pass the reports started.
#[tokio::test]
async fn reports_start_a_pass_without_waiting_for_the_tick() {
    let clock = ManualClock::at(NOW);
    let server =
        TestServer::start_with_pass_loop(clock.clone(), std::time::Duration::from_secs(3600)).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // Let the loop's first (immediate) tick pass before anything is reported.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b1", NOW, 35.9, 35.0, 9000.0, 200.0, 90.0)]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r1", NOW, 36.1, 35.0, 9000.0, 200.0, 270.0)]),
        )
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if open_tactical(&server, &red).await.len() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no alert 20 s after the reports, with the tick an hour away"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
