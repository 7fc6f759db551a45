/**
 * fast-import writes many branches' commits through one ref: each commit's parent is exactly the one
 * asked for (or none), never the commit written before it on that ref. Real git.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FastImport } from '../../src/git/fast-import.js';
import { scratchRepo } from '../../src/git/git.js';
import { treeId } from '../../src/git/objects.js';
import { gitIn } from '../helpers/fleet-repo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-fast-import-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The pid of the `git fast-import` writing into `dir` (the spawner helper starts it a moment after it is asked for). */
async function fastImportPid(dir: string): Promise<number> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (argv.includes('fast-import') && argv.includes(dir)) return Number(p);
      } catch {
        // gone meanwhile
      }
    }
  }
  throw new Error(`no git fast-import for ${dir}`);
}

/** Whether `p` has settled within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

const big = (n: number) => new Map([['m/a.yaml', `n: ${n}\n${'y'.repeat(256 * 1024)}\n`]]);

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

  it('sends a file it wrote earlier in the stream by its blob id: the same trees, the same bytes', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const shared = 'kind: ConfigMap\ndata: {a: "ü"}\n';
    const branch = (n: number) =>
      new Map([
        ['README.md', `cluster ${n}\n`],
        ['.kiln/metadata.yaml', `cluster: c${n}\n`],
        ['m/shared.yaml', shared],
        ['m/again/shared-copy.yaml', shared],
        ['m/own.yaml', `n: ${n}\n`],
      ]);
    const w = new FastImport(dir);
    const marks = [];
    for (let n = 0; n < 3; n++) marks.push(await w.commit({ ref: 'refs/kiln/new', message: `c${n}\n`, files: branch(n) }));
    const ids = await w.finish();
    // the shared text went inline once; its copy and the later branches' named its id; README.md and .kiln/ always inline
    expect(w.sent.byId).toBe(5);
    const own = (n: number) => Buffer.byteLength(`cluster ${n}\n`) + Buffer.byteLength(`cluster: c${n}\n`) + Buffer.byteLength(`n: ${n}\n`);
    expect(w.sent.inlineBytes).toBe(Buffer.byteLength(shared) + own(0) + own(1) + own(2));
    for (let n = 0; n < 3; n++) {
      const c = ids.get(marks[n]!)!;
      expect(gitIn(dir, 'rev-parse', `${c}^{tree}`).trim()).toBe(treeId(branch(n)));
      expect(gitIn(dir, 'show', `${c}:m/again/shared-copy.yaml`).trimEnd()).toBe(shared.trimEnd()); // the tree id check above holds the bytes
    }
    // a new stream knows none of it: its first use of the text is inline again
    const next = new FastImport(dir);
    await next.commit({ ref: 'refs/kiln/other', message: 'again\n', files: new Map([['x.yaml', shared]]) });
    await next.finish();
    expect(next.sent).toEqual({ inlineBytes: Buffer.byteLength(shared), byId: 0, writes: 1 });
    gitIn(dir, 'fsck', '--strict');
  });

  it('sends commits to git in batches of about 512 KiB, not one pipe write each; every commit keeps its own tree', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const text = (n: number) => `n: ${n}\n${'x'.repeat(4000)}\n`;
    const files = (n: number) => new Map([['m/a.yaml', text(n)], ['README.md', `c${n}\n`]]);
    const w = new FastImport(dir);
    const marks: number[] = [];
    for (let n = 0; n < 300; n++) marks.push(await w.commit({ ref: 'refs/kiln/new', message: `c${n}\n`, files: files(n) }));
    const ids = await w.finish();
    // ~1.2 MB of commits: three writes, where one per commit were 300
    expect(w.sent.writes).toBe(3);
    expect(new Set(marks.map((m) => ids.get(m))).size).toBe(300);
    for (const n of [0, 127, 128, 299]) expect(gitIn(dir, 'rev-parse', `${ids.get(marks[n]!)!}^{tree}`).trim()).toBe(treeId(files(n)));
  });

  it('a commit git refuses fails finish(), with what git said, also when it waited in a batch', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const w = new FastImport(dir);
    await w.commit({ ref: 'refs/kiln/new', message: 'ok\n', files: new Map([['a.yaml', 'a: 1\n']]) });
    await w.commit({ ref: 'refs/kiln/new', parent: '1234567890123456789012345678901234567890', message: 'bad\n', files: new Map([['a.yaml', 'a: 2\n']]) });
    expect(w.sent.writes).toBe(0); // both still in the batch
    await expect(w.finish()).rejects.toThrow(/1234567890123456789012345678901234567890/);
  });

  it('a commit does not wait for git to take its batch; only when git is 8 MiB behind does the next one wait', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const w = new FastImport(dir);
    await w.commit({ ref: 'refs/kiln/new', message: 'c0\n', files: big(0) });
    await w.commit({ ref: 'refs/kiln/new', message: 'c1\n', files: big(1) }); // the first batch: git starts
    const pid = await fastImportPid(dir);
    process.kill(pid, 'SIGSTOP'); // git takes nothing more
    try {
      // ~4 MiB more: batches queue behind the stopped git, and every commit returns its mark at once
      const marks: number[] = [];
      for (let n = 2; n < 18; n++) marks.push(await w.commit({ ref: 'refs/kiln/new', message: `c${n}\n`, files: big(n) }));
      expect(w.sent.writes).toBeGreaterThanOrEqual(8);
      // past 8 MiB behind, a commit waits for git
      let waiting: Promise<number> | undefined;
      for (let n = 18; n < 60 && !waiting; n++) {
        const c = w.commit({ ref: 'refs/kiln/new', message: `c${n}\n`, files: big(n) });
        if (!(await settlesWithin(c, 50))) waiting = c;
      }
      expect(waiting, 'a commit waited for the stopped git').toBeDefined();
      process.kill(pid, 'SIGCONT');
      await waiting;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const ids = await w.finish();
    expect(ids.size).toBeGreaterThan(20);
    const last = Math.max(...ids.keys());
    expect(gitIn(dir, 'cat-file', '-p', `${ids.get(last)!}:m/a.yaml`).startsWith(`n: ${last - 1}\n`)).toBe(true);
  });

  it('git dying mid-stream: the commits after it and finish() fail, not hang', async () => {
    const { dir } = await scratchRepo('repo-', base);
    const w = new FastImport(dir);
    await w.commit({ ref: 'refs/kiln/new', message: 'c0\n', files: big(0) });
    await w.commit({ ref: 'refs/kiln/new', message: 'c1\n', files: big(1) });
    process.kill(await fastImportPid(dir), 'SIGKILL');
    const later = (async () => {
      for (let n = 2; n < 40; n++) await w.commit({ ref: 'refs/kiln/new', message: `c${n}\n`, files: big(n) });
    })();
    await expect(later).rejects.toThrow(/fast-import.* was killed by SIGKILL/);
    await expect(w.finish()).rejects.toThrow(/fast-import.* was killed by SIGKILL/);
  });
});
