//! Footprints built from the fuzzer's bytes rather than parsed (see `deconflict_fuzz::shapes`):
//! JSON fuzzing rarely reaches a valid footprint, let alone two close ones; this target spends
//! every input on validation and the distance invariants (see the crate docs).
#![no_main]

use deconflict_fuzz::{check_footprints, shapes::shapes_of};
use deconflict_geometry::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(specs) = shapes_of(data) {
        check_footprints(&specs, &Limits::default());
    }
});
