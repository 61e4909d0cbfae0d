//! SBS-1 (BaseStation) text: lines through `SbsAssembler` as a file gives them (no receipt
//! time) and as a live feed does (with one), then the whole-file path.
#![no_main]

use deconflict_feeds::SbsAssembler;
use deconflict_fuzz::{check_report, check_whole_file, received};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut file = SbsAssembler::new();
    let mut live = SbsAssembler::new();
    for (index, line) in text.lines().enumerate() {
        if let Ok(Some(report)) = file.push_line(line) {
            check_report(&report);
        }
        if let Ok(Some(report)) = live.push_received(index as u64 + 1, Ok(line), Some(received())) {
            check_report(&report);
        }
    }
    check_whole_file(data);
});
