//! The wire codec: one JSON line in, a `Header` and a typed body out; an `Outgoing` in, one
//! JSON line out.
//!
//! Parsing builds simd-json's tape of the line (no value tree, no copy: the read buffer's next
//! bytes serve as simd-json's padding). The header is read lazily from the tape; the body is
//! deserialized straight from it, so the body's `type` is checked before decoding it: an
//! unknown `type` is error 10, any other decoding failure error 12 (§2.4).

use crate::error::{ErrorCode, RpcError};
use crate::message::{MsgId, NodeId};
use crate::node::{Outgoing, Payload};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use simd_json::prelude::*;
use simd_json::tape::Value as TapeValue;
use simd_json::{Deserializer, Tape};
use std::io::Write;

/// The fields every message has, read from its tape.
#[derive(Debug)]
pub struct Header<'i> {
    /// Sender.
    pub src: NodeId,
    /// Receiver.
    pub dest: NodeId,
    /// `body.msg_id`, if any.
    pub msg_id: Option<MsgId>,
    /// `body.in_reply_to`, if any.
    pub in_reply_to: Option<MsgId>,
    /// `body.type`.
    pub kind: &'i str,
}

/// Why a line could not be read as a message, with what could still be read of it.
#[derive(Debug)]
pub struct BadFrame {
    /// The sender, if readable.
    pub src: Option<NodeId>,
    /// The id the line was addressed to, if readable: who answers before `init` names the node.
    pub dest: Option<NodeId>,
    /// The request number, if readable.
    pub msg_id: Option<MsgId>,
    /// Whether the line was a reply (never answered, to avoid reply loops).
    pub is_reply: bool,
    /// What was wrong.
    pub error: RpcError,
}

impl<'i> Header<'i> {
    /// Reads the envelope (§2.1) and the body's common fields (§2.2).
    ///
    /// # Errors
    /// A `BadFrame` (error 12) when a field is missing or has the wrong type.
    pub fn read(doc: TapeValue<'_, 'i>) -> Result<Header<'i>, BadFrame> {
        let src = doc.get_str("src").map(NodeId::new);
        let body = doc.get("body");
        let msg_id = body.and_then(|b| b.get_u64("msg_id")).map(MsgId);
        let in_reply_to = body.and_then(|b| b.get_u64("in_reply_to")).map(MsgId);
        // `dest` is read again only for a bad frame, so a good one costs no extra copy.
        let bad = |what: &str| BadFrame {
            src: src.clone(),
            dest: doc.get_str("dest").map(NodeId::new),
            msg_id,
            is_reply: in_reply_to.is_some(),
            error: RpcError::malformed(what.to_string()),
        };
        if !doc.is_object() {
            return Err(bad("a message must be a JSON object"));
        }
        let Some(src_id) = src.clone() else {
            return Err(bad("missing or non-string `src`"));
        };
        let Some(dest) = doc.get_str("dest").map(NodeId::new) else {
            return Err(bad("missing or non-string `dest`"));
        };
        let Some(body) = body.filter(TapeValue::is_object) else {
            return Err(bad("missing `body` object"));
        };
        let Some(kind) = body.get("type").and_then(|t| t.into_string()) else {
            return Err(bad("missing or non-string `body.type`"));
        };
        for (key, parsed) in [("msg_id", msg_id), ("in_reply_to", in_reply_to)] {
            if parsed.is_none() && body.get(key).is_some_and(|v| !v.is_null()) {
                return Err(bad(&format!("`{key}` must be a non-negative integer")));
            }
        }
        Ok(Header { src: src_id, dest, msg_id, in_reply_to, kind })
    }
}

/// The part of a message that the body decoders look at.
#[derive(Deserialize)]
struct BodyOf<T> {
    body: T,
}

/// Decodes the body of the message on `tape` as `T`, handing the tape back for reuse.
///
/// # Errors
/// Error 10 when `T` has no variant for the body's `type`, error 12 when a field is missing or
/// has the wrong type.
pub fn decode_body<'i, T: Deserialize<'i>>(tape: Tape<'i>, kind: &str) -> (Result<T, RpcError>, Tape<'i>) {
    let mut de = Deserializer::from_tape(tape);
    let body = BodyOf::<T>::deserialize(&mut de).map(|b| b.body).map_err(|e| {
        let text = match e.error() {
            simd_json::ErrorType::Serde(text) => text.clone(),
            other => format!("{other:?}"),
        };
        // serde reports a tag it has no variant for as "unknown variant"; that is the only
        // way to tell an unsupported `type` from a malformed body without a second list of
        // type names. `unknown_type_is_error_10_and_bad_fields_error_12` pins this.
        if text.contains("unknown variant") {
            RpcError::not_supported(format!("unsupported message type `{kind}`"))
        } else {
            RpcError::malformed(format!("bad `{kind}` body: {text}"))
        }
    });
    (body, de.into_tape())
}

/// A reply to one of this node's calls, as it arrived: decoded by the call's continuation.
pub struct Reply<'i> {
    tape: Tape<'i>,
}

impl<'i> Reply<'i> {
    /// Wraps the tape of a whole message.
    pub(crate) fn from_tape(tape: Tape<'i>) -> Self {
        Reply { tape }
    }

    /// Parses a reply from a body's JSON text (tests and simulators). `buf` holds the text.
    ///
    /// # Errors
    /// When `body` is not JSON.
    pub fn from_body_json(body: &str, buf: &'i mut Vec<u8>) -> Result<Self, String> {
        buf.clear();
        buf.extend_from_slice(b"{\"body\":");
        buf.extend_from_slice(body.as_bytes());
        buf.push(b'}');
        simd_json::to_tape(buf).map(Reply::from_tape).map_err(|e| e.to_string())
    }

    /// The error an `error` body carries (§2.4), or `None` for any other body. A missing or
    /// unreadable code is taken as 13 (crash), the safe, indefinite answer.
    pub fn error(&self) -> Option<RpcError> {
        let body = self.tape.as_value().get("body")?;
        if body.get_str("type") != Some("error") {
            return None;
        }
        let code = body
            .get_u64("code")
            .map_or(ErrorCode::Crash, |c| ErrorCode::from_code(u32::try_from(c).unwrap_or(u32::MAX)));
        let text = body.get_str("text").unwrap_or("").to_string();
        Some(RpcError::new(code, text))
    }

    /// The body as JSON text.
    pub fn body_json(&self) -> String {
        self.tape.as_value().get("body").map(|b| b.encode()).unwrap_or_default()
    }

    /// Decodes the body as `T`; an `error` body becomes `Err` with its code.
    ///
    /// # Errors
    /// The `error` body's error, or error 13 when the body is not a `T`.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, RpcError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let (body, _) = decode_body::<T>(self.tape, "reply");
        body.map_err(|e| RpcError::new(ErrorCode::Crash, format!("undecodable reply: {}", e.text)))
    }
}

/// Best effort to read the sender, the addressee and the `msg_id` of a line that is not valid
/// JSON, so that `error` can still be answered (STYLE.md's bad-input table). A line that looks
/// like a reply gets no `msg_id`: replies are never answered.
pub fn salvage(line: &[u8], error: RpcError) -> BadFrame {
    let text = String::from_utf8_lossy(line);
    let id_after = |key: &str| {
        find_after(&text, key).and_then(|rest| {
            let rest = rest.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
            let end = rest.find('"')?;
            let id = &rest[..end];
            (!id.is_empty() && !id.contains('\\')).then(|| NodeId::new(id))
        })
    };
    let msg_id = find_after(&text, "\"msg_id\"").and_then(|rest| {
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        rest[..end].parse().ok().map(MsgId)
    });
    let is_reply = text.contains("\"in_reply_to\"");
    BadFrame {
        src: id_after("\"src\""),
        dest: id_after("\"dest\""),
        msg_id: if is_reply { None } else { msg_id },
        is_reply,
        error,
    }
}

fn find_after<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.find(key).map(|i| &text[i + key.len()..])
}

/// Appends `msg` from `src` as one line of JSON to `buf`.
///
/// The body is serialized first and `msg_id` / `in_reply_to` are spliced in before its closing
/// brace, so workload bodies need no envelope fields of their own.
///
/// # Errors
/// When the body does not serialize to a JSON object (a bug in the node's body type); `buf` is
/// left as it was.
pub fn encode<B: Serialize>(src: &NodeId, msg: &Outgoing<B>, buf: &mut Vec<u8>) -> Result<(), String> {
    let start = buf.len();
    buf.extend_from_slice(b"{\"src\":");
    write_str(buf, src);
    buf.extend_from_slice(b",\"dest\":");
    write_str(buf, &msg.dest);
    buf.extend_from_slice(b",\"body\":");
    let body_start = buf.len();
    let written = match &msg.payload {
        Payload::Body(b) => serde_json::to_writer(&mut *buf, b).map_err(|e| e.to_string()),
        Payload::Error(e) => {
            buf.extend_from_slice(b"{\"type\":\"error\",\"code\":");
            let _ = write!(buf, "{}", e.code.code());
            buf.extend_from_slice(b",\"text\":");
            write_str(buf, &e.text);
            buf.push(b'}');
            Ok(())
        }
        Payload::InitOk => {
            buf.extend_from_slice(b"{\"type\":\"init_ok\"}");
            Ok(())
        }
        Payload::Json(json) => {
            buf.extend_from_slice(json.as_bytes());
            Ok(())
        }
    };
    let is_object = buf.len() > body_start + 1 && buf[body_start] == b'{' && buf.last() == Some(&b'}');
    if let Err(e) =
        written.and_then(|()| if is_object { Ok(()) } else { Err("body is not a JSON object".into()) })
    {
        buf.truncate(start);
        return Err(e);
    }
    buf.pop();
    let mut first = buf.len() == body_start + 1;
    for (key, id) in [("msg_id", msg.msg_id), ("in_reply_to", msg.in_reply_to)] {
        if let Some(id) = id {
            if !first {
                buf.push(b',');
            }
            first = false;
            let _ = write!(buf, "\"{key}\":{}", id.0);
        }
    }
    buf.extend_from_slice(b"}}\n");
    Ok(())
}

/// Writes a JSON string; ids and texts are almost always plain ASCII, so that path skips serde.
fn write_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f) {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Body {
        Echo { echo: String },
        EchoOk { echo: String },
        TopologyOk,
    }

    fn with_tape<R>(line: &str, check: impl FnOnce(Tape<'_>) -> R) -> R {
        let mut bytes = line.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).unwrap_or_else(|e| panic!("not JSON: {e}"));
        check(tape)
    }

    #[test]
    fn reads_a_request() {
        with_tape(
            r#"{"id":3,"src":"c1","dest":"n1","body":{"type":"echo","msg_id":7,"echo":"hi"}}"#,
            |tape| {
                let h = Header::read(tape.as_value()).unwrap();
                assert_eq!(
                    (h.src.as_str(), h.dest.as_str(), h.msg_id, h.in_reply_to, h.kind),
                    ("c1", "n1", Some(MsgId(7)), None, "echo")
                );
                assert_eq!(decode_body::<Body>(tape, h.kind).0.unwrap(), Body::Echo { echo: "hi".into() });
            },
        );
    }

    #[test]
    fn unknown_type_is_error_10_and_bad_fields_error_12() {
        let cases = [
            (r#"{"src":"c1","dest":"n1","body":{"type":"frobnicate","msg_id":1}}"#, ErrorCode::NotSupported),
            (r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1}}"#, ErrorCode::MalformedRequest),
            (
                r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1,"echo":5}}"#,
                ErrorCode::MalformedRequest,
            ),
        ];
        for (line, code) in cases {
            let got = with_tape(line, |tape| decode_body::<Body>(tape, "x").0.unwrap_err().code);
            assert_eq!(got, code, "{line}");
        }
    }

    #[test]
    fn bad_envelopes_are_error_12_with_what_could_be_read() {
        let cases = [
            (r#"[1,2]"#, None, None),
            (r#"{"dest":"n1","body":{"type":"echo","msg_id":4}}"#, None, Some(4)),
            (r#"{"src":"c1","body":{"type":"echo","msg_id":4}}"#, Some("c1"), Some(4)),
            (r#"{"src":"c1","dest":"n1"}"#, Some("c1"), None),
            (r#"{"src":"c1","dest":"n1","body":{"msg_id":4}}"#, Some("c1"), Some(4)),
            (r#"{"src":7,"dest":"n1","body":{"type":"echo","msg_id":4}}"#, None, Some(4)),
            (r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":"4"}}"#, Some("c1"), None),
            (r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":-4}}"#, Some("c1"), None),
        ];
        for (line, src, msg_id) in cases {
            with_tape(line, |tape| {
                let bad = Header::read(tape.as_value()).err().unwrap_or_else(|| panic!("accepted {line}"));
                assert_eq!(bad.error.code, ErrorCode::MalformedRequest, "{line}");
                assert_eq!(bad.src.as_deref(), src, "{line}");
                assert_eq!(bad.msg_id.map(|m| m.0), msg_id, "{line}");
            });
        }
    }

    #[test]
    fn replies_decode_or_carry_their_error() {
        let mut buf = Vec::new();
        let ok =
            Reply::from_body_json(r#"{"type":"echo_ok","echo":"a\"b","in_reply_to":1}"#, &mut buf).unwrap();
        assert_eq!(ok.error(), None);
        assert_eq!(ok.decode::<Body>().unwrap(), Body::EchoOk { echo: "a\"b".into() });
        let mut buf = Vec::new();
        let err =
            Reply::from_body_json(r#"{"type":"error","code":20,"text":"key does not exist"}"#, &mut buf)
                .unwrap();
        assert_eq!(
            err.decode::<Body>().unwrap_err(),
            RpcError::new(ErrorCode::KeyDoesNotExist, "key does not exist")
        );
        let mut buf = Vec::new();
        let odd = Reply::from_body_json(r#"{"type":"surprise"}"#, &mut buf).unwrap();
        assert_eq!(odd.decode::<Body>().unwrap_err().code, ErrorCode::Crash);
    }

    #[test]
    fn salvage_finds_sender_of_broken_json_but_never_answers_replies() {
        let read = |line: &[u8]| {
            let bad = salvage(line, RpcError::malformed("x"));
            (bad.src.map(|s| s.to_string()), bad.dest.map(|d| d.to_string()), bad.msg_id, bad.is_reply)
        };
        let got = read(br#"{"src": "c9", "dest":"n1","body":{"type":"echo","msg_id": 12, "echo": "#);
        assert_eq!(got, (Some("c9".into()), Some("n1".into()), Some(MsgId(12)), false));
        let got = read(br#"{"src":"n2","body":{"type":"x","msg_id":3,"in_reply_to":2,"#);
        assert_eq!(got, (Some("n2".into()), None, None, true));
        assert_eq!(read(b"\xff\xfe garbage"), (None, None, None, false));
    }

    #[test]
    fn encodes_replies_with_envelope_fields_spliced_into_the_body() {
        let cases: [(Outgoing<Body>, &str); 5] = [
            (
                Outgoing {
                    dest: "c1".into(),
                    msg_id: None,
                    in_reply_to: Some(MsgId(7)),
                    payload: Payload::Body(Body::EchoOk { echo: "hi \"x\"".into() }),
                },
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hi \"x\"","in_reply_to":7}}"#,
            ),
            (
                Outgoing {
                    dest: "c1".into(),
                    msg_id: None,
                    in_reply_to: Some(MsgId(2)),
                    payload: Payload::Body(Body::TopologyOk),
                },
                r#"{"src":"n1","dest":"c1","body":{"type":"topology_ok","in_reply_to":2}}"#,
            ),
            (
                Outgoing {
                    dest: "c1".into(),
                    msg_id: None,
                    in_reply_to: Some(MsgId(1)),
                    payload: Payload::InitOk,
                },
                r#"{"src":"n1","dest":"c1","body":{"type":"init_ok","in_reply_to":1}}"#,
            ),
            (
                Outgoing {
                    dest: "c2".into(),
                    msg_id: None,
                    in_reply_to: Some(MsgId(3)),
                    payload: Payload::Error(RpcError::not_supported("no \n way")),
                },
                r#"{"src":"n1","dest":"c2","body":{"type":"error","code":10,"text":"no \n way","in_reply_to":3}}"#,
            ),
            (
                Outgoing {
                    dest: "seq-kv".into(),
                    msg_id: Some(MsgId(9)),
                    in_reply_to: None,
                    payload: Payload::Json(r#"{"type":"read","key":"k"}"#.into()),
                },
                r#"{"src":"n1","dest":"seq-kv","body":{"type":"read","key":"k","msg_id":9}}"#,
            ),
        ];
        for (msg, want) in cases {
            let mut buf = Vec::new();
            encode(&NodeId::new("n1"), &msg, &mut buf).unwrap();
            assert_eq!(String::from_utf8(buf).unwrap(), format!("{want}\n"));
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_and_nothing_written() {
        let msg: Outgoing<u32> =
            Outgoing { dest: "c1".into(), msg_id: None, in_reply_to: None, payload: Payload::Body(5) };
        let mut buf = b"kept".to_vec();
        assert!(encode(&NodeId::new("n1"), &msg, &mut buf).is_err());
        assert_eq!(buf, b"kept");
    }
}
