//! Footprints and 4D volumes as filed (JSON): a list of volumes, a list of footprints, or one
//! of either; each validated as filing does (`Volume4d::from_spec`, `Footprint::from_spec`),
//! then the distance invariants on every pair of valid footprints (see the crate docs).
#![no_main]

use deconflict_fuzz::{check_footprints, check_volumes};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(volumes) = serde_json::from_slice::<Vec<Volume4dSpec>>(data) {
        check_volumes(&volumes, &limits);
    } else if let Ok(volume) = serde_json::from_slice::<Volume4dSpec>(data) {
        check_volumes(&[volume], &limits);
    } else if let Ok(footprints) = serde_json::from_slice::<Vec<FootprintSpec>>(data) {
        check_footprints(&footprints, &limits);
    } else if let Ok(footprint) = serde_json::from_slice::<FootprintSpec>(data) {
        check_footprints(&[footprint], &limits);
    }
});
