//! Every kind of bad request gets RFC 9457 problem+json, and none changes stored state.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const T0: &str = "2030-01-01T10:00:00Z";
const T1: &str = "2030-01-01T12:00:00Z";

async fn setup() -> (TestServer, String, u64) {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    server.put(&blue, "/v1/operations/existing", &plan).await;
    let head = server.log_head().await;
    (server, blue, head)
}

async fn put_raw(server: &TestServer, token: &str, path: &str, body: Vec<u8>) -> reqwest::Response {
    server
        .client
        .put(server.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_400_and_changes_nothing() {
    let (server, blue, head) = setup().await;
    let response = put_raw(
        &server,
        &blue,
        "/v1/operations/x",
        b"{\"mission_type\": ".to_vec(),
    )
    .await;
    problem(response, StatusCode::BAD_REQUEST, "malformed-json").await;
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn a_wrong_type_is_422_with_the_pointer_of_the_field() {
    let (server, blue, head) = setup().await;
    let mut plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    plan["volumes"][0]["altitude_lower_m"] = json!("five thousand");
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/volumes/0/altitude_lower_m");

    let mut plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    plan["mission_type"] = json!("bombing");
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/mission_type");

    let mut plan = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T0, T1);
    plan["colour"] = json!("blue");
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert!(
        body["detail"].as_str().unwrap().contains("colour"),
        "{body}"
    );
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn invalid_geometry_is_422_naming_the_problem_and_the_vertex() {
    let (server, blue, head) = setup().await;
    // A bow tie: edges 0 and 2 cross.
    let bow_tie = json!({"type": "Polygon", "coordinates": [[[36.0, 35.0], [36.2, 35.2], [36.2, 35.0], [36.0, 35.2], [36.0, 35.0]]]});
    let plan = operation("patrol", bow_tie, 5000.0, 8000.0, T0, T1);
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-geometry",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("crosses"),
        "{body}"
    );
    assert!(
        body["pointer"]
            .as_str()
            .unwrap()
            .starts_with("/volumes/0/footprint"),
        "{body}"
    );

    let out_of_range = json!({"type": "Polygon", "coordinates": [[[36.0, 35.0], [36.2, 95.0], [36.2, 35.2], [36.0, 35.0]]]});
    let plan = operation("patrol", out_of_range, 5000.0, 8000.0, T0, T1);
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-geometry",
    )
    .await;
    assert_eq!(body["pointer"], "/volumes/0/footprint/coordinates/0/1/1");

    let reversed = operation("patrol", square(36.0, 35.5, 0.1), 5000.0, 8000.0, T1, T0);
    let response = server.put(&blue, "/v1/operations/x", &reversed).await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-geometry",
    )
    .await;
    assert_eq!(body["pointer"], "/volumes/0/time_end");

    let unclosed = json!({"type": "Polygon", "coordinates": [[[36.0, 35.0], [36.2, 35.0], [36.2, 35.2], [36.0, 35.2]]]});
    let plan = operation("patrol", unclosed, 5000.0, 8000.0, T0, T1);
    let response = server.put(&blue, "/v1/operations/x", &plan).await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-geometry",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("closed"),
        "{body}"
    );

    let no_volumes = json!({"mission_type": "patrol", "domain": "air", "volumes": []});
    let response = server.put(&blue, "/v1/operations/x", &no_volumes).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/volumes");
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404() {
    let (server, blue, head) = setup().await;
    problem(
        server.get(&blue, "/v1/operations/nope").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let response = server
        .post(&blue, "/v1/operations/nope/activate", &json!({}))
        .await;
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
    problem(
        server.get(&blue, "/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let response = server
        .client
        .put(server.url("/v1/operations/nope"))
        .bearer_auth(&blue)
        .header("If-Match", "\"1\"")
        .json(&operation(
            "patrol",
            square(36.0, 35.5, 0.1),
            0.0,
            10.0,
            T0,
            T1,
        ))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
    let response = server
        .put(
            &blue,
            "/v1/operations/bad%20id",
            &operation("patrol", square(36.0, 35.5, 0.1), 0.0, 10.0, T0, T1),
        )
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn an_oversize_body_is_413_and_changes_nothing() {
    let (server, blue, head) = setup().await;
    // 9 MiB of valid-looking JSON: over the default 8 MiB limit.
    let mut body = b"{\"mission_type\":\"patrol\",\"domain\":\"air\",\"callsign\":\"".to_vec();
    body.extend(std::iter::repeat_n(b'x', 9 * 1024 * 1024));
    body.extend(b"\",\"volumes\":[]}");
    let response = put_raw(&server, &blue, "/v1/operations/x", body).await;
    let problem_body = problem(response, StatusCode::PAYLOAD_TOO_LARGE, "body-too-large").await;
    assert!(problem_body["detail"].as_str().unwrap().contains("8388608"));
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn authentication_is_required_and_checked() {
    let (server, _blue, head) = setup().await;
    let response = server
        .client
        .get(server.url("/v1/operations"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response = server.get("not-a-token", "/v1/alerts").await;
    problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response = server
        .client
        .put(server.url("/v1/operations/x"))
        .bearer_auth("wrong")
        .json(&operation(
            "patrol",
            square(36.0, 35.5, 0.1),
            0.0,
            10.0,
            T0,
            T1,
        ))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn wrong_content_type_bad_header_and_bad_query_are_problems() {
    let (server, blue, head) = setup().await;
    let response = server
        .client
        .put(server.url("/v1/operations/x"))
        .bearer_auth(&blue)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let response = server
        .client
        .post(server.url("/v1/operations/existing/activate"))
        .bearer_auth(&blue)
        .header("If-Match", "yesterday")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "bad-header").await;
    problem(
        server.get(&blue, "/v1/alerts?state=sleepy").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    let response = server
        .client
        .delete(server.url("/v1/alerts"))
        .bearer_auth(&blue)
        .send()
        .await
        .unwrap();
    problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_the_api() {
    let server = TestServer::start().await;
    let doc: Value = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/v1/operations/{id}",
        "/v1/operations",
        "/v1/alerts",
        "/v1/parties",
        "/healthz",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let health: Value = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok"}));
}

#[tokio::test]
async fn metrics_are_exposed_for_prometheus() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    server
        .put(
            &blue,
            "/v1/operations/a",
            &operation("patrol", square(36.0, 35.5, 0.1), 0.0, 10.0, T0, T1),
        )
        .await;
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("deconflict_events_total{kind=\"operation_filed\"}"),
        "{text}"
    );
    assert!(text.contains("deconflict_command_seconds"), "{text}");
}

#[tokio::test]
async fn trailing_content_after_a_json_value_is_refused_and_changes_nothing() {
    let (server, blue, head) = setup().await;
    let plan = operation("patrol", square(30.0, 30.0, 0.1), 5000.0, 8000.0, T0, T1);
    let mut body = serde_json::to_vec(&plan).unwrap();
    body.extend_from_slice(b" GARBAGE");
    let detail = problem(
        put_raw(&server, &blue, "/v1/operations/trailing", body).await,
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
    assert!(
        detail["detail"]
            .as_str()
            .unwrap()
            .contains("trailing content"),
        "{detail}"
    );
    assert_eq!(server.log_head().await, head);

    // Two reports on one NDJSON line: refused, never half-read.
    let report = |id: &str| {
        json!({"track_id": id, "time": T0, "lat_deg": 35.0, "lon_deg": 36.0, "altitude_m": 9000.0,
               "ground_speed_mps": 200.0, "track_deg": 90.0, "vertical_rate_mps": 0.0})
        .to_string()
    };
    let response = server
        .client
        .post(server.url("/v1/positions"))
        .bearer_auth(&blue)
        .header("content-type", "application/x-ndjson")
        .body(format!("{}{}\n", report("a1"), report("b1")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 0, "{body}");
    assert!(body["refused"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("trailing content"));
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn control_characters_are_refused_in_texts_names_and_callsigns() {
    let (server, blue, head) = setup().await;
    let _red = server.party("red", "operator").await;
    let head = head + 1;
    let response = server
        .post(
            &blue,
            "/v1/messages",
            &json!({"to": ["red"], "priority": "routine", "text": "turn north\u{1b}]0;forged\u{7}"}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
    assert_eq!(body["pointer"], "/text");
    assert!(
        body["detail"].as_str().unwrap().contains("U+001B"),
        "{body}"
    );
    // A line feed is fine in a message.
    let response = server
        .post(
            &blue,
            "/v1/messages",
            &json!({"to": ["red"], "priority": "routine", "text": "line one\nline two"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let head = head + 1;
    let mut plan = operation("patrol", square(30.0, 30.0, 0.1), 5000.0, 8000.0, T0, T1);
    plan["callsign"] = json!("VIPER\r11");
    let body = problem(
        server.put(&blue, "/v1/operations/cr", &plan).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    assert_eq!(body["pointer"], "/callsign");
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn authenticated_responses_are_never_cached() {
    let (server, blue, _) = setup().await;
    for path in [
        "/v1/alerts",
        "/v1/operations",
        "/v1/operations/existing",
        "/v1/nowhere",
    ] {
        let response = server.get(&blue, path).await;
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{path} ({})",
            response.status()
        );
    }
    // The admin's answer with a new party's token, shown once.
    let response = server
        .client
        .post(server.url("/v1/parties"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": "green", "name": "Green", "role": "operator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let public = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(public
        .headers()
        .get("cache-control")
        .is_none_or(|v| v != "no-store"));
}
