//! Criterion benchmarks of the wire codec: parsing typical envelopes with the engine's
//! simd-json tape path and with serde_json in the same group (their ratio is the point), and
//! encoding typical replies.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use glomers_engine::codec::{decode_body, encode, Header};
use glomers_engine::{MsgId, NodeId, Outgoing, Payload};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use simd_json::{Tape, INPUT_PADDING};
use std::collections::HashMap;
use std::hint::black_box;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Echo { echo: String },
    EchoOk { echo: String },
    Broadcast { message: u64 },
    BroadcastOk,
    Gossip { messages: Vec<u64> },
    Txn { txn: Vec<(String, u64, Option<u64>)> },
    TxnOk { txn: Vec<(String, u64, Option<u64>)> },
    Topology { topology: HashMap<String, Vec<String>> },
}

const ECHO: &str =
    r#"{"id":4711,"src":"c12","dest":"n0","body":{"type":"echo","msg_id":35,"echo":"Please echo 35"}}"#;
const BROADCAST: &str = r#"{"id":91,"src":"n3","dest":"n7","body":{"type":"gossip","msg_id":120,"messages":[17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}}"#;
const TXN: &str = r#"{"id":12,"src":"c3","dest":"n1","body":{"type":"txn","msg_id":3,"txn":[["r",1,null],["w",1,6],["w",2,9],["r",7,null]]}}"#;

/// What the reader keeps between lines: simd-json's buffers and the tape's allocation.
struct Scratch {
    line: Vec<u8>,
    buffers: simd_json::Buffers,
    tape: Option<Tape<'static>>,
}

/// The reader's path: the line parsed in place (its buffer carries simd-json's padding) into
/// a reused tape, the header read lazily, the body decoded straight from the tape.
fn parse_simd<T: DeserializeOwned>(line: &[u8], s: &mut Scratch) -> (MsgId, T) {
    s.line.clear();
    s.line.extend_from_slice(line);
    s.line.resize(line.len() + INPUT_PADDING, b' ');
    let mut tape = s.tape.take().expect("tape kept between lines").reset();
    simd_json::fill_tape_padded(&mut s.line, line.len(), &mut s.buffers, &mut tape).expect("fixture is JSON");
    let header = Header::read(tape.as_value()).expect("fixture is a message");
    let msg_id = header.msg_id.expect("fixture has msg_id");
    let (body, tape) = decode_body::<T>(tape, header.kind);
    let body = body.expect("fixture decodes");
    s.tape = Some(tape.reset());
    (msg_id, body)
}

/// The same work with serde_json: a value tree, the header from it, the body from it.
fn parse_serde_json<T: DeserializeOwned>(line: &[u8]) -> (MsgId, T) {
    let mut v: serde_json::Value = serde_json::from_slice(line).expect("fixture is JSON");
    let _src = NodeId::new(v["src"].as_str().expect("src"));
    let _dest = NodeId::new(v["dest"].as_str().expect("dest"));
    let msg_id = MsgId(v["body"]["msg_id"].as_u64().expect("msg_id"));
    let body = T::deserialize(v["body"].take()).expect("fixture decodes");
    (msg_id, body)
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec::parse");
    group.throughput(Throughput::Elements(1));
    let mut scratch = Scratch {
        line: Vec::new(),
        buffers: simd_json::Buffers::default(),
        tape: Some(Tape::null().reset()),
    };
    for (name, line) in [("echo", ECHO), ("broadcast", BROADCAST), ("txn", TXN)] {
        group.bench_with_input(BenchmarkId::new("simd_json", name), line.as_bytes(), |b, line| {
            b.iter(|| black_box(parse_simd::<Body>(black_box(line), &mut scratch)))
        });
        group.bench_with_input(BenchmarkId::new("serde_json", name), line.as_bytes(), |b, line| {
            b.iter(|| black_box(parse_serde_json::<Body>(black_box(line))))
        });
    }
    group.finish();
}

fn encode_replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec::encode");
    group.throughput(Throughput::Elements(1));
    let me = NodeId::new("n0");
    let reply = |body| Outgoing {
        dest: NodeId::new("c12"),
        msg_id: None,
        in_reply_to: Some(MsgId(35)),
        payload: Payload::Body(body),
    };
    let txn = vec![
        ("r".to_string(), 1, Some(3)),
        ("w".to_string(), 1, Some(6)),
        ("w".to_string(), 2, Some(9)),
        ("r".to_string(), 7, None),
    ];
    let cases = [
        ("echo_ok", reply(Body::EchoOk { echo: "Please echo 35".into() })),
        ("broadcast_ok", reply(Body::BroadcastOk)),
        ("gossip", reply(Body::Gossip { messages: (17..33).collect() })),
        ("txn_ok", reply(Body::TxnOk { txn })),
    ];
    let mut buf = Vec::with_capacity(4096);
    for (name, msg) in &cases {
        group.bench_with_input(BenchmarkId::from_parameter(name), msg, |b, msg| {
            b.iter(|| {
                buf.clear();
                encode(&me, black_box(msg), &mut buf).expect("fixture encodes");
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, encode_replies);
criterion_main!(benches);
