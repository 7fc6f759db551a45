/**
 * The reusable workflow (.github/workflows/kiln.yml) and the composite action (pipelines/github), run by
 * nektos/act on this host, called from the workflow `kiln init --ci github` writes. Real: the workflow's
 * `workflow_call` inputs and secrets, job `needs`/`if:`, the matrix of shards, the action's inputs,
 * outputs, steps, expressions, GITHUB_OUTPUT and the step summary, kiln itself, git pushes into a bare
 * repo, the PR comment against a local GitHub API checked with GitHub's OpenAPI description.
 * Doubles (./doubles): actions/checkout, setup-node, setup-go, cache, upload/download-artifact and the
 * Pages actions; act's own cache and artifact servers are off.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { githubWorkflow } from '../../src/init/ci-files.js';
import { gitIn, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';
import { tmp } from '../helpers/tools.js';
import { ENV_CLUSTERS, branchOf, headMessage, promoteFleet } from '../promote/helpers.js';
import { FakeGitHub } from '../scm/fake-github.js';
import { kilnRepoCopy, runAct, type ActOptions, type ActRun } from './act.js';
import { pinnedVersions, restoredToolsDir } from './env.js';

const HOLIDAYS = '2025-12-24T09:00:00Z';
const FREEZE = `      freeze:\n        - start: "2025-12-20T00:00:00Z"\n          end: "2026-01-05T00:00:00Z"\n          reason: holidays\n`;
const ALL = Object.values(ENV_CLUSTERS).flat();

describe('the reusable workflow and the composite action under act', { timeout: 600_000 }, () => {
  let repo: FleetRepo;
  let base: string;
  let kilnRepo: string;
  let gh: FakeGitHub;
  let toolsDir: string;
  let runs = 0;

  beforeAll(async () => {
    repo = promoteFleet();
    base = tmp('kiln-act-');
    kilnRepo = kilnRepoCopy(path.join(base, 'kiln'));
    toolsDir = restoredToolsDir(path.join(base, 'tools'), pinnedVersions(readFileSync(path.join(kilnRepo, 'scripts/setup.sh'), 'utf8')));
    gh = await new FakeGitHub().start();
    // prod is frozen over the holidays (KILN_NOW puts a run there)
    const kilnYaml = path.join(repo.fleet, 'kiln.yaml');
    writeFileSync(kilnYaml, readFileSync(kilnYaml, 'utf8').replace('    - name: prod\n', `    - name: prod\n${FREEZE}`));
    // the caller workflow kiln init writes, with 2 shards and the fleet report on Pages
    const workflow = githubWorkflow({ branch: 'main', environments: ['dev', 'staging', 'prod'] }).replace('      shards: 1\n', '      shards: 2\n      pages: true\n');
    mkdirSync(path.join(repo.fleet, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(repo.fleet, '.github/workflows/kiln.yml'), workflow);
    repo.commit('kiln workflow, prod freeze');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
    // act names the repository after this remote (github.repository = acme/fleet)
    gitIn(repo.fleet, 'remote', 'add', 'github', 'https://github.com/acme/fleet.git');
  });
  afterAll(async () => {
    await gh?.stop();
    repo?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const repository = { full_name: 'acme/fleet', name: 'fleet', owner: { login: 'acme' }, default_branch: 'main' };
  const act = (o: Pick<ActOptions, 'event' | 'payload'> & Partial<ActOptions>): Promise<ActRun> =>
    runAct({
      cwd: repo.fleet,
      work: path.join(base, `run-${++runs}`),
      origin: repo.remote,
      kilnRepo,
      secrets: { GITHUB_TOKEN: 'ghs_actTestToken0123456789' },
      ...o,
      // one actions/cache store for all runs, as a repository has; kiln's cache dir is the action's default
      env: { GITHUB_API_URL: gh.url, KILN_TOOLS_DIR: toolsDir, KILN_DOUBLE_CACHE: path.join(base, 'actions-cache'), ...o.env },
    });

  it('a pull request: validate, diff, then one sticky comment on the PR through the API', async () => {
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    gitIn(repo.fleet, 'checkout', '--quiet', '-b', 'feature');
    setGenVersion(repo.fleet, '2');
    const head = repo.commit('v2');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'feature');
    const pr = { number: 7, base: { sha: baseSha, ref: 'main' }, head: { sha: head, ref: 'feature', repo: { full_name: 'acme/fleet' } } };
    const r = await act({ event: 'pull_request', payload: { action: 'opened', number: 7, pull_request: pr, repository } });
    gitIn(repo.fleet, 'checkout', '--quiet', 'main');
    expect(r.code, r.log).toBe(0);
    for (const job of ['validate', 'diff', 'comment']) expect(r.job(job), job).toContain('Job succeeded');
    // publish, promote and the report are for other events: their jobs never start
    for (const job of ['publish', 'promote', 'promote-pr', 'report']) expect(r.job(job), job).toBe('');
    expect(gh.violations).toEqual([]);
    const comments = gh.comments.filter((c) => c.issue === 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('dev-c0000');
    // the diff job's markdown went into its step summary too (the action's GITHUB_STEP_SUMMARY)
    expect(r.job('diff')).toMatch(/Summary - [\s\S]*dev-c0000/);
    expect([...remoteBranches(repo.remote).keys()].filter((b) => b.startsWith('rendered/'))).toEqual([]);
  });

  it('a pull request from a fork: validate and diff run (summary only); no job holds a write token, no comment', async () => {
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'main');
    gitIn(repo.fleet, 'checkout', '--quiet', '-b', 'from-fork');
    setGenVersion(repo.fleet, '3');
    const head = repo.commit('v3 from a fork');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'from-fork');
    const before = gh.comments.length;
    const pr = { number: 8, base: { sha: baseSha, ref: 'main' }, head: { sha: head, ref: 'from-fork', repo: { full_name: 'mallory/fleet' } } };
    const r = await act({ event: 'pull_request', payload: { action: 'opened', number: 8, pull_request: pr, repository } });
    gitIn(repo.fleet, 'checkout', '--quiet', 'main');
    expect(r.code, r.log).toBe(0);
    for (const job of ['validate', 'diff']) expect(r.job(job), job).toContain('Job succeeded');
    expect(r.job('diff')).toMatch(/Summary - [\s\S]*dev-c0000/);
    // the comment job (pull-requests: write) is the one a fork's code must never reach
    for (const job of ['comment', 'publish', 'promote', 'promote-pr', 'report']) expect(r.job(job), job).toBe('');
    expect(gh.comments.length).toBe(before);
    expect(gh.violations).toEqual([]);
  });

  it('a push to main: publish in 2 matrix shards, each branch by one shard, then the report on Pages', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const r = await act({ event: 'push', payload: { ref: 'refs/heads/main', after: sha, repository } });
    expect(r.code, r.log).toBe(0);
    expect(r.job('shards')).toContain('Job succeeded');
    expect(r.job('publish')).toMatch(/Job succeeded[\s\S]*Job succeeded/);
    const branches = remoteBranches(repo.remote);
    for (const c of ALL) {
      expect(branches.has(branchOf(c)), c).toBe(true);
      expect(headMessage(repo, branchOf(c))).toContain(`Kiln-Source-Commit: ${sha}`);
    }
    // each shard pushed its own branches (the action's changed-branches output): disjoint, together all
    const moved = [1, 2].map((i) => {
      const outs = [...r.job(`publish-${i}`).matchAll(/::set-output:: changed-branches=(\[.*\])/g)];
      expect(outs.length, `publish-${i}`).toBeGreaterThan(0);
      return JSON.parse(outs.at(-1)![1]!) as string[];
    });
    expect(moved.flat().sort()).toEqual(ALL.map(branchOf).sort());
    // each shard saved kiln's render cache under its own key (actions/cache's post step)
    for (const i of [1, 2]) expect(r.job(`publish-${i}`)).toContain(`Cache saved with key: kiln-cache-Linux-publish-${i}/2-`);
    const report = JSON.parse(readFileSync(path.join(base, `run-${runs}`, 'pages', 'report.json'), 'utf8')) as { clusters: Array<{ name: string }> };
    expect(report.clusters.map((c) => c.name).sort()).toEqual([...ALL].sort());
  });

  it('a manual promotion to prod: refused in a deploy freeze, done with break-glass and recorded', async () => {
    // staging moves on to v2; prod still has v1
    setGenVersion(repo.fleet, '2');
    const v2 = repo.commit('v2 on main');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
    const pub = await spawnKiln(['--cwd', repo.fleet, 'publish', '--env', 'dev,staging']).done;
    expect(pub.code, pub.stderr).toBe(0);
    const before = remoteBranches(repo.remote);
    const dispatch = (inputs: Record<string, string>) => act({ event: 'workflow_dispatch', payload: { ref: 'refs/heads/main', inputs, repository }, env: { KILN_NOW: HOLIDAYS } });

    const frozen = await dispatch({ to: 'prod', 'break-glass': '' });
    expect(frozen.code).not.toBe(0);
    expect(frozen.job('promote')).toMatch(/deploy freeze/);
    expect(remoteBranches(repo.remote)).toEqual(before);

    const glass = await dispatch({ to: 'prod', 'break-glass': 'INC-7 cert expiry' });
    expect(glass.code, glass.log).toBe(0);
    // the promote job started from the render cache an earlier run saved (restore-keys: any kiln-cache of this OS)
    expect(glass.job('promote')).toMatch(/Cache restored from key: kiln-cache-Linux-/);
    for (const c of ENV_CLUSTERS.prod!) {
      const msg = headMessage(repo, branchOf(c));
      expect(msg).toContain(`Kiln-Source-Commit: ${v2}`);
      expect(msg).toContain('Kiln-Break-Glass: INC-7 cert expiry (freeze: prod (holidays))');
    }
  });
});
