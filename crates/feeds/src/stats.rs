//! What happened to every line of a feed, and the bounds on what a reader keeps.

use serde::Serialize;

use crate::error::LineError;
use crate::report::TrackReport;

/// How many malformed lines [`FeedStats::examples`] keeps, so a feed of pure garbage still
/// gives a short, readable summary.
pub const MAX_EXAMPLES: usize = 5;

/// How many tracks a reader keeps state for (SBS-1 velocities and callsigns, OpenSky
/// repeated-position detection). One receiver sees at most a few thousand aircraft; past
/// the limit, see each reader for what gives.
pub const MAX_TRACKS: usize = 10_000;

/// Counts over the lines of one feed.
///
/// `lines` counts every line read, blank ones included, so that line numbers in
/// `examples` match the file. Every non-blank line is then exactly one of: a report, a
/// line ignored on purpose (`ignored`: record types not used, rows without a position, …),
/// a malformed line (`malformed`), or a line whose content was kept as track state without
/// producing a report yet (an SBS-1 callsign or velocity, a CSV header); the last kind has
/// no counter of its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedStats {
    pub lines: u64,
    pub reports: u64,
    pub ignored: u64,
    pub malformed: u64,
    /// The first [`MAX_EXAMPLES`] malformed lines, each as "line N: reason".
    pub examples: Vec<String>,
}

/// What one line came to, before counting.
#[derive(Debug)]
pub(crate) enum Outcome {
    Report(TrackReport),
    /// Used as track state, or blank: no report, not counted as ignored.
    Kept,
    Ignored,
}

impl FeedStats {
    /// Counts line `line_number` and what it came to, and hands back the report or error.
    pub(crate) fn tally(
        &mut self,
        line_number: u64,
        outcome: Result<Outcome, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        self.lines = self.lines.max(line_number);
        match outcome {
            Ok(Outcome::Report(report)) => {
                debug_assert_eq!(report.validate(), Ok(()));
                self.reports += 1;
                Ok(Some(report))
            }
            Ok(Outcome::Kept) => Ok(None),
            Ok(Outcome::Ignored) => {
                self.ignored += 1;
                Ok(None)
            }
            Err(error) => {
                self.malformed += 1;
                if self.examples.len() < MAX_EXAMPLES {
                    self.examples.push(error.to_string());
                }
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_stop_at_the_limit_but_counting_goes_on() {
        let mut stats = FeedStats::default();
        for line in 1..=(MAX_EXAMPLES as u64 + 3) {
            let error = LineError::NotUtf8 { line };
            assert!(stats.tally(line, Err(error)).is_err());
        }
        assert_eq!(stats.malformed, MAX_EXAMPLES as u64 + 3);
        assert_eq!(stats.examples.len(), MAX_EXAMPLES);
        assert_eq!(stats.examples[0], "line 1: not UTF-8 text");
        assert_eq!(stats.lines, MAX_EXAMPLES as u64 + 3);
    }
}
