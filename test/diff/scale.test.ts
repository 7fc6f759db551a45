/**
 * A change on 50 identical clusters reads as one group; refs as both sides; --exit-code; the size
 * limit (summary kept, details cut, full diff in the out-file). Plain manifests: fast renders.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln, withoutProgress } from '../helpers/cli.js';
import { makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';
import { normalise, runDiff } from './helpers.js';

describe('kiln diff on 50 clusters', () => {
  let repo: FleetRepo;
  let shas: string[];
  beforeAll(async () => {
    repo = makeFleetRepo(genFleetDir({ clusters: 50, envs: ['prod'] }));
    shas = [repo.commit('v1')];
    const p = await kiln('publish', '--cwd', repo.fleet);
    expect(p.code, p.stderr).toBe(0);
    setGenVersion(repo.fleet, '2');
  });
  afterAll(() => repo.cleanup());

  it('the same change on 50 clusters is shown once', async () => {
    const r = await runDiff(repo.fleet);
    expect(r.report.totals).toMatchObject({ clusters: 50, changedClusters: 50, groups: 1, changed: 50 });
    expect(r.report.groups[0]!.clusters).toHaveLength(50);
    expect(r.markdown.text.match(/<details>/g)).toHaveLength(1);
    expect(r.markdown.text.match(/^-  version: "1"$/gm)).toHaveLength(1);
    expect(r.markdown.text).toContain('same change on 50 clusters: prod-c0000, prod-c0001, prod-c0002 …');
    await expect(normalise(r.markdown.text, shas)).toMatchFileSnapshot('../../fixtures/diff/fifty.md');
    // rendered-branch commits carry dates: normalised like the source commits
    const ids = [...shas, ...r.report.clusters.map((c) => c.baseCommit!)];
    expect(new Set(ids).size).toBe(51);
    await expect(JSON.stringify(JSON.parse(normalise(JSON.stringify(r.report), ids)), null, 2) + '\n').toMatchFileSnapshot('../../fixtures/diff/fifty.json');
  });

  it('--base/--head refs render both sides from commits without touching the work tree', async () => {
    shas.push(repo.commit('v2'));
    setGenVersion(repo.fleet, 'work-tree-only');
    const r = await runDiff(repo.fleet, { base: 'HEAD~1', head: 'HEAD', clusters: ['prod-c0000', 'prod-c0001'] });
    expect(r.report.base).toEqual({ kind: 'ref', ref: 'HEAD~1', commit: shas[0] });
    expect(r.report.head).toEqual({ kind: 'ref', ref: 'HEAD', commit: shas[1] });
    expect(r.report.groups[0]!.objects[0]!.diff).toContain('-  version: "1"\n+  version: "2"');
    expect(readFileSync(path.join(repo.fleet, 'base/objects.yaml'), 'utf8')).toContain('work-tree-only');
    setGenVersion(repo.fleet, '2');
  });

  it('--exit-code exits 2 on a diff, 0 without; --json keeps the schema', async () => {
    const changed = await kiln('diff', '--cwd', repo.fleet, '--cluster', 'prod-c0003', '--exit-code', '--json');
    expect(changed.code, changed.stderr).toBe(2);
    expect(JSON.parse(changed.stdout)).toMatchObject({ schema: 'kiln.dev/diff/v1', totals: { changedClusters: 1 } });
    const same = await kiln('diff', '--cwd', repo.fleet, '--cluster', 'prod-c0003', '--base', 'HEAD', '--exit-code');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('no changes on 1 cluster');
    const bad = await kiln('diff', '--cwd', repo.fleet, '--base', 'no-such-ref');
    expect(bad.code).toBe(1);
    expect(withoutProgress(bad.stderr)).toMatch(/^error: "no-such-ref" is not a commit of the fleet repo/);
  });

  it('over the size limit: summary kept, details cut with a note, the full diff in the out-file', async () => {
    setGenVersion(repo.fleet, 'x'.repeat(3000));
    const out = path.join(repo.dir, 'kiln-diff.md');
    const r = await kiln('diff', '--cwd', repo.fleet, '--max-chars', '2500', '--out-file', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeLessThanOrEqual(2501);
    expect(r.stdout).toContain('| 1 | `prod-c0000`, `prod-c0001`');
    expect(r.stdout).toContain(`The full diff is in \`${out}\``);
    expect(r.stdout).not.toContain('<details>');
    expect(r.stderr).toContain(`the full diff is in ${out}`);
    const full = readFileSync(out, 'utf8');
    expect(full).toContain('<details>');
    expect(full).toContain('x'.repeat(3000));
    setGenVersion(repo.fleet, '2');
  });
});
