/**
 * fast-import writes many branches' commits through one ref: each commit's parent is exactly the one
 * asked for (or none), never the commit written before it on that ref. Real git.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FastImport } from '../../src/git/fast-import.js';
import { scratchRepo } from '../../src/git/git.js';
import { gitIn } from '../helpers/fleet-repo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-fast-import-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('FastImport', () => {
  it('commits sharing one ref each get the parent asked for; a commit without one is a root', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const first = new FastImport(dir);
    const m0 = await first.commit({ ref: 'refs/kiln/new', message: 'base\n', files: new Map([['a.yaml', 'a: 0\n']]) });
    const baseCommit = (await first.finish()).get(m0)!;

    const w = new FastImport(dir);
    const marks = [
      await w.commit({ ref: 'refs/kiln/new', parent: baseCommit, message: 'one\n', files: new Map([['a.yaml', 'a: 1\n']]) }),
      await w.commit({ ref: 'refs/kiln/new', message: 'root\n', files: new Map([['b.yaml', 'b: 1\n']]) }),
      await w.commit({ ref: 'refs/kiln/new', parent: baseCommit, message: 'two\n', files: new Map([['a.yaml', 'a: 2\n'], ['c/d.yaml', 'd: 1\n']]) }),
    ];
    const ids = await w.finish();
    const [one, root, two] = marks.map((m) => ids.get(m)!);
    const parents = (c: string) => gitIn(dir, 'rev-list', '--parents', '-n', '1', c).trim().split(' ').slice(1);
    expect(parents(one!)).toEqual([baseCommit]);
    expect(parents(root!)).toEqual([]);
    expect(parents(two!)).toEqual([baseCommit]);
    // each commit states its whole tree
    expect(gitIn(dir, 'ls-tree', '-r', '--name-only', two!).trim().split('\n')).toEqual(['a.yaml', 'c/d.yaml']);
    expect(gitIn(dir, 'ls-tree', '-r', '--name-only', root!).trim()).toBe('b.yaml');
    // one ref written, at the last commit
    expect(gitIn(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/kiln/').trim()).toBe(`refs/kiln/new ${two}`);
  });
});
