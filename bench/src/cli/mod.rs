//! The command line: `test` flags ([`config`]), the Gossip Glomers challenges ([`challenge`]),
//! and the commands with their exit codes ([`commands`]).

pub mod challenge;
pub mod commands;
pub mod config;
