//! NDJSON position reports through the one parser of the format (`feeds::parse_report_json`),
//! as files (`parse_ndjson_line`, and the whole-file path) and the server's `POST
//! /v1/positions` (`crates/server/src/routes/positions.rs`: lines split on `\n` and trimmed,
//! or a JSON array of raw elements, each read by `parse_report_json`) use it; a report read is
//! validated and quantised as the engine does when it takes it. A quantised valid report must
//! still be valid.
#![no_main]

use deconflict_feeds::{parse_ndjson_line, parse_report_json};
use deconflict_fuzz::{check_report, check_whole_file};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            if let Ok(report) = parse_ndjson_line(line) {
                check_report(&report);
            }
        }
    }
    check_whole_file(data);
    for line in data.split(|byte| *byte == b'\n') {
        let line = line.trim_ascii();
        if !line.is_empty() {
            server_element(line);
        }
    }
    if let Ok(elements) = serde_json::from_slice::<Vec<&RawValue>>(data) {
        for element in elements {
            server_element(element.get().as_bytes());
        }
    }
});

/// One element as the server reads it, then as the engine checks and keeps it.
fn server_element(value: &[u8]) {
    let Ok(report) = parse_report_json(value) else {
        return;
    };
    if report.validate().is_ok() {
        let kept = report.clone().quantised();
        if let Err(refusal) = kept.validate() {
            panic!("valid report {report:?} quantised to {kept:?}, which is refused: {refusal:?}");
        }
    }
}
