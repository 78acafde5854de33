//! What a deploy file's content says about being a development setup, beside its name and
//! folder (`project::ships`): a compose file that builds the service's image from the checkout
//! (`build: { context: ../ }` with no `image:` to publish it) runs whatever the working tree
//! holds, for a developer's machine. A released deployment pulls a published image; a compose
//! file that builds and names its image (`build: .` with `image: org/app`) makes what ships.

use super::yaml;
use crate::project::Extra;
use crate::workspace::ExtraKind;

/// Whether `extra` is a compose file whose services that build from the checkout name no image,
/// and at least one does.
pub fn builds_from_checkout(extra: &Extra) -> bool {
    if extra.kind != ExtraKind::Yaml || !extra.text.contains("build") {
        return false;
    }
    let Some(docs) = yaml::parse(&extra.text) else {
        return false;
    };
    let mut local_builds = 0;
    for d in &docs {
        let Some(services) = d.get("services") else {
            continue;
        };
        for (_, svc) in services.entries() {
            let Some(build) = svc.get("build") else {
                continue;
            };
            if !from_checkout(build) {
                continue;
            }
            if svc.get("image").is_some() {
                // Built and tagged under a name: what the project publishes.
                return false;
            }
            local_builds += 1;
        }
    }
    local_builds > 0
}

/// A build context inside the repository: a relative path (`.`, `../`, `./server`), not a Git
/// URL or an absolute path elsewhere.
fn from_checkout(build: &yaml::Node) -> bool {
    let context = match build.str() {
        Some(s) => s,
        None => build
            .get("context")
            .and_then(yaml::Node::str)
            .unwrap_or("."),
    };
    let context = context.trim();
    !context.contains("://") && !context.starts_with('/') && !context.starts_with("git@")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra(text: &str) -> Extra {
        Extra {
            id: 0,
            path: "docker/docker-compose.yml".into(),
            kind: ExtraKind::Yaml,
            reported: true,
            text: text.to_string(),
        }
    }

    #[test]
    fn a_service_built_from_the_checkout_is_development() {
        let t = "services:\n  app:\n    build:\n      context: ../\n      dockerfile: docker/Dockerfile\n  db:\n    image: postgres:16\n";
        assert!(builds_from_checkout(&extra(t)));
        assert!(builds_from_checkout(&extra(
            "services:\n  app:\n    build: .\n"
        )));
    }

    #[test]
    fn a_published_or_pulled_image_ships() {
        let named = "services:\n  app:\n    build: .\n    image: org/app\n";
        assert!(!builds_from_checkout(&extra(named)));
        let pulled = "services:\n  app:\n    image: org/app:1.2\n";
        assert!(!builds_from_checkout(&extra(pulled)));
        let remote = "services:\n  app:\n    build: https://github.com/org/app.git\n";
        assert!(!builds_from_checkout(&extra(remote)));
    }
}
