//! NDJSON position reports, both parsers: the feeds crate's (`parse_ndjson_line`, and the
//! whole-file path), and the server's `POST /v1/positions` body parsing as
//! `crates/server/src/routes/positions.rs` does it (private there, so its steps are repeated
//! here over the same types and libraries): lines split on `\n` and trimmed, or a JSON array
//! of raw elements; each element read as an `engine::TrackReport` by the plain parser, then by
//! `serde_path_to_error` to explain a failure; a report read is validated and quantised as
//! the engine does when it takes it. A quantised valid report must still be valid.
#![no_main]

use deconflict_engine::TrackReport;
use deconflict_feeds::parse_ndjson_line;
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
    let report = match serde_json::from_slice::<TrackReport>(value) {
        Ok(report) => report,
        Err(_) => {
            let mut deserializer = serde_json::Deserializer::from_slice(value);
            let explained = serde_path_to_error::deserialize::<_, TrackReport>(&mut deserializer);
            match explained {
                Ok(report) if deserializer.end().is_ok() => report,
                Ok(_) => return,
                Err(error) => {
                    let _ = (error.path().to_string(), error.into_inner().to_string());
                    return;
                }
            }
        }
    };
    if report.validate().is_ok() {
        let kept = report.clone().quantised();
        if let Err(refusal) = kept.validate() {
            panic!("valid report {report:?} quantised to {kept:?}, which is refused: {refusal:?}");
        }
    }
}
