//! The store's HTTP server: paths, files and errors, on a fresh store per test.

use super::*;

/// A fresh store per test (tests run in parallel).
fn store(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("glomers-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("echo/run1")).unwrap();
    std::fs::write(d.join("index.html"), "<p>index</p>").unwrap();
    std::fs::write(d.join("echo/run1/results.json"), "{}").unwrap();
    std::fs::write(d.join("echo/run1/history.jsonl"), "{}\n").unwrap();
    std::fs::write(d.parent().unwrap().join("glomers-serve-secret"), "secret").unwrap();
    d.canonicalize().unwrap()
}

#[test]
fn serves_files_with_their_types_and_refuses_everything_else() {
    let root = store("respond");
    let r = respond(&root, "GET", "/");
    assert_eq!((r.status, r.content_type), (200, "text/html; charset=utf-8"));
    assert_eq!(r.body, Body::File(root.join("index.html")));
    assert_eq!(respond(&root, "GET", "/echo/run1/results.json").content_type, "application/json");
    assert_eq!(
        respond(&root, "HEAD", "/echo/run1/history.jsonl?x=1").content_type,
        "text/plain; charset=utf-8"
    );
    let dir = respond(&root, "GET", "/echo/run1");
    assert_eq!((dir.status, dir.headers.clone()), (301, vec!["Location: /echo/run1/".to_owned()]));
    let Body::Bytes(list) = respond(&root, "GET", "/echo/run1/").body else { panic!("a listing") };
    assert!(String::from_utf8_lossy(&list).contains("<a href=\"results.json\">"));
    assert_eq!(respond(&root, "POST", "/").status, 405);
    assert_eq!(respond(&root, "GET", "/../glomers-serve-secret").status, 403);
    assert_eq!(respond(&root, "GET", "/%2e%2e/glomers-serve-secret").status, 403);
    assert_eq!(respond(&root, "GET", "/echo/%zz").status, 400);
    assert_eq!(respond(&root, "GET", "/nothing").status, 404);
    std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
    assert_eq!(respond(&root, "GET", "/escape/hostname").status, 403);
}

#[test]
fn answers_over_tcp() {
    let root = store("tcp");
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || run(&listener, &root));
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /echo/run1/results.json HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).unwrap();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.contains("Content-Type: application/json\r\nContent-Length: 2\r\n"), "{got}");
    assert!(got.ends_with("\r\n\r\n{}"), "{got}");
}
