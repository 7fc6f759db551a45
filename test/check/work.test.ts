/**
 * What the checks cost is counted, not timed: an object file rendered identically for many clusters is
 * parsed once and validated once per schema set in a run, whatever the number of clusters, and a CRD
 * is read once; more clusters with the same renders add shared answers only (the debug line counts).
 */
import { appendFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { withEnv } from '../helpers/with-env.js';
import { checkStatsOf } from './stats.js';

/** fixtures/checks with `extra` more clusters that render exactly what dev-new (1.31) renders. */
function fleetWith(extra: number): string {
  const fleet = path.join(tmp('kiln-check-work-'), 'fleet');
  cpSync(path.join(projectRoot, 'fixtures/checks'), fleet, { recursive: true });
  for (let i = 0; i < extra; i++) {
    appendFileSync(path.join(fleet, 'clusters/clusters.yaml'), `---\napiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: dev-copy-${i}, labels: { tier: web } }\nspec: { environment: dev, kubeVersion: "1.31.4" }\n`);
  }
  return fleet;
}

// one cluster at a time unless a test says otherwise (the counts must not depend on it); each run from
// an empty cache of its own unless given one (conftest verdicts persist: a shared cache changes the counts)
const run = async (fleet: string, ...argv: string[]) => runIn(tmp('kiln-check-work-cache-'), fleet, ...argv);
const runIn = async (cache: string, fleet: string, ...argv: string[]) => {
  const r = await withEnv({ KILN_CACHE_DIR: cache }, () => kiln(...argv, '--cwd', fleet, '--log-level', 'debug', ...(argv.includes('--concurrency') ? [] : ['--concurrency', '1'])));
  expect(r.code, r.stderr).toBe(1); // the fixture's faults
  return { stats: checkStatsOf(r.stderr), out: r.stdout };
};

describe('the checks parse and validate each distinct object once per run', () => {
  it('kiln check: six more identical clusters add no parse and no validation, only shared answers', async () => {
    const base = await run(fleetWith(0), 'check', '--json');
    const more = await run(fleetWith(6), 'check', '--json');
    const perCluster = (more.stats.objects - base.stats.objects) / 6;
    expect(perCluster).toBeGreaterThan(0);
    expect(more.stats.parsed).toBe(base.stats.parsed);
    expect(more.stats.schemaRuns).toBe(base.stats.schemaRuns);
    // every object of a 1.31 cluster but the removed policy/v1beta1 PDB is checked against a schema
    expect(more.stats.schemaShared - base.stats.schemaShared).toBe(6 * (perCluster - 1));
    // the render hands the checks the values of its objects: no file it wrote is parsed again
    expect(base.stats.objects).toBeGreaterThan(0);
    expect(base.stats.parsed).toBe(0);
    // the findings of a copy are dev-new's, cluster name aside
    const byCluster = (out: string) => new Map((JSON.parse(out) as { clusters: Array<{ cluster: string; findings: Array<{ cluster: string }> }> }).clusters.map((c) => [c.cluster, JSON.stringify(c.findings.map((f) => ({ ...f, cluster: '' })))]));
    // clusters at once, finishing in any order: the same work, the same output
    const together = await run(fleetWith(6), 'check', '--json', '--concurrency', '4');
    expect(together.stats).toEqual(more.stats);
    expect(together.out).toBe(more.out);
    // the verdicts persist: the same clusters again over the same cache run no conftest, with the same output
    const cache = tmp('kiln-check-work-cache-');
    const fleet = fleetWith(6);
    const first = await runIn(cache, fleet, 'check', '--json');
    expect(first.stats).toEqual(more.stats);
    expect(first.stats.policyRuns).toBeGreaterThan(0);
    const again = await runIn(cache, fleet, 'check', '--json');
    expect(again.stats).toEqual({ ...more.stats, policyRuns: 0, policyCached: more.stats.policyRuns + more.stats.policyCached });
    expect(again.out).toBe(more.out);
    const m = byCluster(more.out);
    expect(m.get('dev-copy-5')).toBe(m.get('dev-new'));
    expect(JSON.parse(m.get('dev-new')!)).not.toEqual([]);
  });

  it('files read back (publish --from) are parsed, once per distinct text, and give the findings of the render with its values', async () => {
    const repo = makeFleetRepo(path.join(projectRoot, 'fixtures/checks'));
    try {
      const cache = tmp('kiln-check-work-cache-');
      const out = path.join(tmp('kiln-check-work-out-'), 'out');
      const findings = (stderr: string) => stderr.split('\n').filter((l) => /^(error|warn): \[/.test(l)).sort();
      const rendered = await withEnv({ KILN_CACHE_DIR: cache }, () => kiln('render', '--out', out, '--cwd', repo.fleet, '--log-level', 'debug'));
      const read = await withEnv({ KILN_CACHE_DIR: cache }, () => kiln('publish', '--from', out, '--dry-run', '--cwd', repo.fleet, '--log-level', 'debug'));
      expect(rendered.code, rendered.stderr).toBe(1);
      expect(read.code, read.stderr).toBe(1);
      const [r, p] = [checkStatsOf(rendered.stderr), checkStatsOf(read.stderr)];
      expect(r.parsed).toBe(0);
      expect(p.objects).toBe(r.objects);
      expect(p.parsed).toBeGreaterThan(0);
      expect(p.parsed).toBeLessThan(p.objects);
      expect(p.schemaRuns).toBe(r.schemaRuns);
      expect(findings(rendered.stderr).length).toBeGreaterThan(3);
      expect(findings(read.stderr)).toEqual(findings(rendered.stderr));
    } finally {
      repo.cleanup();
    }
  });

  it('kiln render counts the same work as kiln check', async () => {
    const fleet = fleetWith(2);
    const checked = await run(fleet, 'check');
    const rendered = await run(fleet, 'render', '--out', path.join(tmp('kiln-check-work-out-'), 'out'));
    expect({ ...rendered.stats, policyRuns: 0, policyCached: 0 }).toEqual({ ...checked.stats, policyRuns: 0, policyCached: 0 });
  });
});
