#!/usr/bin/env bash
# The naive loop a user writes by hand, for comparison with kiln on the same fleet: per cluster,
# helm template (+ kustomize for the profile patch), kustomize build, jsonnet, ytt, copy plain
# manifests, then check out the cluster's branch, commit and push it. No dedupe, no cache.
#
#   bench/baseline.sh FLEET_DIR REMOTE WORK_DIR [MAX_CLUSTERS]
#
# It reads FLEET_DIR/clusters.tsv written by bench/gen-fleet.ts. Output per cluster is one file per
# component (it does not split objects into files — less work than kiln does).
set -euo pipefail
# render one cluster's components into $1 (the fleet dir is the working directory)
render_one() {
  local out="$1" name="$2" env="$3" region="$4" size="$5" kube="$6" snowflake="$7" replicas scale log apis envvalues
  case $size in small) replicas=2; scale=1;; medium) replicas=3; scale=2;; *) replicas=5; scale=3;; esac
  case $env in dev) log=debug; apis=();; staging) log=info; apis=(--api-versions monitoring.coreos.com/v1);; *) log=warn; apis=(--api-versions monitoring.coreos.com/v1);; esac
  rm -rf "$out"; mkdir -p "$out/manifests"/{base,gateway,monitoring,cluster-config,team-apps} "$out/patch"
  cd "$fleet"
  # gateway: helm template, then kustomize for the profile (and snowflake cluster) patches
  envvalues=(); [ -f "values/gateway/$env.yaml" ] && envvalues=(-f "values/gateway/$env.yaml")
  helm template gateway charts/gateway --namespace gateway --kube-version "$kube" "${apis[@]}" \
    -f values/gateway/common.yaml "${envvalues[@]}" \
    --set "replicaCount=$replicas,region=$region,ingress.host=gateway.$region.$env.example.com" > "$out/patch/helm.yaml"
  {
    echo "resources: [helm.yaml]"
    echo "namespace: gateway"
    echo "patches:"
    echo "  - target: { kind: Deployment, name: gateway }"
    echo "    patch: |"
    echo "      [{\"op\": \"add\", \"path\": \"/spec/template/spec/containers/0/env/-\", \"value\": {\"name\": \"LOG_LEVEL\", \"value\": \"$log\"}}]"
    echo "  - target: { labelSelector: app.kubernetes.io/name=gateway }"
    echo "    patch: '[{\"op\": \"add\", \"path\": \"/metadata/annotations/example.com~1owner\", \"value\": \"platform-team\"}]'"
    if [ "$snowflake" = 1 ]; then
      echo "  - target: { kind: Deployment, name: gateway }"
      echo "    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/priorityClassName\", \"value\": \"platform-critical\"}]'"
    fi
  } > "$out/patch/kustomization.yaml"
  kustomize build "$out/patch" > "$out/manifests/gateway/all.yaml"
  kustomize build "kustomize/monitoring/overlays/$env" > "$out/manifests/monitoring/all.yaml"
  jsonnet -J jsonnet/lib --ext-str "cluster=$name" --ext-str "env=$env" --ext-str "region=$region" --ext-str "size=$size" \
    --ext-str "domain=$name.clusters.example.com" --tla-code 'namespaces=["gateway","team-apps"]' jsonnet/cluster-config.jsonnet > "$out/manifests/cluster-config/all.json"
  case $region in eu-*|us-*)
    ytt -f ytt/team-apps --data-values-file ytt/values.yaml --data-value "environment=$env" --data-value "region=$region" \
      --data-value-yaml "scale=$scale" > "$out/manifests/team-apps/all.yaml";;
  esac
  cp manifests/base/*.yaml "$out/manifests/base/"
  rm -rf "$out/patch"
}
if [ "${1:-}" = --render-one ]; then
  # bench/baseline-parallel.sh: `--render-one FLEET OUT_ROOT "<clusters.tsv line>"`
  IFS=$'\t' read -r name env region size kube snowflake <<<"$4"
  fleet="$(cd "$2" && pwd)"
  render_one "$3/$name" "$name" "$env" "$region" "$size" "$kube" "$snowflake"
  exit 0
fi
fleet="$(cd "$1" && pwd)"; remote="$2"; work="$3"; max="${4:-0}"
mkdir -p "$work"
out="$work/out"; repo="$work/repo"
if [ ! -d "$repo/.git" ]; then
  git init -q "$repo"
  git -C "$repo" remote add origin "$remote"
  git -C "$repo" config user.name baseline; git -C "$repo" config user.email baseline@example.com
fi
n=0
while IFS=$'\t' read -r name env region size kube snowflake; do
  [ -n "$name" ] || continue
  n=$((n + 1)); if [ "$max" -gt 0 ] && [ "$n" -gt "$max" ]; then break; fi
  render_one "$out" "$name" "$env" "$region" "$size" "$kube" "$snowflake"
  # publish: the cluster's branch, one commit, one push
  branch="rendered/$env/$name"
  cd "$repo"
  if git ls-remote --exit-code --heads origin "$branch" > /dev/null; then
    git fetch -q --depth 1 origin "$branch" && git checkout -q -f -B "$branch" FETCH_HEAD
  else
    git checkout -q -f --orphan "$branch"
  fi
  git rm -rqf --ignore-unmatch . > /dev/null; rm -rf manifests
  cp -r "$out/." .
  git add -A
  if ! git diff --cached --quiet; then
    git commit -qm "render $name"
    git push -q origin "$branch"
  fi
done < "$fleet/clusters.tsv"
