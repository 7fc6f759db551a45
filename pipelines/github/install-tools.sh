#!/usr/bin/env bash
# Builds the pinned render tools into $KILN_TOOLS_DIR/<name>-<version>/<name> (the layout of kiln's
# scripts/setup.sh, so one cache serves both) and links them into $KILN_TOOLS_DIR/bin. A tool already
# there (restored by actions/cache) is only linked. Versions come from KILN_<TOOL>_VERSION.
set -euo pipefail

TOOLS_DIR="${KILN_TOOLS_DIR:?KILN_TOOLS_DIR is required}"
# Helm's Go module path carries its major version (helm.sh/helm/v4, helm.sh/helm/v3)
helm_major="${KILN_HELM_VERSION:?}" && helm_major="${helm_major%%.*}"
TOOLS=(
  "helm|helm.sh/helm/${helm_major}|helm.sh/helm/${helm_major}/cmd/helm|${KILN_HELM_VERSION}"
  "kustomize|sigs.k8s.io/kustomize/kustomize/v5|sigs.k8s.io/kustomize/kustomize/v5|${KILN_KUSTOMIZE_VERSION:?}"
  "jsonnet|github.com/google/go-jsonnet|github.com/google/go-jsonnet/cmd/jsonnet|${KILN_JSONNET_VERSION:?}"
  "ytt|carvel.dev/ytt|carvel.dev/ytt/cmd/ytt|${KILN_YTT_VERSION:?}"
)
# the kiln checkout this action is part of (pipelines/github) holds the one build script
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/scripts/build-go-tool.sh"
# kiln's checks: conftest and Kubernetes' OpenAPI sets, at the versions kiln's own setup pins
TOOLS+=("$(grep -o '"conftest|[^"]*"' "$ROOT/scripts/setup.sh" | tr -d '"')")
read -r -a K8S_OPENAPI <<<"$(sed -n 's/^K8S_OPENAPI=(\(.*\))$/\1/p' "$ROOT/scripts/setup.sh")"
mkdir -p "$TOOLS_DIR/bin"
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name module pkg version <<<"$entry"
  if [ ! -x "$TOOLS_DIR/${pkg##*/}-$version/${pkg##*/}" ] && [ ! -x "$TOOLS_DIR/$name-$version/$name" ]; then
    command -v go >/dev/null || { echo "::error::go is required to build $name $version (actions/setup-go)" >&2; exit 1; }
  fi
  bash "$BUILD" "$name" "$module" "$pkg" "$version" "$TOOLS_DIR" >/dev/null
  echo "$name $version: $TOOLS_DIR/bin/$name" >&2
done
# kiln's render workers (jsonnet, kustomize, …), from this checkout's source (optional: kiln runs the
# CLI without one, so a failed build only says so)
if command -v go >/dev/null; then
  workers="$(bash "$ROOT/scripts/build-render-worker.sh" "$TOOLS_DIR")" || echo "::warning::a kiln render worker failed to build; kiln runs that engine's CLI instead" >&2
  while read -r status file; do
    if [ "$status" = failed ]; then echo "$file: not built" >&2; elif [ -n "$file" ]; then echo "$(basename "$file"): $file" >&2; fi
  done <<<"$workers"
fi
node "$ROOT/scripts/k8s-openapi.mjs" "$TOOLS_DIR" "${K8S_OPENAPI[@]}"
echo "$TOOLS_DIR/bin"
