//! The example g-set, as a user would test it: three nodes on the testkit's simulated network,
//! one cut off for a while, all converging to the union once the partition heals and a
//! replication round has passed. (`bench/tests/nodes.rs` also runs its binary on the workbench.)

use glomers_engine::testkit::Cluster;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

// The binary's node, compiled into this test.
#[path = "../src/main.rs"]
#[allow(dead_code)]
mod gset;

use gset::{GSet, Request};

#[derive(Deserialize)]
struct ReadOk {
    value: Vec<i64>,
}

fn read(c: &mut Cluster<GSet>, node: &str) -> Vec<i64> {
    let sent = c.request("c1", node, Request::Read);
    sent[0].body_as::<ReadOk>().map(|r| r.value).unwrap_or_default()
}

#[test]
fn nodes_converge_after_a_partition_heals() {
    let mut c = Cluster::<GSet>::new(3, Duration::from_millis(10));
    c.partition(&["n0"], &["n1", "n2"]);
    for (node, element) in [("n0", 1), ("n1", 2), ("n2", 3)] {
        let sent = c.request("c1", node, Request::Add { element });
        assert_eq!(sent[0].json(), json!({"type": "add_ok"}));
    }
    c.run_for(Duration::from_secs(6));
    assert_eq!(read(&mut c, "n0"), [1], "n0 is cut off");
    assert_eq!(read(&mut c, "n1"), [2, 3]);
    c.heal();
    c.run_for(Duration::from_secs(6));
    for node in ["n0", "n1", "n2"] {
        assert_eq!(read(&mut c, node), [1, 2, 3], "{node}");
    }
}
