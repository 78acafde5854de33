//! `scalelint server` driven over stdio as an editor drives it, through the client side of
//! rust-analyzer's `lsp-server` (framing) and `lsp-types` (the protocol's types).

use lsp_server::{Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: crossbeam_channel::Receiver<serde_json::Value>,
    /// Notifications read while waiting for something else.
    queue: Vec<Notification>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scalelint"))
            .args(["server", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming: rx,
            queue: vec![],
            next_id: 0,
        }
    }

    fn send(&mut self, m: Message) {
        m.write(&mut self.stdin).expect("the server reads");
    }

    fn raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message as JSON (an error answering no request has a null id, which
    /// `lsp_server::Message` cannot hold).
    fn recv_json(&mut self) -> serde_json::Value {
        self.incoming
            .recv_timeout(WAIT)
            .expect("the server answers in time")
    }

    fn recv(&mut self) -> Message {
        let v = self.recv_json();
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
    }

    /// Sends a request and waits for its response (notifications meanwhile are queued).
    fn call(&mut self, method: &str, params: serde_json::Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Message::Request(Request::new(
            id.clone(),
            method.into(),
            params,
        )));
        self.response(&id)
    }

    fn response(&mut self, id: &RequestId) -> Response {
        loop {
            match self.recv() {
                Message::Response(r) if &r.id == id => return r,
                Message::Notification(n) => self.queue.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn request<R: lsp::request::Request>(&mut self, params: R::Params) -> R::Result {
        let r = self.call(R::METHOD, serde_json::to_value(params).unwrap());
        assert!(r.error.is_none(), "{}: {:?}", R::METHOD, r.error);
        serde_json::from_value(r.result.unwrap_or(serde_json::Value::Null)).unwrap()
    }

    fn notify<N: lsp::notification::Notification>(&mut self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.into(),
            params,
        )));
    }

    /// The next diagnostics published for `uri` that satisfy `done`.
    fn diagnostics(
        &mut self,
        uri: &lsp::Uri,
        done: impl Fn(&lsp::PublishDiagnosticsParams) -> bool,
    ) -> lsp::PublishDiagnosticsParams {
        let deadline = Instant::now() + WAIT;
        loop {
            let mut found = None;
            self.queue.retain(|n| {
                if found.is_some() || n.method != "textDocument/publishDiagnostics" {
                    return true;
                }
                let p: lsp::PublishDiagnosticsParams =
                    serde_json::from_value(n.params.clone()).unwrap();
                // Earlier publications for this file are over: dropped.
                let other = &p.uri != uri;
                if !other && done(&p) {
                    found = Some(p);
                }
                other
            });
            if let Some(p) = found {
                return p;
            }
            assert!(Instant::now() < deadline, "no diagnostics for {uri:?}");
            match self.recv() {
                Message::Notification(n) => self.queue.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn initialize(&mut self, options: serde_json::Value, root: &Path) {
        let params = serde_json::json!({
            "processId": null,
            "rootUri": uri(root).as_str(),
            "capabilities": {},
            "initializationOptions": options,
        });
        let r = self.call("initialize", params);
        assert!(r.error.is_none(), "{:?}", r.error);
        let result: lsp::InitializeResult = serde_json::from_value(r.result.unwrap()).unwrap();
        assert_eq!(result.server_info.unwrap().name, "scalelint");
        assert!(result.capabilities.code_action_provider.is_some());
        self.notify::<lsp::notification::Initialized>(lsp::InitializedParams {});
    }

    fn open(&mut self, path: &Path, text: &str) -> lsp::Uri {
        let u = uri(path);
        self.notify::<lsp::notification::DidOpenTextDocument>(lsp::DidOpenTextDocumentParams {
            text_document: lsp::TextDocumentItem::new(u.clone(), "rust".into(), 1, text.into()),
        });
        u
    }

    fn change(&mut self, u: &lsp::Uri, version: i32, text: &str) {
        self.notify::<lsp::notification::DidChangeTextDocument>(lsp::DidChangeTextDocumentParams {
            text_document: lsp::VersionedTextDocumentIdentifier::new(u.clone(), version),
            content_changes: vec![lsp::TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: text.into(),
            }],
        });
    }

    /// `shutdown`, `exit`, and the exit code.
    fn stop(mut self) -> i32 {
        let r = self.call("shutdown", serde_json::Value::Null);
        assert!(r.error.is_none());
        self.notify::<lsp::notification::Exit>(());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One `Content-Length` framed message.
fn read_frame(r: &mut impl std::io::BufRead) -> Option<serde_json::Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(path: &Path) -> lsp::Uri {
    lsp::Uri::from_str(&format!("file://{}", path.display())).unwrap()
}

const MANIFEST: &str = r#"[package]
name = "orders"
version = "0.1.0"
edition = "2021"

[dependencies]
axum = "0.7"
sqlx = { version = "0.8", features = ["postgres"] }
tokio = { version = "1", features = ["full"] }
"#;

const MAIN: &str = r#"mod db;

use sqlx::postgres::PgPoolOptions;

#[tokio::main]
async fn main() {
    let pool = PgPoolOptions::new()
        .max_connections(50)
        .connect("postgres://localhost/orders")
        .await
        .unwrap();
    let reports = db::reports().await;
    let app = axum::Router::new().with_state((pool, reports));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
"#;

const DB: &str = r#"use sqlx::postgres::PgPoolOptions;

pub async fn reports() -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(40)
        .connect("postgres://localhost/reports")
        .await
        .unwrap()
}
"#;

fn service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();
    std::fs::write(dir.path().join("src/db.rs"), DB).unwrap();
    dir
}

/// Applies a code action's edits for one document (back to front) to its text.
fn apply(text: &str, edit: &lsp::WorkspaceEdit, u: &lsp::Uri) -> String {
    let edits = edit.changes.as_ref().unwrap().get(u).unwrap();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // The text is ASCII: UTF-16 columns are bytes.
    let offset = |p: lsp::Position| starts[p.line as usize] + p.character as usize;
    let mut edits: Vec<&lsp::TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(offset(e.range.start)));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(offset(e.range.start)..offset(e.range.end), &e.new_text);
    }
    out
}

fn actions(client: &mut Client, u: &lsp::Uri, d: &lsp::Diagnostic) -> Vec<lsp::CodeAction> {
    let params = lsp::CodeActionParams {
        text_document: lsp::TextDocumentIdentifier::new(u.clone()),
        range: d.range,
        context: lsp::CodeActionContext {
            diagnostics: vec![d.clone()],
            only: None,
            trigger_kind: None,
        },
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    };
    client
        .request::<lsp::request::CodeActionRequest>(params)
        .unwrap_or_default()
        .into_iter()
        .map(|a| match a {
            lsp::CodeActionOrCommand::CodeAction(a) => a,
            lsp::CodeActionOrCommand::Command(c) => panic!("a bare command {c:?}"),
        })
        .collect()
}

#[test]
fn diagnostics_fixes_and_clearing_through_a_client() {
    let dir = service();
    let root = dir.path().canonicalize().unwrap();
    let mut client = Client::start();
    client.initialize(serde_json::Value::Null, &root);

    // The unsaved buffer (60) is analysed, not the disk's text (50).
    let unsaved = MAIN.replace("max_connections(50)", "max_connections(60)");
    let main = client.open(&root.join("src/main.rs"), &unsaved);
    let p = client.diagnostics(&main, |p| !p.diagnostics.is_empty());
    assert_eq!(p.version, Some(1));
    assert_eq!(p.diagnostics.len(), 1, "{:#?}", p.diagnostics);
    let d = &p.diagnostics[0];
    assert_eq!(
        d.code,
        Some(lsp::NumberOrString::String("oversized-pool".into()))
    );
    assert_eq!(d.source.as_deref(), Some("scalelint"));
    assert_eq!(d.severity, Some(lsp::DiagnosticSeverity::WARNING));
    assert!(
        d.message.starts_with("sqlx pool of 60 connections"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("\nnote: "),
        "the reasoning: {}",
        d.message
    );
    assert_eq!(
        (d.range.start, d.range.end),
        (lsp::Position::new(7, 25), lsp::Position::new(7, 27))
    );
    let href = d.code_description.as_ref().unwrap().href.as_str();
    assert!(href.ends_with("/rules/docs/oversized-pool.md"), "{href}");
    assert_eq!(
        d.related_information.as_ref().unwrap()[0].message,
        "the pool is built here"
    );

    // The workspace's other file, never opened, is published too.
    let db = uri(&root.join("src/db.rs"));
    let p = client.diagnostics(&db, |p| !p.diagnostics.is_empty());
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.version, None);

    // The actions at the finding: machine fix, allow comment, fix all.
    let acts = actions(&mut client, &main, d);
    let titles: Vec<&str> = acts.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Fix: set the maximum to the per-instance budget of 22",
            "Allow oversized-pool here (with a reason)",
            "Fix all machine-applicable scalelint findings in this file",
        ]
    );
    assert_eq!(acts[0].is_preferred, Some(true));
    assert_eq!(acts[0].kind, Some(lsp::CodeActionKind::QUICKFIX));
    assert_eq!(
        acts[2].kind.as_ref().map(|k| k.as_str()),
        Some("source.fixAll.scalelint")
    );
    let allowed = apply(&unsaved, acts[1].edit.as_ref().unwrap(), &main);
    assert!(
        allowed.contains(
            "    // scalelint: allow(oversized-pool) TODO: say why this is safe\n    let pool = "
        ),
        "{allowed}"
    );

    // The fix applied in the editor: the finding is cleared.
    let fixed = apply(&unsaved, acts[0].edit.as_ref().unwrap(), &main);
    assert!(fixed.contains(".max_connections(22)"));
    client.change(&main, 2, &fixed);
    let p = client.diagnostics(&main, |p| p.version == Some(2));
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);

    // The allow comment (with a reason) silences the other file's finding once it is open.
    let db_path = root.join("src/db.rs");
    client.open(&db_path, DB);
    let p = client.diagnostics(&db, |p| p.version == Some(1));
    let acts = actions(&mut client, &db, &p.diagnostics[0]);
    let allow = acts.iter().find(|a| a.title.starts_with("Allow")).unwrap();
    let text = apply(DB, allow.edit.as_ref().unwrap(), &db)
        .replace("TODO: say why this is safe", "reports run on one replica");
    client.change(&db, 2, &text);
    let p = client.diagnostics(&db, |p| p.version == Some(2));
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);

    // The capacity report.
    let r = client.call(
        "workspace/executeCommand",
        serde_json::json!({ "command": "scalelint.capacityReport", "arguments": [main.as_str()] }),
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    let result = r.result.unwrap();
    assert!(result["text"].as_str().unwrap().contains("22"), "{result}");
    assert!(result["databases"].is_array());

    assert_eq!(client.stop(), 0);
}

#[test]
fn protocol_errors_never_end_the_server() {
    let dir = service();
    let root = dir.path().canonicalize().unwrap();
    let mut client = Client::start();
    // Before initialize: ServerNotInitialized.
    let r = client.call("textDocument/codeAction", serde_json::json!({}));
    assert_eq!(r.error.unwrap().code, -32002);
    client.initialize(serde_json::Value::Null, &root);

    // Not JSON: a parse error with a null id.
    client.raw("{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": ");
    let v = client.recv_json();
    assert!(v["id"].is_null(), "{v}");
    assert_eq!(v["error"]["code"], -32700);
    // JSON that is no message: an invalid request, answered under its id.
    client.raw(r#"{"jsonrpc": "2.0", "id": 9, "method": ["x"]}"#);
    let v = client.recv_json();
    assert_eq!(
        (v["id"].clone(), v["error"]["code"].clone()),
        (9.into(), (-32600).into())
    );
    // Unknown methods, and parameters of the wrong shape.
    let r = client.call("textDocument/hover", serde_json::json!({}));
    assert_eq!(r.error.unwrap().code, -32601);
    let r = client.call(
        "textDocument/codeAction",
        serde_json::json!({"textDocument": 3}),
    );
    assert_eq!(r.error.unwrap().code, -32602);
    let r = client.call(
        "workspace/executeCommand",
        serde_json::json!({"command": "rm -rf", "arguments": []}),
    );
    assert_eq!(r.error.unwrap().code, -32602);
    // A notification with bad parameters is logged, and an unknown one ignored.
    client.notify::<lsp::notification::DidOpenTextDocument>(
        serde_json::from_value(serde_json::json!({"textDocument": {
            "uri": "untitled:x", "languageId": "rust", "version": 1, "text": ""
        }}))
        .unwrap(),
    );
    client.send(Message::Notification(Notification::new(
        "textDocument/didOpen".into(),
        serde_json::json!({"textDocument": 1}),
    )));
    client.send(Message::Notification(Notification::new(
        "$/unknown".into(),
        serde_json::json!(null),
    )));
    // Still serving.
    let main = client.open(&root.join("src/main.rs"), MAIN);
    let p = client.diagnostics(&main, |p| !p.diagnostics.is_empty());
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(client.stop(), 0);
}

#[test]
fn settings_come_from_scalelint_toml_and_initialization_options() {
    let dir = service();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("scalelint.toml"), "instances = 3\n").unwrap();
    let budget = |options: serde_json::Value| {
        let mut client = Client::start();
        client.initialize(options, &root);
        let main = client.open(&root.join("src/main.rs"), MAIN);
        let p = client.diagnostics(&main, |p| !p.diagnostics.is_empty());
        let message = p.diagnostics[0].message.clone();
        assert_eq!(client.stop(), 0);
        message
    };
    // (100 − 10) ÷ 3 = 30 from scalelint.toml; ÷ 2 = 45 with the option; (90 − 0) ÷ 2 = 45.
    assert!(budget(serde_json::Value::Null).contains("share of the database (30)"));
    assert!(budget(serde_json::json!({"instances": 2})).contains("share of the database (45)"));
    let m = budget(
        serde_json::json!({"instances": 2, "dbMaxConnections": 90, "reservedConnections": 0}),
    );
    assert!(m.contains("share of the database (45)"), "{m}");

    // Options the server does not know are refused at initialize.
    let mut client = Client::start();
    let r = client.call(
        "initialize",
        serde_json::json!({"capabilities": {}, "initializationOptions": {"instance": 2}}),
    );
    assert_eq!(r.error.unwrap().code, -32602);
}

#[test]
fn a_burst_of_edits_is_analysed_once_at_its_end() {
    let dir = service();
    let root = dir.path().canonicalize().unwrap();
    let mut client = Client::start();
    // A pause long enough that a loaded machine cannot split the burst.
    client.initialize(serde_json::json!({"debounceMs": 2000}), &root);
    let main = client.open(&root.join("src/main.rs"), MAIN);
    client.diagnostics(&main, |p| p.version == Some(1));
    for v in 2..=20 {
        let text = MAIN.replace(
            "max_connections(50)",
            &format!("max_connections({})", 30 + v),
        );
        client.change(&main, v, &text);
    }
    let p = client.diagnostics(&main, |p| p.version.is_some_and(|v| v > 1));
    assert_eq!(p.version, Some(20), "only the last text is published");
    assert!(
        p.diagnostics[0]
            .message
            .starts_with("sqlx pool of 50 connections")
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_save_analyses_the_disk_and_clears_fixed_files() {
    let dir = service();
    let root = dir.path().canonicalize().unwrap();
    let mut client = Client::start();
    client.initialize(serde_json::Value::Null, &root);
    client.open(&root.join("src/main.rs"), MAIN);
    let db = uri(&root.join("src/db.rs"));
    client.diagnostics(&db, |p| !p.diagnostics.is_empty());
    // db.rs fixed on disk by another program, then a save in the editor.
    std::fs::write(root.join("src/db.rs"), DB.replace("(40)", "(10)")).unwrap();
    client.notify::<lsp::notification::DidSaveTextDocument>(lsp::DidSaveTextDocumentParams {
        text_document: lsp::TextDocumentIdentifier::new(uri(&root.join("src/main.rs"))),
        text: None,
    });
    let p = client.diagnostics(&db, |_| true);
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    assert_eq!(client.stop(), 0);
}
