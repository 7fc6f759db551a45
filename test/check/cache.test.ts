/**
 * Policy verdicts persist in kiln's cache dir: a second `kiln check` over unchanged clusters runs no
 * conftest (the debug line counts it), a changed policy file runs conftest again, a changed object
 * reruns the policies of its clusters only; the findings are the same either way. Schema verdicts stay
 * within the run (cheaper than a cache file each): the cache holds one entry per conftest run, no more.
 */
import { appendFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { checkStatsOf } from './stats.js';

describe('check results cached on disk', () => {
  let fleet: string;
  let cacheDir: string;
  const saved = process.env.KILN_CACHE_DIR;
  beforeAll(() => {
    fleet = path.join(tmp('kiln-check-cache-'), 'fleet');
    cpSync(path.join(projectRoot, 'fixtures/checks'), fleet, { recursive: true });
    process.env.KILN_CACHE_DIR = cacheDir = tmp('kiln-check-cache-dir-');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KILN_CACHE_DIR;
    else process.env.KILN_CACHE_DIR = saved;
  });

  const check = async () => {
    const r = await kiln('check', '--cwd', fleet, '--json', '--log-level', 'debug');
    expect(r.code, r.stderr).toBe(1); // the fixture's faults
    const { schemaRuns, policyRuns, policyCached } = checkStatsOf(r.stderr);
    const findings = (JSON.parse(r.stdout) as { clusters: Array<{ findings: unknown[] }> }).clusters.map((c) => c.findings);
    return { schemaRuns, policyRuns, policyCached, findings };
  };
  const entries = () => readdirSync(path.join(cacheDir, 'checks'), { recursive: true }).filter((f) => String(f).endsWith('.json')).length;

  it('a warm run runs no conftest; a changed policy reruns conftest; a changed object reruns its clusters’ policies', async () => {
    const cold = await check();
    expect(cold.schemaRuns).toBeGreaterThan(0);
    expect(cold.policyRuns).toBeGreaterThan(0);
    expect(cold.policyCached).toBe(0);
    expect(entries()).toBe(cold.policyRuns);

    const warm = await check();
    expect(warm).toEqual({ schemaRuns: cold.schemaRuns, policyRuns: 0, policyCached: cold.policyRuns, findings: cold.findings });

    const rego = path.join(fleet, 'policies/images.rego');
    appendFileSync(rego, '\n# reviewed\n');
    const policy = await check();
    expect(policy).toEqual({ schemaRuns: cold.schemaRuns, policyRuns: cold.policyRuns, policyCached: 0, findings: cold.findings });

    const dep = path.join(fleet, 'app/deployment.yaml');
    writeFileSync(dep, readFileSync(dep, 'utf8').replace('replicas: "two"', 'replicas: "three"'));
    const object = await check();
    expect(object.policyRuns).toBe(cold.policyRuns); // every cluster renders the Deployment
    expect(object.schemaRuns).toBe(cold.schemaRuns);
    expect(JSON.stringify(object.findings)).toContain('three');
    expect(entries()).toBe(3 * cold.policyRuns);
  });
});
