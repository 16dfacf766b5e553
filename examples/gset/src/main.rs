//! Maelstrom's g-set, the CRDT chapter of its guide, as the guide's Ruby and JavaScript demos
//! build it: a grow-only set of integers that sends its whole value to every other node every
//! five seconds and merges what it receives by union.
use glomers_engine::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Add { element: i64 },
    Read,
    Replicate { value: BTreeSet<i64> },
}

pub struct GSet(Mutex<BTreeSet<i64>>);

impl Node for GSet {
    type Body = Request;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(GSet(Mutex::default()))
    }
    fn on_start(&self, out: &mut Effects<Self>) {
        out.every(Duration::from_secs(5), |node: &GSet, out| {
            out.send_to_peers(Request::Replicate { value: node.0.lock().clone() });
        });
    }
    fn on_message(&self, msg: Message<Request>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Request::Add { element } => {
                self.0.lock().insert(element);
                out.reply(&msg, json!({"type": "add_ok"}));
            }
            Request::Read => out.reply(&msg, json!({"type": "read_ok", "value": *self.0.lock()})),
            Request::Replicate { value } => self.0.lock().extend(value),
        }
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    run::<GSet>()
}
