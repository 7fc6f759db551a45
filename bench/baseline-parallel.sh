#!/usr/bin/env bash
# The loop of bench/baseline.sh as a user makes it use every core: each cluster rendered by its own
# process under `xargs -P $(nproc)` (the renders are independent), then the branches committed one
# after another (one git repo) and pushed with one `git push`. No dedupe, no cache.
#
#   bench/baseline-parallel.sh FLEET_DIR REMOTE WORK_DIR [MAX_CLUSTERS]
set -euo pipefail
fleet="$(cd "$1" && pwd)"; remote="$2"; work="$3"; max="${4:-0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$work/out"
list="$fleet/clusters.tsv"
if [ "$max" -gt 0 ]; then head -n "$max" "$fleet/clusters.tsv" > "$work/clusters.tsv"; list="$work/clusters.tsv"; fi
# render: one cluster per process, as many at once as there are cores
xargs -P "$(nproc)" -d '\n' -n 1 bash "$here/baseline.sh" --render-one "$fleet" "$work/out" < "$list"
# publish: one commit per cluster branch, one push of them all
repo="$work/repo"
git init -q "$repo"
git -C "$repo" remote add origin "$remote"
git -C "$repo" config user.name baseline; git -C "$repo" config user.email baseline@example.com
cd "$repo"
while IFS=$'\t' read -r name env _rest; do
  [ -n "$name" ] || continue
  git checkout -q -f --orphan "rendered/$env/$name"
  git rm -rqf --ignore-unmatch . > /dev/null; rm -rf manifests
  cp -r "$work/out/$name/." .
  git add -A
  git commit -qm "render $name"
done < "$list"
git push -q origin --all
