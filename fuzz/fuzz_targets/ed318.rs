//! ED-318 zone documents (GeoJSON FeatureCollections): as the ED-269 target, through
//! `ed318::parse` (schedules with sunrise and sunset, layered geometries, other geoids).
#![no_main]

use deconflict_fuzz::check_zones;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_zones(data, deconflict_engine::ed318::parse);
});
