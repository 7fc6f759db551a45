#!/usr/bin/env bash
# Builds the pinned render tools into $KILN_TOOLS_DIR/<name>-<version>/<name> (the layout of kiln's
# scripts/setup.sh, so one cache serves both) and links them into $KILN_TOOLS_DIR/bin. A tool already
# there (restored by actions/cache) is only linked. Versions come from KILN_<TOOL>_VERSION.
set -euo pipefail

TOOLS_DIR="${KILN_TOOLS_DIR:?KILN_TOOLS_DIR is required}"
TOOLS=(
  "helm|helm.sh/helm/v3|helm.sh/helm/v3/cmd/helm|${KILN_HELM_VERSION:?}"
  "kustomize|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/kustomize/v5|${KILN_KUSTOMIZE_VERSION:?}"
  "jsonnet|github.com/google/go-jsonnet|github.com/google/go-jsonnet/cmd/jsonnet|${KILN_JSONNET_VERSION:?}"
  "ytt|carvel.dev/ytt|carvel.dev/ytt/cmd/ytt|${KILN_YTT_VERSION:?}"
)
mkdir -p "$TOOLS_DIR/bin"
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name module pkg version <<<"$entry"
  dest="$TOOLS_DIR/$name-$version"
  if [ ! -x "$dest/$name" ]; then
    command -v go >/dev/null || { echo "::error::go is required to build $name $version (actions/setup-go)" >&2; exit 1; }
    echo "building $name $version" >&2
    ldflags="-s -w"
    case "$name" in
      helm) ldflags="$ldflags -X helm.sh/helm/v3/internal/version.version=$version" ;;
      kustomize) ldflags="$ldflags -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version" ;;
      ytt) ldflags="$ldflags -X carvel.dev/ytt/pkg/version.Version=${version#v}" ;;
    esac
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp/mod"
    # a throwaway module requiring the tool's module at the pinned version: no version-list lookups
    printf 'module kiln.local/tools\n\ngo %s\n\nrequire %s %s\n' "$(go env GOVERSION | sed 's/^go//')" "$module" "$version" >"$dest.tmp/mod/go.mod"
    (cd "$dest.tmp/mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dest.tmp/$name" "$pkg")
    rm -rf "$dest.tmp/mod" "$dest" && mv "$dest.tmp" "$dest"
  fi
  ln -sfn "$dest/$name" "$TOOLS_DIR/bin/$name"
  echo "$name $version: $dest/$name" >&2
done
echo "$TOOLS_DIR/bin"
