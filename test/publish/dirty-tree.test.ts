/**
 * The dirty-tree check of publish: it names what it objects to and says the fix, leaves kiln's own
 * outputs in the repo alone (a `render --out` dir, a diff's out-file, the cache), and a dry run
 * renders the commit as the publish would, with a warning instead of a refusal.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';

describe('publish and a dirty work tree', () => {
  let repo: FleetRepo;
  let head: string;
  const saved = process.env.KILN_CACHE_DIR;
  beforeAll(() => {
    const dir = genFleetDir({ clusters: 2, envs: ['dev'] });
    mkdirSync(path.join(dir, 'docs'));
    writeFileSync(path.join(dir, 'docs/index.md'), 'tracked\n');
    repo = makeFleetRepo(dir);
    rmSync(dir, { recursive: true, force: true });
    head = gitIn(repo.fleet, 'rev-parse', 'HEAD');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KILN_CACHE_DIR;
    else process.env.KILN_CACHE_DIR = saved;
    repo.cleanup();
  });

  it("kiln's own outputs inside the repo do not make it dirty: render --out, a diff's --out-file, the cache", async () => {
    process.env.KILN_CACHE_DIR = path.join(repo.fleet, '.cache-of-kiln');
    const rendered = await kiln('render', '--cwd', repo.fleet, '--out', 'out/rendered');
    expect(rendered.code, rendered.stderr).toBe(0);
    setGenVersion(repo.fleet, '2');
    const d = await kiln('diff', '--cwd', repo.fleet, '--out-file', path.join(repo.fleet, 'review.md'));
    expect(d.code, d.stderr).toBe(0);
    setGenVersion(repo.fleet, '1');
    // a cluster's dir rendered alone, beside tracked files
    const one = await kiln('render', '--cwd', repo.fleet, '--out', 'docs/rendered', '--cluster', 'dev-c0000');
    expect(one.code, one.stderr).toBe(0);
    expect(gitIn(repo.fleet, 'status', '--porcelain', '--untracked-files=normal').split('\n').sort()).toEqual(['?? .cache-of-kiln/', '?? docs/rendered/', '?? out/', '?? review.md']); // git sees them all

    const p = await kiln('publish', '--cwd', repo.fleet, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/uncommitted/);
    expect(remoteBranches(repo.remote).size).toBe(2);
    const meta = parse(showFile(repo.remote, 'rendered/dev/dev-c0000', '.kiln/metadata.yaml')) as Record<string, unknown>;
    expect(meta.sourceCommit).toBe(head);
    expect(meta.sourceDirty).toBeUndefined();
  });

  it('a real change is refused, naming each file and the fix; nothing pushed', async () => {
    const before = remoteBranches(repo.remote);
    setGenVersion(repo.fleet, '3');
    writeFileSync(path.join(repo.fleet, 'notes.txt'), 'mine\n');
    mkdirSync(path.join(repo.fleet, 'drafts'));
    writeFileSync(path.join(repo.fleet, 'drafts/a.yaml'), 'a: 1\n');
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the fleet repo has 3 uncommitted change(s): M base/objects.yaml, ?? drafts/, ?? notes.txt; a publish must be reproducible from its source commit ${head.slice(0, 12)} (commit them, or stash them with git stash -u, or pass --allow-dirty to publish the work tree as it is, recorded as sourceDirty)\n`,
    ); // one line, kiln's outputs (out/, review.md, docs/rendered/) not named
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('--dry-run is not refused: it warns with the same names and renders the commit, as the publish would', async () => {
    const before = remoteBranches(repo.remote);
    const r = await kiln('publish', '--cwd', repo.fleet, '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warn: the fleet repo has 3 uncommitted change(s): M base/objects.yaml, ?? drafts/, ?? notes.txt; a publish would refuse them: this dry run renders commit');
    // the commit (version 1) is what the branches hold already: the uncommitted version 3 is not rendered
    const out = JSON.parse(r.stdout) as { dryRun: boolean; branches: Array<{ action: string }> };
    expect(out.dryRun).toBe(true);
    expect(out.branches.map((b) => b.action)).toEqual(['unchanged', 'unchanged']);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });
});
