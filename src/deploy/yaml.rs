//! YAML documents as a small tree that keeps each node's line, read with `saphyr` (the maintained
//! successor of yaml-rust, whose `MarkedYaml` carries positions). Aliases are resolved by the
//! loader; merge keys (`<<: *defaults`) are applied here, the document's own keys winning.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// One node: its 1-based line and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar as written (numbers and booleans as their text; null as the empty string).
    Scalar(String),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number written as a scalar (`3`, `"3"`).
    pub fn u64(&self) -> Option<u64> {
        self.str()?.trim().parse().ok()
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    /// A scalar, or a sequence of scalars, as strings (`command: a b` or `command: [a, b]`).
    pub fn words(&self) -> Vec<String> {
        match &self.kind {
            Kind::Scalar(s) => s.split_whitespace().map(str::to_string).collect(),
            Kind::Seq(items) => items
                .iter()
                .filter_map(|i| i.str().map(str::to_string))
                .collect(),
            Kind::Map(_) => vec![],
        }
    }
}

/// The documents of a YAML stream, or `None` when it does not parse (a Helm template with
/// `{{ }}` directives, say).
pub fn parse(text: &str) -> Option<Vec<Node>> {
    let docs = MarkedYaml::load_from_str(text).ok()?;
    Some(docs.iter().map(|d| convert(d, 0)).collect())
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Null => String::new(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

fn convert(y: &MarkedYaml, depth: usize) -> Node {
    let line = y.span.start.line();
    let kind = if depth > 64 {
        Kind::Scalar(String::new())
    } else {
        match &y.data {
            YamlData::Value(s) => Kind::Scalar(scalar_text(s)),
            YamlData::Representation(s, _, _) => Kind::Scalar(s.to_string()),
            YamlData::Sequence(items) => {
                Kind::Seq(items.iter().map(|i| convert(i, depth + 1)).collect())
            }
            YamlData::Mapping(map) => {
                let mut own: Vec<(String, Node)> = vec![];
                let mut merged: Vec<(String, Node)> = vec![];
                for (k, v) in map {
                    let key = match &k.data {
                        YamlData::Value(s) => scalar_text(s),
                        YamlData::Representation(s, _, _) => s.to_string(),
                        _ => continue,
                    };
                    let value = convert(v, depth + 1);
                    if key == "<<" {
                        // `<<: *a` or `<<: [*a, *b]` (the first listed wins).
                        let sources: Vec<&Node> = match &value.kind {
                            Kind::Seq(items) => items.iter().collect(),
                            _ => vec![&value],
                        };
                        for s in sources {
                            for (mk, mv) in s.entries() {
                                if !merged.iter().any(|(k, _)| k == mk) {
                                    merged.push((mk.clone(), mv.clone()));
                                }
                            }
                        }
                    } else {
                        own.push((key, value));
                    }
                }
                for (k, v) in merged {
                    if !own.iter().any(|(o, _)| *o == k) {
                        own.push((k, v));
                    }
                }
                Kind::Map(own)
            }
            YamlData::Tagged(_, inner) => return convert(inner, depth + 1),
            YamlData::Alias(_) | YamlData::BadValue => Kind::Scalar(String::new()),
        }
    };
    Node { line, kind }
}

/// Compose's variable substitution: `${VAR:-default}` and `${VAR-default}` take the default
/// (or the value `env` gives), `${VAR}` and `$VAR` the value `env` gives; `$$` is a dollar.
/// `None` when a variable has neither a value nor a default.
pub fn substitute(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('$') {
            out.push('$');
            rest = a;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            let expr = &inner[..end];
            let (name, default, empty_too) = if let Some(p) = expr.find(":-") {
                (&expr[..p], Some(&expr[p + 2..]), true)
            } else if let Some(p) = expr.find('-') {
                (&expr[..p], Some(&expr[p + 1..]), false)
            } else if let Some(p) = expr.find(":?").or_else(|| expr.find('?')) {
                (&expr[..p], None, false)
            } else {
                (expr, None, false)
            };
            let value = env(name).filter(|v| !(empty_too && v.is_empty()));
            out.push_str(&value.or_else(|| default.map(str::to_string))?);
            rest = &inner[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&env(&after[..len])?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_merge_keys_and_aliases() {
        let docs = parse(
            "x-app: &app\n  image: svc:1\n  command: serve\nservices:\n  blue:\n    <<: *app\n  green:\n    <<: *app\n    command: [serve, --port, \"2\"]\n",
        )
        .unwrap();
        let services = docs[0].get("services").unwrap();
        assert_eq!(services.line, 5);
        let green = services.get("green").unwrap();
        assert_eq!(green.get("image").unwrap().str(), Some("svc:1"));
        assert_eq!(
            green.get("command").unwrap().words(),
            ["serve", "--port", "2"]
        );
        assert_eq!(
            services.get("blue").unwrap().get("command").unwrap().str(),
            Some("serve")
        );
        // A Helm template: a directive line does not parse; a templated value gives no number.
        assert!(parse("spec:\n  {{- if .Values.x }}\n  replicas: 2\n").is_none());
        let t = parse("replicas: {{ .Values.replicaCount }}\n").unwrap_or_default();
        assert!(
            t.first()
                .and_then(|d| d.get("replicas"))
                .and_then(Node::u64)
                .is_none()
        );
    }

    #[test]
    fn compose_substitution() {
        let env = |n: &str| (n == "SET").then(|| "7".to_string());
        assert_eq!(substitute("${N:-3}", &env).as_deref(), Some("3"));
        assert_eq!(substitute("${N-3}", &env).as_deref(), Some("3"));
        assert_eq!(substitute("${SET:-3}", &env).as_deref(), Some("7"));
        assert_eq!(substitute("$SET x $$", &env).as_deref(), Some("7 x $"));
        assert_eq!(substitute("${UNSET}", &env), None);
        assert_eq!(substitute("debug", &env).as_deref(), Some("debug"));
    }
}
