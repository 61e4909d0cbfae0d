//! Filing, reading, listing and changing operations through the HTTP API.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const T0: &str = "2030-01-01T10:00:00Z";
const T1: &str = "2030-01-01T12:00:00Z";

#[tokio::test]
async fn conflicting_filing_reports_the_overlap_to_both_parties_and_nobody_else() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "humanitarian").await;

    let blue_op = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    let response = server.put(&blue, "/v1/operations/cap-1", &blue_op).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["conflicts"], json!([]));

    // Red's circle overlaps Blue's square; altitude bands overlap 7000-8000.
    let red_op = operation(
        "reconnaissance",
        json!({"type": "Circle", "center": [36.15, 35.5], "radius_m": 10000}),
        7000.0,
        9000.0,
        "2030-01-01T11:00:00Z",
        "2030-01-01T13:00:00Z",
    );
    let response = server.put(&red, "/v1/operations/recon-7", &red_op).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let conflicts = body["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{body}");
    let conflict = &conflicts[0];
    assert_eq!(conflict["other_party"], "blue");
    assert_eq!(conflict["own_operation"], "recon-7");
    let overlap = &conflict["overlap"];
    assert_eq!(overlap["time_start"], "2030-01-01T11:00:00Z");
    assert_eq!(overlap["time_end"], "2030-01-01T12:00:00Z");
    assert_eq!(overlap["altitude_lower_m"], 7000.0);
    assert_eq!(overlap["altitude_upper_m"], 8000.0);
    assert_eq!(overlap["horizontal_distance_m"], 0.0);
    assert_eq!(overlap["region"]["type"], "MultiPolygon");

    // Blue sees the same conflict on its operation, and an alert.
    let body: Value = server
        .get(&blue, "/v1/operations/cap-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["conflicts"].as_array().unwrap().len(), 1);
    assert_eq!(body["conflicts"][0]["other_party"], "red");
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(alerts["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(alerts["alerts"][0]["kind"], "strategic_conflict");
    assert_eq!(alerts["alerts"][0]["recipients"], json!(["blue", "red"]));
    let red_alerts: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(red_alerts["alerts"][0]["id"], alerts["alerts"][0]["id"]);

    // Green is not concerned: it sees nothing.
    let green_alerts: Value = server.get(&green, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(green_alerts["alerts"], json!([]));
    let green_list: Value = server
        .get(&green, "/v1/operations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        green_list,
        json!({"operations": [], "others": [], "released": []})
    );

    // Blue's list: its own operation in full, Red's only as the overlap.
    let list = server.get(&blue, "/v1/operations").await;
    let text = list.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["operations"].as_array().unwrap().len(), 1);
    assert_eq!(list["operations"][0]["callsign"], "PATROL-CALLSIGN");
    assert_eq!(list["others"].as_array().unwrap().len(), 1);
    assert_eq!(list["others"][0]["party"], "red");
    for secret in [
        "recon-7",
        "RECONNAISSANCE-CALLSIGN",
        "reconnaissance",
        "9000",
    ] {
        assert!(!text.contains(secret), "{secret} leaked to blue: {text}");
    }
    // Another party's operation id is not found, whoever asks.
    let response = server.get(&blue, "/v1/operations/recon-7").await;
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn put_is_idempotent_and_a_stale_version_is_refused() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    assert_eq!(
        server.put(&blue, "/v1/operations/p", &plan).await.status(),
        StatusCode::CREATED
    );
    let head = server.log_head().await;

    let again = server.put(&blue, "/v1/operations/p", &plan).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["etag"], "\"1\"");
    assert_eq!(
        server.log_head().await,
        head,
        "an identical PUT logs nothing"
    );

    let moved = operation("patrol", square(36.5, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    let response = server
        .client
        .put(server.url("/v1/operations/p"))
        .bearer_auth(&blue)
        .header("If-Match", "\"1\"")
        .json(&moved)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");

    let head = server.log_head().await;
    let stale = server
        .client
        .put(server.url("/v1/operations/p"))
        .bearer_auth(&blue)
        .header("If-Match", "\"1\"")
        .json(&plan)
        .send()
        .await
        .unwrap();
    let body = problem(stale, StatusCode::CONFLICT, "version-mismatch").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("current version is 2"));
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn moving_an_operation_away_resolves_its_alert_and_coming_back_raises_a_new_one() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let here = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    server.put(&blue, "/v1/operations/a", &here).await;
    server.put(&red, "/v1/operations/b", &here).await;
    let alerts: Value = server
        .get(&red, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    let first_id = alerts["alerts"][0]["id"].as_str().unwrap().to_owned();

    // Vertically separated by exactly 1,000 ft: no conflict (SPEC §5.1 minimum met at equality).
    let above = operation("patrol", square(36.0, 35.5, 0.1), 8304.8, 9000.0, T0, T1);
    let body: Value = server
        .put(&red, "/v1/operations/b", &above)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["conflicts"], json!([]));
    let alerts: Value = server.get(&blue, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(alerts["alerts"][0]["state"], "resolved");

    let body: Value = server
        .put(&red, "/v1/operations/b", &here)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["conflicts"].as_array().unwrap().len(), 1);
    let new_id = body["conflicts"][0]["alert_id"].as_str().unwrap();
    assert_ne!(
        new_id, first_id,
        "a condition that cleared and came back is a new alert"
    );
}

#[tokio::test]
async fn lifecycle_activate_end_and_cancel() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    server.put(&blue, "/v1/operations/a", &plan).await;
    server.put(&red, "/v1/operations/b", &plan).await;

    let response = server
        .post(&blue, "/v1/operations/a/activate", &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["state"], "active");
    assert_eq!(body["version"], 2);

    let body: Value = server
        .post(&blue, "/v1/operations/a/end", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["state"], "ended");
    assert_eq!(body["conflicts"], json!([]));
    let alerts: Value = server
        .get(&red, "/v1/alerts?state=open")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(alerts["alerts"], json!([]), "ending resolves the alert");

    let response = server
        .post(&blue, "/v1/operations/a/activate", &json!({}))
        .await;
    let body = problem(response, StatusCode::CONFLICT, "invalid-transition").await;
    assert!(body["detail"].as_str().unwrap().contains("ended"));
    let response = server.put(&blue, "/v1/operations/a", &plan).await;
    problem(response, StatusCode::CONFLICT, "invalid-transition").await;

    let body: Value = server
        .post(&red, "/v1/operations/b/cancel", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["state"], "cancelled");
    // Another party cannot change Red's operation: it does not exist for them.
    let response = server
        .post(&blue, "/v1/operations/b/cancel", &json!({}))
        .await;
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn state_survives_a_restart_identically() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    server.put(&blue, "/v1/operations/a", &plan).await;
    server.put(&red, "/v1/operations/b", &plan).await;
    server
        .post(&red, "/v1/operations/b/activate", &json!({}))
        .await;
    let before_blue: Value = server
        .get(&blue, "/v1/operations")
        .await
        .json()
        .await
        .unwrap();
    let before_red: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    let database = server.database.clone();
    let directory = server.stop().await;

    let config = deconflict_server::Config::new(database.clone(), ADMIN.to_owned());
    let server = TestServer::start_on(database, config).await;
    let after_blue: Value = server
        .get(&blue, "/v1/operations")
        .await
        .json()
        .await
        .unwrap();
    let after_red: Value = server.get(&red, "/v1/alerts").await.json().await.unwrap();
    assert_eq!(before_blue, after_blue);
    assert_eq!(before_red, after_red);
    drop(directory);
}

#[tokio::test]
async fn only_the_admin_registers_parties() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let response = server
        .post(
            &blue,
            "/v1/parties",
            &json!({"id": "x", "name": "X", "role": "operator"}),
        )
        .await;
    problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = server
        .post(
            ADMIN,
            "/v1/parties",
            &json!({"id": "blue", "name": "B", "role": "operator"}),
        )
        .await;
    problem(response, StatusCode::CONFLICT, "already-exists").await;
    let me: Value = server
        .get(&blue, "/v1/parties/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"id": "blue", "name": "Party blue", "role": "operator"})
    );
    let plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    let response = server.put(ADMIN, "/v1/operations/a", &plan).await;
    problem(response, StatusCode::FORBIDDEN, "party-required").await;
}

/// An ASTM F3548 `Volume4D` (the F3548 OpenAPI's shape, as a drone service supplier sends it).
fn f3548_circle(lng: f64, lat: f64, radius: f64) -> Value {
    json!({
        "volume": {
            "outline_circle": {"center": {"lng": lng, "lat": lat}, "radius": {"value": radius, "units": "M"}},
            "altitude_lower": {"value": 1000.0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 2000.0, "reference": "W84", "units": "M"}
        },
        "time_start": {"value": "2030-01-01T10:00:00Z", "format": "RFC3339"},
        "time_end": {"value": "2030-01-01T12:00:00Z", "format": "RFC3339"}
    })
}

#[tokio::test]
async fn f3548_volumes_are_filed_checked_and_read_back_in_their_shape() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // Blue's operation in deconflict's shape; Red's in F3548's, overlapping it.
    let response = server
        .put(
            &blue,
            "/v1/operations/b",
            &circle_operation(36.2, 35.1, 5_000.0),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed = json!({
        "mission_type": "reconnaissance", "domain": "air",
        "volumes": [f3548_circle(36.25, 35.1, 3_000.0)]
    });
    let response = server.put(&red, "/v1/operations/r", &filed).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["conflicts"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        body["volumes"][0]["footprint"]["type"], "Circle",
        "kept in our shape"
    );

    let back: Value = server
        .get(&red, "/v1/operations/r?format=f3548")
        .await
        .json()
        .await
        .unwrap();
    let mut expected = f3548_circle(36.25, 35.1, 3_000.0);
    for key in ["time_start", "time_end"] {
        let time: chrono::DateTime<chrono::Utc> =
            expected[key]["value"].as_str().unwrap().parse().unwrap();
        expected[key]["value"] = json!(time);
    }
    assert_eq!(back["volumes"][0], expected);
    assert_eq!(back["conflicts"], body["conflicts"]);

    let mut missing = f3548_circle(36.25, 35.1, 3_000.0);
    missing["volume"]
        .as_object_mut()
        .unwrap()
        .remove("altitude_upper");
    let response = server
        .put(
            &red,
            "/v1/operations/r2",
            &json!({"mission_type": "reconnaissance", "domain": "air",
            "volumes": [f3548_circle(36.25, 35.1, 3_000.0), missing]}),
        )
        .await;
    let problem =
        common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(problem["pointer"], "/volumes/1/volume/altitude_upper");
    let mut feet = f3548_circle(36.25, 35.1, 3_000.0);
    feet["volume"]["altitude_lower"]["units"] = json!("FT");
    let response = server
        .put(
            &red,
            "/v1/operations/r2",
            &json!({"mission_type": "reconnaissance", "domain": "air",
            "volumes": [feet]}),
        )
        .await;
    let problem =
        common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(problem["pointer"], "/volumes/0/volume/altitude_lower/units");
    let response = server.get(&red, "/v1/operations/r?format=kml").await;
    common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
}

#[tokio::test]
async fn a_lower_f3548_priority_may_not_create_a_conflict_with_a_higher_one() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let green = server.party("green", "operator").await;
    let with_priority = |lon: f64, priority: i32| {
        let mut plan = circle_operation(lon, 35.1, 5_000.0);
        plan["priority"] = json!(priority);
        plan
    };
    let response = server
        .put(&blue, "/v1/operations/b", &with_priority(36.2, 10))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let head = server.log_head().await;

    // Lower: refused, naming the volume and the party, and nothing is written.
    let response = server
        .put(&red, "/v1/operations/r", &with_priority(36.25, 0))
        .await;
    let problem = common::problem(response, StatusCode::CONFLICT, "priority-conflict").await;
    assert_eq!(problem["pointer"], "/volumes/0");
    assert!(
        problem["detail"].as_str().unwrap().contains("blue"),
        "{problem}"
    );
    assert_eq!(server.log_head().await, head);
    // Elsewhere, a lower priority is no obstacle.
    let response = server
        .put(&red, "/v1/operations/far", &with_priority(40.0, 0))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    // Equal: a conflict like any other, reported; nobody has priority over the other.
    let response = server
        .put(&red, "/v1/operations/r", &with_priority(36.25, 10))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["priority"], 10);
    assert_eq!(body["conflicts"].as_array().unwrap().len(), 1);
    assert!(
        body["conflicts"][0].get("priority_over").is_none(),
        "{body}"
    );

    // Higher: allowed, and each side is told who has priority.
    let response = server
        .put(&green, "/v1/operations/g", &with_priority(36.22, 20))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert!(body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|conflict| conflict["priority_over"] == "green"));
    let blue_view: Value = server
        .get(&blue, "/v1/operations/b")
        .await
        .json()
        .await
        .unwrap();
    let over: Vec<&Value> = blue_view["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|conflict| &conflict["priority_over"])
        .collect();
    assert!(over.contains(&&json!("green")), "{blue_view}");
}

/// Blue's field: a 1° square around (36, 35.5) with a hole of half a degree in its middle.
fn holed_field() -> Value {
    let ring = |half: f64| {
        json!([
            [36.0 - half, 35.5 - half],
            [36.0 + half, 35.5 - half],
            [36.0 + half, 35.5 + half],
            [36.0 - half, 35.5 + half],
            [36.0 - half, 35.5 - half]
        ])
    };
    json!({"type": "Polygon", "coordinates": [ring(0.5), ring(0.25)]})
}

/// The conflicts of `party`'s filing of `footprint` (flown 1,000-2,000 m, T0-T1) against Blue's.
async fn conflicts_of(server: &TestServer, party: &str, id: &str, footprint: Value) -> Vec<Value> {
    let op = operation("transport", footprint, 1000.0, 2000.0, T0, T1);
    let response = server
        .put(party, &format!("/v1/operations/{id}"), &op)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "{id}");
    let body: Value = response.json().await.unwrap();
    body["conflicts"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_operation_with_a_hole_is_filed_and_what_flies_in_the_hole_is_apart() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let op = operation("patrol", holed_field(), 1000.0, 2000.0, T0, T1);
    let response = server.put(&blue, "/v1/operations/field", &op).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let back: Value = server
        .get(&blue, "/v1/operations/field")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        back["volumes"][0]["footprint"],
        holed_field(),
        "kept as filed"
    );

    // A 1 km disc in the middle of the hole: about 22 km from the hole's edge, beyond the
    // default 9,260 m separation (with the hole filled it would be a conflict).
    let middle = json!({"type": "Circle", "center": [36.0, 35.5], "radius_m": 1000});
    assert_eq!(
        conflicts_of(&server, &red, "middle", middle).await,
        Vec::<Value>::new()
    );
    // A point in the hole too.
    let point = json!({"type": "Point", "coordinates": [36.05, 35.5]});
    assert_eq!(
        conflicts_of(&server, &red, "point", point).await,
        Vec::<Value>::new()
    );
    // Near the hole's eastern edge (0.05° of longitude, 4.5 km, less the radius): a conflict,
    // at that distance.
    let near = json!({"type": "Circle", "center": [36.2, 35.5], "radius_m": 1000});
    let conflicts = conflicts_of(&server, &red, "near", near).await;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let d = conflicts[0]["overlap"]["horizontal_distance_m"]
        .as_f64()
        .unwrap();
    let want = deconflict_geometry::geodesic_distance_m([36.2, 35.5], [36.25, 35.5]) - 1000.0;
    assert!((d - want).abs() < 1.0, "{d} vs {want}");
    assert_eq!(conflicts[0]["overlap"]["region"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn a_multipolygon_operation_conflicts_through_any_of_its_parts() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let op = operation("patrol", holed_field(), 1000.0, 2000.0, T0, T1);
    assert_eq!(
        server
            .put(&blue, "/v1/operations/field", &op)
            .await
            .status(),
        StatusCode::CREATED
    );
    let part = |lon: f64, lat: f64| {
        let d = 0.02;
        json!([[
            [lon - d, lat - d],
            [lon + d, lat - d],
            [lon + d, lat + d],
            [lon - d, lat + d],
            [lon - d, lat - d]
        ]])
    };
    // One part in the hole's middle, one 4° away: apart.
    let apart =
        json!({"type": "MultiPolygon", "coordinates": [part(36.0, 35.5), part(40.0, 35.5)]});
    assert_eq!(
        conflicts_of(&server, &red, "apart", apart).await,
        Vec::<Value>::new()
    );
    // The same, with the far part moved onto the field's ring: a conflict at distance 0.
    let touching =
        json!({"type": "MultiPolygon", "coordinates": [part(36.0, 35.5), part(35.6, 35.5)]});
    let conflicts = conflicts_of(&server, &red, "touching", touching).await;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0]["overlap"]["horizontal_distance_m"], 0.0);
    let back: Value = server
        .get(&red, "/v1/operations/touching")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["volumes"][0]["footprint"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn a_footprint_cut_at_the_antimeridian_conflicts_as_one_shape() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    // RFC 7946 section 3.1.9's cut, scaled down: 179.9 E .. 179.9 W, 45 .. 45.1 N.
    let cut = json!({"type": "MultiPolygon", "coordinates": [
        [[[180.0, 45.0], [180.0, 45.1], [179.9, 45.1], [179.9, 45.0], [180.0, 45.0]]],
        [[[-179.9, 45.0], [-179.9, 45.1], [-180.0, 45.1], [-180.0, 45.0], [-179.9, 45.0]]]
    ]});
    let op = operation("patrol", cut, 1000.0, 2000.0, T0, T1);
    assert_eq!(
        server.put(&blue, "/v1/operations/cut", &op).await.status(),
        StatusCode::CREATED
    );
    // A disc on the seam, north of the shape by 5 km less its radius: one conflict.
    let north = json!({"type": "Circle", "center": [180.0, 45.145], "radius_m": 500});
    let conflicts = conflicts_of(&server, &red, "north", north).await;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let d = conflicts[0]["overlap"]["horizontal_distance_m"]
        .as_f64()
        .unwrap();
    assert!(d > 4_000.0 && d < 4_600.0, "{d}");
    // 20 km east of the eastern part: apart.
    let east = json!({"type": "Point", "coordinates": [-179.6, 45.05]});
    assert_eq!(
        conflicts_of(&server, &red, "east", east).await,
        Vec::<Value>::new()
    );
}
