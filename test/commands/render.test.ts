import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedTools } from '../../src/render/tools-install.js';
import { parse } from 'yaml';
import { kiln, withoutProgress } from '../helpers/cli.js';
import { fixturesFleet, makeFleetRepo, readTree, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

const CLUSTERS = ['dev-eu-1', 'dev-us-1', 'prod-ap-1', 'prod-eu-1', 'prod-us-1', 'staging-eu-1'];

describe('kiln render on the example fleet', () => {
  let repo: FleetRepo;
  let out1: string;
  let first: Awaited<ReturnType<typeof kiln>>;
  beforeAll(async () => {
    repo = makeFleetRepo();
    out1 = tmp();
    first = await kiln('render', '--cwd', repo.fleet, '--out', out1, '--json');
  });
  afterAll(() => repo.cleanup());

  it('writes exactly each cluster\'s branch files', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(out1).sort()).toEqual(CLUSTERS);
    for (const c of CLUSTERS) {
      const files = [...readTree(path.join(out1, c)).keys()];
      expect(files).toContain('README.md');
      expect(files).toContain('.kiln/metadata.yaml');
      for (const f of files.filter((f) => f !== 'README.md' && f !== '.kiln/metadata.yaml')) {
        expect(f).toMatch(/^manifests\/[a-z0-9-]+\/[a-z0-9][a-z0-9.-]*\.yaml$/);
      }
    }
    const json = JSON.parse(first.stdout);
    expect(json.clusters.map((c: { name: string }) => c.name)).toEqual(CLUSTERS);
  });

  it('is deterministic: a second render is byte-identical', async () => {
    const out2 = tmp();
    const again = await kiln('render', '--cwd', repo.fleet, '--out', out2, '--concurrency', '1');
    expect(again.code, again.stderr).toBe(0);
    for (const c of CLUSTERS) expect(readTree(path.join(out2, c))).toEqual(readTree(path.join(out1, c)));
  });

  it('renders per-cluster Capabilities, templated values, patches and tiers as configured', () => {
    const prod = readTree(path.join(out1, 'prod-eu-1'));
    const devUs = readTree(path.join(out1, 'dev-us-1'));
    const deploy = parse(prod.get('manifests/web/web--deployment--web.yaml')!);
    expect(deploy.spec.replicas).toBe(3); // "{{ .Vars.replicas }}" kept its number type
    const web = deploy.spec.template.spec.containers.find((c: { name: string }) => c.name === 'web');
    expect(web.env).toEqual([
      { name: 'LOG_LEVEL', value: 'warn' },
      { name: 'CLUSTER_REGION', value: 'eu' },
      { name: 'LISTEN_ADDR', value: ':8080' },
    ]);
    expect(deploy.spec.template.spec.priorityClassName).toBe('production-critical'); // cluster patch
    expect(deploy.metadata.annotations['kiln.dev/profile']).toBe('web'); // JSON 6902 by label selector
    // kubeVersion 1.29 has no PDB; no monitoring.coreos.com/v1 → no ServiceMonitor; test hook dropped, pre-install hook kept
    expect(prod.has('manifests/web/web--poddisruptionbudget--web.yaml')).toBe(true);
    expect(devUs.has('manifests/web/web--poddisruptionbudget--web.yaml')).toBe(false);
    expect(devUs.has('manifests/web/web--servicemonitor--web.yaml')).toBe(false);
    expect([...prod.keys()].some((f) => f.includes('smoke-test'))).toBe(false);
    expect(parse(prod.get('manifests/web/web--job--web-migrate.yaml')!).metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    // the CRD stays cluster-scoped, the ConfigMap from the vendored subchart got the release namespace
    expect(parse(prod.get('manifests/web/customresourcedefinition--widgets.demo.kiln.dev.yaml')!).metadata.namespace).toBeUndefined();
    expect(prod.get('manifests/web/web--configmap--web-common.yaml')).toContain('feature-flags: "on"');
    // tier: edge-network (5) beats namespaces (10) for web/default-deny on edge clusters, with a warning
    expect(devUs.has('manifests/edge-network/web--networkpolicy--default-deny.yaml')).toBe(true);
    expect(devUs.has('manifests/namespaces/web--networkpolicy--default-deny.yaml')).toBe(false);
    expect(first.stderr).toMatch(/"edge-network" wins/);
  });

  it('records provenance in .kiln/metadata.yaml and the README', async () => {
    const prod = readTree(path.join(out1, 'prod-eu-1'));
    const meta = parse(prod.get('.kiln/metadata.yaml')!);
    expect(meta.sourceCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(meta.environment).toBe('prod');
    // the pinned set setup builds, Helm 4 as the default helm
    const pinned = Object.fromEntries((await pinnedTools()).map((t) => [t.name, t.version]));
    expect(meta.tools).toEqual({ helm: pinned.helm, jsonnet: pinned.jsonnet, kustomize: pinned.kustomize, ytt: pinned.ytt });
    expect(meta.tools.helm).toMatch(/^v4\./);
    expect(meta.profiles.web.components[0].command.slice(0, 4)).toEqual(['helm', 'template', 'web', 'charts/web']);
    expect(meta.profiles.web.components[0].inputHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta.objects).toBe([...prod.keys()].filter((f) => f.startsWith('manifests/')).length);
    expect(prod.get('README.md')).toContain('kiln render --cluster prod-eu-1');
  });

  it('shards partition the fleet and together equal the whole render', async () => {
    const seen: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const out = tmp();
      const r = await kiln('render', '--cwd', repo.fleet, '--out', out, '--shard', `${i}/3`);
      expect(r.code, r.stderr).toBe(0);
      for (const c of readdirSync(out)) {
        seen.push(c);
        expect(readTree(path.join(out, c))).toEqual(readTree(path.join(out1, c)));
      }
    }
    expect(seen.sort()).toEqual(CLUSTERS);
  });

  it('--profile renders whole clusters, only those the profile lands on', async () => {
    const out = tmp();
    const r = await kiln('render', '--cwd', repo.fleet, '--out', out, '--profile', 'team-app');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dev-eu-1', 'prod-eu-1', 'staging-eu-1']);
    expect(readTree(path.join(out, 'prod-eu-1'))).toEqual(readTree(path.join(out1, 'prod-eu-1')));
  });
});

describe('CLI contracts', () => {
  it('ls --json has the documented shape', async () => {
    const r = await kiln('ls', '--cwd', fixturesFleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const dev = j.clusters.find((c: { name: string }) => c.name === 'dev-us-1');
    expect(dev).toMatchObject({ name: 'dev-us-1', environment: 'dev', branch: 'rendered/dev/dev-us-1' });
    // dependsOn order (namespaces before its dependants), ties by name
    expect(dev.profiles).toEqual(['edge-network', 'namespaces', 'monitoring', 'policies', 'web']);
    const teamApp = j.profiles.find((p: { name: string }) => p.name === 'team-app');
    expect(teamApp.clusters).toEqual(['dev-eu-1', 'prod-eu-1', 'staging-eu-1']);
  });

  it('global flags work after the command too, and validate needs no tools', async () => {
    const r = await kiln('validate', '--json', '--cwd', fixturesFleet);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, clusters: 6, profiles: 6 });
  });

  it('equal tiers are an error naming both profiles, exit 1, one line, no stack trace', async () => {
    const dir = tmp();
    cpSync(fixturesFleet, dir, { recursive: true });
    const p = path.join(dir, 'profiles/edge-network.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('tier: 5', 'tier: 10'));
    const r = await kiln('render', '--cwd', dir, '--out', tmp(), '--cluster', 'dev-us-1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cluster "dev-us-1": profiles "(namespaces|edge-network)" and "(namespaces|edge-network)" both render networking.k8s.io\/NetworkPolicy web\/default-deny with tier 10/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a renderer failure names profile, component, cluster and the tool\'s message', async () => {
    const dir = tmp();
    cpSync(fixturesFleet, dir, { recursive: true });
    writeFileSync(path.join(dir, 'charts/web/templates/broken.yaml'), '{{ .Values.nope.deeper }}\n');
    const r = await kiln('render', '--cwd', dir, '--out', tmp(), '--cluster', 'prod-eu-1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/profile "web", component "web", cluster "prod-eu-1": helm template failed: .*nil pointer evaluating interface \{\}\.deeper/);
    expect(withoutProgress(r.stderr).trim().split('\n')).toHaveLength(1); // one error line; the stages before it may be named
  });

  it('a malformed KILN_TOOL_TIMEOUT_MS is a user error, not a silent default', async () => {
    process.env.KILN_TOOL_TIMEOUT_MS = 'abc';
    try {
      const r = await kiln('render', '--cwd', fixturesFleet, '--out', tmp());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/KILN_TOOL_TIMEOUT_MS="abc" is not a positive number/);
    } finally {
      delete process.env.KILN_TOOL_TIMEOUT_MS;
    }
  });

  it('unknown selections and bad flags are user errors', async () => {
    expect((await kiln('render', '--cwd', fixturesFleet, '--out', tmp(), '--cluster', 'nope')).stderr).toMatch(/--cluster "nope" is not a cluster/);
    expect((await kiln('render', '--cwd', fixturesFleet, '--out', tmp(), '--shard', '4/3')).code).toBe(1);
    expect((await kiln('render', '--cwd', fixturesFleet)).code).toBe(1); // --out missing
    expect((await kiln('frobnicate')).code).toBe(1);
  });
});
