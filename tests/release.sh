#!/usr/bin/env bash
# The release configuration cannot rot: `dist` (cargo-dist, pinned; from PyPI, where it ships as
# a binary wheel) plans the release from dist-workspace.toml and Cargo.toml, checks that
# .github/workflows/release.yml is what `dist generate` writes from them, and the plan's
# archives are the names the action and `[package.metadata.binstall]` download.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dist_version=0.33.0
if ! dist --version 2>/dev/null | grep -qx "cargo-dist $dist_version"; then
    python3 -m pip install --quiet "astral-dev-toolchain-cargo-dist==$dist_version" ||
        python3 -m pip install --quiet --break-system-packages \
            "astral-dev-toolchain-cargo-dist==$dist_version"
fi
dist --version
cd "$repo"
grep -qx "cargo-dist-version = \"$dist_version\"" dist-workspace.toml ||
    { echo "release.sh: dist-workspace.toml pins another dist than $dist_version" >&2; exit 1; }
dist generate --check
dist plan --output-format=json >"${TMPDIR:-/tmp}/scalelint-dist-plan.json"
python3 - "${TMPDIR:-/tmp}/scalelint-dist-plan.json" <<'PY'
import json, sys, tomllib

plan = json.load(open(sys.argv[1]))
manifest = tomllib.load(open("Cargo.toml", "rb"))
package = manifest["package"]
version = package["version"]
assert plan["announcement_tag"] == f"v{version}", plan["announcement_tag"]
assert package.get("rust-version"), "Cargo.toml has no rust-version"
assert package["repository"].startswith("https://github.com/"), package["repository"]
artifacts = plan["artifacts"]

# Every platform the issue and the action name has an archive with both binaries and a checksum.
targets = {
    "x86_64-unknown-linux-musl": "tar.xz",
    "aarch64-unknown-linux-musl": "tar.xz",
    "x86_64-apple-darwin": "tar.xz",
    "aarch64-apple-darwin": "tar.xz",
    "x86_64-pc-windows-msvc": "zip",
}
binstall = package["metadata"]["binstall"]
for target, ext in targets.items():
    name = f"scalelint-{target}.{ext}"
    assert name in artifacts, f"no {name} in the plan"
    a = artifacts[name]
    exe = ".exe" if "windows" in target else ""
    bins = {x["name"] for x in a["assets"] if x["kind"] == "executable"}
    assert bins == {"scalelint", "cargo-scalelint"}, bins
    assert a["checksum"] == name + ".sha256", a
    # What cargo-binstall would fetch for this target, from [package.metadata.binstall].
    fmt = binstall.get("overrides", {}).get(target, {}).get("pkg-fmt", binstall["pkg-fmt"])
    suffix = {"txz": ".tar.xz", "zip": ".zip", "tgz": ".tar.gz"}[fmt]
    url = (binstall["pkg-url"].replace("{ repo }", package["repository"])
           .replace("{ version }", version).replace("{ name }", "scalelint")
           .replace("{ target }", target).replace("{ archive-suffix }", suffix))
    assert url == f"{package['repository']}/releases/download/v{version}/{name}", url
    bin_dir = (binstall["bin-dir"].replace("{ name }", "scalelint").replace("{ target }", target)
               .replace("{ bin }", "scalelint").replace("{ binary-ext }", exe))
    assert bin_dir == f"scalelint-{target}/scalelint{exe}", bin_dir
for installer in ["scalelint-installer.sh", "scalelint-installer.ps1"]:
    assert installer in artifacts, installer
print(f"release.sh: dist plans v{version}: {len(targets)} archives with checksums, 2 installers; "
      "binstall metadata matches")
PY
# The action maps each runner to the same archive names.
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin \
    aarch64-apple-darwin x86_64-pc-windows-msvc; do
    grep -q "target=$target" action.yml || { echo "release.sh: action.yml lacks $target" >&2; exit 1; }
done
echo "release.sh: ok"
