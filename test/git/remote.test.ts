/**
 * Fetching heads by id (with the name as fallback) and pushing staged updates with one wildcard
 * refspec: what thousands of branches need, checked on real bare repos over file://.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHeads, lsRemoteHeads, push } from '../../src/git/remote.js';
import { gitIn, sh } from '../helpers/fleet-repo.js';

let base: string;
let remote: string;
const BRANCHES = ['rendered/dev/a', 'rendered/dev/b', 'rendered/prod/c'];

/** A commit holding one file, on its own (no parent unless given), by fast-import into `repo`. */
function commitIn(repo: string, ref: string, text: string, parent?: string): string {
  const stream = [`commit ${ref}`, 'committer t <t@t> 1700000000 +0000', 'data 2', 'm', ...(parent ? [`from ${parent}`] : []), 'M 644 inline f.yaml', `data ${Buffer.byteLength(text)}`, text, ''].join('\n');
  sh(repo, 'git', ['fast-import', '--quiet'], stream);
  return gitIn(repo, 'rev-parse', ref);
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'kiln-remote-test-'));
  remote = path.join(base, 'remote.git');
  gitIn(base, 'init', '--quiet', '--bare', remote);
  for (const b of BRANCHES) commitIn(remote, `refs/heads/${b}`, `${b} v1\n`);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const scratch = (name: string) => {
  const dir = path.join(base, name);
  gitIn(base, 'init', '--quiet', '--bare', dir);
  return dir;
};
const has = (repo: string, id: string) => sh(repo, 'git', ['cat-file', '-t', id]).trim() === 'commit';

describe('fetchHeads', () => {
  it('fetches the heads by id; an id the server no longer hands out falls back to the names', async () => {
    const url = `file://${remote}`;
    const heads = await lsRemoteHeads(url);
    const byId = scratch('by-id.git');
    await fetchHeads(byId, url, BRANCHES, heads);
    for (const b of BRANCHES) expect(has(byId, heads.get(b)!)).toBe(true);
    expect(gitIn(byId, 'for-each-ref')).toBe(''); // by id: objects only, no refs

    const stale = new Map(heads);
    stale.set('rendered/dev/a', '0123456789abcdef0123456789abcdef01234567');
    const byName = scratch('by-name.git');
    await fetchHeads(byName, url, BRANCHES, stale);
    for (const b of BRANCHES) expect(has(byName, heads.get(b)!)).toBe(true);
    expect(gitIn(byName, 'for-each-ref', '--format=%(refname)').split('\n').sort()).toEqual(BRANCHES.map((b) => `refs/kiln/old/${b}`).sort());
  });
});

describe('push', () => {
  it('pushes exactly the staged updates with one refspec; a retry drops what already landed', async () => {
    const url = `file://${remote}`;
    const heads = await lsRemoteHeads(url);
    const work = scratch('push.git');
    await fetchHeads(work, url, BRANCHES, heads);
    const next = Object.fromEntries(BRANCHES.map((b) => [b, commitIn(work, `refs/kiln/new/${b}`, `${b} v2\n`, heads.get(b))]));
    // first push: two of the three
    const first = await push(work, url, ['rendered/dev/a', 'rendered/prod/c'].map((b) => ({ branch: b, commit: next[b]! })), { atomic: true });
    expect(first).toEqual({ ok: ['rendered/dev/a', 'rendered/prod/c'], rejected: [] });
    let now = await lsRemoteHeads(url);
    expect(now.get('rendered/dev/b')).toBe(heads.get('rendered/dev/b')); // not staged, not pushed
    // someone else moves dev/a; our next push only carries dev/b, and must not re-push (and fail on) dev/a
    const theirs = commitIn(remote, 'refs/heads/rendered/dev/a', 'theirs\n', next['rendered/dev/a']);
    const second = await push(work, url, [{ branch: 'rendered/dev/b', commit: next['rendered/dev/b']! }], { atomic: true });
    expect(second).toEqual({ ok: ['rendered/dev/b'], rejected: [] });
    now = await lsRemoteHeads(url);
    expect(now.get('rendered/dev/a')).toBe(theirs);
    expect(now.get('rendered/dev/b')).toBe(next['rendered/dev/b']);
    expect(gitIn(work, 'for-each-ref', '--format=%(refname)', 'refs/kiln/push/')).toBe('refs/kiln/push/rendered/dev/b');
    // a stale update (not a fast-forward of what the remote has now) is rejected, not forced
    const stale = await push(work, url, [{ branch: 'rendered/dev/a', commit: next['rendered/dev/a']! }], { atomic: true });
    expect(stale.rejected).toEqual(['rendered/dev/a']);
    expect((await lsRemoteHeads(url)).get('rendered/dev/a')).toBe(theirs);
  });
});
