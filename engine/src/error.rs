//! Maelstrom's error codes (docs/protocol.md §2.4) and the error a handler returns.

use std::fmt;

/// An error code from §2.4's table, or a custom one (1000 and above, read as indefinite).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCode {
    /// 0: could not finish in time; the outcome is unknown.
    Timeout = 0,
    /// 1: the destination does not exist.
    NodeNotFound = 1,
    /// 10: this implementation does not support the operation.
    NotSupported = 10,
    /// 11: cannot be served right now; certainly not applied.
    TemporarilyUnavailable = 11,
    /// 12: the request could not be understood, so it was not applied.
    MalformedRequest = 12,
    /// 13: catch-all with an unknown outcome; always a safe answer.
    Crash = 13,
    /// 14: catch-all for operations known not to have happened.
    Abort = 14,
    /// 20: the key does not exist.
    KeyDoesNotExist = 20,
    /// 21: the key already exists.
    KeyAlreadyExists = 21,
    /// 22: a stated precondition (for example a cas `from`) does not hold.
    PreconditionFailed = 22,
    /// 30: the transaction was aborted because of a conflict.
    TxnConflict = 30,
    /// Any other code: custom codes (≥ 1000) and codes this table does not know.
    Other(u32) = 1000,
}

impl ErrorCode {
    /// The code as sent on the wire.
    pub fn code(self) -> u32 {
        match self {
            ErrorCode::Timeout => 0,
            ErrorCode::NodeNotFound => 1,
            ErrorCode::NotSupported => 10,
            ErrorCode::TemporarilyUnavailable => 11,
            ErrorCode::MalformedRequest => 12,
            ErrorCode::Crash => 13,
            ErrorCode::Abort => 14,
            ErrorCode::KeyDoesNotExist => 20,
            ErrorCode::KeyAlreadyExists => 21,
            ErrorCode::PreconditionFailed => 22,
            ErrorCode::TxnConflict => 30,
            ErrorCode::Other(c) => c,
        }
    }

    /// The code read from the wire.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => ErrorCode::Timeout,
            1 => ErrorCode::NodeNotFound,
            10 => ErrorCode::NotSupported,
            11 => ErrorCode::TemporarilyUnavailable,
            12 => ErrorCode::MalformedRequest,
            13 => ErrorCode::Crash,
            14 => ErrorCode::Abort,
            20 => ErrorCode::KeyDoesNotExist,
            21 => ErrorCode::KeyAlreadyExists,
            22 => ErrorCode::PreconditionFailed,
            30 => ErrorCode::TxnConflict,
            c => ErrorCode::Other(c),
        }
    }

    /// Whether the code says the operation certainly did not happen (§2.4).
    pub fn is_definite(self) -> bool {
        !matches!(self, ErrorCode::Timeout | ErrorCode::Crash | ErrorCode::Other(_))
    }

    /// Maelstrom's name for the code.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Timeout => "timeout",
            ErrorCode::NodeNotFound => "node-not-found",
            ErrorCode::NotSupported => "not-supported",
            ErrorCode::TemporarilyUnavailable => "temporarily-unavailable",
            ErrorCode::MalformedRequest => "malformed-request",
            ErrorCode::Crash => "crash",
            ErrorCode::Abort => "abort",
            ErrorCode::KeyDoesNotExist => "key-does-not-exist",
            ErrorCode::KeyAlreadyExists => "key-already-exists",
            ErrorCode::PreconditionFailed => "precondition-failed",
            ErrorCode::TxnConflict => "txn-conflict",
            ErrorCode::Other(_) => "custom",
        }
    }
}

/// A failed request: the code and a human-readable text, sent as an `error` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// Why, in words.
    pub text: String,
}

impl RpcError {
    /// An error with this code and text.
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        RpcError { code, text: text.into() }
    }

    /// Error 12: the request could not be understood.
    pub fn malformed(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, text)
    }

    /// Error 10: the operation is not supported.
    pub fn not_supported(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotSupported, text)
    }

    /// Error 0: no reply in time.
    pub fn timeout(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::Timeout, text)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {} ({}): {}", self.code.code(), self.code.name(), self.text)
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_definiteness_matches_the_table() {
        let table = [
            (0, "timeout", false),
            (1, "node-not-found", true),
            (10, "not-supported", true),
            (11, "temporarily-unavailable", true),
            (12, "malformed-request", true),
            (13, "crash", false),
            (14, "abort", true),
            (20, "key-does-not-exist", true),
            (21, "key-already-exists", true),
            (22, "precondition-failed", true),
            (30, "txn-conflict", true),
            (1000, "custom", false),
            (5, "custom", false),
        ];
        for (code, name, definite) in table {
            let c = ErrorCode::from_code(code);
            assert_eq!(c.code(), code);
            assert_eq!(c.name(), name, "code {code}");
            assert_eq!(c.is_definite(), definite, "code {code}");
        }
    }
}
