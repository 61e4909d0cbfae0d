//! ED-269 zone documents: the bytes as JSON (as the server reads an import), `ed269::parse`
//! with the EGM96 geoid and no terrain, then every zone returned through the validation
//! publishing runs (`ZoneSpec::validate`). Refusals are answers; a panic or a hang is a bug.
#![no_main]

use deconflict_fuzz::check_zones;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_zones(data, deconflict_engine::ed269::parse);
});
