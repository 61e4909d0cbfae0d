//! Requests in progress per caller (the request half of [`crate::limits`]).
//!
//! Each party may have [`ServerLimits::max_requests_per_party`] requests in progress at once,
//! the admin token [`ServerLimits::max_requests_admin`], and all requests without a valid token
//! together [`ServerLimits::max_requests_unauthenticated`]. A request counts from its headers
//! until its handler returns the response (an event stream counts while it is set up, not
//! while it streams). Over the limit a party or the admin gets 429 `too-many-requests`, and
//! unauthenticated requests 503 `server-busy`, both with `Retry-After: 1`; nothing changes.
//!
//! The rate limit ([`crate::ratelimit`]) bounds requests per second; this bounds what a caller
//! holds at once (bodies being read, workers deciding), which the rate limit cannot: one slow
//! upload per second is well within any rate. The caller is resolved from its bearer token
//! once, here, and handed to [`crate::auth::Caller`] in the request's extensions.
//!
//! [`ServerLimits::max_requests_per_party`]: crate::limits::ServerLimits::max_requests_per_party
//! [`ServerLimits::max_requests_admin`]: crate::limits::ServerLimits::max_requests_admin
//! [`ServerLimits::max_requests_unauthenticated`]: crate::limits::ServerLimits::max_requests_unauthenticated

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use deconflict_engine::PartyId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::auth::{Caller, Resolved};
use crate::problem::ApiError;
use crate::App;

/// Whose requests are counted together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Slot {
    Party(PartyId),
    Admin,
    Unauthenticated,
}

/// Requests in progress, per caller; a caller with none has no entry.
#[derive(Debug, Default)]
pub struct RequestSlots {
    in_progress: Mutex<HashMap<Slot, usize>>,
}

/// A request's place among its caller's; given back when dropped.
struct Taken {
    slots: Arc<RequestSlots>,
    slot: Slot,
}

impl RequestSlots {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<Slot, usize>> {
        self.in_progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn try_take(self: &Arc<Self>, slot: Slot, limit: usize) -> Option<Taken> {
        let mut counts = self.counts();
        let count = counts.entry(slot.clone()).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Taken {
            slots: self.clone(),
            slot,
        })
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        let mut counts = self.slots.counts();
        if let Some(count) = counts.get_mut(&self.slot) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.slot);
            }
        }
    }
}

/// The middleware: resolves the caller, takes one of its slots or refuses the request.
pub async fn limit_in_progress(
    State((app, slots)): State<(Arc<App>, Arc<RequestSlots>)>,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    let limits = &app.config.server_limits;
    let caller = crate::auth::resolve(&app, request.headers()).ok();
    let (slot, limit) = match &caller {
        Some(Caller::Party(party)) => {
            (Slot::Party(party.id.clone()), limits.max_requests_per_party)
        }
        Some(Caller::Admin) => (Slot::Admin, limits.max_requests_admin),
        None => (Slot::Unauthenticated, limits.max_requests_unauthenticated),
    };
    let Some(_taken) = slots.try_take(slot.clone(), limit) else {
        metrics::counter!("deconflict_requests_refused_total", "reason" => "in-progress")
            .increment(1);
        return match slot {
            Slot::Party(party) => ApiError::TooManyInProgress {
                who: format!("party {}", party.0),
                limit,
            },
            Slot::Admin => ApiError::TooManyInProgress {
                who: "the admin token".to_owned(),
                limit,
            },
            Slot::Unauthenticated => ApiError::ServerBusy(format!(
                "{limit} requests without a valid token are already in progress"
            )),
        }
        .into_response();
    };
    request.extensions_mut().insert(Resolved(caller));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_caller_has_its_own_slots_given_back_when_a_request_ends() {
        let slots = Arc::new(RequestSlots::default());
        let blue = Slot::Party(PartyId("blue".to_owned()));
        let first = slots.try_take(blue.clone(), 2).unwrap();
        let _second = slots.try_take(blue.clone(), 2).unwrap();
        assert!(slots.try_take(blue.clone(), 2).is_none());
        // Others are counted apart: another party, the admin, the unauthenticated.
        let _red = slots
            .try_take(Slot::Party(PartyId("red".to_owned())), 2)
            .unwrap();
        let _admin = slots.try_take(Slot::Admin, 1).unwrap();
        assert!(slots.try_take(Slot::Admin, 1).is_none());
        let _anonymous = slots.try_take(Slot::Unauthenticated, 1).unwrap();
        assert!(slots.try_take(Slot::Unauthenticated, 1).is_none());
        drop(first);
        assert!(slots.try_take(blue, 2).is_some());
        drop(_anonymous);
        assert!(slots.try_take(Slot::Unauthenticated, 1).is_some());
        // A caller with nothing in progress leaves no entry behind.
        drop(_red);
        assert!(!slots
            .counts()
            .contains_key(&Slot::Party(PartyId("red".to_owned()))));
    }
}
