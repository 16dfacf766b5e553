//! What the examples build up in document order, each part checked with the workbench's own
//! code: a workload's conversation between a client and a node (its generator and client), the
//! handshakes a run starts with (a `Run`), and the calls to services (the harness's services).

use super::Body;
use crate::core::faults::Faults;
use crate::core::history::Kind;
use crate::core::run::{NodeIdx, Phase, Run, RunConfig};
use crate::core::topology::Topology;
use crate::core::workloads::{Client, ClientReply, Op, Step, WorkloadConfig, WorkloadKind, WorkloadOpts};
use glomers_harness::net::{Latency, LatencyDist};
use glomers_harness::services::Service;
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// How a JSON value reads in a message: the kinds a schema tells apart.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a non-integer number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks that `doc` has exactly the keys of `sent` (plus `msg_id`, which the run adds), the
/// same `type`, and values of the same kinds.
fn same_shape(sent: &Body, doc: &Body) -> Result<(), String> {
    let keys = |b: &Body| -> BTreeSet<String> { b.keys().filter(|k| *k != "msg_id").cloned().collect() };
    if keys(sent) != keys(doc) {
        return Err(format!("keys {:?}, but the workbench sends {:?}", keys(doc), keys(sent)));
    }
    if sent.get("type") != doc.get("type") {
        return Err(format!(
            "type {:?}, but the workbench sends {:?} here",
            doc.get("type"),
            sent.get("type")
        ));
    }
    for (k, v) in sent {
        let d = doc.get(k).unwrap_or(&Value::Null);
        if kind(d) != kind(v) {
            return Err(format!("{k} is {}, but the workbench sends {}", kind(d), kind(v)));
        }
    }
    Ok(())
}

/// `n0`, `n1`, …
fn node_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("n{i}")).collect()
}

/// A request shown, waiting for its reply.
struct Open {
    client: String,
    node: String,
    msg_id: Value,
    /// The operation it belongs to; `None` for a setup request or a pending workload.
    op: Option<Op>,
    /// For a setup request: the nodes of the run it belongs to.
    setup: Option<Vec<String>>,
}

/// One workload's exchanges so far.
#[derive(Default)]
struct Conversation {
    /// The workbench's client of the current operation.
    client: Option<Box<dyn Client>>,
    /// The operation the client is in the middle of.
    op: Option<Op>,
    /// The request the client sends next in that operation.
    next: Option<Body>,
    open: Option<Open>,
}

/// Every workload's conversation.
#[derive(Default)]
pub struct Conversations {
    by_workload: HashMap<String, Conversation>,
}

/// The first operation of `kind`'s generator whose first request has type `ty`, with the client
/// that sent it and the request.
fn first_request(kind: WorkloadKind, ty: &str) -> Result<(Op, Box<dyn Client>, Body), String> {
    let cfg = WorkloadConfig {
        nodes: node_names(5),
        topology: Topology::Grid,
        concurrency: 10,
        rate: 100.0,
        latency_ms: 0,
        opts: WorkloadOpts::default(),
    };
    let mut workload = kind.build(&cfg);
    let mut rng = Rng::new(1);
    // Every worker in turn: some workloads give workers roles (lin-kv's readers and writers).
    for i in 0..10_000 {
        let op = workload.next_op_for(i % cfg.concurrency, &mut rng);
        let mut client = workload.client();
        if let Step::Send(sent) = client.invoke(&op) {
            if sent.get("type").and_then(Value::as_str) == Some(ty) {
                return Ok((op, client, sent));
            }
        }
    }
    Err(format!("the workbench's {kind} client never sends {ty:?}"))
}

/// The setup request of `kind` for a run over the nodes its example names: the example must be
/// exactly the workbench's for one of the topologies.
fn setup_nodes(kind: WorkloadKind, node: &str, doc: &Body) -> Result<Vec<String>, String> {
    let nodes: Vec<String> = match doc.get("topology") {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => return Err("a topology request carries a topology object".into()),
    };
    let topologies = [
        Topology::Grid,
        Topology::Line,
        Topology::Tree(2),
        Topology::Tree(3),
        Topology::Tree(4),
        Topology::Total,
    ];
    let mut without_id = doc.clone();
    without_id.remove("msg_id");
    let mut sent = None;
    for topology in topologies {
        let cfg = WorkloadConfig {
            nodes: nodes.clone(),
            topology,
            concurrency: 1,
            rate: 0.0,
            latency_ms: 0,
            opts: WorkloadOpts::default(),
        };
        sent = kind.build(&cfg).setup_request(node);
        if sent.as_ref() == Some(&without_id) {
            return Ok(nodes);
        }
    }
    let last = sent.map(|b| Value::Object(b).to_string()).unwrap_or_default();
    Err(format!("no topology of the workbench gives this map; its last try: {last}"))
}

impl Conversations {
    /// A client's request of workload `w`.
    pub fn request(&mut self, w: &str, client: &str, node: &str, body: &Body) -> Result<(), String> {
        let conv = self.by_workload.entry(w.to_owned()).or_default();
        if conv.open.is_some() {
            return Err("the request before this one was never answered".into());
        }
        let mut open = Open {
            client: client.to_owned(),
            node: node.to_owned(),
            msg_id: body.get("msg_id").cloned().unwrap_or(Value::Null),
            op: None,
            setup: None,
        };
        let Some(kind) = WorkloadKind::from_name(w) else {
            // A pending workload: the shape checks of the caller are all there is.
            conv.open = Some(open);
            return Ok(());
        };
        let ty = body.get("type").and_then(Value::as_str).unwrap_or_default();
        if kind.setup().is_some_and(|s| s.request == ty) {
            open.setup = Some(setup_nodes(kind, node, body)?);
        } else if let Some(next) = conv.next.take() {
            same_shape(&next, body)?;
            open.op = conv.op.clone();
        } else {
            let (op, client, sent) = first_request(kind, ty)?;
            same_shape(&sent, body)?;
            conv.client = Some(client);
            conv.op = Some(op.clone());
            open.op = Some(op);
        }
        conv.open = Some(open);
        Ok(())
    }

    /// A node's reply of workload `w`; for the reply to a setup request, the nodes of that run
    /// (the caller checks it with a `Run`).
    pub fn reply(
        &mut self,
        w: &str,
        node: &str,
        client: &str,
        body: &Body,
    ) -> Result<Option<Vec<String>>, String> {
        let conv = self.by_workload.entry(w.to_owned()).or_default();
        let open = conv.open.take().ok_or("a reply with no request of its workload before it")?;
        if body.get("in_reply_to") != Some(&open.msg_id) {
            return Err(format!("in_reply_to must be the request's msg_id, {}", open.msg_id));
        }
        if (node, client) != (open.node.as_str(), open.client.as_str()) {
            return Err(format!(
                "the request went from {} to {}; the reply must go back",
                open.client, open.node
            ));
        }
        if open.setup.is_some() {
            return Ok(open.setup);
        }
        let (Some(op), Some(c)) = (open.op, conv.client.as_mut()) else { return Ok(None) };
        match c.on_reply(&op, ClientReply::Body(body.clone())) {
            Step::Done(done) if done.kind == Kind::Ok => Ok(None),
            Step::Done(done) => Err(format!(
                "the workbench records it as {:?}: {}",
                done.kind,
                done.exception.or(done.error.map(|e| e.to_string())).unwrap_or_default()
            )),
            Step::Send(next) => {
                conv.next = Some(next);
                Ok(None)
            }
        }
    }

    /// Whether every request was answered and every operation shown to its end.
    pub fn finish(&self) -> Result<(), String> {
        let mut names: Vec<&String> = self.by_workload.keys().collect();
        names.sort();
        for w in names {
            let conv = &self.by_workload[w];
            if conv.open.is_some() {
                return Err(format!("{w}: the last request is never answered"));
            }
            if let Some(next) = &conv.next {
                return Err(format!(
                    "{w}: the workbench's client then sends {}; show that exchange too",
                    Value::Object(next.clone())
                ));
            }
        }
        Ok(())
    }
}

/// A run of `kind` over `nodes` with latency 0 and no operations.
fn quiet_run(kind: WorkloadKind, nodes: &[String]) -> Run {
    let cfg = RunConfig {
        workload: kind,
        nodes: nodes.to_vec(),
        concurrency: 1,
        rate: 0.0,
        time_limit: Duration::from_secs(1),
        latency: Latency { dist: LatencyDist::Constant, mean_ms: 0 },
        nemesis: crate::core::nemesis::Nemesis::default(),
        nemesis_interval: Duration::from_secs(10),
        topology: Topology::Grid,
        seed: 1,
        opts: WorkloadOpts::default(),
        faults: Faults::default(),
    };
    Run::start(cfg, Duration::ZERO)
}

/// Drives a quiet run through init and setup: every node answers `init` and the setup request
/// with `<type>_ok`, except that node `who` answers the request of type `ty` with `answer`
/// (sent back to whichever client asked). The phase it ends in.
fn handshake(kind: WorkloadKind, nodes: &[String], who: usize, ty: &str, answer: &Body) -> Phase {
    let mut run = quiet_run(kind, nodes);
    for ms in 0..10 {
        let now = Duration::from_millis(ms);
        run.tick(now);
        for (i, line) in run.take_writes() {
            let Ok(msg) = serde_json::from_slice::<Value>(&line) else { continue };
            let asked = msg["body"]["type"].as_str().unwrap_or_default();
            let body = if i == NodeIdx(who) && asked == ty {
                Value::Object(answer.clone())
            } else {
                json!({"type": format!("{asked}_ok"), "in_reply_to": msg["body"]["msg_id"]})
            };
            let reply = json!({"src": msg["dest"], "dest": msg["src"], "body": body});
            run.on_line(now, i, reply.to_string().as_bytes());
        }
        if matches!(run.phase(), Phase::Main { .. } | Phase::Failed(_)) {
            break;
        }
    }
    run.phase().clone()
}

/// What a handshake's phase says about the answer it was given.
fn judged(phase: Phase, what: &str) -> Result<(), String> {
    match phase {
        Phase::Main { .. } => Ok(()),
        Phase::Failed(why) => Err(format!("the workbench aborts the run: {why}")),
        other => Err(format!("the workbench still waits for {what}: {other:?}")),
    }
}

/// The last `init` shown: the nodes and the node it went to.
#[derive(Default)]
pub struct Handshakes {
    init: Option<(Vec<String>, usize)>,
}

impl Handshakes {
    /// An `init` to `node`: exactly the body a run over its `node_ids` sends that node.
    pub fn init(&mut self, node: &str, body: &Body) -> Result<(), String> {
        let nodes: Vec<String> = body
            .get("node_ids")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .ok_or("init carries node_ids, an array of strings")?;
        let who = nodes.iter().position(|n| n == node).ok_or("the node must be in node_ids")?;
        let mut run = quiet_run(WorkloadKind::Echo, &nodes);
        run.tick(Duration::ZERO);
        let sent = run
            .take_writes()
            .into_iter()
            .find(|(i, _)| *i == NodeIdx(who))
            .and_then(|(_, line)| serde_json::from_slice::<Value>(&line).ok())
            .ok_or("the workbench sends that node no init")?;
        if sent["body"] != Value::Object(body.clone()) {
            return Err(format!("the workbench sends the body {}", sent["body"]));
        }
        self.init = Some((nodes, who));
        Ok(())
    }

    /// The answer of `node` to the last `init`: a run fed it leaves its init phase.
    pub fn init_reply(&mut self, node: &str, body: &Body) -> Result<(), String> {
        let (nodes, who) = self.init.take().ok_or("an init reply with no init before it")?;
        if nodes.get(who).map(String::as_str) != Some(node) {
            return Err(format!("the init went to {:?}", nodes.get(who)));
        }
        judged(handshake(WorkloadKind::Echo, &nodes, who, "init", body), "init_ok")
    }

    /// The answer of `node` to workload `w`'s setup request in a run over `nodes`: the run
    /// leaves its setup phase.
    pub fn setup_reply(&mut self, w: &str, nodes: &[String], node: &str, body: &Body) -> Result<(), String> {
        let kind = WorkloadKind::from_name(w).ok_or("setup of a pending workload")?;
        let setup = kind.setup().ok_or("the workload has no setup")?;
        let who = nodes.iter().position(|n| n == node).ok_or("the node is not in the run")?;
        judged(handshake(kind, nodes, who, setup.request, body), setup.reply)
    }
}

/// The last request shown to each service.
#[derive(Default)]
pub struct ServiceCalls {
    open: HashMap<String, (String, Body)>,
}

/// Whether `got` and `doc` are the same reply but for the values: type, code, keys and kinds.
fn same_reply(got: &Body, doc: &Body) -> bool {
    let keys = |b: &Body| b.keys().cloned().collect::<BTreeSet<_>>();
    got.get("type") == doc.get("type")
        && got.get("code") == doc.get("code")
        && keys(got) == keys(doc)
        && got.iter().all(|(k, v)| doc.get(k).is_some_and(|d| kind(d) == kind(v)))
}

impl ServiceCalls {
    /// A request from `caller` to service `name`, which must answer it.
    pub fn request(&mut self, name: &str, caller: &str, body: &Body) -> Result<(), String> {
        if !body.contains_key("msg_id") {
            return Err("a request to a service needs a msg_id to be matched with its reply".into());
        }
        let mut service = Service::named(name, Rng::new(0)).ok_or("no such service")?;
        if service.handle(caller, body).is_none() {
            return Err(format!("{name} never answers a request of this type (§4)"));
        }
        self.open.insert(name.to_owned(), (caller.to_owned(), body.clone()));
        Ok(())
    }

    /// Service `name`'s reply to `node`: the harness's service gives a reply of the same type,
    /// code, keys and kinds of values to the request before it, from an empty store or one where
    /// the request's key holds a value the example suggests.
    pub fn reply(&mut self, name: &str, node: &str, body: &Body) -> Result<(), String> {
        let (caller, req) =
            self.open.remove(name).ok_or("a service reply with no request to it before it")?;
        if caller != node {
            return Err(format!("the request came from {caller}"));
        }
        if body.get("in_reply_to") != req.get("msg_id") {
            return Err("in_reply_to must be the request's msg_id".into());
        }
        if body.contains_key("msg_id") {
            return Err("service replies carry no msg_id (§4)".into());
        }
        let key = req.get("key").cloned().unwrap_or(Value::Null);
        let mut states = vec![None, Some(json!("a value no example uses"))];
        states.extend(
            [req.get("from"), req.get("to"), req.get("value"), body.get("value")]
                .into_iter()
                .flatten()
                .cloned()
                .map(Some),
        );
        let mut seen = None;
        // lww-kv picks a replica at random: a few seeds give the preset write a chance to land
        // on the replica that then answers.
        for seed in 0..8 {
            for state in &states {
                let mut service = Service::named(name, Rng::new(seed)).ok_or("no such service")?;
                if let Some(v) = state {
                    let write = json!({"type": "write", "key": key, "value": v, "msg_id": 0});
                    if let Value::Object(w) = write {
                        service.handle(&caller, &w);
                    }
                }
                let Some(got) = service.handle(&caller, &req) else { continue };
                if same_reply(&got, body) {
                    return Ok(());
                }
                seen.get_or_insert(got);
            }
        }
        Err(format!(
            "{name} never answers that way; it answers e.g. {}",
            Value::Object(seen.unwrap_or_default())
        ))
    }
}
