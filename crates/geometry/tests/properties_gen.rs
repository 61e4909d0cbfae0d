use proptest::prelude::*;
/// A random shape, before it is placed: a circle or a star-shaped polygon.
#[derive(Debug, Clone)]
struct ShapeParams {
    circle: bool,
    corners: usize,
    /// Corner distance from the centre, as a fraction of `size_m`.
    radii: Vec<f64>,
    /// Corner azimuth offset, as a fraction of the angular slot of one corner.
    jitter: Vec<f64>,
    rotation_deg: f64,
    size_m: f64,
}

fn shape_params(min_size_m: f64, max_size_m: f64) -> impl Strategy<Value = ShapeParams> {
    (
        proptest::bool::weighted(0.3),
        3usize..=10,
        proptest::collection::vec(0.25..1.0f64, 10),
        proptest::collection::vec(-0.2..0.2f64, 10),
        0.0..360.0f64,
        min_size_m..max_size_m,
    )
        .prop_map(
            |(circle, corners, radii, jitter, rotation_deg, size_m)| ShapeParams {
                circle,
                corners,
                radii,
                jitter,
                rotation_deg,
                size_m,
            },
        )
}

impl ShapeParams {
    /// The corners' azimuths and distances from the centre (increasing azimuths).
    fn corners(&self) -> Vec<(f64, f64)> {
        let slot = 360.0 / self.corners as f64;
        (0..self.corners)
            .map(|k| {
                let az = self.rotation_deg + slot * (k as f64 + self.jitter[k]);
                (az, self.radii[k] * self.size_m)
            })
            .collect()
    }

    fn place(&self, centre: [f64; 2]) -> FootprintSpec {
        if self.circle {
            return circle(centre, self.size_m);
        }
        let (az, r): (Vec<f64>, Vec<f64>) = self.corners().into_iter().unzip();
        star(centre, &az, &r)
    }
}

/// Centres anywhere, next to the antimeridian, and near either pole.
fn centre() -> impl Strategy<Value = [f64; 2]> {
    prop_oneof![
        (-180.0..180.0f64, -80.0..80.0f64).prop_map(|(lon, lat)| [lon, lat]),
        (-0.3..0.3f64, -70.0..70.0f64).prop_map(|(d, lat)| [wrap(180.0 + d), lat]),
        (-180.0..180.0f64, 86.0..89.4f64).prop_map(|(lon, lat)| [lon, lat]),
        (-180.0..180.0f64, -89.4..-86.0f64).prop_map(|(lon, lat)| [lon, lat]),
    ]
}

/// A pair of shapes under 200 km apart: the second centre `gap_m` from the first, mostly
/// within 60 km (so they often overlap), sometimes up to 200 km.
fn pair() -> impl Strategy<Value = (FootprintSpec, FootprintSpec)> {
    (
        centre(),
        shape_params(100.0, 15_000.0),
        shape_params(100.0, 15_000.0),
        0.0..360.0f64,
        prop_oneof![3 => 0.0..60_000.0f64, 1 => 60_000.0..200_000.0f64],
    )
        .prop_map(|(c1, s1, s2, azimuth, gap_m)| {
            let c2 = direct(c1, azimuth, gap_m);
            (s1.place(c1), s2.place(c2))
        })
}
