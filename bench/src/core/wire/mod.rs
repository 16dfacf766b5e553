//! The workbench's own strict wire codec (docs/protocol.md §2.1-2.2).
//!
//! This deliberately duplicates the engine's codec: the judge must not share a parsing bug with the
//! nodes it judges. Node output is parsed strictly (exactly `src`, `dest`, `body`, optional `id`;
//! a body is an object with a string `type`); bodies between nodes stay raw JSON text and are
//! forwarded byte for byte, and only bodies addressed to clients and services are decoded.
//! [`check_schema`] checks a decoded reply body against the exact fields of its type.

mod schema;

pub use schema::{check_schema, Field};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// A message body decoded for a client or a service: top-level keys to JSON values.
pub type Body = Map<String, Value>;

/// Why a line from a node's stdout was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The line is not a JSON object.
    NotJson(String),
    /// The envelope has a missing, extra or ill-typed key.
    BadEnvelope(String),
    /// The body is not an object with a string `type`.
    BadBody(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::NotJson(e) => write!(f, "not a JSON object: {e}"),
            WireError::BadEnvelope(e) => write!(f, "bad envelope: {e}"),
            WireError::BadBody(e) => write!(f, "bad body: {e}"),
        }
    }
}

impl std::error::Error for WireError {}

/// An envelope read from a node, borrowing from its line.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// The sender's id as written by the node.
    pub src: Cow<'a, str>,
    /// The receiver's id.
    pub dest: Cow<'a, str>,
    /// The body's `type`.
    pub msg_type: Cow<'a, str>,
    /// The body, as the exact JSON text the node wrote.
    pub body: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    src: Cow<'a, str>,
    #[serde(borrow)]
    dest: Cow<'a, str>,
    #[serde(borrow)]
    body: &'a RawValue,
    #[serde(default)]
    #[allow(dead_code)] // Read only to enforce its type: Maelstrom ignores a node's own id (§2.1).
    id: Option<u64>,
}

#[derive(Deserialize)]
struct TypeOnly<'a> {
    #[serde(rename = "type", borrow)]
    msg_type: Cow<'a, str>,
}

/// Parses one stdout line of a node.
///
/// # Errors
/// A [`WireError`] naming what is wrong with the line.
pub fn parse_line(line: &[u8]) -> Result<Incoming<'_>, WireError> {
    let text = std::str::from_utf8(line).map_err(|e| WireError::NotJson(e.to_string()))?;
    // serde would also accept a JSON array for a struct, so insist on an object first.
    if !text.trim_start().starts_with('{') {
        return Err(WireError::NotJson(clip(text)));
    }
    let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            WireError::NotJson(format!("{e}: {}", clip(text)))
        } else {
            WireError::BadEnvelope(format!("{e}: {}", clip(text)))
        }
    })?;
    if !env.body.get().trim_start().starts_with('{') {
        return Err(WireError::BadBody(format!("body is not an object: {}", clip(text))));
    }
    let t: TypeOnly<'_> = serde_json::from_str(env.body.get())
        .map_err(|e| WireError::BadBody(format!("{e}: {}", clip(text))))?;
    Ok(Incoming { src: env.src, dest: env.dest, msg_type: t.msg_type, body: env.body })
}

/// Decodes a raw body for a client or a service.
///
/// # Errors
/// [`WireError::BadBody`] when the text is not a JSON object.
pub fn decode_body(raw: &str) -> Result<Body, WireError> {
    serde_json::from_str(raw).map_err(|e| WireError::BadBody(e.to_string()))
}

/// Encodes a body for sending.
pub fn encode_body(body: &Body) -> String {
    Value::Object(body.clone()).to_string()
}

/// The line written to a node's stdin: `{"id":..,"src":..,"dest":..,"body":..}` and a newline.
pub fn encode_line(id: u64, src: &str, dest: &str, body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + src.len() + dest.len() + 48);
    put_line(&mut out, id, src, dest, body);
    out
}

/// The length in bytes of [`encode_line`]'s line, newline included, counted without writing it:
/// what a message weighs on the wire (`net.*.send-bytes`, docs/protocol.md §3.3).
pub fn line_len(id: u64, src: &str, dest: &str, body: &str) -> u64 {
    let mut n = ByteCount(0);
    put_line(&mut n, id, src, dest, body);
    n.0
}

/// Where a line goes: a buffer, or a count of its bytes.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts the bytes put, keeping none.
struct ByteCount(u64);

impl Sink for ByteCount {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// Puts the line of [`encode_line`] into `out`.
fn put_line(out: &mut impl Sink, id: u64, src: &str, dest: &str, body: &str) {
    out.put(b"{\"id\":");
    out.put(id.to_string().as_bytes());
    out.put(b",\"src\":");
    put_str(out, src);
    out.put(b",\"dest\":");
    put_str(out, dest);
    out.put(b",\"body\":");
    out.put(body.as_bytes());
    out.put(b"}\n");
}

fn put_str(out: &mut impl Sink, s: &str) {
    // Node and client ids are plain ASCII in practice; escape properly anyway.
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        out.put(b"\"");
        out.put(s.as_bytes());
        out.put(b"\"");
    } else {
        out.put(Value::String(s.to_owned()).to_string().as_bytes());
    }
}

fn clip(text: &str) -> String {
    let t = text.trim_end();
    match t.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", t.get(..i).unwrap_or(t)),
        None => t.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exact_envelopes_and_rejects_the_rest() {
        let ok = parse_line(br#"{"src":"n1","dest":"c2","body":{"type":"echo_ok","in_reply_to":1}}"#);
        let ok = ok.expect("valid envelope");
        assert_eq!((&*ok.src, &*ok.dest, &*ok.msg_type), ("n1", "c2", "echo_ok"));
        assert!(parse_line(br#"{"src":"n1","dest":"c2","id":3,"body":{"type":"x"}}"#).is_ok());
        let cases: [(&[u8], &str); 7] = [
            (b"hello", "not a JSON"),
            (br#"["n1","c2",{"type":"x"}]"#, "not a JSON"),
            (br#"{"src":"n1","dest":"c2","body":{"type":"x"},"extra":1}"#, "bad envelope"),
            (br#"{"src":"n1","body":{"type":"x"}}"#, "bad envelope"),
            (br#"{"src":"n1","dest":"c2","id":1.5,"body":{"type":"x"}}"#, "bad envelope"),
            (br#"{"src":"n1","dest":"c2","body":{"no_type":1}}"#, "bad body"),
            (br#"{"src":"n1","dest":"c2","body":[1]}"#, "bad body"),
        ];
        for (line, want) in cases {
            let err = parse_line(line).expect_err("must be rejected").to_string();
            assert!(err.starts_with(want), "{err} for {}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn encodes_lines_with_escaping() {
        let line = encode_line(7, "c1", "n\"0", r#"{"type":"echo"}"#);
        let v: Value = serde_json::from_slice(&line).expect("valid JSON");
        assert_eq!(v["id"], 7);
        assert_eq!(v["dest"], "n\"0");
        assert_eq!(v["body"]["type"], "echo");
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line_len(7, "c1", "n\"0", r#"{"type":"echo"}"#), line.len() as u64);
        let plain = encode_line(123_456, "n1", "lin-kv", r#"{"type":"read","key":0}"#);
        assert_eq!(plain.len(), 72);
        assert_eq!(line_len(123_456, "n1", "lin-kv", r#"{"type":"read","key":0}"#), 72);
    }
}
