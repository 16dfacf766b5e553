//! The key-value state machine the log drives (Raft paper §5, "replicated state machine"):
//! reads, writes and compare-and-set over JSON keys and values, applied in log order on every
//! node. Its answers follow docs/protocol.md §7.7: a read of a missing key is error 20, a cas
//! on one is 20, a cas whose `from` does not match is 22; all three are definite.

use glomers_engine::{ErrorCode, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// An operation as the log carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum Op {
    /// Reads `key`: a read goes through the log, so it sees every write committed before it.
    Read {
        /// The key.
        key: Value,
    },
    /// Sets `key` to `value`.
    Write {
        /// The key.
        key: Value,
        /// The value.
        value: Value,
    },
    /// Sets `key` to `to` if it holds `from`.
    Cas {
        /// The key.
        key: Value,
        /// The value expected.
        from: Value,
        /// The new value.
        to: Value,
    },
    /// What a new leader appends to commit the entries of earlier terms (§8); does nothing.
    Noop,
}

/// A client's answer when its operation is applied (named as on the wire).
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The value read.
    ReadOk {
        /// The value.
        value: Value,
    },
    /// The write is done.
    WriteOk,
    /// The cas is done.
    CasOk,
}

/// The store: each key's value, by the key's JSON text.
#[derive(Debug, Default)]
pub struct Store {
    values: HashMap<String, Value>,
}

impl Store {
    /// Applies `op`; the client's answer (`None` for a no-op).
    pub fn apply(&mut self, op: &Op) -> Option<Result<Reply, RpcError>> {
        let missing = |key: &Value| RpcError::new(ErrorCode::KeyDoesNotExist, format!("no key {key}"));
        Some(match op {
            Op::Read { key } => match self.values.get(&key.to_string()) {
                Some(value) => Ok(Reply::ReadOk { value: value.clone() }),
                None => Err(missing(key)),
            },
            Op::Write { key, value } => {
                self.values.insert(key.to_string(), value.clone());
                Ok(Reply::WriteOk)
            }
            Op::Cas { key, from, to } => match self.values.get_mut(&key.to_string()) {
                None => Err(missing(key)),
                Some(current) if current == from => {
                    *current = to.clone();
                    Ok(Reply::CasOk)
                }
                Some(current) => Err(RpcError::new(
                    ErrorCode::PreconditionFailed,
                    format!("key {key} holds {current}, not {from}"),
                )),
            },
            Op::Noop => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_writes_and_cas_answer_with_the_codes_of_the_workload() {
        let mut s = Store::default();
        let code = |r: Option<Result<Reply, RpcError>>| r.and_then(|r| r.err()).map(|e| e.code.code());
        let cases: [(Op, Option<u32>); 7] = [
            (Op::Read { key: json!(1) }, Some(20)),
            (Op::Cas { key: json!(1), from: json!(0), to: json!(2) }, Some(20)),
            (Op::Write { key: json!(1), value: json!(3) }, None),
            (Op::Cas { key: json!(1), from: json!(0), to: json!(2) }, Some(22)),
            (Op::Cas { key: json!(1), from: json!(3), to: json!(4) }, None),
            (Op::Read { key: json!("1") }, Some(20)),
            (Op::Noop, None),
        ];
        for (op, want) in cases {
            assert_eq!(code(s.apply(&op)), want, "{op:?}");
        }
        assert_eq!(s.apply(&Op::Read { key: json!(1) }), Some(Ok(Reply::ReadOk { value: json!(4) })));
        assert!(ErrorCode::KeyDoesNotExist.is_definite() && ErrorCode::PreconditionFailed.is_definite());
    }
}
