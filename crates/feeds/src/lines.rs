//! Reading a feed line by line with a bound on line length.
//!
//! `BufRead::lines` would hold a line of any length in memory and fail the whole read on a
//! line that is not UTF-8. Here a line longer than [`MAX_LINE_BYTES`] is read past (its
//! excess discarded) and reported as [`LineError::TooLong`], and a line that is not UTF-8
//! as [`LineError::NotUtf8`]; both are one bad line, and reading goes on.

use std::io::{self, BufRead};

use crate::error::LineError;

/// Longest line accepted, in bytes, without its line ending. Real lines of all three
/// formats are under 300 bytes; NDJSON reports with long ids stay well under this.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Lines of a reader, numbered from 1, with `\n` or `\r\n` endings removed and a UTF-8
/// byte-order mark removed from the first line.
pub struct LineReader<R> {
    reader: R,
    line_number: u64,
    buffer: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            line_number: 0,
            buffer: Vec::new(),
        }
    }

    /// The number of the last line returned (0 before the first).
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// The next line and its number, `None` at the end of input. The outer error is an I/O
    /// failure (the read cannot go on); the inner one is a bad line (it can).
    #[allow(clippy::type_complexity)]
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Result<&str, LineError>)>> {
        self.buffer.clear();
        let mut read_any = false;
        let mut too_long = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                break;
            }
            read_any = true;
            let newline = available.iter().position(|&byte| byte == b'\n');
            let content = &available[..newline.unwrap_or(available.len())];
            let room = MAX_LINE_BYTES.saturating_sub(self.buffer.len());
            if content.len() > room {
                too_long = true;
            }
            self.buffer
                .extend_from_slice(&content[..content.len().min(room)]);
            let consumed = content.len() + usize::from(newline.is_some());
            self.reader.consume(consumed);
            if newline.is_some() {
                break;
            }
        }
        if !read_any {
            return Ok(None);
        }
        self.line_number += 1;
        let line = self.line_number;
        if too_long {
            let error = LineError::TooLong {
                line,
                limit: MAX_LINE_BYTES,
            };
            return Ok(Some((line, Err(error))));
        }
        if self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        let text = match std::str::from_utf8(&self.buffer) {
            Ok(text) if line == 1 => text.trim_start_matches('\u{feff}'),
            Ok(text) => text,
            Err(_) => return Ok(Some((line, Err(LineError::NotUtf8 { line })))),
        };
        Ok(Some((line, Ok(text))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Vec<(u64, Result<String, LineError>)> {
        // A tiny buffer makes lines span several `fill_buf` calls.
        let mut lines = LineReader::new(io::BufReader::with_capacity(3, input));
        let mut out = Vec::new();
        while let Some((number, line)) = lines.next_line().unwrap() {
            out.push((number, line.map(str::to_owned)));
        }
        out
    }

    #[test]
    fn endings_are_removed_and_a_last_line_without_one_is_kept() {
        let lines = read_all(b"\xef\xbb\xbfa,b\r\n\nc\r\nlast");
        let texts: Vec<_> = lines.into_iter().map(|(n, l)| (n, l.unwrap())).collect();
        assert_eq!(
            texts,
            vec![
                (1, "a,b".into()),
                (2, String::new()),
                (3, "c".into()),
                (4, "last".into())
            ]
        );
    }

    #[test]
    fn overlong_and_non_utf8_lines_are_bad_lines_and_reading_goes_on() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\n\xff\xfe\nok\n");
        let lines = read_all(&input);
        assert_eq!(lines.len(), 3);
        assert!(matches!(
            lines[0].1,
            Err(LineError::TooLong { line: 1, .. })
        ));
        assert_eq!(lines[1].1, Err(LineError::NotUtf8 { line: 2 }));
        assert_eq!(lines[2], (3, Ok("ok".into())));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_accepted() {
        let mut input = vec![b'y'; MAX_LINE_BYTES];
        input.push(b'\n');
        let lines = read_all(&input);
        assert_eq!(lines[0].1.as_ref().map(String::len), Ok(MAX_LINE_BYTES));
    }
}
