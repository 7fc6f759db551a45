#!/usr/bin/env bash
# Build kiln's render worker (tools/render-worker: go-jsonnet at the pinned jsonnet's version, pinned by
# its go.mod/go.sum) into <tools-dir>/kiln-render-worker-<hash of its source>/ unless it is there, and
# link it as <tools-dir>/bin/kiln-render-worker. kiln falls back to the jsonnet CLI without it.
# Shared by scripts/setup.sh, `kiln tools install` and the GitHub action's install-tools.sh.
#   build-render-worker.sh <tools-dir>
# Prints one line on stdout: `built <binary>` or `reused <binary>`.
set -euo pipefail
tools_dir="$1"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/render-worker" && pwd)"
sum="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -c1-12)"
dest="$tools_dir/kiln-render-worker-$sum"
mkdir -p "$tools_dir/bin"
status=reused
if [ ! -x "$dest/kiln-render-worker" ]; then
  status=built
  echo "building kiln-render-worker $sum (tools/render-worker)" >&2
  # a private temp dir: setups of several worktrees may build it at once; the first to finish wins
  tmp="$dest.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  log="$tools_dir/kiln-render-worker.build.log"
  if ! (cd "$src" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/kiln-render-worker" .) >"$log" 2>&1; then
    tail -20 "$log" >&2
    rm -rf "$tmp"
    echo "building kiln-render-worker failed (log: $log)" >&2
    exit 1
  fi
  if [ -x "$dest/kiln-render-worker" ]; then rm -rf "$tmp"; else rm -rf "$dest" && mv "$tmp" "$dest"; fi
fi
ln -sfn "$dest/kiln-render-worker" "$tools_dir/bin/kiln-render-worker"
echo "$status $dest/kiln-render-worker"
