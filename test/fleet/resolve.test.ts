import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { KilnError, KilnErrors } from '../../src/errors.js';
import { resolveProfile } from '../../src/fleet/resolve.js';
import { selects } from '../../src/fleet/selector.js';
import type { FleetConfig } from '../../src/model.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmpFleet(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-res-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    if (rel.endsWith('/')) mkdirSync(path.join(dir, rel), { recursive: true });
    else {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    }
  }
  return dir;
}

const FLEET = 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: t\nspec:\n  environments: [{name: dev}]\n';
const CLUSTER = `apiVersion: kiln.dev/v1alpha1
kind: Cluster
metadata:
  name: dev-1
  labels: {topology.kubernetes.io/region: eu-west-1}
spec:
  environment: dev
  kubeVersion: 1.31.4
  vars:
    replicas: 3
    domain: dev.example.com
`;
const profile = (components: string, extra = '') =>
  `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: p\nspec:\n  clusters: [dev-1]\n${extra}  components:\n${components}`;

function resolveOnly(config: FleetConfig) {
  return resolveProfile(config.profiles[0]!, config.clusters[0]!, config);
}
function resolveError(config: FleetConfig): KilnError {
  try {
    resolveOnly(config);
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return e as KilnError;
  }
  throw new Error('expected resolveProfile to fail');
}

describe('resolveProfile', () => {
  it('resolves every profile of the example fleet for every cluster it selects', async () => {
    const { config } = await loadConfig({ cwd: fixturesFleet });
    let n = 0;
    for (const c of config.clusters) {
      for (const p of config.profiles) {
        if (!selects(p, c)) continue;
        resolveProfile(p, c, config);
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
    const web = resolveProfile(config.profiles.find((p) => p.name === 'web')!, config.clusters.find((c) => c.name === 'prod-eu-1')!, config);
    expect(web.namespace).toBe('web');
    expect(web.components).toEqual([
      {
        name: 'web',
        engine: 'helm',
        spec: {
          chart: 'charts/web',
          hooks: 'keep',
          releaseName: 'web',
          values: { replicaCount: 3, ingress: { host: 'web.prod-eu-1.example.com' }, common: { cluster: 'prod-eu-1' } },
          valuesFiles: [
            { path: 'values/web/common.yaml', optional: false },
            { path: 'values/web/prod.yaml', optional: true },
          ],
          includeCRDs: true,
          skipTests: true,
          insecure: false,
        },
      },
    ]);
    expect(web.patches[0]!.patch).toContain('value: "warn"');
    expect(web.patches[0]!.patch).toContain('value: "eu"');
    expect(web.patches[0]!.source).toEqual({ file: 'profiles/web.yaml', line: 28, col: 7 });
    const mon = resolveProfile(config.profiles.find((p) => p.name === 'monitoring')!, config.clusters.find((c) => c.name === 'dev-us-1')!, config);
    expect(mon.components[0]).toEqual({ name: 'node-exporter', engine: 'kustomize', spec: { path: 'kustomize/monitoring/overlays/dev' } });
    expect(mon.dependsOn).toEqual(['namespaces']);
    expect(mon.tier).toBe(100);
  });

  it('applies defaults for jsonnet, ytt and manifests', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/c.yaml': CLUSTER,
      'j/main.jsonnet': '{}',
      'y/t.yaml': 'a: 1',
      'm/': '',
      'profiles/p.yaml': profile('    - name: j\n      jsonnet: {file: j/main.jsonnet}\n    - name: y\n      ytt: {paths: [y]}\n    - name: m\n      manifests: {paths: ["m/*.yaml", m]}\n'),
    });
    const { config } = await loadConfig({ cwd: dir });
    expect(resolveOnly(config).components).toEqual([
      { name: 'j', engine: 'jsonnet', spec: { file: 'j/main.jsonnet', extVars: {}, tlas: {}, jpath: [] } },
      { name: 'y', engine: 'ytt', spec: { paths: ['y'], dataValues: {}, dataValuesFiles: [] } },
      { name: 'm', engine: 'manifests', spec: { paths: ['m/*.yaml', 'm'] } },
    ]);
  });

  it('names field, path and cluster when a templated path is missing', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/c.yaml': CLUSTER,
      'profiles/p.yaml': profile('    - name: k\n      kustomize:\n        path: "overlays/{{ .Cluster.environment }}"\n'),
    });
    const { config } = await loadConfig({ cwd: dir });
    expect(resolveError(config).oneLine()).toBe(
      'profiles/p.yaml:10:15: spec.components[0].kustomize.path: kustomization directory "overlays/dev" does not exist (for cluster "dev-1") (paths are relative to the fleet repo root)',
    );
  });

  it('requires a pinned version for repo and OCI charts, and reports all problems together', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/c.yaml': CLUSTER,
      'profiles/p.yaml': profile('    - name: a\n      helm: {chart: podinfo, repo: "https://stefanprodan.github.io/podinfo"}\n    - name: b\n      helm: {chart: "oci://ghcr.io/x/y", version: "^1.0"}\n    - name: c\n      helm: {chart: "oci://ghcr.io/x/y", version: "1.2.3", insecure: true}\n'),
    });
    const { config } = await loadConfig({ cwd: dir });
    const e = resolveError(config);
    expect(e).toBeInstanceOf(KilnErrors);
    expect((e as KilnErrors).errors.map((x) => x.oneLine())).toEqual([
      expect.stringMatching(/^profiles\/p\.yaml:9:13: spec\.components\[0\]\.helm: remote chart "podinfo" needs a pinned version \(pin a chart version/),
      expect.stringMatching(/^profiles\/p\.yaml:11:51: spec\.components\[1\]\.helm\.version: remote chart "oci:\/\/ghcr.io\/x\/y" needs a pinned version, got "\^1.0"/),
    ]);
  });

  it('refuses a values file that is a symlink out of the repo', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/c.yaml': CLUSTER,
      'chart/Chart.yaml': 'name: c',
      'profiles/p.yaml': profile('    - name: a\n      helm:\n        chart: chart\n        valuesFiles: [values/leak.yaml]\n'),
    });
    mkdirSync(path.join(dir, 'values'));
    symlinkSync('/etc/hostname', path.join(dir, 'values/leak.yaml'));
    const { config } = await loadConfig({ cwd: dir });
    expect(resolveError(config).oneLine()).toMatch(/^profiles\/p\.yaml:11:23: spec\.components\[0\]\.helm\.valuesFiles\[0\]: path "values\/leak\.yaml" is a symlink that leads outside the fleet repo/);
  });

  it('keeps the type of exact expressions and copies maps', async () => {
    const dir = tmpFleet({
      'kiln.yaml': FLEET,
      'clusters/c.yaml': `${CLUSTER}    resources: {cpu: 100m}\n`,
      'chart/Chart.yaml': 'name: c',
      'profiles/p.yaml': profile(
        '    - name: a\n      helm:\n        chart: chart\n        values:\n          replicas: "{{ .Vars.replicas }}"\n          resources: "{{ .Vars.resources }}"\n          region: "{{ index .Cluster.labels \\"topology.kubernetes.io/region\\" }}"\n          host: "web-{{ .Vars.replicas }}.{{ .Vars.domain }}"\n',
        '  namespace: "ns-{{ .Cluster.name }}"\n',
      ),
    });
    const { config } = await loadConfig({ cwd: dir });
    const r = resolveOnly(config);
    expect(r.namespace).toBe('ns-dev-1');
    const c = r.components[0]!;
    expect(c.engine === 'helm' && c.spec.values).toEqual({ replicas: 3, resources: { cpu: '100m' }, region: 'eu-west-1', host: 'web-3.dev.example.com' });
    if (c.engine === 'helm') (c.spec.values.resources as Record<string, string>).cpu = 'changed';
    expect((config.clusters[0]!.vars.resources as Record<string, string>).cpu).toBe('100m');
  });
});
