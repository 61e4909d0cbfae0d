//! One line of an AIS feed taken apart before decoding: the optional NMEA 4.10 (IEC 62320-1)
//! tag block in front, the sentence, and a receiver time stamp behind the checksum.
//!
//! Real captures put the time a sentence was received in one of two places:
//! - a tag block `\s:2573485,c:1654088303*0B\!BSVDM,…` (Norwegian Coastal Administration,
//!   ORBCOMM, Spire, aisstream raw): its `c:` field is UNIX seconds (milliseconds when it has
//!   13 digits), and the block has its own checksum, which is checked;
//! - fields after the sentence's checksum `…,0*30,d-080,S2118,…,r003669946,1325394060`
//!   (US Coast Guard NAIS, as libais records it): the first field that is a plain UNIX time.
//!
//! Times before 2000 are not taken as times (some feeds put a relative counter in `c:`).
//! Lines that are other NMEA sentences (`$GPRMC`, `$PGHP`, `!AIABK`) or comments (`#`) are
//! told apart from AIS sentences so that the caller can ignore them rather than count them
//! as malformed: receivers mix them into the same stream.

use chrono::{DateTime, Utc};

/// UNIX times before this (2000-01-01) are not receiver times.
const EARLIEST_TIME_S: i64 = 946_684_800;
/// UNIX times from this (2100-01-01) on are not receiver times either.
const LATEST_TIME_S: i64 = 4_102_444_800;

/// What a line is, before decoding.
#[derive(Debug, PartialEq)]
pub(super) enum Framed<'a> {
    /// A `!xxVDM` / `!xxVDO` sentence, with the receiver's time when the line carries one.
    Sentence {
        sentence: &'a str,
        received: Option<DateTime<Utc>>,
    },
    /// A comment or an NMEA sentence that is not AIS: ignored.
    Other,
}

/// Takes a line apart. The error says why it is not NMEA 0183 (a broken tag block, no `!`).
pub(super) fn frame(line: &str) -> Result<Framed<'_>, String> {
    let line = line.trim();
    if line.starts_with('#') {
        return Ok(Framed::Other);
    }
    let (tag_time, rest) = match line.strip_prefix('\\') {
        Some(after) => {
            let (tag, rest) = after
                .split_once('\\')
                .ok_or("tag block not closed by a backslash")?;
            (tag_block_time(tag)?, rest)
        }
        None => (None, line),
    };
    if rest.starts_with('$') {
        return Ok(Framed::Other);
    }
    if !rest.starts_with('!') {
        return Err("not an NMEA 0183 sentence (no leading '!' or '$')".into());
    }
    let formatter = rest.get(3..6).unwrap_or("");
    if formatter != "VDM" && formatter != "VDO" {
        return Ok(Framed::Other);
    }
    Ok(Framed::Sentence {
        sentence: rest,
        received: tag_time.or_else(|| trailing_time(rest)),
    })
}

/// The `c:` time of a tag block's content (`s:…,c:…*hh`), after checking its checksum.
fn tag_block_time(tag: &str) -> Result<Option<DateTime<Utc>>, String> {
    let (body, checksum) = tag.rsplit_once('*').ok_or("tag block without a checksum")?;
    let is_hex = checksum.len() == 2 && checksum.bytes().all(|byte| byte.is_ascii_hexdigit());
    let expected = u8::from_str_radix(checksum, 16)
        .ok()
        .filter(|_| is_hex)
        .ok_or_else(|| format!("tag block checksum {checksum:?} is not two hex digits"))?;
    let actual = body.bytes().fold(0u8, |sum, byte| sum ^ byte);
    if expected != actual {
        return Err(format!(
            "tag block checksum {checksum} does not match its content ({actual:02X})"
        ));
    }
    let time = body
        .split(',')
        .find_map(|field| field.strip_prefix("c:"))
        .and_then(|value| {
            let number: i64 = value.parse().ok()?;
            if value.len() >= 13 {
                unix_time(
                    number.div_euclid(1000),
                    number.rem_euclid(1000) as u32 * 1_000_000,
                )
            } else {
                unix_time(number, 0)
            }
        });
    Ok(time)
}

/// The first field after the sentence's checksum that is a UNIX time (`1325394060`, or with a
/// fraction `1325394060.25`).
fn trailing_time(sentence: &str) -> Option<DateTime<Utc>> {
    let (_, after_star) = sentence.split_once('*')?;
    after_star.split(',').skip(1).find_map(|field| {
        let (whole, fraction) = field.split_once('.').unwrap_or((field, ""));
        let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
        if !(9..=10).contains(&whole.len()) || !digits(whole) || !digits(fraction) {
            return None;
        }
        let nanos = format!("{fraction:0<9}").get(..9)?.parse().ok()?;
        unix_time(whole.parse().ok()?, nanos)
    })
}

fn unix_time(seconds: i64, nanos: u32) -> Option<DateTime<Utc>> {
    if (EARLIEST_TIME_S..LATEST_TIME_S).contains(&seconds) {
        DateTime::from_timestamp(seconds, nanos)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_norwegian_tag_block_gives_its_unix_time() {
        let line = r"\s:2573310,c:1654088303*0B\!BSVDM,1,1,,A,B3m8E=000h72d?`stqjcCwd5kP06,0*22";
        assert_eq!(
            frame(line),
            Ok(Framed::Sentence {
                sentence: "!BSVDM,1,1,,A,B3m8E=000h72d?`stqjcCwd5kP06,0*22",
                received: Some(time("2022-06-01T12:58:23Z")),
            })
        );
    }

    #[test]
    fn a_tag_block_with_a_wrong_checksum_is_refused() {
        let line = r"\s:2573310,c:1654088303*0C\!BSVDM,1,1,,A,B3m8E=000h72d?`stqjcCwd5kP06,0*22";
        let error = frame(line).unwrap_err();
        assert!(error.contains("checksum 0C"), "{error}");
        assert!(frame(r"\s:2573310,c:1654088303\!AIVDM,1,1,,A,1,0*00").is_err());
        assert!(frame(r"\c:1654088303*0B").is_err());
    }

    #[test]
    fn millisecond_times_and_times_before_2000_are_told_apart() {
        let tag = "c:1654088303250";
        let sum = tag.bytes().fold(0u8, |s, b| s ^ b);
        let line = format!("\\{tag}*{sum:02X}\\!AIVDM,1,1,,A,1,0*00");
        let Ok(Framed::Sentence { received, .. }) = frame(&line) else {
            panic!("{line}")
        };
        assert_eq!(received, Some(time("2022-06-01T12:58:23.250Z")));
        // pyais's APIDSSRC sample: a counter, not a time.
        let line = r"\s:APIDSSRC1,g:1-2-05649,n:08851,c:0002780328*04\!ARVDM,1,1,,B,15AQoR?P?wSS`@h@@bg>4?w`0HNP,0*39";
        let Ok(Framed::Sentence { received, .. }) = frame(line) else {
            panic!("{line}")
        };
        assert_eq!(received, None);
    }

    #[test]
    fn a_uscg_trailer_gives_the_first_unix_time_after_the_checksum() {
        let line = "!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001";
        let Ok(Framed::Sentence { received, .. }) = frame(line) else {
            panic!()
        };
        assert_eq!(received, Some(time("2012-01-01T05:01:00Z")));
        let line = "!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,1325394060.5";
        let Ok(Framed::Sentence { received, .. }) = frame(line) else {
            panic!()
        };
        assert_eq!(received, Some(time("2012-01-01T05:01:00.5Z")));
    }

    #[test]
    fn other_nmea_sentences_and_comments_are_set_apart_and_garbage_is_not() {
        assert_eq!(frame("$GPRMC,213950.00,A,5250.53669,N"), Ok(Framed::Other));
        assert_eq!(frame("# a comment"), Ok(Framed::Other));
        assert_eq!(frame("!AIABK,1,2,3*00"), Ok(Framed::Other));
        let tagged = r"\s:APIDSSRC1,g:2-2-05649,n:08852,c:0002780328*04\$ARVSI,1234567899,,041848.95096061,0427,-098,03*62";
        assert_eq!(frame(tagged), Ok(Framed::Other));
        assert!(frame("MSG,3,1,1").is_err());
        assert!(frame("").is_err());
        assert_eq!(frame("!é"), Ok(Framed::Other));
    }
}
