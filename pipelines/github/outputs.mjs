// Turns `kiln --json <command>` output into step outputs: which clusters and branches changed.
// usage: node outputs.mjs <command> <result.json>   (appends to $GITHUB_OUTPUT, or prints)
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

const [command, file] = process.argv.slice(2);
let result = {};
try {
  const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  result = text ? JSON.parse(text) : {};
} catch {
  result = {}; // a failed run prints its error on stderr, not JSON on stdout
}

const clusters = new Set();
const branches = new Set();
const moved = (a) => a === 'created' || a === 'updated';
const addClusters = (c) => String(c ?? '').split(',').map((s) => s.trim()).filter(Boolean).forEach((n) => clusters.add(n));

// publish and promote (push mode): one outcome per branch; clusters sharing a branch are comma-joined
for (const b of Array.isArray(result.branches) ? result.branches : []) {
  if (b && moved(b.action)) {
    branches.add(b.branch);
    addClusters(b.cluster);
  }
}
// promote --pr: per-branch object counts
const counted = (c) => ['added', 'changed', 'removed'].some((k) => Number(c?.[k] ?? 0) > 0 || (Array.isArray(c?.[k]) && c[k].length > 0));
if (command === 'promote' && result.pr) {
  for (const c of Array.isArray(result.changes) ? result.changes : []) {
    if (counted(c)) {
      branches.add(c.branch);
      addClusters(c.cluster);
    }
  }
}
// diff: clusters whose rendered objects differ (accepts {clusters:[{name|cluster, changed|status|counts}]})
if (command === 'diff' || command === 'comment') {
  for (const c of Array.isArray(result.clusters) ? result.clusters : []) {
    const name = c?.name ?? c?.cluster;
    const changed = typeof c?.changed === 'boolean' ? c.changed : c?.status ? c.status !== 'unchanged' : counted(c) || counted(c?.counts) || counted(c?.summary);
    if (name && changed) {
      addClusters(name);
      if (c.branch) branches.add(c.branch);
    }
  }
}

// checks (`kiln check`, and diff/render/publish --json): annotations on the profile (or cluster) file
// behind each finding; the same finding on many clusters is one annotation naming them
const checks = result.checks ?? (result.schema === 'kiln.dev/check/v1' ? result : undefined);
const annotations = new Map();
for (const c of Array.isArray(checks?.clusters) ? checks.clusters : []) {
  for (const f of Array.isArray(c?.findings) ? c.findings : []) {
    const key = JSON.stringify([f.severity, f.check, f.source, f.object, f.path, f.message]);
    const a = annotations.get(key);
    if (a) a.clusters.push(f.cluster);
    else annotations.set(key, { f, clusters: [f.cluster] });
  }
}
const prop = (s) => String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
const data = (s) => String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const wd = (process.env.KILN_WORKING_DIRECTORY ?? '.').replace(/^\.\/?/, '').replace(/\/+$/, '');
const sorted = [...annotations.values()].sort((a, b) => (a.f.severity === b.f.severity ? 0 : a.f.severity === 'error' ? -1 : 1));
for (const { f, clusters } of sorted.slice(0, 50)) {
  const on = clusters.length > 3 ? `${clusters.slice(0, 3).join(', ')} +${clusters.length - 3}` : clusters.join(', ');
  const file = f.source ? `file=${prop(wd ? `${wd}/${f.source}` : f.source)},` : '';
  const what = [f.object, f.path].filter(Boolean).join(' ');
  process.stdout.write(`::${f.severity === 'error' ? 'error' : 'warning'} ${file}title=${prop(`kiln ${f.check} on ${on}`)}::${data(`${what ? `${what}: ` : ''}${f.message}${f.file ? ` (${f.file})` : ''}`)}\n`);
}
if (sorted.length > 50) process.stdout.write(`::warning title=kiln checks::${sorted.length - 50} more findings: see the step log or the --json result\n`);

const out = {
  'changed-clusters': JSON.stringify([...clusters].sort()),
  'changed-branches': JSON.stringify([...branches].sort()),
  changed: String(clusters.size > 0 || branches.size > 0 || result.changed === true),
};
const lines = Object.entries(out).map(([k, v]) => `${k}=${v}\n`).join('');
if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, lines);
else process.stdout.write(lines);
