/** A publish or promote that changes no file notes the newer source commit on the head (refs/notes/kiln). */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

type Env = { name: string; reference?: { commit: string }; clusters: Array<{ cluster: string; sourceCommit: string; committedSource?: string; behind: number }> };

describe('status after a no-op publish or promote', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo();
  });
  afterEach(() => repo.cleanup());
  const run = (...a: string[]) => kiln(...a, '--cwd', repo.fleet, '--json', '--log-level', 'error');
  const status = async (): Promise<Map<string, Env>> => new Map(JSON.parse((await run('status')).stdout).environments.map((e: Env) => [e.name, e]));

  it('publish that changes no file: status reports 0 behind, promote and a second no-op build on the note, no commit is made', async () => {
    const a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    expect((await run('publish')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    const b = repo.commit('docs only');

    const p = await run('publish');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).branches.every((x: { action: string }) => x.action === 'unchanged')).toBe(true);
    expect(remoteBranches(repo.remote)).toEqual(before);
    // one note per head, on the remote's refs/notes/kiln
    const dev = [...before.entries()].find(([k]) => k.startsWith('rendered/dev/'))!;
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', dev[1])).toBe(`Kiln-Source-Commit: ${b}`);

    let s = await status();
    for (const e of s.values()) {
      for (const c of e.clusters) {
        expect([c.cluster, c.sourceCommit, c.committedSource, c.behind]).toEqual([c.cluster, b, a, 0]);
      }
    }

    // the next no-op, published to dev only, moves dev's notes on; staging trails until promoted
    const c2 = repo.commit('another no-op');
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    s = await status();
    expect(s.get('dev')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('dev')!.clusters.map(() => [c2, 0]));
    expect(s.get('staging')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('staging')!.clusters.map(() => [b, 1]));
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'list').split('\n')).toHaveLength(before.size);

    // promote reads the note (dev runs c2) and, staging already holding c2's render, notes it there too
    const pr = await run('promote', '--to', 'staging');
    expect(pr.code, pr.stderr).toBe(0);
    expect(JSON.parse(pr.stdout).sourceCommit).toBe(c2);
    expect(remoteBranches(repo.remote)).toEqual(before);
    s = await status();
    expect(s.get('staging')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('staging')!.clusters.map(() => [c2, 0]));
    expect((await run('promote', '--to', 'prod')).code).toBe(0);
    expect(remoteBranches(repo.remote)).toEqual(before);

    // report shows the noted commit too
    const out = `${repo.dir}/site`;
    const r = await kiln('report', '--out', out, '--cwd', repo.fleet, '--json', '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    const clusters = JSON.parse(readFileSync(`${out}/report.json`, 'utf8')).clusters as Array<{ sourceCommit: string; behind: number }>;
    expect(clusters.length).toBe(before.size);
    for (const c of clusters) expect([c.sourceCommit, c.behind]).toEqual([c2, 0]);
  });

  it('a dry run notes nothing; an older source commit is never noted over a newer one', async () => {
    expect((await run('publish')).code).toBe(0);
    const a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    repo.commit('no-op');
    expect((await run('publish', '--dry-run')).code).toBe(0);
    expect(() => gitIn(repo.remote, 'rev-parse', '--verify', 'refs/notes/kiln')).toThrow();
    expect((await run('publish')).code).toBe(0);
    const noted = gitIn(repo.remote, 'rev-parse', 'refs/notes/kiln');
    // publishing a again (e.g. a late CI job of the older commit) leaves the notes alone
    gitIn(repo.fleet, 'checkout', '--quiet', a);
    expect((await run('publish')).code).toBe(0);
    expect(gitIn(repo.remote, 'rev-parse', 'refs/notes/kiln')).toBe(noted);
  });
});

describe('concurrent no-op publishes', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 4 }));
  });
  afterEach(() => repo.cleanup());

  it('race to note their source commits: every head ends noted with the newest, never an older one', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const heads = remoteBranches(repo.remote);
    const clones = [0, 1, 2].map((i) => {
      const dir = path.join(repo.dir, `clone-${i}`);
      gitIn(repo.dir, 'clone', '--quiet', repo.fleet, dir);
      return dir;
    });
    for (let round = 0; round < 2; round++) {
      const commits = clones.map((_, i) => repo.commit(`no-op ${round}.${i}`));
      // the newest publishes first: the older ones must not note over it
      const runs = clones.map((dir, i) => {
        gitIn(dir, 'fetch', '--quiet', 'origin');
        gitIn(dir, 'checkout', '--quiet', commits[clones.length - 1 - i]!);
        return spawnKiln(['publish', '--cwd', dir, '--remote', repo.remote, '--json', '--log-level', 'warn']);
      });
      const results = await Promise.all(runs.map((x) => x.done));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const log = results.map((r) => r.stderr).join('\n---\n');
      expect(remoteBranches(repo.remote)).toEqual(heads);
      const newest = commits[commits.length - 1]!;
      const noteOf = (h: string) => {
        try {
          return gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', h);
        } catch {
          return 'no note';
        }
      };
      for (const h of heads.values()) expect(noteOf(h), `round ${round}: ${log}`).toBe(`Kiln-Source-Commit: ${newest}`);
    }
  }, 300_000); // 7 kiln runs, 6 of them child processes: slow on a loaded 2-core CI box
});

describe('notes ride in the branches\' atomic push', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 3 })); // dev-c0000, staging-c0001, prod-c0002
  });
  afterEach(() => repo.cleanup());

  const hook = (name: string, script: string) => {
    const p = path.join(repo.remote, 'hooks', name);
    writeFileSync(p, `#!/bin/sh\n${script}\n`);
    chmodSync(p, 0o755);
  };
  /** Every push the remote received (pre-receive sees refused ones too): its ref updates, one line each. */
  const pushes = () => readFileSync(path.join(repo.remote, 'pushes.log'), 'utf8').split('---\n').filter(Boolean).map((p) => p.trim().split('\n').sort());
  const logPushes = 'while read old new ref; do echo "$ref" >> "$GIT_DIR/pushes.log"; done; echo --- >> "$GIT_DIR/pushes.log"';
  /** A commit that changes dev's render only: staging and prod stay as they are (a note each). */
  const devOnlyChange = () => {
    mkdirSync(path.join(repo.fleet, 'dev-extra'));
    writeFileSync(path.join(repo.fleet, 'dev-extra/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dev-extra\ndata:\n  a: "1"\n');
    writeFileSync(
      path.join(repo.fleet, 'profiles/dev-extra.yaml'),
      'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: dev-extra\nspec:\n  clusterSelector:\n    matchLabels: {env: dev}\n  namespace: base\n  components:\n    - name: cm\n      manifests:\n        paths: [dev-extra]\n',
    );
    return repo.commit('dev only');
  };

  it('one push carries the updated branch and the notes of the unchanged ones', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    hook('pre-receive', logPushes);
    const b = devOnlyChange();
    const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).branches.map((x: { action: string }) => x.action)).toEqual(['updated', 'unchanged', 'unchanged']);
    expect(pushes()).toEqual([['refs/heads/rendered/dev/dev-c0000', 'refs/notes/kiln']]);
    for (const e of ['staging', 'prod']) {
      const head = before.get(`rendered/${e}/${e}-c000${e === 'staging' ? 1 : 2}`)!;
      expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', head)).toBe(`Kiln-Source-Commit: ${b}`);
    }
  });

  it('a remote that refuses the notes ref gets the branches without notes, with a warning', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    hook('update', 'case "$1" in refs/notes/*) echo "notes are not allowed here" >&2; exit 1;; esac; exit 0');
    devOnlyChange();
    const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'warn');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warn: the remote refused refs\/notes\/kiln \(.*hook declined.*\); publishing without recording verified source commits/);
    const after = remoteBranches(repo.remote);
    expect(after.get('rendered/dev/dev-c0000')).not.toBe(before.get('rendered/dev/dev-c0000'));
    expect(after.get('rendered/prod/prod-c0002')).toBe(before.get('rendered/prod/prod-c0002'));
    expect(() => gitIn(repo.remote, 'rev-parse', '--verify', 'refs/notes/kiln')).toThrow();
  });

  it('a notes push lost to another publisher refuses the branches with it; the retry merges both notes and lands once', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    const staging = before.get('rendered/staging/staging-c0001')!;
    const prod = before.get('rendered/prod/prod-c0002')!;
    // the competitor: just before our first push lands, "another publisher" notes the prod head
    // (a real notes commit on the remote's ref, made inside the push window)
    const theirs = repo.commit('their no-op');
    gitIn(repo.fleet, 'push', '--quiet', repo.remote, `${theirs}:refs/heads/source`); // objects for the note's id only
    hook(
      'pre-receive',
      `${logPushes}\nif [ ! -e "$GIT_DIR/raced" ]; then touch "$GIT_DIR/raced"; env -u GIT_QUARANTINE_PATH GIT_COMMITTER_NAME=o GIT_COMMITTER_EMAIL=o@o GIT_AUTHOR_NAME=o GIT_AUTHOR_EMAIL=o@o git notes --ref=kiln add -m "Kiln-Source-Commit: ${theirs}" ${prod}; fi; exit 0`,
    );
    gitIn(repo.remote, 'update-ref', '-d', 'refs/heads/source');
    gitIn(repo.fleet, 'reset', '--quiet', '--hard', 'HEAD~1');
    const b = devOnlyChange();
    const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'info');
    expect(r.code, r.stderr).toBe(0);
    // the race happened: the first push (dev branch + notes) was refused whole, the retry carried both again
    expect(r.stderr).toMatch(/lost the push race for 2 ref\(s\) \(refs\/notes\/kiln, rendered\/dev\/dev-c0000\)/);
    const all = pushes();
    expect(all).toEqual([
      ['refs/heads/rendered/dev/dev-c0000', 'refs/notes/kiln'],
      ['refs/heads/rendered/dev/dev-c0000', 'refs/notes/kiln'],
    ]);
    // dev moved once, from the head it had
    const dev = remoteBranches(repo.remote).get('rendered/dev/dev-c0000')!;
    expect(gitIn(repo.remote, 'rev-parse', `${dev}^`)).toBe(before.get('rendered/dev/dev-c0000'));
    // merged: their note kept, ours added; the notes history has theirs as our parent
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', staging)).toBe(`Kiln-Source-Commit: ${b}`);
    // prod: b does not descend from theirs (reset away), so b is not known newer and their note stays
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', prod)).toBe(`Kiln-Source-Commit: ${theirs}`);
    expect(gitIn(repo.remote, 'log', '--format=%an', 'refs/notes/kiln').split('\n')).toContain('o');
  });
});
