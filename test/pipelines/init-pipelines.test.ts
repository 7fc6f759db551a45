/**
 * A fleet from `kiln init` (default engines: helm, kustomize, manifests), pushed to main: its own CI
 * files run the whole main pipeline, under act (--ci github) and gitlab-ci-local (--ci gitlab, the
 * remote include swapped for `include: local` of this checkout's template), publishing every cluster.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, projectRoot, remoteBranches } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { kilnRepoCopy, runAct } from './act.js';
import { kilnShimDir, pinnedVersions, restoredToolsDir } from './env.js';
import { runGitlabCiLocal } from './gitlab-ci-local.js';

const BRANCHES = ['rendered/dev/dev-1', 'rendered/prod/prod-1', 'rendered/staging/staging-1'];

describe('the pipelines kiln init writes', { timeout: 600_000 }, () => {
  let base: string;
  let toolsDir: string;
  beforeAll(() => {
    base = tmp('kiln-init-ci-');
    toolsDir = restoredToolsDir(path.join(base, 'tools'), pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8')));
  });
  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  /** `kiln init --ci <ci>` in a new repo with a bare origin; returns the repo and the remote. */
  const initRepo = async (ci: 'github' | 'gitlab') => {
    const fleet = path.join(base, ci, 'fleet');
    const remote = path.join(base, ci, 'remote.git');
    mkdirSync(fleet, { recursive: true });
    gitIn(base, 'init', '--quiet', '--bare', remote);
    gitIn(fleet, 'init', '--quiet', '-b', 'main');
    const r = await kiln('init', '--cwd', fleet, '--ci', ci);
    expect(r.code, r.stderr).toBe(0);
    return { fleet, remote };
  };
  const commit = (fleet: string) => {
    gitIn(fleet, 'add', '-A');
    gitIn(fleet, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'kiln init');
    return gitIn(fleet, 'rev-parse', 'HEAD');
  };

  it('--ci github under act: a push to main publishes every cluster', async () => {
    const { fleet, remote } = await initRepo('github');
    const sha = commit(fleet);
    gitIn(fleet, 'remote', 'add', 'origin', remote);
    gitIn(fleet, 'push', '--quiet', 'origin', 'main');
    gitIn(fleet, 'remote', 'add', 'github', 'https://github.com/acme/fleet.git');
    const r = await runAct({
      cwd: fleet,
      event: 'push',
      payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/fleet', default_branch: 'main' } },
      work: path.join(base, 'github', 'act'),
      origin: remote,
      kilnRepo: kilnRepoCopy(path.join(base, 'github', 'kiln')),
      secrets: { GITHUB_TOKEN: 'ghs_actTestToken0123456789' },
      env: { KILN_TOOLS_DIR: toolsDir, KILN_CACHE_DIR: path.join(base, 'github', 'kiln-cache') },
    });
    expect(r.code, r.log).toBe(0);
    expect(r.job('publish')).toContain('Job succeeded');
    const branches = remoteBranches(remote);
    expect([...branches.keys()].filter((b) => b.startsWith('rendered/')).sort()).toEqual(BRANCHES);
    expect(gitIn(remote, 'log', '-1', '--format=%B', 'rendered/prod/prod-1')).toContain(`Kiln-Source-Commit: ${sha}`);
    expect(gitIn(remote, 'ls-tree', '-r', '--name-only', 'rendered/prod/prod-1')).toContain('manifests/hello-helm/');
  });

  it('--ci gitlab under gitlab-ci-local: the main pipeline publishes every cluster', async () => {
    const { fleet, remote } = await initRepo('gitlab');
    mkdirSync(path.join(fleet, 'ci'));
    writeFileSync(path.join(fleet, 'ci/kiln.gitlab-ci.yml'), readFileSync(path.join(projectRoot, 'pipelines/gitlab/kiln.gitlab-ci.yml')));
    const file = path.join(fleet, '.gitlab-ci.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}- remote: .*\n/, '  - local: ci/kiln.gitlab-ci.yml\n'));
    const sha = commit(fleet);
    gitIn(fleet, 'remote', 'add', 'origin', 'https://gitlab.example.com/group/fleet.git');
    // a GitLab runner's clone has the pipeline's commit on a remote-tracking branch (so publish knows it is pushed)
    gitIn(fleet, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    appendFileSync(path.join(fleet, '.git/info/exclude'), '/.gitlab-ci-local/\n');
    const home = path.join(base, 'gitlab', 'home');
    mkdirSync(home);
    const r = await runGitlabCiLocal({
      cwd: fleet,
      path: `${kilnShimDir(path.join(base, 'gitlab', 'image-bin'))}:${process.env.PATH}`,
      home,
      variables: { KILN_REMOTE: remote, KILN_TOOLS_DIR: toolsDir, KILN_PUSH_TOKEN: 'glpat-testPushToken0123456789' },
    });
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/PASS\s+kiln-publish: \[2\/2\]/);
    expect([...remoteBranches(remote).keys()].filter((b) => b.startsWith('rendered/')).sort()).toEqual(BRANCHES);
    expect(gitIn(remote, 'log', '-1', '--format=%B', 'rendered/dev/dev-1')).toContain(`Kiln-Source-Commit: ${sha}`);
  });
});
