//! Which parts of an event a party may see, and cutting an event's content down to them.
//!
//! A [`Disclosure`] is a set of RFC 6901 JSON pointers into the event's content object
//! `{"actor", "kind", "payload", "time"}`; each reveals the whole subtree it names.
//!
//! A pointer only names nodes of the digest tree (see `redact.rs`): a pointer to a missing node,
//! or *into* a leaf (an element of a position row `[..scalars..]`, a character of a string), is
//! ignored. Why not reveal the whole enclosing leaf instead: that would release more than the
//! caller asked for, silently; a privacy system fails closed. Point at the leaf itself
//! (`/payload/reports/3`, not `/payload/reports/3/0`) to reveal it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::ReceiptError;
use crate::redact::{event_content, is_leaf, pruned_node_digest, push_decimal, NodeDigest, Salt};
use crate::StoredEvent;

/// The parts of one event's content a party may see: whole subtrees named by JSON pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disclosure {
    /// Each pointer split into its unescaped reference tokens; `[]` is the whole content.
    paths: BTreeSet<Vec<String>>,
}

/// A disclosed entry's parts, before they are put into a [`super::ReceiptEntry`].
pub(super) struct Disclosed {
    pub content: Value,
    pub salts: BTreeMap<String, String>,
    pub redacted: BTreeMap<String, String>,
}

impl Disclosure {
    /// Nothing of the event: its receipt entry is opaque.
    pub fn nothing() -> Disclosure {
        Disclosure::default()
    }

    /// The whole event (the pointer `""`).
    pub fn everything() -> Disclosure {
        Disclosure {
            paths: BTreeSet::from([Vec::new()]),
        }
    }

    /// The subtrees named by `pointers`, e.g. `["/time", "/payload/owner"]`.
    pub fn of_pointers<I, S>(pointers: I) -> Result<Disclosure, ReceiptError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        pointers
            .into_iter()
            .try_fold(Disclosure::nothing(), |disclosure, pointer| {
                disclosure.reveal(pointer.as_ref())
            })
    }

    /// This disclosure plus the subtree named by `pointer`.
    pub fn reveal(mut self, pointer: &str) -> Result<Disclosure, ReceiptError> {
        self.paths.insert(parse_pointer(pointer)?);
        Ok(self)
    }

    /// True if no pointer was given (a pointer that names no node still counts as given).
    pub fn is_nothing(&self) -> bool {
        self.paths.is_empty()
    }

    /// The event's content cut down to this disclosure; `None` if no pointer names a node of
    /// the digest tree, i.e. the entry is opaque.
    pub(super) fn disclose(&self, event: &StoredEvent) -> Option<Disclosed> {
        if self.is_nothing() {
            return None;
        }
        let content = event_content(event);
        // Pruned subtrees are gone: each is cut as redacted, with its recorded digest.
        let pruned_nodes: Vec<(Vec<String>, NodeDigest)> = event
            .pruned
            .as_ref()
            .and_then(|pruned| pruned.nodes().ok())
            .unwrap_or_default()
            .into_iter()
            .map(|(path, digest)| {
                let mut content_path = vec!["payload".to_string()];
                content_path.extend(path);
                (content_path, digest)
            })
            .collect();
        let pruned: Vec<(&[String], &NodeDigest)> = pruned_nodes
            .iter()
            .map(|(path, digest)| (path.as_slice(), digest))
            .collect();
        let paths: Vec<&[String]> = self
            .paths
            .iter()
            .map(Vec::as_slice)
            .filter(|path| names_a_node(&content, path))
            .collect();
        if paths.is_empty() {
            return None;
        }
        let mut disclosed = Disclosed {
            content: Value::Null,
            salts: BTreeMap::new(),
            redacted: BTreeMap::new(),
        };
        let mut pointer = String::new();
        let cutting = Cutting {
            paths: &paths,
            pruned: &pruned,
        };
        disclosed.content = cut(&content, &event.salt, &mut pointer, cutting, &mut disclosed);
        Some(disclosed)
    }
}

/// Splits an RFC 6901 pointer into unescaped tokens (`~1` is `/`, `~0` is `~`).
pub(crate) fn parse_pointer(pointer: &str) -> Result<Vec<String>, ReceiptError> {
    let invalid = |reason| ReceiptError::InvalidPointer {
        pointer: pointer.to_string(),
        reason,
    };
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(invalid("a non-empty pointer starts with '/'"));
    };
    rest.split('/')
        .map(|token| unescape_token(token).ok_or_else(|| invalid("'~' must be followed by 0 or 1")))
        .collect()
}

fn unescape_token(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => return None,
        }
    }
    Some(out)
}

/// Appends `/` and `token` escaped per RFC 6901 to `pointer`.
pub(super) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            _ => pointer.push(c),
        }
    }
}

/// True if `path` names a node of the digest tree: every step goes through a non-leaf.
fn names_a_node(content: &Value, path: &[String]) -> bool {
    let mut node = content;
    for token in path {
        if is_leaf(node) {
            return false;
        }
        let child = match node {
            Value::Object(map) => map.get(token),
            Value::Array(items) => array_index(token).and_then(|index| items.get(index)),
            _ => None,
        };
        match child {
            Some(child) => node = child,
            None => return false,
        }
    }
    true
}

/// An RFC 6901 array index: `0`, or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    let canonical = token == "0" || !token.starts_with('0');
    (digits && canonical).then(|| token.parse().ok()).flatten()
}

/// The disclosure paths and the pruned subtrees that continue into one node.
#[derive(Clone, Copy)]
struct Cutting<'a> {
    paths: &'a [&'a [String]],
    pruned: &'a [(&'a [String], &'a NodeDigest)],
}

/// The skeleton of `node` (at `pointer`, salted `salt`) for the `paths` that continue into it,
/// each of which names a node; records revealed salts and redacted digests in `out`. A pruned
/// subtree is always redacted with its recorded digest; a revealed node holding one is revealed
/// child by child around it.
fn cut(
    node: &Value,
    salt: &Salt,
    pointer: &mut String,
    cutting: Cutting<'_>,
    out: &mut Disclosed,
) -> Value {
    let Cutting { paths, pruned } = cutting;
    if let Some((_, digest)) = pruned.iter().find(|(path, _)| path.is_empty()) {
        out.redacted.insert(pointer.clone(), hex::encode(digest));
        return Value::Null;
    }
    let revealed = paths.iter().any(|path| path.is_empty());
    let container = matches!(node, Value::Object(map) if !map.is_empty())
        || matches!(node, Value::Array(items) if !items.is_empty());
    if revealed && (pruned.is_empty() || !container) {
        out.salts.insert(pointer.clone(), salt.to_hex());
        return node.clone();
    }
    if paths.is_empty() {
        let digest = pruned_node_digest(node, salt, pruned, &mut String::new());
        out.redacted.insert(pointer.clone(), hex::encode(digest));
        return Value::Null;
    }
    let reveal_all: [&[String]; 1] = [&[]];
    let mut child = |key: &str, value: &Value, pointer: &mut String| {
        let rest: Vec<&[String]> = match revealed {
            true => reveal_all.to_vec(),
            false => paths
                .iter()
                .filter(|path| path[0] == key)
                .map(|path| &path[1..])
                .collect(),
        };
        let rest_pruned: Vec<(&[String], &NodeDigest)> = pruned
            .iter()
            .filter(|(path, _)| path[0] == key)
            .map(|(path, digest)| (&path[1..], *digest))
            .collect();
        let length = pointer.len();
        push_token(pointer, key);
        let cutting = Cutting {
            paths: &rest,
            pruned: &rest_pruned,
        };
        let skeleton = cut(value, &salt.child(key), pointer, cutting, out);
        pointer.truncate(length);
        skeleton
    };
    match node {
        Value::Object(map) => {
            let skeleton: Map<String, Value> = map
                .iter()
                .map(|(key, value)| (key.clone(), child(key, value, pointer)))
                .collect();
            Value::Object(skeleton)
        }
        Value::Array(items) => {
            let mut index_text = String::new();
            let skeleton = items.iter().enumerate().map(|(index, value)| {
                index_text.clear();
                push_decimal(index, &mut index_text);
                child(&index_text, value, pointer)
            });
            Value::Array(skeleton.collect())
        }
        _ => unreachable!("paths through a leaf were dropped by names_a_node"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_parsed_and_unescaped_per_rfc_6901() {
        assert_eq!(parse_pointer(""), Ok(vec![]));
        assert_eq!(
            parse_pointer("/a~1b/~0c/"),
            Ok(vec!["a/b".into(), "~c".into(), "".into()])
        );
        for bad in ["payload", "/a~2", "/a~"] {
            assert!(
                matches!(parse_pointer(bad), Err(ReceiptError::InvalidPointer { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn escaping_round_trips() {
        let mut pointer = String::new();
        push_token(&mut pointer, "a/b~c");
        assert_eq!(pointer, "/a~1b~0c");
        assert_eq!(parse_pointer(&pointer), Ok(vec!["a/b~c".to_string()]));
    }

    #[test]
    fn array_indices_have_no_leading_zeros() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("12"), Some(12));
        for bad in ["01", "-", "", "1a", "+1"] {
            assert_eq!(array_index(bad), None, "{bad}");
        }
    }

    #[test]
    fn pointers_into_a_leaf_or_to_nothing_name_no_node() {
        let content = serde_json::json!({ "payload": { "row": ["t", 1.5], "rows": [["t"]] } });
        let named = |pointer| names_a_node(&content, &parse_pointer(pointer).unwrap());
        assert!(named(""));
        assert!(named("/payload/row"));
        assert!(named("/payload/rows"));
        assert!(!named("/payload/rows/0"), "a row of a leaf table");
        assert!(!named("/payload/row/0"), "an element of a leaf row");
        assert!(!named("/payload/rows/0/0"));
        assert!(!named("/payload/missing"));
        assert!(!named("/payload/rows/1"));
    }
}
