//! One run's report page: verdict and summary, failures, latency and throughput plots, server
//! messages, broadcast stable latencies, kafka/txn anomalies, the history table and the
//! configuration, assembled from a [`RunData`].

use super::data::RunData;
use super::failures::{failures, invocation_of};
use super::page::{esc, figure, frame, kv_table, section, verdict_badge};
use super::pictures::Picture;
use super::plots::{self, Series};
use super::timeline::{self, Outcome, Partition, Point};
use super::{anomalies, history_table, kafka, pictures};
use crate::core::checkers::set_full;
use crate::core::checkers::verdict::Validity;
use crate::core::workloads::WorkloadKind;
use crate::output::verdict::{self, Headline};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Message types drawn as their own line; the rest are summed as `other`.
const MAX_TYPES: usize = 8;
/// Failures listed before the fold.
const OPEN_FAILURES: usize = 8;
/// Failures listed under the fold at most.
const MAX_FAILURES: usize = 200;

/// The workload's name: from `run.json`, else from the directory (`store/<workload>/<time>`).
pub fn workload_name(data: &RunData) -> String {
    data.meta
        .as_ref()
        .and_then(|m| m["workload"].as_str())
        .map(str::to_owned)
        .or_else(|| data.dir.parent()?.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "?".into())
}

fn plot_or_note(name: &str, plot: Result<plots::Plot, Box<dyn std::error::Error>>, caption: &str) -> String {
    match plot {
        Ok(p) => figure(name, &format!("{}{}", plots::legend(&p.keys), p.svg), caption),
        Err(e) => {
            format!("<p class=\"note\">The {name} plot could not be drawn: {}</p>", esc(&e.to_string()))
        }
    }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| if v >= 100.0 { format!("{v:.0} ms") } else { format!("{v:.2} ms") })
}

/// Latency quantiles of ok operations.
pub fn ok_quantiles(points: &[Point]) -> [Option<f64>; 4] {
    let mut v: Vec<f64> = points.iter().filter(|p| p.outcome == Outcome::Ok).map(|p| p.latency_ms).collect();
    v.sort_by(f64::total_cmp);
    [0.5, 0.95, 0.99, 1.0].map(|q| timeline::quantile(&v, q))
}

/// The files a run directory holds for Maelstrom's users (docs/protocol.md §8.1).
const MAELSTROM_FILES: [&str; 4] = ["results.edn", "history.edn", "history.txt", "jepsen.log"];

fn summary(data: &RunData, workload: &str, points: &[Point], parts: &[Partition]) -> String {
    let r = &data.results;
    let headline = Headline::read(r);
    let st = &r["stats"];
    let [p50, p95, p99, max] = ok_quantiles(points);
    let nodes = data.meta.as_ref().and_then(|m| m["nodes"].as_array()).map_or(0, Vec::len);
    let mut rows: Vec<(&str, String)> = vec![
        ("workload", esc(workload)),
        ("nodes", if nodes > 0 { nodes.to_string() } else { "-".into() }),
        (
            "operations",
            format!(
                "{} completed: <span class=\"ok\">{} ok</span>, <span class=\"fail\">{} fail</span>, \
                 <span class=\"info\">{} info</span>",
                st["count"], st["ok-count"], st["fail-count"], st["info-count"]
            ),
        ),
        ("availability (ok fraction)", format!("{:.4}", headline.availability)),
        ("msgs-per-op (servers)", headline.msgs_per_op.map_or("n/a".into(), |m| format!("{m:.2}"))),
        (
            "messages",
            format!(
                "{} between servers, {} with clients",
                r["net"]["servers"]["send-count"], r["net"]["clients"]["send-count"]
            ),
        ),
        (
            "latency of ok operations",
            format!("p50 {} · p95 {} · p99 {} · max {}", fmt_ms(p50), fmt_ms(p95), fmt_ms(p99), fmt_ms(max)),
        ),
    ];
    let lat = &r["workload"]["stable-latencies"];
    if lat.is_object() {
        rows.push((
            "stable latency",
            format!(
                "p50 {} ms · p95 {} ms · p99 {} ms · max {} ms",
                lat["0.5"], lat["0.95"], lat["0.99"], lat["1"]
            ),
        ));
    }
    rows.push(("partitions", parts.iter().filter(|p| p.kind == "partition").count().to_string()));
    for (kind, label) in [("kill", "kills"), ("pause", "pauses")] {
        let n = parts.iter().filter(|p| p.kind == kind).count();
        if n > 0 {
            rows.push((label, n.to_string()));
        }
    }
    rows.push(("wall time", format!("{:.1} s", r["glomers"]["wall-time"].as_f64().unwrap_or(0.0))));
    rows.push(("seed", esc(&r["glomers"]["seed"].to_string())));
    let checks: Vec<String> = ["workload", "stats", "availability", "exceptions", "net"]
        .iter()
        .map(|k| {
            let w = verdict::word(Validity::from_json(&r[*k]["valid?"]));
            format!("{k}: <span class=\"{}\">{w}</span>", if w == "valid" { "ok" } else { "fail" })
        })
        .collect();
    rows.push(("checkers", checks.join(" · ")));
    if let Some(weak) = r["evidence"]["weak-points"].as_array().filter(|w| !w.is_empty()) {
        let items: Vec<String> = weak.iter().map(|w| esc(w["text"].as_str().unwrap_or("?"))).collect();
        rows.push(("rests on little", format!("<span class=\"info\">{}</span>", items.join("<br>"))));
    }
    let files: Vec<String> = MAELSTROM_FILES
        .iter()
        .filter(|f| data.dir.join(f).is_file())
        .map(|f| format!("<a href=\"{f}\">{f}</a>"))
        .collect();
    if !files.is_empty() {
        rows.push(("Maelstrom's files", files.join(" · ")));
    }
    kv_table(&rows)
}

fn failures_section(data: &RunData, workload: &str, drawn: &[Picture]) -> (String, BTreeSet<usize>) {
    let list = failures(data, workload, OPEN_FAILURES + MAX_FAILURES);
    let mut marked = BTreeSet::new();
    let mut s = String::new();
    let item = |f: &super::failures::Failure| {
        let links: Vec<String> = f
            .ops
            .iter()
            .map(|i| {
                format!(
                    "<a href=\"#op-{i}\">op {i}</a> (<a href=\"messages.html#op={i}\">messages</a>, \
                     <a href=\"timeline.html#op-{i}\">timeline</a>)"
                )
            })
            .collect();
        let ops = if links.is_empty() {
            String::new()
        } else {
            format!("<br><span class=\"ops\">operations: {}</span>", links.join(" · "))
        };
        // A failure that begins with the name of an anomaly drawn links to its picture.
        let name = f.text.split(':').next().unwrap_or_default();
        let picture = drawn
            .iter()
            .find(|p| p.name == name)
            .map(|p| format!(" <a href=\"#{}\">(picture)</a>", esc(&p.anchor)))
            .unwrap_or_default();
        format!("<li>{}{picture}{ops}</li>\n", esc(&f.text))
    };
    for f in &list {
        marked.extend(f.ops.iter().copied());
    }
    if !list.is_empty() {
        let _ = writeln!(s, "<p>{} problem(s) found:</p>", list.len());
        s.push_str("<ol class=\"failures\">\n");
        list.iter().take(OPEN_FAILURES).for_each(|f| s.push_str(&item(f)));
        s.push_str("</ol>\n");
        if list.len() > OPEN_FAILURES {
            // The rest folded, so the plots stay near the top.
            let _ = writeln!(
                s,
                "<details><summary>{} more</summary><ol class=\"failures\" start=\"{}\">",
                list.len() - OPEN_FAILURES,
                OPEN_FAILURES + 1
            );
            list.iter().skip(OPEN_FAILURES).take(MAX_FAILURES).for_each(|f| s.push_str(&item(f)));
            s.push_str("</ol>");
            if list.len() > OPEN_FAILURES + MAX_FAILURES {
                let _ = write!(
                    s,
                    "<p class=\"note\">… and {} more (see results.json).</p>",
                    list.len() - OPEN_FAILURES - MAX_FAILURES
                );
            }
            s.push_str("</details>\n");
        }
    }
    let notices = data.results["glomers"]["notices"].as_array().cloned().unwrap_or_default();
    if !notices.is_empty() {
        s.push_str("<h3>Node problems noticed during the run</h3><ul>\n");
        for n in notices.iter().take(50) {
            let t = n["time"].as_u64().unwrap_or(0) as f64 / 1e9;
            let _ = writeln!(
                s,
                "<li>at {t:.1} s, {}: {}</li>",
                esc(n["node"].as_str().unwrap_or("")),
                esc(n["text"].as_str().unwrap_or(""))
            );
        }
        s.push_str("</ul>\n");
    }
    let exceptions = data.results["exceptions"]["exceptions"].as_array().cloned().unwrap_or_default();
    if !exceptions.is_empty() {
        s.push_str("<h3>Exceptions</h3><ul>\n");
        for e in &exceptions {
            let _ = writeln!(
                s,
                "<li>{} × {}: {}</li>",
                e["count"],
                esc(e["class"].as_str().unwrap_or("")),
                esc(e["example"].as_str().unwrap_or(""))
            );
        }
        s.push_str("</ul>\n");
    }
    (s, marked)
}

fn partition_note(parts: &[Partition]) -> String {
    if parts.is_empty() {
        return String::new();
    }
    let list = |kind: &str, verb: &str| -> Vec<String> {
        parts
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| {
                let what = esc(p.what.split(':').next().unwrap_or(""));
                format!("{:.1}–{:.1} s {verb}{what}", p.start_s, p.end_s)
            })
            .collect()
    };
    let mut s = String::new();
    for (kind, title, verb) in [
        ("partition", "Partitions", ""),
        ("kill", "Nodes killed", "down: "),
        ("pause", "Nodes paused", "stopped: "),
    ] {
        let l = list(kind, verb);
        if !l.is_empty() {
            let _ = write!(s, " {title} (shaded): {}.", l.join("; "));
        }
    }
    s
}

fn latency_section(points: &[Point], parts: &[Partition], t_max: f64, final_s: Option<f64>) -> String {
    if points.is_empty() {
        return "<p class=\"note\">No operation completed.</p>".into();
    }
    let fs: Vec<String> = points.iter().map(|p| p.f.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let (shown, stride) = plots::sample(points);
    let sampled = match stride {
        Some(k) => format!(
            " <b>Downsampled:</b> showing {} of {} operations (every {k}th ok operation, every fail and info).",
            shown.len(),
            points.len()
        ),
        None => String::new(),
    };
    let mut s = plot_or_note(
        "latency-raw",
        plots::latency_scatter(&shown, &fs, parts, t_max),
        &format!(
            "Every completed client operation at its invocation time: colour by operation, ● ok, × fail, \
             ▲ info (outcome unknown; its latency is the timeout).{sampled}{}{}",
            partition_note(parts),
            final_s.map_or(String::new(), |t| format!(
                " The final reads start at {t:.1} s, after the main phase, the heal and a quiet pause."
            ))
        ),
    );
    let q = timeline::quantiles_per_second(points);
    let names = ["p50", "p95", "p99", "max"];
    let series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(k, n)| Series {
            name: (*n).to_owned(),
            points: q.iter().map(|sec| (sec.t + 0.5, sec.q.get(k).copied().unwrap_or(0.0))).collect(),
            colour: k,
        })
        .collect();
    s.push_str(&plot_or_note(
        "latency-quantiles",
        plots::line_chart(&series, "latency (ms, log scale)", true, parts, t_max),
        "Latency quantiles of the operations invoked in each second (ok and fail; info excluded).",
    ));
    let tp = plots::count_series(&timeline::throughput(points));
    s.push_str(&plot_or_note(
        "throughput",
        plots::line_chart(&tp, "operations per second", false, parts, t_max),
        "Completed operations per second (by invocation second), by operation.",
    ));
    s
}

fn messages_section(data: &RunData, points: &[Point], parts: &[Partition], t_max: f64) -> String {
    let m = &data.messages;
    if !m.present {
        return "<p class=\"note\">No net-journal.jsonl in this run.</p>".into();
    }
    let mpo = Headline::read(&data.results).msgs_per_op.map_or("n/a".into(), |v| format!("{v:.2}"));
    if m.per_second.is_empty() {
        return format!("<p class=\"note\">No message between servers (msgs-per-op {mpo}).</p>");
    }
    let mut by_total: Vec<(&String, &Vec<u64>)> = m.per_second.iter().collect();
    by_total.sort_by_key(|(_, v)| std::cmp::Reverse(v.iter().sum::<u64>()));
    let mut counts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (k, (name, v)) in by_total.iter().enumerate() {
        let key = if k < MAX_TYPES { (*name).clone() } else { "other".to_owned() };
        let e = counts.entry(key).or_default();
        if e.len() < v.len() {
            e.resize(v.len(), 0);
        }
        for (a, b) in e.iter_mut().zip(v.iter()) {
            *a += b;
        }
    }
    let totals: Vec<String> =
        by_total.iter().map(|(n, v)| format!("{} {}", esc(n), v.iter().sum::<u64>())).collect();
    let mut s = plot_or_note(
        "messages",
        plots::line_chart(&plots::count_series(&counts), "messages sent per second", false, parts, t_max),
        &format!(
            "Messages sent between servers (nodes and services) per second, by message type. \
             msgs-per-op: <b>{mpo}</b>. Totals: {}. {} sends dropped by partitions.",
            totals.join(", "),
            m.dropped
        ),
    );
    // msgs-per-op second by second: server sends in a second over operations invoked in it.
    let mut ops: Vec<u64> = Vec::new();
    for p in points {
        let k = p.start_s as usize;
        if ops.len() <= k {
            ops.resize(k + 1, 0);
        }
        if let Some(c) = ops.get_mut(k) {
            *c += 1;
        }
    }
    let sends = |k: usize| m.per_second.values().map(|v| v.get(k).copied().unwrap_or(0)).sum::<u64>();
    let per_op: Vec<(f64, f64)> = ops
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k as f64 + 0.5, sends(k) as f64 / *n as f64))
        .collect();
    if !per_op.is_empty() {
        let series = [Series { name: "msgs-per-op".into(), points: per_op, colour: 3 }];
        s.push_str(&plot_or_note(
            "msgs-per-op",
            plots::line_chart(&series, "server messages per operation", false, parts, t_max),
            &format!(
                "Server messages sent in each second divided by the operations invoked in it (seconds \
                 without operations are left out); over the whole run: <b>{mpo}</b>."
            ),
        ));
    }
    s
}

/// The stable latencies of a set-full history whose adds are the operations named `add_f`.
fn stable_section(data: &RunData, add_f: &str) -> String {
    let lat = set_full::check(&data.history, add_f).result.stable_latencies;
    if lat.is_empty() {
        return "<p class=\"note\">No value became stable.</p>".into();
    }
    let q = &data.results["workload"]["stable-latencies"];
    plot_or_note(
        "stable-latencies",
        plots::histogram(&lat, 40, "stable latency (ms)"),
        &format!(
            "How long after a value was acknowledged (or first read) some read still missed it, over the {} \
             stable values: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms. Zero means no later read missed it.",
            lat.len(),
            q["0.5"],
            q["0.95"],
            q["0.99"],
            q["1"]
        ),
    )
}

fn config_section(data: &RunData) -> String {
    let Some(meta) = &data.meta else {
        return format!(
            "<p class=\"note\">This run predates run.json; its seed was {}.</p>",
            esc(&data.results["glomers"]["seed"].to_string())
        );
    };
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(cmd) = meta["reproduce"].as_str() {
        rows.push(("reproduce with", format!("<code>{}</code>", esc(cmd))));
    }
    if let Some(argv) = meta["argv"].as_array() {
        let a: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
        rows.push(("command line", format!("<code>{}</code>", esc(&a.join(" ")))));
    }
    let mut s = kv_table(&rows);
    let mut rest: Vec<(&str, String)> = Vec::new();
    if let Some(m) = meta.as_object() {
        for (k, v) in m {
            if matches!(k.as_str(), "reproduce" | "argv" | "problems") {
                continue;
            }
            let text = match v {
                Value::String(t) => t.clone(),
                v => v.to_string(),
            };
            rest.push((k.as_str(), format!("<code>{}</code>", esc(&text))));
        }
    }
    s.push_str(&kv_table(&rest));
    s
}

/// `workload · time` for page titles.
pub fn title(data: &RunData) -> String {
    let stamp = data.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{} · {stamp}", workload_name(data))
}

/// The whole page.
pub fn render(data: &RunData) -> String {
    let workload = workload_name(data);
    let stamp = data.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let verdict = verdict::word(Validity::from_json(&data.results["valid?"]));
    let points = timeline::points(&data.history);
    let t_end = data.history.events.last().map_or(0.0, |e| e.time.as_secs_f64());
    let t_max = t_end.max(data.messages.per_second.values().map(Vec::len).max().unwrap_or(0) as f64).max(1.0);
    // A margin, so operations at the very end are not drawn on the frame.
    let t_max = t_max * 1.02 + 0.1;
    let parts = timeline::partitions(&data.results, t_end);
    let final_s = data.history.events.iter().find(|e| e.final_op).map(|e| e.time.as_secs_f64());
    let inv = invocation_of(&data.history);
    let w = &data.results["workload"];
    let mut drawn = pictures::cycles(w, &inv);
    drawn.extend(kafka::offset_pictures(w, &data.history));
    let (fail_html, marked) = failures_section(data, &workload, &drawn);
    let mut toc = vec![("summary", "summary")];
    let mut body = String::new();
    let _ = write!(body, "<h1>{} · {}</h1>{}", esc(&workload), esc(&stamp), verdict_badge(verdict));
    let mut sections = summary(data, &workload, &points, &parts);
    sections = section("summary", "Summary", &sections);
    if !fail_html.is_empty() {
        toc.push(("failures", "why"));
        let title = if verdict == "valid" { "Notes" } else { "Why the run is not valid" };
        sections.push_str(&section("failures", title, &fail_html));
    }
    toc.push(("latency", "latency"));
    sections.push_str(&section(
        "latency",
        "Latency and throughput",
        &latency_section(&points, &parts, t_max, final_s),
    ));
    toc.push(("messages", "messages"));
    sections.push_str(&section(
        "messages",
        "Server messages",
        &messages_section(data, &points, &parts, t_max),
    ));
    let set_add = match WorkloadKind::from_name(&workload) {
        Some(WorkloadKind::Broadcast) => Some(("Broadcast", "broadcast")),
        Some(WorkloadKind::GSet) => Some(("G-set", "add")),
        _ => None,
    };
    if let Some((title, add_f)) = set_add {
        toc.push(("stable", "stable latency"));
        let body = stable_section(data, add_f);
        sections.push_str(&section("stable", &format!("{title}: stable latencies"), &body));
    }
    if let Some(a) = anomalies::section(w, &inv) {
        toc.push(("anomalies", "anomalies"));
        let drawn: String = drawn.iter().map(|p| p.html.as_str()).collect();
        sections.push_str(&section("anomalies", "Anomalies", &format!("{a}{drawn}")));
    }
    if workload == "kafka" {
        toc.push(("lag", "lag"));
        let (caption, plot) = kafka::lag_plot(w, &data.history, &parts, t_max);
        let body = match plot {
            Some(p) => figure("realtime-lag", &format!("{}{}", plots::legend(&p.keys), p.svg), &caption),
            None => format!("<p class=\"note\">No ok poll: {caption}</p>"),
        };
        sections.push_str(&section("lag", "Kafka: real-time lag", &body));
    }
    if let Some(w) = pictures::linearizability(&data.results["workload"], &data.history) {
        toc.push(("lin-window", "failing window"));
        sections.push_str(&section("lin-window", "Operations no order can explain", &w));
    }
    toc.push(("history", "history"));
    sections.push_str(&section("history", "History", &history_table::table(&data.history, &marked)));
    toc.push(("config", "configuration"));
    sections.push_str(&section("config", "Configuration", &config_section(data)));
    let links: Vec<String> = toc.iter().map(|(id, t)| format!("<a href=\"#{id}\">{t}</a>")).collect();
    let _ = write!(
        body,
        "<nav class=\"toc\">{} · files: <a href=\"results.json\">results.json</a> \
         <a href=\"history.jsonl\">history.jsonl</a> <a href=\"net-journal.jsonl\">net-journal.jsonl</a> \
         <a href=\"node-logs/\">node-logs/</a> · pictures: <a href=\"messages.html\">message diagram</a> \
         <a href=\"timeline.html\">timeline</a> · <a href=\"../../index.html\">all runs</a></nav>\n{sections}",
        links.join("")
    );
    frame(&format!("{workload} {stamp}: {verdict}"), &body)
}
