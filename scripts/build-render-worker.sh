#!/usr/bin/env bash
# Build kiln's render workers: every Go module tools/render-worker*/ (tools/render-worker: go-jsonnet,
# binary kiln-render-worker; tools/render-worker-<engine>: binary kiln-render-worker-<engine>), each
# pinned by its own go.mod/go.sum to the dependency versions of the CLI it stands in for, into
# <tools-dir>/<binary>-<hash of its go.mod, go.sum and *.go, with tools/worker-values' where it uses
# that> unless it is there, and link it as
# <tools-dir>/bin/<binary>. kiln runs the CLI where a worker is missing.
# Shared by scripts/setup.sh, `kiln tools install` and the GitHub action's install-tools.sh.
#   build-render-worker.sh <tools-dir> [binary…]     (no binary: all of them)
# Prints one line per binary on stdout: `built <file>`, `reused <file>` or `failed <binary>` (then the
# build log's tail and why on stderr). Exits 1 when a build failed, after trying every other one.
set -euo pipefail
tools_dir="$1"
shift
tools_src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)"
mkdir -p "$tools_dir/bin"
failed=0
for src in "$tools_src"/render-worker*/; do
  src="${src%/}"
  name="kiln-$(basename "$src")"
  if [ "$#" -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$name"; then continue; fi
  # a worker that uses tools/worker-values (its go.mod replaces it by the local dir) is hashed with it
  shared=()
  if grep -q '^replace kiln.local/worker-values => ../worker-values$' "$src/go.mod"; then shared=("$tools_src"/worker-values/go.mod "$tools_src"/worker-values/*.go); fi
  sum="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go "${shared[@]}" | sha256sum | cut -c1-12)"
  dest="$tools_dir/$name-$sum"
  status=reused
  if [ ! -x "$dest/$name" ]; then
    status=built
    echo "building $name $sum (tools/$(basename "$src"))" >&2
    # a private temp dir: setups of several worktrees may build it at once; the first to finish wins
    tmp="$dest.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    log="$tools_dir/$name.build.log"
    if ! (cd "$src" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/$name" .) >"$log" 2>&1; then
      tail -20 "$log" >&2
      rm -rf "$tmp"
      echo "building $name failed (log: $log); kiln runs the CLI instead of this worker" >&2
      echo "failed $name"
      failed=1
      continue
    fi
    if [ -x "$dest/$name" ]; then rm -rf "$tmp"; else rm -rf "$dest" && mv "$tmp" "$dest"; fi
  fi
  ln -sfn "$dest/$name" "$tools_dir/bin/$name"
  echo "$status $dest/$name"
done
exit "$failed"
