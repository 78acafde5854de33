//! `scalelint server`: a Language Server Protocol server over stdio.
//!
//! The main thread answers requests and keeps the open documents; one analysis thread
//! ([`worker`]) analyses whole workspaces (a lock helper edited in one file changes findings in
//! another), the open documents' unsaved texts in place of the disk's, and publishes the
//! diagnostics of every file the analysis touches. Edits are debounced, and an analysis that a
//! newer edit overtakes is thrown away instead of published. Parsed files are kept between
//! analyses of a workspace ([`crate::parse_cache`]), so a re-analysis parses only what changed.
//!
//! Built on `lsp-server` and `lsp-types`, rust-analyzer's own crates: synchronous (no async
//! runtime in a program whose work is CPU-bound parsing), a few small dependencies, and the
//! types kept current with the protocol by the most used Rust language server. The framing is
//! read here ([`transport`]) so a malformed message is answered with a protocol error instead
//! of ending the connection.

pub mod actions;
pub mod convert;
pub mod transport;
pub mod worker;

use crate::config::Overrides;
use crate::engine::{self, Options};
use convert::Encoding;
use crossbeam_channel::Sender;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use transport::Out;

/// The command `workspace/executeCommand` runs for the capacity report.
pub const CAPACITY_COMMAND: &str = "scalelint.capacityReport";
/// The code action kind of "fix all machine-applicable in file".
pub const FIX_ALL_KIND: &str = "source.fixAll.scalelint";

/// `initializationOptions` (and `workspace/didChangeConfiguration`'s `settings.scalelint`):
/// what the command line's options would say.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Instances the service runs as (`--instances`).
    pub instances: Option<u64>,
    /// The database's max_connections (`--db-max-connections`).
    pub db_max_connections: Option<u64>,
    /// Connections kept free for operators (`--reserved-connections`).
    pub reserved_connections: Option<u64>,
    /// A configuration file instead of the discovered scalelint.toml (`--config`).
    pub config: Option<PathBuf>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Milliseconds to wait after an edit before analysing (default 200).
    pub debounce_ms: Option<u64>,
}

impl Settings {
    /// Options for analysing `root` with the open documents' texts.
    pub fn options(&self, root: &Path) -> Options {
        Options {
            paths: vec![root.to_path_buf()],
            config: self.config.clone(),
            overrides: Overrides {
                instances: self.instances,
                max_connections: self.db_max_connections,
                reserved_connections: self.reserved_connections,
            },
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            ..Options::default()
        }
    }
}

/// An open document.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The URI as the client wrote it (diagnostics go back under the same one).
    pub uri: lsp::Uri,
    pub version: i32,
    pub text: String,
}

/// What the main thread and the analysis thread share.
#[derive(Default)]
pub struct Shared {
    pub docs: Mutex<HashMap<PathBuf, Doc>>,
    /// The last analysis published for each workspace root.
    pub analyses: Mutex<HashMap<PathBuf, Arc<worker::Analysis>>>,
    pub settings: Mutex<Settings>,
    pub encoding: Mutex<Encoding>,
}

impl Shared {
    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }
    pub fn encoding(&self) -> Encoding {
        self.encoding.lock().map(|e| *e).unwrap_or_default()
    }
    /// The URI to publish under: the client's for an open document.
    pub fn uri_of(&self, path: &Path) -> lsp::Uri {
        self.docs
            .lock()
            .ok()
            .and_then(|d| d.get(path).map(|d| d.uri.clone()))
            .unwrap_or_else(|| convert::path_to_uri(path))
    }
    /// The unsaved texts of the documents under `root`.
    pub fn overlay(&self, root: &Path) -> std::collections::BTreeMap<PathBuf, String> {
        self.docs
            .lock()
            .map(|d| {
                d.iter()
                    .filter(|(p, _)| p.starts_with(root))
                    .map(|(p, d)| (p.clone(), d.text.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs the server on stdin/stdout until `exit`. The exit code: 0 after `shutdown`, 1 without.
pub fn serve() -> i32 {
    let (out, incoming, io) = transport::stdio();
    let code = Server::new(out.clone()).run(&incoming);
    let _ = out.send(Out::Stop);
    io.join();
    code
}

struct Server {
    out: Sender<Out>,
    shared: Arc<Shared>,
    jobs: Option<Sender<worker::Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// Each file's workspace root, as discovery finds it.
    roots: HashMap<PathBuf, PathBuf>,
    initialized: bool,
    shutdown: bool,
}

fn error(id: RequestId, code: ErrorCode, message: impl Into<String>) -> Message {
    Message::Response(Response::new_err(id, code as i32, message.into()))
}

fn notification<N: lsp::notification::Notification>(params: N::Params) -> Message {
    Message::Notification(Notification::new(N::METHOD.to_string(), params))
}

/// A message for the client's log.
pub fn log(out: &Sender<Out>, typ: lsp::MessageType, message: String) {
    let _ = out.send(Out::Msg(notification::<lsp::notification::LogMessage>(
        lsp::LogMessageParams { typ, message },
    )));
}

impl Server {
    fn new(out: Sender<Out>) -> Server {
        Server {
            out,
            shared: Arc::new(Shared::default()),
            jobs: None,
            worker: None,
            roots: HashMap::new(),
            initialized: false,
            shutdown: false,
        }
    }

    fn send(&self, m: Message) {
        let _ = self.out.send(Out::Msg(m));
    }

    fn run(mut self, incoming: &crossbeam_channel::Receiver<Message>) -> i32 {
        let code = loop {
            let Ok(msg) = incoming.recv() else {
                // The input ended without `exit`.
                break 1;
            };
            match msg {
                Message::Request(req) => self.request(req),
                Message::Notification(n) => {
                    if n.method == "exit" {
                        break if self.shutdown { 0 } else { 1 };
                    }
                    self.notification(n);
                }
                // The server sends no requests that need an answer.
                Message::Response(_) => {}
            }
        };
        drop(self.jobs.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        code
    }

    fn request(&mut self, req: Request) {
        if req.method == "initialize" {
            if self.initialized {
                return self.send(error(
                    req.id,
                    ErrorCode::InvalidRequest,
                    "initialize was already sent",
                ));
            }
            return self.initialize(req);
        }
        if !self.initialized {
            return self.send(error(
                req.id,
                ErrorCode::ServerNotInitialized,
                "the first request must be initialize",
            ));
        }
        if self.shutdown {
            return self.send(error(
                req.id,
                ErrorCode::InvalidRequest,
                "the server is shutting down",
            ));
        }
        match req.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                self.send(Message::Response(Response::new_ok(
                    req.id,
                    serde_json::Value::Null,
                )));
            }
            "textDocument/codeAction" => {
                match serde_json::from_value::<lsp::CodeActionParams>(req.params) {
                    Ok(p) => {
                        let root = convert::uri_to_path(&p.text_document.uri)
                            .and_then(|path| self.root_of(&path));
                        let actions = actions::code_actions(&self.shared, root.as_deref(), &p);
                        self.send(Message::Response(Response::new_ok(req.id, actions)));
                    }
                    Err(e) => self.send(error(req.id, ErrorCode::InvalidParams, e.to_string())),
                }
            }
            "workspace/executeCommand" => {
                match serde_json::from_value::<lsp::ExecuteCommandParams>(req.params) {
                    Ok(p) if p.command == CAPACITY_COMMAND => self.capacity(req.id, p),
                    Ok(p) => self.send(error(
                        req.id,
                        ErrorCode::InvalidParams,
                        format!("unknown command `{}`", p.command),
                    )),
                    Err(e) => self.send(error(req.id, ErrorCode::InvalidParams, e.to_string())),
                }
            }
            other => self.send(error(
                req.id,
                ErrorCode::MethodNotFound,
                format!("unknown method `{other}`"),
            )),
        }
    }

    fn initialize(&mut self, req: Request) {
        let params = match serde_json::from_value::<lsp::InitializeParams>(req.params) {
            Ok(p) => p,
            Err(e) => return self.send(error(req.id, ErrorCode::InvalidParams, e.to_string())),
        };
        let settings = match params.initialization_options.clone() {
            None | Some(serde_json::Value::Null) => Settings::default(),
            Some(v) => match parse_settings(v) {
                Ok(s) => s,
                Err(e) => {
                    return self.send(error(
                        req.id,
                        ErrorCode::InvalidParams,
                        format!("initializationOptions: {e}"),
                    ));
                }
            },
        };
        let utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
        let encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        if let Ok(mut s) = self.shared.settings.lock() {
            *s = settings;
        }
        if let Ok(mut e) = self.shared.encoding.lock() {
            *e = encoding;
        }
        let capabilities = lsp::ServerCapabilities {
            position_encoding: Some(if utf8 {
                lsp::PositionEncodingKind::UTF8
            } else {
                lsp::PositionEncodingKind::UTF16
            }),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::FULL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QUICKFIX,
                        lsp::CodeActionKind::new(FIX_ALL_KIND),
                    ]),
                    ..Default::default()
                },
            )),
            execute_command_provider: Some(lsp::ExecuteCommandOptions {
                commands: vec![CAPACITY_COMMAND.into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let result = lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "scalelint".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        self.send(Message::Response(Response::new_ok(req.id, result)));
        self.initialized = true;
        let (tx, handle) = worker::start(self.shared.clone(), self.out.clone());
        self.jobs = Some(tx);
        self.worker = Some(handle);
    }

    fn notification(&mut self, n: Notification) {
        if !self.initialized || self.shutdown {
            return;
        }
        use lsp::notification::Notification as _;
        let method = n.method.clone();
        let result: Result<(), serde_json::Error> = (|| {
            match method.as_str() {
                lsp::notification::DidOpenTextDocument::METHOD => {
                    let p: lsp::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                    let d = p.text_document;
                    self.edited(d.uri, d.version, Some(d.text), worker::Delay::Now);
                }
                lsp::notification::DidChangeTextDocument::METHOD => {
                    let p: lsp::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                    // Full synchronisation: the last change holds the whole text.
                    let text = p.content_changes.into_iter().last().map(|c| c.text);
                    let d = p.text_document;
                    self.edited(d.uri, d.version, text, worker::Delay::Debounced);
                }
                lsp::notification::DidSaveTextDocument::METHOD => {
                    let p: lsp::DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
                    if let Some(path) = convert::uri_to_path(&p.text_document.uri) {
                        // scalelint.toml or a manifest: settings and crates may change.
                        if is_settings_file(&path) {
                            self.reanalyse_all(true);
                        } else {
                            self.analyse(&path, worker::Delay::Now);
                        }
                    }
                }
                lsp::notification::DidCloseTextDocument::METHOD => {
                    let p: lsp::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                    if let Some(path) = convert::uri_to_path(&p.text_document.uri) {
                        if let Ok(mut docs) = self.shared.docs.lock() {
                            docs.remove(&path);
                        }
                        // The disk's text is what counts again.
                        self.analyse(&path, worker::Delay::Debounced);
                    }
                }
                lsp::notification::DidChangeWatchedFiles::METHOD => {
                    let p: lsp::DidChangeWatchedFilesParams = serde_json::from_value(n.params)?;
                    let settings_changed = p
                        .changes
                        .iter()
                        .filter_map(|c| convert::uri_to_path(&c.uri))
                        .any(|p| is_settings_file(&p));
                    self.reanalyse_all(settings_changed);
                }
                lsp::notification::DidChangeConfiguration::METHOD => {
                    let p: lsp::DidChangeConfigurationParams = serde_json::from_value(n.params)?;
                    let v = p.settings.get("scalelint").cloned().unwrap_or(p.settings);
                    if !v.is_null() {
                        match parse_settings(v) {
                            Ok(s) => {
                                if let Ok(mut cur) = self.shared.settings.lock() {
                                    *cur = s;
                                }
                                self.reanalyse_all(true);
                            }
                            Err(e) => log(
                                &self.out,
                                lsp::MessageType::ERROR,
                                format!("scalelint settings: {e}"),
                            ),
                        }
                    }
                }
                // `$/cancelRequest`, `initialized`, `$/setTrace` and the rest: nothing to do
                // (requests are answered as they come).
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = result {
            log(
                &self.out,
                lsp::MessageType::ERROR,
                format!("{method}: invalid parameters: {e}"),
            );
        }
    }

    /// A document opened or changed: keep its text and analyse its workspace.
    fn edited(&mut self, uri: lsp::Uri, version: i32, text: Option<String>, delay: worker::Delay) {
        let Some(path) = convert::uri_to_path(&uri) else {
            return;
        };
        if let (Some(text), Ok(mut docs)) = (text, self.shared.docs.lock()) {
            docs.insert(path.clone(), Doc { uri, version, text });
        }
        self.analyse(&path, delay);
    }

    fn analyse(&mut self, path: &Path, delay: worker::Delay) {
        let Some(root) = self.root_of(path) else {
            return;
        };
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(worker::Job::Analyse { root, delay });
        }
    }

    fn reanalyse_all(&mut self, forget: bool) {
        if forget {
            // Which files belong to which workspace may have changed too.
            self.roots.clear();
        }
        let Some(jobs) = &self.jobs else { return };
        if forget {
            let _ = jobs.send(worker::Job::Forget);
        }
        let mut roots: Vec<PathBuf> = self
            .shared
            .analyses
            .lock()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        let open: Vec<PathBuf> = self
            .shared
            .docs
            .lock()
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        for p in open {
            if let Some(r) = self.root_of(&p) {
                roots.push(r);
            }
        }
        roots.sort();
        roots.dedup();
        if let Some(jobs) = &self.jobs {
            for root in roots {
                let _ = jobs.send(worker::Job::Analyse {
                    root,
                    delay: worker::Delay::Now,
                });
            }
        }
    }

    /// The folder analysed for `path`: its cargo workspace's root (the package's when it is in
    /// none), or the file itself when it belongs to no crate.
    fn root_of(&mut self, path: &Path) -> Option<PathBuf> {
        if let Some(r) = self.roots.get(path) {
            return Some(r.clone());
        }
        let root = root_for(path)?;
        self.roots.insert(path.to_path_buf(), root.clone());
        Some(root)
    }

    fn capacity(&self, id: RequestId, p: lsp::ExecuteCommandParams) {
        // The workspace of the document given, else of every workspace analysed so far.
        let roots: Vec<PathBuf> = match p
            .arguments
            .first()
            .and_then(|a| a.as_str())
            .and_then(|s| s.parse::<lsp::Uri>().ok())
            .and_then(|u| convert::uri_to_path(&u))
        {
            Some(path) => root_for(&path).into_iter().collect(),
            None => self
                .shared
                .analyses
                .lock()
                .map(|a| a.keys().cloned().collect())
                .unwrap_or_default(),
        };
        if roots.is_empty() {
            return self.send(error(
                id,
                ErrorCode::InvalidParams,
                "no workspace: open a Rust file, or give a file's URI as the argument",
            ));
        }
        let shared = self.shared.clone();
        let out = self.out.clone();
        std::thread::spawn(move || {
            let msg = match capacity_report(&shared, &roots) {
                Ok(v) => {
                    if let Some(text) = v.get("text").and_then(|t| t.as_str()) {
                        log(&out, lsp::MessageType::INFO, text.to_string());
                    }
                    Message::Response(Response::new_ok(id, v))
                }
                Err(e) => error(id, ErrorCode::RequestFailed, e),
            };
            let _ = out.send(Out::Msg(msg));
        });
    }
}

fn parse_settings(v: serde_json::Value) -> Result<Settings, String> {
    let s: Settings = serde_json::from_value(v).map_err(|e| e.to_string())?;
    if s.instances == Some(0) {
        return Err("instances must be at least 1".into());
    }
    Ok(s)
}

fn is_settings_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n == "scalelint.toml" || n == ".scalelint.toml" || n == "Cargo.toml" || n == "Cargo.lock"
    })
}

/// See [`Server::root_of`].
pub fn root_for(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    let probe = if path.extension().is_some_and(|e| e == "rs") {
        path.clone()
    } else {
        // A manifest or deploy file: the package folder above it.
        path.ancestors()
            .skip(1)
            .find(|d| d.join("Cargo.toml").is_file())?
            .to_path_buf()
    };
    let discovery = crate::workspace::discover(std::slice::from_ref(&probe)).ok()?;
    match discovery.pending.first()? {
        crate::workspace::Pending::Cargo { root, .. } => Some(root.clone()),
        _ => Some(probe),
    }
}

/// `scalelint capacity` over `roots`, with the open documents' texts: the text and Markdown
/// reports and the JSON one's fields.
fn capacity_report(shared: &Shared, roots: &[PathBuf]) -> Result<serde_json::Value, String> {
    use crate::deploy::capacity;
    let settings = shared.settings();
    let mut overlay = std::collections::BTreeMap::new();
    for r in roots {
        overlay.extend(shared.overlay(r));
    }
    let opts = Options {
        paths: roots.to_vec(),
        select: vec!["oversized-pool".into(), "host-sized-pool".into()],
        capacity: true,
        overlay,
        ..settings.options(Path::new("."))
    };
    let report = engine::run(&opts).map_err(|e| e.0)?;
    let dbs = capacity::report(report.capacity, &[]);
    let mut deploy = report.deploy;
    let mut seen = std::collections::HashSet::new();
    deploy.retain(|l| seen.insert(l.clone()));
    Ok(serde_json::json!({
        "text": capacity::text(&dbs, &deploy),
        "markdown": capacity::markdown(&dbs),
        "deploy": deploy,
        "databases": dbs,
    }))
}
