//! Every control by name, as a [`Driver`] a simulator can run in-process: a [`Factory`] per
//! name, the simulator's own shape (`glomers_bench::sim::Factory`), so it runs a control
//! exactly as it runs a node.

use crate::Control;
use glomers_engine::driver::{Clock, Driver};

/// Makes one uninitialised control whose timers follow the given clock.
pub type Factory = fn(Clock) -> Box<dyn Driver>;

/// Every control by name, in the order of [`Control::ALL`].
pub fn controls() -> impl Iterator<Item = (&'static str, Factory)> {
    Control::ALL.into_iter().map(|c| (c.name(), c.factory()))
}

/// The factory of the control called `name`.
pub fn factory(name: &str) -> Option<Factory> {
    name.parse::<Control>().ok().map(Control::factory)
}

/// Every name, comma-separated, for error messages.
pub fn names() -> String {
    Control::names()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_control_but_silent_answers_init_through_its_driver() {
        for (name, make) in controls() {
            let mut d = make(Clock::default());
            let mut out = Vec::new();
            let init = br#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}"#;
            d.on_line(Duration::ZERO, init, &mut out);
            let got: Vec<String> = out.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
            let want: &[&str] = if name == "silent" {
                &[]
            } else {
                &[r#"{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#]
            };
            assert_eq!(got, want, "{name}");
        }
        assert!(factory("txn-g0").is_some() && factory("nope").is_none());
        assert!(names().starts_with("echo, echo-wrong"));
    }
}
