//! End-to-end tests of the HTML reports: real runs against `glomers-control`, valid and broken on
//! purpose, then the content of `report.html` (verdict, each failure with links into the
//! history table, one plot per section, partition shading), the store index, and `report`
//! rendering an old run again.

mod common;

use common::{test, Outcome, BENCH};
use glomers_bench::output::html::{page::esc, PARTITION_COLOUR};
use std::path::PathBuf;
use std::process::Command;

fn report(o: &Outcome) -> String {
    std::fs::read_to_string(o.store.join("latest/report.html")).unwrap_or_default()
}

/// The `<figure>` of one plot, or "" if the page has none.
fn figure<'a>(page: &'a str, name: &str) -> &'a str {
    let start = format!("<figure class=\"plot\" data-plot=\"{name}\">");
    let Some(i) = page.find(&start) else { return "" };
    let rest = page.get(i..).unwrap_or("");
    rest.get(..rest.find("</figure>").unwrap_or(rest.len())).unwrap_or("")
}

fn why_lines(o: &Outcome) -> Vec<String> {
    o.stdout.lines().filter_map(|l| l.strip_prefix("  - ")).map(str::to_owned).collect()
}

const PARTITIONED: [&str; 10] = [
    "--node-count",
    "5",
    "--time-limit",
    "3",
    "--rate",
    "20",
    "--nemesis",
    "partition",
    "--nemesis-interval",
    "1",
];

#[test]
fn valid_broadcast_report_has_every_section_and_shades_partitions() {
    let o = test("report-valid", "broadcast", &PARTITIONED, "broadcast");
    assert_eq!(o.code, 0, "{}", o.show());
    let page = report(&o);
    assert!(page.contains("<div class=\"verdict valid\">valid</div>"), "{}", o.show());
    for plot in ["latency-raw", "latency-quantiles", "throughput", "messages", "stable-latencies"] {
        let f = figure(&page, plot);
        assert!(f.contains("<svg") && f.contains("</svg>"), "plot {plot} missing");
        assert_eq!(page.matches(&format!("data-plot=\"{plot}\"")).count(), 1, "one {plot} plot");
    }
    let shading = format!("fill=\"{PARTITION_COLOUR}\"");
    for plot in ["latency-raw", "latency-quantiles", "throughput", "messages"] {
        assert!(figure(&page, plot).contains(&shading), "{plot} shades partitions in its SVG");
        assert!(
            figure(&page, plot).contains("</span> partition</span>"),
            "{plot} has partitions in its legend"
        );
    }
    assert!(figure(&page, "latency-raw").contains("Partitions (shaded): "), "partition intervals are listed");
    assert!(
        figure(&page, "latency-raw").contains("</b> broadcast ok</span>"),
        "the legend names each series"
    );
    assert!(!page.contains("<script"), "no script");
    assert!(!page.contains("id=\"failures\""), "a valid run has no failure list");
    assert!(page.contains("msgs-per-op (servers)"));
    let seed = o.results()["glomers"]["seed"].to_string();
    assert!(page.contains(&format!("--seed {seed}")), "the configuration gives a command to reproduce");
    assert!(page.contains("<tr id=\"op-0\">"), "the history table");
    let index = std::fs::read_to_string(o.store.join("index.html")).unwrap_or_default();
    assert!(index.contains("<td>broadcast</td>") && index.contains("report.html"), "{index}");
}

#[test]
fn invalid_broadcast_report_explains_each_lost_value_with_links() {
    let o = test("report-lossy", "broadcast", &PARTITIONED, "broadcast-lossy");
    assert_eq!(o.code, 1, "{}", o.show());
    let page = report(&o);
    assert!(page.contains("<div class=\"verdict invalid\">INVALID</div>"));
    assert!(page.contains("Why the run is not valid"));
    let why = why_lines(&o);
    assert!(!why.is_empty(), "{}", o.show());
    for w in why.iter().filter(|w| !w.starts_with('…')) {
        let item = format!("<li>{}<br><span class=\"ops\">operations: <a href=\"#op-", esc(w));
        assert!(page.contains(&item), "failure not explained with links: {w}");
    }
    // Every linked operation is a row of the history table.
    for link in page.split("href=\"#op-").skip(1) {
        let n: String = link.chars().take_while(char::is_ascii_digit).collect();
        assert!(page.contains(&format!("<tr id=\"op-{n}\"")), "op {n} has no row");
    }
}

#[test]
fn duplicate_ids_link_to_the_operations_that_returned_them() {
    let o =
        test("report-ids", "unique-ids", &["--node-count", "3", "--time-limit", "2"], "unique-ids-collide");
    assert_eq!(o.code, 1, "{}", o.show());
    let page = report(&o);
    let first = why_lines(&o).into_iter().next().unwrap_or_default();
    assert!(first.starts_with("id "), "{}", o.show());
    let item = format!("<li>{}<br><span class=\"ops\">operations: <a href=\"#op-", esc(&first));
    assert!(page.contains(&item), "{first}");
    assert!(page.contains("class=\"hl\""), "named operations are highlighted");
}

#[test]
fn report_renders_an_old_run_again_and_serve_refuses_bad_stores() {
    let o = test("report-again", "echo", &["--node-count", "1", "--time-limit", "1"], "echo");
    assert_eq!(o.code, 0, "{}", o.show());
    let first = report(&o);
    assert!(!figure(&first, "latency-raw").is_empty());
    assert!(!figure(&first, "latency-raw").contains(PARTITION_COLOUR), "no partition, no shading");
    assert!(figure(&first, "latency-raw").contains("</b> echo ok</span>"));
    let run: PathBuf = o.store.join("latest").canonicalize().expect("latest");
    std::fs::remove_file(run.join("report.html")).expect("remove");
    std::fs::remove_file(o.store.join("index.html")).expect("remove");
    let again = Command::new(BENCH).arg("report").arg(&run).output().expect("runs");
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(run.join("report.html").exists() && o.store.join("index.html").exists());
    let page = std::fs::read_to_string(run.join("report.html")).unwrap_or_default();
    assert!(page.contains("<div class=\"verdict valid\">valid</div>"));
    let code = |args: &[&str]| Command::new(BENCH).args(args).output().expect("runs").status.code();
    assert_eq!(code(&["report", "/nonexistent/run"]), Some(254));
    assert_eq!(code(&["serve", "--port", "0", "--store", "/nonexistent/store"]), Some(254));
}

#[test]
fn a_simulated_run_writes_run_json_with_its_replay_command() {
    let args =
        ["sim", "-w", "echo", "--node", "echo", "--node-count", "1", "--time-limit", "1", "--seed", "5"];
    let o = common::bench("report-sim-meta", &args);
    assert_eq!(o.code, 0, "{}", o.show());
    let text = std::fs::read_to_string(o.store.join("latest/run.json")).unwrap_or_default();
    let meta: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let replay = meta["reproduce"].as_str().unwrap_or_default();
    assert!(replay.contains("glomers-bench sim -w echo --node echo"), "{text}");
    assert!(replay.ends_with("--seed 5"), "the replay command pins the seed: {replay}");
    assert!(report(&o).contains(&esc(replay)), "the report shows the replay command");
}
