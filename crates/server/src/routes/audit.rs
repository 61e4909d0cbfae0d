//! Signed heads and receipts (SPEC §8): `GET /v1/audit/head`, `GET /v1/audit/receipt`.
//!
//! A party keeps receipts to prove later what it was told: the events of a range as released
//! to it (others' parts only as salted digests), chained to a head the server signed with its
//! Ed25519 key. `deconflict audit verify --receipt FILE` checks one offline.

use axum::extract::{Query, State};
use axum::Json;
use deconflict_store::StoreError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::app::CommandError;
use crate::auth::Caller;
use crate::problem::{ApiError, Problem};
use crate::App;

/// The log's head, signed: `signature` is Ed25519 by `public_key` over
/// `field("deconflict-head-v1") || u64be(seq) || field(hash) || field(signed_at)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedHeadView {
    pub seq: u64,
    pub hash: String,
    pub signed_at: String,
    pub public_key: String,
    pub signature: String,
}

impl From<deconflict_store::SignedHead> for SignedHeadView {
    fn from(head: deconflict_store::SignedHead) -> Self {
        Self {
            seq: head.seq,
            hash: head.hash,
            signed_at: head.signed_at,
            public_key: head.public_key,
            signature: head.signature,
        }
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::ReceiptRange { .. }
        | StoreError::ReceiptTooLarge { .. }
        | StoreError::ReceiptPayloadTooLarge { .. } => ApiError::InvalidField {
            pointer: "/after".to_owned(),
            detail: error.to_string(),
        },
        error => ApiError::Command(CommandError::Store(error)),
    }
}

/// The event log's head, signed now by the server's key (the same head is signed once).
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = SignedHeadView), (status = 401, body = Problem)))]
pub async fn head(
    State(app): State<Arc<App>>,
    _caller: Caller,
) -> Result<Json<SignedHeadView>, ApiError> {
    let head = tokio::task::spawn_blocking(move || app.sign_head())
        .await
        .expect("signing does not panic")
        .map_err(store_error)?;
    Ok(Json(head.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReceiptRange {
    /// The receipt covers the events after this sequence number (default 0: from the start);
    /// at most 100,000 events per receipt.
    #[serde(default)]
    pub after: u64,
}

/// The caller's receipt for the events after `after` up to the current head: what it may see
/// of each (its own events whole, the alerts and messages it was sent as it was shown them,
/// nothing of anyone else's), the chain links, and the signed head.
#[utoipa::path(get, path = "/v1/audit/receipt", tag = "audit", params(ReceiptRange), security(("bearer" = [])),
    responses((status = 200, description = "A deconflict-receipt-v1 document", content_type = "application/json"),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn receipt(
    State(app): State<Arc<App>>,
    caller: Caller,
    range: Result<Query<ReceiptRange>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<deconflict_store::Receipt>, ApiError> {
    let viewer = caller.party()?.clone();
    let Query(range) = range.map_err(|rejection| ApiError::InvalidField {
        pointer: "/after".to_owned(),
        detail: format!("the query is not valid: {}", rejection.body_text()),
    })?;
    let receipt = tokio::task::spawn_blocking(move || app.receipt(&viewer, range.after))
        .await
        .expect("building a receipt does not panic")
        .map_err(store_error)?;
    Ok(Json(receipt))
}
