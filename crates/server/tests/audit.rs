//! Signed heads and receipts: a party's receipt verifies offline, shows it what it was told
//! and nothing else, and the signing key survives a restart.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn receipt(server: &TestServer, token: &str, after: u64) -> deconflict_store::Receipt {
    let response = server
        .get(token, &format!("/v1/audit/receipt?after={after}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_receipt_discloses_what_the_party_was_told_and_verifies() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    let mut spec = circle_operation(36.0, 35.0, 2000.0);
    spec["callsign"] = json!("BLUE-SECRET-CALL");
    assert_eq!(
        server
            .put(&blue, "/v1/operations/blue-op", &spec)
            .await
            .status(),
        201
    );
    let mut spec = circle_operation(36.01, 35.0, 2000.0);
    spec["callsign"] = json!("RED-SECRET-CALL");
    let filed: Value = server
        .put(&red, "/v1/operations/red-op", &spec)
        .await
        .json()
        .await
        .unwrap();
    let alert_id = filed["conflicts"][0]["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let blue_receipt = receipt(&server, &blue, 0).await;
    let report = deconflict_store::verify_receipt(&blue_receipt).unwrap();
    assert_eq!(report.head_seq, server.log_head().await);
    assert_eq!(report.after, 0);
    let text = serde_json::to_string(&blue_receipt).unwrap();
    assert!(text.contains("BLUE-SECRET-CALL"), "its own filing, whole");
    assert!(text.contains(&alert_id), "the alert it was sent");
    for secret in ["RED-SECRET-CALL", "red-op", &red] {
        assert!(!text.contains(secret), "{secret} is not released to blue");
    }
    // The alert entry shows blue's side and red as the other party, not red's operation id.
    let alert_entry = blue_receipt
        .entries
        .iter()
        .find_map(|entry| match entry {
            deconflict_store::ReceiptEntry::Disclosed { content, .. }
                if content["kind"] == "alert_raised.v2" =>
            {
                Some(content.clone())
            }
            _ => None,
        })
        .expect("the alert is disclosed");
    let conflict = &alert_entry["payload"]["alert"]["detail"]["conflicts"][0];
    let sides = [&conflict["operation_a"], &conflict["operation_b"]];
    assert!(sides.iter().any(|side| side["id"] == "blue-op"));
    let red_side = sides.iter().find(|side| side["owner"] == "red").unwrap();
    assert!(red_side["id"].is_null(), "{red_side}");
    assert!(conflict["overlap"].is_object());

    // Red's receipt covers the same events with the other disclosures.
    let red_receipt = receipt(&server, &red, 0).await;
    deconflict_store::verify_receipt(&red_receipt).unwrap();
    let text = serde_json::to_string(&red_receipt).unwrap();
    assert!(text.contains("RED-SECRET-CALL") && !text.contains("BLUE-SECRET-CALL"));
    assert_eq!(red_receipt.head.hash, blue_receipt.head.hash);

    // A later range joins on to the earlier head.
    let message = json!({"to": ["red"], "priority": "routine", "text": "climb to FL200"});
    assert_eq!(
        server.post(&blue, "/v1/messages", &message).await.status(),
        201
    );
    let later = receipt(&server, &red, blue_receipt.head.seq).await;
    assert_eq!(later.prev_hash, blue_receipt.head.hash);
    deconflict_store::verify_receipt(&later).unwrap();
    assert!(serde_json::to_string(&later)
        .unwrap()
        .contains("climb to FL200"));
}

#[tokio::test]
async fn an_altered_receipt_fails() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let red = server.party("red", "operator").await;
    server
        .put(
            &blue,
            "/v1/operations/a",
            &circle_operation(36.0, 35.0, 2000.0),
        )
        .await;
    server
        .put(
            &red,
            "/v1/operations/b",
            &circle_operation(36.01, 35.0, 2000.0),
        )
        .await;
    let original = receipt(&server, &blue, 0).await;
    deconflict_store::verify_receipt(&original).unwrap();
    let mut value = serde_json::to_value(&original).unwrap();
    // A disclosed figure, changed after the fact.
    for entry in value["entries"].as_array_mut().unwrap() {
        if entry["content"]["kind"] == "alert_raised.v2" {
            entry["content"]["payload"]["alert"]["severity"] = json!("warning");
        }
    }
    let altered: deconflict_store::Receipt = serde_json::from_value(value).unwrap();
    assert_ne!(altered, original);
    assert!(deconflict_store::verify_receipt(&altered).is_err());
    // A head re-signed by another key does not pass for the server's.
    let mut forged = original.clone();
    let other = deconflict_store::HeadSigner::from_seed([7; 32]);
    forged.head = other.sign(forged.head.seq, &forged.head.hash, &chrono::Utc::now());
    deconflict_store::verify_receipt(&forged).unwrap();
    assert_ne!(
        forged.head.public_key, original.head.public_key,
        "so pin the key"
    );
}

#[tokio::test]
async fn the_head_is_signed_by_a_key_that_survives_a_restart() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    let first: Value = server
        .get(&blue, "/v1/audit/head")
        .await
        .json()
        .await
        .unwrap();
    let again: Value = server
        .get(&blue, "/v1/audit/head")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first, again, "an unchanged head is signed once");
    assert_eq!(first["seq"], server.log_head().await);
    let database = server.database.clone();
    let key_file = (server.app.config.signing_key.clone())
        .unwrap_or_else(|| deconflict_server::app::signing_key_path(&database));
    assert!(key_file.exists(), "the key is kept beside the database");
    let directory = server.stop().await;
    let server = TestServer::start_on(
        database.clone(),
        deconflict_server::Config::new(database, ADMIN.to_owned()),
    )
    .await;
    let after: Value = server
        .get(&blue, "/v1/audit/head")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["public_key"], first["public_key"]);
    drop(directory);
}

#[tokio::test]
async fn receipts_are_for_parties_and_bad_ranges_are_problems() {
    let server = TestServer::start().await;
    let blue = server.party("blue", "operator").await;
    problem(
        server.get(ADMIN, "/v1/audit/receipt").await,
        StatusCode::FORBIDDEN,
        "party-required",
    )
    .await;
    problem(
        server.get(&blue, "/v1/audit/receipt?after=99").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
    problem(
        server.get(&blue, "/v1/audit/receipt?after=minus-one").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-field",
    )
    .await;
}
