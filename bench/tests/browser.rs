//! The run pages in a real browser (headless Chromium, Debian's `chromium`; `CHROMIUM=path`
//! picks another): a simulated broadcast run, then its report, timeline and message diagram
//! loaded with `--dump-dom`. The diagram's self-check (`messages.html?selftest=N`) clicks
//! operation N's bar as a user would and writes what it highlighted into the page; the test
//! compares that with the causal chain it computes itself from the journal's `cause` fields.
//! A kafka control that skips messages has its report loaded in a frame, which says how long the
//! report took to load and lay out and how wide its pictures were drawn.
//! Without Chromium the test says so and passes: CI may not have it.

mod common;

use common::bench;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("CHROMIUM").map(PathBuf::from);
    let candidates = [named, Some("/usr/bin/chromium".into()), Some("/usr/bin/chromium-browser".into())];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// The page's DOM after its scripts ran.
fn dump_dom(chrome: &Path, url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("glomers-chromium-{}", std::process::id()));
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .args(["--disable-component-update", "--disable-sync", "--window-size=1200,800"])
        // A page may read the pages it frames (the kafka test measures the report it loads).
        .arg("--allow-file-access-from-files")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each broadcast operation's request (history index → journal id), found by its value
/// (broadcast values are unique), and every message's cause.
fn journal(dir: &Path) -> (Vec<Value>, HashMap<u64, Vec<u64>>) {
    let text = std::fs::read_to_string(dir.join("net-journal.jsonl")).unwrap_or_default();
    let lines: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    for l in lines.iter().filter(|l| l["event"] == "send") {
        if let (Some(c), Some(id)) = (l["cause"].as_u64(), l["id"].as_u64()) {
            children.entry(c).or_default().push(id);
        }
    }
    (lines, children)
}

/// The request and everything sent while handling it, and so on, by the journal's causes.
fn chain(root: u64, children: &HashMap<u64, Vec<u64>>) -> BTreeSet<u64> {
    let mut seen = BTreeSet::from([root]);
    let mut todo = vec![root];
    while let Some(m) = todo.pop() {
        for &c in children.get(&m).into_iter().flatten() {
            if seen.insert(c) {
                todo.push(c);
            }
        }
    }
    seen
}

#[test]
fn clicking_an_operation_highlights_exactly_the_messages_it_caused() {
    let Some(chrome) = chromium() else {
        println!("browser test skipped: no Chromium (apt-get install -y chromium, or CHROMIUM=path)");
        return;
    };
    let flags = ["sim", "-w", "broadcast", "--node-count", "5", "--time-limit", "3", "--rate", "20"];
    let o = bench(
        "browser",
        &[&flags[..], &["--latency", "5", "--nemesis", "partition", "--seed", "4"]].concat(),
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let dir = o.store.join("latest").canonicalize().expect("the run directory");
    let url = |page: &str| format!("file://{}/{page}", dir.display());

    let report = dump_dom(&chrome, &url("report.html"));
    assert!(
        report.contains("href=\"messages.html\"") && report.contains("href=\"timeline.html\""),
        "{report}"
    );

    let (lines, children) = journal(&dir);
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap_or_default();
    // The broadcast operation whose request caused the most messages (gossip included).
    let best = history
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "invoke" && e["f"] == "broadcast")
        .filter_map(|e| {
            let request = lines.iter().find(|l| {
                l["event"] == "send" && l["body"]["type"] == "broadcast" && l["body"]["message"] == e["value"]
            })?;
            let expected = chain(request["id"].as_u64()?, &children);
            Some((expected.len(), e["index"].as_u64()?, expected))
        })
        .max_by_key(|(n, i, _)| (*n, std::cmp::Reverse(*i)));
    let (size, op, expected) = best.expect("a broadcast operation with its request in the journal");
    assert!(size >= 3, "the request, its reply and at least one gossip: {expected:?}");

    let timeline = dump_dom(&chrome, &url("timeline.html"));
    assert!(timeline.contains(&format!("id=\"op-{op}\"")), "the timeline has a bar for op {op}");

    let dom = dump_dom(&chrome, &url(&format!("messages.html?selftest={op}")));
    let start = dom.find("<pre id=\"selftest\"").expect("the diagram ran its self-check");
    let text = dom.get(start..).and_then(|s| s.split_once('>')).map(|(_, r)| r).unwrap_or("");
    let text = text.split("</pre>").next().unwrap_or("").replace("&quot;", "\"");
    let got: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(got["selected"].as_u64(), Some(op), "the click selected op {op}: {got}");
    let ids: BTreeSet<u64> = got["ids"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    assert_eq!(ids, expected, "highlighted messages of op {op}");
    println!("op {op}: {} messages highlighted, page painted at {} ms", ids.len(), got["painted_ms"]);
}

#[test]
fn a_kafka_report_draws_its_offsets_picture_and_lag_plot() {
    let Some(chrome) = chromium() else {
        println!("browser test skipped: no Chromium (apt-get install -y chromium, or CHROMIUM=path)");
        return;
    };
    let flags =
        ["--node-count", "1", "--concurrency", "2n", "--time-limit", "3", "--rate", "300", "--seed", "4"];
    let o = common::test("browser-kafka", "kafka", &flags, "kafka-poll-skip");
    assert_eq!(o.code, 1, "{}", o.show());
    let dir = o.store.join("latest").canonicalize().expect("the run directory");
    // The report in a frame: once it has loaded, the frame measures what it laid out.
    let probe = r#"<!DOCTYPE html><body><pre id="probe"></pre><script>
const t0 = performance.now();
const f = document.createElement('iframe');
f.style = 'width:1200px;height:800px';
f.onload = () => {
  const d = f.contentDocument;
  const width = s => [...d.querySelectorAll(s)].map(e => Math.round(e.getBoundingClientRect().width));
  document.getElementById('probe').textContent = JSON.stringify({ms: Math.round(performance.now() - t0),
    offsets: width('svg.offsets'), lag: width('figure[data-plot="realtime-lag"] svg')});
};
f.src = 'report.html';
document.body.appendChild(f);
</script>"#;
    std::fs::write(dir.join("probe.html"), probe).expect("written");
    let dom = dump_dom(&chrome, &format!("file://{}/probe.html", dir.display()));
    let text = dom.split("<pre id=\"probe\">").nth(1).and_then(|r| r.split("</pre>").next()).unwrap_or("");
    let got: Value = serde_json::from_str(&text.replace("&quot;", "\"")).unwrap_or(Value::Null);
    let widths = |k: &str| got[k].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect::<Vec<_>>());
    assert!(widths("offsets").is_some_and(|w| !w.is_empty() && w.iter().all(|x| *x > 100)), "{got}");
    assert!(widths("lag").is_some_and(|w| w.len() == 1 && w[0] > 400), "{got}");
    println!(
        "kafka report loaded and laid out in {} ms; offsets pictures {:?} px wide",
        got["ms"],
        widths("offsets")
    );
}
