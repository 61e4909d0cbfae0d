//! Detection sharded by region (`engine::shard`, issue 21) gives exactly the single-node
//! answer: random traffic around cell corners and borders, across the antimeridian and at the
//! poles, with fast tracks, stale and early reports, its cells dealt at random to 1–5 shards;
//! each shard runs the fast pass on what it receives and keeps the pairs it decides; the union
//! equals `tactical::detect` on the whole traffic, pair for pair and figure for figure, with no
//! pair decided twice. And the band holds what the proof says: any two ground points closer
//! than the band's chord are in each other's bands (checked with GeographicLib).

use deconflict_engine::Motion;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor, Scope};
use deconflict_engine::shard::{Band, Cell, Shard};
use deconflict_engine::tactical::{
    detect_in, TacticalConflictFigures, TacticalDomains, TacticalParams, TrackState,
    MAX_GROUND_SPEED_MPS,
};
use deconflict_engine::track::MAX_SEA_SPEED_MPS;
use deconflict_engine::{Domain, Event, PartyId, Role, State, TrackReport};
use geographiclib_rs::{DirectGeodesic, Geodesic};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
}

/// `(lat, lon)` of the point `distance_m` from `(lat, lon)` at `azimuth_deg`.
fn offset(lat: f64, lon: f64, azimuth_deg: f64, distance_m: f64) -> (f64, f64) {
    Geodesic::wgs84().direct(lat, lon, azimuth_deg, distance_m)
}

/// A point on a cell's corner or edge, across the antimeridian, or at a pole.
fn centre() -> impl Strategy<Value = (f64, f64)> {
    let cells = Cell::count();
    prop_oneof![
        // A cell's south-west corner, or the middle of its west or south edge.
        4 => (0..cells, 0..3u8).prop_map(|(n, which)| {
            let [s, n_, w, e] = Cell(n).bounds();
            match which {
                0 => (s, w),
                1 => (0.5 * (s + n_), w),
                _ => (s, 0.5 * (w + e)),
            }
        }),
        2 => (-70.0..70.0, Just(180.0)),
        1 => (prop_oneof![Just(90.0), Just(-90.0), 86.0..90.0, -90.0..-86.0], -180.0..180.0),
        1 => (-89.0..89.0, -180.0..180.0),
    ]
}

fn params() -> impl Strategy<Value = TacticalParams> {
    prop_oneof![
        3 => Just(TacticalParams::default()),
        1 => (500.0..9_260.0, 30.0..600.0, 0.0..300.0).prop_map(|(h, v, lookahead)| {
            TacticalParams {
                separation_horizontal_m: h,
                separation_vertical_m: v,
                lookahead_s: lookahead,
                ..TacticalParams::default()
            }
        }),
    ]
}

/// Per track: azimuth and distance from the centre, altitude level, speed, heading inward,
/// heading, vertical rate, report age (negative: ahead of the clock), owner.
type Draw = ((f64, f64), (u8, f64, bool, f64), (f64, f64, u8));

fn draw() -> impl Strategy<Value = Draw> {
    let speed = prop_oneof![
        1 => Just(0.0),
        4 => 30.0..350.0,
        1 => Just(350.0),
        1 => 350.0..1_200.0,
        1 => 1_200.0..MAX_GROUND_SPEED_MPS,
    ];
    let distance = prop_oneof![2 => 0.0..20_000.0, 2 => 0.0..150_000.0, 1 => 0.0..400_000.0];
    (
        (0.0..360.0, distance),
        (0..3u8, speed, any::<bool>(), 0.0..360.0),
        (
            prop_oneof![3 => Just(0.0), 1 => -20.0..20.0],
            prop_oneof![2 => Just(0.0), 2 => -60.0..30.0],
            0..4u8,
        ),
    )
}

#[derive(Debug, Clone)]
struct Scene {
    tracks: Vec<TrackState>,
    /// The air minima, the ships' and the air–sea switch.
    domains: TacticalDomains,
    /// For each cell that holds a track, the shard that owns it.
    owners: BTreeMap<Cell, usize>,
    shards: usize,
}

fn scene() -> impl Strategy<Value = Scene> {
    (
        centre(),
        params(),
        proptest::collection::vec(draw(), 2..50),
        1..=5usize,
        any::<u64>(),
        (
            prop_oneof![
                2 => Just((1_852.0, 1_200.0)),
                1 => (100.0..5_000.0, 0.0..1_200.0),
            ],
            any::<bool>(),
            proptest::collection::vec((proptest::bool::weighted(0.4), 0.0..=MAX_SEA_SPEED_MPS), 50),
        ),
    )
        .prop_map(|((lat, lon), params, draws, shards, deal, sea)| {
            let ((sea_h, sea_lookahead), air_sea_checked, ships) = sea;
            let domains = TacticalDomains::new(params, sea_h, sea_lookahead, air_sea_checked);
            let mut tracks = Vec::new();
            for (i, ((azimuth, distance), (level, speed, inward, heading), (rate, age, owner))) in
                draws.into_iter().enumerate()
            {
                let (lat2, lon2) = offset(lat, lon, azimuth, distance);
                tracks.push(TrackState {
                    owner: PartyId(format!("party-{}", owner % 3)),
                    track_id: format!("T{i:03}"),
                    motion: Motion {
                        time: now() - Duration::microseconds((age * 1e6) as i64),
                        lat_deg: lat2,
                        lon_deg: lon2,
                        altitude_m: 9_000.0 + f64::from(level) * params.separation_vertical_m,
                        ground_speed_mps: speed,
                        track_deg: if inward {
                            (azimuth + 180.0).rem_euclid(360.0)
                        } else {
                            heading
                        },
                        vertical_rate_mps: rate,
                    },
                    domain: Default::default(),
                });
                // Some tracks are ships, at ship speeds (SPEC §7 amended).
                let (is_ship, ship_speed) = ships[i];
                if is_ship {
                    let t = tracks.last_mut().expect("just pushed");
                    t.domain = Domain::Sea;
                    t.motion.ground_speed_mps = ship_speed;
                    t.motion.altitude_m = 0.0;
                    t.motion.vertical_rate_mps = 0.0;
                }
            }
            // Deal the cells holding tracks to the shards, pseudo-randomly from `deal`.
            let mut owners = BTreeMap::new();
            for (k, t) in tracks.iter().enumerate() {
                let cell = Cell::of(t.motion.lat_deg, t.motion.lon_deg).unwrap();
                let mixed = deal.rotate_left((k % 64) as u32) ^ u64::from(cell.0);
                owners
                    .entry(cell)
                    .or_insert((mixed % shards as u64) as usize);
            }
            Scene {
                tracks,
                domains,
                owners,
                shards,
            }
        })
}

type Answer = Vec<(String, String, TacticalConflictFigures)>;

fn single(scene: &Scene) -> Answer {
    detect_in(&scene.tracks, now(), &scene.domains)
        .into_iter()
        .map(|c| {
            (
                scene.tracks[c.a].track_id.clone(),
                scene.tracks[c.b].track_id.clone(),
                c.figures(),
            )
        })
        .collect()
}

fn sharded(scene: &Scene, band: Band) -> Answer {
    let mut answer = Vec::new();
    for s in 0..scene.shards {
        let owned = scene
            .owners
            .iter()
            .filter(|(_, &o)| o == s)
            .map(|(&c, _)| c);
        let shard = Shard::new(band, owned);
        // What reaches the shard, in the same order as the single node's input.
        let received: Vec<TrackState> = scene
            .tracks
            .iter()
            .filter(|t| shard.receives(t))
            .cloned()
            .collect();
        for c in detect_in(&received, now(), &scene.domains) {
            let (a, b) = (&received[c.a], &received[c.b]);
            if shard.decides(a, b) {
                answer.push((a.track_id.clone(), b.track_id.clone(), c.figures()));
            }
        }
    }
    answer.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    answer
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn sharded_detection_equals_single_node_detection(scene in scene()) {
        let band = Band::default();
        prop_assert!(band.covers_domains(&scene.domains));
        let mut expected = single(&scene);
        expected.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        prop_assert_eq!(sharded(&scene, band), expected);
    }

    /// The band's claim on its own, on the ellipsoid: a point within the band's chord of a
    /// point of a cell lies in a cell of that cell's band.
    #[test]
    fn points_within_the_reach_chord_are_in_the_band(
        (lat, lon) in centre(),
        azimuth in 0.0..360.0,
        fraction in 0.0..1.0,
    ) {
        let band = Band::default();
        // A geodesic distance below the chord bound is a chord below it too.
        let (lat2, lon2) = offset(lat, lon, azimuth, band.reach_chord_m() * fraction);
        let (a, b) = (Cell::of(lat, lon).unwrap(), Cell::of(lat2, lon2).unwrap());
        prop_assert!(band.cells(a).contains(&b), "{:?} {:?}", a, b);
    }
}

/// The scenes are worth testing on: many hold conflicts, and many conflicts are decided by a
/// shard that did not receive both tracks through its own cells alone.
#[test]
fn scenes_hold_conflicts_across_shards() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut with_conflicts, mut across, mut sea) = (0, 0, 0);
    for _ in 0..300 {
        let scene = scene().new_tree(&mut runner).unwrap().current();
        let answer = single(&scene);
        let domain = |id: &str| {
            scene
                .tracks
                .iter()
                .find(|t| t.track_id == id)
                .unwrap()
                .domain
        };
        sea += answer
            .iter()
            .filter(|(a, b, _)| domain(a) == Domain::Sea || domain(b) == Domain::Sea)
            .count();
        if !answer.is_empty() {
            with_conflicts += 1;
        }
        let cell = |id: &str| {
            let t = scene.tracks.iter().find(|t| t.track_id == id).unwrap();
            Cell::of(t.motion.lat_deg, t.motion.lon_deg).unwrap()
        };
        across += answer
            .iter()
            .filter(|(a, b, _)| scene.owners[&cell(a)] != scene.owners[&cell(b)])
            .count();
    }
    assert!(with_conflicts > 100, "{with_conflicts} of 300 scenes");
    assert!(across > 50, "{across} conflicts across shards");
    assert!(sea > 20, "{sea} conflicts with a ship");
}

/// A pass whose parameters exceed the band is flagged, not silently trusted.
#[test]
fn a_band_does_not_cover_a_longer_lookahead() {
    let band = Band::default();
    let long = TacticalParams {
        lookahead_s: 600.0,
        ..TacticalParams::default()
    };
    assert!(!band.covers(&long));
    assert!(band.covers(&TacticalParams::default()));
}

/// Ships' 1,200 s look-ahead is covered by the default band (their speed is bounded, so
/// their reach is 129 km, within the air reach of 219 km); a sea look-ahead or minimum whose
/// reach exceeds the band's is not.
#[test]
fn the_default_band_covers_the_sea_defaults_but_not_a_longer_sea_reach() {
    let band = Band::default();
    assert!(band.covers_domains(&TacticalDomains::default()));
    let checked = TacticalDomains {
        air_sea_checked: true,
        ..TacticalDomains::default()
    };
    assert!(band.covers_domains(&checked));
    let long = TacticalDomains::new(TacticalParams::default(), 1_852.0, 2_400.0, false);
    assert!(!band.covers_domains(&long));
    let wide = TacticalDomains::new(TacticalParams::default(), 100_000.0, 1_200.0, false);
    assert!(!band.covers_domains(&wide));
}

/// Two states fed the same events: one decided by the whole pass, one by the shards.
struct Twins {
    whole: State,
    sharded: State,
}

impl Twins {
    fn new() -> Twins {
        let mut twins = Twins {
            whole: State::new(),
            sharded: State::new(),
        };
        for id in ["party-0", "party-1", "party-2"] {
            let decision = decide::register_party(
                &twins.whole,
                &Actor::Admin,
                id,
                id,
                Role::Operator,
                format!("hash-{id}"),
            )
            .unwrap();
            twins.apply_both(now(), &decision.events);
        }
        twins
    }

    fn apply_both(&mut self, at: DateTime<Utc>, events: &[Event]) {
        for event in events {
            self.whole.apply(at, event);
            self.sharded.apply(at, event);
        }
    }

    /// Each party's reports, logged into both states.
    fn report(&mut self, at: DateTime<Utc>, tracks: &[TrackState]) {
        for (owner, reports) in reports_by_owner(tracks) {
            let window = decide::ReportWindow::default();
            let decision = decide::report_positions(&self.whole, &owner, reports, at, &window);
            self.apply_both(at, &decision.events);
        }
    }

    /// The whole pass on one state; every shard's pass on the other, each deciding on the same
    /// state (as nodes do between two appends), then all their events applied.
    fn pass(&mut self, at: DateTime<Utc>, scene: &Scene) -> bool {
        let whole = decide::tactical_pass(&self.whole, at);
        for event in &whole.events {
            self.whole.apply(at, event);
        }
        let mut events = Vec::new();
        let mut exceeded = false;
        for s in 0..scene.shards {
            let owned = (0..Cell::count())
                .map(Cell)
                .filter(|c| scene.owners.get(c).copied().unwrap_or(0) == s);
            let shard = Shard::new(Band::default(), owned);
            let decision = decide::tactical_pass_in(&self.sharded, at, Scope::Shard(&shard));
            exceeded |= decision.outcome.band_exceeded;
            events.extend(decision.events);
        }
        for event in &events {
            self.sharded.apply(at, event);
        }
        exceeded
    }

    /// Open alerts (id, severity, detail) and lost tracks of a state.
    fn picture(state: &State) -> (Vec<String>, Vec<String>) {
        let alerts = state
            .open_alerts()
            .map(|a| format!("{} {:?} {:?}", a.id.0, a.severity, a.detail))
            .collect();
        let lost = state
            .tracks()
            .filter(|t| t.lost)
            .map(|t| t.id.to_owned())
            .collect();
        (alerts, lost)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Through the engine's pass: raise, update and resolve (tracks that stop reporting are
    /// lost, others move on), sharded and whole give the same open alerts and lost tracks.
    #[test]
    fn sharded_passes_decide_what_the_whole_pass_decides(
        scene in scene(),
        silent in proptest::collection::vec(any::<bool>(), 50),
    ) {
        let mut twins = Twins::new();
        let tracks: Vec<TrackState> = scene
            .tracks
            .iter()
            .map(|t| TrackState { motion: Motion { time: t.motion.time.min(now()), ..t.motion }, ..t.clone() })
            .collect();
        twins.report(now(), &tracks);
        prop_assert!(!twins.pass(now(), &scene));
        prop_assert_eq!(Twins::picture(&twins.sharded), Twins::picture(&twins.whole));

        // 20 s later some tracks report again, turned; 40 s later the silent ones are lost.
        let later = now() + Duration::seconds(20);
        let moved: Vec<TrackState> = tracks
            .iter()
            .zip(&silent)
            .filter(|(_, silent)| !**silent)
            .map(|(t, _)| TrackState {
                motion: Motion { time: later, track_deg: (t.motion.track_deg + 90.0).rem_euclid(360.0), ..t.motion },
                ..t.clone()
            })
            .collect();
        twins.report(later, &moved);
        prop_assert!(!twins.pass(later, &scene));
        prop_assert_eq!(Twins::picture(&twins.sharded), Twins::picture(&twins.whole));
        let lost_at = now() + Duration::seconds(45);
        prop_assert!(!twins.pass(lost_at, &scene));
        prop_assert_eq!(Twins::picture(&twins.sharded), Twins::picture(&twins.whole));
    }
}

/// A cluster whose reports travel on NATS by cell (issue 21, `server::cellstream`): each shard
/// holds only the reports it would receive (its cells, their band, the fast subject), folded in
/// without the log; every event a shard decides reaches every shard (the log).
struct Streamed {
    whole: State,
    shards: Vec<(Shard, State)>,
}

impl Streamed {
    fn new(scene: &Scene) -> Streamed {
        // The cell at 0°, 0° (which a shard holding every track gives the conditions of
        // forgotten tracks) goes to the last shard, which usually holds few of the tracks.
        let origin = Cell::of(0.0, 0.0).unwrap();
        let owner = |c: &Cell| match *c == origin {
            true => scene.shards - 1,
            false => scene.owners.get(c).copied().unwrap_or(0),
        };
        let shards = (0..scene.shards)
            .map(|s| {
                let owned = (0..Cell::count()).map(Cell).filter(|c| owner(c) == s);
                (Shard::new(Band::default(), owned), Twins::new().whole)
            })
            .collect();
        Streamed {
            whole: Twins::new().whole,
            shards,
        }
    }

    fn report(&mut self, at: DateTime<Utc>, tracks: &[TrackState]) {
        for (owner, reports) in reports_by_owner(tracks) {
            let window = decide::ReportWindow::default();
            let decision = decide::report_positions(&self.whole, &owner, reports, at, &window);
            for event in &decision.events {
                self.whole.apply(at, event);
                let Event::PositionsReported { reports, .. } = event else {
                    continue;
                };
                for (shard, state) in &mut self.shards {
                    let received: Vec<TrackReport> = reports
                        .iter()
                        .filter(|r| {
                            shard.receives(&TrackState {
                                owner: owner.clone(),
                                track_id: r.track_id.clone(),
                                motion: r.motion,
                                domain: r.domain,
                            })
                        })
                        .cloned()
                        .collect();
                    if !received.is_empty() {
                        state.apply_streamed_positions(at, owner.clone(), received);
                    }
                }
            }
        }
    }

    /// The whole pass on one state; each shard's pass on its own state, then all their events
    /// applied to every shard's state.
    fn pass(&mut self, at: DateTime<Utc>) -> bool {
        let whole = decide::tactical_pass(&self.whole, at);
        for event in &whole.events {
            self.whole.apply(at, event);
        }
        let mut events = Vec::new();
        let mut exceeded = false;
        for (shard, state) in &self.shards {
            let decision = decide::tactical_pass_in(state, at, Scope::StreamedShard(shard));
            exceeded |= decision.outcome.band_exceeded;
            events.extend(decision.events);
        }
        for (_, state) in &mut self.shards {
            for event in &events {
                state.apply(at, event);
            }
        }
        exceeded
    }

    /// Open alerts as every shard sees them (the same log), lost tracks as their holders do.
    fn picture(&self) -> (Vec<String>, Vec<String>) {
        let (alerts, _) = Twins::picture(&self.shards[0].1);
        for (_, state) in &self.shards[1..] {
            assert_eq!(
                Twins::picture(state).0,
                alerts,
                "every shard applies the same log"
            );
        }
        let mut lost: Vec<String> = (self.shards.iter())
            .flat_map(|(_, state)| Twins::picture(state).1)
            .collect();
        lost.sort();
        lost.dedup();
        (alerts, lost)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// As above, with each shard holding only the reports it receives from the stream: the
    /// shards together still decide what the whole pass decides.
    #[test]
    fn streamed_shards_decide_what_the_whole_pass_decides(
        scene in scene(),
        silent in proptest::collection::vec(any::<bool>(), 50),
    ) {
        let mut cluster = Streamed::new(&scene);
        let tracks: Vec<TrackState> = scene
            .tracks
            .iter()
            .map(|t| TrackState { motion: Motion { time: t.motion.time.min(now()), ..t.motion }, ..t.clone() })
            .collect();
        cluster.report(now(), &tracks);
        prop_assert!(!cluster.pass(now()));
        let mut whole_lost = Twins::picture(&cluster.whole).1;
        whole_lost.sort();
        prop_assert_eq!(cluster.picture(), (Twins::picture(&cluster.whole).0, whole_lost));

        let later = now() + Duration::seconds(20);
        let moved: Vec<TrackState> = tracks
            .iter()
            .zip(&silent)
            .filter(|(_, silent)| !**silent)
            .map(|(t, _)| TrackState {
                motion: Motion { time: later, track_deg: (t.motion.track_deg + 90.0).rem_euclid(360.0), ..t.motion },
                ..t.clone()
            })
            .collect();
        cluster.report(later, &moved);
        prop_assert!(!cluster.pass(later));
        let mut whole_lost = Twins::picture(&cluster.whole).1;
        whole_lost.sort();
        prop_assert_eq!(cluster.picture(), (Twins::picture(&cluster.whole).0, whole_lost));
        let lost_at = now() + Duration::seconds(45);
        prop_assert!(!cluster.pass(lost_at));
        let mut whole_lost = Twins::picture(&cluster.whole).1;
        whole_lost.sort();
        prop_assert_eq!(cluster.picture(), (Twins::picture(&cluster.whole).0, whole_lost));
    }
}

/// The alert condition an event of the pass is about (`None`: not an alert's event).
fn condition_of(event: &Event) -> Option<deconflict_engine::lifecycle::Condition> {
    match event {
        Event::AlertRaised { alert } | Event::AlertUpdated { alert } => {
            deconflict_engine::lifecycle::Condition::of(&alert.detail)
        }
        Event::AlertResolved { alert, .. } => {
            deconflict_engine::lifecycle::Condition::of(&alert.as_ref()?.detail)
        }
        _ => None,
    }
}

/// Whether an alert's condition names one of `moved`'s tracks.
fn involves(condition: &deconflict_engine::lifecycle::Condition, moved: &[String]) -> bool {
    use deconflict_engine::lifecycle::Condition;
    let named = |id: &String| moved.contains(id);
    match condition {
        Condition::Tactical([a, b]) => named(&a.track_id) || named(&b.track_id),
        Condition::Nonconformance(t, _)
        | Condition::TrackZone(t, _)
        | Condition::TrackSite(t, _) => named(&t.track_id),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The pass started by reports (`decide::tactical_pass_moved`, issue 20) decides, of every
    /// condition naming a track that reported since, exactly what the whole pass at the same
    /// instant decides, event for event, and nothing of any other condition; the tick's pass
    /// (`decide::tactical_pass_due`) decides the rest, so that together they decide what the
    /// whole pass does, and applied one after the other they bring the state to the very
    /// picture the whole pass alone gives. Also per shard: the moved passes of every shard
    /// together decide what the whole moved pass does.
    #[test]
    fn the_pass_of_moved_tracks_decides_what_the_whole_pass_decides_of_them(
        scene in scene(),
        silent in proptest::collection::vec(any::<bool>(), 50),
        later_s in 1i64..40,
    ) {
        let mut twins = Twins::new();
        let tracks: Vec<TrackState> = scene
            .tracks
            .iter()
            .map(|t| TrackState { motion: Motion { time: t.motion.time.min(now()), ..t.motion }, ..t.clone() })
            .collect();
        twins.report(now(), &tracks);
        twins.pass(now(), &scene);
        // Later, some tracks report again, turned; the others fly on unheard.
        let later = now() + Duration::seconds(later_s);
        let since = twins.whole.report_generation();
        let reported: Vec<TrackState> = tracks
            .iter()
            .zip(&silent)
            .filter(|(_, silent)| !**silent)
            .map(|(t, _)| TrackState {
                motion: Motion { time: later, track_deg: (t.motion.track_deg + 90.0).rem_euclid(360.0), ..t.motion },
                ..t.clone()
            })
            .collect();
        twins.report(later, &reported);
        let moved: Vec<String> = reported.iter().map(|t| t.track_id.clone()).collect();

        let whole = decide::tactical_pass(&twins.whole, later);
        let of_moved = decide::tactical_pass_moved(&twins.whole, later, Scope::Whole, since);
        let expected: Vec<&Event> = whole
            .events
            .iter()
            .filter(|e| condition_of(e).is_none_or(|c| involves(&c, &moved)))
            .collect();
        prop_assert_eq!(of_moved.events.iter().collect::<Vec<_>>(), expected);

        // Per shard, on the twin state.
        let mut sharded = Vec::new();
        for s in 0..scene.shards {
            let owned = (0..Cell::count())
                .map(Cell)
                .filter(|c| scene.owners.get(c).copied().unwrap_or(0) == s);
            let shard = Shard::new(Band::default(), owned);
            let decision = decide::tactical_pass_moved(&twins.sharded, later, Scope::Shard(&shard), since);
            sharded.extend(decision.events.into_iter().filter(|e| condition_of(e).is_some()));
        }
        let key = |e: &Event| format!("{:?}", condition_of(e));
        sharded.sort_by_key(key);
        let mut alone: Vec<Event> = of_moved.events.iter().filter(|e| condition_of(e).is_some()).cloned().collect();
        alone.sort_by_key(key);
        prop_assert_eq!(sharded, alone);

        // The tick's pass after passes of moved tracks (`tactical_pass_due`): it decides the
        // rest, so that with the moved pass it decides every condition as the whole pass does;
        // with no pass of moved tracks since the previous tick, it is the whole pass.
        let generation = twins.whole.report_generation();
        let due = decide::tactical_pass_due(&twins.whole, later, Scope::Whole, since, generation);
        let alert_events = |events: &[&Event]| {
            let mut shown: Vec<String> = events
                .iter()
                .filter(|e| condition_of(e).is_some())
                .map(|e| format!("{e:?}"))
                .collect();
            shown.sort();
            shown.dedup();
            shown
        };
        let both: Vec<&Event> = of_moved.events.iter().chain(&due.events).collect();
        let all: Vec<&Event> = whole.events.iter().collect();
        prop_assert_eq!(alert_events(&both), alert_events(&all));
        let lost = |events: &[Event]| events.iter().filter(|e| condition_of(e).is_none()).cloned().collect::<Vec<_>>();
        prop_assert_eq!(lost(&due.events), lost(&whole.events));
        let unmoved = decide::tactical_pass_due(&twins.whole, later, Scope::Whole, generation, generation);
        prop_assert_eq!(&unmoved.events, &whole.events);

        // The moved pass applied, then the tick's: the picture of the whole pass alone.
        let mut stepped = Twins::new();
        stepped.whole = std::mem::take(&mut twins.sharded);
        for event in &of_moved.events {
            stepped.whole.apply(later, event);
        }
        let rest = decide::tactical_pass_due(&stepped.whole, later, Scope::Whole, since, generation);
        for event in &rest.events {
            stepped.whole.apply(later, event);
        }
        for event in &whole.events {
            twins.whole.apply(later, event);
        }
        prop_assert_eq!(Twins::picture(&stepped.whole), Twins::picture(&twins.whole));
    }
}

/// The tracks' reports as their owners send them (each with its index in `tracks`), one batch
/// per owner.
fn reports_by_owner(tracks: &[TrackState]) -> BTreeMap<PartyId, Vec<(usize, TrackReport)>> {
    let mut by_owner: BTreeMap<PartyId, Vec<(usize, TrackReport)>> = BTreeMap::new();
    for (i, t) in tracks.iter().enumerate() {
        let report = TrackReport {
            track_id: t.track_id.clone(),
            motion: Motion {
                track_deg: t.motion.track_deg.rem_euclid(360.0),
                ..t.motion
            },
            operation_id: None,
            callsign: None,
            domain: t.domain,
            vessel: None,
        };
        by_owner
            .entry(t.owner.clone())
            .or_default()
            .push((i, report));
    }
    by_owner
}
