import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { objectName } from '../../src/bootstrap/objects.js';
import { bootstrap, formatBootstrap, planBootstrap, type BootstrapOptions } from '../../src/commands/bootstrap.js';
import { defaultGlobals } from '../../src/commands/options.js';
import { branchFor } from '../../src/fleet/plan.js';
import { createLogger } from '../../src/log/logger.js';
import type { K8sObject } from '../../src/model.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';
import { REPO, smallFleet } from './fleet.js';
import { instantiate, schemaProblems } from './schemas.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kiln-boot-'));
  dirs.push(d);
  return d;
};
const g = (cwd: string) => defaultGlobals({ cwd, logger: createLogger({ level: 'silent' }) });

const ALL = ['dev-eu-1', 'dev-us-1', 'prod-eu-1', 'staging-eu-1'];
const objectsOf = (r: ReturnType<typeof planBootstrap>) => r.files.flatMap((f) => f.objects);
const ofKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind) as Array<K8sObject & { spec: any }>;
const byCluster = (o: K8sObject) => o.metadata.labels?.['kiln.dev/cluster'];

function expectValid(objs: K8sObject[]): void {
  expect(objs.length).toBeGreaterThan(0);
  for (const o of objs) expect(schemaProblems(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
}

/** The printed stream, parsed back: what `kubectl apply -f -` would read. */
function streamObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as K8sObject;
  });
}

describe('schema checks catch mistakes (so a pass means something)', () => {
  it('rejects a bad duration, a wrong type and a missing required field', () => {
    const [repo, ks] = objectsOf(planBootstrap(smallFleet(), { target: 'flux', repoUrl: REPO, clusters: ['dev-eu-1'] })) as Array<K8sObject & { spec: any }>;
    expect(schemaProblems({ ...repo!, spec: { ...repo!.spec, url: 42 } }).join()).toMatch(/string/);
    expect(schemaProblems({ ...repo!, spec: { ...repo!.spec, interval: '5 minutes' } }).join()).toMatch(/pattern/);
    expect(schemaProblems({ ...ks!, spec: { ...ks!.spec, prune: 'true' } }).join()).toMatch(/boolean/);
    const { sourceRef: _, ...noSource } = ks!.spec;
    expect(schemaProblems({ ...ks!, spec: noSource }).join()).toMatch(/sourceRef/);
  });
});

describe('kiln bootstrap flux', () => {
  const config = smallFleet();
  const r = planBootstrap(config, { target: 'flux', repoUrl: REPO });

  it('emits a valid GitRepository and Kustomization per cluster, sorted by cluster', () => {
    const objs = objectsOf(r);
    expectValid(objs);
    expect(r.files.map((f) => f.file)).toEqual(ALL.map((c) => `${c}.yaml`));
    expect(ofKind(objs, 'GitRepository').map(byCluster)).toEqual(ALL);
    expect(ofKind(objs, 'Kustomization').map(byCluster)).toEqual(ALL);
  });

  it('points each cluster at its own branch and applies ./<output.path> with prune and wait', () => {
    for (const f of r.files) {
      const [repo, ks] = f.objects as Array<K8sObject & { spec: any }>;
      const c = config.clusters.find((x) => x.name === f.clusters[0])!;
      expect(repo!.kind).toBe('GitRepository');
      expect(repo!.spec.url).toBe(REPO);
      expect(repo!.spec.ref).toEqual({ branch: branchFor(config, c) });
      expect(repo!.spec.ref.branch).toBe(`rendered/${c.environment}/${c.name}`);
      expect(repo!.spec.interval).toBe('5m');
      expect(repo!.spec.secretRef).toBeUndefined();
      expect(ks!.kind).toBe('Kustomization');
      expect(ks!.spec).toMatchObject({ path: './manifests', prune: true, wait: true, interval: '5m', timeout: '5m' });
      expect(ks!.spec.sourceRef).toEqual({ kind: 'GitRepository', name: repo!.metadata.name });
      expect(ks!.metadata.namespace).toBe('flux-system');
      expect(repo!.metadata.namespace).toBe('flux-system');
      expect(repo!.metadata.name).toBe(`kiln-${c.name}`);
    }
  });

  it('uses a templated output.path per cluster and the optional flags', () => {
    const r2 = planBootstrap(smallFleet({ path: 'clusters/{{ .Cluster.name }}/' }), {
      target: 'flux', repoUrl: 'ssh://git@git.example.com/platform/fleet.git', namespace: 'gitops', interval: '1m30s', timeout: '10m', secretRef: 'fleet-git',
    });
    expectValid(objectsOf(r2));
    for (const [repo, ks] of r2.files.map((f) => f.objects as Array<K8sObject & { spec: any }>)) {
      expect(ks!.spec.path).toBe(`./clusters/${byCluster(ks!)}`);
      expect(repo!.spec).toMatchObject({ interval: '1m30s', secretRef: { name: 'fleet-git' } });
      expect(ks!.spec).toMatchObject({ interval: '1m30s', timeout: '10m' });
      expect(ks!.metadata.namespace).toBe('gitops');
    }
  });

  it('narrows to the selection', () => {
    const dev = planBootstrap(config, { target: 'flux', repoUrl: REPO, envs: ['dev'] });
    expect(dev.files.map((f) => f.clusters[0])).toEqual(['dev-eu-1', 'dev-us-1']);
    expect(objectsOf(dev).every((o) => byCluster(o)!.startsWith('dev-'))).toBe(true);
    expect(planBootstrap(config, { target: 'flux', repoUrl: REPO, clusters: ['prod-eu-1'] }).files.map((f) => f.file)).toEqual(['prod-eu-1.yaml']);
  });
});

describe('kiln bootstrap argocd', () => {
  const config = smallFleet();
  const apps = (o: Omit<BootstrapOptions, 'target' | 'repoUrl'> = {}) => ofKind(objectsOf(planBootstrap(config, { target: 'argocd', repoUrl: REPO, ...o })), 'Application');

  it('emits one valid Application per cluster for its own (in-cluster) Argo CD', () => {
    const list = apps();
    expectValid(list);
    expect(list.map(byCluster)).toEqual(ALL);
    for (const a of list) {
      const c = config.clusters.find((x) => x.name === byCluster(a))!;
      expect(a.metadata.namespace).toBe('argocd');
      expect(a.spec.project).toBe('default');
      expect(a.spec.source).toEqual({ repoURL: REPO, targetRevision: branchFor(config, c), path: 'manifests', directory: { recurse: true } });
      expect(a.spec.destination).toEqual({ server: 'https://kubernetes.default.svc' });
      // no CreateNamespace=true: without a destination namespace it would do nothing (Namespaces are rendered)
      expect(a.spec.syncPolicy).toEqual({ automated: { prune: true, selfHeal: true } });
      expect(a.spec.destination.namespace).toBeUndefined();
    }
  });

  it('targets clusters by name for a hub Argo CD (a label may rename the destination)', () => {
    const list = apps({ destinationServer: 'from-label', namespace: 'gitops' });
    expectValid(list);
    expect(list.map((a) => a.spec.destination)).toEqual([{ name: 'dev-eu-1' }, { name: 'dev-us-1' }, { name: 'prod-eu-1-hub' }, { name: 'staging-eu-1' }]);
    expect(list.every((a) => a.metadata.namespace === 'gitops')).toBe(true);
  });

  it('--application-set: one valid ApplicationSet listing every selected cluster once; its Applications equal the hub ones', () => {
    const r = planBootstrap(config, { target: 'argocd', repoUrl: REPO, applicationSet: true });
    expect(r.mode).toBe('applicationset');
    expect(r.files.map((f) => f.file)).toEqual(['kiln-acme.yaml']);
    const [set, ...rest] = objectsOf(r) as Array<K8sObject & { spec: any }>;
    expect(rest).toEqual([]);
    expectValid([set!]);
    expect(set!.spec.goTemplate).toBe(true);
    const elements = set!.spec.generators[0].list.elements as Array<Record<string, string>>;
    expect(elements.map((e) => e.cluster)).toEqual(ALL);
    const hub = apps({ destinationServer: 'from-label' });
    elements.forEach((e, i) => {
      expect(e.branch).toBe(branchFor(config, config.clusters.find((c) => c.name === e.cluster)!));
      const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...(instantiate(set!.spec.template, e) as object) } as K8sObject & { spec: any };
      app.metadata.namespace = 'argocd';
      expectValid([app]);
      expect(app.metadata.name).toBe(hub[i]!.metadata.name);
      expect(app.spec).toEqual(hub[i]!.spec);
    });
    const dev = planBootstrap(config, { target: 'argocd', repoUrl: REPO, applicationSet: true, envs: ['dev'] });
    expect((dev.files[0]!.objects[0] as any).spec.generators[0].list.elements.map((e: any) => e.cluster)).toEqual(['dev-eu-1', 'dev-us-1']);
  });

  it('the ApplicationSet is named after what it selects: two --env runs write two objects and files, stable, DNS-1123, ≤ 63', async () => {
    const set = (o: Omit<BootstrapOptions, 'target' | 'repoUrl'>) => planBootstrap(config, { target: 'argocd', repoUrl: REPO, applicationSet: true, ...o }).files[0]!;
    const dev = set({ envs: ['dev'] });
    const prod = set({ envs: ['prod'] });
    expect([dev.file, prod.file]).toEqual(['kiln-acme-env-dev.yaml', 'kiln-acme-env-prod.yaml']);
    expect(dev.objects[0]!.metadata.name).toBe('kiln-acme-env-dev');
    expect(set({ clusters: ['prod-eu-1'] }).objects[0]!.metadata.name).toBe('kiln-acme-cluster-prod-eu-1');
    // several values: sorted whatever the flag order, a hash keeps `a_b` apart from a value `a-b`
    const both = set({ envs: ['prod', 'dev'] }).objects[0]!.metadata.name;
    expect(set({ envs: ['dev', 'prod'] }).objects[0]!.metadata.name).toBe(both);
    expect(both).toMatch(/^kiln-acme-env-dev-prod-[0-9a-f]{8}$/);
    const long = String(set({ clusters: ALL, profiles: config.profiles.map((p) => p.name) }).objects[0]!.metadata.name);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long).toMatch(/-[0-9a-f]{8}$/);
    // written side by side: the second run leaves the first's file alone
    const out = path.join(tmp(), 'boot');
    for (const env of ['dev', 'prod']) await bootstrap(g(fixturesFleet), { target: 'argocd', repoUrl: REPO, applicationSet: true, envs: [env], out });
    expect(readdirSync(out).sort()).toEqual(['kiln-example-env-dev.yaml', 'kiln-example-env-prod.yaml']);
  });
});

describe('output', () => {
  it('stdout: one YAML stream holding every object, with where-to-apply comments', () => {
    const r = planBootstrap(smallFleet(), { target: 'flux', repoUrl: REPO });
    const text = formatBootstrap(r);
    expect(streamObjects(text)).toEqual(objectsOf(r));
    expect(text).toContain('# Apply in cluster "dev-us-1"');
    expect(text.endsWith('\n')).toBe(false); // the CLI's print adds it
  });

  it('--out writes one file per cluster and nothing else; byte-identical across runs', async () => {
    for (const target of ['flux', 'argocd'] as const) {
      const out = path.join(tmp(), 'boot');
      const r1 = await bootstrap(g(fixturesFleet), { target, repoUrl: REPO, out });
      const names = readdirSync(out).sort();
      expect(names).toEqual(['dev-eu-1', 'dev-us-1', 'prod-ap-1', 'prod-eu-1', 'prod-us-1', 'staging-eu-1'].map((c) => `${c}.yaml`));
      const first = names.map((n) => readFileSync(path.join(out, n), 'utf8'));
      for (const [i, f] of r1.files.entries()) {
        expect(first[i]).toBe(f.text);
        const objs = streamObjects(first[i]!);
        expectValid(objs);
        expect(new Set(objs.map(byCluster))).toEqual(new Set([f.clusters[0]]));
      }
      const r2 = await bootstrap(g(fixturesFleet), { target, repoUrl: REPO, out });
      expect(readdirSync(out).sort()).toEqual(names);
      expect(names.map((n) => readFileSync(path.join(out, n), 'utf8'))).toEqual(first);
      expect(formatBootstrap(r2)).toContain(`${r2.clusters.length} cluster(s)`);
    }
  });

  it('stdout is byte-identical across runs, in every mode', async () => {
    for (const o of [{ target: 'flux' }, { target: 'argocd' }, { target: 'argocd', applicationSet: true }] as const) {
      const a = formatBootstrap(await bootstrap(g(fixturesFleet), { ...o, repoUrl: REPO }));
      const b = formatBootstrap(await bootstrap(g(fixturesFleet), { ...o, repoUrl: REPO }));
      expect(a).toBe(b);
      expectValid(streamObjects(a));
    }
  });

  it('through loadConfig: the example fleet, narrowed by --env', async () => {
    const r = await bootstrap(g(fixturesFleet), { target: 'flux', repoUrl: REPO, envs: ['prod'] });
    expect(r.clusters.map((c) => [c.name, c.branch])).toEqual([
      ['prod-ap-1', 'rendered/prod/prod-ap-1'],
      ['prod-eu-1', 'rendered/prod/prod-eu-1'],
      ['prod-us-1', 'rendered/prod/prod-us-1'],
    ]);
    expect(ofKind(objectsOf(r), 'GitRepository').map((o) => o.spec.ref.branch)).toEqual(r.clusters.map((c) => c.branch));
  });
});

describe('names', () => {
  it('are DNS-1123 labels of at most 63 characters, distinct for distinct clusters', () => {
    expect(objectName('dev-eu-1')).toBe('kiln-dev-eu-1');
    const a = objectName('a'.repeat(61) + 'xy');
    const b = objectName('a'.repeat(61) + 'xz');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
