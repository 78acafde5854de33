//! The lexical pieces of Rust source that two byte scanners share: the depth estimate
//! (`depth.rs`) and the search for suppression comments (`suppress.rs`). Each function takes the
//! bytes and a position and returns the position just past what starts there; unterminated
//! literals and comments end at the end of the text. Positions only ever stop on ASCII bytes or
//! the end, so slicing the text at them is safe.

/// Past a `// ..` comment starting at `i`: at its newline (or the end).
pub fn line_comment_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

/// Past a `/* .. */` comment starting at `i`, nested comments included.
pub fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut nest = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            nest += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            nest -= 1;
            i += 2;
            if nest == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i.min(b.len())
}

/// Raw and byte strings after their prefix word (`r`, `br`, `cr`, `b`, `c`) ending at `i`:
/// `r".."`, `r#".."#`, `b".."`, `br#".."#`, `c".."`, `b'x'`. `None` when the word is an identifier.
pub fn prefixed_literal_end(b: &[u8], word: &[u8], mut i: usize) -> Option<usize> {
    if matches!(word, b"r" | b"br" | b"cr") && matches!(b.get(i), Some(b'"' | b'#')) {
        let mut hashes = 0;
        while b.get(i) == Some(&b'#') {
            hashes += 1;
            i += 1;
        }
        return (b.get(i) == Some(&b'"')).then(|| raw_string_end(b, i + 1, hashes));
    }
    if matches!(word, b"b" | b"c") && b.get(i) == Some(&b'"') {
        return Some(string_end(b, i + 1));
    }
    if word == b"b" && b.get(i) == Some(&b'\'') {
        return Some(quote_end(b, i));
    }
    None
}

pub fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
        i += 1;
    }
    i
}

/// Just past the `"` that closes a string whose body starts at `i`.
pub fn string_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

pub fn raw_string_end(b: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

/// Past a character literal (`'a'`, `'\n'`, `'é'`) or a lifetime (`'a`) starting at `i`.
pub fn quote_end(b: &[u8], i: usize) -> usize {
    let start = i + 1;
    if b.get(start) == Some(&b'\\') {
        let mut j = start + 2;
        while j < b.len() && b[j] != b'\'' && j < start + 12 {
            j += 1;
        }
        return (j + 1).min(b.len());
    }
    // One character, then `'`: a character literal.
    let mut j = start + 1;
    while j < b.len() && (b[j] & 0xC0) == 0x80 {
        j += 1;
    }
    if b.get(j) == Some(&b'\'') {
        return j + 1;
    }
    ident_end(b, start).max(start)
}
