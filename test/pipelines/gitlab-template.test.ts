/**
 * pipelines/gitlab/kiln.gitlab-ci.yml, its jobs planned and run by the stand-in in gitlab.ts (no
 * GitLab, no docker daemon here; gitlab-ci-local would need rsync and a docker-less shell executor):
 * a default-branch pipeline validates, publishes with `parallel: 2` shards running at once as
 * separate processes, then the manual promote job for staging is "clicked"; a merge request pipeline
 * validates and diffs. The project is a bare repo served as CI_SERVER_URL=file://…, so the template's
 * default KILN_REMOTE (${CI_SERVER_URL}/${CI_PROJECT_PATH}.git) is the project itself, as on GitLab.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, makeFleetRepo, projectRoot, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { kilnShimDir, lsClusters, pinnedVersions, restoredToolsDir, type LsCluster } from './env.js';
import { GitLabTemplate, runJob, type JobRun, type PlannedJob } from './gitlab.js';

const templateFile = path.join(projectRoot, 'pipelines/gitlab/kiln.gitlab-ci.yml');

describe('the GitLab CI template', { timeout: 300_000 }, () => {
  let repo: FleetRepo;
  let base: string;
  let project: string;
  let serverUrl: string;
  let clusters: LsCluster[];
  let versions: Record<string, string>;
  let baseEnv: NodeJS.ProcessEnv;
  const template = new GitLabTemplate(templateFile);

  beforeAll(() => {
    repo = makeFleetRepo();
    base = tmp('kiln-gitlab-');
    serverUrl = `file://${base}/server`;
    project = path.join(base, 'server/group/fleet.git');
    gitIn(base, 'init', '--quiet', '--bare', project);
    gitIn(repo.fleet, 'push', '--quiet', project, 'main');
    clusters = lsClusters(repo.fleet);
    versions = pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8'));
    // a runner image with kiln installed; node and git on PATH; nothing else of this machine's tools
    baseEnv = { PATH: `${kilnShimDir(path.join(base, 'image-bin'))}:${process.env.PATH}`, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  });
  afterAll(() => repo?.cleanup());

  const predefined = (o: Record<string, string>) => ({
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: serverUrl,
    CI_SERVER_HOST: 'gitlab.example',
    CI_API_V4_URL: 'http://127.0.0.1:9/api/v4',
    CI_PROJECT_PATH: 'group/fleet',
    CI_PROJECT_ID: '1',
    CI_PROJECT_URL: `${serverUrl}/group/fleet`,
    CI_DEFAULT_BRANCH: 'main',
    CI_JOB_TOKEN: 'job-token-cannot-push',
    CI_PIPELINE_ID: '100',
    ...o,
  });
  let builds = 0;
  const run = (job: PlannedJob) =>
    runJob(job, {
      projectUrl: project,
      buildsDir: path.join(base, 'builds', String(++builds)),
      baseEnv,
      // a cache restore of .kiln-tools/ inside the checkout, as GitLab's cache: does
      prepare: (dir) => void restoredToolsDir(path.join(dir, '.kiln-tools'), versions),
    });
  const ok = (r: JobRun) => expect(r.code, `${r.name}\n${r.log}`).toBe(0);

  it('a default-branch pipeline: validate, publish in 2 parallel shards, then the manual promote to staging', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const jobs = template.plan(predefined({ CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: sha }), {
      // project CI/CD variables: publish only the first environment, promote the rest
      KILN_PUBLISH_ARGS: '--env dev',
      KILN_PUSH_TOKEN: 'glpat-test-push-token',
    });
    expect(jobs.map((j) => [j.name, j.when, j.allowFailure])).toEqual([
      ['kiln-validate', 'on_success', false],
      ['kiln-publish 1/2', 'on_success', false],
      ['kiln-publish 2/2', 'on_success', false],
      ['kiln-promote: [staging]', 'manual', true],
      ['kiln-promote: [prod]', 'manual', true],
    ]);
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect(byName.get('kiln-publish 2/2')!.def.resource_group).toBe('kiln-publish-$CI_NODE_INDEX');

    ok(await run(byName.get('kiln-validate')!));
    // the deploy stage: both shards at once, each in its own checkout
    const shards = await Promise.all([run(byName.get('kiln-publish 1/2')!), run(byName.get('kiln-publish 2/2')!)]);
    shards.forEach(ok);
    const dev = clusters.filter((c) => c.environment === 'dev');
    const published = shards.map((s) => (JSON.parse(readFileSync(path.join(s.projectDir, '.kiln-out', `publish-${s.name.endsWith('1/2') ? 1 : 2}.json`), 'utf8')) as { branches: Array<{ branch: string; action: string }> }).branches);
    // each shard published its own part of the dev clusters, together all of them
    expect(published.every((b) => b.length > 0)).toBe(true);
    expect(published.flat().map((b) => b.branch).sort()).toEqual(dev.map((c) => c.branch).sort());
    expect(published.flat().every((b) => b.action === 'created')).toBe(true);
    let branches = remoteBranches(project);
    expect([...branches.keys()].filter((b) => b.startsWith('rendered/')).sort()).toEqual(dev.map((c) => c.branch).sort());
    expect(gitIn(project, 'log', '-1', '--format=%B', dev[0]!.branch)).toContain(`Kiln-Source-Commit: ${sha}`);
    // the push token went to git as an extra header, never into the remote URL or the log
    for (const s of shards) expect(s.log).not.toContain('glpat-test-push-token');
    // kiln's render cache lives in the checkout (GitLab caches must), remembered every cluster it
    // published, and stayed out of git status (publish refuses a dirty work tree)
    for (const s of shards) {
      expect(readdirSync(path.join(s.projectDir, '.kiln-cache', 'clusters')).length).toBeGreaterThan(0);
      expect(gitIn(s.projectDir, 'status', '--porcelain')).toBe('');
    }

    ok(await run(byName.get('kiln-promote: [staging]')!));
    branches = remoteBranches(project);
    const staging = clusters.filter((c) => c.environment === 'staging');
    for (const c of staging) {
      expect(branches.has(c.branch), c.branch).toBe(true);
      const msg = gitIn(project, 'log', '-1', '--format=%B', c.branch);
      expect(msg).toContain(`Kiln-Source-Commit: ${sha}`);
      expect(msg).toContain('Kiln-Promoted-From: dev');
    }
    expect([...branches.keys()].some((b) => b.startsWith('rendered/prod/'))).toBe(false);

    // GitLab Pages: only when the project opts in, then the report of what was just published
    const withPages = template.plan(predefined({ CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: sha }), { KILN_PAGES: 'true' });
    const pages = withPages.find((j) => j.name === 'pages');
    expect(pages, withPages.map((j) => j.name).join()).toBeDefined();
    const report = await run(pages!);
    ok(report);
    const data = JSON.parse(readFileSync(path.join(report.projectDir, 'public', 'report.json'), 'utf8')) as { clusters: Array<{ name: string }> };
    expect(data.clusters.map((c) => c.name).sort()).toEqual(clusters.map((c) => c.name).sort());
    expect(readFileSync(path.join(report.projectDir, 'public', 'index.html'), 'utf8')).toContain('<script type="application/json"');
  });

  it('a merge request pipeline: validate and diff (comment only with a token)', async () => {
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    gitIn(repo.fleet, 'checkout', '--quiet', '-b', 'feature');
    writeFileSync(path.join(repo.fleet, 'manifests/namespaces/kiln-test.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kiln-test\n  namespace: default\ndata:\n  a: b\n');
    const head = repo.commit('add a config map everywhere');
    gitIn(repo.fleet, 'push', '--quiet', project, 'feature');
    const mr = {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_REF_NAME: 'feature',
      CI_COMMIT_SHA: head,
      CI_MERGE_REQUEST_IID: '7',
      CI_MERGE_REQUEST_PROJECT_ID: '1',
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature',
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
      CI_MERGE_REQUEST_DIFF_BASE_SHA: baseSha,
    };
    const jobs = template.plan(predefined(mr));
    expect(jobs.map((j) => j.name)).toEqual(['kiln-validate', 'kiln-diff']);
    expect(template.plan(predefined(mr), { KILN_API_TOKEN: 'glpat-test' }).map((j) => j.name)).toEqual(['kiln-validate', 'kiln-diff', 'kiln-comment']);
    expect(template.plan(predefined(mr), { GITLAB_TOKEN: 'glpat-test' }).map((j) => j.name)).toContain('kiln-comment');

    ok(await run(jobs[0]!));
    const diff = await run(jobs[1]!);
    ok(diff);
    const md = readFileSync(path.join(diff.projectDir, '.kiln-out/diff.md'), 'utf8');
    expect(md).toContain('kiln-test');
    const json = JSON.parse(readFileSync(path.join(diff.projectDir, '.kiln-out/diff.json'), 'utf8')) as object;
    expect(json).toBeTypeOf('object');
    // nothing was published from an MR pipeline
    expect([...remoteBranches(project).keys()].filter((b) => b.startsWith('rendered/')).every((b) => /^rendered\/(dev|staging)\//.test(b))).toBe(true);
  });
});
