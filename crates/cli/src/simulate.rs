//! Simulated live tracks for the demo: each operation of the scenario that names a `track`
//! flies it, reported once a second through the same command a party's feed uses.
//!
//! Motions are deterministic functions of the time since the demo started, so a run can be
//! reasoned about: an `orbit` circles a centre, a `shuttle` flies back and forth between two
//! points along the geodesic, and the altitude may swing in a triangle wave (which is how the
//! scenario makes a track climb out of its plan and come back: a non-conformance).

use chrono::{DateTime, Utc};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::track::VesselParticulars;
use deconflict_engine::{Domain, PartyId, TrackReport};
use deconflict_server::App;
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use serde::Deserialize;

/// How a simulated track moves (`[lon, lat]` positions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Motion {
    Orbit {
        centre: [f64; 2],
        radius_m: f64,
        speed_mps: f64,
    },
    Shuttle {
        from: [f64; 2],
        to: [f64; 2],
        speed_mps: f64,
    },
}

/// A scenario operation's simulated track.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimTrack {
    pub id: String,
    pub motion: Motion,
    pub altitude_m: f64,
    /// The altitude rises by up to this much and falls back over `swing_period_s`.
    #[serde(default)]
    pub altitude_swing_m: f64,
    #[serde(default = "default_period")]
    pub swing_period_s: f64,
    /// A ship's static data (name, length, beam), reported as AIS would.
    #[serde(default)]
    pub vessel: Option<VesselParticulars>,
}

fn default_period() -> f64 {
    120.0
}

/// A track to fly: whose, for which operation, with which callsign.
#[derive(Debug, Clone)]
pub struct Flight {
    pub owner: PartyId,
    pub operation: String,
    pub callsign: Option<String>,
    /// The operation's domain: a sea operation's track is a ship.
    pub domain: Domain,
    pub track: SimTrack,
}

impl Flight {
    /// The report of this flight `t_s` seconds into the demo, stamped `time`.
    pub fn report_at(&self, t_s: f64, time: DateTime<Utc>) -> TrackReport {
        let geodesic = Geodesic::wgs84();
        let track = &self.track;
        let (position, heading, speed) = match &track.motion {
            Motion::Orbit {
                centre,
                radius_m,
                speed_mps,
            } => {
                let bearing = (speed_mps / radius_m * t_s).to_degrees().rem_euclid(360.0);
                let (lat, lon, azimuth_back): (f64, f64, f64) =
                    geodesic.direct(centre[1], centre[0], bearing, *radius_m);
                // Clockwise as seen from above: heading is the outward bearing plus 90°.
                (
                    [lon, lat],
                    (azimuth_back + 90.0).rem_euclid(360.0),
                    *speed_mps,
                )
            }
            Motion::Shuttle {
                from,
                to,
                speed_mps,
            } => {
                let (length, azimuth, _, _): (f64, f64, f64, f64) =
                    geodesic.inverse(from[1], from[0], to[1], to[0]);
                let travelled = (speed_mps * t_s).rem_euclid(2.0 * length);
                let (distance, outbound) = if travelled < length {
                    (travelled, true)
                } else {
                    (2.0 * length - travelled, false)
                };
                let (lat, lon, azimuth_there): (f64, f64, f64) =
                    geodesic.direct(from[1], from[0], azimuth, distance);
                let heading = if outbound {
                    azimuth_there
                } else {
                    azimuth_there + 180.0
                };
                ([lon, lat], heading.rem_euclid(360.0), *speed_mps)
            }
        };
        let (altitude_m, vertical_rate_mps) = if track.altitude_swing_m > 0.0 {
            let phase = (t_s / track.swing_period_s).rem_euclid(1.0);
            let rate = 2.0 * track.altitude_swing_m / track.swing_period_s;
            if phase < 0.5 {
                (
                    track.altitude_m + 2.0 * phase * track.altitude_swing_m,
                    rate,
                )
            } else {
                (
                    track.altitude_m + 2.0 * (1.0 - phase) * track.altitude_swing_m,
                    -rate,
                )
            }
        } else {
            (track.altitude_m, 0.0)
        };
        TrackReport {
            track_id: track.id.clone(),
            motion: deconflict_engine::Motion {
                time,
                lat_deg: position[1],
                lon_deg: position[0],
                altitude_m,
                ground_speed_mps: speed,
                track_deg: heading,
                vertical_rate_mps,
            },
            operation_id: Some(self.operation.clone()),
            callsign: self.callsign.clone(),
            domain: self.domain,
            vessel: track.vessel.clone().map(Box::new),
        }
    }
}

/// Reports every flight's position at `now`, `t_s` seconds into the demo, as its owner.
pub fn report_all(app: &App, flights: &[Flight], t_s: f64) -> anyhow::Result<()> {
    let now = app.now();
    let mut owners: Vec<&PartyId> = flights.iter().map(|flight| &flight.owner).collect();
    owners.sort();
    owners.dedup();
    for owner in owners {
        let reports: Vec<(usize, TrackReport)> = flights
            .iter()
            .filter(|flight| &flight.owner == owner)
            .map(|flight| flight.report_at(t_s, now))
            .enumerate()
            .collect();
        app.execute(
            &Actor::Party(owner.clone()),
            |state, now| {
                Ok(decide::report_positions(
                    state,
                    owner,
                    reports.clone(),
                    now,
                    &Default::default(),
                ))
            },
            |_, _| (),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(motion: Motion, swing: f64) -> Flight {
        Flight {
            owner: PartyId("p".into()),
            operation: "op".into(),
            callsign: None,
            domain: Domain::Air,
            track: SimTrack {
                id: "t".into(),
                motion,
                altitude_m: 1000.0,
                altitude_swing_m: swing,
                swing_period_s: 100.0,
                vessel: None,
            },
        }
    }

    #[test]
    fn an_orbit_stays_on_its_circle_and_moves_at_its_speed() {
        let centre = [36.0, 35.0];
        let orbit = flight(
            Motion::Orbit {
                centre,
                radius_m: 5000.0,
                speed_mps: 100.0,
            },
            0.0,
        );
        let time = Utc::now();
        let a = orbit.report_at(10.0, time);
        let b = orbit.report_at(11.0, time);
        for report in [&a, &b] {
            let r = deconflict_geometry::geodesic_distance_m(
                centre,
                [report.motion.lon_deg, report.motion.lat_deg],
            );
            assert!((r - 5000.0).abs() < 0.01, "{r}");
        }
        let step = deconflict_geometry::geodesic_distance_m(
            [a.motion.lon_deg, a.motion.lat_deg],
            [b.motion.lon_deg, b.motion.lat_deg],
        );
        assert!((step - 100.0).abs() < 0.1, "{step}");
    }

    #[test]
    fn a_shuttle_turns_back_at_its_ends_and_the_altitude_swings() {
        let from = [36.0, 35.0];
        let to = [36.1, 35.0];
        let length = deconflict_geometry::geodesic_distance_m(from, to);
        let shuttle = flight(
            Motion::Shuttle {
                from,
                to,
                speed_mps: 100.0,
            },
            200.0,
        );
        let time = Utc::now();
        let at_end = shuttle.report_at(length / 100.0, time);
        assert!(
            deconflict_geometry::geodesic_distance_m(
                to,
                [at_end.motion.lon_deg, at_end.motion.lat_deg]
            ) < 0.01
        );
        let back = shuttle.report_at(length / 100.0 + 10.0, time);
        assert!(
            (back.motion.track_deg - 270.0).abs() < 1.0,
            "{}",
            back.motion.track_deg
        );
        assert_eq!(shuttle.report_at(0.0, time).motion.altitude_m, 1000.0);
        assert_eq!(shuttle.report_at(50.0, time).motion.altitude_m, 1200.0);
        assert!(shuttle.report_at(75.0, time).motion.vertical_rate_mps < 0.0);
    }
}
