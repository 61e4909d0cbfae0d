//! Positions as the Joint IMO/IHO/WMO MSI Manual writes them, polygon order, and a whole
//! warning for a naval exercise area off Tartous.

use deconflict_geometry::Limits;

use super::*;
use crate::zone::{Window, ZoneSpec};
use crate::PartyId;

fn time(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn positions_are_degrees_and_decimal_minutes_with_leading_zeros() {
    // The brief's example, and the Manual's (§6, element 6) at 0.01 minute.
    assert_eq!(
        position(35.0 + 51.40 / 60.0, 34.0 + 52.10 / 60.0),
        "34-52.10N 035-51.40E"
    );
    assert_eq!(
        position(-(39.0 + 17.0 / 60.0), 7.0 + 8.0 / 60.0),
        "07-08.00N 039-17.00W"
    );
    assert_eq!(
        position(165.0 + 2.81 / 60.0, -(32.0 + 18.65 / 60.0)),
        "32-18.65S 165-02.81E"
    );
}

#[test]
fn rounding_carries_into_the_degree_and_zero_has_no_south_or_west() {
    assert_eq!(latitude(34.0 + 59.996 / 60.0), "35-00.00N");
    assert_eq!(longitude(-(179.0 + 59.999 / 60.0)), "180-00.00W");
    assert_eq!(latitude(-0.000_01), "00-00.00N");
    assert_eq!(longitude(-0.000_01), "000-00.00E");
    assert_eq!(latitude(-90.0), "90-00.00S");
}

#[test]
fn the_date_time_group_is_day_hour_minute_utc_month_year() {
    assert_eq!(
        date_time_group(time("2026-10-08T06:05:00Z")),
        "080605 UTC OCT 26"
    );
}

fn ring(points: &[(f64, f64)]) -> Vec<Vec<f64>> {
    let mut ring: Vec<Vec<f64>> = points.iter().map(|&(x, y)| vec![x, y]).collect();
    ring.push(ring[0].clone());
    ring
}

#[test]
fn polygons_are_listed_clockwise_from_the_north_west_corner_whatever_the_input() {
    let (w, e, s, n) = (35.5, 35.9, 34.8, 35.0);
    let clockwise = [(w, n), (e, n), (e, s), (w, s)];
    for start in 0..4 {
        for reverse in [false, true] {
            let mut points = clockwise.to_vec();
            if reverse {
                points.reverse();
            }
            points.rotate_left(start);
            assert_eq!(
                clockwise_from_north_west(&ring(&points)),
                clockwise.to_vec(),
                "start {start} reverse {reverse}"
            );
        }
    }
}

#[test]
fn a_polygon_across_the_antimeridian_keeps_its_orientation() {
    let clockwise = [(179.5, 10.0), (-179.5, 10.0), (-179.5, 9.0), (179.5, 9.0)];
    let mut ccw = clockwise.to_vec();
    ccw.reverse();
    assert_eq!(clockwise_from_north_west(&ring(&ccw)), clockwise.to_vec());
}

fn zone(footprint: FootprintSpec, schedule: Schedule, rules: Vec<ZoneRule>) -> Zone {
    let spec = ZoneSpec {
        name: "Naval exercise area Tartous".into(),
        footprint,
        altitude_lower_m: 0.0,
        altitude_upper_m: 0.0,
        schedule,
        enforcement: Enforcement::Advisory,
        rules,
        heights: None,
    };
    let footprint = spec.validate(&Limits::default()).unwrap();
    Zone {
        id: "tartous-navex".into(),
        owner: PartyId("syria-authority".into()),
        spec,
        version: 2,
        footprint,
        updated_at: time("2026-10-01T09:00:00Z"),
    }
}

#[test]
fn an_exercise_area_reads_as_a_navarea_warning() {
    let minutes = |d: f64, m: f64| d + m / 60.0;
    let polygon = FootprintSpec::Polygon {
        coordinates: vec![ring(&[
            (minutes(35.0, 30.0), minutes(34.0, 52.1)),
            (minutes(35.0, 30.0), minutes(35.0, 5.0)),
            (minutes(35.0, 51.4), minutes(35.0, 5.0)),
            (minutes(35.0, 51.4), minutes(34.0, 52.1)),
        ])],
    };
    let schedule = Schedule {
        windows: vec![Window {
            start: time("2026-10-08T06:00:00Z"),
            end: time("2026-10-10T18:00:00Z"),
        }],
        weekly: vec![],
    };
    let rules = vec![
        ZoneRule::Deny {
            parties: vec![PartyId("blue".into()), PartyId("red".into())],
            all_except: true,
        },
        ZoneRule::Notify,
    ];
    let preamble = Preamble {
        series: Some("NAVAREA III 0123/26".into()),
        general_area: Some("Eastern Mediterranean".into()),
    };
    let text = navigational_warning(
        &zone(polygon, schedule, rules),
        &preamble,
        time("2026-10-01T09:00:00Z"),
    );
    assert_eq!(
        text,
        "010900 UTC OCT 26\n\
         NAVAREA III 0123/26\n\
         EASTERN MEDITERRANEAN.\n\
         NAVAL EXERCISE AREA TARTOUS.\n\
         IN FORCE 080600 UTC OCT 26 TO 101800 UTC OCT 26 IN AREA BOUNDED BY\n\
         35-05.00N 035-30.00E,\n\
         35-05.00N 035-51.40E,\n\
         34-52.10N 035-51.40E,\n\
         34-52.10N 035-30.00E.\n\
         ENTRY PROHIBITED EXCEPT BLUE, RED.\n\
         ENTRIES ARE REPORTED TO SYRIA-AUTHORITY.\n\
         WIDE BERTH REQUESTED.\n\
         CANCEL THIS MSG 101800 UTC OCT 26.\n"
    );
}

#[test]
fn a_circle_without_an_end_has_a_radius_in_miles_and_no_cancellation() {
    let circle = FootprintSpec::Circle {
        center: vec![35.75, 34.9],
        radius_m: 5.0 * 1852.0,
    };
    let rules = vec![ZoneRule::AllowOnlyMissions {
        parties: vec![PartyId("red".into())],
        missions: vec![crate::operation::MissionType::Humanitarian],
    }];
    let text = navigational_warning(
        &zone(circle, Schedule::default(), rules),
        &Preamble::default(),
        time("2026-10-01T09:00:00Z"),
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "DECONFLICT ZONE TARTOUS-NAVEX 2");
    assert_eq!(
        lines[3],
        "IN FORCE UNTIL FURTHER NOTICE WITHIN 5 NM OF 34-54.00N 035-45.00E."
    );
    assert_eq!(lines[4], "RED MAY ENTER ONLY ON HUMANITARIAN MISSIONS.");
    assert!(!text.contains("CANCEL"), "{text}");
}

#[test]
fn weekly_slots_are_written_with_their_clock_and_daylight_events() {
    let slot = WeeklySlot {
        days: vec![Day::Mon, Day::Tue],
        start: "06:00".into(),
        end: "18:00".into(),
        utc_offset: Some("+03:00".into()),
        from: None,
        until: Some(time("2026-11-01T00:00:00Z")),
        daylight: None,
    };
    assert_eq!(
        weekly(&slot),
        "MON TUE 0600 TO 1800 UTC+03:00 UNTIL 010000 UTC NOV 26"
    );
    let by_daylight = WeeklySlot {
        days: vec![Day::Sat],
        utc_offset: None,
        until: None,
        daylight: Some(crate::zone::Daylight {
            area: [35.5, 34.8, 35.9, 35.1],
            start_event: Some(DaylightEvent::Sunrise),
            end_event: Some(DaylightEvent::Sunset),
            start_time_too: false,
            end_time_too: false,
        }),
        ..slot.clone()
    };
    assert_eq!(weekly(&by_daylight), "SAT SUNRISE TO SUNSET UTC");
    let schedule = Schedule {
        windows: vec![],
        weekly: vec![slot.clone()],
    };
    assert_eq!(last_end(&schedule), Some(time("2026-11-01T00:00:00Z")));
    let open = Schedule {
        windows: vec![Window {
            start: time("2026-10-08T06:00:00Z"),
            end: time("2026-12-10T18:00:00Z"),
        }],
        weekly: vec![WeeklySlot {
            until: None,
            ..slot
        }],
    };
    assert_eq!(last_end(&open), None, "a slot without an end never ends");
}

#[test]
fn parts_are_lettered_holes_excluded_and_a_point_is_a_position() {
    let outer = ring(&[(35.0, 35.0), (36.0, 35.0), (36.0, 34.0), (35.0, 34.0)]);
    let hole = ring(&[(35.4, 34.6), (35.6, 34.6), (35.6, 34.4), (35.4, 34.4)]);
    let other = ring(&[(37.0, 35.0), (37.5, 35.0), (37.5, 34.5), (37.0, 34.5)]);
    let multi = FootprintSpec::MultiPolygon {
        coordinates: vec![vec![outer.clone(), hole], vec![other]],
    };
    let (header, lines) = area(&multi);
    assert_eq!(header, "IN AREAS BOUNDED BY");
    assert_eq!(lines[0], "A. 35-00.00N 035-00.00E,");
    assert_eq!(lines[4], "EXCLUDING AREA BOUNDED BY");
    assert_eq!(lines[5], "34-36.00N 035-24.00E,");
    assert_eq!(lines[9], "B. 35-00.00N 037-00.00E,");
    assert_eq!(lines.len(), 13);
    let single = FootprintSpec::Polygon {
        coordinates: vec![outer],
    };
    assert_eq!(area(&single).0, "IN AREA BOUNDED BY");
    let point = FootprintSpec::Point {
        coordinates: vec![35.5, 34.5],
    };
    assert_eq!(area(&point).0, "IN POSITION 34-30.00N 035-30.00E.");
}
