import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { KilnError, KilnErrors } from '../../src/errors.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp fleet from a map of relative path → content. */
export function tmpFleet(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-cfg-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const FLEET = `apiVersion: kiln.dev/v1alpha1
kind: Fleet
metadata:
  name: t
spec:
  environments:
    - name: dev
    - name: prod
`;
const cluster = (name: string, env = 'dev', labels = '') => `apiVersion: kiln.dev/v1alpha1
kind: Cluster
metadata:
  name: ${name}
${labels ? `  labels:\n${labels}` : ''}spec:
  environment: ${env}
`;

async function loadError(dir: string): Promise<KilnError> {
  try {
    await loadConfig({ cwd: dir });
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return e as KilnError;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('loads the example fleet with defaults applied', async () => {
    const { config, warnings } = await loadConfig({ cwd: fixturesFleet });
    expect(warnings).toEqual([]);
    expect(config.name).toBe('example');
    expect(config.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(config.environments[0]!.freeze).toEqual([]);
    expect(config.clusters.map((c) => c.name)).toEqual(['dev-eu-1', 'dev-us-1', 'prod-ap-1', 'prod-eu-1', 'prod-us-1', 'staging-eu-1']);
    expect(config.profiles.map((p) => p.name)).toEqual(['edge-network', 'monitoring', 'namespaces', 'policies', 'team-app', 'web']);
    const prodEu = config.clusters.find((c) => c.name === 'prod-eu-1')!;
    expect(prodEu.patches[0]!.source).toEqual({ file: 'clusters/prod.yaml', line: 18, col: 7 });
    expect(config.clusters.find((c) => c.name === 'prod-ap-1')!.apiVersions).toEqual([]);
    expect(config.profiles.find((p) => p.name === 'monitoring')!.tier).toBe(100);
    expect(config.profiles.find((p) => p.name === 'edge-network')!.tier).toBe(5);
    expect(config.clusterGlobs).toEqual(['clusters/*.yaml', 'clusters/*.yml']);
    expect(config.root).toBe(fixturesFleet);
    expect(config.file).toBe(path.join(fixturesFleet, 'kiln.yaml'));
  });

  it('defaults output and globs', async () => {
    const dir = tmpFleet({ 'kiln.yaml': FLEET, 'clusters/a.yaml': cluster('a') });
    const { config, warnings } = await loadConfig({ cwd: dir });
    expect(config.output).toEqual({ branch: 'rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}', path: 'manifests', appliedBy: 'flux' });
    expect(config.profileGlobs).toEqual(['profiles/*.yaml', 'profiles/*.yml']);
    expect(warnings.map((w) => w.message)).toEqual(['no profile files match profiles/*.yaml, profiles/*.yml']);
  });

  it('reads several documents per file and honours --config', async () => {
    // the fleet's globs resolve from the config file's dir
    const dir = tmpFleet({ 'conf/fleet.yaml': FLEET.replace('spec:\n', 'spec:\n  clusters: [c/*.yaml]\n'), 'conf/c/all.yaml': `${cluster('a')}---\n${cluster('b', 'prod')}---\n# trailing\n` });
    const { config } = await loadConfig({ cwd: dir, config: 'conf/fleet.yaml' });
    expect(config.clusters.map((c) => [c.name, c.environment])).toEqual([['a', 'dev'], ['b', 'prod']]);
    expect(config.clusters[1]!.doc.locate(['spec', 'environment'])).toEqual({ file: 'c/all.yaml', line: 13, col: 16 });
  });

  it('refuses profiles that select nothing (a typo would remove them everywhere), with did-you-mean; allowEmpty accepts', async () => {
    const profile = (name: string, spec: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n${spec}  components:\n    - name: x\n      manifests: {paths: [m]}\n`;
    const files = {
      'kiln.yaml': FLEET,
      'clusters/a.yaml': cluster('a', 'dev', '    tier: standard\n'),
      'clusters/b.yaml': cluster('b', 'dev', '    tier: edge\n'),
      'profiles/p.yaml': profile('p', '  clusterSelector:\n    matchLabels: {tier: standrad}\n'),
      'profiles/q.yaml': profile('q', ''),
      'profiles/r.yaml': profile('r', '  clusterSelector:\n    matchExpressions: [{key: teir, operator: Exists}]\n'),
      'profiles/s.yaml': profile('s', '  clusterSelector:\n    matchExpressions: [{key: tier, operator: In, values: [edge, standrd]}]\n'),
    };
    const e = await loadError(tmpFleet(files));
    const fix = 'a profile that selects nothing is removed from every cluster it was on at the next publish; fix the selector, or set allowEmpty: true on the profile if that is intended';
    expect((e as KilnErrors).errors.map((x) => x.oneLine())).toEqual([
      `profiles/p.yaml:7:25: spec.clusterSelector.matchLabels.tier: profile "p" selects no cluster: no cluster has label tier=standrad (did you mean "standard"?; ${fix})`,
      `profiles/q.yaml:4:9: spec: profile "q" selects no cluster: it has neither clusterSelector nor clusters (${fix})`,
      `profiles/r.yaml:7:24: spec.clusterSelector.matchExpressions[0]: profile "r" selects no cluster: no cluster has a label "teir" (did you mean "tier"?; ${fix})`,
    ]);

    const allowed = (f: string) => f.replace('spec:\n', 'spec:\n  allowEmpty: true\n');
    const ok = await loadConfig({ cwd: tmpFleet({ ...files, 'profiles/p.yaml': allowed(files['profiles/p.yaml']), 'profiles/q.yaml': allowed(files['profiles/q.yaml']), 'profiles/r.yaml': allowed(files['profiles/r.yaml']) }) });
    // s lands on b; its second value is likely a typo too, said as a warning
    expect(ok.warnings).toEqual([{ message: 'profile "s": spec.clusterSelector.matchExpressions[0]: no cluster has label tier=standrd (did you mean "standard"?)', pos: { file: 'profiles/s.yaml', line: 7, col: 24 } }]);
  });

  it('collects errors across files into one KilnErrors', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/a.yaml': cluster('a').replace('environment: dev', 'environment: 3\n  colour: red'),
      'clusters/b.yaml': cluster('B'),
    });
    const e = await loadError(dir);
    expect(e).toBeInstanceOf(KilnErrors);
    const lines = (e as KilnErrors).errors.map((x) => x.oneLine());
    expect(lines).toEqual([
      'clusters/a.yaml:6:16: spec.environment: must be a string, got an integer (quote it: "3")',
      expect.stringMatching(/^clusters\/a\.yaml:7:3: spec\.colour: unknown field "colour" \(allowed: environment, kubeVersion/),
      expect.stringMatching(/^clusters\/b\.yaml:4:9: metadata\.name: "B" is not valid \(a name is a DNS-1123 label/),
    ]);
  });

  it('names both files for a duplicate cluster', async () => {
    const dir = tmpFleet({ 'kiln.yaml': FLEET, 'clusters/a.yaml': cluster('x'), 'clusters/b.yaml': cluster('x') });
    const e = await loadError(dir);
    expect(e.oneLine()).toBe('clusters/b.yaml:4:9: metadata.name: cluster "x" is defined twice: here and at clusters/a.yaml:4:9 (cluster names must be unique across all files)');
  });

  it('reports an unknown field with did-you-mean, not a cascade', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'profiles/p.yaml': `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: p\nspec:\n  clusters: []\n  components:\n    - name: web\n      helm:\n        chrat: charts/web\n`,
    });
    const e = await loadError(dir);
    expect(e).not.toBeInstanceOf(KilnErrors);
    expect(e.oneLine()).toMatch(/^profiles\/p\.yaml:10:9: spec\.components\[0\]\.helm\.chrat: unknown field "chrat" \(did you mean "chart"\?; allowed: chart, repo, version/);
  });

  it('explains a component with two engines once', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'profiles/p.yaml': `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: p\nspec:\n  clusters: []\n  components:\n    - name: web\n      kustomize: {path: k}\n      manifests: {paths: [m]}\n`,
    });
    const e = await loadError(dir);
    expect(e.oneLine()).toBe('profiles/p.yaml:8:7: spec.components[0]: a component needs exactly one of helm, kustomize, jsonnet, ytt, manifests (found kustomize and manifests; split them into separate components)');
  });
});
