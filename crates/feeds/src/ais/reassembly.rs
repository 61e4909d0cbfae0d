//! Multi-sentence AIS messages put back together.
//!
//! A message longer than one sentence (type 5 always, type 19 and 24 sometimes) is sent as
//! fragments `!AIVDM,2,1,7,A,…` / `!AIVDM,2,2,7,A,…` that share a sequential message id
//! (0–9) and a channel. Receivers interleave them with other traffic (the ORBCOMM capture in
//! `tests/data/ais/libais_tagblock.nmea` has a single-sentence message between the two
//! halves of a type 5), so fragments are collected per (message id, channel, own ship)
//! rather than in one running buffer as `aivdm::FragmentAssembler` does.
//!
//! Limits: at most [`MAX_FRAGMENTS`] fragments and [`MAX_PENDING`] unfinished messages; an
//! unfinished message is dropped when a newer one needs its place or when no fragment has
//! come for [`MAX_LINES_APART`] lines (a fragment lost on the air never blocks its id).

use std::collections::HashMap;

use aivdm::{Channel, Sentence};
use chrono::{DateTime, Utc};

/// Most fragments a message may have (the sentence's count is one decimal digit).
pub(super) const MAX_FRAGMENTS: u8 = 9;
/// Most messages waiting for fragments at once (ten ids on each of two channels, and some).
pub(super) const MAX_PENDING: usize = 32;
/// How many lines after its last fragment an unfinished message is dropped.
pub(super) const MAX_LINES_APART: u64 = 100;

/// A whole message: its armoured payload, fill bits, and the receiver time of its first
/// fragment that had one.
#[derive(Debug, PartialEq)]
pub(super) struct Whole {
    pub payload: Vec<u8>,
    pub fill_bits: u8,
    pub received: Option<DateTime<Utc>>,
}

/// What one fragment came to.
#[derive(Debug, PartialEq)]
pub(super) enum Assembled {
    Whole(Whole),
    /// More fragments are expected.
    Waiting,
}

type Key = (Option<u8>, u8, bool);

#[derive(Debug)]
struct Pending {
    count: u8,
    next: u8,
    payload: Vec<u8>,
    received: Option<DateTime<Utc>>,
    last_line: u64,
}

#[derive(Debug, Default)]
pub(super) struct Reassembly {
    pending: HashMap<Key, Pending>,
}

impl Reassembly {
    /// Takes sentence `line`'s fragment. An error says why the fragment cannot be used (out
    /// of order, too many); the message it belonged to is dropped.
    pub fn push(
        &mut self,
        line: u64,
        sentence: &Sentence<'_>,
        received: Option<DateTime<Utc>>,
    ) -> Result<Assembled, String> {
        let (count, number) = (sentence.fragment_count, sentence.fragment_number);
        if count == 1 {
            return Ok(Assembled::Whole(Whole {
                payload: sentence.payload.to_vec(),
                fill_bits: sentence.fill_bits,
                received,
            }));
        }
        if count > MAX_FRAGMENTS {
            return Err(format!("{count} fragments, at most {MAX_FRAGMENTS}"));
        }
        self.pending
            .retain(|_, pending| line.saturating_sub(pending.last_line) <= MAX_LINES_APART);
        let key = (
            sentence.seq_id,
            channel_byte(sentence.channel),
            sentence.is_own_ship,
        );
        if number == 1 {
            if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
                self.drop_oldest();
            }
            let pending = Pending {
                count,
                next: 2,
                payload: sentence.payload.to_vec(),
                received,
                last_line: line,
            };
            self.pending.insert(key, pending);
            return Ok(Assembled::Waiting);
        }
        let Some(pending) = self.pending.get_mut(&key) else {
            return Err(format!("fragment {number} of {count} without fragment 1"));
        };
        if pending.count != count || pending.next != number {
            self.pending.remove(&key);
            return Err(format!(
                "fragment {number} of {count} out of sequence for message id {}",
                key.0.map_or("(none)".to_owned(), |id| id.to_string())
            ));
        }
        pending.payload.extend_from_slice(sentence.payload);
        pending.received = pending.received.or(received);
        pending.last_line = line;
        pending.next += 1;
        if number < count {
            return Ok(Assembled::Waiting);
        }
        let done = self.pending.remove(&key).expect("looked up above");
        Ok(Assembled::Whole(Whole {
            payload: done.payload,
            fill_bits: sentence.fill_bits,
            received: done.received,
        }))
    }

    /// How many messages are waiting for fragments.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn drop_oldest(&mut self) {
        let oldest = self
            .pending
            .iter()
            .min_by_key(|(key, pending)| (pending.last_line, **key))
            .map(|(key, _)| *key);
        if let Some(key) = oldest {
            self.pending.remove(&key);
        }
    }
}

fn channel_byte(channel: Channel) -> u8 {
    match channel {
        Channel::A => b'A',
        Channel::B => b'B',
        Channel::Other(byte) => byte,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type 5 split in two from gpsd's `test/sample.aivdm`.
    const PART_1: &str =
        "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
    const PART_2: &str = "!AIVDM,2,2,1,A,88888888880,2*25";

    fn push(r: &mut Reassembly, line: u64, text: &str) -> Result<Assembled, String> {
        r.push(line, &Sentence::parse(text).unwrap(), None)
    }

    fn with(text: &str, id: &str, channel: &str) -> String {
        let body = text[1..text.find('*').unwrap()].to_owned();
        let mut fields: Vec<&str> = body.split(',').collect();
        fields[3] = id;
        fields[4] = channel;
        let body = fields.join(",");
        let sum = body.bytes().fold(0u8, |s, b| s ^ b);
        format!("!{body}*{sum:02X}")
    }

    #[test]
    fn two_fragments_make_one_payload_with_the_last_fill_bits() {
        let mut r = Reassembly::default();
        assert_eq!(push(&mut r, 1, PART_1), Ok(Assembled::Waiting));
        let Ok(Assembled::Whole(whole)) = push(&mut r, 2, PART_2) else {
            panic!()
        };
        assert_eq!(whole.payload.len(), 60 + 11);
        assert_eq!(whole.fill_bits, 2);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn interleaved_messages_on_other_ids_and_channels_do_not_mix() {
        let mut r = Reassembly::default();
        let (a1, a2) = (with(PART_1, "3", "A"), with(PART_2, "3", "A"));
        let (b1, b2) = (with(PART_1, "3", "B"), with(PART_2, "3", "B"));
        let (c1, c2) = (with(PART_1, "4", "A"), with(PART_2, "4", "A"));
        for (line, text) in [(1, &a1), (2, &b1), (3, &c1)] {
            assert_eq!(push(&mut r, line, text), Ok(Assembled::Waiting));
        }
        for (line, text) in [(4, &c2), (5, &a2), (6, &b2)] {
            assert!(matches!(push(&mut r, line, text), Ok(Assembled::Whole(_))));
        }
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_lone_second_fragment_and_a_repeated_one_are_errors() {
        let mut r = Reassembly::default();
        let error = push(&mut r, 1, PART_2).unwrap_err();
        assert!(error.contains("without fragment 1"), "{error}");
        push(&mut r, 2, PART_1).unwrap();
        assert!(push(&mut r, 3, PART_2).is_ok());
        assert!(push(&mut r, 4, PART_2).is_err());
    }

    #[test]
    fn a_restarted_message_replaces_the_unfinished_one() {
        let mut r = Reassembly::default();
        push(&mut r, 1, PART_1).unwrap();
        push(&mut r, 2, PART_1).unwrap();
        let Ok(Assembled::Whole(whole)) = push(&mut r, 3, PART_2) else {
            panic!()
        };
        assert_eq!(whole.payload.len(), 71);
    }

    #[test]
    fn unfinished_messages_expire_and_are_bounded() {
        let mut r = Reassembly::default();
        push(&mut r, 1, PART_1).unwrap();
        let late = push(&mut r, 2 + MAX_LINES_APART, PART_2).unwrap_err();
        assert!(late.contains("without fragment 1"), "{late}");
        for id in 0..=9u8 {
            for channel in ["A", "B", "1", "2", ""] {
                push(&mut r, 200, &with(PART_1, &id.to_string(), channel)).unwrap();
            }
        }
        assert_eq!(r.pending(), MAX_PENDING);
    }
}
