import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGlobals } from '../../src/commands/options.js';
import { promote, type PromoteOptions } from '../../src/commands/promote.js';
import { KilnError } from '../../src/errors.js';
import { createLogger } from '../../src/log/logger.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ENV_CLUSTERS, FakeScm, branchOf, carried, headMessage, promoteFleet } from './helpers.js';

const base = (to: string): PromoteOptions => ({ to, remote: 'origin', dryRun: false, pr: false, requireStatus: [], allowRollback: false, force: false });

async function refusal(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('health gate and --pr against a fake forge', () => {
  let repo: FleetRepo;
  const g = () => defaultGlobals({ cwd: repo.fleet, logger: createLogger({ level: 'silent' }) });
  beforeAll(async () => {
    repo = promoteFleet();
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
  });
  afterAll(() => repo.cleanup());

  it('--require-status refuses (exit 3, naming clusters) unless the context is success on every dev head', async () => {
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev')).code).toBe(0);
    const heads = remoteBranches(repo.remote);
    const [h0, h3] = ENV_CLUSTERS.dev!.map((c) => heads.get(branchOf(c))!);
    const scm = new FakeScm();
    scm.statuses.set(`${h0} flux/healthy`, 'success');
    scm.statuses.set(`${h3} flux/healthy`, 'pending');
    const before = remoteBranches(repo.remote);
    const e = await refusal(promote(g(), { ...base('staging'), requireStatus: ['flux/healthy'] }, { scm }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/"flux\/healthy" is pending for dev-c0003/);
    expect(e.message).not.toMatch(/dev-c0000/);
    expect(scm.asked.map((a) => a.sha).sort()).toEqual([h0, h3].sort());
    scm.statuses.set(`${h3} flux/healthy`, 'failure');
    expect((await refusal(promote(g(), { ...base('staging'), requireStatus: ['flux/healthy'] }, { scm }))).message).toMatch(/is failure for dev-c0003/);
    expect(remoteBranches(repo.remote)).toEqual(before);

    scm.statuses.set(`${h3} flux/healthy`, 'success');
    const r = await promote(g(), { ...base('staging'), requireStatus: ['flux/healthy'] }, { scm });
    expect(r.checks.map((c) => c.state)).toEqual(['success', 'success']);
    for (const c of ENV_CLUSTERS.staging!) expect(carried(repo, c)).toBe(r.sourceCommit);
  });

  it('--pr pushes kiln/promote/<to>/<sha>/<cluster> on top of each target head, opens one request per branch, and updates it on re-run', async () => {
    const scm = new FakeScm();
    const before = remoteBranches(repo.remote);
    const r = await promote(g(), { ...base('prod'), pr: true }, { scm });
    const sha = r.sourceCommit;
    expect(sha).toBe(carried(repo, 'staging-c0001'));
    const heads = ENV_CLUSTERS.prod!.map((c) => `kiln/promote/prod/${sha.slice(0, 12)}/${c}`);
    expect(r.requests.map((q) => [q.head, q.base, q.pullRequest?.action])).toEqual(ENV_CLUSTERS.prod!.map((c, i) => [heads[i], branchOf(c), 'created']));
    const after = remoteBranches(repo.remote);
    // the target branches did not move; each promote branch is one commit on top of its target's head
    for (const c of ENV_CLUSTERS.prod!) expect(after.get(branchOf(c))).toBe(before.get(branchOf(c)));
    ENV_CLUSTERS.prod!.forEach((c, i) => {
      expect(gitIn(repo.remote, 'rev-parse', `${heads[i]}^`)).toBe(before.get(branchOf(c)));
      expect(showFile(repo.remote, heads[i]!, 'manifests/base/base--configmap--settings.yaml')).toContain('version: "2"');
      expect(headMessage(repo, heads[i]!)).toContain(`Kiln-Source-Commit: ${sha}`);
    });
    const pr = scm.prs.get(`${heads[0]} ${branchOf('prod-c0002')}`)!;
    expect(pr.title).toBe(`promote prod: ${sha.slice(0, 12)} v2 (prod-c0002)`);
    expect(pr.body).toContain('| `prod-c0002` | `rendered/prod/prod-c0002` | 0 | 1 | 0 |');
    expect(pr.body).toContain(`<!-- kiln:promote prod ${sha} -->`);
    // the rendered diff it promotes, as kiln diff shows it
    expect(pr.body).toContain('### kiln diff: 1 of 1 cluster change (0 added, 1 changed, 0 removed)');
    expect(pr.body).toContain('-  version: "1"\n+  version: "2"');
    expect(pr.body).not.toContain('<!-- kiln:diff -->');

    // a re-run updates the same requests (and force-moves the promote branches), opening none
    const again = await promote(g(), { ...base('prod'), pr: true }, { scm });
    expect(again.requests.map((q) => q.pullRequest?.action)).toEqual(['updated', 'updated']);
    expect(scm.prs.size).toBe(2);
    expect(scm.upserts).toBe(4);
    expect([...remoteBranches(repo.remote).keys()].filter((b) => b.startsWith('kiln/promote/')).sort()).toEqual(heads);
  });

  it('--pr without a forge, and --require-status without one, are one-line errors', async () => {
    expect((await refusal(promote(g(), { ...base('prod'), pr: true }))).message).toMatch(/--pr needs a forge/);
    expect((await refusal(promote(g(), { ...base('prod'), requireStatus: ['x'] }))).message).toMatch(/--require-status needs a forge/);
  });
});

describe('--pr on an environment-branch layout', () => {
  it('opens one combined request per environment from kiln/promote/<to>/<sha>', async () => {
    const repo = promoteFleet(undefined, true);
    try {
      expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
      setGenVersion(repo.fleet, '2');
      repo.commit('v2');
      expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev')).code).toBe(0);
      const scm = new FakeScm();
      const g = defaultGlobals({ cwd: repo.fleet, logger: createLogger({ level: 'silent' }) });
      const r = await promote(g, { ...base('staging'), pr: true }, { scm });
      expect(r.requests.map((q) => [q.head, q.base])).toEqual([[`kiln/promote/staging/${r.sourceCommit.slice(0, 12)}`, 'env/staging']]);
      const body = [...scm.prs.values()][0]!.body;
      expect(body).toContain('| `staging-c0001,staging-c0004` | `env/staging` | 0 | 2 | 0 |');
      expect(body).toContain('**`ConfigMap base/settings`** (profile `base`): changed');
    } finally {
      repo.cleanup();
    }
  });
});
