/** The GitHub forge against a local API checked with GitHub's own OpenAPI description; `kiln comment` end to end. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubScm } from '../../src/scm/github.js';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';
import { FakeGitHub, useFakeGitHub } from './fake-github.js';

const TOKEN = 'ghs_fakeTokenForKilnTests0123456789abcd';
const MARKER = '<!-- kiln:diff -->';

describe('GitHubScm', () => {
  const f = useFakeGitHub(TOKEN);

  it('sticky comment: created once, then updated in place (PATCH), other comments untouched', async () => {
    f.gh.comments.push({ id: 1, issue: 7, body: 'LGTM', user: 'alice' });
    for (let i = 0; i < 120; i++) f.gh.comments.push({ id: 10 + i, issue: 7, body: `chatter ${i}`, user: 'bob' });
    const first = await f.scm.upsertComment(7, MARKER, 'diff v1');
    expect(first.action).toBe('created');
    expect(first.url).toMatch(/\/pull\/7#issuecomment-/);
    const second = await f.scm.upsertComment(7, MARKER, `${MARKER}\ndiff v2`);
    expect(second).toMatchObject({ id: first.id, action: 'updated' });
    const mine = f.gh.comments.filter((c) => c.body.includes(MARKER));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toBe(`${MARKER}\ndiff v2`);
    expect(f.gh.comments.find((c) => c.id === 1)!.body).toBe('LGTM');
    // listing pages past the first 100 (the marker comment is the 122nd)
    expect(f.gh.requests.map((r) => r.operationId)).toEqual(['issues/list-comments', 'issues/list-comments', 'issues/create-comment', 'issues/list-comments', 'issues/list-comments', 'issues/update-comment']);
    expect(f.gh.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/repos/acme/fleet/issues/comments/${first.id}`]);
    expect(new Set(f.gh.requests.map((r) => r.authorization))).toEqual(new Set([`token ${TOKEN}`]));
  });

  it('commit state from statuses and check runs: worst wins, none is missing', async () => {
    f.gh.statuses.set('a'.repeat(40), [{ context: 'flux/healthy', state: 'success' }, { context: 'other', state: 'failure' }]);
    f.gh.checkRuns.set('b'.repeat(40), [{ name: 'flux/healthy', status: 'in_progress', conclusion: null }]);
    f.gh.statuses.set('c'.repeat(40), [{ context: 'flux/healthy', state: 'success' }]);
    f.gh.checkRuns.set('c'.repeat(40), [{ name: 'flux/healthy', status: 'completed', conclusion: 'failure' }]);
    f.gh.statuses.set('d'.repeat(40), [{ context: 'flux/healthy', state: 'error' }]);
    expect(await f.scm.commitState('a'.repeat(40), 'flux/healthy')).toBe('success');
    expect(await f.scm.commitState('b'.repeat(40), 'flux/healthy')).toBe('pending');
    expect(await f.scm.commitState('c'.repeat(40), 'flux/healthy')).toBe('failure');
    expect(await f.scm.commitState('d'.repeat(40), 'flux/healthy')).toBe('failure');
    expect(await f.scm.commitState('e'.repeat(40), 'flux/healthy')).toBe('missing');
    expect(f.gh.requests.find((r) => r.operationId === 'checks/list-for-ref')!.query).toMatchObject({ check_name: 'flux/healthy', filter: 'latest' });
  });

  it('pull request: opened once, then the open one for head → base is updated', async () => {
    const opts = { head: 'kiln/promote/prod/abc', base: 'rendered/prod/eu', title: 'Promote prod', body: 'v1' };
    const a = await f.scm.upsertPullRequest(opts);
    const b = await f.scm.upsertPullRequest({ ...opts, body: 'v2' });
    expect(a).toMatchObject({ number: 1, action: 'created' });
    expect(b).toMatchObject({ number: 1, action: 'updated' });
    expect(f.gh.pulls).toHaveLength(1);
    expect(f.gh.pulls[0]!.body).toBe('v2');
    expect(f.gh.requests.find((r) => r.operationId === 'pulls/list')!.query).toMatchObject({ head: 'acme:kiln/promote/prod/abc', base: 'rendered/prod/eu', state: 'open' });
  });

  it('a refused token is a one-line error without the token', async () => {
    f.gh.failWith = { status: 401, message: `Bad credentials: ${TOKEN}` };
    const e = (await f.scm.upsertComment(7, MARKER, 'x').catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/^GitHub: listing comments of #7 failed \(HTTP 401\)/);
    expect(e.message).not.toContain(TOKEN);
    expect((e as { hint?: string }).hint).toMatch(/GITHUB_TOKEN/);
  });
});

describe('kiln comment on GitHub Actions', () => {
  let gh: FakeGitHub;
  let repo: FleetRepo;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    gh = await new FakeGitHub().start();
    repo = makeFleetRepo(genFleetDir({ clusters: 3 }));
    const p = await kiln('publish', '--cwd', repo.fleet);
    expect(p.code, p.stderr).toBe(0);
    setGenVersion(repo.fleet, '2');
    dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-gh-'));
    writeFileSync(path.join(dir, 'event.json'), JSON.stringify({ action: 'synchronize', number: 42, pull_request: { number: 42 } }));
    Object.assign(process.env, {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: TOKEN,
      GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
      GITHUB_REF: 'refs/pull/42/merge',
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
    });
  });
  afterAll(async () => {
    process.env = saved;
    await gh.stop();
    repo.cleanup();
  });

  it('posts the diff once, updates it on the next run, appends the step summary, never prints the token', async () => {
    const first = await kiln('comment', '--cwd', repo.fleet, '--summary', '--log-level', 'debug');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^created the kiln diff comment on PR #42: https:\/\/github\.example\/acme\/fleet\/pull\/42#issuecomment-\d+/);
    setGenVersion(repo.fleet, '3');
    const second = await kiln('comment', '--cwd', repo.fleet, '--summary', '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ forge: 'github', number: 42, comment: { action: 'updated' }, diff: { changedClusters: 3, groups: 1 } });
    expect(gh.violations).toEqual([]);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body.startsWith(MARKER)).toBe(true);
    expect(gh.comments[0]!.body).toContain('+  version: "3"');
    expect(gh.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/acme/fleet/issues/42/comments', `PATCH /repos/acme/fleet/issues/comments/${gh.comments[0]!.id}`]);
    const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(summary.split(MARKER)).toHaveLength(3);
    for (const t of [first.stdout, first.stderr, second.stdout, second.stderr, summary]) expect(t).not.toContain(TOKEN);
  });

  it('--body-file posts that markdown (marker added); a refusal is exit 1 with the token redacted', async () => {
    const body = path.join(dir, 'body.md');
    writeFileSync(body, '## custom report\n');
    const r = await kiln('comment', '--cwd', repo.fleet, '--body-file', body, '--pr', '43');
    expect(r.code, r.stderr).toBe(0);
    expect(gh.comments.find((c) => c.issue === 43)!.body).toBe(`${MARKER}\n## custom report\n`);
    gh.failWith = { status: 403, message: `Resource not accessible by integration (token ${TOKEN})` };
    const refused = await kiln('comment', '--cwd', repo.fleet, '--body-file', body);
    gh.failWith = undefined;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: GitHub: listing comments of #42 failed \(HTTP 403\): .*\(the token \(GITHUB_TOKEN\) lacks a permission/);
    expect(refused.stderr).not.toContain(TOKEN);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('parts that carry the whole diff say nothing is cut; a cut one names the full diff, written outside the repo', async () => {
    setGenVersion(repo.fleet, 'y'.repeat(2200));
    try {
      const whole = await kiln('comment', '--cwd', repo.fleet, '--max-chars', '3000', '--pr', '44', '--json');
      expect(whole.code, whole.stderr).toBe(0);
      expect(whole.stderr).not.toMatch(/cut/);
      const j = JSON.parse(whole.stdout) as { truncated: boolean; parts: unknown[]; outFile?: string };
      expect(j.truncated).toBe(false);
      expect(j.parts.length).toBeGreaterThan(1);
      expect(j.outFile).toBeUndefined();
      expect(gh.comments.filter((c) => c.issue === 44).map((c) => c.body).join('\n')).toContain('y'.repeat(2200));

      const cut = await kiln('comment', '--cwd', repo.fleet, '--max-chars', '3000', '--max-comments', '1', '--pr', '45', '--json');
      expect(cut.code, cut.stderr).toBe(0);
      const c = JSON.parse(cut.stdout) as { truncated: boolean; outFile: string };
      expect(c.truncated).toBe(true);
      expect(cut.stderr).toContain(`details are cut; the full diff is in ${c.outFile}`);
      expect(readFileSync(c.outFile, 'utf8')).toContain('y'.repeat(2200));
      for (const d of [repo.fleet, process.cwd()]) expect(path.relative(d, c.outFile).startsWith('..'), c.outFile).toBe(true);
      expect(existsSync(path.join(process.cwd(), 'kiln-diff.md'))).toBe(false);
      rmSync(path.dirname(c.outFile), { recursive: true, force: true });
    } finally {
      setGenVersion(repo.fleet, '2');
    }
  });
});
