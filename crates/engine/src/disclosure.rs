//! What of a logged event a party may see in its signed receipt (SPEC §7, §8).
//!
//! A receipt lets a party prove later what it was told. It carries every event of a range, each
//! either opaque (a salted digest) or disclosed in part; this module decides the parts, as JSON
//! pointers into the event's content `{"time", "actor", "kind", "payload"}`. It follows the same
//! rules as the read paths of [`crate::release`]: a party sees its own events whole, the hotline
//! traffic it sent or was sent, the agreements it is party to, and of an alert exactly what
//! [`crate::release::alert_view`] shows it (its own side, the other party, the figures — never
//! the other's operation or track id unless released in full). Everything else is opaque, so a
//! receipt never tells a party even that another party filed something.

use crate::agreement::{OperationRelease, TrackRelease};
use crate::alert::{Alert, AlertDetail};
use crate::event::Event;
use crate::ids::PartyId;
use crate::release::{releases, shown_now};
use crate::state::State;

/// The whole content.
const EVERYTHING: &str = "";

/// The JSON pointers `viewer` may see of `event`; empty: nothing.
pub fn disclosure(state: &State, viewer: &PartyId, event: &Event) -> Vec<String> {
    let everything = || vec![EVERYTHING.to_owned()];
    let mine = |party: &PartyId| party == viewer;
    let message_of = |id: &str| {
        state
            .message(id)
            .is_some_and(|m| mine(&m.from) || m.to.contains(viewer))
    };
    let report_of = |id: &str| {
        state
            .report(id)
            .is_some_and(|r| mine(&r.from) || r.to.contains(viewer))
    };
    let agreement_of = |id: &str| state.agreement(id).is_some_and(|a| a.names(viewer));
    let recipient_of = |id: &crate::ids::AlertId| {
        state
            .alert(id)
            .is_some_and(|alert| shown_now(state, alert, viewer))
    };
    match event {
        Event::PartyRegistered { party } if mine(&party.id) => everything(),
        // Who the parties are is known to every party (GET /v1/parties), never their token.
        Event::PartyRegistered { .. } => [
            "/time",
            "/kind",
            "/payload/party/id",
            "/payload/party/name",
            "/payload/party/role",
        ]
        .map(str::to_owned)
        .to_vec(),
        Event::TokenIssued { party, .. } | Event::TokenRevoked { party, .. } if mine(party) => {
            everything()
        }
        Event::OperationFiled { key, .. } | Event::OperationStateChanged { key, .. }
            if mine(&key.owner)
                || releases(state, viewer, &key.owner).release_operations
                    == OperationRelease::Full =>
        {
            everything()
        }
        Event::PositionsReported { owner, .. } | Event::PositionsPublished { owner, .. } => {
            let params = releases(state, viewer, owner);
            // A row is one leaf and carries the operation id: only when both are released.
            let released = params.release_tracks == TrackRelease::Full
                && params.release_operations == OperationRelease::Full;
            if mine(owner) || released {
                everything()
            } else {
                Vec::new()
            }
        }
        Event::TracksLost { track_ids } => {
            let all_mine = track_ids
                .iter()
                .all(|id| state.track(id).is_some_and(|track| mine(track.owner)));
            if all_mine && !track_ids.is_empty() {
                everything()
            } else {
                Vec::new()
            }
        }
        Event::AlertRaised { alert } | Event::AlertUpdated { alert } => {
            alert_pointers(state, viewer, alert)
        }
        // The alert as it stood after the change is disclosed as the raise of it would be;
        // the rest of the payload (id, reason, counts, who acknowledged) whole.
        Event::AlertResolved { id, alert, .. }
        | Event::AlertAcknowledged { id, alert, .. }
        | Event::AlertEscalated { id, alert, .. }
            if recipient_of(id) =>
        {
            match alert {
                Some(alert) => change_pointers(state, viewer, alert, event),
                None => everything(),
            }
        }
        Event::AlertRenotified { id, alert, .. } if recipient_of(id) => {
            change_pointers(state, viewer, alert, event)
        }
        Event::MessageSent { message } if mine(&message.from) || message.to.contains(viewer) => {
            everything()
        }
        Event::MessageRead { id, .. } if message_of(id) => everything(),
        Event::IncidentReported { incident }
            if mine(&incident.reporter) || incident.shared_with.contains(viewer) =>
        {
            everything()
        }
        Event::ReportShared { report } if mine(&report.from) || report.to.contains(viewer) => {
            everything()
        }
        Event::ReportReceived { id, .. } if report_of(id) => everything(),
        Event::AgreementProposed { parties, .. } if parties.contains(viewer) => everything(),
        // Zones and protected sites are published for every party to read (GET /v1/zones,
        // GET /v1/sites).
        Event::ZonePublished { .. }
        | Event::ZoneWithdrawn { .. }
        | Event::SitePublished { .. }
        | Event::SiteWithdrawn { .. } => everything(),
        Event::AgreementAccepted { id, .. }
        | Event::AgreementSuspended { id, .. }
        | Event::AgreementResumed { id, .. }
            if agreement_of(id) =>
        {
            everything()
        }
        _ => Vec::new(),
    }
}

/// A change to an alert carrying the alert after it: the payload's own fields, and of the
/// alert what [`alert_pointers`] allows.
fn change_pointers(state: &State, viewer: &PartyId, alert: &Alert, event: &Event) -> Vec<String> {
    let mut pointers = alert_pointers(state, viewer, alert);
    if pointers.is_empty() {
        return pointers;
    }
    if let serde_json::Value::Object(payload) = event.payload() {
        pointers.extend(
            payload
                .keys()
                .filter(|key| key.as_str() != "alert")
                .map(|key| format!("/payload/{key}")),
        );
    }
    pointers
}

/// An alert event as its recipient sees it through [`crate::release::alert_view`].
fn alert_pointers(state: &State, viewer: &PartyId, alert: &Alert) -> Vec<String> {
    if !shown_now(state, alert, viewer) {
        return Vec::new();
    }
    let base = "/payload/alert";
    let mut pointers: Vec<String> = ["/time", "/kind"]
        .map(str::to_owned)
        .into_iter()
        .chain(
            [
                "id",
                "kind",
                "severity",
                "state",
                "recipients",
                "raised_at",
                "updated_at",
                "resolved_at",
                "acknowledgements",
                "escalations",
                "escalated_at",
                "renotifications",
                "renotified_at",
                "resolved_reason",
                "detail/kind",
            ]
            .map(|field| format!("{base}/{field}")),
        )
        .collect();
    let detail = format!("{base}/detail");
    match &alert.detail {
        AlertDetail::StrategicConflict(strategic) => {
            let operation = |pointer: String, key: &crate::ids::OperationKey| {
                let full = &key.owner == viewer
                    || releases(state, viewer, &key.owner).release_operations
                        == OperationRelease::Full;
                if full {
                    pointer
                } else {
                    format!("{pointer}/owner")
                }
            };
            for (index, key) in strategic.operations.iter().enumerate() {
                pointers.push(operation(format!("{detail}/operations/{index}"), key));
            }
            pointers.push(format!("{detail}/right_of_way"));
            for (index, conflict) in strategic.conflicts.iter().enumerate() {
                let at = format!("{detail}/conflicts/{index}");
                let (own, other) = if conflict.operation_a.owner == *viewer {
                    ("a", &conflict.operation_b)
                } else if conflict.operation_b.owner == *viewer {
                    ("b", &conflict.operation_a)
                } else {
                    continue;
                };
                let other_side = if own == "a" { "b" } else { "a" };
                pointers.push(format!("{at}/operation_{own}"));
                pointers.push(format!("{at}/volume_{own}"));
                pointers.push(operation(format!("{at}/operation_{other_side}"), other));
                if releases(state, viewer, &other.owner).release_operations
                    != OperationRelease::None
                {
                    pointers.push(format!("{at}/overlap"));
                }
            }
        }
        AlertDetail::TacticalConflict(tactical) => {
            for (index, track) in tactical.tracks.iter().enumerate() {
                let released = &track.owner == viewer
                    || releases(state, viewer, &track.owner).release_tracks
                        != TrackRelease::ConflictsOnly;
                pointers.push(if released {
                    format!("{detail}/tracks/{index}")
                } else {
                    format!("{detail}/tracks/{index}/owner")
                });
            }
            for field in [
                "evaluated_at",
                "los_now",
                "t_los_s",
                "t_out_s",
                "t_cpa_s",
                "d_cpa_m",
                "horizontal_distance_now_m",
                "vertical_offset_now_m",
            ] {
                pointers.push(format!("{detail}/{field}"));
            }
        }
        AlertDetail::Nonconformance(nonconformance) => {
            if &nonconformance.track.owner == viewer {
                pointers.push(detail);
            } else {
                for field in ["track/owner", "evaluated_at", "position", "altitude_m"] {
                    pointers.push(format!("{detail}/{field}"));
                }
            }
        }
        AlertDetail::Incident(_) => pointers.push(detail),
        AlertDetail::TrackZoneEntry(entry) => {
            let owner = &entry.track.owner;
            let params = releases(state, viewer, owner);
            if owner == viewer
                || (params.release_tracks == TrackRelease::Full
                    && params.release_operations == OperationRelease::Full)
            {
                pointers.push(detail);
            } else {
                for field in [
                    "track/owner",
                    "zone",
                    "zone_name",
                    "zone_owner",
                    "enforcement",
                    "findings",
                    "evaluated_at",
                    "inside_now",
                    "t_entry_s",
                    "position",
                    "altitude_m",
                ] {
                    pointers.push(format!("{detail}/{field}"));
                }
                if params.release_tracks == TrackRelease::Full {
                    pointers.push(format!("{detail}/track/track_id"));
                }
                if params.release_operations == OperationRelease::Full {
                    pointers.push(format!("{detail}/mission_type"));
                }
            }
        }
        AlertDetail::SiteProximity(site) => {
            if crate::release::site_subject_released(state, site, viewer) {
                pointers.push(detail);
            } else {
                for field in [
                    "site",
                    "site_name",
                    "site_kind",
                    "site_owner",
                    "buffer_m",
                    "description",
                    "subject/type",
                ] {
                    pointers.push(format!("{detail}/{field}"));
                }
                match &site.subject {
                    crate::alert::SiteSubject::Operation { volumes, .. } => {
                        for index in 0..volumes.len() {
                            for field in ["from", "to", "site_position"] {
                                pointers.push(format!("{detail}/subject/volumes/{index}/{field}"));
                            }
                        }
                    }
                    crate::alert::SiteSubject::Track { .. } => {
                        for field in ["evaluated_at", "inside_now", "t_entry_s", "site_position"] {
                            pointers.push(format!("{detail}/subject/{field}"));
                        }
                    }
                }
            }
        }
        AlertDetail::ZoneEntry(entry) => {
            let owner = &entry.operation.owner;
            if owner == viewer
                || releases(state, viewer, owner).release_operations == OperationRelease::Full
            {
                pointers.push(detail);
            } else {
                for field in [
                    "zone",
                    "zone_name",
                    "zone_owner",
                    "enforcement",
                    "operation/owner",
                    "entries",
                ] {
                    pointers.push(format!("{detail}/{field}"));
                }
            }
        }
    }
    pointers
}
