//! The base protocol over stdio: `Content-Length` framed JSON-RPC, read and written on threads of
//! their own. A frame that is not JSON, or JSON that is no JSON-RPC message, is answered with a
//! protocol error (`id` null when none can be read) and reading goes on with the next frame;
//! only the end of the input (or an I/O error) ends it.

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message};
use std::io::{BufRead, Write};

/// What the writer thread writes.
pub enum Out {
    Msg(Message),
    /// An error response built by hand: JSON-RPC's parse errors have a null `id`, which
    /// `lsp_server::RequestId` cannot hold.
    Raw(serde_json::Value),
    /// Everything before it is written: the writer ends (the reader may hold a sender while it
    /// waits for input that never comes).
    Stop,
}

impl From<Message> for Out {
    fn from(m: Message) -> Out {
        Out::Msg(m)
    }
}

pub struct Io {
    reader: std::thread::JoinHandle<()>,
    writer: std::thread::JoinHandle<()>,
}

impl Io {
    /// Waits for the writer to write what it was given before [`Out::Stop`]. The reader is left
    /// to end with the input (or the process).
    pub fn join(self) {
        let _ = self.writer.join();
        drop(self.reader);
    }
}

/// The largest message read: a whole-file change of a very large file fits.
const MAX_FRAME: usize = 256 * 1024 * 1024;

pub fn stdio() -> (Sender<Out>, Receiver<Message>, Io) {
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Out>();
    let (in_tx, in_rx) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut w = stdout.lock();
            for out in out_rx {
                if matches!(out, Out::Stop) || write(&mut w, &out).is_err() {
                    break;
                }
            }
        })
        .expect("cannot start the writer thread");
    let errors = out_tx.clone();
    let reader = std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            read_loop(&mut stdin.lock(), &in_tx, &errors);
        })
        .expect("cannot start the reader thread");
    (out_tx, in_rx, Io { reader, writer })
}

fn write(w: &mut impl Write, out: &Out) -> std::io::Result<()> {
    match out {
        Out::Msg(m) => m.write(w),
        Out::Stop => Ok(()),
        Out::Raw(v) => {
            let body = serde_json::to_string(v)?;
            write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
            w.flush()
        }
    }
}

/// A JSON-RPC error response, `id` as read (null when unknown).
pub fn error_response(id: serde_json::Value, code: i32, message: String) -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
}

enum Frame {
    Body(Vec<u8>),
    /// The header was unusable; what was wrong.
    BadHeader(String),
    End,
}

pub fn read_loop(r: &mut impl BufRead, messages: &Sender<Message>, errors: &Sender<Out>) {
    loop {
        let body = match read_frame(r) {
            Ok(Frame::Body(b)) => b,
            Ok(Frame::BadHeader(why)) => {
                let e = error_response(
                    serde_json::Value::Null,
                    ErrorCode::ParseError as i32,
                    format!("malformed header: {why}"),
                );
                let _ = errors.send(Out::Raw(e));
                continue;
            }
            Ok(Frame::End) | Err(_) => return,
        };
        match parse(&body) {
            Ok(m) => {
                if messages.send(m).is_err() {
                    return;
                }
            }
            Err(e) => {
                if errors.send(Out::Raw(e)).is_err() {
                    return;
                }
            }
        }
    }
}

/// One message from its body, or the error response to send for it.
fn parse(body: &[u8]) -> Result<Message, serde_json::Value> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        error_response(
            serde_json::Value::Null,
            ErrorCode::ParseError as i32,
            format!("not JSON: {e}"),
        )
    })?;
    // A request's id, when it has a usable one, so the error answers it.
    let id = value
        .get("id")
        .filter(|id| id.is_string() || id.is_i64())
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let invalid = |why: String| error_response(id.clone(), ErrorCode::InvalidRequest as i32, why);
    let Some(obj) = value.as_object() else {
        return Err(invalid("a message must be a JSON object".into()));
    };
    match obj.get("method") {
        Some(serde_json::Value::String(_)) => {}
        Some(_) => return Err(invalid("`method` must be a string".into())),
        // A response: it needs an id.
        None if obj.contains_key("id") => {}
        None => {
            return Err(invalid(
                "neither a request, a notification nor a response".into(),
            ));
        }
    }
    if let Some(id) = obj.get("id")
        && !(id.is_string() || id.is_i64() || id.is_null())
    {
        return Err(invalid("`id` must be an integer or a string".into()));
    }
    serde_json::from_value::<Message>(value.clone())
        .map_err(|e| invalid(format!("not a JSON-RPC message: {e}")))
}

fn read_frame(r: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut line = String::new();
    let mut any = false;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(Frame::End);
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !any {
                // Blank lines between messages.
                continue;
            }
            break;
        }
        any = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_FRAME => length = Some(n),
                    Ok(n) => bad = Some(format!("Content-Length {n} is over {MAX_FRAME}")),
                    Err(_) => bad = Some(format!("Content-Length {:?}", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("not a header line: {text:?}")),
        }
    }
    if let Some(why) = bad {
        return Ok(Frame::BadHeader(why));
    }
    let Some(n) = length else {
        return Ok(Frame::BadHeader("no Content-Length".into()));
    };
    let mut body = vec![0; n];
    r.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> (Vec<Message>, Vec<serde_json::Value>) {
        let (mtx, mrx) = crossbeam_channel::unbounded();
        let (etx, erx) = crossbeam_channel::unbounded();
        read_loop(&mut input.as_bytes(), &mtx, &etx);
        drop((mtx, etx));
        let errors = erx
            .into_iter()
            .map(|o| match o {
                Out::Raw(v) => v,
                Out::Msg(_) | Out::Stop => panic!("a message"),
            })
            .collect();
        (mrx.into_iter().collect(), errors)
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_frames_are_answered_and_reading_goes_on() {
        let input = [
            frame("{not json"),
            frame("[1,2]"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            frame(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#),
            "X-Nothing: 1\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
        ]
        .concat();
        let (messages, errors) = frames(&input);
        assert_eq!(messages.len(), 1);
        let codes: Vec<i64> = errors
            .iter()
            .map(|e| e["error"]["code"].as_i64().unwrap())
            .collect();
        assert_eq!(codes, [-32700, -32600, -32600, -32600, -32700]);
        assert_eq!(errors[2]["id"], 7);
        assert!(errors[0]["id"].is_null());
    }
}
