/**
 * pipelines/gitlab/kiln.gitlab-ci.yml run by gitlab-ci-local (see gitlab-ci-local.ts), included with
 * `include: local` from the .gitlab-ci.yml `kiln init --ci gitlab` writes. Real: the template's rules,
 * extends, `parallel:` shards and `parallel: matrix`, needs, artifacts and cache between jobs, manual
 * jobs, variable precedence, kiln and git. Not GitLab: the runner is gitlab-ci-local with the shell
 * executor (the `image:` is this host with kiln on PATH), the API is a local double (../scm/fake-gitlab),
 * the project's repository is a bare repo (KILN_REMOTE).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitlabCi } from '../../src/init/ci-files.js';
import { gitIn, projectRoot, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { tmp, which } from '../helpers/tools.js';
import { ENV_CLUSTERS, branchOf, headMessage, promoteFleet } from '../promote/helpers.js';
import { FakeGitLab } from '../scm/fake-gitlab.js';
import { kilnShimDir, pinnedVersions, restoredToolsDir } from './env.js';
import { buildsDir, runGitlabCiLocal, type GclRun } from './gitlab-ci-local.js';

const PUSH_TOKEN = 'glpat-testPushToken0123456789';
const API_TOKEN = 'glpat-testApiToken0123456789';

describe('the GitLab CI template under gitlab-ci-local', { timeout: 600_000 }, () => {
  let repo: FleetRepo;
  let base: string;
  let gl: FakeGitLab;
  let toolsDir: string;
  let runs = 0;

  beforeAll(async () => {
    repo = promoteFleet();
    base = tmp('kiln-gcl-');
    gl = await new FakeGitLab().start();
    toolsDir = restoredToolsDir(path.join(base, 'tools'), pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8')));
    mkdirSync(path.join(repo.fleet, 'ci'));
    writeFileSync(path.join(repo.fleet, 'ci/kiln.gitlab-ci.yml'), readFileSync(path.join(projectRoot, 'pipelines/gitlab/kiln.gitlab-ci.yml')));
    const ci = gitlabCi({ branch: 'main', environments: ['dev', 'staging', 'prod'] });
    expect(ci).toContain('  - remote: https://raw.githubusercontent.com/kiln-dev/kiln/v1/pipelines/gitlab/kiln.gitlab-ci.yml\n');
    writeFileSync(path.join(repo.fleet, '.gitlab-ci.yml'), ci.replace(/ {2}- remote: .*\n/, '  - local: ci/kiln.gitlab-ci.yml\n'));
    // a policy (a warning, so nothing is blocked): the jobs' checks need conftest, which the template installs
    mkdirSync(path.join(repo.fleet, 'policies'));
    writeFileSync(path.join(repo.fleet, 'policies/settings.rego'), 'package main\n\nwarn contains msg if {\n  input.kind == "ConfigMap"\n  msg := sprintf("policy saw ConfigMap %s", [input.metadata.name])\n}\n');
    repo.commit('kiln pipeline');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
    // gitlab-ci-local names the project after `origin` (CI_PROJECT_PATH group/fleet); kiln pushes to KILN_REMOTE
    gitIn(repo.fleet, 'remote', 'set-url', 'origin', 'https://gitlab.example.com/group/fleet.git');
    appendFileSync(path.join(repo.fleet, '.git/info/exclude'), '/.gitlab-ci-local/\n');
  });
  afterAll(async () => {
    await gl?.stop();
    repo?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const run = (variables: Record<string, string>, o: { jobs?: string[]; manual?: string[] } = {}): Promise<GclRun> => {
    const home = path.join(base, `home-${++runs}`);
    mkdirSync(home);
    return runGitlabCiLocal({
      cwd: repo.fleet,
      // the job image: node, git, kiln on PATH
      // (without kiln's tools dir: the render tools, conftest and the schema sets come from the template's install)
      path: `${kilnShimDir(path.join(base, 'image-bin'))}:${(process.env.PATH ?? '').split(':').filter((d) => d !== path.dirname(which('helm'))).join(':')}`,
      home,
      logFile: path.join(base, `gcl-${runs}.log`),
      ...o,
      // project CI/CD variables
      variables: { KILN_REMOTE: repo.remote, KILN_TOOLS_DIR: toolsDir, KILN_PUSH_TOKEN: PUSH_TOKEN, ...variables },
    });
  };
  const passed = (r: GclRun, job: string) => expect(r.log, job).toMatch(new RegExp(`PASS\\s+${job.replace(/[[\]]/g, '\\$&')}`));

  it('a merge request pipeline: validate, diff (artifact), then one note on the MR through the API', async () => {
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    gitIn(repo.fleet, 'checkout', '--quiet', '-b', 'feature');
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    const mr = {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_MERGE_REQUEST_IID: '7',
      CI_MERGE_REQUEST_DIFF_BASE_SHA: baseSha,
      CI_PROJECT_ID: '42',
      CI_API_V4_URL: gl.url,
      KILN_API_TOKEN: API_TOKEN,
    };
    const r = await run(mr);
    gitIn(repo.fleet, 'checkout', '--quiet', 'main');
    expect(r.code, r.log).toBe(0);
    for (const job of ['kiln-validate', 'kiln-diff', 'kiln-comment']) passed(r, job);
    expect(r.log).not.toMatch(/kiln-publish|kiln-promote|\bpages\b/);
    expect(gl.unexpected).toEqual([]);
    expect(gl.notes).toHaveLength(1);
    expect(gl.notes[0]!.body).toContain('dev-c0000');
    // kiln check inside the diff job: conftest and the schema sets from `kiln tools install` in the template
    expect(r.log).toMatch(/conftest\s+v0\.71\.1\s+reused/);
    expect(r.log).toMatch(/k8s-openapi\s+v1\.28\.\d+…v1\.\d+\.\d+\s+reused/);
    // and kiln's render worker, from the installed package's own source
    expect(r.log).toMatch(/kiln-render-worker\s+[0-9a-f]{12}\s+(built|reused)\s+\S+\/kiln-render-worker-[0-9a-f]{12}\/kiln-render-worker/);
    expect(gl.notes[0]!.body).toContain('policy saw ConfigMap settings');
    expect(gl.notes[0]!.body).not.toMatch(/no Kubernetes schemas are installed/);
    expect(r.log).not.toContain(API_TOKEN);
    expect([...remoteBranches(repo.remote).keys()].filter((b) => b.startsWith('rendered/'))).toEqual([]);
  });

  it('a main pipeline: validate, publish in 2 parallel shards, the report on Pages; then the manual promotion', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    // publish only the first environment; promote the rest
    const r = await run({ KILN_PUBLISH_ARGS: '--env dev', KILN_PAGES: 'true' });
    expect(r.code, r.log).toBe(0);
    for (const job of ['kiln-validate', 'kiln-publish: \\[1/2\\]', 'kiln-publish: \\[2/2\\]', 'pages']) expect(r.log, job).toMatch(new RegExp(`PASS\\s+${job}`));
    expect(r.log).not.toMatch(/PASS\s+kiln-promote/);
    const dev = ENV_CLUSTERS.dev!.map(branchOf);
    expect([...remoteBranches(repo.remote).keys()].filter((b) => b.startsWith('rendered/')).sort()).toEqual(dev.sort());
    for (const b of dev) expect(headMessage(repo, b)).toContain(`Kiln-Source-Commit: ${sha}`);
    expect(r.log).not.toContain(PUSH_TOKEN);
    // the pages job got both shards' artifacts (needs: kiln-publish): their results are disjoint, together every dev branch
    const pages = path.join(buildsDir(repo.fleet), 'pages');
    const results = [1, 2].map((i) => (JSON.parse(readFileSync(path.join(pages, '.kiln-out', `publish-${i}.json`), 'utf8')) as { branches: Array<{ branch: string }> }).branches.map((b) => b.branch));
    expect(results.flat().sort()).toEqual(dev.sort());
    // each shard kept kiln's render cache under its own cache key (a job name with "/" made a nested key)
    const caches = path.join(repo.fleet, '.gitlab-ci-local', 'cache');
    const kept = readdirSync(caches).filter((k) => k.startsWith('kiln-cache-kiln-publish') && existsSync(path.join(caches, k, '.kiln-cache', 'clusters')));
    expect(kept.length, readdirSync(caches).join(', ')).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(path.join(pages, 'public', 'report.json'), 'utf8')) as { clusters: unknown[] };
    expect(report.clusters).toHaveLength(6);

    const p = await run({}, { jobs: ['kiln-promote: [staging]'], manual: ['kiln-promote: [staging]'] });
    expect(p.code, p.log).toBe(0);
    for (const c of ENV_CLUSTERS.staging!) {
      const msg = headMessage(repo, branchOf(c));
      expect(msg).toContain(`Kiln-Source-Commit: ${sha}`);
      expect(msg).toContain('Kiln-Promoted-From: dev');
    }
    expect([...remoteBranches(repo.remote).keys()].some((b) => b.startsWith('rendered/prod/'))).toBe(false);
  });
});
