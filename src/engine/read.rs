//! Reading a file as text: the stdin and overlay texts first, then regular files of bounded
//! size only (a FIFO or device is refused unread).

use super::Options;
use crate::workspace;
use std::path::Path;

impl Options {
    /// The text given for `path` in place of the file (stdin, an unsaved buffer), if any.
    pub(super) fn given_text(&self, path: &Path) -> Option<std::sync::Arc<str>> {
        match &self.stdin {
            Some((p, text)) if p == path => Some(text.as_str().into()),
            _ => self.overlay.get(path).map(|t| t.as_str().into()),
        }
    }
}

pub(super) fn read_text(path: &Path, opts: &Options, max: u64) -> Result<String, String> {
    if let Some((p, text)) = &opts.stdin
        && p == path
    {
        return Ok(text.clone());
    }
    if let Some(text) = opts.overlay.get(path) {
        return Ok(text.clone());
    }
    let bytes = read_regular(path, max)?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at offset {}); the file was not checked",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads a regular file (links followed) of at most `max` bytes. A FIFO, socket or device named
/// like a source file is refused without being read: opening a FIFO would wait for a writer, and
/// `/dev/zero` never ends. No more than `max + 1` bytes are ever read, even from a file that grows.
pub(super) fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read: {}", workspace::io_reason(&e));
    // Checked before opening (opening some devices has effects) and again on the open handle
    // (the path may have been replaced in between).
    special_file(&std::fs::metadata(path).map_err(cannot)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    special_file(&meta)?;
    let too_large = |size: &str| {
        format!(
            "too large: {size} bytes, over the {max}-byte limit (`max-file-size` in \
             scalelint.toml); the file was not checked"
        )
    };
    if meta.len() > max {
        return Err(too_large(&meta.len().to_string()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(too_large(&format!("more than {max}")));
    }
    Ok(bytes)
}

pub(super) fn special_file(meta: &std::fs::Metadata) -> Result<(), String> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        special_kind(meta)
    };
    Err(format!("not a regular file ({what}); it was not read"))
}

#[cfg(unix)]
pub(super) fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
pub(super) fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "a special file"
}
