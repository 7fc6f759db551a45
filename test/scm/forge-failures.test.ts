/**
 * Forge calls that fail on the way: a server that accepts and never answers (the timeout hits and
 * says so), one that refuses connections (named as such, not "HTTP 500"), rate limits answered with
 * `retry-after` (waited out, then the call succeeds), and a refused token (401, the hint names the
 * token in use). Servers on 127.0.0.1 only.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubScm } from '../../src/scm/github.js';
import { GitLabScm } from '../../src/scm/gitlab.js';

const TOKEN = 'ghs_forgeFailureToken0123456789abcdefgh';
const saved = process.env.KILN_FORGE_TIMEOUT_MS;
afterEach(() => {
  if (saved === undefined) delete process.env.KILN_FORGE_TIMEOUT_MS;
  else process.env.KILN_FORGE_TIMEOUT_MS = saved;
});

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

function listen(server: net.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`)));
}

/** Accepts connections and never answers. */
let silent: string;
/** A port nothing listens on. */
let refused: string;
beforeAll(async () => {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((sock) => void sockets.add(sock));
  silent = await listen(s);
  closers.push(() => new Promise((r) => (sockets.forEach((x) => x.destroy()), s.close(() => r()))));
  const gone = net.createServer();
  refused = await listen(gone);
  await new Promise<void>((r) => gone.close(() => r()));
});

/** An HTTP server answering each request with the next scripted answer (the last one repeats). */
async function scripted(answers: Array<(req: IncomingMessage, res: ServerResponse) => void>): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createHttp((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    answers[Math.min(seen.length - 1, answers.length - 1)]!(req, res);
  });
  const url = await listen(server);
  closers.push(() => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => (_: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const github = (apiUrl: string) => new GitHubScm({ apiUrl, repo: 'acme/fleet', token: TOKEN, tokenName: 'GITHUB_TOKEN' });
const gitlab = (apiUrl: string, tokenKind: 'job' | 'private' = 'private') => new GitLabScm({ apiUrl: `${apiUrl}/api/v4`, project: 'acme/fleet', token: TOKEN, tokenKind });

async function failure(p: Promise<unknown>): Promise<{ line: string; ms: number }> {
  const t = Date.now();
  const e = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err as { oneLine(): string },
  );
  return { line: e.oneLine(), ms: Date.now() - t };
}

describe('forge requests that get no answer', () => {
  it.each([['GitHub'], ['GitLab']])('%s: a server that never answers is timed out, and the message says so', async (forge) => {
    process.env.KILN_FORGE_TIMEOUT_MS = '400';
    const scm = forge === 'GitHub' ? github(silent) : gitlab(silent);
    const { line, ms } = await failure(scm.upsertComment(7, '<!-- m -->', 'body'));
    expect(line).toMatch(new RegExp(`^${forge}: listing (comments|notes) of [#!]7 failed: no answer from 127\\.0\\.0\\.1:\\d+ within 0\\.4s \\(timed out\\) \\(raise KILN_FORGE_TIMEOUT_MS if the forge is just slow\\)$`));
    expect(line).not.toMatch(/HTTP/);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(10_000); // not retried into minutes
  });

  it.each([['GitHub'], ['GitLab']])('%s: a refused connection is named as such', async (forge) => {
    const scm = forge === 'GitHub' ? github(refused) : gitlab(refused);
    const { line } = await failure(scm.commitState('a'.repeat(40), 'flux/healthy'));
    expect(line).toMatch(new RegExp(`^${forge}: reading statuses of a{12} failed: connection to 127\\.0\\.0\\.1:\\d+ refused \\(check the forge URL`));
    expect(line).not.toMatch(/HTTP 500/);
  });
});

describe('rate limits are waited out', () => {
  it('GitHub: a secondary rate limit (403) and a 429, each with retry-after, then success', async () => {
    const limited = { 'retry-after': '1' };
    const s = await scripted([
      json(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, limited),
      json(429, { message: 'Too many requests' }, { ...limited, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) }),
      json(200, []),
      json(201, { id: 5, body: '<!-- m -->\nbody', html_url: 'https://github.example/acme/fleet/pull/7#issuecomment-5' }),
    ]);
    const r = await github(s.url).upsertComment(7, '<!-- m -->', 'body');
    expect(r).toMatchObject({ id: '5', action: 'created' });
    expect(s.seen).toEqual([...Array(3).fill('GET /repos/acme/fleet/issues/7/comments?per_page=100'), 'POST /repos/acme/fleet/issues/7/comments']);
  });

  it('GitLab: 429s are retried, then the call succeeds', async () => {
    const s = await scripted([json(429, { message: '429 Too Many Requests' }, { 'retry-after': '1' }), json(429, { message: '429 Too Many Requests' }), json(200, [{ id: 1, name: 'flux/healthy', status: 'success' }])]);
    expect(await gitlab(s.url).commitState('b'.repeat(40), 'flux/healthy')).toBe('success');
    expect(s.seen).toHaveLength(3);
  });
});

describe('a refused token', () => {
  it('GitHub 401: exit-1 error whose hint names the token variable in use', async () => {
    const s = await scripted([json(401, { message: 'Bad credentials' })]);
    const { line } = await failure(github(s.url).commitState('c'.repeat(40), 'flux/healthy'));
    expect(line).toBe('GitHub: reading statuses of cccccccccccc failed (HTTP 401): Bad credentials (the token (GITHUB_TOKEN) was refused: expired, revoked, or for another host?)');
    expect(s.seen).toHaveLength(1); // not retried
  });

  it('GitLab 401 with CI_JOB_TOKEN: the hint says that token cannot use this API', async () => {
    const s = await scripted([json(401, { message: '401 Unauthorized' })]);
    const { line } = await failure(gitlab(s.url, 'job').upsertComment(3, '<!-- m -->', 'body'));
    expect(line).toMatch(/^GitLab: listing notes of !3 failed \(HTTP 401\): .*\(CI_JOB_TOKEN was refused: it cannot use this API; set GITLAB_TOKEN to a project access token with api scope\)$/);
    expect(line).not.toContain(TOKEN);
  });
});
