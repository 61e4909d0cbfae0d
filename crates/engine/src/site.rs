//! Protected sites (SPEC §5.5): places and movements a `humanitarian` party notifies so that
//! others keep clear of them — a hospital, a school, a shelter, a camp, a water or power
//! facility (a Point or a Polygon), or a convoy (a LineString route driven over one window).
//!
//! A site is *present* at the times of its schedule (always, without one). A convoy is present
//! only during its one window, and is expected to progress along its route at a uniform rate,
//! from the first position at the window's start to the last at its end: at time `t` it is at
//! [`Site::convoy_position`]. Everything within `buffer_m` of the site while it is present is
//! *near* it; altitude plays no part (what falls from any height endangers a hospital).
//!
//! Distances to a Point or a Polygon are exact (the geometry crate's geodesic distances). A
//! route is sampled: the distance from a footprint to a stretch of road between two samples
//! `h` apart (measured along the road) is at least the smaller of the two samples' distances
//! minus `h / 2`, because a distance to a set changes no faster than one moves. Stretches that
//! could come within the buffer by that bound are resampled every [`ROUTE_FINE_M`]; the result
//! is a lower bound, at most `ROUTE_FINE_M / 2` below the truth. So a site is never found
//! farther than it is: a check can only err towards an alert.

use chrono::{DateTime, Utc};
use deconflict_geometry::{geodesic_direct, geodesic_inverse, Footprint, FootprintSpec, Limits};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::EngineError;
use crate::ids::PartyId;
use crate::zone::Schedule;

/// The widest buffer a site may ask for (m).
pub const MAX_BUFFER_M: f64 = 100_000.0;
/// Most positions of a convoy route.
pub const MAX_ROUTE_POSITIONS: usize = 10_000;
/// Longest route (m).
pub const MAX_ROUTE_M: f64 = 5_000_000.0;
/// First sampling step along a route (m).
pub const ROUTE_COARSE_M: f64 = 2_000.0;
/// Sampling step along the stretches of a route that may be near (m); a route's distance is
/// never more than half of this below the truth.
pub const ROUTE_FINE_M: f64 = 20.0;
/// Longest name and description, in characters.
pub const NAME_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Hospital,
    School,
    Shelter,
    Camp,
    WaterFacility,
    PowerFacility,
    /// A movement along a route (LineString) over one window.
    Convoy,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Hospital => "hospital",
            SiteKind::School => "school",
            SiteKind::Shelter => "shelter",
            SiteKind::Camp => "camp",
            SiteKind::WaterFacility => "water_facility",
            SiteKind::PowerFacility => "power_facility",
            SiteKind::Convoy => "convoy",
        }
    }
}

/// The site's place, as GeoJSON (RFC 7946): a Point, a Polygon, or a convoy's LineString route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum SiteGeometry {
    Point { coordinates: Vec<f64> },
    Polygon { coordinates: Vec<Vec<Vec<f64>>> },
    LineString { coordinates: Vec<Vec<f64>> },
}

/// A site as notified (`PUT /v1/sites/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub name: String,
    pub kind: SiteKind,
    #[schema(value_type = Object)]
    pub geometry: SiteGeometry,
    /// How close nobody should come (m), measured from the point, the polygon, or the convoy.
    pub buffer_m: f64,
    /// When the site is present; a convoy's is exactly one window (its expected progress runs
    /// along the route over it). Without one, a fixed site is always present.
    #[serde(default)]
    pub schedule: Schedule,
    /// Free text shown to whoever comes near (beds, contact, markings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A convoy's route: geodesic legs between its positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    points: Vec<[f64; 2]>,
    /// (length m, azimuth at the start in degrees) of each leg.
    legs: Vec<(f64, f64)>,
    /// Distance along the route at each position.
    along: Vec<f64>,
}

impl Route {
    pub fn length_m(&self) -> f64 {
        *self.along.last().expect("a route has positions")
    }

    /// The point `s` metres along the route (clamped to its ends).
    pub fn at(&self, s: f64) -> [f64; 2] {
        let s = s.clamp(0.0, self.length_m());
        let leg = self
            .along
            .partition_point(|&a| a <= s)
            .saturating_sub(1)
            .min(self.legs.len() - 1);
        let (_, azimuth) = self.legs[leg];
        if s >= self.length_m() {
            return *self.points.last().expect("a route has positions");
        }
        let into = s - self.along[leg];
        if into <= 0.0 {
            return self.points[leg];
        }
        geodesic_direct(self.points[leg], azimuth, into)
    }

    /// A lower bound on the least of `distance(p)` over the stretch `[s0, s1]` of the route,
    /// for a `distance` that changes no faster than `p` moves (a geodesic distance to a fixed
    /// set). Exact to [`ROUTE_FINE_M`]` / 2` wherever it is at most `near_m`; elsewhere it may be
    /// coarser, but then it is above `near_m`.
    pub fn least_distance(
        &self,
        s0: f64,
        s1: f64,
        near_m: f64,
        distance: impl Fn([f64; 2]) -> f64,
    ) -> f64 {
        self.near_stretch(s0, s1, near_m, distance).0
    }

    /// [`Route::least_distance`], and the part of `[s0, s1]` that may be within `near_m`: from
    /// the first to the last fine sample whose bound is within it, each widened by half a fine
    /// step (every point truly within `near_m` is that close to such a sample).
    pub fn near_stretch(
        &self,
        s0: f64,
        s1: f64,
        near_m: f64,
        distance: impl Fn([f64; 2]) -> f64,
    ) -> (f64, Option<(f64, f64)>) {
        let (s0, s1) = (s0.max(0.0), s1.min(self.length_m()));
        if s1 <= s0 {
            let d = distance(self.at(s0));
            return (d, (d <= near_m).then_some((s0, s0)));
        }
        let samples = |a: f64, b: f64, step: f64| -> (f64, Vec<f64>) {
            let n = ((b - a) / step).ceil().max(1.0) as usize;
            let h = (b - a) / n as f64;
            (
                h,
                (0..=n)
                    .map(|k| distance(self.at(a + h * k as f64)))
                    .collect(),
            )
        };
        let (h, coarse) = samples(s0, s1, ROUTE_COARSE_M);
        let mut least = f64::INFINITY;
        let mut span: Option<(f64, f64)> = None;
        for k in 0..coarse.len() - 1 {
            let bound = coarse[k].min(coarse[k + 1]) - h / 2.0;
            if bound > near_m {
                least = least.min(bound);
                continue;
            }
            let a = s0 + h * k as f64;
            let (fine_h, fine) = samples(a, a + h, ROUTE_FINE_M);
            for (j, d) in fine.iter().enumerate() {
                let lower = d - fine_h / 2.0;
                least = least.min(lower);
                if lower <= near_m {
                    let at = a + fine_h * j as f64;
                    let (lo, hi) = ((at - fine_h / 2.0).max(s0), (at + fine_h / 2.0).min(s1));
                    span = Some(span.map_or((lo, hi), |(l, u)| (l.min(lo), u.max(hi))));
                }
            }
        }
        (least.max(0.0), span)
    }
}

/// A site's validated place.
#[derive(Debug, Clone)]
pub enum SiteShape {
    Point([f64; 2]),
    Area(Footprint),
    Route(Route),
}

#[derive(Clone, Debug)]
pub struct Site {
    pub id: String,
    pub owner: PartyId,
    pub spec: SiteSpec,
    pub version: u64,
    pub shape: SiteShape,
    pub updated_at: DateTime<Utc>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> EngineError {
    EngineError::InvalidParameter {
        field,
        reason: reason.into(),
    }
}

fn position(p: &[f64], field: &'static str) -> Result<[f64; 2], EngineError> {
    match p {
        [lon, lat] | [lon, lat, _]
            if lon.is_finite()
                && lat.is_finite()
                && (-180.0..=180.0).contains(lon)
                && (-90.0..=90.0).contains(lat) =>
        {
            Ok([*lon, *lat])
        }
        _ => Err(invalid(
            field,
            format!("{p:?} is not a position [longitude, latitude] in range"),
        )),
    }
}

impl SiteSpec {
    /// Checks the site and builds its shape; the field at fault otherwise.
    pub fn validate(&self, limits: &Limits) -> Result<SiteShape, EngineError> {
        crate::ids::check_text("name", &self.name, NAME_MAX_CHARS)?;
        if let Some(description) = &self.description {
            crate::ids::check_printable("description", description, true)?;
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS)
        {
            return Err(EngineError::TooLong {
                field: "description",
                max: DESCRIPTION_MAX_CHARS,
            });
        }
        if !(self.buffer_m.is_finite() && (0.0..=MAX_BUFFER_M).contains(&self.buffer_m)) {
            return Err(invalid(
                "/buffer_m",
                format!(
                    "buffer {} m must be a distance from 0 to {MAX_BUFFER_M} m",
                    self.buffer_m
                ),
            ));
        }
        self.schedule.check()?;
        let convoy = self.kind == SiteKind::Convoy;
        match &self.geometry {
            SiteGeometry::Point { coordinates } if !convoy => Ok(SiteShape::Point(position(
                coordinates,
                "/geometry/coordinates",
            )?)),
            SiteGeometry::Polygon { coordinates } if !convoy => {
                let spec = FootprintSpec::Polygon {
                    coordinates: coordinates.clone(),
                };
                Footprint::from_spec(&spec, limits)
                    .map(SiteShape::Area)
                    .map_err(|error| invalid("/geometry", error.to_string()))
            }
            SiteGeometry::LineString { coordinates } if convoy => {
                if self.schedule.windows.len() != 1 || !self.schedule.weekly.is_empty() {
                    return Err(invalid(
                        "/schedule",
                        "a convoy's schedule is exactly one window (its expected progress \
                         along the route), with no weekly slots",
                    ));
                }
                self.route(coordinates).map(SiteShape::Route)
            }
            SiteGeometry::LineString { .. } => Err(invalid(
                "/geometry",
                "a LineString route is for a convoy; a fixed site is a Point or a Polygon",
            )),
            _ => Err(invalid(
                "/geometry",
                "a convoy's geometry is its route, a LineString",
            )),
        }
    }

    fn route(&self, coordinates: &[Vec<f64>]) -> Result<Route, EngineError> {
        let field = "/geometry/coordinates";
        if coordinates.len() > MAX_ROUTE_POSITIONS {
            return Err(invalid(
                field,
                format!("at most {MAX_ROUTE_POSITIONS} positions"),
            ));
        }
        let mut points: Vec<[f64; 2]> = Vec::with_capacity(coordinates.len());
        for p in coordinates {
            let p = position(p, field)?;
            if points.last() != Some(&p) {
                points.push(p);
            }
        }
        if points.len() < 2 {
            return Err(invalid(field, "a route needs two distinct positions"));
        }
        let legs: Vec<(f64, f64)> = points
            .windows(2)
            .map(|w| geodesic_inverse(w[0], w[1]))
            .collect();
        let mut along = vec![0.0];
        for (length, _) in &legs {
            along.push(along.last().expect("not empty") + length);
        }
        let route = Route {
            points,
            legs,
            along,
        };
        if route.length_m() > MAX_ROUTE_M {
            return Err(invalid(
                field,
                format!("the route is longer than {MAX_ROUTE_M} m"),
            ));
        }
        Ok(route)
    }
}

/// How a volume or a track comes near a site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearness {
    /// A lower bound on the distance while both are there (m): at most the buffer.
    pub distance_m: f64,
    /// When (the part of the window in which the site is present).
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Site {
    /// The convoy's window, if this is a convoy.
    pub fn convoy_window(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match self.shape {
            SiteShape::Route(_) => self.spec.schedule.windows.first().map(|w| (w.start, w.end)),
            _ => None,
        }
    }

    /// Distance along a convoy's route at `t` (clamped to its window).
    fn along_at(&self, route: &Route, t: DateTime<Utc>) -> f64 {
        let (start, end) = self.convoy_window().expect("a route has a window");
        let total = (end - start).num_milliseconds() as f64;
        let done = (t.clamp(start, end) - start).num_milliseconds() as f64;
        route.length_m() * done / total
    }

    /// When a convoy is expected `s` metres along its route, to the millisecond before (or,
    /// with `after`, after) it.
    fn time_at(&self, route: &Route, s: f64, after: bool) -> DateTime<Utc> {
        let (start, end) = self.convoy_window().expect("a route has a window");
        let total = (end - start).num_milliseconds() as f64;
        let at = total * (s / route.length_m()).clamp(0.0, 1.0);
        let ms = if after { at.ceil() } else { at.floor() };
        start + chrono::Duration::milliseconds(ms as i64)
    }

    /// Where a convoy is expected at `t` (its first or last position outside its window).
    pub fn convoy_position(&self, t: DateTime<Utc>) -> Option<[f64; 2]> {
        match &self.shape {
            SiteShape::Route(route) => Some(route.at(self.along_at(route, t))),
            _ => None,
        }
    }

    /// A convoy's expected speed (m/s); 0 for a fixed site.
    pub fn speed_mps(&self) -> f64 {
        match (&self.shape, self.convoy_window()) {
            (SiteShape::Route(route), Some((start, end))) => {
                route.length_m() / ((end - start).num_milliseconds() as f64 / 1000.0)
            }
            _ => 0.0,
        }
    }

    /// Whether the site is there at some time of `[from, to)`.
    pub fn present_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        match self.convoy_window() {
            Some((start, end)) => from < end && start < to,
            None => self.spec.schedule.meets(from, to),
        }
    }

    /// Whether a footprint over `[from, to)` comes within the buffer of the site while it is
    /// present; for a convoy, of the stretch of road it covers meanwhile.
    pub fn near_footprint(
        &self,
        footprint: &Footprint,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<Nearness> {
        let buffer = self.spec.buffer_m;
        let (distance, from, to) = match &self.shape {
            SiteShape::Point(p) => (footprint.distance_to_point_m(*p), from, to),
            SiteShape::Area(area) => (footprint.distance_m(area), from, to),
            SiteShape::Route(route) => {
                let (start, end) = self.convoy_window()?;
                let (from, to) = (from.max(start), to.min(end));
                if from >= to {
                    return None;
                }
                let (s0, s1) = (self.along_at(route, from), self.along_at(route, to));
                let near_m = buffer + deconflict_geometry::ALLOWANCE_M;
                let (d, span) =
                    route.near_stretch(s0, s1, near_m, |p| footprint.distance_to_point_m(p));
                // When the convoy drives the stretch that may be near (it moves at a steady
                // pace, so distance along the road maps linearly to time).
                let (lo, hi) = span?;
                let near_from = self.time_at(route, lo, false).max(from);
                let near_to = self
                    .time_at(route, hi, true)
                    .min(to)
                    .max(near_from + chrono::Duration::milliseconds(1));
                (d, near_from, near_to)
            }
        };
        (distance <= buffer + deconflict_geometry::ALLOWANCE_M
            && self.spec.schedule.meets(from, to))
        .then_some(Nearness {
            distance_m: distance,
            from,
            to,
        })
    }

    /// Whether a footprint comes within the buffer of the site at any time it is there (a
    /// convoy: of any part of its route).
    pub fn ever_near_footprint(&self, footprint: &Footprint) -> bool {
        let buffer = self.spec.buffer_m + deconflict_geometry::ALLOWANCE_M;
        let distance = match &self.shape {
            SiteShape::Point(p) => footprint.distance_to_point_m(*p),
            SiteShape::Area(area) => footprint.distance_m(area),
            SiteShape::Route(route) => route.least_distance(0.0, route.length_m(), buffer, |p| {
                footprint.distance_to_point_m(p)
            }),
        };
        distance <= buffer
    }

    /// Distance from `p` to the site as it is at `t` (a convoy: to its expected position), or
    /// `None` when the site is not present then.
    pub fn distance_at(&self, p: [f64; 2], t: DateTime<Utc>) -> Option<f64> {
        match &self.shape {
            SiteShape::Point(q) => Some(deconflict_geometry::geodesic_distance_m(p, *q)),
            SiteShape::Area(area) => Some(area.distance_to_point_m(p)),
            SiteShape::Route(route) => {
                let (start, end) = self.convoy_window()?;
                (start <= t && t < end).then(|| {
                    deconflict_geometry::geodesic_distance_m(p, route.at(self.along_at(route, t)))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Window;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn convoy() -> Site {
        let spec = SiteSpec {
            name: "Convoy".into(),
            kind: SiteKind::Convoy,
            geometry: SiteGeometry::LineString {
                coordinates: vec![vec![36.30, 33.51], vec![36.50, 34.00], vec![36.72, 34.73]],
            },
            buffer_m: 1_000.0,
            schedule: Schedule {
                windows: vec![Window {
                    start: at("2026-01-01T06:00:00Z"),
                    end: at("2026-01-01T09:00:00Z"),
                }],
                weekly: Vec::new(),
            },
            description: None,
        };
        let shape = spec.validate(&Limits::default()).unwrap();
        Site {
            id: "c".into(),
            owner: PartyId("h".into()),
            spec,
            version: 1,
            shape,
            updated_at: at("2026-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn a_convoy_progresses_uniformly_along_its_route() {
        let site = convoy();
        let SiteShape::Route(route) = &site.shape else {
            panic!()
        };
        assert_eq!(
            site.convoy_position(at("2026-01-01T05:00:00Z")),
            Some([36.30, 33.51])
        );
        let end = site.convoy_position(at("2026-01-01T09:30:00Z")).unwrap();
        assert!((end[0] - 36.72).abs() < 1e-9 && (end[1] - 34.73).abs() < 1e-9);
        let half = site.convoy_position(at("2026-01-01T07:30:00Z")).unwrap();
        let (to_start, _) = geodesic_inverse([36.30, 33.51], [36.50, 34.00]);
        let (first_half, _) = geodesic_inverse([36.50, 34.00], half);
        assert!((to_start + first_half - route.length_m() / 2.0).abs() < 0.01);
    }

    #[test]
    fn route_distance_is_a_tight_lower_bound() {
        let site = convoy();
        let SiteShape::Route(route) = &site.shape else {
            panic!()
        };
        let target = [36.55, 34.1];
        let fast = route.least_distance(0.0, route.length_m(), 50_000.0, |p| {
            deconflict_geometry::geodesic_distance_m(p, target)
        });
        let brute = (0..=200_000)
            .map(|k| route.at(route.length_m() * k as f64 / 200_000.0))
            .map(|p| deconflict_geometry::geodesic_distance_m(p, target))
            .fold(f64::INFINITY, f64::min);
        assert!(
            fast <= brute && fast >= brute - ROUTE_FINE_M / 2.0 - 2.0,
            "{fast} vs {brute}"
        );
    }
}
