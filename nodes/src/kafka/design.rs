//! Which kafka design a node runs, as one typed value: the `kafka` binary reads it from
//! `GLOMERS_KAFKA_DESIGN` in its `main`, and the workbench's simulator names one node per design
//! (`kafka`, `kafka-lin-kv`).

use std::fmt;
use std::str::FromStr;

/// A kafka design.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Design {
    /// Ours: each key's owner assigns its offsets and replicates the log ([`super::Kafka`]).
    #[default]
    Owner,
    /// The simple design, every key's log one `lin-kv` value ([`super::KafkaLinKv`]).
    LinKv,
}

impl Design {
    /// Every design, by the name `GLOMERS_KAFKA_DESIGN` takes.
    pub const NAMES: [(&'static str, Design); 2] = [("owner", Design::Owner), ("lin-kv", Design::LinKv)];
}

/// A name that is not one of [`Design::NAMES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDesign(pub String);

impl fmt::Display for UnknownDesign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kafka design {:?} (owner or lin-kv)", self.0)
    }
}

impl std::error::Error for UnknownDesign {}

impl FromStr for Design {
    type Err = UnknownDesign;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Design::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
            .ok_or_else(|| UnknownDesign(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_to_its_design_and_others_are_refused() {
        for (name, design) in Design::NAMES {
            assert_eq!(name.parse(), Ok(design));
        }
        assert_eq!("lin_kv".parse::<Design>(), Err(UnknownDesign("lin_kv".into())));
    }
}
