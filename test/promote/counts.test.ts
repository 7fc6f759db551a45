/** One rule, one counter: `diff` and `promote` count the same change the same way; the PR carries the grouped diff. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import type { FleetRepo } from '../helpers/fleet-repo.js';
import { promoteFleet } from './helpers.js';

const objects = (version: string, checksum: string, extra: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: "${version}"\n---\n` +
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations:\n        checksum/config: "${checksum}"\n    spec:\n      containers: [{name: web, image: "web:1"}]\n---\n` +
  extra;

describe('counts that agree', () => {
  let repo: FleetRepo;
  const run = (...args: string[]) => kiln(...args, '--cwd', repo.fleet);
  beforeAll(async () => {
    repo = promoteFleet();
    writeFileSync(path.join(repo.fleet, 'base/objects.yaml'), objects('1', 'aaa', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n'));
    repo.commit('v1');
    { const r = await run('publish', '--env', 'dev'); expect(r.code, r.stderr).toBe(0); }
    expect((await run('promote', '--to', 'staging')).code).toBe(0);
    // the next change: one ConfigMap value, a checksum-only annotation change (ignored by both), one object swapped for another
    writeFileSync(path.join(repo.fleet, 'base/objects.yaml'), objects('2', 'bbb', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n  labels: {x: z}\n'));
    repo.commit('v2');
    { const r = await run('publish', '--env', 'dev'); expect(r.code, r.stderr).toBe(0); }
  });
  afterAll(() => repo.cleanup());

  it('diff against staging, promote --dry-run and publish --dry-run to staging give the same added/changed/removed', async () => {
    const d = await run('diff', '--env', 'staging', '--json');
    expect(d.code, d.stderr).toBe(0);
    const totals = JSON.parse(d.stdout).totals;
    expect(totals).toMatchObject({ changedClusters: 2, added: 2, changed: 2, removed: 2 });
    const p = await run('promote', '--to', 'staging', '--dry-run', '--json');
    expect(p.code, p.stderr).toBe(0);
    const changes = JSON.parse(p.stdout).changes as Array<{ added: number; changed: number; removed: number }>;
    const sum = (k: 'added' | 'changed' | 'removed') => changes.reduce((n, c) => n + c[k], 0);
    expect({ added: sum('added'), changed: sum('changed'), removed: sum('removed') }).toEqual({ added: totals.added, changed: totals.changed, removed: totals.removed });
    const text = await run('promote', '--to', 'staging', '--dry-run');
    expect(text.stdout).toMatch(/^would update {2}rendered\/staging\/staging-c0001 \+1 ~1 -1$/m);
    // publish --dry-run of the same work tree onto the same branches: the same counter, "would update"
    const pub = await run('publish', '--env', 'staging', '--dry-run', '--json');
    expect(pub.code, pub.stderr).toBe(0);
    const branches = JSON.parse(pub.stdout).branches as Array<{ action: string; changes: { added: number; changed: number; removed: number } }>;
    expect(branches.map((b) => b.changes)).toEqual(changes.map((c) => ({ added: c.added, changed: c.changed, removed: c.removed })));
    const pubText = await run('publish', '--env', 'staging', '--dry-run');
    expect(pubText.stdout).toMatch(/^would update {2}rendered\/staging\/staging-c0004 \+1 ~1 -1$/m);
    expect(pubText.stdout).toMatch(/would publish source [0-9a-f]{12} to .*: 0 would be created, 2 would be updated, 0 unchanged/);
  });

  it("a profile's diffIgnore counts the same in diff, promote and publish --dry-run", async () => {
    // the base profile acknowledges the ConfigMap's version: the v1 → v2 change of it is no change to count
    const profile = path.join(repo.fleet, 'profiles/base.yaml');
    writeFileSync(profile, readFileSync(profile, 'utf8') + '  diffIgnore: ["ConfigMap:data.version"]\n');
    repo.commit('base: diffIgnore the version');
    { const r = await run('publish', '--env', 'dev'); expect(r.code, r.stderr).toBe(0); }
    const d = await run('diff', '--env', 'staging', '--json');
    expect(d.code, d.stderr).toBe(0);
    const totals = JSON.parse(d.stdout).totals;
    expect(totals).toMatchObject({ added: 2, changed: 0, removed: 2 }); // only the swapped ServiceAccount
    const p = await run('promote', '--to', 'staging', '--dry-run', '--json');
    expect(p.code, p.stderr).toBe(0);
    const changes = JSON.parse(p.stdout).changes as Array<{ added: number; changed: number; removed: number }>;
    expect(changes.map((c) => [c.added, c.changed, c.removed])).toEqual([[1, 0, 1], [1, 0, 1]]);
    const pub = await run('publish', '--env', 'staging', '--dry-run', '--json');
    expect(pub.code, pub.stderr).toBe(0);
    expect((JSON.parse(pub.stdout).branches as Array<{ changes: object }>).map((b) => b.changes)).toEqual([{ added: 1, changed: 0, removed: 1 }, { added: 1, changed: 0, removed: 1 }]);
    // the branches still move: diffIgnore quiets diffs, it never drops what is published
    expect(JSON.parse(pub.stdout).branches.map((b: { action: string }) => b.action)).toEqual(['updated', 'updated']);
  });

  it('a second promote that changes nothing says so', async () => {
    expect((await run('promote', '--to', 'staging')).code).toBe(0);
    const again = await run('promote', '--to', 'staging');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^nothing to promote: staging already runs what [0-9a-f]{12} renders \(from dev\)$/m);
    expect(again.stdout).not.toMatch(/^promoted/m);
  });
});
