//! AIS in NMEA 0183 (`!AIVDM`, tag blocks, multi-sentence messages): `AisDecoder` line by
//! line without and with a receipt time, every vessel's static data read back, then the
//! whole-file path.
#![no_main]

use deconflict_feeds::AisDecoder;
use deconflict_fuzz::{check_report, check_whole_file, received};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut file = AisDecoder::new();
    let mut live = AisDecoder::new();
    for (index, line) in text.lines().enumerate() {
        if let Ok(Some(report)) = file.push_line(line) {
            check_report(&report);
        }
        if let Ok(Some(report)) = live.push_received(index as u64 + 1, Ok(line), Some(received())) {
            check_report(&report);
        }
    }
    for (mmsi, vessel) in file.vessels() {
        let _ = format!("{mmsi} {vessel:?}");
    }
    check_whole_file(data);
});
