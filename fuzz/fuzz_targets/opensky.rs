//! OpenSky state-vector CSV (and the `traffic` library's columns): `OpenSkyReader` over the
//! bytes, then the whole-file path.
#![no_main]

use deconflict_feeds::OpenSkyReader;
use deconflict_fuzz::{check_report, check_whole_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for report in OpenSkyReader::new(data).flatten() {
        check_report(&report);
    }
    check_whole_file(data);
});
