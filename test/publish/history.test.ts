/**
 * Source history as CI has it: shallow clones (actions/checkout's default depth 1) publishing,
 * promoting and diffing after a full clone; source commits that were never pushed.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';

const NS = 'manifests/namespaces/namespaces.yaml';

/** A commit in `dir` that changes every cluster's render (one more Namespace), not pushed. */
function changeAll(dir: string, name: string): string {
  appendFileSync(path.join(dir, NS), `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`);
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '--quiet', '-m', `namespace ${name}`);
  return gitIn(dir, 'rev-parse', 'HEAD');
}

const shallowClone = (repo: FleetRepo, name: string): string => {
  const dir = path.join(repo.dir, name);
  gitIn(repo.dir, 'clone', '--quiet', '--depth', '1', '--branch', 'main', `file://${repo.remote}`, dir);
  expect(gitIn(dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
  return dir;
};

const actions = (stdout: string): Record<string, string> => Object.fromEntries(JSON.parse(stdout).branches.map((b: { branch: string; action: string }) => [b.branch, b.action]));

describe('shallow clones', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo();
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
  });
  afterEach(() => repo.cleanup());

  it('a --depth 1 clone publishes after a full one, promotes and diffs --base: the history is fetched, never a conflict', async () => {
    const a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
    // a few commits later (the ordering needs history the depth-1 clone lacks)
    for (let i = 0; i < 3; i++) gitIn(repo.fleet, 'commit', '--quiet', '--allow-empty', '-m', `empty ${i}`);
    const b = changeAll(repo.fleet, 'ci-one');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');

    const ci1 = shallowClone(repo, 'ci1');
    const r = await kiln('publish', '--cwd', ci1, '--env', 'dev', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/--force/);
    expect(Object.values(actions(r.stdout))).toEqual(['updated', 'updated']);
    const dev = [...remoteBranches(repo.remote).keys()].filter((k) => k.startsWith('rendered/dev/'));
    for (const br of dev) expect(gitIn(repo.remote, 'log', '-1', '--format=%B', br)).toContain(`Kiln-Source-Commit: ${b}`);

    // promote from another depth-1 clone: staging carries a, dev b
    const ci2 = shallowClone(repo, 'ci2');
    const p = await kiln('promote', '--cwd', ci2, '--to', 'staging', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/--force/);
    expect(Object.values(actions(p.stdout))).toEqual(['updated']);

    // status from a depth-1 clone: numbers, not null (dev runs b = HEAD, staging b, prod a: 4 behind staging)
    const ci4 = shallowClone(repo, 'ci4');
    const st = await kiln('status', '--cwd', ci4, '--json');
    expect(st.code, st.stderr).toBe(0);
    const lag = JSON.parse(st.stdout).environments.map((e: { name: string; clusters: Array<{ sourceCommit: string; behind: number | null; ahead: number | null }> }) => [e.name, e.clusters.map((c) => [c.sourceCommit, c.behind, c.ahead])]);
    const want = { dev: [b, 0, 0], staging: [b, 0, 0], prod: [a, 4, 0] } as Record<string, unknown[]>;
    expect(lag.map(([e]: [string]) => e)).toEqual(['dev', 'staging', 'prod']);
    for (const [e, clusters] of lag) for (const c of clusters) expect(c, e).toEqual(want[e]);
    expect((await kiln('status', '--cwd', ci4)).stdout).not.toMatch(/unknown to the fleet repo/);

    // diff --base names a commit the depth-1 clone does not have
    const ci3 = shallowClone(repo, 'ci3');
    const d = await kiln('diff', '--cwd', ci3, '--base', a, '--env', 'dev', '--exit-code', '--json');
    expect(d.code, d.stderr).toBe(2); // differences found
    expect(d.stdout).toContain('ci-one');
  });
});

describe('unpushed source commits', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo();
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
  });
  afterEach(() => repo.cleanup());

  it('are refused (exit 1, named, --allow-unpushed overrides, --dry-run warns); a later publish says the cause, not "shallow"', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev')).code).toBe(0);
    const u = changeAll(repo.fleet, 'local-only');
    const before = remoteBranches(repo.remote);

    const dry = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`source commit ${u.slice(0, 12)} is on no branch or tag of origin`);

    const refused = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`source commit ${u.slice(0, 12)} is on no branch or tag of origin`);
    expect(refused.stderr).toMatch(/push it first .*--allow-unpushed/);
    expect(remoteBranches(repo.remote)).toEqual(before);

    const forced = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--allow-unpushed', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(Object.values(actions(forced.stdout))).toEqual(['updated', 'updated']);

    // another job, from a pushed commit, cannot order against u: it says u was never pushed
    const ci = path.join(repo.dir, 'ci');
    gitIn(repo.dir, 'clone', '--quiet', '--branch', 'main', `file://${repo.remote}`, ci);
    changeAll(ci, 'pushed');
    gitIn(ci, 'push', '--quiet', 'origin', 'main');
    const later = await kiln('publish', '--cwd', ci, '--env', 'dev');
    expect(later.code).toBe(4);
    expect(later.stderr).toContain(`source commit ${u.slice(0, 12)} is on no branch of origin: it was published from a commit that was never pushed`);
    expect(later.stderr).not.toMatch(/shallow/);
  });
});
