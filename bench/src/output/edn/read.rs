//! A reader for EDN, the format of Maelstrom's `results.edn`, into JSON values, so that a run
//! of the real Maelstrom can be summarised like one of ours (and our own EDN files read back in
//! tests).
//!
//! Keywords become strings without their colon (`:valid?` → `"valid?"`), map keys that are not
//! strings become their text (`{0.5 452}` → `{"0.5": 452}`), vectors, lists and sets become
//! arrays, ratios become floats, and a tagged value (`#inst "…"`, a record `#a.B{…}`) becomes
//! the value it tags. Comments (`;`) and discarded forms (`#_`) are skipped.

use serde_json::{Map, Number, Value};
use std::fmt;

/// Why a text is not EDN this reader understands.
#[derive(Debug, PartialEq, Eq)]
pub struct EdnError {
    /// Byte offset of the problem.
    pub at: usize,
    /// What was wrong.
    pub what: String,
}

impl fmt::Display for EdnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EDN error at byte {}: {}", self.at, self.what)
    }
}

impl std::error::Error for EdnError {}

/// Reads the first EDN value of `text`.
///
/// # Errors
/// When the text is not EDN (unbalanced brackets, a bad string or number, nothing to read).
pub fn parse(text: &str) -> Result<Value, EdnError> {
    let mut r = Reader { s: text.as_bytes(), i: 0 };
    r.value()
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

/// Bytes that end a token (a symbol, keyword or number).
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';')
}

impl Reader<'_> {
    fn fail<T>(&self, what: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError { at: self.i, what: what.into() })
    }

    fn skip_space(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            if b.is_ascii_whitespace() || b == b',' {
                self.i += 1;
            } else if b == b';' {
                while self.s.get(self.i).is_some_and(|&c| c != b'\n') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.i;
        while self.s.get(self.i).is_some_and(|&b| !is_delimiter(b)) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or("")
    }

    fn value(&mut self) -> Result<Value, EdnError> {
        self.skip_space();
        let Some(&b) = self.s.get(self.i) else { return self.fail("unexpected end of input") };
        match b {
            b'{' => {
                self.i += 1;
                self.map()
            }
            b'[' | b'(' => {
                self.i += 1;
                self.seq(if b == b'[' { b']' } else { b')' })
            }
            b'#' => {
                self.i += 1;
                match self.s.get(self.i) {
                    Some(b'{') => {
                        self.i += 1;
                        self.seq(b'}')
                    }
                    Some(b'_') => {
                        self.i += 1;
                        self.value()?;
                        self.value()
                    }
                    _ => {
                        // A tag: `#inst "…"`, or a record `#jepsen.history.Op{…}`.
                        self.token();
                        self.value()
                    }
                }
            }
            b'"' => {
                self.i += 1;
                self.string().map(Value::String)
            }
            b'}' | b']' | b')' => self.fail(format!("unexpected `{}`", b as char)),
            b'\\' => {
                self.i += 1;
                let t = self.token().to_string();
                Ok(Value::String(t))
            }
            _ => self.atom(),
        }
    }

    fn seq(&mut self, close: u8) -> Result<Value, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.s.get(self.i) {
                Some(&b) if b == close => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                Some(_) => items.push(self.value()?),
                None => return self.fail(format!("missing `{}`", close as char)),
            }
        }
    }

    fn map(&mut self) -> Result<Value, EdnError> {
        let mut map = Map::new();
        loop {
            self.skip_space();
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                Some(_) => {
                    let key = match self.value()? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    self.skip_space();
                    if self.s.get(self.i) == Some(&b'}') {
                        return self.fail("a map needs a value for every key");
                    }
                    let value = self.value()?;
                    map.insert(key, value);
                }
                None => return self.fail("missing `}`"),
            }
        }
    }

    fn string(&mut self) -> Result<String, EdnError> {
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.i) else { return self.fail("unterminated string") };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else { return self.fail("unterminated string") };
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex =
                                self.s.get(self.i..self.i + 4).and_then(|h| std::str::from_utf8(h).ok());
                            let c =
                                hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
                            let Some(c) = c else { return self.fail("bad \\u escape") };
                            self.i += 4;
                            out.extend_from_slice(c.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8(out).or_else(|_| self.fail("string is not UTF-8"))
    }

    fn atom(&mut self) -> Result<Value, EdnError> {
        let start = self.i;
        let t = self.token().to_string();
        if t.is_empty() {
            self.i = start;
            return self.fail("unexpected character");
        }
        Ok(match t.as_str() {
            "nil" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ if t.starts_with(':') => Value::String(t[1..].to_string()),
            _ => number(&t).unwrap_or(Value::String(t)),
        })
    }
}

/// An EDN number (`42`, `42N`, `-1.5`, `1.5M`, `1/3`) as JSON, or `None` for a symbol.
fn number(t: &str) -> Option<Value> {
    let first = t.bytes().next()?;
    if !(first.is_ascii_digit() || ((first == b'-' || first == b'+') && t.len() > 1)) {
        return None;
    }
    let t = t.trim_end_matches(['N', 'M']);
    if let Some((a, b)) = t.split_once('/') {
        let (a, b) = (a.parse::<f64>().ok()?, b.parse::<f64>().ok()?);
        return Number::from_f64(a / b).map(Value::Number);
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    t.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_maelstrom_results_map() {
        let text = r#"{:perf {:valid? true}, :net {:servers {:send-count 7940, :msgs-per-op 3.97}}
            ;; a comment
            :workload {:valid? :unknown, :stable-latencies {0 0, 0.5 452, 1 802}, :lost #{}
                       :worst-stale [#jepsen.history.Op{:index 3, :f :read, :value nil}]
                       :ratio 1/4, :big 12N, :time #inst "2025-11-28T00:00:00.000-00:00", :x #_ 5 "y"}
            :valid? false}"#;
        let v = parse(text).unwrap();
        assert_eq!(v["net"]["servers"]["msgs-per-op"], json!(3.97));
        assert_eq!(v["workload"]["valid?"], "unknown");
        assert_eq!(v["workload"]["stable-latencies"], json!({"0": 0, "0.5": 452, "1": 802}));
        assert_eq!(v["workload"]["lost"], json!([]));
        assert_eq!(v["workload"]["worst-stale"], json!([{"index": 3, "f": "read", "value": null}]));
        assert_eq!(v["workload"]["ratio"], json!(0.25));
        assert_eq!(v["workload"]["big"], json!(12));
        assert_eq!(v["workload"]["time"], "2025-11-28T00:00:00.000-00:00");
        assert_eq!(v["workload"]["x"], "y");
        assert_eq!(v["valid?"], false);
    }

    #[test]
    fn strings_symbols_and_negative_numbers() {
        assert_eq!(
            parse(r#"["a\"b\n" foo -3 -2.5 + :ns/kw (1 2)]"#).unwrap(),
            json!(["a\"b\n", "foo", -3, -2.5, "+", "ns/kw", [1, 2]])
        );
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        for text in ["{:a 1", "[1 2", "\"open", "{:a}", "", ")", "\"\\u12\""] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }
}
