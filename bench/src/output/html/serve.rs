//! `glomers-bench serve`: a small HTTP/1.0-style server for the store on 127.0.0.1. GET and HEAD
//! only, one thread per connection, directory listings where a folder has no index.html, and
//! no path outside the store (every path is canonicalised, so `latest` and other symlinks are
//! followed only while they stay inside).

use super::page::{esc, frame};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to send back.
#[derive(Debug, PartialEq)]
pub enum Body {
    /// Bytes made here (pages, errors, listings).
    Bytes(Vec<u8>),
    /// A file, streamed.
    File(PathBuf),
}

/// A response.
#[derive(Debug, PartialEq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Extra header lines (e.g. `Location`).
    pub headers: Vec<String>,
    /// The body.
    pub body: Body,
}

fn text(status: u16, msg: &str) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        headers: vec![],
        body: Body::Bytes(msg.as_bytes().to_vec()),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    }
}

/// The content type of a file name.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// `%XX` decoding; `None` for a bad escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn listing(dir: &Path, url: &str) -> Response {
    let mut names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .collect();
    names.sort();
    let mut s = format!("<h1>{}</h1><ul>", esc(url));
    if url != "/" {
        s.push_str("<li><a href=\"../\">../</a></li>");
    }
    for (n, is_dir) in names {
        let slash = if is_dir { "/" } else { "" };
        let _ = write!(s, "<li><a href=\"{0}{slash}\">{0}{slash}</a></li>", esc(&n));
    }
    s.push_str("</ul>");
    Response {
        status: 200,
        content_type: "text/html; charset=utf-8",
        headers: vec![],
        body: Body::Bytes(frame(url, &s).into_bytes()),
    }
}

/// The response to `method target` for the store at `root` (canonical). No I/O beyond reading
/// the store.
pub fn respond(root: &Path, method: &str, target: &str) -> Response {
    if method != "GET" && method != "HEAD" {
        return text(405, "only GET and HEAD\n");
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    let Some(url) = percent_decode(path).filter(|u| u.starts_with('/') && !u.contains('\0')) else {
        return text(400, "bad path\n");
    };
    if url.split('/').any(|c| c == "..") {
        return text(403, "no path outside the store\n");
    }
    let Ok(real) = root.join(url.trim_start_matches('/')).canonicalize() else {
        return text(404, "not found\n");
    };
    if !real.starts_with(root) {
        return text(403, "no path outside the store\n");
    }
    if real.is_dir() {
        if !url.ends_with('/') {
            return Response {
                status: 301,
                content_type: "text/plain; charset=utf-8",
                headers: vec![format!("Location: {path}/")],
                body: Body::Bytes(Vec::new()),
            };
        }
        let index = real.join("index.html");
        if index.is_file() {
            return Response {
                status: 200,
                content_type: content_type(&index),
                headers: vec![],
                body: Body::File(index),
            };
        }
        return listing(&real, &url);
    }
    Response { status: 200, content_type: content_type(&real), headers: vec![], body: Body::File(real) }
}

fn handle(stream: TcpStream, root: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.by_ref().take(8192).read_line(&mut first)?;
    // Skip the headers; nothing in them changes the answer.
    let mut line = String::new();
    while reader.by_ref().take(8192).read_line(&mut line)? > 0 && line.trim_end() != "" {
        line.clear();
    }
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let r = respond(root, method, target);
    let len = match &r.body {
        Body::Bytes(b) => b.len() as u64,
        Body::File(p) => std::fs::metadata(p)?.len(),
    };
    let mut out = io::BufWriter::new(stream);
    write!(
        out,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {len}\r\nConnection: close\r\n",
        r.status,
        reason(r.status),
        r.content_type
    )?;
    for h in &r.headers {
        write!(out, "{h}\r\n")?;
    }
    write!(out, "\r\n")?;
    if method != "HEAD" {
        match r.body {
            Body::Bytes(b) => out.write_all(&b)?,
            Body::File(p) => {
                io::copy(&mut File::open(p)?, &mut out)?;
            }
        }
    }
    out.flush()
}

/// Serves `root` on `listener` until the process ends.
///
/// # Errors
/// When `root` does not exist.
pub fn run(listener: &TcpListener, root: &Path) -> io::Result<()> {
    let root = root.canonicalize()?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
    Ok(())
}

/// Binds 127.0.0.1:`port` and serves `root`.
///
/// # Errors
/// When the port cannot be bound or `root` does not exist.
pub fn serve(root: &Path, port: u16) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    eprintln!("glomers-bench: serving {} at http://{}/", root.display(), listener.local_addr()?);
    run(&listener, root)
}

#[cfg(test)]
#[path = "serve_tests.rs"]
mod tests;
