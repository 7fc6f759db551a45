#!/usr/bin/env bash
# Build one pinned Go tool into <tools-dir>/<name>-<version>/<name> (unless it is already there) and
# link it as <tools-dir>/bin/<name>. Shared by scripts/setup.sh and the GitHub action's install-tools.sh.
#   build-go-tool.sh <name> <module> <package> <version> <tools-dir>
set -euo pipefail
name="$1" module="$2" pkg="$3" version="$4" tools_dir="$5"
dest="$tools_dir/$name-$version"
mkdir -p "$tools_dir/bin"
if [ ! -x "$dest/$name" ]; then
  echo "building $name $version (go build $pkg, module $module@$version)" >&2
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  # The tools stamp their version through ldflags in their own Makefiles; mirror that so
  # `helm version` & co. report the pinned version kiln records in provenance.
  ldflags="-s -w"
  case "$name" in
    helm) ldflags="$ldflags -X helm.sh/helm/v3/internal/version.version=$version" ;;
    kustomize) ldflags="$ldflags -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version" ;;
    ytt) ldflags="$ldflags -X carvel.dev/ytt/pkg/version.Version=${version#v}" ;;
  esac
  # A throwaway module that requires the tool's module at the pinned version: `go build` then
  # resolves exactly that version without asking the proxy for version lists (which may be refused).
  mod="$dest.tmp/mod"
  mkdir -p "$mod"
  printf 'module kiln.local/tools\n\ngo %s\n\nrequire %s %s\n' "$(go env GOVERSION | sed 's/^go//')" "$module" "$version" >"$mod/go.mod"
  log="$tools_dir/$name-$version.build.log"
  if ! (cd "$mod" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dest.tmp/$name" "$pkg") >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "building $name $version failed (full log: $log)" >&2
    exit 1
  fi
  rm -rf "$mod" "$dest" && mv "$dest.tmp" "$dest"
fi
ln -sfn "$dest/$name" "$tools_dir/bin/$name"
