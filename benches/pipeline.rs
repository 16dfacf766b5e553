//! Criterion benchmark of the whole engine in-process: bytes of echo requests through the
//! reader, the worker pool and the writer into a sink, no pipes. Reported per message.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use glomers_engine::{run_with, Config};
use glomers_nodes::echo::Echo;
use std::hint::black_box;

const MESSAGES: u64 = 20_000;

fn input() -> Vec<u8> {
    let mut text = String::from(
        r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#,
    );
    text.push('\n');
    for i in 0..MESSAGES {
        text.push_str(&format!(
            "{{\"id\":{i},\"src\":\"c1\",\"dest\":\"n0\",\"body\":{{\"type\":\"echo\",\"msg_id\":{},\"echo\":\"Please echo {}\"}}}}\n",
            i + 2,
            i % 128
        ));
    }
    text.into_bytes()
}

/// Counts what the writer produced, so the run can be checked and not optimised away.
struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pipeline(c: &mut Criterion) {
    let input = input();
    let mut group = c.benchmark_group("pipeline::run_with");
    group.throughput(Throughput::Elements(MESSAGES));
    group.sample_size(20);
    for workers in [1, 2] {
        let config = Config { workers, ..Config::default() };
        group.bench_function(format!("echo_{workers}_workers"), |b| {
            b.iter(|| {
                let mut sink = CountingSink(0);
                run_with::<Echo>(config.clone(), black_box(&input[..]), &mut sink);
                assert_eq!(sink.0, MESSAGES + 1, "every request answered, plus init_ok");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
