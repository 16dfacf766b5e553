//! docs/protocol.md checked against the workbench, so the reference cannot go stale (issue #14).
//!
//! Every ```` ```json ```` block of the document carries a marker in its fence info string that
//! says what the message is; a block without one, or with one this module does not know, fails.
//!
//! | marker | the message | checked with |
//! |---|---|---|
//! | `init` | a client's `init` to a node (§2.3) | the body a `Run` sends that node |
//! | `init-reply` | the node's answer | a `Run` fed that answer leaves its init phase |
//! | `client-request W` | a client's request of workload `W` | same keys, and the same kinds of values, as the request the workbench's client for `W` sends (its setup request: the exact body) |
//! | `node-reply W` | the node's answer to the request just before it | `parse_line`, then the workbench's client for `W` records it as `ok` (the setup reply: a `Run` leaves its setup phase) |
//! | `error-reply` | an error body from a node to a client (§2.4) | `parse_line`, then `standard_completion` records an error, not a malformed reply |
//! | `service-request S` | a node's request to service `S` (§4) | `parse_line`; the harness's `S` answers it |
//! | `service-reply S` | the service's answer to the request just before it | the harness's `S` gives a reply of the same type, code, keys and kinds of values from some state |
//!
//! Every example is also a whole message (`src`, `dest`, `body`, and for a delivered message an
//! integer `id`) going in the direction its marker says, with a string `type` and integer
//! `msg_id` / `in_reply_to`, and a reply answers the `msg_id` of the request before it.

mod exchange;

use crate::core::wire::parse_line;
use crate::core::workloads::{standard_completion, ClientReply, WorkloadKind};
use exchange::{Conversations, Handshakes, ServiceCalls};
use glomers_engine::ErrorCode;
use glomers_harness::services::NAMES;
use serde_json::{Map, Value};

/// A message body.
type Body = Map<String, Value>;

/// What a JSON example is, from its fence info string (`json client-request g-counter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `init`: a client's `init` to a node.
    Init,
    /// `init-reply`: the node's answer to it.
    InitReply,
    /// `client-request W`: a client's request of workload `W`.
    ClientRequest(String),
    /// `node-reply W`: a node's reply to a client of workload `W`.
    NodeReply(String),
    /// `error-reply`: an error body from a node to a client.
    ErrorReply,
    /// `service-request S`: a node's request to service `S`.
    ServiceRequest(String),
    /// `service-reply S`: service `S`'s reply to a node.
    ServiceReply(String),
}

impl Marker {
    /// The marker of a fence info string; an error for plain `json`, an unknown role, or an
    /// unknown workload or service.
    pub fn parse(info: &str) -> Result<Marker, String> {
        let words: Vec<&str> = info.split_whitespace().collect();
        let marker = match words.as_slice() {
            ["json"] => return Err("no marker: write ```json ROLE [NAME] (see the module doc)".into()),
            ["json", "init"] => Marker::Init,
            ["json", "init-reply"] => Marker::InitReply,
            ["json", "error-reply"] => Marker::ErrorReply,
            ["json", role @ ("client-request" | "node-reply"), rest @ ..] => {
                let [name] = rest else { return Err(format!("marker `{role}` takes one workload name")) };
                if WorkloadKind::from_name(name).is_none() {
                    return Err(format!("unknown workload {name:?} in marker `{role}`"));
                }
                if *role == "client-request" {
                    Marker::ClientRequest((*name).to_owned())
                } else {
                    Marker::NodeReply((*name).to_owned())
                }
            }
            ["json", role @ ("service-request" | "service-reply"), rest @ ..] => {
                let [name] = rest else { return Err(format!("marker `{role}` takes one service name")) };
                if !NAMES.contains(name) {
                    return Err(format!("unknown service {name:?} in marker `{role}`"));
                }
                if *role == "service-request" {
                    Marker::ServiceRequest((*name).to_owned())
                } else {
                    Marker::ServiceReply((*name).to_owned())
                }
            }
            _ => return Err(format!("unknown marker {info:?}")),
        };
        Ok(marker)
    }
}

/// One ```` ```json ```` block: its line in the document, its info string and its text.
#[derive(Debug, Clone)]
pub struct Example {
    /// The line of its opening fence (1-based).
    pub line: usize,
    /// The fence info string, `json …`.
    pub info: String,
    /// The JSON text.
    pub text: String,
}

/// Every block whose info string starts with the word `json`, in order; an unclosed block is
/// an error.
pub fn extract(doc: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    let mut open: Option<Example> = None;
    let mut other_block = false;
    for (i, line) in doc.lines().enumerate() {
        let fence = line.strip_prefix("```");
        match (&mut open, fence) {
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some(ex), None) => {
                ex.text.push_str(line);
                ex.text.push('\n');
            }
            (None, Some(info)) if other_block => other_block = !info.trim().is_empty(),
            (None, Some(info)) if info.split_whitespace().next() == Some("json") => {
                open = Some(Example { line: i + 1, info: info.trim().to_owned(), text: String::new() });
            }
            (None, Some(_)) => other_block = true,
            (None, None) => {}
        }
    }
    match open {
        Some(ex) => Err(format!("line {}: the ```json block is never closed", ex.line)),
        None => Ok(out),
    }
}

/// The parts of a whole message.
struct Message {
    src: String,
    dest: String,
    body: Body,
}

/// Checks that `text` is one whole message: exactly `src`, `dest`, `body` and an optional
/// integer `id`; a body with a string `type`, integer `msg_id` and `in_reply_to` where present.
fn message(text: &str) -> Result<Message, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut top) = v else { return Err("not a JSON object".into()) };
    if let Some(k) = top.keys().find(|k| !matches!(k.as_str(), "src" | "dest" | "body" | "id")) {
        return Err(format!("unexpected top-level key {k:?}"));
    }
    if top.get("id").is_some_and(|id| !id.is_u64()) {
        return Err("the top-level id must be an integer".into());
    }
    let mut text_of = |k: &str| match top.remove(k) {
        Some(Value::String(s)) => Ok(s),
        other => Err(format!("{k} must be a string, got {other:?}")),
    };
    let (src, dest) = (text_of("src")?, text_of("dest")?);
    let Some(Value::Object(body)) = top.remove("body") else { return Err("body must be an object".into()) };
    if !body.get("type").is_some_and(Value::is_string) {
        return Err("the body has no string type".into());
    }
    for k in ["msg_id", "in_reply_to"] {
        if body.get(k).is_some_and(|v| !(v.is_u64() || v.is_i64())) {
            return Err(format!("{k} must be an integer"));
        }
    }
    Ok(Message { src, dest, body })
}

/// Whether `id` names a client (§1: its first character is `c`).
fn is_client(id: &str) -> bool {
    id.starts_with('c')
}

/// Whether `id` names a server node: neither a client nor a service.
fn is_node(id: &str) -> bool {
    !is_client(id) && !NAMES.contains(&id)
}

/// Checks the direction of `m`: from `from` to `to`, each a predicate with its name.
fn direction(
    m: &Message,
    from: (&str, fn(&str) -> bool),
    to: (&str, fn(&str) -> bool),
) -> Result<(), String> {
    if !(from.1)(&m.src) {
        return Err(format!("src {:?} is not {}", m.src, from.0));
    }
    if !(to.1)(&m.dest) {
        return Err(format!("dest {:?} is not {}", m.dest, to.0));
    }
    Ok(())
}

/// `parse_line`, the workbench's strict reader of node output, on an example a node writes.
fn node_line(text: &str) -> Result<(), String> {
    let compact = serde_json::from_str::<Value>(text).map_err(|e| e.to_string())?.to_string();
    parse_line(compact.as_bytes()).map(|_| ()).map_err(|e| format!("the workbench rejects it: {e}"))
}

/// Everything the examples before this one set up: open requests, the last `init`.
#[derive(Default)]
pub struct Checker {
    conversations: Conversations,
    handshakes: Handshakes,
    services: ServiceCalls,
    /// The marker of every example checked, in order.
    seen: Vec<Marker>,
}

impl Checker {
    /// Checks one example in document order.
    pub fn check(&mut self, ex: &Example) -> Result<(), String> {
        let marker = Marker::parse(&ex.info)?;
        let m = message(&ex.text)?;
        match &marker {
            Marker::Init => {
                direction(&m, ("a client", is_client), ("a node", is_node))?;
                self.handshakes.init(&m.dest, &m.body)?;
            }
            Marker::InitReply => {
                direction(&m, ("a node", is_node), ("a client", is_client))?;
                node_line(&ex.text)?;
                self.handshakes.init_reply(&m.src, &m.body)?;
            }
            Marker::ClientRequest(w) => {
                direction(&m, ("a client", is_client), ("a node", is_node))?;
                if !m.body.contains_key("msg_id") {
                    return Err("a client's request always carries a msg_id (§2.2)".into());
                }
                self.conversations.request(w, &m.src, &m.dest, &m.body)?;
            }
            Marker::NodeReply(w) => {
                direction(&m, ("a node", is_node), ("a client", is_client))?;
                node_line(&ex.text)?;
                let setup = self.conversations.reply(w, &m.src, &m.dest, &m.body)?;
                if let Some(nodes) = setup {
                    self.handshakes.setup_reply(w, &nodes, &m.src, &m.body)?;
                }
            }
            Marker::ErrorReply => {
                direction(&m, ("a node", is_node), ("a client", is_client))?;
                node_line(&ex.text)?;
                error_reply(&m.body)?;
            }
            Marker::ServiceRequest(s) => {
                if m.dest != *s {
                    return Err(format!("a request to {s} must have dest {s:?}, not {:?}", m.dest));
                }
                direction(&m, ("a node", is_node), ("a service", |id| NAMES.contains(&id)))?;
                node_line(&ex.text)?;
                self.services.request(s, &m.src, &m.body)?;
            }
            Marker::ServiceReply(s) => {
                if m.src != *s {
                    return Err(format!("a reply of {s} must have src {s:?}, not {:?}", m.src));
                }
                direction(&m, ("a service", |id| NAMES.contains(&id)), ("a node", is_node))?;
                self.services.reply(s, &m.dest, &m.body)?;
            }
        }
        self.seen.push(marker);
        Ok(())
    }

    /// Checks what the document left open once every example is read: a request whose reply was
    /// never shown, or a second request of an operation that the workbench sends and the
    /// document leaves out.
    pub fn finish(&self) -> Result<(), String> {
        self.conversations.finish()
    }

    /// The markers of the examples checked so far, in order.
    pub fn seen(&self) -> &[Marker] {
        &self.seen
    }
}

/// An error body from a node: `standard_completion` records an error for it (its name and
/// text), not a malformed reply.
fn error_reply(body: &Body) -> Result<(), String> {
    if body.get("type").and_then(Value::as_str) != Some("error") {
        return Err("an error reply has type \"error\"".into());
    }
    let c = standard_completion(ClientReply::Body(body.clone()), false, "unused_ok", &[], |_| Value::Null);
    match (c.error, c.exception) {
        (Some(_), None) => Ok(()),
        (_, Some(why)) => Err(format!("the workbench does not read it as an error: {why}")),
        (None, None) => Err("the workbench records no error for it".into()),
    }
}

/// Checks every example of `doc` in order; the number checked, or every problem found (each
/// with its line).
pub fn check_document(doc: &str) -> Result<Checker, Vec<String>> {
    let examples = extract(doc).map_err(|e| vec![e])?;
    let mut checker = Checker::default();
    let mut problems = Vec::new();
    for ex in &examples {
        if let Err(why) = checker.check(ex) {
            problems.push(format!("line {} (```{}): {why}", ex.line, ex.info));
        }
    }
    if let Err(why) = checker.finish() {
        problems.push(why);
    }
    if problems.is_empty() {
        Ok(checker)
    } else {
        Err(problems)
    }
}

/// The rows `| code | name | yes/no | …` of the error table (§2.4) that differ from the engine's
/// [`ErrorCode`] (which the workbench uses to name and judge codes), and the codes it names that
/// the table lacks.
pub fn error_table_problems(doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, code, name, definite, ..] = cells.as_slice() else { continue };
        let (Ok(code), Some(definite)) = (
            code.parse::<u32>(),
            match *definite {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        ) else {
            continue;
        };
        let known = ErrorCode::from_code(code);
        if (known.name(), known.is_definite()) != (*name, definite) {
            problems.push(format!(
                "error {code}: the table says {name}, definite {definite}; the workbench {}, definite {}",
                known.name(),
                known.is_definite()
            ));
        }
        listed.push(code);
    }
    for code in 0..1000 {
        if !matches!(ErrorCode::from_code(code), ErrorCode::Other(_)) && !listed.contains(&code) {
            problems.push(format!(
                "error {code} ({}) is missing from the table",
                ErrorCode::from_code(code).name()
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests;
