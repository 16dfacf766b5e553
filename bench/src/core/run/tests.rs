//! A whole run under virtual time, with in-memory nodes written in the test: no processes.

use super::*;
use crate::core::history::Kind;
use glomers_harness::net::LatencyDist;
use serde_json::{json, Value};

fn config(workload: WorkloadKind, nodes: usize, rate: f64, secs: u64) -> RunConfig {
    RunConfig {
        workload,
        nodes: (0..nodes).map(|i| format!("n{i}")).collect(),
        concurrency: nodes,
        rate,
        time_limit: Duration::from_secs(secs),
        latency: Latency { dist: LatencyDist::Constant, mean_ms: 10 },
        nemesis: crate::core::nemesis::Nemesis::default(),
        nemesis_interval: Duration::from_secs(10),
        topology: Topology::Grid,
        seed: 5,
        opts: WorkloadOpts::default(),
        faults: crate::core::faults::Faults::default(),
    }
}

/// Drives `run` to the end; `node` answers each delivered message with lines to write back.
fn drive(mut run: Run, mut node: impl FnMut(usize, &Value) -> Vec<Value>) -> Run {
    let mut now = Duration::ZERO;
    for _ in 0..1_000_000 {
        run.tick(now);
        for (i, line) in run.take_writes() {
            let msg: Value = serde_json::from_slice(&line).expect("the run writes JSON");
            for out in node(i.0, &msg) {
                run.on_line(now, i, out.to_string().as_bytes());
            }
        }
        if run.is_over() {
            return run;
        }
        match run.next_deadline() {
            Some(d) if d > now => now = d,
            Some(_) => {}
            None => now += Duration::from_millis(1),
        }
    }
    panic!("run did not finish");
}

fn reply(msg: &Value, body: Value) -> Value {
    let mut body = body;
    body["in_reply_to"] = msg["body"]["msg_id"].clone();
    json!({"src": msg["dest"], "dest": msg["src"], "body": body})
}

#[test]
fn echo_run_counts_only_client_traffic() {
    let run = Run::start(config(WorkloadKind::Echo, 1, 10.0, 3), Duration::ZERO);
    let run = drive(run, |_, msg| {
        let b = &msg["body"];
        match b["type"].as_str() {
            Some("init") => vec![reply(msg, json!({"type":"init_ok"}))],
            Some("echo") => vec![reply(msg, json!({"type":"echo_ok","echo":b["echo"]}))],
            _ => vec![],
        }
    });
    assert_eq!(run.phase(), &Phase::Done);
    let h = run.history();
    let ops = h.events.iter().filter(|e| e.kind == Kind::Invoke).count() as u64;
    assert!((15..=50).contains(&ops), "about 10/s for 3 s: {ops}");
    assert!(h.completions().all(|e| e.kind == Kind::Ok));
    let s = run.net_stats();
    assert_eq!(s.servers.send, 0);
    assert_eq!(s.clients.send, 2 + 2 * ops);
    assert_eq!(s.all.send, s.clients.send);
    assert_eq!(run.workload().check(h).valid, crate::core::checkers::verdict::Validity::Valid);
}

#[test]
fn servers_traffic_counts_gossip_and_services_but_not_clients() {
    // Each broadcast is forwarded once to every other node and written to lin-kv: per broadcast,
    // 2 gossip messages, 1 kv request and 1 kv reply are servers traffic.
    let run = Run::start(config(WorkloadKind::Broadcast, 3, 20.0, 2), Duration::ZERO);
    let mut seen: Vec<Vec<Value>> = vec![Vec::new(); 3];
    let run = drive(run, |i, msg| {
        let b = &msg["body"];
        let me = format!("n{i}");
        match b["type"].as_str() {
            Some("init") => vec![reply(msg, json!({"type":"init_ok"}))],
            Some("topology") => vec![reply(msg, json!({"type":"topology_ok"}))],
            Some("broadcast") => {
                seen[i].push(b["message"].clone());
                let mut out = vec![reply(msg, json!({"type":"broadcast_ok"}))];
                for j in (0..3).filter(|&j| j != i) {
                    out.push(json!({"src": me, "dest": format!("n{j}"), "body": {"type":"gossip","message": b["message"]}}));
                }
                out.push(json!({"src": me, "dest": "lin-kv", "body": {"type":"write","key":"k","value":1,"msg_id":1}}));
                out
            }
            Some("gossip") => {
                seen[i].push(b["message"].clone());
                vec![]
            }
            Some("read") => vec![reply(msg, json!({"type":"read_ok","messages": seen[i]}))],
            _ => vec![],
        }
    });
    let h = run.history();
    let ops = h.events.iter().filter(|e| e.kind == Kind::Invoke).count() as u64;
    let broadcasts = h.events.iter().filter(|e| e.kind == Kind::Invoke && e.f == "broadcast").count() as u64;
    let s = run.net_stats();
    assert_eq!(s.servers.send, 4 * broadcasts);
    assert_eq!(s.servers.recv, 4 * broadcasts);
    // init and topology round trips plus one round trip per operation (final reads included).
    assert_eq!(s.clients.send, 3 * 2 + 3 * 2 + 2 * ops);
    let c = run.workload().check(h);
    assert_eq!(c.valid, crate::core::checkers::verdict::Validity::Valid, "{:?}", c.problems);
}

/// Broadcast on 2 nodes whose every broadcast is forwarded to the other node as `gossip`, with a
/// field `pad` of `pad` bytes when given: (net stats, bytes sent, gossip lines the nodes read,
/// their bytes as serde_json writes them again, newline included).
fn gossip_run(pad: Option<&str>) -> (NetStats, SentBytes, u64, u64) {
    let run = Run::start(config(WorkloadKind::Broadcast, 2, 20.0, 2), Duration::ZERO);
    let mut seen: Vec<Vec<Value>> = vec![Vec::new(); 2];
    let (mut gossip_lines, mut gossip_bytes) = (0u64, 0u64);
    let run = drive(run, |i, msg| {
        let b = &msg["body"];
        match b["type"].as_str() {
            Some("init") => vec![reply(msg, json!({"type":"init_ok"}))],
            Some("topology") => vec![reply(msg, json!({"type":"topology_ok"}))],
            Some("broadcast") => {
                seen[i].push(b["message"].clone());
                let mut gossip = json!({"type":"gossip","message": b["message"]});
                if let Some(pad) = pad {
                    gossip["pad"] = json!(pad);
                }
                vec![
                    reply(msg, json!({"type":"broadcast_ok"})),
                    json!({"src": format!("n{i}"), "dest": format!("n{}", 1 - i), "body": gossip}),
                ]
            }
            Some("gossip") => {
                gossip_lines += 1;
                gossip_bytes += msg.to_string().len() as u64 + 1;
                seen[i].push(b["message"].clone());
                vec![]
            }
            Some("read") => vec![reply(msg, json!({"type":"read_ok","messages": seen[i]}))],
            _ => vec![],
        }
    });
    (run.net_stats(), run.net_bytes(), gossip_lines, gossip_bytes)
}

/// Servers traffic weighs the lines the receiving nodes read: with no partition every gossip
/// line arrives, so `servers` bytes are the sum of the lengths of the lines the nodes were given
/// (written again here by serde_json, not by the bench's encoder); and a gossip padded with
/// `,"pad":"…"` (1,009 bytes) weighs exactly that much more, once per message.
#[test]
fn servers_bytes_are_the_lines_the_nodes_read() {
    let (s, bytes, lines, read) = gossip_run(None);
    assert!(lines > 10, "{lines}");
    assert_eq!(s.servers.send, lines);
    assert_eq!(bytes.servers, read);
    assert_eq!(bytes.all, bytes.servers + bytes.clients);
    assert!(bytes.clients > 0);
    let pad = "x".repeat(1000);
    let (s2, padded, lines2, read2) = gossip_run(Some(&pad));
    assert_eq!((s2, lines2), (s, lines), "the same seed runs the same messages");
    assert_eq!(padded.servers, read2);
    assert_eq!(padded.servers - bytes.servers, lines * (r#","pad":"""#.len() as u64 + 1000));
    assert_eq!(padded.clients, bytes.clients);
}

#[test]
fn a_reply_to_a_closed_client_makes_the_node_deaf() {
    let run = Run::start(config(WorkloadKind::Echo, 1, 10.0, 1), Duration::ZERO);
    let mut late = true;
    let run = drive(run, |_, msg| match msg["body"]["type"].as_str() {
        Some("init") => vec![reply(msg, json!({"type":"init_ok"}))],
        Some("echo") if late => {
            // A second init_ok, written after the init client has closed.
            late = false;
            let stale = json!({"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}});
            vec![stale, reply(msg, json!({"type":"echo_ok","echo":msg["body"]["echo"]}))]
        }
        Some("echo") => vec![reply(msg, json!({"type":"echo_ok","echo":msg["body"]["echo"]}))],
        _ => vec![],
    });
    let n = run.notices();
    assert_eq!(n.len(), 1);
    assert!(
        n[0].text.contains("sent init_ok to c0, the init client, which closed after init_ok"),
        "{}",
        n[0].text
    );
    // Nothing after that was read, so every echo timed out.
    assert!(run.history().completions().all(|e| e.kind == Kind::Info));
}

#[test]
fn init_timeout_fails_the_run() {
    let run = Run::start(config(WorkloadKind::Echo, 2, 10.0, 1), Duration::ZERO);
    let run = drive(run, |i, msg| if i == 0 { vec![reply(msg, json!({"type":"init_ok"}))] } else { vec![] });
    assert_eq!(run.phase(), &Phase::Failed(Failure::InitTimeout("n1".into())));
}

#[test]
fn a_flooding_node_is_backlogged_until_its_messages_are_delivered() {
    let mut run = Run::start(config(WorkloadKind::Echo, 2, 0.0, 1), Duration::ZERO);
    let (n0, n1) = (NodeIdx(0), NodeIdx(1));
    let line = br#"{"src":"n0","dest":"n1","body":{"type":"flood"}}"#;
    for _ in 0..MAX_BACKLOG {
        assert!(!run.is_backlogged(n0));
        run.on_line(Duration::ZERO, n0, line);
    }
    assert!(run.is_backlogged(n0) && !run.is_backlogged(n1));
    let floods = |run: &mut Run| {
        let writes = run.take_writes();
        writes.iter().filter(|(i, l)| *i == n1 && String::from_utf8_lossy(l).contains("flood")).count()
    };
    run.hold_deliveries(n1, true);
    run.tick(Duration::from_millis(10));
    assert_eq!(floods(&mut run), 0, "nothing reaches a held node");
    assert!(run.is_backlogged(n0), "held messages stay charged to their sender");
    run.hold_deliveries(n1, false);
    run.tick(Duration::from_millis(10));
    assert_eq!(floods(&mut run), MAX_BACKLOG as usize, "nothing was dropped");
    assert!(!run.is_backlogged(n0));
}
