//! How a command ended, as one value every command returns, and its exit code (docs/protocol.md
//! §8.2): 0 valid, 1 invalid, 2 unknown, 254 bad arguments, 255 crashed. Several runs (test
//! counts, a challenge's runs, seeds, the challenge table) combine into the worst of them.

use crate::core::checkers::verdict::Validity;

/// The end of a command, ordered from best to worst so that `max` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every run was valid.
    Valid,
    /// Some run could not be decided, none was invalid.
    Unknown,
    /// Some run was invalid.
    Invalid,
    /// Some run ended without a verdict (it crashed, or its results could not be written).
    Crashed,
    /// The command line or its inputs were refused before anything ran.
    BadArgs,
}

impl Outcome {
    /// The process exit code (§8.2).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Valid => 0,
            Outcome::Invalid => 1,
            Outcome::Unknown => 2,
            Outcome::BadArgs => 254,
            Outcome::Crashed => 255,
        }
    }

    /// The worse of two outcomes.
    #[must_use]
    pub fn and(self, other: Outcome) -> Outcome {
        self.max(other)
    }
}

impl From<Validity> for Outcome {
    fn from(v: Validity) -> Outcome {
        match v {
            Validity::Valid => Outcome::Valid,
            Validity::Invalid => Outcome::Invalid,
            Validity::Unknown => Outcome::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_outcome_wins_and_each_has_its_exit_code() {
        let all = [Outcome::Valid, Outcome::Unknown, Outcome::Invalid, Outcome::Crashed, Outcome::BadArgs];
        let codes: Vec<u8> = all.iter().map(|o| o.exit_code()).collect();
        assert_eq!(codes, [0, 2, 1, 255, 254]);
        assert_eq!(Outcome::Valid.and(Outcome::Unknown).and(Outcome::Invalid), Outcome::Invalid);
        assert_eq!(Outcome::Invalid.and(Outcome::Unknown), Outcome::Invalid);
        assert_eq!(Outcome::Crashed.and(Outcome::Invalid), Outcome::Crashed);
        assert_eq!(Outcome::from(Validity::Unknown), Outcome::Unknown);
    }
}
