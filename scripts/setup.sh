#!/usr/bin/env bash
# Installs what kiln's demo and tests need, idempotently:
#  - Node 24 (from the npm package node@24) when the machine's node is older than 22.12 (or is 23)
#  - pinned render tools built with `go install` from the Go module proxy
#  - a local OCI registry binary for the tests
# Everything lands in $KILN_TOOLS_DIR (default ~/.cache/kiln-tools); a second run only checks.
set -euo pipefail

TOOLS_DIR="${KILN_TOOLS_DIR:-$HOME/.cache/kiln-tools}"
NODE_VERSION="24.21.0"
OLD_NODE_VERSION="20.20.2"
# name|module|package|version  -- bump a version here and the next setup builds it beside the old one.
# The render tools come from scripts/pinned-tools.txt (shared with `kiln tools install`); these are the
# tools only kiln's own tests use.
TOOLS=(
  "registry|github.com/google/go-containerregistry|github.com/google/go-containerregistry/cmd/registry|v0.22.1"
  "actionlint|github.com/rhysd/actionlint|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
  "act|github.com/nektos/act|github.com/nektos/act|v0.2.89"
  "conftest|github.com/open-policy-agent/conftest|github.com/open-policy-agent/conftest|v0.71.1"
  # OCI artifacts: the real flux CLI reads what kiln pushes (built from a copy of its module, see
  # build-go-tool.sh), cosign signs and verifies them
  "flux|github.com/fluxcd/flux2/v2|github.com/fluxcd/flux2/v2/cmd/flux|v2.9.5"
  "cosign|github.com/sigstore/cosign/v3|github.com/sigstore/cosign/v3/cmd/cosign|v3.1.3"
)
# Kubernetes releases whose OpenAPI v3 `kiln check` validates against: the newest patch of each minor
# the Go module proxy serves (one schema set per minor, kept compact in $TOOLS_DIR/k8s-openapi/)
K8S_OPENAPI=(v1.28.15 v1.29.15 v1.30.14 v1.31.14 v1.32.13 v1.33.13 v1.34.4 v1.35.4 v1.36.3 v1.37.2)

say() { printf 'setup: %s\n' "$*" >&2; }
mkdir -p "$TOOLS_DIR/bin"

# package.json engines: ^22.12.0 || >=24
node_ok() { "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a >= 24 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null; }

# --- Node ---------------------------------------------------------------------------------------
node_dir="$TOOLS_DIR/node-$NODE_VERSION"
# the machine's own node: PATH without our bin dir (run.sh may already have put it first)
system_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$TOOLS_DIR/bin" | paste -sd: -)"
system_node="$(PATH="$system_path" command -v node || true)"
if [ -n "$system_node" ] && node_ok "$system_node"; then
  say "node $("$system_node" --version) on PATH is new enough"
  rm -f "$TOOLS_DIR/bin/node"
else
  if [ ! -x "$node_dir/node_modules/node/bin/node" ]; then
    say "installing node@$NODE_VERSION from the npm registry (machine node is $(node --version 2>/dev/null || echo none))"
    rm -rf "$node_dir.tmp" && mkdir -p "$node_dir.tmp"
    (cd "$node_dir.tmp" && npm install --no-save --no-package-lock --loglevel=error "node@$NODE_VERSION" >/dev/null)
    rm -rf "$node_dir" && mv "$node_dir.tmp" "$node_dir"
  fi
  ln -sfn "$node_dir/node_modules/node/bin/node" "$TOOLS_DIR/bin/node"
  say "node $("$TOOLS_DIR/bin/node" --version) at $TOOLS_DIR/bin/node"
fi

# --- an old Node, for the tests only: bin/kiln.js under Node < 22 re-runs itself under the tools dir's
# Node and forwards signals (test/reliability/reexec-signals.test.ts). Never linked into bin/.
old_node_dir="$TOOLS_DIR/node-$OLD_NODE_VERSION"
if [ ! -x "$old_node_dir/node_modules/node/bin/node" ]; then
  say "installing node@$OLD_NODE_VERSION from the npm registry (the tests run bin/kiln.js under it)"
  rm -rf "$old_node_dir.tmp" && mkdir -p "$old_node_dir.tmp"
  (cd "$old_node_dir.tmp" && npm install --no-save --no-package-lock --loglevel=error "node@$OLD_NODE_VERSION" >/dev/null)
  rm -rf "$old_node_dir" && mv "$old_node_dir.tmp" "$old_node_dir"
fi
say "node $("$old_node_dir/node_modules/node/bin/node" --version) at $old_node_dir (tests only)"

# --- Go tools -----------------------------------------------------------------------------------
command -v go >/dev/null || { say "go is required to build the render tools (https://go.dev/dl)"; exit 1; }
mapfile -t RENDER_TOOLS < <(grep -v '^#' "$(dirname "${BASH_SOURCE[0]}")/pinned-tools.txt" | grep .)
for entry in "${RENDER_TOOLS[@]}" "${TOOLS[@]}"; do
  IFS='|' read -r name module pkg version <<<"$entry"
  bash "$(dirname "${BASH_SOURCE[0]}")/build-go-tool.sh" "$name" "$module" "$pkg" "$version" "$TOOLS_DIR" >/dev/null
  say "$name $version at $TOOLS_DIR/bin/$name"
done

# --- Kubernetes OpenAPI schemas (kiln check) ------------------------------------------------------
PATH="$TOOLS_DIR/bin:$PATH" node "$(dirname "${BASH_SOURCE[0]}")/k8s-openapi.mjs" "$TOOLS_DIR" "${K8S_OPENAPI[@]}"
# --- kiln's own test helpers in Go, built from source in this repo (test/tools/<name>/, pinned by
# its go.mod/go.sum), keyed by a hash of that source so an edit rebuilds it beside the old one
# shellcheck disable=SC2043 # one helper today; the loop is the place for the next
for name in k8s-yaml-json; do
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/tools/$name" && pwd)"
  sum="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -c1-12)"
  dest="$TOOLS_DIR/$name-$sum"
  if [ ! -x "$dest/$name" ]; then
    say "building $name (test/tools/$name)"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    if ! (cd "$src" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dest.tmp/$name" .) >"$TOOLS_DIR/$name.build.log" 2>&1; then
      tail -20 "$TOOLS_DIR/$name.build.log" >&2; say "building $name failed"; exit 1
    fi
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
  fi
  ln -sfn "$dest/$name" "$TOOLS_DIR/bin/$name"
done

# --- kiln's render workers (tools/render-worker*), keyed by a hash of their source like the test helpers;
# kiln finds them as $TOOLS_DIR/bin/kiln-render-worker* and runs the CLI without one: a failed build
# does not fail the setup
rw="$(bash "$(dirname "${BASH_SOURCE[0]}")/build-render-worker.sh" "$TOOLS_DIR")" || say "a render worker failed to build: kiln runs that engine's CLI instead"
while read -r status file; do
  if [ "$status" = failed ]; then say "$file: not built"; elif [ -n "$file" ]; then say "$(basename "$file") at $file"; fi
done <<<"$rw"

# --- Debian packages the tests use: chromium (report tests, driven by playwright-core; never a
# browser download), shellcheck (the GitHub action's scripts) and rsync (gitlab-ci-local). Installed only when missing, as root.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v shellcheck >/dev/null || missing+=(shellcheck)
# rsync: gitlab-ci-local (npm devDependency) copies each job's checkout with it (the pipeline tests)
command -v rsync >/dev/null || missing+=(rsync)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ]; then
  say "installing Debian's ${missing[*]}"
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >&2 || say "could not install ${missing[*]}: the tests that need them will say so"
fi

echo "$TOOLS_DIR/bin"
