//! Maps that live in one process's memory, found where the syntax shows them: a struct field or
//! a `static` whose written type is a map (`DashMap<String, Pending>`, `Mutex<HashMap<..>>`, a
//! moka `Cache`), reached from a method call through locks and guards
//! (`state.pending.lock().await.insert(..)`). What the `state` rules of login flows, queues and
//! caches share.

use crate::facts::{FileFacts, RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

/// Map and set types of std and common crates: what they hold is in this process only.
const MAP_TYPES: &[&str] = &[
    "HashMap", "DashMap", "BTreeMap", "HashSet", "BTreeSet", "DashSet", "LruCache", "IndexMap",
    "IndexSet",
];

/// In-process caches named `Cache` (moka, mini-moka, quick_cache): a map only when the crate
/// depends on one of them.
const CACHE_CRATES: &[&str] = &["moka", "mini_moka", "quick_cache"];

/// Methods between a map's handle and the call on it: locks, guards, borrows and clones.
const THROUGH: &[&str] = &[
    "lock",
    "read",
    "write",
    "unwrap",
    "expect",
    "borrow_mut",
    "borrow",
    "as_ref",
    "as_mut",
    "clone",
    "blocking_lock",
    "blocking_write",
    "blocking_read",
    "try_lock",
    "try_write",
    "lock_owned",
    "write_owned",
    "deref",
    "get_ref",
];

/// What a method call's receiver reaches.
#[derive(Clone, Debug, PartialEq)]
pub enum Holder {
    /// `self.pending`, `state.pending`: a field, by name.
    Field(String),
    /// `PENDING`: a `static` (or `const`) of the workspace, by name.
    Static(String),
}

impl Holder {
    pub fn name(&self) -> &str {
        match self {
            Holder::Field(n) | Holder::Static(n) => n,
        }
    }
}

/// A process map found for a holder: its type word and where it is declared.
pub struct MapDecl<'a> {
    /// `DashMap`, `HashMap`, `Cache`.
    pub ty: &'static str,
    /// The struct that has the field (empty for a static).
    pub owner: String,
    pub unit: &'a Unit,
    pub span: Span,
}

/// The map type word a written type names, if it names one (`Arc<Mutex<HashMap<K, V>>>`).
pub fn map_type(project: &Project, unit: &Unit, ty: &str) -> Option<&'static str> {
    let words: Vec<&str> = ty
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(t) = MAP_TYPES.iter().find(|t| words.contains(t)) {
        return Some(t);
    }
    let caches: Vec<String> = CACHE_CRATES.iter().map(|c| c.to_string()).collect();
    (words.contains(&"Cache") && project.uses_any(unit, &caches)).then_some("Cache")
}

/// The field or static `recv` reaches, through locks, guards and local bindings.
pub fn holder(facts: &FileFacts, region: RegionId, recv: &Val) -> Option<Holder> {
    holder_at(facts, region, recv, 0)
}

fn holder_at(facts: &FileFacts, region: RegionId, recv: &Val, depth: usize) -> Option<Holder> {
    if depth > 4 {
        return None;
    }
    match recv {
        Val::Method { recv, name, .. } if THROUGH.contains(&name.as_str()) => {
            holder_at(facts, region, recv, depth + 1)
        }
        Val::Field { name, .. } => Some(Holder::Field(name.clone())),
        Val::Path { path, .. } if path.len() == 1 => {
            let name = &path[0];
            if let Some(l) = facts.binding(name, region) {
                return holder_at(facts, l.region, &l.init, depth + 1);
            }
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| Holder::Static(name.clone()))
        }
        _ => None,
    }
}

/// Where the holder is declared as a process map: a struct field of the workspace whose written
/// type is a map (every field of that name must be one, or the name is ambiguous), or a static
/// whose initializer builds one.
pub fn declared_map<'a>(project: &'a Project, holder: &Holder) -> Option<MapDecl<'a>> {
    match holder {
        Holder::Field(name) => {
            let mut found: Option<MapDecl<'a>> = None;
            for unit in &project.units {
                for s in &unit.facts.structs {
                    for f in s.fields.iter().filter(|f| &f.name == name) {
                        let ty = map_type(project, unit, &f.ty)?;
                        if found.is_none() {
                            found = Some(MapDecl {
                                ty,
                                owner: s.name.clone(),
                                unit,
                                span: f.span,
                            });
                        }
                    }
                }
            }
            found
        }
        Holder::Static(name) => project.units.iter().find_map(|unit| {
            let c = unit.facts.consts.iter().find(|c| &c.name == name)?;
            let mut ty = None;
            // The initializer, and the calls inside it (a `Lazy::new(|| ..)` closure's body).
            let mut bodies = vec![];
            c.value.walk(&mut |v| {
                if let Val::Body { region, .. } = v {
                    bodies.push(*region);
                }
            });
            let inside = bodies
                .into_iter()
                .flat_map(|r| unit.facts.calls_within(r))
                .map(|call| &call.val);
            std::iter::once(&c.value).chain(inside).for_each(|val| {
                val.walk(&mut |v| {
                    if ty.is_none()
                        && let Some(path) = v.call_path()
                        && path.len() >= 2
                        && let Some(t) = MAP_TYPES.iter().find(|t| path[path.len() - 2] == **t)
                    {
                        ty = Some(*t);
                    }
                })
            });
            Some(MapDecl {
                ty: ty?,
                owner: String::new(),
                unit,
                span: c.span,
            })
        }),
    }
}

/// Methods that add to or overwrite a map's entries.
pub const WRITES: &[&str] = &[
    "insert",
    "entry",
    "try_insert",
    "get_with",
    "get_or_insert_with",
    "insert_with",
];

/// A write into a process map: `pending.insert(..)`, its holder and the receiver's span.
pub struct MapWrite<'a> {
    pub method: &'a str,
    pub holder: Holder,
    pub span: Span,
    pub region: RegionId,
}

/// Every call of one of `methods` in the unit whose receiver reaches a field or static.
pub fn writes<'a>(unit: &'a Unit, methods: &[&str]) -> Vec<MapWrite<'a>> {
    let facts = &unit.facts;
    let mut out = vec![];
    for call in &facts.calls {
        call.val.walk(&mut |v| {
            if let Val::Method {
                recv, name, span, ..
            } = v
                && methods.contains(&name.as_str())
                && let Some(h) = holder(facts, call.region, recv)
            {
                out.push(MapWrite {
                    method: name,
                    holder: h,
                    span: *span,
                    region: call.region,
                });
            }
        });
    }
    out
}

/// Extractor types that make an async function a request handler (axum, actix-web, rocket,
/// poem, salvo): `State<AppState>`, `web::Data<Pool>`, `Json<Body>`, `Multipart`.
const EXTRACTORS: &[&str] = &[
    "State",
    "Data",
    "Json",
    "Query",
    "Form",
    "Extension",
    "Multipart",
    "MultipartForm",
    "HttpRequest",
    "ReqData",
    "Depot",
    "TypedHeader",
    "Session",
    "Identity",
    "WebSocketUpgrade",
    "TempFile",
];

/// Route attributes of actix-web, rocket, poem and salvo handlers.
const ROUTE_ATTRS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "route", "handler", "endpoint",
];

/// Whether a function is a request handler, as its signature shows: a route attribute, or an
/// async function taking a framework extractor.
pub fn request_handler(f: &crate::facts::FnFact) -> bool {
    if f.attrs.iter().any(|a| {
        a.path
            .last()
            .is_some_and(|l| ROUTE_ATTRS.contains(&l.as_str()))
    }) {
        return true;
    }
    f.params.iter().any(|p| {
        p.ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| EXTRACTORS.contains(&w))
    })
}
