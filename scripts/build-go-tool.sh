#!/usr/bin/env bash
# Build one pinned Go tool into <tools-dir>/<binary>-<version>/<binary> (unless it is already there) and
# link it as <tools-dir>/bin/<name> (<binary> is the package's last element: helm3 is a `helm` binary).
# Shared by scripts/setup.sh, `kiln tools install` and the GitHub action's install-tools.sh.
#   build-go-tool.sh <name> <module> <package> <version> <tools-dir>
# Prints one line on stdout: `built <binary>` or `reused <binary>`.
set -euo pipefail
name="$1" module="$2" pkg="$3" version="$4" tools_dir="$5"
bin="${pkg##*/}"
case "$bin" in v[0-9]*) bin="$(basename "${pkg%/*}")" ;; esac # sigs.k8s.io/kustomize/kustomize/v5
dest="$tools_dir/$bin-$version"
mkdir -p "$tools_dir/bin"
status=reused
if [ ! -x "$dest/$bin" ]; then
  status=built
  echo "building $name $version (go build $pkg, module $module@$version)" >&2
  # a private temp dir: setups of several worktrees may build the same tool at once
  tmp="$dest.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # The tools stamp their version through ldflags in their own Makefiles; mirror that so
  # `helm version` & co. report the pinned version kiln records in provenance.
  ldflags="-s -w"
  case "$module" in
    helm.sh/helm/v*) ldflags="$ldflags -X $module/internal/version.version=$version" ;;
    sigs.k8s.io/kustomize/*) ldflags="$ldflags -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version" ;;
    carvel.dev/ytt) ldflags="$ldflags -X carvel.dev/ytt/pkg/version.Version=${version#v}" ;;
  esac
  mod="$tmp/mod"
  case "$module" in
    github.com/fluxcd/flux2/*)
      # flux2's go.mod carries a replace directive (so it cannot be required from another module)
      # and cmd/flux embeds install manifests generated at release time that the module archive
      # lacks. Build a copy of the module itself with a placeholder manifest: kiln's tests use
      # `flux pull artifact`, never `flux install`.
      ldflags="$ldflags -X main.VERSION=${version#v}"
      src="$(GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      [ -d "$src" ] || { echo "could not download $module@$version" >&2; exit 1; }
      cp -r "$src" "$mod" && chmod -R u+w "$mod"
      mkdir -p "$mod/cmd/flux/manifests"
      printf '# placeholder: kiln builds flux without its install manifests\n' >"$mod/cmd/flux/manifests/placeholder.yaml"
      pkg="./${pkg#"$module"/}"
      ;;
    *)
      # A throwaway module that requires the tool's module at the pinned version: `go build` then
      # resolves exactly that version without asking the proxy for version lists (which may be refused).
      mkdir -p "$mod"
      printf 'module kiln.local/tools\n\ngo %s\n\nrequire %s %s\n' "$(go env GOVERSION | sed 's/^go//')" "$module" "$version" >"$mod/go.mod"
      ;;
  esac
  log="$tools_dir/$bin-$version.build.log"
  if ! (cd "$mod" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "$pkg") >"$log" 2>&1; then
    tail -20 "$log" >&2
    rm -rf "$tmp"
    echo "building $name $version failed (full log: $log)" >&2
    exit 1
  fi
  rm -rf "$mod"
  # whoever finishes first wins; a build that lost the race is dropped
  if [ -x "$dest/$bin" ]; then rm -rf "$tmp"; else rm -rf "$dest" && mv "$tmp" "$dest"; fi
fi
ln -sfn "$dest/$bin" "$tools_dir/bin/$name"
echo "$status $dest/$bin"
