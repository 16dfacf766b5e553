//! Maelstrom's files beside ours (docs/protocol.md §8.1): EDN, the notation Jepsen writes, as a
//! small value type ([`Edn`]) with a printer, and the files made from it: `results.edn`
//! (`results`), and `history.edn` and `history.txt` (`history`); and a reader (`read`) for the
//! real Maelstrom's `results.edn`.
//!
//! EDN here is what `clojure.edn/read` and other EDN readers accept: `nil`, booleans, integers,
//! floats (always with a `.` or an exponent), strings, keywords, vectors and maps. Records and
//! tagged values, which Jepsen also prints, are left out so that any reader can load the files.

mod history;
mod read;
mod results;

pub use history::{history_edn, history_txt};
pub use read::{parse, EdnError};
pub use results::results_edn;

use serde_json::Value;
use std::fmt::Write as _;

/// Lines wider than this are broken, one map entry or vector item a line (as Jepsen's
/// pretty-printer does).
const WIDTH: usize = 96;

/// An EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A keyword, without its colon.
    Keyword(String),
    /// A vector `[…]`.
    Vector(Vec<Edn>),
    /// A map `{…}`, in the order given.
    Map(Vec<(Edn, Edn)>),
    /// A set `#{…}`, in the order given.
    Set(Vec<Edn>),
}

/// Whether `name` can be written as a keyword `:name` (letters, digits and `*+!-_?<>=.`,
/// not starting with a digit).
pub fn is_keyword(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    let ok = |c: char| c.is_ascii_alphanumeric() || "*+!-_?<>=.".contains(c);
    ok(first) && !first.is_ascii_digit() && chars.all(ok)
}

impl Edn {
    /// A keyword if `name` can be one, else a string.
    pub fn keyword(name: &str) -> Edn {
        if is_keyword(name) {
            Edn::Keyword(name.to_owned())
        } else {
            Edn::Str(name.to_owned())
        }
    }

    /// A JSON value as EDN data: objects become maps with string keys, strings stay strings
    /// (what [`write_data`] writes without building the value).
    pub fn data(v: &Value) -> Edn {
        match v {
            Value::Null => Edn::Nil,
            Value::Bool(b) => Edn::Bool(*b),
            Value::Number(n) => number(n),
            Value::String(s) => Edn::Str(s.clone()),
            Value::Array(xs) => Edn::Vector(xs.iter().map(Edn::data).collect()),
            Value::Object(m) => {
                Edn::Map(m.iter().map(|(k, v)| (Edn::Str(k.clone()), Edn::data(v))).collect())
            }
        }
    }

    /// The value on one line, as Clojure's `pr` prints it.
    pub fn compact(&self) -> String {
        let mut s = String::new();
        self.write_compact(&mut s);
        s
    }

    /// The value pretty-printed: a map entry or vector item a line where one line would be
    /// wider than `WIDTH` (96), nested entries indented under their opening bracket.
    pub fn pretty(&self) -> String {
        let mut s = String::new();
        self.write_pretty(&mut s, 0);
        s.push('\n');
        s
    }

    fn write_compact(&self, s: &mut String) {
        match self {
            Edn::Nil => s.push_str("nil"),
            Edn::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            Edn::Int(i) => {
                let _ = write!(s, "{i}");
            }
            Edn::Float(f) => float(*f, s),
            Edn::Str(t) => string(t, s),
            Edn::Keyword(k) => {
                s.push(':');
                s.push_str(k);
            }
            Edn::Vector(xs) | Edn::Set(xs) => {
                s.push_str(if matches!(self, Edn::Set(_)) { "#{" } else { "[" });
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    x.write_compact(s);
                }
                s.push(if matches!(self, Edn::Set(_)) { '}' } else { ']' });
            }
            Edn::Map(entries) => {
                s.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    k.write_compact(s);
                    s.push(' ');
                    v.write_compact(s);
                }
                s.push('}');
            }
        }
    }

    /// Writes the value starting at column `col`.
    fn write_pretty(&self, s: &mut String, col: usize) {
        let flat = self.compact();
        if col + flat.len() <= WIDTH {
            s.push_str(&flat);
            return;
        }
        match self {
            Edn::Vector(xs) => {
                s.push('[');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        newline(s, col + 1);
                    }
                    x.write_pretty(s, col + 1);
                }
                s.push(']');
            }
            Edn::Map(entries) => {
                s.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                        newline(s, col + 1);
                    }
                    let key = k.compact();
                    s.push_str(&key);
                    s.push(' ');
                    v.write_pretty(s, col + 2 + key.len());
                }
                s.push('}');
            }
            _ => s.push_str(&flat),
        }
    }
}

/// Writes a JSON value as EDN data, as [`Edn::data`] then [`Edn::compact`] would, without
/// building it first (a history's values are most of its bytes).
pub fn write_data(v: &Value, s: &mut String) {
    match v {
        Value::Null => s.push_str("nil"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => {
                let _ = write!(s, "{i}");
            }
            (None, Some(u)) => {
                let _ = write!(s, "{u}");
            }
            (None, None) => float(n.as_f64().unwrap_or(0.0), s),
        },
        Value::String(t) => string(t, s),
        Value::Array(xs) => {
            s.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                write_data(x, s);
            }
            s.push(']');
        }
        Value::Object(m) => {
            s.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                string(k, s);
                s.push(' ');
                write_data(x, s);
            }
            s.push('}');
        }
    }
}

fn newline(s: &mut String, indent: usize) {
    s.push('\n');
    s.extend(std::iter::repeat_n(' ', indent));
}

fn number(n: &serde_json::Number) -> Edn {
    if let Some(i) = n.as_i64() {
        Edn::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Edn::Int(i128::from(u))
    } else {
        Edn::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// A float as EDN: `1.0`, `0.25`, `1.0E20`; one that is not finite (JSON has none) as `nil`.
fn float(f: f64, s: &mut String) {
    if !f.is_finite() {
        s.push_str("nil");
        return;
    }
    // `{:?}` keeps a `.0` on whole numbers and writes large ones as `1e20`, which EDN reads.
    let _ = write!(s, "{f:?}");
}

/// A string in double quotes, with `"`, `\` and control characters escaped.
fn string(t: &str, s: &mut String) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_value_prints_as_clojure_prints_it() {
        let v = Edn::Map(vec![
            (Edn::keyword("valid?"), Edn::Keyword("unknown".into())),
            (Edn::Float(0.5), Edn::Int(452)),
            (Edn::keyword("ratio"), Edn::Float(1.0)),
            (
                Edn::keyword("xs"),
                Edn::Vector(vec![Edn::Nil, Edn::Bool(true), Edn::Str("a\"b\n\u{1}".into())]),
            ),
        ]);
        assert_eq!(v.compact(), r#"{:valid? :unknown, 0.5 452, :ratio 1.0, :xs [nil true "a\"b\n\u0001"]}"#);
        assert_eq!(Edn::keyword("G1c-process").compact(), ":G1c-process");
        assert_eq!(Edn::keyword("9lives").compact(), "\"9lives\"");
        assert_eq!(Edn::keyword("a b").compact(), "\"a b\"");
        assert_eq!(Edn::Float(1e20).compact(), "1e20");
    }

    #[test]
    fn a_wide_value_is_broken_into_lines_and_reads_back_the_same() {
        let v = Edn::data(&json!({"a": (0..40).collect::<Vec<_>>(), "b": {"c": "x".repeat(100)}, "d": 1}));
        let text = v.pretty();
        assert!(text.lines().count() > 3, "{text}");
        assert_eq!(parse(&text).ok(), parse(&v.compact()).ok());
        assert_eq!(parse(&text).ok().map(|p| p["d"].clone()), Some(json!(1)));
    }

    #[test]
    fn a_float_from_results_json_reads_back_from_results_edn_unchanged() {
        // A latency the default serde_json parser reads one unit in the last place off.
        let written = 9227.655550000001_f64;
        let json: Value =
            serde_json::from_str(&serde_json::to_string(&written).expect("JSON")).expect("JSON");
        assert_eq!(json.as_f64(), Some(written), "serde_json needs its float_roundtrip feature");
        assert_eq!(parse(&Edn::data(&json).compact()).ok(), Some(json));
    }
}

/// What Maelstrom's files cost for a stored run: `GLOMERS_RUN=store/latest cargo test -p
/// glomers-bench --lib maelstrom_files_of_a_stored_run -- --ignored --nocapture` prints the
/// time to make and write each one.
#[cfg(test)]
mod cost {
    use super::*;
    use crate::core::history::History;
    use std::time::Instant;

    #[test]
    #[ignore = "a measurement: needs GLOMERS_RUN=DIR, a run directory"]
    fn maelstrom_files_of_a_stored_run() {
        let dir = std::path::PathBuf::from(std::env::var("GLOMERS_RUN").expect("GLOMERS_RUN=DIR"));
        let events = crate::output::html::read_history(&dir.join("history.jsonl")).expect("history.jsonl");
        let history = History { events };
        let results: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).expect("results.json"))
                .expect("JSON");
        let out = std::env::temp_dir().join(format!("glomers-edn-cost-{}", std::process::id()));
        std::fs::create_dir_all(&out).expect("dir");
        let time = |name: &str, make: &dyn Fn() -> String| {
            let start = Instant::now();
            let text = make();
            std::fs::write(out.join(name), &text).expect("written");
            eprintln!("{name}: {:.3} s, {} bytes", start.elapsed().as_secs_f64(), text.len());
            text
        };
        let edn = time("results.edn", &|| results_edn(&results));
        time("history.edn", &|| history_edn(&history, &[]));
        time("history.txt", &|| history_txt(&history, &[]));
        eprintln!("{} operations", history.events.len());
        assert!(parse(&edn).is_ok());
    }
}
