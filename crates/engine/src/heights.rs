//! Vertical limits as authorities publish them (above WGS84, above mean sea level, above
//! ground) converted to deconflict's heights above the WGS84 ellipsoid (SPEC §4, heights).
//!
//! Every conversion keeps the zone at least as large as declared:
//!
//! | declared | lower limit becomes | upper limit becomes |
//! |---|---|---|
//! | WGS84 (ellipsoid) | as is | as is |
//! | AMSL | + the lowest EGM96 geoid height over the footprint | + the highest |
//! | AGL 0 | the surface: the lowest altitude deconflict handles (−500 m) | — |
//! | AGL, terrain model covering the footprint | + lowest ground in the footprint (AMSL) + lowest geoid | + highest ground + highest geoid |
//! | AGL, no terrain model (or it does not cover the footprint) | + the lowest bound of the bundled ground grid over the footprint (`deconflict_geometry::ground`: ETOPO5 in 0.25° cells, widened by their relief) + lowest geoid | + its highest bound + highest geoid |
//! | none (unlimited) | the surface | the highest altitude deconflict handles |
//!
//! Results are clamped to the altitudes deconflict handles (`Limits`, −500 m .. 30,000 m):
//! nothing can be filed outside them, so clamping never lets an operation through that the
//! declared zone would stop. The geoid range over a footprint is widened by the most the geoid
//! can change between samples (see `deconflict_geometry::geoid`), so an AMSL zone is at most
//! about a metre thicker than declared. The terrain model's heights are taken as above mean sea
//! level, as SRTM, Copernicus DEM and national models publish them; terrain on EGM2008 rather
//! than EGM96 differs by under a few metres.
//!
//! The [`HeightBasis`] of a zone says, limit by limit, what was declared and what was used; it
//! is stored with the zone and shown in its view.

use deconflict_geometry::geoid::Geoid;
use deconflict_geometry::ground;
use deconflict_geometry::terrain::{Terrain, EARTH_GROUND_MAX_M, EARTH_GROUND_MIN_M};
use deconflict_geometry::{FootprintSpec, Limits};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a declared height is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The WGS84 ellipsoid.
    Wgs84,
    /// Mean sea level.
    Amsl,
    /// The ground.
    Agl,
}

/// Which ground an above-ground limit was measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroundSource {
    /// The operator's terrain model, over the footprint.
    Terrain,
    /// No terrain model covered the footprint: the bound of the bundled ground grid over it.
    Bundled,
    /// The lowest and highest ground on Earth: zones imported before the bundled grid (kept so
    /// their logged views still read), and a footprint whose box cannot be formed.
    EarthBound,
}

/// How a zone's declared vertical limits became heights above the ellipsoid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeightBasis {
    /// The lower limit as declared and as converted, in words.
    pub lower: String,
    /// The upper limit as declared and as converted, in words.
    pub upper: String,
    /// The ground used for an above-ground limit other than the surface, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<GroundSource>,
}

/// The models a conversion uses: the geoid always, a terrain model when the operator gave one.
#[derive(Debug, Clone, Copy)]
pub struct Heights<'a> {
    pub geoid: &'a Geoid,
    pub terrain: Option<&'a Terrain>,
    pub limits: Limits,
}

/// A declared limit: metres (already converted from feet) from a reference; `None` for a limit
/// not given (unlimited).
pub type Declared = Option<(f64, Reference)>;

/// A converted band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub lower_m: f64,
    pub upper_m: f64,
    pub basis: HeightBasis,
}

/// The lon/lat box of a footprint, `(west, south, east, north)`, `east < west` across the
/// antimeridian, grown to cover what geodesic edges and circles reach between the given points;
/// from the pole all the way round when the footprint holds a pole (an exterior ring whose
/// longitude turns once around).
pub fn footprint_box(footprint: &FootprintSpec) -> Option<(f64, f64, f64, f64)> {
    let (center, radius_m) = match footprint {
        FootprintSpec::Point { coordinates } => (coordinates, 0.0),
        FootprintSpec::Circle { center, radius_m } => (center, *radius_m),
        FootprintSpec::Polygon { .. } | FootprintSpec::MultiPolygon { .. } => {
            let exteriors: Vec<Vec<[f64; 2]>> = footprint
                .polygons()
                .iter()
                .filter_map(|rings| rings.first())
                .map(|ring| {
                    ring.iter()
                        .filter_map(|p| Some([*p.first()?, *p.get(1)?]))
                        .collect()
                })
                .collect();
            return polygons_box(&exteriors);
        }
    };
    let (lon, lat) = (*center.first()?, *center.get(1)?);
    // A degree of latitude is at least 110,574 m; of longitude 111,320·cos(lat) m.
    let dlat = radius_m / 110_574.0 * 1.01;
    let north = (lat + dlat).min(90.0);
    let south = (lat - dlat).max(-90.0);
    let widest = north.abs().max(south.abs());
    if widest >= 89.0 {
        return Some((-180.0, south, 180.0, north));
    }
    let dlon = (radius_m / (111_320.0 * widest.to_radians().cos()) * 1.01).min(180.0);
    let wrap = |x: f64| {
        if x > 180.0 {
            x - 360.0
        } else if x < -180.0 {
            x + 360.0
        } else {
            x
        }
    };
    Some(if dlon >= 180.0 {
        (-180.0, south, 180.0, north)
    } else {
        (wrap(lon - dlon), south, wrap(lon + dlon), north)
    })
}

/// The signed change of longitude along a ring: about ±360 when it goes around a pole, about 0
/// otherwise.
fn turn_deg(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|pair| {
            let d = (pair[1][0] - pair[0][0]).rem_euclid(360.0);
            if d > 180.0 {
                d - 360.0
            } else {
                d
            }
        })
        .sum()
}

/// [`footprint_box`] of polygons given by their exterior rings (holes are inside them).
fn polygons_box(rings: &[Vec<[f64; 2]>]) -> Option<(f64, f64, f64, f64)> {
    let points: Vec<[f64; 2]> = rings.iter().flatten().copied().collect();
    if points.is_empty() {
        return None;
    }
    let south = points.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
    let north = points
        .iter()
        .map(|p| p[1])
        .fold(f64::NEG_INFINITY, f64::max);
    // Longitudes: the smallest arc holding them all (antimeridian-aware): sort, find the
    // widest gap, the box is its complement.
    let mut lons: Vec<f64> = points.iter().map(|p| p[0]).collect();
    lons.sort_by(f64::total_cmp);
    let mut widest = (lons[0] + 360.0 - lons[lons.len() - 1], lons.len() - 1);
    for i in 0..lons.len() - 1 {
        let gap = lons[i + 1] - lons[i];
        if gap > widest.0 {
            widest = (gap, i);
        }
    }
    let (west, east) = if widest.1 == lons.len() - 1 {
        (lons[0], lons[lons.len() - 1])
    } else {
        (lons[widest.1 + 1], lons[widest.1])
    };
    // A geodesic edge bows poleward of its ends by at most about Δλ²·sin φ·cos φ / 8 radians
    // (Δλ its span of longitude); 0.002·Δλ² degrees bounds that with room, plus 0.001° for
    // rounding. Its longitude stays between its ends'.
    let span = rings
        .iter()
        .flat_map(|ring| ring.windows(2))
        .map(|pair| {
            let d = (pair[1][0] - pair[0][0]).abs();
            if d > 180.0 {
                360.0 - d
            } else {
                d
            }
        })
        .fold(0.0, f64::max);
    let margin = 0.001 + 0.002 * span * span;
    let around_pole = |north_pole: bool| {
        rings.iter().any(|ring| {
            let mean_lat = ring.iter().map(|p| p[1]).sum::<f64>() / ring.len().max(1) as f64;
            turn_deg(ring).abs() > 180.0 && (mean_lat >= 0.0) == north_pole
        })
    };
    let (north, south) = (
        if around_pole(true) { 90.0 } else { north },
        if around_pole(false) { -90.0 } else { south },
    );
    let north = if north + margin >= 89.0 {
        90.0
    } else {
        north + margin
    };
    let south = if south - margin <= -89.0 {
        -90.0
    } else {
        south - margin
    };
    if north >= 90.0 || south <= -90.0 {
        return Some((-180.0, south, 180.0, north));
    }
    let wrap = |x: f64| {
        if x > 180.0 {
            x - 360.0
        } else if x < -180.0 {
            x + 360.0
        } else {
            x
        }
    };
    Some((wrap(west - 0.001), south, wrap(east + 0.001), north))
}

impl Heights<'_> {
    /// Converts a declared band over a footprint.
    pub fn convert(&self, footprint: &FootprintSpec, lower: Declared, upper: Declared) -> Band {
        let bbox = footprint_box(footprint);
        let geoid = bbox.map(|(w, s, e, n)| self.geoid.range_over(w, s, e, n));
        // A footprint whose box cannot be formed is refused by validation later; the geoid's
        // global extremes keep the conversion conservative meanwhile.
        let (geoid_min, geoid_max) = geoid.map_or((-107.0, 86.0), |g| (g.min_m, g.max_m));
        let needs_ground = matches!(lower, Some((v, Reference::Agl)) if v != 0.0)
            || matches!(upper, Some((_, Reference::Agl)));
        let (ground, source) = if needs_ground {
            let covered = match (self.terrain, bbox) {
                (Some(terrain), Some((w, s, e, n))) if w <= e => terrain.ground_range(w, s, e, n),
                _ => None,
            };
            match (covered, bbox) {
                (Some(range), _) => ((range.min_m, range.max_m), Some(GroundSource::Terrain)),
                (None, Some((w, s, e, n))) => {
                    let range = ground::bundled().range_over(w, s, e, n);
                    ((range.min_m, range.max_m), Some(GroundSource::Bundled))
                }
                (None, None) => (
                    (EARTH_GROUND_MIN_M, EARTH_GROUND_MAX_M),
                    Some(GroundSource::EarthBound),
                ),
            }
        } else {
            ((EARTH_GROUND_MIN_M, EARTH_GROUND_MAX_M), None)
        };
        let ground_words = |value: f64| {
            match source {
            Some(GroundSource::Terrain) => format!("ground {value:.1} m AMSL in the terrain model"),
            Some(GroundSource::Bundled) => format!(
                "ground {value:.1} m AMSL, the bound of the bundled ETOPO5 grid (0.25° cells widened by their relief; no terrain model covers the footprint)"
            ),
            _ => format!("ground {value:.1} m AMSL, the Earth's extreme (no terrain model covers the footprint)"),
        }
        };
        let (min_m, max_m) = (self.limits.altitude_min_m, self.limits.altitude_max_m);
        let (lower_m, lower_words) = match lower {
            None => (min_m, "not given: the surface".to_owned()),
            Some((0.0, Reference::Agl)) => (min_m, "0 m AGL: the surface".to_owned()),
            Some((value, Reference::Wgs84)) => (value, format!("{value} m WGS84: as declared")),
            Some((value, Reference::Amsl)) => {
                let h = value + geoid_min;
                (h, format!("{value} m AMSL + lowest {} geoid {geoid_min:.2} m over the footprint = {h:.2} m", Geoid::NAME))
            }
            Some((value, Reference::Agl)) => {
                let h = value + ground.0 + geoid_min;
                (h, format!("{value} m AGL over the lowest {} + lowest {} geoid {geoid_min:.2} m = {h:.2} m", ground_words(ground.0), Geoid::NAME))
            }
        };
        let (upper_m, upper_words) = match upper {
            None => (
                max_m,
                format!("not given: the top of the airspace deconflict handles, {max_m} m"),
            ),
            Some((value, Reference::Wgs84)) => (value, format!("{value} m WGS84: as declared")),
            Some((value, Reference::Amsl)) => {
                let h = value + geoid_max;
                (h, format!("{value} m AMSL + highest {} geoid {geoid_max:.2} m over the footprint = {h:.2} m", Geoid::NAME))
            }
            Some((value, Reference::Agl)) => {
                let h = value + ground.1 + geoid_max;
                (h, format!("{value} m AGL over the highest {} + highest {} geoid {geoid_max:.2} m = {h:.2} m", ground_words(ground.1), Geoid::NAME))
            }
        };
        let clamp_note = |h: f64| {
            if h > max_m {
                format!(" (clamped to {max_m} m, the highest altitude deconflict handles)")
            } else if h < min_m {
                format!(" (clamped to {min_m} m, the lowest altitude deconflict handles)")
            } else {
                String::new()
            }
        };
        Band {
            lower_m: lower_m.clamp(min_m, max_m),
            upper_m: upper_m.clamp(min_m, max_m),
            basis: HeightBasis {
                lower: format!("{lower_words}{}", clamp_note(lower_m)),
                upper: format!("{upper_words}{}", clamp_note(upper_m)),
                ground: source,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64, d: f64) -> FootprintSpec {
        FootprintSpec::Polygon {
            coordinates: vec![vec![
                vec![lon, lat],
                vec![lon + d, lat],
                vec![lon + d, lat + d],
                vec![lon, lat + d],
                vec![lon, lat],
            ]],
        }
    }

    #[test]
    fn amsl_limits_are_converted_within_a_metre_and_never_shrink_the_zone() {
        let geoid = Geoid::new();
        let heights = Heights {
            geoid: &geoid,
            terrain: None,
            limits: Limits::default(),
        };
        let footprint = square(7.44, 46.94, 0.02);
        let band = heights.convert(
            &footprint,
            Some((500.0, Reference::Amsl)),
            Some((1500.0, Reference::Amsl)),
        );
        let n = geoid.height_m(7.45, 46.95);
        // Declared 1,000 m thick; converted at most ~1 m thicker, and containing the truth.
        assert!(
            band.lower_m <= 500.0 + n && band.upper_m >= 1500.0 + n,
            "{band:?}"
        );
        assert!(band.upper_m - band.lower_m < 1000.0 + 1.5, "{band:?}");
        assert!(band.basis.upper.contains("EGM96"), "{:?}", band.basis);
        assert_eq!(band.basis.ground, None);
    }

    #[test]
    fn agl_without_terrain_uses_the_bundled_grid_and_says_so() {
        let geoid = Geoid::new();
        let heights = Heights {
            geoid: &geoid,
            terrain: None,
            limits: Limits::default(),
        };
        // Bern: the bundled grid's bound over the footprint, never below the ground it bounds.
        let footprint = square(7.44, 46.94, 0.02);
        let band = heights.convert(
            &footprint,
            Some((30.0, Reference::Agl)),
            Some((120.0, Reference::Agl)),
        );
        let (w, s, e, n) = footprint_box(&footprint).unwrap();
        let bound = ground::bundled().range_over(w, s, e, n);
        let geoid_range = geoid.range_over(w, s, e, n);
        assert_eq!(
            band.upper_m,
            120.0 + bound.max_m + geoid_range.max_m,
            "{band:?}"
        );
        assert_eq!(
            band.lower_m,
            30.0 + bound.min_m + geoid_range.min_m,
            "{band:?}"
        );
        // Bern stands on about 540 m; the bound is wider, but far from the Earth's extremes.
        assert!(bound.min_m < 540.0 && bound.max_m > 540.0 && bound.max_m < EARTH_GROUND_MAX_M);
        assert_eq!(band.basis.ground, Some(GroundSource::Bundled));
        assert!(
            band.basis.upper.contains("bundled ETOPO5"),
            "{:?}",
            band.basis
        );
        // The surface stays the surface.
        let surface = heights.convert(&footprint, Some((0.0, Reference::Agl)), None);
        assert_eq!(surface.lower_m, -500.0);
    }

    #[test]
    fn agl_with_terrain_uses_the_ground_in_the_footprint() {
        let geoid = Geoid::new();
        // A 0.01° grid over 7..8 E, 46.5..47.5 N; column c has ground 500 + 10·(c mod 13) m,
        // so the footprint below (columns 19..=21) stands on 560..580 m.
        let grid: Vec<f32> = (0..100).map(|i| 500.0 + (i % 13) as f32 * 10.0).collect();
        let bytes =
            deconflict_geometry::terrain::write_geotiff(7.0, 47.5, 0.01, 100, &grid.repeat(100))
                .unwrap();
        let terrain = Terrain::from_geotiff(&bytes).unwrap();
        let heights = Heights {
            geoid: &geoid,
            terrain: Some(&terrain),
            limits: Limits::default(),
        };
        let band = heights.convert(
            &square(7.20, 47.20, 0.01),
            Some((30.0, Reference::Agl)),
            Some((120.0, Reference::Agl)),
        );
        let n = geoid.height_m(7.205, 47.205);
        assert_eq!(band.basis.ground, Some(GroundSource::Terrain));
        assert!(
            band.upper_m >= 120.0 + 580.0 + n && band.upper_m < 120.0 + 580.0 + n + 2.0,
            "{band:?}"
        );
        assert!(
            band.lower_m <= 30.0 + 560.0 + n && band.lower_m > 30.0 + 560.0 + n - 2.0,
            "{band:?}"
        );
        // A footprint the terrain does not cover falls back to the bundled grid.
        let outside = heights.convert(
            &square(9.0, 47.2, 0.01),
            None,
            Some((120.0, Reference::Agl)),
        );
        assert_eq!(outside.basis.ground, Some(GroundSource::Bundled));
    }

    #[test]
    fn an_unlimited_or_huge_upper_limit_is_the_top_of_the_airspace() {
        let geoid = Geoid::new();
        let heights = Heights {
            geoid: &geoid,
            terrain: None,
            limits: Limits::default(),
        };
        let band = heights.convert(
            &square(7.0, 46.0, 0.01),
            None,
            Some((99_999.0, Reference::Agl)),
        );
        assert_eq!((band.lower_m, band.upper_m), (-500.0, 30_000.0));
        assert!(band.basis.upper.contains("clamped"));
        let band = heights.convert(&square(7.0, 46.0, 0.01), Some((0.0, Reference::Agl)), None);
        assert_eq!(band.upper_m, 30_000.0);
    }

    #[test]
    fn the_box_of_a_footprint_across_the_antimeridian_wraps() {
        let (w, _, e, _) = footprint_box(&square(179.9, -17.0, 0.2)).unwrap();
        assert!(w > 179.0 && e < -179.0, "{w} {e}");
    }
}
