//! Unit tests of the network simulator: latency distributions, ordering, partitions, statistics.

use super::*;

fn net(dist: LatencyDist, mean_ms: u64) -> Net<u32> {
    Net::new(Latency { dist, mean_ms }, Rng::new(42))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sends one node-to-node message at time 0 to each of `n` receivers (so no message waits behind
/// another) and returns each delivery's latency in ms, polling at every announced deadline.
fn delivered_latencies(mut net: Net<u32>, n: u32) -> Vec<u64> {
    let a = net.add(Role::Node);
    let receivers: Vec<Ep> = (0..n).map(|_| net.add(Role::Node)).collect();
    for (i, r) in receivers.iter().enumerate() {
        net.send(Duration::ZERO, a, *r, i as u32);
    }
    let mut out = Vec::new();
    while let Some(t) = net.next_deadline() {
        while let Some(p) = net.poll(t) {
            assert_eq!(p.deadline, t, "delivered exactly at its deadline");
            out.push(t.as_millis() as u64);
        }
    }
    out.sort_unstable();
    out
}

fn quantile(sorted: &[u64], q: f64) -> u64 {
    let i = ((sorted.len() as f64) * q) as usize;
    sorted.get(i.min(sorted.len() - 1)).copied().unwrap_or(0)
}

#[test]
fn constant_latency_is_exact_and_in_send_order() {
    let mut n = net(LatencyDist::Constant, 100);
    let a = n.add(Role::Node);
    let b = n.add(Role::Node);
    for i in 0..100 {
        n.send(ms(i), a, b, i as u32);
    }
    assert!(n.poll(ms(99)).is_none());
    let mut got = Vec::new();
    for t in 100..200 {
        while let Some(p) = n.poll(ms(t)) {
            assert_eq!(p.deadline, ms(t));
            assert_eq!(p.deadline - ms(u64::from(p.payload)), ms(100));
            got.push(p.payload);
        }
    }
    assert_eq!(got, (0..100).collect::<Vec<u32>>());
}

#[test]
fn uniform_draws_cover_zero_to_twice_the_mean() {
    let lat = Latency { dist: LatencyDist::Uniform, mean_ms: 100 };
    let mut rng = Rng::new(1);
    let mut xs: Vec<u64> = (0..100_000).map(|_| lat.draw(&mut rng).as_millis() as u64).collect();
    xs.sort_unstable();
    assert_eq!(xs.first(), Some(&0));
    assert_eq!(xs.last(), Some(&199));
    let (p50, p90) = (quantile(&xs, 0.5), quantile(&xs, 0.9));
    assert!((97..=103).contains(&p50), "p50 {p50}");
    assert!((177..=183).contains(&p90), "p90 {p90}");
}

#[test]
fn exponential_draws_have_the_right_quantiles() {
    let lat = Latency { dist: LatencyDist::Exponential, mean_ms: 100 };
    let mut rng = Rng::new(2);
    let mut xs: Vec<u64> = (0..100_000).map(|_| lat.draw(&mut rng).as_millis() as u64).collect();
    xs.sort_unstable();
    // Quantile q of an exponential with mean m is -m ln(1-q), then floored.
    let (p50, p99) = (quantile(&xs, 0.5), quantile(&xs, 0.99));
    assert!((66..=72).contains(&p50), "p50 {p50}");
    assert!((440..=480).contains(&p99), "p99 {p99}");
    let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
    assert!((97.0..101.0).contains(&mean), "mean {mean}");
}

#[test]
fn delivered_latencies_follow_the_distribution() {
    let xs = delivered_latencies(net(LatencyDist::Uniform, 50), 5000);
    assert_eq!(xs.len(), 5000);
    assert_eq!((xs.first(), xs.last()), (Some(&0), Some(&99)));
    assert!((45..=55).contains(&quantile(&xs, 0.5)), "uniform p50 {}", quantile(&xs, 0.5));
    let xs = delivered_latencies(net(LatencyDist::Exponential, 50), 5000);
    assert!((30..=39).contains(&quantile(&xs, 0.5)), "exponential p50 {}", quantile(&xs, 0.5));
    assert!((200..=265).contains(&quantile(&xs, 0.99)), "exponential p99 {}", quantile(&xs, 0.99));
    let xs = delivered_latencies(net(LatencyDist::Constant, 50), 100);
    assert!(xs.iter().all(|&x| x == 50));
}

#[test]
fn clients_get_zero_latency() {
    let mut n = net(LatencyDist::Constant, 100);
    let c = n.add(Role::Client);
    let a = n.add(Role::Node);
    n.send(ms(5), c, a, 1);
    assert_eq!(n.poll(ms(5)).map(|p| p.payload), Some(1));
}

#[test]
fn partitions_are_checked_when_a_message_is_taken() {
    let mut n = net(LatencyDist::Constant, 100);
    let a = n.add(Role::Node);
    let b = n.add(Role::Node);
    // Taken by an idle receiver before the cut: delivered after its latency.
    n.send(ms(0), a, b, 1);
    n.set_grudge(&[(b, vec![a])]);
    assert!(n.is_cut(a, b) && !n.is_cut(b, a));
    // Queued behind the first, taken while cut: lost even though the cut heals before its deadline.
    n.send(ms(1), a, b, 2);
    n.send(ms(2), b, a, 3);
    assert_eq!(n.poll(ms(100)).map(|p| p.payload), Some(1));
    n.heal();
    assert_eq!(n.poll(ms(102)).map(|p| p.payload), Some(3));
    assert!(n.poll(ms(1000)).is_none());
    assert_eq!(n.take_dropped().len(), 1);
    let s = n.stats();
    assert_eq!((s.servers.send, s.servers.recv), (3, 2));
}

#[test]
fn statistics_split_clients_from_servers_and_count_services_as_servers() {
    let mut n = net(LatencyDist::Constant, 10);
    let c = n.add(Role::Client);
    let n0 = n.add(Role::Node);
    let n1 = n.add(Role::Node);
    let kv = n.add(Role::Service);
    // One client operation: request, two gossip messages, a service round trip, the reply.
    n.send(ms(0), c, n0, 0);
    n.send(ms(0), n0, n1, 0);
    n.send(ms(0), n1, n0, 0);
    n.send(ms(0), n0, kv, 0);
    n.send(ms(0), kv, n0, 0);
    n.send(ms(0), n0, c, 0);
    while n.poll(ms(100)).is_some() {}
    let s = n.stats();
    assert_eq!(s.clients, Counts { send: 2, recv: 2 });
    assert_eq!(s.servers, Counts { send: 4, recv: 4 });
    assert_eq!(s.all, Counts { send: 6, recv: 6 });
}

/// Everything delivered by the end, as (time in ms, payload).
fn drain_all(net: &mut Net<u32>) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    while let Some(t) = net.next_deadline() {
        while let Some(p) = net.poll(t) {
            out.push((t.as_millis() as u64, p.payload));
        }
    }
    out
}

#[test]
fn duplication_delivers_server_messages_twice_and_client_messages_once() {
    let mut n = net(LatencyDist::Constant, 10);
    n.set_faults(NetFaults { duplicate: 1.0, ..NetFaults::default() });
    let (a, b, c) = (n.add(Role::Node), n.add(Role::Node), n.add(Role::Client));
    n.send(Duration::ZERO, a, b, 1);
    n.send(Duration::ZERO, b, c, 2);
    let got = drain_all(&mut n);
    assert_eq!(got, [(0, 2), (10, 1), (20, 1)], "the copy trails by one more latency");
    assert_eq!((n.stats().servers.send, n.stats().servers.recv), (1, 2));
}

#[test]
fn reordering_lets_later_messages_overtake_at_constant_latency() {
    let mut n = net(LatencyDist::Constant, 10);
    n.set_faults(NetFaults { reorder: ms(100), ..NetFaults::default() });
    let (a, b) = (n.add(Role::Node), n.add(Role::Node));
    for i in 0..50 {
        n.send(ms(i), a, b, i as u32);
    }
    let got: Vec<u32> = drain_all(&mut n).into_iter().map(|(_, p)| p).collect();
    assert_eq!(got.len(), 50);
    assert!(got.windows(2).any(|w| w[0] > w[1]), "some message overtakes an earlier one: {got:?}");
    // Without the fault the same sends arrive in order.
    let mut n = net(LatencyDist::Constant, 10);
    let (a, b) = (n.add(Role::Node), n.add(Role::Node));
    for i in 0..50 {
        n.send(ms(i), a, b, i as u32);
    }
    let got: Vec<u32> = drain_all(&mut n).into_iter().map(|(_, p)| p).collect();
    assert!(got.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn backlog_charges_senders_and_services_answers_to_the_asker() {
    let mut n = net(LatencyDist::Constant, 10);
    let (a, b, kv) = (n.add(Role::Node), n.add(Role::Node), n.add(Role::Service));
    n.send(Duration::ZERO, a, b, 1);
    n.send(Duration::ZERO, a, kv, 2);
    n.send(Duration::ZERO, kv, b, 3);
    assert_eq!((n.backlog(a), n.backlog(b), n.backlog(kv)), (2, 1, 0));
    while n.poll(ms(10)).is_some() {}
    assert_eq!((n.backlog(a), n.backlog(b), n.backlog(kv)), (0, 0, 0), "deliveries discharge");
    n.set_grudge(&[(b, vec![a])]);
    n.send(ms(10), a, b, 4);
    assert_eq!(n.take_dropped().len(), 1);
    assert_eq!(n.backlog(a), 0, "a partition drop discharges too");
}

#[test]
fn a_held_receiver_gets_nothing_until_released_then_everything_in_order() {
    let mut n = net(LatencyDist::Constant, 10);
    let (a, b, c) = (n.add(Role::Node), n.add(Role::Node), n.add(Role::Node));
    n.hold(b, true);
    for k in 0..3 {
        n.send(Duration::ZERO, a, b, k);
    }
    n.send(Duration::ZERO, a, c, 9);
    let got: Vec<u32> = std::iter::from_fn(|| n.poll(ms(50))).map(|p| p.payload).collect();
    assert_eq!(got, [9], "only the receiver not held gets its message");
    assert_eq!(n.next_deadline(), None, "a held message is not announced as due");
    assert_eq!(n.backlog(a), 3, "held messages stay charged to their sender");
    n.hold(b, false);
    let got: Vec<u32> = std::iter::from_fn(|| n.poll(ms(50))).map(|p| p.payload).collect();
    assert_eq!(got, [0, 1, 2]);
    assert_eq!(n.stats().all, Counts { send: 4, recv: 4 }, "nothing dropped");
}

#[test]
fn a_node_going_down_loses_everything_in_flight_to_and_from_it_and_later_sends_to_it() {
    let mut n = net(LatencyDist::Constant, 10);
    let a = n.add(Role::Node);
    let b = n.add(Role::Node);
    let c = n.add(Role::Node);
    n.send(ms(0), a, b, 1); // to b: lost
    n.send(ms(0), b, c, 2); // from b: lost
    n.send(ms(0), a, c, 3); // kept
    n.send(ms(1), c, b, 4); // to b, queued behind the first: lost
    n.set_down(b, true);
    let mut lost = n.take_dropped();
    lost.sort_unstable();
    assert_eq!(lost, [0, 1, 3]);
    assert_eq!((n.backlog(a), n.backlog(b), n.backlog(c)), (1, 0, 0));
    n.send(ms(2), a, b, 5); // b is down: dropped when taken in hand
    assert_eq!(n.take_dropped(), [4]);
    let got: Vec<u32> = std::iter::from_fn(|| n.poll(ms(50))).map(|p| p.payload).collect();
    assert_eq!(got, [3]);
    n.set_down(b, false);
    n.send(ms(60), a, b, 6);
    let got: Vec<u32> = std::iter::from_fn(|| n.poll(ms(80))).map(|p| p.payload).collect();
    assert_eq!(got, [6], "up again, it hears new messages");
}
