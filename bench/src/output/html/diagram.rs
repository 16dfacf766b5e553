//! The message diagram, `messages.html` beside the report: one self-contained page (no network)
//! with the whole journal embedded as compact JSON and drawn on a canvas by `diagram.js`, so a
//! run of tens of thousands of messages opens at once. Lanes are nodes, services and clients,
//! time runs downwards, each message is an arrow from its send to its delivery (or to a cross
//! where a partition dropped it), partitions are shaded, and each client operation is a bar on
//! its client's lane; clicking one highlights the messages it caused (docs/reports.md).
//!
//! Links: `messages.html#t=12.3` opens at 12.3 s, `messages.html#op=417` selects the operation
//! invoked at history index 417.

use super::data::RunData;
use super::journal::{lane_kind, Fate, Journal, LaneKind};
use super::page::esc;
use super::timeline::{self, Outcome};

use std::collections::HashMap;
use std::fmt::Write as _;

/// The diagram's file name in a run directory.
pub const DIAGRAM: &str = "messages.html";

/// The page's script (drawing, zoom, filters, causal highlighting, the self-check).
const SCRIPT: &str = include_str!("diagram.js");

/// Microseconds, the diagram's time unit (ns would not fit a JavaScript number exactly).
fn us(ns: u64) -> u64 {
    ns / 1000
}

/// A client operation on the diagram: its history index, process, client lane, function,
/// times, outcome and the requests its client sent for it (indices into the journal).
struct Op {
    invoke: usize,
    process: u64,
    lane: u32,
    f: String,
    start: u64,
    end: Option<u64>,
    outcome: Option<Outcome>,
    requests: Vec<u32>,
}

/// Each operation with the requests its client sent for it.
///
/// A worker journals its request at the instant it invokes the operation, so the first request
/// is the first unclaimed client send at the invocation time to the operation's node with the
/// operation's function as its `type`; later sends from the same client before the operation
/// completed belong to it too (multi-step clients).
fn ops_of(data: &RunData) -> Vec<Op> {
    let j = &data.journal;
    let lane_of: HashMap<&str, u32> =
        j.lanes.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
    let clients: Vec<bool> = j.lanes.iter().map(|l| lane_kind(l) == LaneKind::Client).collect();
    let mut first: HashMap<(u64, u32, u32), std::collections::VecDeque<u32>> = HashMap::new();
    let mut by_client: HashMap<u32, Vec<u32>> = HashMap::new();
    for (k, m) in j.msgs.iter().enumerate() {
        if clients.get(m.src as usize).copied().unwrap_or(false) {
            first.entry((m.sent, m.dest, m.ty)).or_default().push_back(k as u32);
            by_client.entry(m.src).or_default().push(k as u32);
        }
    }
    let type_of: HashMap<&str, u32> =
        j.types.iter().enumerate().map(|(i, t)| (t.as_str(), i as u32)).collect();
    let mut claimed = vec![false; j.msgs.len()];
    let mut out = Vec::new();
    for p in data.history.pairs() {
        let inv = p.invoke;
        let start = inv.time.as_nanos() as u64;
        let end = p.complete.map(|c| c.time.as_nanos() as u64);
        let outcome = p.complete.map(|c| Outcome::of(c.kind));
        let key = (start, lane_of.get(inv.node.as_str()).copied(), type_of.get(inv.f.as_str()).copied());
        let req = match key {
            (t, Some(node), Some(ty)) => first.get_mut(&(t, node, ty)).and_then(|q| q.pop_front()),
            _ => None,
        };
        let mut requests = Vec::new();
        let mut lane = u32::MAX;
        if let Some(r) = req {
            let m = j.msgs.get(r as usize).map(|m| (m.src, m.sent));
            if let Some((src, _)) = m {
                lane = src;
                for &k in by_client.get(&src).into_iter().flatten() {
                    let Some(mk) = j.msgs.get(k as usize) else { continue };
                    let inside = mk.sent >= start && end.is_none_or(|e| mk.sent <= e);
                    if (k == r || inside) && !claimed.get(k as usize).copied().unwrap_or(true) {
                        requests.push(k);
                        if let Some(c) = claimed.get_mut(k as usize) {
                            *c = true;
                        }
                    }
                }
            }
        }
        out.push(Op {
            invoke: inv.index,
            process: inv.process,
            lane,
            f: inv.f.clone(),
            start,
            end,
            outcome,
            requests,
        });
    }
    out
}

/// JSON text of a string, safe inside `<script>`.
fn js(s: &str) -> String {
    serde_json::Value::from(s).to_string().replace("</", "<\\/")
}

/// The embedded data: `{lanes, types, exact, total, end, m, b, ops, parts}` where `m` is flat
/// `[src, dest, type, sent µs, end µs, fate (0 delivered, 1 dropped, 2 in flight), parent + 1,
/// id]` per message and `b` the bodies in the same order (a long one cut, as a string);
/// `total` counts every message of the journal, kept or not.
fn data_json(data: &RunData, ops: &[Op], s: &mut String) {
    let j: &Journal = &data.journal;
    s.reserve(64 * j.msgs.len() + 1024);
    let lanes: Vec<String> = j.lanes.iter().map(|l| js(l)).collect();
    let types: Vec<String> = j.types.iter().map(|t| js(t)).collect();
    let t_hist = data.history.events.last().map_or(0, |e| e.time.as_nanos() as u64);
    let t_msgs = j
        .msgs
        .iter()
        .map(|m| match m.fate {
            Fate::Delivered(t) | Fate::Dropped(t) => t,
            Fate::InFlight => m.sent,
        })
        .max()
        .unwrap_or(0);
    let end = us(t_hist.max(t_msgs)).max(1);
    let _ = write!(
        s,
        "{{\"lanes\":[{}],\"types\":[{}],\"exact\":{},\"total\":{},\"end\":{end},\"m\":[",
        lanes.join(","),
        types.join(","),
        j.exact_causes,
        j.total
    );
    for (k, m) in j.msgs.iter().enumerate() {
        let (t, fate) = match m.fate {
            Fate::Delivered(t) => (us(t), 0),
            Fate::Dropped(t) => (us(t), 1),
            Fate::InFlight => (end, 2),
        };
        let parent = m.parent.map_or(0, |p| p + 1);
        let sep = if k == 0 { "" } else { "," };
        let _ = write!(s, "{sep}{},{},{},{},{t},{fate},{parent},{}", m.src, m.dest, m.ty, us(m.sent), m.id);
    }
    s.push_str("],\"b\":[");
    for (k, m) in j.msgs.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        // Inside <script>, only `</` could end the element early; JSON allows `<\/` in strings,
        // and `</` can occur nowhere else in JSON (names and types are written by `js`).
        if m.body.contains("</") {
            s.push_str(&m.body.replace("</", "<\\/"));
        } else {
            s.push_str(&m.body);
        }
    }
    s.push_str("],\"ops\":[");
    for (k, o) in ops.iter().enumerate() {
        let sep = if k == 0 { "" } else { "," };
        let outcome = o.outcome.map_or(3, |o| o as u8);
        let reqs: Vec<String> = o.requests.iter().map(u32::to_string).collect();
        let lane = if o.lane == u32::MAX { -1 } else { i64::from(o.lane) };
        let _ = write!(
            s,
            "{sep}[{},{},{lane},{},{},{},{outcome},[{}]]",
            o.invoke,
            o.process,
            js(&o.f),
            us(o.start),
            o.end.map_or(-1, |e| us(e) as i64),
            reqs.join(",")
        );
    }
    s.push_str("],\"parts\":[");
    let parts = timeline::partitions(&data.results, end as f64 / 1e6);
    let list: Vec<String> = parts
        .iter()
        .map(|p| format!("[{},{},{}]", (p.start_s * 1e6) as u64, (p.end_s * 1e6) as u64, js(&p.what)))
        .collect();
    s.push_str(&list.join(","));
    s.push_str("]}");
}

const STYLE: &str = "body{margin:0;font:13px system-ui,sans-serif;color:#1d1d1f;overflow:hidden}\
header{padding:6px 10px;border-bottom:1px solid #ddd;display:flex;flex-wrap:wrap;gap:10px;align-items:center}\
header b{font-size:15px}header input[type=text]{width:140px}#types label{margin-right:6px;white-space:nowrap}\
#wrap{position:relative}canvas{display:block;cursor:crosshair}\
#tip{position:fixed;pointer-events:none;background:#fffbe6;border:1px solid #bba;padding:4px 6px;\
font:12px ui-monospace,monospace;max-width:560px;white-space:pre-wrap;word-break:break-all;display:none}\
#info{font-size:12px;color:#444}.key{display:inline-block;width:12px;height:3px;vertical-align:middle}";

/// The diagram page of a loaded run (no I/O), built in one string: the page of a big run is
/// tens of MB.
pub fn render(data: &RunData, title: &str) -> String {
    let ops = ops_of(data);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · messages</title>\
         <style>{STYLE}</style></head><body>\n<header><b>{t}</b> <a href=\"report.html\">report</a> \
         <a href=\"timeline.html\">timeline</a>\
         <span><button id=\"zin\" title=\"zoom in (wheel with Ctrl)\">+</button><button id=\"zout\">−</button>\
         <button id=\"all\">whole run</button></span>\
         <label>nodes <input type=\"text\" id=\"nodes\" placeholder=\"n0,n3 (all)\"></label>\
         <label>op <input type=\"text\" id=\"op\" placeholder=\"history index\" size=\"8\"></label>\
         <label><select id=\"mode\"><option value=\"chain\">caused by (handler chain)</option>\
         <option value=\"after\">happened after (Lamport)</option></select></label>\
         <span id=\"types\"></span><span id=\"info\"></span></header>\n\
         <div id=\"wrap\"><canvas id=\"c\"></canvas></div><div id=\"tip\"></div>\n\
         <pre id=\"selftest\" hidden></pre>\n<script type=\"application/json\" id=\"data\">",
        t = esc(title)
    );
    data_json(data, &ops, &mut page);
    page.push_str("</script>\n<script>");
    page.push_str(SCRIPT);
    page.push_str("</script>\n</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::{Event, History, Kind};
    use crate::output::html::journal::Msg;
    use serde_json::json;
    use std::time::Duration;

    fn event(index: usize, kind: Kind, f: &str, ms: u64, process: u64) -> Event {
        Event {
            index,
            kind,
            f: f.into(),
            value: json!(1),
            process,
            time: Duration::from_millis(ms),
            node: "n0".into(),
            final_op: false,
            error: None,
            exception: None,
        }
    }

    fn msg(id: u64, src: u32, dest: u32, ty: u32, ms: u64, body: &str) -> Msg {
        let sent = ms * 1_000_000;
        Msg { id, src, dest, ty, sent, fate: Fate::Delivered(sent + 1), parent: None, body: body.into() }
    }

    #[test]
    fn operations_find_their_requests_and_bodies_cannot_close_the_script() {
        // Lanes: n0, c1, c2; types: echo, echo_ok. Two echoes at the same instant from two
        // clients, then a second request of the first operation before it completes.
        let journal = Journal {
            present: true,
            lanes: vec!["n0".into(), "c1".into(), "c2".into()],
            types: vec!["echo".into(), "echo_ok".into()],
            total: 5,
            msgs: vec![
                msg(0, 1, 0, 0, 10, r#"{"type":"echo","echo":"</script><b>"}"#),
                msg(1, 2, 0, 0, 10, r#"{"type":"echo"}"#),
                msg(2, 1, 0, 0, 12, r#"{"type":"echo"}"#),
                msg(3, 0, 1, 1, 13, r#"{"type":"echo_ok"}"#),
                msg(4, 1, 0, 0, 30, r#"{"type":"echo"}"#),
            ],
            exact_causes: true,
        };
        let mut history = History::default();
        for e in [
            event(0, Kind::Invoke, "echo", 10, 0),
            event(1, Kind::Invoke, "echo", 10, 1),
            event(2, Kind::Ok, "echo", 13, 0),
            event(3, Kind::Info, "echo", 40, 1),
        ] {
            history.push(e);
        }
        let data = RunData { journal, history, ..Default::default() };
        let ops = ops_of(&data);
        let found: Vec<(usize, u32, Vec<u32>)> =
            ops.iter().map(|o| (o.invoke, o.lane, o.requests.clone())).collect();
        assert_eq!(found, [(0, 1, vec![0, 2]), (1, 2, vec![1])], "message 4 came after op 0 completed");
        let page = render(&data, "echo · test");
        assert_eq!(page.matches("</script>").count(), 2, "only the page's own two scripts end");
        assert!(
            page.contains(r#""ops":[[0,0,1,"echo",10000,13000,0,[0,2]],[1,1,2,"echo",10000,40000,2,[1]]]"#)
        );
    }
}
