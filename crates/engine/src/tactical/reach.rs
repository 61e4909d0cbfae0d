//! Where a track can be over the look-ahead, and why two tracks that cannot reach each other
//! cannot be in conflict: the ground on which the index ([`super::grid`]) skips pairs.
//!
//! **Reach.** A track's ground point follows `P + V·t` (straight in ECEF) for `t` in `[0, T]`.
//! Its reach is that segment grown by `g = H/2 + turn + 1 m`, where
//! `turn = k·T·s·(H + 1 m + 2·T·s)`, `k = a²/b³`, accounts for the pair frame's "up" not being
//! the track's own. Its altitude reach is the band from `z` to `z + vz·T` grown by
//! `(V − 1 cm)/2 + 1 µm`.
//!
//! **Claim.** If for every `t` in `[0, T]` the two ground points are farther apart in ECEF than
//! `g_a + g_b`, or the two altitude bands are disjoint, the rule finds no conflict.
//! - Altitude: disjoint bands give `|dz + vz·t| > V − 1 cm + 2 µm` for every `t` in `[0, T]`,
//!   so the vertical interval misses `[0, T]`.
//! - Ground: let `w(t) = ΔP + ΔV·t` with `|w(t)| > g_a + g_b`. If the chord `c = |ΔP|` is at
//!   least `H + (s_a + s_b)·T + 1 m`, the rule answers "no conflict" before anything else (its
//!   reach test). Otherwise the rule's relative position is `d(t) = w(t) − (w(t)·u)·u`, `u` the
//!   normal at the chord's midpoint, so `|d(t)| ≥ |w(t)| − |ΔP·u| − t·|ΔV·u|`. `ΔP·u` is zero
//!   for ground points on the ellipsoid (rounding: ~1e-8 m). Each velocity is tangent at its
//!   own point (`V·n = 0`), so `|ΔV·u| ≤ s_a·|n_a − u| + s_b·|n_b − u|`, and the normal turns
//!   slowly: `|n_a − u| ≤ 2·|D(P_a − M)|/|DP_a| ≤ c·a²/b³` (`D = diag(a⁻², a⁻², b⁻²)`,
//!   `|DP| ≥ b/a²` on the ellipsoid). With `c < H + S·T + 1 m`, `S = s_a + s_b` and
//!   `S² ≤ 2(s_a² + s_b²)`: `T·|ΔV·u| ≤ k·T·S·(H + 1 m + S·T) ≤ turn_a + turn_b`. Hence
//!   `|d(t)| > H + 2 m − 1e-8 m > H − 1 cm` over the whole look-ahead: no horizontal interval.
//!
//! The margins (1 m, 1 µm) dwarf the rounding of every computation involved (positions of
//! ~6.4e6 m carry ~1e-9 m), so the argument holds for the computed numbers, not only the ideal
//! ones: the rule's discriminant is then clearly negative, not at the edge.
//!
//! Two tests use the claim: [`SweptBox`]es, the reaches' bounding boxes aligned with the axes
//! of a [`GridFrame`] (disjoint boxes on some axis put the points more than `g_a + g_b` apart on
//! that axis at every `t`, and a rotation keeps lengths), and [`may_meet`], the exact closest
//! approach of the two segments.

use super::kinematics::{add, cross, dot, sub, unit, Kinematics, Vec3, A_M, B_M};
use super::rule::REACH_MARGIN_M;
use super::TacticalParams;
use deconflict_geometry::ALLOWANCE_M;

/// Bound on how fast the ellipsoid's normal turns per metre of chord (1/m): a²/b³.
const NORMAL_TURN_PER_M: f64 = A_M * A_M / (B_M * B_M * B_M);
/// Added to each track's ground reach (m).
const GROUND_MARGIN_M: f64 = 1.0;
/// Added to each track's altitude reach (m): far above rounding, far below the 1 cm
/// allowance, so that two level tracks at adjacent flight levels (304.8 m apart) stay apart.
pub(crate) const ALTITUDE_MARGIN_M: f64 = 1e-6;

/// How far beyond its own path a track's ground reach extends (`g` above, m).
pub(crate) fn ground_growth_m(motion: &Kinematics, params: &TacticalParams) -> f64 {
    let (t, h, s) = (
        params.lookahead_s,
        params.separation_horizontal_m,
        motion.speed_mps,
    );
    let turn_m = NORMAL_TURN_PER_M * t * s * (h + REACH_MARGIN_M + 2.0 * t * s);
    h / 2.0 + turn_m + GROUND_MARGIN_M
}

/// ECEF axes turned so that the third is the traffic's mean "up": the box of a level path is
/// then thin on that axis, where plain ECEF axes, tilted against the ground everywhere, would
/// make it a thick cube in as many cells. Any orthonormal axes would be correct (rounding of the
/// turn: ~1e-9 m); these make the index faster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GridFrame {
    axes: [Vec3; 3],
}

impl GridFrame {
    pub(crate) const ECEF: GridFrame = GridFrame {
        axes: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };

    /// Axes around the mean of `positions`; plain ECEF when the traffic is spread all round
    /// the globe (its positions sum to less than a metre).
    pub(crate) fn around(positions: impl Iterator<Item = Vec3>) -> GridFrame {
        let sum = positions.fold([0.0; 3], add);
        let length2 = dot(sum, sum);
        if length2.is_nan() || length2 <= 1.0 {
            return GridFrame::ECEF;
        }
        let up = unit(sum);
        // Crossed with the basis axis least aligned with `up`, |cross| ≥ √(2/3): no rounding
        // trouble even right above a pole.
        let least = (0..3).fold(0, |i, j| if up[j].abs() < up[i].abs() { j } else { i });
        let mut axis = [0.0; 3];
        axis[least] = 1.0;
        let east = unit(cross(axis, up));
        GridFrame {
            axes: [east, cross(up, east), up],
        }
    }

    fn apply(&self, v: Vec3) -> Vec3 {
        self.axes.map(|axis| dot(axis, v))
    }

    /// `v` on the first two axes (the ground plane at the traffic's mean "up").
    pub(crate) fn ground(&self, v: Vec3) -> [f64; 2] {
        [dot(self.axes[0], v), dot(self.axes[1], v)]
    }
}

/// Axes 0..3: the ground point in a [`GridFrame`] (m); axis 3: altitude (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SweptBox {
    pub lo: [f64; 4],
    pub hi: [f64; 4],
}

impl SweptBox {
    /// The bounding box of a track's reach in `frame`; `growth_m` is its [`ground_growth_m`].
    pub(crate) fn of(
        motion: &Kinematics,
        growth_m: f64,
        params: &TacticalParams,
        frame: &GridFrame,
    ) -> SweptBox {
        let t = params.lookahead_s;
        let half_height_m = (params.separation_vertical_m - ALLOWANCE_M) / 2.0 + ALTITUDE_MARGIN_M;
        let (position, velocity) = (
            frame.apply(motion.position),
            frame.apply(motion.velocity_mps),
        );
        let mut lo = [0.0; 4];
        let mut hi = [0.0; 4];
        for axis in 0..3 {
            let from = position[axis];
            let to = from + velocity[axis] * t;
            lo[axis] = from.min(to) - growth_m;
            hi[axis] = from.max(to) + growth_m;
        }
        let from = motion.altitude_m;
        let to = from + motion.vertical_rate_mps * t;
        lo[3] = from.min(to) - half_height_m;
        hi[3] = from.max(to) + half_height_m;
        SweptBox { lo, hi }
    }

    pub(crate) fn overlaps(&self, other: &SweptBox) -> bool {
        (0..4).all(|axis| self.lo[axis] <= other.hi[axis] && other.lo[axis] <= self.hi[axis])
    }

    pub(crate) fn horizontal_extent_m(&self) -> f64 {
        (0..3)
            .map(|axis| self.hi[axis] - self.lo[axis])
            .fold(0.0, f64::max)
    }
}

/// Whether the two ground points come within `reach_m` (`g_a + g_b`) of each other at some
/// `t` in `[0, lookahead_s]`: the closest approach of `w(t) = ΔP + ΔV·t`. `false` means no
/// conflict (the claim above). Rounding of the minimiser moves the minimum by ~1e-10 m.
pub(crate) fn may_meet(a: &Kinematics, b: &Kinematics, reach_m: f64, lookahead_s: f64) -> bool {
    let dp = sub(a.position, b.position);
    let dv = sub(a.velocity_mps, b.velocity_mps);
    let closing = dot(dv, dv);
    let t = if closing > 0.0 {
        (-dot(dp, dv) / closing).max(0.0).min(lookahead_s)
    } else {
        0.0
    };
    let w = [dp[0] + dv[0] * t, dp[1] + dv[1] * t, dp[2] + dv[2] * t];
    dot(w, w) <= reach_m * reach_m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(flight_level: f64, east_m: f64, v_east: f64) -> Kinematics {
        Kinematics {
            position: [A_M, east_m, 0.0],
            velocity_mps: [0.0, v_east, 0.0],
            speed_mps: v_east.abs(),
            altitude_m: flight_level * 100.0 * 0.3048,
            vertical_rate_mps: 0.0,
        }
    }

    #[test]
    fn grid_frames_are_orthonormal_wherever_the_traffic_is() {
        let centres = [
            [A_M, 0.0, 0.0],
            [0.0, 0.0, B_M],
            [1e-12, -1e-300, -B_M],
            [-3e6, 4e6, 2e6],
            [1e-300, 0.0, 0.0],
        ];
        for centre in centres {
            let axes = GridFrame::around([centre].into_iter()).axes;
            for i in 0..3 {
                for j in 0..3 {
                    let expected = if i == j { 1.0 } else { 0.0 };
                    assert!(
                        (dot(axes[i], axes[j]) - expected).abs() < 1e-15,
                        "{centre:?}"
                    );
                }
            }
        }
        let globe = [[A_M, 0.0, 0.0], [-A_M, 0.0, 0.0]].into_iter();
        assert_eq!(GridFrame::around(globe), GridFrame::ECEF);
    }

    #[test]
    fn adjacent_flight_levels_have_disjoint_boxes() {
        let params = TacticalParams::default();
        let (a, b) = (level(350.0, 0.0, 200.0), level(360.0, 0.0, -200.0));
        let frame = GridFrame::around([[A_M, 0.0, 0.0]].into_iter());
        assert_ne!(frame, GridFrame::ECEF);
        let box_of = |k: &Kinematics| SweptBox::of(k, ground_growth_m(k, &params), &params, &frame);
        assert!(!box_of(&a).overlaps(&box_of(&b)));
    }

    #[test]
    fn closest_approach_is_found_inside_the_lookahead_only() {
        let (a, b) = (level(350.0, 0.0, 200.0), level(350.0, 100_000.0, -200.0));
        // They meet at t = 250 s: within a 300 s look-ahead, not within 200 s.
        assert!(may_meet(&a, &b, 10.0, 300.0));
        assert!(!may_meet(&a, &b, 10.0, 200.0));
        assert!(may_meet(&a, &b, 20_001.0, 200.0));
        assert!(!may_meet(&a, &b, 19_999.0, 200.0));
    }
}
