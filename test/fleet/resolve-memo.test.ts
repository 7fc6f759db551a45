/**
 * Clusters that read the same values share one resolved profile; the plan is the same as each
 * cluster planned alone; a cluster whose template or path fails gets its own error, whoever shared.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { KilnErrors } from '../../src/errors.js';
import { planFleet } from '../../src/fleet/plan.js';
import { valuesRead } from '../../src/fleet/resolve-memo.js';
import { templateRefs, type TemplateScope } from '../../src/fleet/template.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kiln-resmemo-'));
  dirs.push(d);
  return d;
}

describe('profiles shared between clusters', () => {
  it('the plan equals each cluster planned alone, for the bench fleet and the example fleet', async () => {
    const bench = tmp();
    writeBenchFleet(bench, 60);
    for (const cwd of [bench, fixturesFleet]) {
      const { config } = await loadConfig({ cwd });
      const together = planFleet(config);
      const alone = config.clusters.flatMap((c) => planFleet(config, { clusters: [c.name] }));
      expect(together.length).toBeGreaterThan(0);
      expect(together).toEqual(alone);
    }
  });

  it('clusters reading the same values share one frozen object; a value read apart gives its own', async () => {
    const bench = tmp();
    writeBenchFleet(bench, 60);
    const { config } = await loadConfig({ cwd: bench });
    const plans = planFleet(config);
    const of = (profile: string) => plans.map((p) => ({ env: p.cluster.environment, name: p.cluster.name, r: p.profiles.find((x) => x.name === profile) })).filter((x) => x.r);
    // monitoring reads the environment only: one object per environment
    const monitoring = of('monitoring');
    expect(new Set(monitoring.map((m) => m.r)).size).toBe(new Set(monitoring.map((m) => m.env)).size);
    for (const m of monitoring) expect(m.r).toBe(monitoring.find((x) => x.env === m.env)!.r);
    // cluster-config reads the cluster's name: one each
    const identity = of('cluster-config');
    expect(new Set(identity.map((m) => m.r)).size).toBe(identity.length);
    const shared = monitoring[0]!.r!;
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.isFrozen(shared.components[0]!.spec)).toBe(true);
    expect(() => {
      (shared.components[0]!.spec as { path: string }).path = 'elsewhere';
    }).toThrow(TypeError);
  });

  it('a cluster whose values file or var is missing fails on its own, named, after others shared the profile', async () => {
    const dir = tmp();
    const cluster = (name: string, env: string, vars: string) =>
      `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${name} }\nspec:\n  environment: ${env}\n  vars: ${vars}\n---\n`;
    writeFileSync(path.join(dir, 'kiln.yaml'), 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }, { name: qa }]\n');
    mkdirSync(path.join(dir, 'clusters'));
    mkdirSync(path.join(dir, 'profiles'));
    mkdirSync(path.join(dir, 'k/dev'), { recursive: true });
    writeFileSync(path.join(dir, 'k/dev/kustomization.yaml'), 'resources: []\n');
    writeFileSync(
      path.join(dir, 'clusters', 'all.yaml'),
      cluster('dev-a', 'dev', '{ tier: gold }') + cluster('dev-b', 'dev', '{ tier: gold }') + cluster('dev-c', 'dev', '{}') + cluster('qa-a', 'qa', '{ tier: gold }') + cluster('qa-b', 'qa', '{ tier: gold }'),
    );
    writeFileSync(
      path.join(dir, 'profiles', 'p.yaml'),
      'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: p }\nspec:\n  clusterSelector: {}\n  components:\n    - name: k\n      kustomize: { path: "k/{{ .Cluster.environment }}" }\n  namespace: "ns-{{ .Vars.tier }}"\n',
    );
    const { config } = await loadConfig({ cwd: dir });
    let err: unknown;
    try {
      planFleet(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KilnErrors);
    const lines = (err as KilnErrors).errors.map((e) => e.oneLine());
    expect(lines.filter((l) => l.includes('cluster "dev-c" has no var "tier"'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('does not exist') && l.includes('qa-a'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('does not exist') && l.includes('qa-b'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('dev-a') || l.includes('dev-b'))).toBe(false);
    const ok = planFleet(config, { clusters: ['dev-a', 'dev-b'] });
    expect(ok[0]!.profiles[0]).toBe(ok[1]!.profiles[0]);
    expect(ok[0]!.profiles[0]!.namespace).toBe('ns-gold');
  });

  it('values that template differently never read the same: type, NaN, null, -0, nesting', () => {
    const refs = templateRefs(['{{ .Vars.x }}', { a: 'text {{ .Cluster.labels.zone }}' }])!;
    expect(refs).toHaveLength(2);
    const scope = (x: unknown, zone = 'z1'): TemplateScope => ({ Cluster: { name: 'c', environment: 'dev', labels: { zone } }, Vars: { x } });
    const read = (x: unknown, zone?: string) => valuesRead(refs, scope(x, zone));
    const distinct = [2, '2', NaN, null, 'null', 'NaN', Infinity, 0, -0, true, 'true', [1], ['1'], { a: 1 }, { a: '1' }, [], {}];
    const seen = distinct.map((x) => read(x));
    expect(seen.every((s) => s !== undefined)).toBe(true);
    expect(new Set(seen).size).toBe(distinct.length);
    expect(read(2, 'z2')).not.toBe(read(2));
    expect(read({ a: [1, { b: 'c' }] })).toBe(read({ a: [1, { b: 'c' }] }));
    // a missing var, or data that is not plain: resolved alone
    expect(valuesRead(refs, { Cluster: { name: 'c', environment: 'dev', labels: { zone: 'z' } }, Vars: {} })).toBeUndefined();
    expect(read(new Date(0))).toBeUndefined();
    expect(read(10n)).toBeUndefined();
    expect(read({ a: undefined })).toBeUndefined();
    // a string that does not parse: the profile is never shared
    expect(templateRefs(['{{ .Vars.x | upper }}'])).toBeUndefined();
  });
});
