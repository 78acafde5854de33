//! The types of the `Cargo.toml` values scalelint reads. The manifest itself is read leniently
//! (a value of the wrong type is skipped); this check says which value was skipped and where, so a
//! `name = 5` or `members = "x"` is reported instead of silently losing what depends on it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use crate::workspace::ManifestError;

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Shape {
    package: Option<Package>,
    #[serde(default)]
    dependencies: BTreeMap<String, Dep>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Dep>,
    #[serde(default)]
    build_dependencies: BTreeMap<String, Dep>,
    #[serde(default)]
    target: BTreeMap<String, Target>,
    #[serde(default)]
    bin: Vec<Bin>,
    workspace: Option<Workspace>,
}

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Package {
    name: Option<String>,
}

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(default)]
    dependencies: BTreeMap<String, Dep>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Dep>,
    #[serde(default)]
    build_dependencies: BTreeMap<String, Dep>,
}

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Bin {
    name: Option<String>,
    path: Option<String>,
}

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Workspace {
    members: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    #[serde(default)]
    dependencies: BTreeMap<String, Dep>,
}

// Fields are declared to be type-checked, never read.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DepTable {
    package: Option<String>,
    features: Option<Vec<String>>,
    default_features: Option<bool>,
    optional: Option<bool>,
    workspace: Option<bool>,
}

/// A dependency: a version requirement or a table.
struct Dep;

impl<'de> Deserialize<'de> for Dep {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Dep, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dep;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a version requirement string or a dependency table")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Dep, E> {
                Ok(Dep)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Dep, A::Error> {
                DepTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Dep)
            }
        }
        d.deserialize_any(V)
    }
}

/// The first value of a type scalelint cannot use, with its span, or `None`.
pub fn type_error(text: &str) -> Option<ManifestError> {
    let e = toml::from_str::<Shape>(text).err()?;
    Some(ManifestError {
        message: format!(
            "a value in the manifest has a type scalelint cannot use: {}",
            e.message().trim()
        ),
        span: e.span(),
        assumed: "the value was skipped and the rest of the manifest read: a dependency, \
                  member, binary or name it gives is unknown, so findings that depend on it \
                  may be missing"
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::type_error;

    #[test]
    fn wrong_types_are_found_with_their_place() {
        for (text, needle) in [
            ("[package]\nname = 5\n", "5"),
            ("[dependencies]\naxum = 7\n", "7"),
            ("[workspace]\nmembers = \"x\"\n", "\"x\""),
            (
                "[dependencies]\naxum = { features = \"json\" }\n",
                "\"json\"",
            ),
            ("[[bin]]\nname = [1]\n", "[1]"),
        ] {
            let e = type_error(text).unwrap_or_else(|| panic!("{text}"));
            let span = e.span.unwrap();
            assert!(text[span].contains(needle), "{text}: {}", e.message);
        }
        for ok in [
            "[package]\nname = \"x\"\nversion.workspace = true\n[dependencies]\naxum = \"0.7\"\ntokio = { version = \"1\", features = [\"full\"] }\n",
            "[workspace]\nmembers = [\"a\"]\n[workspace.dependencies]\nsqlx = { version = \"0.8\", default-features = false }\n",
        ] {
            assert!(type_error(ok).is_none(), "{ok}");
        }
    }
}
