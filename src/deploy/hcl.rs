//! The block structure of an HCL file (Nomad job files, Terraform), enough to read literal
//! counts with their lines: `type "label" … { … }` blocks and `key = value` attributes, the value
//! kept as written. Comments (`#`, `//`, `/* */`), strings and heredocs (`<<EOT`, `<<-EOT`) are
//! stepped over so a brace inside them does not open a block. Expressions are not evaluated: a
//! count written as `var.count` or `${…}` is not a literal and reads as nothing.

/// A block: `group "api" { … }` has `ty` `group` and labels `["api"]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    pub ty: String,
    pub labels: Vec<String>,
    pub line: usize,
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

/// `key = value`, the value as written (a list, an object or an expression included).
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub key: String,
    pub raw: String,
    pub line: usize,
}

impl Attr {
    /// A whole number written literally (`3`, `"3"`).
    pub fn u64(&self) -> Option<u64> {
        self.raw.trim().trim_matches('"').parse().ok()
    }

    /// A string literal without interpolation.
    pub fn str(&self) -> Option<&str> {
        let s = self.raw.trim().strip_prefix('"')?.strip_suffix('"')?;
        (!s.contains("${") && !s.contains('"')).then_some(s)
    }

    /// The string literals in the value, in order (`["serve", "--port", "80"]`).
    pub fn strings(&self) -> Vec<String> {
        strings_in(&self.raw)
    }
}

/// The string literals in a piece of HCL text, interpolations left out.
pub fn strings_in(raw: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = raw;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let s = &after[..end];
        if !s.contains("${") {
            out.push(s.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

impl Block {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.key == key)
    }

    pub fn children<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.ty == ty)
    }

    pub fn child(&self, ty: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.ty == ty)
    }

    /// Every block below this one, depth first.
    pub fn descendants(&self) -> Vec<&Block> {
        let mut out = vec![];
        for b in &self.blocks {
            out.push(b);
            out.extend(b.descendants());
        }
        out
    }
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn starts(&self, p: &str) -> bool {
        self.s[self.i..].starts_with(p.as_bytes())
    }

    /// Steps over blanks and comments; stops at a newline when `newlines` is false.
    fn skip(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            if c == b'#' || self.starts("//") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.bump();
                }
            } else if self.starts("/*") {
                while self.peek().is_some() && !self.starts("*/") {
                    self.bump();
                }
                self.bump();
                self.bump();
            } else if c == b' ' || c == b'\t' || c == b'\r' || (newlines && c == b'\n') {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn string(&mut self) -> String {
        let start = self.i;
        self.bump();
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            if c == b'\\' {
                self.bump();
                self.bump();
                continue;
            }
            if self.starts("${") {
                depth += 1;
            } else if c == b'}' && depth > 0 {
                depth -= 1;
            } else if c == b'"' && depth == 0 {
                self.bump();
                break;
            } else if c == b'\n' {
                break;
            }
            self.bump();
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// `<<EOT` … `EOT` (or `<<-EOT`, its closing line indented).
    fn heredoc(&mut self) {
        self.bump();
        self.bump();
        if self.peek() == Some(b'-') {
            self.bump();
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.bump();
        }
        let tag = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if tag.is_empty() {
            return;
        }
        loop {
            while self.peek().is_some_and(|c| c != b'\n') {
                self.bump();
            }
            if self.bump().is_none() {
                return;
            }
            let ls = self.i;
            while self.peek().is_some_and(|c| c != b'\n') {
                self.bump();
            }
            let l = String::from_utf8_lossy(&self.s[ls..self.i]);
            if l.trim() == tag {
                return;
            }
            self.i = ls;
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        {
            self.bump();
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// An attribute's value: up to the end of its line, brackets and braces balanced.
    fn value(&mut self) -> String {
        let start = self.i;
        // Where the value ends, comments after it left out.
        let mut end = self.i;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.string();
                    end = self.i;
                    continue;
                }
                b'<' if self.starts("<<") => {
                    self.heredoc();
                    end = self.i;
                    continue;
                }
                b'#' => {
                    self.skip(false);
                    continue;
                }
                b'/' if self.starts("//") || self.starts("/*") => {
                    self.skip(false);
                    continue;
                }
                b'[' | b'{' | b'(' => depth += 1,
                b']' | b')' => depth = depth.saturating_sub(1),
                b'}' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                b'\n' if depth == 0 => break,
                _ => {}
            }
            self.bump();
            end = self.i;
        }
        String::from_utf8_lossy(&self.s[start..end])
            .trim()
            .to_string()
    }

    /// The body of a block (or the file), up to its closing brace.
    fn body(&mut self, into: &mut Block, depth: usize) {
        loop {
            self.skip(true);
            let Some(c) = self.peek() else { return };
            if c == b'}' {
                self.bump();
                return;
            }
            let line = self.line;
            if !(c.is_ascii_alphabetic() || c == b'_') {
                // Something this reader does not know: step over the line.
                self.value();
                if self.peek() == Some(b'}') && depth == 0 {
                    self.bump();
                }
                continue;
            }
            let key = self.ident();
            self.skip(false);
            match self.peek() {
                Some(b'=') | Some(b':') => {
                    self.bump();
                    self.skip(false);
                    let raw = self.value();
                    into.attrs.push(Attr { key, raw, line });
                }
                _ => {
                    let mut labels = vec![];
                    loop {
                        self.skip(false);
                        match self.peek() {
                            Some(b'"') => {
                                let s = self.string();
                                labels.push(s.trim_matches('"').to_string());
                            }
                            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                                labels.push(self.ident());
                            }
                            _ => break,
                        }
                    }
                    if self.peek() == Some(b'{') {
                        self.bump();
                        let mut b = Block {
                            ty: key,
                            labels,
                            line,
                            ..Block::default()
                        };
                        if depth < 64 {
                            self.body(&mut b, depth + 1);
                        } else {
                            self.value();
                        }
                        into.blocks.push(b);
                    } else {
                        self.value();
                    }
                }
            }
        }
    }
}

/// The file as one block holding its top-level blocks and attributes.
pub fn parse(text: &str) -> Block {
    let mut s = Scanner {
        s: text.as_bytes(),
        i: 0,
        line: 1,
    };
    let mut root = Block::default();
    while s.peek().is_some() {
        s.body(&mut root, 0);
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_attributes_and_lines() {
        let text = r#"# a job
job "orders" {
  group "api" {
    count = 3 // three
    task "web" {
      config {
        command = "/usr/local/bin/orders-api"
        args    = ["serve", "--port", "${NOMAD_PORT_http}"]
      }
      template {
        data = <<EOH
{{ with secret "x" }} { not a block
EOH
      }
    }
  }
}
"#;
        let root = parse(text);
        let job = root.child("job").unwrap();
        assert_eq!(job.labels, ["orders"]);
        let group = job.child("group").unwrap();
        assert_eq!(group.line, 3);
        let count = group.attr("count").unwrap();
        assert_eq!((count.u64(), count.line), (Some(3), 4));
        let task = group.child("task").unwrap();
        let config = task.child("config").unwrap();
        assert_eq!(
            config.attr("command").unwrap().str(),
            Some("/usr/local/bin/orders-api")
        );
        assert_eq!(config.attr("args").unwrap().strings(), ["serve", "--port"]);
        assert!(task.child("template").is_some());
        assert_eq!(group.blocks.len(), 1);
    }

    #[test]
    fn expressions_are_not_literals() {
        let root = parse(
            "resource \"aws_ecs_service\" \"api\" {\n  desired_count = var.count\n  x = \"${var.n}\"\n}\n",
        );
        let r = root.child("resource").unwrap();
        assert_eq!(r.labels, ["aws_ecs_service", "api"]);
        assert_eq!(r.attr("desired_count").unwrap().u64(), None);
        assert_eq!(r.attr("x").unwrap().str(), None);
    }
}
