//! The hotline's messages (`/v1/messages`). A party reads only messages it sent or received;
//! any other id is not found.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use deconflict_engine::decide::{self, NewMessage};
use deconflict_engine::message::Reference;
use deconflict_engine::{Message, PartyId, Priority};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Recipient party ids.
    pub to: Vec<String>,
    #[serde(default = "routine")]
    pub priority: Priority,
    pub text: String,
    #[serde(default)]
    pub reference: Option<Reference>,
}

fn routine() -> Priority {
    Priority::Routine
}

/// Sends a message to one or more parties.
#[utoipa::path(post, path = "/v1/messages", tag = "hotline", request_body = SendMessage, security(("bearer" = [])),
    responses((status = 201, body = Message), (status = 422, body = Problem)))]
pub async fn send(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<SendMessage>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let from = caller.party()?.clone();
    let actor = caller.actor();
    let message = NewMessage {
        to: request.to.into_iter().map(PartyId).collect(),
        priority: request.priority,
        text: request.text,
        reference: request.reference,
    };
    let sent = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| decide::send_message(state, &from, message.clone(), now),
            |state, id| state.message(&id).cloned().expect("a sent message exists"),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(sent)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MessagePage {
    /// Only messages after this id (ids are sent in order).
    pub after: Option<String>,
    /// At most this many (default and maximum 500).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// Messages the caller sent or received, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/messages", tag = "hotline", params(MessagePage), security(("bearer" = [])),
    responses((status = 200, body = MessageList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    page: Result<Query<MessagePage>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<MessageList>, ApiError> {
    let viewer = caller.party()?.clone();
    let Query(page) = page.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let limit = page.limit.unwrap_or(500).clamp(1, 500);
    Ok(Json(app.read(|state| {
        let mut messages: Vec<Message> = state
            .messages()
            .filter(|m| page.after.as_ref().is_none_or(|after| &m.id > after))
            .filter(|m| m.visible_to(&viewer))
            .take(limit + 1)
            .cloned()
            .collect();
        let more = messages.len() > limit;
        messages.truncate(limit);
        let next_after = if more {
            messages.last().map(|m| m.id.clone())
        } else {
            None
        };
        MessageList {
            messages,
            next_after,
        }
    })))
}

/// Marks a received message read (the sender sees the receipt).
#[utoipa::path(post, path = "/v1/messages/{id}/read", tag = "hotline", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let party = caller.party()?.clone();
    let actor = caller.actor();
    let message = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, _now| decide::read_message(state, &party, &id),
            |state, ()| state.message(&id).cloned().expect("a read message exists"),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(Json(message))
}
