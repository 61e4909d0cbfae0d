//! Property tests of the canonical payload form: whatever JSON value goes in, its canonical text
//! reads back to the same value and is a fixed point, so a clean log always re-verifies.

use chrono::{TimeZone, Utc};
use deconflict_store::{canonical_json, EventLog, NewEvent, SqliteLog};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |x| Number::from_f64(x).map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_text_reads_back_to_the_same_value_and_is_a_fixed_point(value in json_value()) {
        let text = canonical_json(&value);
        let reread: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&reread, &value);
        prop_assert_eq!(canonical_json(&reread), text);
    }

    #[test]
    fn canonical_text_does_not_depend_on_key_insertion_order(
        entries in prop::collection::vec((any::<String>(), any::<i32>()), 0..10)
    ) {
        let forward: Map<String, Value> =
            entries.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        let backward: Map<String, Value> =
            entries.iter().rev().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        // Duplicate keys keep the last insertion, so compare only when both saw the same pairs.
        prop_assume!(forward == backward);
        prop_assert_eq!(canonical_json(&Value::Object(forward)), canonical_json(&Value::Object(backward)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn any_payload_roundtrips_through_the_log_and_verifies(
        payloads in prop::collection::vec(json_value(), 1..20)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SqliteLog::open(&dir.path().join("events.db")).unwrap();
        let time = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let events = payloads
            .into_iter()
            .map(|payload| NewEvent { time, actor: "a".into(), kind: "k".into(), payload })
            .collect();
        let stored = log.append(events).unwrap();
        prop_assert_eq!(log.read_from(0, 100).unwrap(), stored);
        prop_assert_eq!(log.verify().unwrap().first_bad, None);
    }
}
