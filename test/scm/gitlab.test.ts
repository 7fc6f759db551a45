/** The GitLab forge against a local fake API v4 that records and asserts requests; CI environment detection. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubScm } from '../../src/scm/github.js';
import { GitLabScm } from '../../src/scm/gitlab.js';
import { detectForge, pullRequestFromEnv, scmFromEnv } from '../../src/scm/from-env.js';
import { kiln } from '../helpers/cli.js';
import { FakeGitLab } from './fake-gitlab.js';

const TOKEN = 'glpat-fakeTokenForKilnTests0123';
const MARKER = '<!-- kiln:diff -->';

describe('GitLabScm', () => {
  let gl: FakeGitLab;
  beforeEach(async () => {
    gl = await new FakeGitLab().start();
  });
  afterEach(async () => {
    expect(gl.unexpected).toEqual([]);
    await gl.stop();
  });

  it('sticky note: created once, then edited in place (PUT); system notes and others untouched; PRIVATE-TOKEN', async () => {
    gl.notes.push({ id: 1, body: `merged ${MARKER}`, system: true }, { id: 2, body: 'looks fine', system: false });
    const scm = new GitLabScm({ apiUrl: gl.url, project: '42', token: TOKEN, tokenKind: 'private' });
    const a = await scm.upsertComment(7, MARKER, 'diff v1');
    const b = await scm.upsertComment(7, MARKER, 'diff v2');
    expect(a.action).toBe('created');
    expect(b).toEqual({ id: a.id, action: 'updated' });
    expect(gl.notes.map((n) => n.body)).toEqual([`merged ${MARKER}`, 'looks fine', `${MARKER}\ndiff v2`]);
    expect(gl.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v4/projects/42/merge_requests/7/notes',
      'POST /api/v4/projects/42/merge_requests/7/notes',
      'GET /api/v4/projects/42/merge_requests/7/notes',
      `PUT /api/v4/projects/42/merge_requests/7/notes/${a.id}`,
    ]);
    expect(gl.requests[1]!.body).toEqual({ body: `${MARKER}\ndiff v1` });
    expect(new Set(gl.requests.map((r) => r.headers['private-token']))).toEqual(new Set([TOKEN]));
  });

  it('commit state: the newest status of the context counts; JOB-TOKEN with CI_JOB_TOKEN', async () => {
    const scm = new GitLabScm({ apiUrl: gl.url, project: '42', token: TOKEN, tokenKind: 'job' });
    expect(await scm.commitState('abc', 'flux/healthy')).toBe('missing');
    gl.statuses = [{ id: 1, name: 'flux/healthy', status: 'failed' }, { id: 2, name: 'flux/healthy', status: 'success' }, { id: 3, name: 'other', status: 'failed' }];
    expect(await scm.commitState('abc', 'flux/healthy')).toBe('success');
    gl.statuses.push({ id: 4, name: 'flux/healthy', status: 'running' });
    expect(await scm.commitState('abc', 'flux/healthy')).toBe('pending');
    gl.statuses.push({ id: 5, name: 'flux/healthy', status: 'canceled' });
    expect(await scm.commitState('abc', 'flux/healthy')).toBe('failure');
    expect(gl.requests[0]!.query).toMatchObject({ name: 'flux/healthy', all: 'true' });
    expect(gl.requests[0]!.headers['job-token']).toBe(TOKEN);
    expect(gl.requests[0]!.headers['private-token']).toBeUndefined();
  });

  it('merge request: opened once, then the open one for source → target is edited', async () => {
    const scm = new GitLabScm({ apiUrl: gl.url, project: '42', token: TOKEN, tokenKind: 'private' });
    const opts = { head: 'kiln/promote/prod/abc', base: 'rendered/prod/eu', title: 'Promote prod', body: 'v1' };
    expect(await scm.upsertPullRequest(opts)).toEqual({ number: 1, url: 'https://gitlab.example/acme/fleet/-/merge_requests/1', action: 'created' });
    expect(await scm.upsertPullRequest({ ...opts, body: 'v2' })).toMatchObject({ number: 1, action: 'updated' });
    expect(gl.mrs).toHaveLength(1);
    expect(gl.mrs[0]!.description).toBe('v2');
    expect(gl.requests.find((r) => r.method === 'POST')!.body).toMatchObject({ source_branch: opts.head, target_branch: opts.base, title: 'Promote prod', description: 'v1' });
  });

  it('kiln comment in a GitLab merge request pipeline: sticky, token never printed', async () => {
    const saved = { ...process.env };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-gl-'));
    writeFileSync(path.join(dir, 'body.md'), 'report v1\n');
    for (const k of Object.keys(process.env)) if (k.startsWith('GITHUB_')) delete process.env[k];
    Object.assign(process.env, { GITLAB_CI: 'true', CI_API_V4_URL: gl.url, CI_PROJECT_ID: '42', CI_MERGE_REQUEST_IID: '7', CI_JOB_TOKEN: TOKEN });
    try {
      const a = await kiln('comment', '--body-file', path.join(dir, 'body.md'));
      writeFileSync(path.join(dir, 'body.md'), 'report v2\n');
      const b = await kiln('comment', '--body-file', path.join(dir, 'body.md'), '--json');
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toMatch(/^created the kiln diff comment on MR !7/);
      expect(JSON.parse(b.stdout)).toMatchObject({ forge: 'gitlab', number: 7, comment: { action: 'updated' } });
      expect(gl.notes.map((n) => n.body)).toEqual([`${MARKER}\nreport v2\n`]);
      for (const t of [a.stdout, a.stderr, b.stdout, b.stderr]) expect(t).not.toContain(TOKEN);
      delete process.env.CI_MERGE_REQUEST_IID;
      const none = await kiln('comment', '--body-file', path.join(dir, 'body.md'));
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^error: no merge request in this pipeline's environment \(run in a merge request pipeline/);
    } finally {
      process.env = saved;
    }
  });
});

describe('forge from the CI environment', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-env-'));
  const event = (name: string, payload: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, JSON.stringify(payload));
    return p;
  };

  it('GitHub: forge, API URL, repo, token; PR from the event payload or refs/pull/N/merge', async () => {
    const env = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/fleet', GITHUB_API_URL: 'http://127.0.0.1:1/api/v3', GITHUB_TOKEN: TOKEN };
    expect(detectForge({}, env)).toBe('github');
    expect(await scmFromEnv({}, env)).toBeInstanceOf(GitHubScm);
    expect(pullRequestFromEnv('github', { ...env, GITHUB_EVENT_PATH: event('pr.json', { number: 5, pull_request: { number: 5 } }) })).toBe(5);
    expect(pullRequestFromEnv('github', { ...env, GITHUB_EVENT_PATH: event('ic.json', { issue: { number: 9, pull_request: { url: 'x' } } }) })).toBe(9);
    expect(pullRequestFromEnv('github', { ...env, GITHUB_EVENT_PATH: event('issue.json', { issue: { number: 9 } }) })).toBeUndefined();
    expect(pullRequestFromEnv('github', { ...env, GITHUB_REF: 'refs/pull/12/merge' })).toBe(12);
    expect(pullRequestFromEnv('github', { ...env, GITHUB_REF: 'refs/heads/main' })).toBeUndefined();
    await expect(scmFromEnv({}, { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/fleet' })).rejects.toThrow(/GitHub needs a token: GITHUB_TOKEN is not set/);
    await expect(scmFromEnv({ repo: 'not-a-repo' }, env)).rejects.toThrow(/"not-a-repo" is not owner\/repo/);
  });

  it('GitLab: CI_* variables, GITLAB_TOKEN preferred over CI_JOB_TOKEN; flags win over the environment', async () => {
    const env = { GITLAB_CI: 'true', CI_API_V4_URL: 'http://127.0.0.1:1/api/v4', CI_PROJECT_ID: '42', CI_MERGE_REQUEST_IID: '7', CI_JOB_TOKEN: TOKEN };
    expect(detectForge({}, env)).toBe('gitlab');
    expect(await scmFromEnv({}, env)).toBeInstanceOf(GitLabScm);
    expect(pullRequestFromEnv('gitlab', env)).toBe(7);
    expect(detectForge({ forge: 'github' }, env)).toBe('github');
    await expect(scmFromEnv({}, { GITLAB_CI: 'true', CI_PROJECT_ID: '42', CI_JOB_TOKEN: TOKEN })).rejects.toThrow(/CI_API_V4_URL is not set/);
    expect(() => detectForge({}, {})).toThrow(/cannot tell the forge/);
  });
});
