/**
 * Chaos: one render-stage failure per class on a fleet of 12 clusters rendered 4 at a time, with the
 * spawner on and off, the cache cold and warm, 5 runs each. Every run must end the same way: exit 1,
 * the same first line (the first real error, never a clean-up's, never "internal error"), no stack,
 * in bounded time, and the run's TMPDIR empty afterwards (scratch dirs hold per-cluster values) — also
 * once the later runs are done, which catches renders of a failed run that kept going after it ended.
 *
 * The clusters that fail before the first failure cancels the others legitimately vary between runs
 * when many clusters make the same mistake; the line then names the count and the clusters, which
 * `normalised` takes out (each name is checked to be a failing cluster).
 */
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearToolCache } from '../../src/render/tools.js';
import { kiln } from '../helpers/cli.js';
import { spawnKiln } from '../helpers/spawn.js';
import { makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { writeFiles } from '../security/fleet.js';

const CLUSTERS = Array.from({ length: 12 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
const saved = { ...process.env };
const base = tmp('kiln-chaos-');
afterAll(() => {
  process.env = saved;
  rmSync(base, { recursive: true, force: true });
});
afterEach(() => {
  process.env = { ...saved };
  clearToolCache();
});

const profile = (name: string, spec: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

/** 12 clusters, each rendering a chart with its own values (12 helm runs) and one shared kustomization. */
function fleetFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'kiln.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: chaos\nspec:\n  environments:\n    - name: dev\n',
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/values.yaml': 'who: nobody\n',
    'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  who: {{ .Values.who | quote }}\n',
    'kustomize/base/kustomization.yaml': 'resources:\n  - sa.yaml\n',
    'kustomize/base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: base\n',
    'profiles/web.yaml': profile('web', '  clusterSelector: {}\n  namespace: web\n  components:\n    - name: web\n      helm:\n        chart: charts/web\n        values:\n          who: "{{ .Cluster.name }}"\n    - name: base\n      kustomize:\n        path: kustomize/base\n'),
  };
  for (const c of CLUSTERS) {
    files[`clusters/${c}.yaml`] = `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${c}\n  labels: { pick: "${c === 'c07' ? 'yes' : 'no'}" }\nspec:\n  environment: dev\n  kubeVersion: "1.31.4"\n`;
  }
  return files;
}

const onC07 = '  clusterSelector:\n    matchLabels: { pick: "yes" }\n';

interface Case {
  name: string;
  /** Files added to (or replacing those of) the good fleet. */
  files: Record<string, string>;
  env?: Record<string, string>;
  /** Clusters that may be named. */
  failing: string[];
  /** The first line, normalised. */
  first: RegExp;
}

function cases(dir: string): Case[] {
  const fake = (name: string, body: string) => {
    const file = path.join(dir, name);
    writeFiles(dir, { [name]: `#!/bin/sh\ncase "$1" in version|--version) echo "v0.20.0"; exit 0;; esac\n${body}\n` });
    chmodSync(file, 0o755);
    return file;
  };
  return [
    {
      // the typo: one template of a chart every cluster renders with its own values
      name: 'tool error',
      files: { 'charts/web/templates/broken.yaml': 'kind: x\n{{ .Values.broken\n' },
      failing: CLUSTERS,
      first: /^error: profile "web", component "web", cluster "\*": helm template failed: Error: parse error at \(web\/templates\/broken\.yaml:\d+\): unclosed action/,
    },
    {
      // a tool that hangs, with a child holding its stdout open
      name: 'tool timeout',
      files: { 'profiles/slow.yaml': profile('slow', `${onC07}  components:\n    - name: slow\n      jsonnet:\n        file: slow.jsonnet\n`), 'slow.jsonnet': '{}\n' },
      env: { KILN_JSONNET: fake('jsonnet-hangs', 'sleep 60 &\nwait'), KILN_TOOL_TIMEOUT_MS: '2000' },
      failing: ['c07'],
      first: /^error: profile "slow", component "slow", cluster "\*": jsonnet timed out after 2s \(raise KILN_TOOL_TIMEOUT_MS if the render is just slow\)$/,
    },
    {
      name: 'garbage output',
      files: { 'profiles/junk.yaml': profile('junk', `${onC07}  components:\n    - name: junk\n      ytt:\n        paths: [junk.yaml]\n`), 'junk.yaml': 'x: 1\n' },
      env: { KILN_YTT: fake('ytt-garbage', "printf 'kind: [unclosed\\n\\001\\002 : :\\n'") },
      failing: ['c07'],
      first: /^error: profile "junk", component "junk", cluster "\*": ytt: /,
    },
    {
      // every cluster: all of them fail at once, without any tool, racing each other
      name: 'tier conflict',
      files: {
        'profiles/a.yaml': profile('a', '  clusterSelector: {}\n  components:\n    - name: m\n      manifests:\n        paths: [same.yaml]\n'),
        'profiles/b.yaml': profile('b', '  clusterSelector: {}\n  components:\n    - name: m\n      manifests:\n        paths: [same.yaml]\n'),
        'same.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n  namespace: x\n',
      },
      failing: CLUSTERS,
      first: /^error: cluster "\*": profiles "a" and "b" both render ConfigMap/,
    },
    {
      name: 'missing file',
      files: {
        'profiles/vals.yaml': profile('vals', '  clusterSelector: {}\n  namespace: vals\n  components:\n    - name: vals\n      helm:\n        chart: charts/web\n        valuesFiles: ["values/{{ .Cluster.name }}.yaml"]\n'),
        ...Object.fromEntries(CLUSTERS.filter((c) => c !== 'c07').map((c) => [`values/${c}.yaml`, `who: ${c}\n`])),
      },
      failing: ['c07'],
      // found while planning, before any tool runs, with the file, line and field
      first: /^error: profiles\/vals\.yaml:\d+:\d+: spec\.components\[0\]\.helm\.valuesFiles\[0\]: values file "values\/c07\.yaml" does not exist \(for cluster "\*"\)/,
    },
  ];
}

/** The first line with the varying set of clusters taken out: `cluster "*"`, names checked against `failing`. */
function normalised(line: string, failing: string[]): string {
  let out = line;
  const many = / \(in (\d+) clusters: ([^)]*)\)/.exec(out);
  if (many) {
    for (const n of many[2]!.split(', ').filter((n) => n !== '…')) expect(failing).toContain(n);
    out = out.replace(many[0], '').replace(/^error: clusters: /, 'error: cluster "*": ').replace(/^(error: profile "[^"]+", component "[^"]+"): /, '$1, cluster "*": ');
  }
  return out.replace(/cluster "(c\d\d)"/g, (_, n: string) => {
    expect(failing).toContain(n);
    return 'cluster "*"';
  });
}

let repo: FleetRepo;
beforeAll(() => {
  const src = path.join(base, 'src');
  writeFiles(src, fleetFiles());
  repo = makeFleetRepo(src);
}, 60_000);
afterAll(() => repo?.cleanup());

describe('chaos: every render-stage failure ends the same way, every time', () => {
  for (const c of cases(path.join(base, 'tools'))) {
    it(`${c.name}: exit 1, one first line, bounded time, TMPDIR empty — spawner on/off × cache cold/warm × 5`, async () => {
      const added = Object.keys(c.files);
      writeFiles(repo.fleet, c.files);
      // committed, as in a pull request: an uncommitted input would add a warning line before the error
      repo.commit(`chaos: ${c.name}`);
      try {
        const seen = new Map<string, string[]>();
        const tmpDirs: string[] = [];
        let run = 0;
        for (const spawner of ['on', 'off']) {
          const warm = path.join(base, `cache-${c.name.replace(/\W/g, '-')}-${spawner}`);
          for (let i = 0; i < 5; i++) {
            for (const cache of ['cold', 'warm']) {
              const tmpDir = path.join(base, `tmp-${run++}`);
              mkdirSync(tmpDir, { recursive: true });
              tmpDirs.push(tmpDir);
              const env = { ...c.env, TMPDIR: tmpDir, KILN_SPAWNER: spawner, KILN_CACHE_DIR: cache === 'warm' ? warm : path.join(base, `cold-${run}`) };
              // progress lines (how many clusters rendered before the failure) vary by nature: warnings and errors only
              const args = ['render', '--cwd', repo.fleet, '--out', path.join(base, 'out'), '--concurrency', '4', '--log-level', 'warn'];
              const t = Date.now();
              // the first run of each kind as the real CLI (it must exit, and exit 1, not hang or die of EPIPE), the rest in-process
              let r: { code: number | null; stderr: string };
              if (i === 0) r = await spawnKiln(args, env).done;
              else {
                process.env = { ...saved, ...env };
                r = await kiln(...args);
              }
              const ms = Date.now() - t;
              const label = `${c.name}, spawner ${spawner}, cache ${cache}, run ${i + 1}${i === 0 ? ' (CLI process)' : ''}`;
              expect(r.code, `${label}: ${r.stderr}`).toBe(1);
              expect(r.stderr, label).not.toMatch(/internal error|this is a bug|\n\s+at /);
              expect(ms, label).toBeLessThan(30_000);
              expect(readdirSync(tmpDir), `${label}: scratch left behind`).toEqual([]);
              const first = normalised(r.stderr.split('\n')[0]!, c.failing);
              seen.set(first, [...(seen.get(first) ?? []), label]);
              expect(first, `${label}: ${r.stderr}`).toMatch(c.first);
            }
          }
        }
        expect([...seen.keys()], 'the first lines of all runs').toHaveLength(1);
        // renders left running by a run would write into its TMPDIR after it returned: still empty now
        for (const d of tmpDirs) expect(readdirSync(d), `${d}: written after its run ended`).toEqual([]);
      } finally {
        for (const f of added) rmSync(path.join(repo.fleet, f), { force: true });
        repo.commit(`chaos: ${c.name} undone`);
      }
    }, 240_000);
  }
});
