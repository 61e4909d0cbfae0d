//! Protected sites (SPEC §5.5) and live tracks against zones (§5.4) through the API: who may
//! notify, validation, operations and tracks near a hospital, a convoy checked at positions along
//! its route with its schedule, what the notifying party is told, and tracks entering zones.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOW: &str = "2030-01-04T06:00:00Z";
/// Aleppo, a hospital with a 2 km buffer.
const HOSPITAL: [f64; 2] = [37.16, 36.20];

fn hospital(schedule: Value) -> Value {
    json!({
        "name": "Al-Razi hospital", "kind": "hospital", "buffer_m": 2000.0,
        "geometry": {"type": "Point", "coordinates": HOSPITAL},
        "schedule": schedule, "description": "120 beds; red crescent on the roof"
    })
}

/// Damascus → Homs by the M5, 06:00 → 09:00 (about 140 km at 13 m/s: at the first corner at
/// 06:35, the second at 07:41).
fn convoy() -> Value {
    json!({
        "name": "WFP convoy 12", "kind": "convoy", "buffer_m": 1000.0,
        "geometry": {"type": "LineString", "coordinates": [
            [36.30, 33.52], [36.40, 33.75], [36.55, 34.20], [36.72, 34.73]
        ]},
        "schedule": {"windows": [{"start": "2030-01-04T06:00:00Z", "end": "2030-01-04T09:00:00Z"}]}
    })
}

fn circle(lon: f64, lat: f64, radius_m: f64) -> Value {
    json!({"type": "Circle", "center": [lon, lat], "radius_m": radius_m})
}

fn report(track: &str, lon: f64, lat: f64, speed: f64, heading: f64) -> Value {
    json!({
        "track_id": track, "time": NOW, "lat_deg": lat, "lon_deg": lon, "altitude_m": 3000.0,
        "ground_speed_mps": speed, "track_deg": heading, "vertical_rate_mps": 0.0,
        "callsign": format!("CS-{track}")
    })
}

async fn open_alerts(server: &TestServer, token: &str, kind: &str) -> Vec<Value> {
    let body: Value = server.get(token, "/v1/alerts").await.json().await.unwrap();
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind && a["state"] == "open")
        .cloned()
        .collect()
}

async fn setup() -> (TestServer, ManualClock, String, String) {
    let clock = ManualClock::at(NOW);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let icrc = server.party("icrc", "humanitarian").await;
    let blue = server.party("blue", "operator").await;
    (server, clock, icrc, blue)
}

#[tokio::test]
async fn only_humanitarian_parties_notify_and_only_the_owner_withdraws() {
    let (server, _, icrc, blue) = setup().await;
    let response = server
        .put(&blue, "/v1/sites/h1", &hospital(json!({})))
        .await;
    problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = server
        .put(&icrc, "/v1/sites/h1", &hospital(json!({})))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let again = server
        .put(&icrc, "/v1/sites/h1", &hospital(json!({})))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let body: Value = again.json().await.unwrap();
    assert_eq!(
        body["version"], 1,
        "an identical notification changes nothing"
    );

    // Every party reads it.
    let read: Value = server
        .get(&blue, "/v1/sites/h1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["kind"], "hospital");
    assert_eq!(read["owner"], "icrc");
    let list: Value = server.get(&blue, "/v1/sites").await.json().await.unwrap();
    assert_eq!(list["sites"].as_array().unwrap().len(), 1);
    let far: Value = server
        .get(&blue, "/v1/sites?bbox=10,10,11,11")
        .await
        .json()
        .await
        .unwrap();
    assert!(far["sites"].as_array().unwrap().is_empty());

    let response = server.delete(&blue, "/v1/sites/h1").await;
    problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(
        server.delete(&icrc, "/v1/sites/h1").await.status(),
        StatusCode::NO_CONTENT
    );
    let response = server.get(&blue, "/v1/sites/h1").await;
    problem(response, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn bad_sites_are_refused_naming_the_problem_and_change_nothing() {
    let (server, _, icrc, _) = setup().await;
    let head = server.log_head().await;
    let mut route_for_hospital = hospital(json!({}));
    route_for_hospital["geometry"] =
        json!({"type": "LineString", "coordinates": [[36.0, 35.0], [36.1, 35.0]]});
    let mut no_window = convoy();
    no_window["schedule"] = json!({});
    let mut negative = hospital(json!({}));
    negative["buffer_m"] = json!(-5.0);
    let mut point_convoy = convoy();
    point_convoy["geometry"] = json!({"type": "Point", "coordinates": [36.0, 35.0]});
    for (body, pointer, words) in [
        (
            &route_for_hospital,
            "/geometry",
            "LineString route is for a convoy",
        ),
        (&no_window, "/schedule", "exactly one window"),
        (&negative, "/buffer_m", "buffer -5 m"),
        (&point_convoy, "/geometry", "convoy's geometry is its route"),
    ] {
        let response = server.put(&icrc, "/v1/sites/bad", body).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
        assert_eq!(problem["pointer"], pointer, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(words),
            "{problem}"
        );
    }
    let mut unknown_kind = hospital(json!({}));
    unknown_kind["kind"] = json!("stadium");
    let response = server.put(&icrc, "/v1/sites/bad", &unknown_kind).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.log_head().await, head);
}

#[tokio::test]
async fn an_operation_near_a_hospital_alerts_its_owner_with_the_site_and_tells_the_notifier_only_when(
) {
    let (server, _, icrc, blue) = setup().await;
    server
        .put(&icrc, "/v1/sites/h1", &hospital(json!({})))
        .await;
    // 1.5 km from the hospital's centre with a 1 km radius: 500 m from it, inside the buffer.
    let near = [HOSPITAL[0] + 0.0167, HOSPITAL[1]];
    let filed = server
        .put(
            &blue,
            "/v1/operations/strike-1",
            &operation(
                "combat",
                circle(near[0], near[1], 1000.0),
                3000.0,
                6000.0,
                "2030-01-04T07:00:00Z",
                "2030-01-04T08:00:00Z",
            ),
        )
        .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let mine = open_alerts(&server, &blue, "site_proximity").await;
    assert_eq!(mine.len(), 1);
    let site = &mine[0]["site"];
    assert_eq!(site["site_name"], "Al-Razi hospital");
    assert_eq!(site["site_kind"], "hospital");
    assert_eq!(site["description"], "120 beds; red crescent on the roof");
    assert_eq!(site["operation_id"], "strike-1");
    let distance = site["volumes"][0]["distance_m"].as_f64().unwrap();
    assert!((400.0..600.0).contains(&distance), "{distance}");

    let theirs = open_alerts(&server, &icrc, "site_proximity").await;
    assert_eq!(theirs.len(), 1);
    let text = theirs[0].to_string();
    for hidden in [
        "strike-1",
        "combat",
        "COMBAT-CALLSIGN",
        "distance_m",
        "\"party\"",
    ] {
        assert!(
            !text.contains(hidden),
            "{hidden} shown to the notifier: {text}"
        );
    }
    assert_eq!(
        theirs[0]["site"]["volumes"][0]["from"],
        "2030-01-04T07:00:00Z"
    );

    // Moving the operation 10 km away resolves it.
    server
        .put(
            &blue,
            "/v1/operations/strike-1",
            &operation(
                "combat",
                circle(HOSPITAL[0] + 0.12, HOSPITAL[1], 1000.0),
                3000.0,
                6000.0,
                "2030-01-04T07:00:00Z",
                "2030-01-04T08:00:00Z",
            ),
        )
        .await;
    assert!(open_alerts(&server, &blue, "site_proximity")
        .await
        .is_empty());
    assert!(open_alerts(&server, &icrc, "site_proximity")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_site_counts_only_during_its_schedule_and_a_new_site_alerts_filed_operations() {
    let (server, _, icrc, blue) = setup().await;
    let op = operation(
        "patrol",
        circle(HOSPITAL[0], HOSPITAL[1], 500.0),
        1000.0,
        2000.0,
        "2030-01-04T07:00:00Z",
        "2030-01-04T08:00:00Z",
    );
    server.put(&blue, "/v1/operations/p1", &op).await;
    // A school open on weekdays 08:00-14:00: the operation ends at 08:00, so no alert.
    let school = json!({"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "14:00"}]});
    server.put(&icrc, "/v1/sites/h1", &hospital(school)).await;
    assert!(open_alerts(&server, &blue, "site_proximity")
        .await
        .is_empty());
    // Open from 07:30 instead: the operation, filed before, is alerted now.
    let school = json!({"weekly": [{"days": ["fri"], "start": "07:30", "end": "14:00"}]});
    server.put(&icrc, "/v1/sites/h1", &hospital(school)).await;
    assert_eq!(open_alerts(&server, &blue, "site_proximity").await.len(), 1);
    // Withdrawn: resolved.
    server.delete(&icrc, "/v1/sites/h1").await;
    assert!(open_alerts(&server, &blue, "site_proximity")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_convoy_is_checked_where_it_is_expected_along_its_route() {
    let (server, _, icrc, blue) = setup().await;
    let created: Value = server
        .put(&icrc, "/v1/sites/c12", &convoy())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["convoy_position"], json!([36.30, 33.52]));
    let speed = created["convoy_speed_mps"].as_f64().unwrap();
    assert!(
        (12.0..14.0).contains(&speed),
        "about 140 km in 3 h: {speed}"
    );

    // Three positions along the route, each checked with a 10-minute window when the convoy is
    // there and one two hours off. Positions: the first corner (an early leg), the second
    // corner, and the end.
    let cases = [
        ([36.40, 33.75], "06:10", "06:40", "08:10", "08:40"),
        ([36.55, 34.20], "07:20", "08:00", "06:00", "06:30"),
        ([36.72, 34.73], "08:40", "09:00", "06:00", "06:40"),
    ];
    for (index, (at, on_from, on_to, off_from, off_to)) in cases.iter().enumerate() {
        let day = |t: &str| format!("2030-01-04T{t}:00Z");
        let on = operation(
            "reconnaissance",
            circle(at[0], at[1], 300.0),
            500.0,
            1500.0,
            &day(on_from),
            &day(on_to),
        );
        let off = operation(
            "reconnaissance",
            circle(at[0], at[1], 300.0),
            500.0,
            1500.0,
            &day(off_from),
            &day(off_to),
        );
        server
            .put(&blue, &format!("/v1/operations/on-{index}"), &on)
            .await;
        server
            .put(&blue, &format!("/v1/operations/off-{index}"), &off)
            .await;
    }
    let alerts = open_alerts(&server, &blue, "site_proximity").await;
    let mut alerted: Vec<&str> = alerts
        .iter()
        .map(|a| a["site"]["operation_id"].as_str().unwrap())
        .collect();
    alerted.sort();
    assert_eq!(alerted, ["on-0", "on-1", "on-2"]);
    // Each is told when the convoy is near, not the whole window: the first corner is about
    // 27 km along the road (06:35), the second about 79 km (07:41), the end at 09:00; the
    // buffer and the circle's radius make 1.3 km either side, under two minutes at 13 m/s.
    let expected = [
        ("on-0", "2030-01-04T06:32:00Z", "2030-01-04T06:37:00Z"),
        ("on-1", "2030-01-04T07:38:00Z", "2030-01-04T07:44:00Z"),
        ("on-2", "2030-01-04T08:57:00Z", "2030-01-04T09:00:00Z"),
    ];
    for (id, earliest, latest) in expected {
        let alert = alerts
            .iter()
            .find(|a| a["site"]["operation_id"] == id)
            .unwrap();
        let volume = &alert["site"]["volumes"][0];
        assert!(volume["site_position"].is_array(), "{alert}");
        let (from, to) = (
            volume["from"].as_str().unwrap(),
            volume["to"].as_str().unwrap(),
        );
        assert!(
            earliest <= from && from < to && to <= latest,
            "{id}: {from}..{to} not within {earliest}..{latest}"
        );
    }
    // The notifier hears of three, without the operations.
    let theirs = open_alerts(&server, &icrc, "site_proximity").await;
    assert_eq!(theirs.len(), 3);
    assert!(!theirs.iter().any(|a| a.to_string().contains("on-")));
}

#[tokio::test]
async fn a_track_heading_for_a_hospital_is_alerted_before_it_enters_and_resolved_when_it_turns() {
    let (server, clock, icrc, blue) = setup().await;
    server
        .put(&icrc, "/v1/sites/h1", &hospital(json!({})))
        .await;
    // 20 km west of the hospital, flying east at 100 m/s: the 2 km buffer in about 180 s.
    let start = [HOSPITAL[0] - 0.2226, HOSPITAL[1]];
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("uav-7", start[0], start[1], 100.0, 90.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.site_proximities, 1);
    let mine = open_alerts(&server, &blue, "site_proximity").await;
    let site = &mine[0]["site"];
    assert_eq!(site["track_id"], "uav-7");
    assert_eq!(site["inside_now"], false);
    let t = site["t_entry_s"].as_f64().unwrap();
    assert!((175.0..=181.0).contains(&t), "{t}");
    let theirs = open_alerts(&server, &icrc, "site_proximity").await;
    let text = theirs[0].to_string();
    assert!(
        !text.contains("uav-7") && !text.contains("CS-uav-7"),
        "{text}"
    );
    assert!(theirs[0]["site"]["position"].is_null());
    assert_eq!(theirs[0]["site"]["subject"], "track");

    // Turned back west: resolved.
    clock.advance_s(1.0);
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([json!({
                "track_id": "uav-7", "time": clock.now().to_rfc3339(), "lat_deg": start[1],
                "lon_deg": start[0], "altitude_m": 3000.0, "ground_speed_mps": 100.0,
                "track_deg": 270.0, "vertical_rate_mps": 0.0
            })]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.site_proximities, 0);
    assert!(open_alerts(&server, &blue, "site_proximity")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_track_meeting_the_convoy_on_the_road_is_alerted() {
    let (server, _, icrc, blue) = setup().await;
    server.put(&icrc, "/v1/sites/c12", &convoy()).await;
    // Hovering 500 m east of the convoy's start as it sets off.
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("heli-2", 36.3055, 33.52, 0.0, 0.0)]),
        )
        .await;
    server.app.tactical_pass().unwrap();
    let mine = open_alerts(&server, &blue, "site_proximity").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["site"]["inside_now"], true);
    assert_eq!(mine[0]["severity"], "warning");
    // Far from the road: nothing.
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("heli-3", 37.5, 33.52, 0.0, 0.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.site_proximities, 1);
}

#[tokio::test]
async fn a_track_entering_a_zone_against_its_rules_alerts_the_track_and_zone_owners() {
    let (server, _, _, blue) = setup().await;
    let authority = server.party("iraq", "authority").await;
    let red = server.party("red", "operator").await;
    let zone = json!({
        "name": "Iraqi airspace", "enforcement": "hard",
        "rules": [{"type": "deny", "parties": ["red"], "all_except": true}],
        "footprint": {"type": "Circle", "center": [42.0, 34.0], "radius_m": 50000.0},
        "altitude_lower_m": 0.0, "altitude_upper_m": 15000.0
    });
    assert_eq!(
        server.put(&authority, "/v1/zones/iq", &zone).await.status(),
        StatusCode::CREATED
    );
    // Blue inside the zone now; red (allowed) inside too; blue's second track 20 km outside,
    // heading in at 200 m/s (entry in about 100 s).
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b-in", 42.0, 34.0, 0.0, 0.0)]),
        )
        .await;
    server
        .post(
            &red,
            "/v1/positions",
            &json!([report("r-in", 42.1, 34.0, 0.0, 0.0)]),
        )
        .await;
    let west = 42.0 - (70_000.0 / (111_320.0 * 34f64.to_radians().cos()));
    server
        .post(
            &blue,
            "/v1/positions",
            &json!([report("b-out", west, 34.0, 200.0, 90.0)]),
        )
        .await;
    let outcome = server.app.tactical_pass().unwrap();
    assert_eq!(outcome.zone_entries, 2);
    let mine = open_alerts(&server, &blue, "track_zone_entry").await;
    assert_eq!(mine.len(), 2);
    let by_track = |id: &str| {
        mine.iter()
            .find(|a| a["track_zone_entry"]["track_id"] == id)
            .unwrap()
            .clone()
    };
    let inside = by_track("b-in");
    assert_eq!(inside["track_zone_entry"]["inside_now"], true);
    assert_eq!(inside["severity"], "warning");
    assert!(inside["track_zone_entry"]["findings"][0]["description"]
        .as_str()
        .unwrap()
        .contains("deny all except red"));
    let heading = by_track("b-out");
    let t = heading["track_zone_entry"]["t_entry_s"].as_f64().unwrap();
    assert!((95.0..=101.0).contains(&t), "{t}");
    // The authority hears of both, without the track ids (blue releases conflicts only).
    let theirs = open_alerts(&server, &authority, "track_zone_entry").await;
    assert_eq!(theirs.len(), 2);
    assert!(theirs
        .iter()
        .all(|a| a["track_zone_entry"]["party"] == "blue"
            && a["track_zone_entry"]["track_id"].is_null()));
    assert!(open_alerts(&server, &red, "track_zone_entry")
        .await
        .is_empty());
}

#[tokio::test]
async fn sites_are_listed_by_area_and_time_whatever_their_schedule() {
    let (server, _, icrc, blue) = setup().await;
    let school = json!({"weekly": [{"days": ["mon"], "start": "08:00", "end": "14:00"}]});
    server
        .put(&icrc, "/v1/sites/school", &hospital(school))
        .await;
    server.put(&icrc, "/v1/sites/c12", &convoy()).await;
    let ids = |body: Value| -> Vec<String> {
        let mut ids: Vec<String> = body["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    for (query, want) in [
        ("", vec!["c12", "school"]),
        // Around Aleppo: the school; around Homs: the convoy's route ends there.
        ("?bbox=37.1,36.1,37.2,36.3", vec!["school"]),
        ("?bbox=36.6,34.6,36.8,34.8", vec!["c12"]),
        // Friday (NOW's day) 06:00-07:00: the convoy drives, the school is closed.
        (
            "?from=2030-01-04T06:00:00Z&to=2030-01-04T07:00:00Z",
            vec!["c12"],
        ),
        // Monday 09:00: the school.
        (
            "?from=2030-01-07T09:00:00Z&to=2030-01-07T10:00:00Z",
            vec!["school"],
        ),
        (
            "?bbox=37.1,36.1,37.2,36.3&from=2030-01-07T09:00:00Z&to=2030-01-07T10:00:00Z",
            vec!["school"],
        ),
    ] {
        let response = server.get(&blue, &format!("/v1/sites{query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        assert_eq!(ids(response.json().await.unwrap()), want, "{query}");
    }
    let response = server
        .get(&blue, "/v1/sites?from=2030-01-07T09:00:00Z")
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field").await;
}
