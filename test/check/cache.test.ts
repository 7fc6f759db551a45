/**
 * Check results persist in kiln's cache dir: a second `kiln check` over unchanged objects runs no
 * schema validation and no conftest (the debug line counts them), a changed policy file runs conftest
 * again, a changed object re-validates only what changed; the findings are the same either way.
 */
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

describe('check results cached on disk', () => {
  let fleet: string;
  const saved = process.env.KILN_CACHE_DIR;
  beforeAll(() => {
    fleet = path.join(tmp('kiln-check-cache-'), 'fleet');
    cpSync(path.join(projectRoot, 'fixtures/checks'), fleet, { recursive: true });
    process.env.KILN_CACHE_DIR = tmp('kiln-check-cache-dir-');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KILN_CACHE_DIR;
    else process.env.KILN_CACHE_DIR = saved;
  });

  const check = async () => {
    const r = await kiln('check', '--cwd', fleet, '--json', '--log-level', 'debug');
    expect(r.code, r.stderr).toBe(1); // the fixture's faults
    const m = /checks: (\d+) schema validation\(s\) run, (\d+) from the cache; (\d+) conftest run\(s\), (\d+) from the cache/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [schemaRuns = 0, schemaCached = 0, policyRuns = 0, policyCached = 0] = m!.slice(1).map(Number);
    const findings = (JSON.parse(r.stdout) as { clusters: Array<{ findings: unknown[] }> }).clusters.map((c) => c.findings);
    return { schemaRuns, schemaCached, policyRuns, policyCached, findings };
  };

  it('a warm run runs nothing; a changed policy reruns conftest only; a changed object revalidates only itself', async () => {
    const cold = await check();
    expect(cold.schemaRuns).toBeGreaterThan(0);
    expect(cold.policyRuns).toBeGreaterThan(0);
    expect([cold.schemaCached, cold.policyCached]).toEqual([0, 0]);

    const warm = await check();
    expect(warm).toEqual({ schemaRuns: 0, schemaCached: cold.schemaRuns, policyRuns: 0, policyCached: cold.policyRuns, findings: cold.findings });

    const rego = path.join(fleet, 'policies/images.rego');
    appendFileSync(rego, '\n# reviewed\n');
    const policy = await check();
    expect(policy).toEqual({ schemaRuns: 0, schemaCached: cold.schemaRuns, policyRuns: cold.policyRuns, policyCached: 0, findings: cold.findings });

    const dep = path.join(fleet, 'app/deployment.yaml');
    writeFileSync(dep, readFileSync(dep, 'utf8').replace('replicas: "two"', 'replicas: "three"'));
    const object = await check();
    expect(object.schemaRuns).toBeGreaterThan(0);
    expect(object.schemaRuns).toBeLessThan(cold.schemaRuns);
    expect(JSON.stringify(object.findings)).toContain('three');
  });
});
