mod common;
use common::*;
use deconflict_geometry::{Footprint, FootprintSpec, Limits};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
include!("properties_gen.rs");
#[test]
fn stats() {
    let mut runner = TestRunner::new(proptest::test_runner::Config::default());
    let (mut zero, mut pos, mut rej) = (0, 0, 0);
    let mut worst_low: f64 = 0.0;
    let mut worst_high: f64 = -1.0;
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for _ in 0..n {
        let (a, b) = pair().new_tree(&mut runner).unwrap().current();
        let (Ok(fa), Ok(fb)) = (
            Footprint::from_spec(&a, &Limits::default()),
            Footprint::from_spec(&b, &Limits::default()),
        ) else {
            rej += 1;
            continue;
        };
        let fast = fa.distance_m(&fb);
        let brute = brute_distance(&a, &b, 200.0);
        if brute == 0.0 {
            zero += 1
        } else {
            pos += 1
        }
        if brute - fast > 1.0 {
            println!(
                "case fast {fast} brute {brute} fine {}",
                brute_distance(&a, &b, 10.0)
            );
        }
        if brute > 0.0 {
            worst_low = worst_low.max(brute - fast);
            worst_high = worst_high.max(fast - brute);
        }
        if fast == 0.0 && brute > 0.0 {
            println!("fast 0 brute {brute}");
        }
        if brute == 0.0 && fast > 0.0 {
            println!("brute 0 fast {fast}");
        }
    }
    println!("zero {zero} pos {pos} rej {rej} worst brute-fast {worst_low} worst fast-brute {worst_high}");
}
