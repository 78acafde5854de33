//! Writing a fixed file: atomically, keeping its permissions and owner, and never over a
//! change made since it was read.

use std::path::Path;

/// Replaces `path`'s contents with `text` atomically: a temporary file in the same folder,
/// written and flushed to disk, given the original's permissions, owner and group, then renamed
/// over it. A symbolic link is followed (its target is rewritten). When the file no longer holds
/// `expected` (it changed since it was read), nothing is written.
///
/// A write that lands between the last check and the rename would be lost, so the file is
/// compared again right before it; on Linux the two files are then swapped with
/// `renameat2(RENAME_EXCHANGE)` and the displaced one compared once more: when it changed, the
/// swap is undone and the user's version stays. What no tool can prevent: a program that
/// already holds the file open keeps writing to the old file after the swap.
///
/// Refused (nothing written): a file with other hard links (a new file would split them), and a
/// file whose owner or group cannot be kept.
pub fn write_atomic(path: &Path, expected: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path)?;
    let unchanged =
        |at: &Path| -> std::io::Result<bool> { Ok(std::fs::read(at)? == expected.as_bytes()) };
    if !unchanged(&target)? {
        return Err(changed());
    }
    let meta = std::fs::metadata(&target)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(std::io::Error::other(format!(
                "it has {} hard links; replacing it would split them, so it was left as it is \
                 (apply the fix with --diff and `git apply`)",
                meta.nlink()
            )));
        }
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let mut n = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.scalelint-{}-{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|_| keep_owner(&file, &meta))
        .and_then(|_| file.set_permissions(meta.permissions()))
        .and_then(|_| file.sync_all());
    drop(file);
    let replaced = written.and_then(|_| {
        if !unchanged(&target)? {
            return Err(changed());
        }
        replace(&tmp, &target, &unchanged)
    });
    if let Err(e) = replaced {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable where the platform allows syncing a folder.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn changed() -> std::io::Error {
    std::io::Error::other("the file changed while scalelint was fixing it; it was left as it is")
}

/// Gives the new file the original's owner and group (a no-op for the user's own files).
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        std::io::Error::other(format!(
            "its owner and group ({}:{}) cannot be kept ({e}), so it was left as it is",
            meta.uid(),
            meta.gid()
        ))
    })
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

/// Moves `tmp` over `target`. On Linux the two are exchanged, so the displaced file can be
/// checked: when it no longer holds what was read, it is put back (and `tmp` then holds the fix,
/// removed by the caller).
#[cfg(target_os = "linux")]
fn replace(
    tmp: &Path,
    target: &Path,
    unchanged: &dyn Fn(&Path) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c =
        |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (from, to) = (c(tmp)?, c(target)?);
    let exchange = || {
        // The raw system call, not libc's `renameat2` wrapper: the musl that Rust's static
        // Linux targets bundle has no such wrapper (the link fails with `undefined reference`).
        // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them as given.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    match exchange() {
        Ok(()) => {}
        // A file system without the exchange (or an old kernel): a plain rename.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            return std::fs::rename(tmp, target);
        }
        Err(e) => return Err(e),
    }
    // `tmp` now names the displaced original.
    if unchanged(tmp)? {
        std::fs::remove_file(tmp)?;
        return Ok(());
    }
    exchange()?;
    Err(changed())
}

#[cfg(not(target_os = "linux"))]
fn replace(
    tmp: &Path,
    target: &Path,
    _: &dyn Fn(&Path) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    std::fs::rename(tmp, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_keeps_permissions() {
        let dir = std::env::temp_dir().join(format!("scalelint-fix-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.rs");
        std::fs::write(&path, "old\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&path, "old\n", "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // A file that changed since it was read is left alone.
        assert!(write_atomic(&path, "old\n", "newer\n").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
