/**
 * pipelines/github/action.yml, run step by step as the runner would (see gha.ts): its `run:` steps
 * with bash and the GITHUB_* environment, `${{ }}` evaluated by us. The `uses:` steps
 * (actions/setup-node, actions/cache, actions/setup-go) are not run: Node 24 is already on PATH and a
 * restored tools cache is simulated by a tools dir holding the pinned builds.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, makeFleetRepo, projectRoot, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { kilnHas, lsClusters, pinnedVersions, restoredToolsDir, type LsCluster } from './env.js';
import { runCompositeAction, type ActionRun } from './gha.js';

const actionDir = path.join(projectRoot, 'pipelines/github');

describe('the composite action', { timeout: 300_000 }, () => {
  let repo: FleetRepo;
  let base: string;
  let clusters: LsCluster[];
  let env: Record<string, string>;

  beforeAll(() => {
    repo = makeFleetRepo();
    base = tmp('kiln-gha-env-');
    const versions = pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8'));
    const runnerTemp = path.join(base, 'runner-temp');
    mkdirSync(runnerTemp);
    env = {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: repo.fleet,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_SHA: gitIn(repo.fleet, 'rev-parse', 'HEAD'),
      GITHUB_EVENT_NAME: 'push',
      GITHUB_RUN_ID: '42',
      GITHUB_ACTION: 'kiln',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: runnerTemp,
      // a restored actions/cache: the plan step's tools dir
      KILN_TOOLS_DIR: restoredToolsDir(path.join(base, 'tools'), versions),
      KILN_CACHE_DIR: path.join(base, 'kiln-cache'),
    };
    clusters = lsClusters(repo.fleet);
  });
  afterAll(() => repo?.cleanup());

  const run = (inputs: Record<string, string>): ActionRun => runCompositeAction({ actionDir, inputs, env, github: { token: 'ghs_test_token' } });
  const explain = (r: ActionRun) => r.steps.map((s) => `${s.name}: ${s.status}${s.code ? ` (${s.code})` : ''}\n${s.stderr ?? ''}`).join('\n');

  it('validate needs no render tools', () => {
    const r = run({ command: 'validate' });
    expect(r.ok, explain(r)).toBe(true);
    expect(r.outputs['exit-code']).toBe('0');
    const status = Object.fromEntries(r.steps.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({
      'Set up Node.js': 'skipped-uses',
      Plan: 'ran',
      'Restore the render tools': 'skipped-if',
      "Restore kiln's render cache": 'skipped-if',
      'Set up Go (to build the render tools)': 'skipped-if',
      'Install the render tools': 'skipped-if',
      'Install kiln': 'ran',
      'Run kiln validate': 'ran',
    });
  });

  it('publish installs the tools, pushes every cluster branch and says which clusters changed; a second run changes nothing', () => {
    const r = run({ command: 'publish', shard: '1/1' });
    expect(r.ok, explain(r)).toBe(true);
    const status = Object.fromEntries(r.steps.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({
      'Restore the render tools': 'skipped-uses',
      "Restore kiln's render cache": 'skipped-uses',
      // no cache hit reported by the skipped actions/cache step: setup-go would run, the build finds the tools restored
      'Set up Go (to build the render tools)': 'skipped-uses',
      'Install the render tools': 'ran',
      'Run kiln publish': 'ran',
    });
    expect(r.outputs['exit-code']).toBe('0');
    expect(JSON.parse(r.outputs['changed-clusters']!)).toEqual(clusters.map((c) => c.name).sort());
    expect(JSON.parse(r.outputs['changed-branches']!)).toEqual(clusters.map((c) => c.branch).sort());
    expect(r.outputs.changed).toBe('true');
    const result = JSON.parse(readFileSync(r.outputs.result!, 'utf8')) as { branches: Array<{ branch: string; action: string }> };
    expect(result.branches.every((b) => b.action === 'created')).toBe(true);
    const branches = remoteBranches(repo.remote);
    for (const c of clusters) expect(branches.has(c.branch), c.branch).toBe(true);
    const head = gitIn(repo.remote, 'log', '-1', '--format=%B', clusters[0]!.branch);
    expect(head).toContain(`Kiln-Source-Commit: ${env.GITHUB_SHA}`);
    expect(r.summary).toContain('kiln publish');
    // the token went to git through a temporary global config, removed afterwards
    expect(r.steps.find((s) => s.name === 'Run kiln publish')!.stdout).toContain('::add-mask::ghs_test_token');

    const again = run({ command: 'publish' });
    expect(again.ok, explain(again)).toBe(true);
    expect(again.outputs.changed).toBe('false');
    expect(again.outputs['changed-clusters']).toBe('[]');
    // the run step used the cache dir the cache step keeps: every cluster's render is remembered there
    expect(readdirSync(path.join(env.KILN_CACHE_DIR!, 'clusters')).length).toBeGreaterThan(0);
    expect(remoteBranches(repo.remote)).toEqual(branches);
  });

  it('render takes the shard input; a failing kiln fails the action with its exit code; shard on validate is refused', () => {
    const r = run({ command: 'render', shard: '1/2', args: `--out\n${path.join(base, 'out')}` });
    expect(r.ok, explain(r)).toBe(true);
    const bad = run({ command: 'publish', args: '--remote\n/nonexistent/remote.git' });
    expect(bad.ok).toBe(false);
    expect(bad.outputs['exit-code']).not.toBe('0');
    const misuse = run({ command: 'validate', shard: '1/2' });
    expect(misuse.ok).toBe(false);
    expect(misuse.steps.at(-1)!.stdout).toContain('::error::shard applies to');
  });

  it.skipIf(!kilnHas('diff'))('diff writes the markdown diff file and names the changed clusters', () => {
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    // every cluster renders manifests/namespaces
    writeFileSync(path.join(repo.fleet, 'manifests/namespaces/kiln-test.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kiln-test\n  namespace: default\ndata:\n  a: b\n');
    const headSha = repo.commit('change a namespace');
    const r = run({ command: 'diff', args: `--base\n${baseSha}\n--head\n${headSha}` });
    expect(['0', '2']).toContain(r.outputs['exit-code']);
    expect(r.outputs['diff-file']).toMatch(/diff\.md$/);
    expect(readFileSync(r.outputs['diff-file']!, 'utf8')).toContain('kiln-test');
    expect(JSON.parse(r.outputs['changed-clusters']!)).toEqual(clusters.map((c) => c.name).sort());
  });
});
