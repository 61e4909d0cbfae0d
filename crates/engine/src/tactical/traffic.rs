//! Seeded generators of air traffic for benchmarks, tests and `deconflict loadgen`, in two
//! shapes ([`TrafficShape`]).
//!
//! **Levels and climbers** ([`TrafficShape::LevelsAndClimbers`], the default): the shape of the
//! independent traffic that measured the detector from outside (issue 20), which the airways
//! shape flattered. One aircraft per 100 km² of a square around 50° N, 10° E; 4 parties; 60 %
//! level on flight levels FL100–FL400, 40 % climbing or descending at 5–15 m/s anywhere between
//! 0 and 12,500 m; ground speed 60–260 m/s rising with altitude; random headings; every report
//! at `now`. Climbers spread over every altitude defeat any detector that leans on altitude
//! bands, so figures are given for this shape.
//!
//! **Airways** ([`TrafficShape::Airways`]): the traffic of a busy continental airspace: cities scattered over a square around 50° N,
//! 10° E whose area grows with the number of tracks (10,000 tracks over 2,000 × 2,000 km, the
//! density of a European peak hour), and four kinds of flight:
//! - 55 % cruise along airways between city pairs, at flight levels by direction (eastbound odd,
//!   westbound even, FL250–FL410), a few changing level;
//! - 20 % climbing out of or descending into a city, 15–180 km out;
//! - 20 % terminal traffic within 60 km of a city (one city per 100 tracks; hubs get up to 8
//!   times a small airport's share), some in holding stacks;
//! - 5 % low-level general aviation, helicopters and drones, some hovering.
//!
//! Reports are 0–4 s old, 2 % up to 30 s; owners are 16 parties. The same `(n, seed, now)`
//! always gives the same tracks. The shapes here are spherical: traffic needs no more.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::TrackState;
use crate::track::Motion;
use crate::PartyId;

const EARTH_RADIUS_M: f64 = 6_371_000.0;
const FOOT_M: f64 = 0.3048;
/// Side of the square that holds 10,000 tracks (m).
const SIDE_PER_10K_TRACKS_M: f64 = 2_000_000.0;
/// The square's centre, `[lon, lat]`.
const CENTRE: [f64; 2] = [10.0, 50.0];
const PARTIES: u32 = 16;

/// Which traffic to generate (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrafficShape {
    /// Uniform density, 60 % on flight levels, 40 % climbing or descending anywhere.
    #[default]
    LevelsAndClimbers,
    /// Airways between cities, terminal areas, holding stacks, low-level traffic.
    Airways,
}

impl std::str::FromStr for TrafficShape {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "levels" => Ok(TrafficShape::LevelsAndClimbers),
            "airways" => Ok(TrafficShape::Airways),
            other => Err(format!(
                "unknown traffic shape {other:?}: expected levels or airways"
            )),
        }
    }
}

/// `n` tracks of the default shape, [`TrafficShape::LevelsAndClimbers`].
pub fn generate_traffic(n: usize, seed: u64, now: DateTime<Utc>) -> Vec<TrackState> {
    generate(TrafficShape::default(), n, seed, now)
}

/// `n` tracks of the given shape at `now` (airways: reported up to 30 s before).
pub fn generate(shape: TrafficShape, n: usize, seed: u64, now: DateTime<Utc>) -> Vec<TrackState> {
    match shape {
        TrafficShape::LevelsAndClimbers => levels_and_climbers(n, seed, now),
        TrafficShape::Airways => airways(n, seed, now),
    }
}

/// Square metres of airspace per aircraft in the levels-and-climbers shape (100 km²).
const AREA_PER_TRACK_M2: f64 = 100e6;
const LEVEL_PARTIES: u32 = 4;
const TOP_OF_CLIMBERS_M: f64 = 12_500.0;

fn levels_and_climbers(n: usize, seed: u64, now: DateTime<Utc>) -> Vec<TrackState> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let half_side_m = (AREA_PER_TRACK_M2 * n as f64).sqrt() / 2.0;
    (0..n)
        .map(|i| {
            let position = random_point(&mut rng, half_side_m);
            let (altitude_m, vertical_rate_mps) = if rng.random_bool(0.6) {
                let level = 10 * rng.random_range(10..=40);
                (f64::from(level) * 100.0 * FOOT_M, 0.0)
            } else {
                let rate = rng.random_range(5.0..15.0);
                let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                (rng.random_range(0.0..TOP_OF_CLIMBERS_M), sign * rate)
            };
            // 60 m/s near the ground to 260 m/s at the top, ±20 m/s.
            let speed = 60.0 + 200.0 * (altitude_m / TOP_OF_CLIMBERS_M).min(1.0);
            let ground_speed_mps = (speed + rng.random_range(-20.0..20.0)).clamp(60.0, 260.0);
            TrackState {
                owner: PartyId(format!("party-{}", rng.random_range(0..LEVEL_PARTIES))),
                track_id: format!("T{i:07}"),
                motion: Motion {
                    time: now,
                    lat_deg: position[1],
                    lon_deg: position[0],
                    altitude_m,
                    ground_speed_mps,
                    track_deg: rng.random_range(0.0..360.0),
                    vertical_rate_mps,
                },
                domain: crate::operation::Domain::Air,
            }
        })
        .collect()
}

fn airways(n: usize, seed: u64, now: DateTime<Utc>) -> Vec<TrackState> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let side_m = (SIDE_PER_10K_TRACKS_M * (n as f64 / 10_000.0).sqrt()).clamp(200e3, 7_000e3);
    let airspace = Airspace::new(&mut rng, side_m, n);
    (0..n)
        .map(|i| {
            let kind = rng.random::<f64>();
            let flight = if kind < 0.55 {
                airspace.cruise(&mut rng)
            } else if kind < 0.75 {
                airspace.climb_or_descent(&mut rng)
            } else if kind < 0.95 {
                airspace.terminal(&mut rng)
            } else {
                airspace.low_level(&mut rng)
            };
            let age_s = if rng.random_bool(0.02) {
                rng.random_range(4.0..30.0)
            } else {
                rng.random_range(0.0..4.0)
            };
            TrackState {
                owner: PartyId(format!("party-{:02}", rng.random_range(0..PARTIES))),
                track_id: format!("T{i:06}"),
                motion: Motion {
                    time: now - Duration::microseconds((age_s * 1e6) as i64),
                    lat_deg: flight.position[1],
                    lon_deg: flight.position[0],
                    altitude_m: flight.altitude_m,
                    ground_speed_mps: flight.speed_mps,
                    track_deg: flight.track_deg.rem_euclid(360.0),
                    vertical_rate_mps: flight.vertical_rate_mps,
                },
                domain: crate::operation::Domain::Air,
            }
        })
        .collect()
}

struct Flight {
    position: [f64; 2],
    altitude_m: f64,
    speed_mps: f64,
    track_deg: f64,
    vertical_rate_mps: f64,
}

struct Airspace {
    half_side_m: f64,
    cities: Vec<[f64; 2]>,
    /// Cumulative city weights (a few hubs, many small airports).
    cumulative_weight: Vec<f64>,
    routes: Vec<(usize, usize)>,
}

impl Airspace {
    fn new(rng: &mut ChaCha8Rng, side_m: f64, n: usize) -> Airspace {
        let half_side_m = side_m / 2.0;
        let cities: Vec<[f64; 2]> = (0..(n / 100).max(4))
            .map(|_| random_point(rng, half_side_m))
            .collect();
        // Heavy-tailed but bounded weights (mean ≈ 1.9, at most 8): whatever `n`, the busiest
        // hub has ~4 % of a 100-city share, i.e. ~90 terminal tracks, as a big real hub.
        let mut total = 0.0;
        let cumulative_weight = (0..cities.len())
            .map(|_| {
                total += (1.0 / rng.random_range(1e-6..1.0_f64).sqrt()).min(8.0);
                total
            })
            .collect();
        let routes = (0..(n / 60).max(4))
            .map(|_| {
                let from = rng.random_range(0..cities.len());
                let mut to = rng.random_range(0..cities.len() - 1);
                if to >= from {
                    to += 1;
                }
                (from, to)
            })
            .collect();
        Airspace {
            half_side_m,
            cities,
            cumulative_weight,
            routes,
        }
    }

    fn city(&self, rng: &mut ChaCha8Rng) -> [f64; 2] {
        let total = self.cumulative_weight[self.cumulative_weight.len() - 1];
        let pick = rng.random_range(0.0..total);
        let i = self.cumulative_weight.partition_point(|&w| w <= pick);
        self.cities[i.min(self.cities.len() - 1)]
    }

    fn cruise(&self, rng: &mut ChaCha8Rng) -> Flight {
        let (from, to) = self.routes[rng.random_range(0..self.routes.len())];
        let (mut start, mut end) = (self.cities[from], self.cities[to]);
        if rng.random_bool(0.5) {
            std::mem::swap(&mut start, &mut end);
        }
        let on_route = along(start, end, rng.random_range(0.02..0.98));
        let track_deg = bearing_deg(on_route, end);
        let offset_m = rng.random_range(-1.0..1.0) * rng.random_range(0.0..2_000.0);
        let position = destination(on_route, track_deg + 90.0, offset_m);
        let eastbound = track_deg.rem_euclid(360.0) < 180.0;
        let level = 250 + 20 * rng.random_range(0..9) + if eastbound { 0 } else { 10 };
        let vertical_rate_mps = if rng.random_bool(0.05) {
            rng.random_range(-8.0..8.0)
        } else {
            0.0
        };
        Flight {
            position,
            altitude_m: f64::from(level.min(410)) * 100.0 * FOOT_M,
            speed_mps: rng.random_range(210.0..250.0),
            track_deg,
            vertical_rate_mps,
        }
    }

    fn climb_or_descent(&self, rng: &mut ChaCha8Rng) -> Flight {
        let city = self.city(rng);
        let distance_m = rng.random_range(15_000.0..180_000.0);
        let bearing = rng.random_range(0.0..360.0);
        let position = destination(city, bearing, distance_m);
        let climbing = rng.random_bool(0.5);
        let (track_deg, vertical_rate_mps) = if climbing {
            (bearing, rng.random_range(5.0..15.0))
        } else {
            (bearing + 180.0, -rng.random_range(4.0..10.0))
        };
        let slope = rng.random_range(0.04..0.07);
        Flight {
            position,
            altitude_m: (300.0 + distance_m * slope).clamp(600.0, 11_500.0),
            speed_mps: (120.0 + distance_m * 6e-4 + rng.random_range(-10.0..10.0))
                .clamp(110.0, 240.0),
            track_deg: track_deg + rng.random_range(-30.0..30.0),
            vertical_rate_mps,
        }
    }

    fn terminal(&self, rng: &mut ChaCha8Rng) -> Flight {
        let city = self.city(rng);
        let distance_m = 60_000.0 * rng.random::<f64>().sqrt();
        let bearing = rng.random_range(0.0..360.0);
        let holding = rng.random_bool(0.3);
        let altitude_m = if holding {
            f64::from(rng.random_range(3..12) * 1_000) * FOOT_M
        } else {
            rng.random_range(450.0..3_600.0)
        };
        let track_deg = if rng.random_bool(0.5) {
            bearing + 90.0
        } else {
            rng.random_range(0.0..360.0)
        };
        let vertical_rate_mps = if holding || rng.random_bool(0.5) {
            0.0
        } else {
            rng.random_range(-6.0..6.0)
        };
        Flight {
            position: destination(city, bearing, distance_m),
            altitude_m,
            speed_mps: rng.random_range(65.0..130.0),
            track_deg,
            vertical_rate_mps,
        }
    }

    fn low_level(&self, rng: &mut ChaCha8Rng) -> Flight {
        let speed_mps = if rng.random_bool(0.2) {
            rng.random_range(0.0..5.0)
        } else {
            rng.random_range(10.0..70.0)
        };
        let vertical_rate_mps = if rng.random_bool(0.7) {
            0.0
        } else {
            rng.random_range(-3.0..3.0)
        };
        Flight {
            position: random_point(rng, self.half_side_m),
            altitude_m: rng.random_range(30.0..1_500.0),
            speed_mps,
            track_deg: rng.random_range(0.0..360.0),
            vertical_rate_mps,
        }
    }
}

/// A point uniformly in the square of half-side `half_side_m` (azimuthal equidistant) around
/// [`CENTRE`].
fn random_point(rng: &mut ChaCha8Rng, half_side_m: f64) -> [f64; 2] {
    let east_m = rng.random_range(-half_side_m..half_side_m);
    let north_m = rng.random_range(-half_side_m..half_side_m);
    destination(
        CENTRE,
        east_m.atan2(north_m).to_degrees(),
        east_m.hypot(north_m),
    )
}

fn to_unit(p: [f64; 2]) -> [f64; 3] {
    let (sin_lat, cos_lat) = p[1].to_radians().sin_cos();
    let (sin_lon, cos_lon) = p[0].to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

fn from_unit(v: [f64; 3]) -> [f64; 2] {
    [
        v[1].atan2(v[0]).to_degrees(),
        v[2].clamp(-1.0, 1.0).asin().to_degrees(),
    ]
}

/// The point at `fraction` of the great circle from `a` to `b`.
fn along(a: [f64; 2], b: [f64; 2], fraction: f64) -> [f64; 2] {
    let (u, v) = (to_unit(a), to_unit(b));
    let angle = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2])
        .clamp(-1.0, 1.0)
        .acos();
    if angle < 1e-12 {
        return a;
    }
    let (ku, kv) = (
        ((1.0 - fraction) * angle).sin() / angle.sin(),
        (fraction * angle).sin() / angle.sin(),
    );
    from_unit(std::array::from_fn(|i| ku * u[i] + kv * v[i]))
}

/// Initial great-circle bearing from `a` to `b` (degrees clockwise from north).
fn bearing_deg(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (lat_a, lat_b) = (a[1].to_radians(), b[1].to_radians());
    let dlon = (b[0] - a[0]).to_radians();
    let y = dlon.sin() * lat_b.cos();
    let x = lat_a.cos() * lat_b.sin() - lat_a.sin() * lat_b.cos() * dlon.cos();
    y.atan2(x).to_degrees()
}

/// The point `distance_m` from `p` along the great circle leaving at `bearing_deg`.
fn destination(p: [f64; 2], bearing_deg: f64, distance_m: f64) -> [f64; 2] {
    let (lat, lon) = (p[1].to_radians(), p[0].to_radians());
    let (delta, theta) = (distance_m / EARTH_RADIUS_M, bearing_deg.to_radians());
    let lat2 = (lat.sin() * delta.cos() + lat.cos() * delta.sin() * theta.cos()).asin();
    let lon2 =
        lon + (theta.sin() * delta.sin() * lat.cos()).atan2(delta.cos() - lat.sin() * lat2.sin());
    let lon2_deg = (lon2.to_degrees() + 180.0).rem_euclid(360.0) - 180.0;
    [lon2_deg, lat2.to_degrees()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_same_seed_gives_the_same_traffic() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(generate_traffic(500, 7, now), generate_traffic(500, 7, now));
        assert_ne!(generate_traffic(500, 7, now), generate_traffic(500, 8, now));
    }

    #[test]
    fn traffic_is_plausible() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        for t in generate_traffic(5_000, 1, now) {
            assert!(
                t.motion.lat_deg.abs() < 80.0 && t.motion.lon_deg.abs() <= 180.0,
                "{t:?}"
            );
            assert!((0.0..=13_000.0).contains(&t.motion.altitude_m), "{t:?}");
            assert!((0.0..=260.0).contains(&t.motion.ground_speed_mps), "{t:?}");
            assert!((0.0..360.0).contains(&t.motion.track_deg), "{t:?}");
            assert!(now - t.motion.time <= Duration::seconds(30) && t.motion.time <= now);
        }
    }
}
