//! Token rotation and revocation, and per-party rate limits.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_party_rotates_its_token_and_the_revoked_one_stops_working() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let response = server
        .post(&blue, "/v1/parties/blue/tokens", &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued: Value = response.json().await.unwrap();
    assert_eq!(issued["token_id"], "t2");
    let new_token = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&new_token, "/v1/parties/me").await.status(),
        StatusCode::OK
    );
    let list: Value = server
        .get(&new_token, "/v1/parties/blue/tokens")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["token_ids"], json!(["t1", "t2"]));

    let response = server
        .client
        .delete(server.url("/v1/parties/blue/tokens/t1"))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    problem(
        server.get(&blue, "/v1/parties/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        server.get(&new_token, "/v1/parties/me").await.status(),
        StatusCode::OK
    );

    // Red can neither see nor touch Blue's tokens: they do not exist for Red.
    problem(
        server.get(&red, "/v1/parties/blue/tokens").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        server
            .post(&red, "/v1/parties/blue/tokens", &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let response = server
        .client
        .delete(server.url("/v1/parties/blue/tokens/t2"))
        .bearer_auth(&red)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
    // The admin can revoke any party's token; the revocation survives a restart (it is logged).
    let response = server
        .client
        .delete(server.url("/v1/parties/red/tokens/t1"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let database = server.database.clone();
    let directory = server.stop().await;
    let server = TestServer::start_on(
        database.clone(),
        deconflict_server::Config::new(database, ADMIN.to_owned()),
    )
    .await;
    problem(
        server.get(&red, "/v1/parties/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        server.get(&new_token, "/v1/parties/me").await.status(),
        StatusCode::OK
    );
    drop(directory);
}

#[tokio::test]
async fn a_party_over_its_rate_limit_gets_429_with_retry_after() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("rate.db");
    let mut config = deconflict_server::Config::new(database.clone(), ADMIN.to_owned());
    config.rate_limit = deconflict_server::ratelimit::RateLimit {
        rate_per_s: 0.5,
        burst: 5.0,
    };
    let server = TestServer::start_on(database, config).await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    for _ in 0..5 {
        assert_eq!(
            server.get(&blue, "/v1/alerts").await.status(),
            StatusCode::OK
        );
    }
    let response = server.get(&blue, "/v1/alerts").await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    problem(response, StatusCode::TOO_MANY_REQUESTS, "rate-limited").await;
    assert_eq!(
        server.get(&red, "/v1/alerts").await.status(),
        StatusCode::OK,
        "limits are per party"
    );
}
