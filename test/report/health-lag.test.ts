import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGlobals } from '../../src/commands/options.js';
import { report } from '../../src/commands/report.js';
import { createLogger } from '../../src/log/logger.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { FakeScm, branchOf, promoteFleet } from '../promote/helpers.js';

describe('kiln report: lag behind the previous environment and health from commit statuses', () => {
  let repo: FleetRepo;
  let v2: string;
  beforeAll(async () => {
    repo = promoteFleet();
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    setGenVersion(repo.fleet, '2');
    v2 = repo.commit('v2');
    expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--log-level', 'error')).code).toBe(0);
  });
  afterAll(() => repo?.cleanup());

  it('staging trails dev by one commit, prod matches staging; health is the worst state of the contexts', async () => {
    const scm = new FakeScm();
    const head = (c: string) => gitIn(repo.remote, 'rev-parse', branchOf(c));
    scm.statuses.set(`${head('dev-c0000')} ci/e2e`, 'success');
    scm.statuses.set(`${head('dev-c0000')} ci/smoke`, 'success');
    scm.statuses.set(`${head('dev-c0003')} ci/e2e`, 'success');
    scm.statuses.set(`${head('dev-c0003')} ci/smoke`, 'failure');
    scm.statuses.set(`${head('staging-c0001')} ci/e2e`, 'pending');
    const out = path.join(repo.dir, 'site');
    const g = defaultGlobals({ cwd: repo.fleet, logger: createLogger({ level: 'silent' }) });
    const r = await report(g, { out, remote: 'origin', healthContexts: ['ci/e2e', 'ci/smoke'] }, { scm });
    const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(r.data).toEqual(data);
    const c = (n: string) => data.clusters.find((x: { name: string }) => x.name === n);
    expect(c('dev-c0000')).toMatchObject({ sourceCommit: v2, behind: 0, ahead: 0, health: 'success' });
    expect(c('dev-c0003')).toMatchObject({ health: 'failure' });
    expect(c('staging-c0001')).toMatchObject({ behind: 1, ahead: 0, health: 'pending' });
    expect(c('staging-c0004')).toMatchObject({ behind: 1, health: 'missing' });
    expect(c('prod-c0002')).toMatchObject({ behind: 0, health: 'missing' });
    const staging = data.environments.find((e: { name: string }) => e.name === 'staging');
    expect(staging.reference).toEqual({ name: 'dev', commit: v2 });
    expect(staging.clusters.map((x: { health: string }) => x.health)).toEqual(['pending', 'missing']);
    expect(data.healthContexts).toEqual(['ci/e2e', 'ci/smoke']);
  });

  it('without a forge token health is unknown, with a warning, and the report is still written', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (/^(GITHUB_|GH_|GITLAB_|CI_)/.test(k)) delete process.env[k];
    try {
      const out = path.join(repo.dir, 'site2');
      const r = await kiln('report', '--out', out, '--cwd', repo.fleet, '--health-context', 'ci/e2e', '--forge', 'github', '--forge-repo', 'o/r');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/health is unknown: GitHub needs a token/);
      const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(new Set(data.clusters.map((x: { health: string }) => x.health))).toEqual(new Set(['unknown']));
    } finally {
      process.env = saved;
    }
  });
});

describe('kiln report on a fleet published only in part', () => {
  let repo: FleetRepo;
  afterAll(() => repo?.cleanup());
  it('clusters without a branch are listed as not published, with what they should run', async () => {
    repo = promoteFleet();
    expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--log-level', 'error')).code).toBe(0);
    const out = path.join(repo.dir, 'site');
    const r = await kiln('report', '--out', out, '--cwd', repo.fleet, '--json', '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ clusters: 6, published: 2 });
    const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    const prod = data.clusters.find((x: { name: string }) => x.name === 'prod-c0002');
    expect(prod).toMatchObject({ published: false, profiles: ['base'], objects: [], images: [], health: 'unknown' });
    expect(prod.sourceCommit).toBeUndefined();
    expect(data.clusters.find((x: { name: string }) => x.name === 'dev-c0000')).toMatchObject({ published: true, kinds: { ConfigMap: 1, ServiceAccount: 1 } });
    // staging has nothing to compare with past dev; prod's reference is absent because staging runs nothing
    expect(data.environments.find((e: { name: string }) => e.name === 'prod').reference).toBeUndefined();
  });
});

describe('kiln report with clusters sharing an environment branch', () => {
  let repo: FleetRepo;
  afterAll(() => repo?.cleanup());
  it('splits the branch by each cluster\'s output path and reads its own provenance', async () => {
    repo = promoteFleet(undefined, true);
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const out = path.join(repo.dir, 'site');
    const r = await kiln('report', '--out', out, '--cwd', repo.fleet, '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    const c = data.clusters.find((x: { name: string }) => x.name === 'staging-c0004');
    expect(c).toMatchObject({ branch: 'env/staging', published: true, kinds: { ConfigMap: 1, ServiceAccount: 1 } });
    expect(c.objects.every((o: { path: string }) => o.path.startsWith('clusters/staging-c0004/'))).toBe(true);
    expect(c.components).toEqual([expect.objectContaining({ profile: 'base', name: 'base', engine: 'manifests' })]);
    const staging = data.environments.find((e: { name: string }) => e.name === 'staging');
    expect(staging.clusters).toEqual([expect.objectContaining({ cluster: 'staging-c0001,staging-c0004', branch: 'env/staging', behind: 0 })]);
  });
});
