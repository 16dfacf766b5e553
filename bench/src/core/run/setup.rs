//! A run's validated configuration as the command line hands it down: what the run core needs
//! ([`RunConfig`]), plus what a shell needs around it (the criteria to judge by, where results
//! go, and for node processes the binary and its arguments). Plain data, so the shells and the
//! output can take it without depending on the command line.

use super::RunConfig;
use crate::core::checkers::Criteria;
use std::path::PathBuf;

/// A validated run (`test`'s and `sim`'s shared flags, checked by the command line).
#[derive(Debug, Clone)]
pub struct RunSetup {
    /// What the run core needs.
    pub run: RunConfig,
    /// `--availability` and `--strict`.
    pub criteria: Criteria,
    /// `--log-stderr`.
    pub log_stderr: bool,
    /// Results directory root.
    pub store: PathBuf,
}

/// A validated test configuration.
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// What the run core needs.
    pub run: RunConfig,
    /// The node program.
    pub bin: PathBuf,
    /// Its arguments.
    pub node_args: Vec<String>,
    /// `--availability` and `--strict`.
    pub criteria: Criteria,
    /// `--log-stderr`.
    pub log_stderr: bool,
    /// `--test-count`.
    pub test_count: u32,
    /// Results directory root.
    pub store: PathBuf,
}

impl TestConfig {
    /// A test of `bin` (given `node_args`, repeated `test_count` times) on a validated run.
    pub fn new(setup: RunSetup, bin: PathBuf, node_args: Vec<String>, test_count: u32) -> TestConfig {
        TestConfig {
            run: setup.run,
            bin,
            node_args,
            criteria: setup.criteria,
            log_stderr: setup.log_stderr,
            test_count,
            store: setup.store,
        }
    }
}
