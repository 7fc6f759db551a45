/**
 * `promote` and `report` interrupted after some of their work was done (proved by the remote and the
 * forge double: the moment is a forge request kiln is waiting on, held until the signal): exit
 * 130/143 and one line saying what was and was not done — the promotion branches pushed, which
 * requests were opened and which not; for report, that nothing was written.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';
import { tmp } from '../helpers/tools.js';
import { promoteFleet } from '../promote/helpers.js';
import { FakeGitHub, type Recorded } from '../scm/fake-github.js';

const TOKEN = 'ghp_interruptLinesToken0123456789abcdefAB';
const base = tmp('kiln-interrupt-lines-');
let repo: FleetRepo;
let gh: FakeGitHub;
let release: () => void = () => undefined;
const env = (name: string) => {
  const tmpDir = path.join(base, `tmp-${name}`);
  mkdirSync(tmpDir, { recursive: true });
  // a forge request left waiting would fail the test by its timeout, not pass by this one
  return { TMPDIR: tmpDir, KILN_CACHE_DIR: path.join(base, 'cache'), GITHUB_TOKEN: TOKEN, KILN_FORGE_TIMEOUT_MS: '300000' };
};
const forge = () => ['--forge', 'github', '--forge-url', gh.url, '--forge-repo', 'acme/fleet'];

beforeAll(async () => {
  repo = promoteFleet();
  const all = await spawnKiln(['publish', '--cwd', repo.fleet], env('setup')).done;
  expect(all.code, all.stderr).toBe(0);
  setGenVersion(repo.fleet, '2');
  repo.commit('v2');
  const dev = await spawnKiln(['publish', '--cwd', repo.fleet, '--env', 'dev'], env('setup-dev')).done;
  expect(dev.code, dev.stderr).toBe(0);
  gh = await new FakeGitHub().start();
}, 120_000);
afterAll(async () => {
  release();
  await gh?.stop();
  repo?.cleanup();
  rmSync(base, { recursive: true, force: true });
});

/** Runs kiln, holds the first forge request `held` picks, and sends `sig` once kiln waits on it. */
async function interruptAt(args: string[], name: string, sig: 'SIGINT' | 'SIGTERM', held: (r: Recorded) => boolean) {
  let reached!: () => void;
  const waiting = new Promise<void>((r) => (reached = r));
  const gate = new Promise<void>((r) => (release = r));
  gh.hold = (rec) => {
    if (!held(rec)) return undefined;
    reached();
    return gate;
  };
  const e = env(name);
  const run = spawnKiln(args, e);
  await Promise.race([waiting, run.done.then((r) => Promise.reject(new Error(`kiln ended before the held request: ${r.stderr}`)))]);
  // kiln is now waiting on the forge, with everything before that done
  const before = { pulls: gh.pulls.length, branches: remoteBranches(repo.remote) };
  run.child.kill(sig);
  const r = await run.done;
  release();
  gh.hold = undefined;
  await sleep(50);
  return { ...r, before, tmpDir: e.TMPDIR };
}

describe('interrupted promote and report say what was done', () => {
  it('promote --pr, SIGTERM while the second request is being opened: branches pushed, one request opened, one not', async () => {
    let creates = 0;
    const o = await interruptAt(['promote', '--cwd', repo.fleet, '--to', 'staging', '--pr', ...forge()], 'promote', 'SIGTERM', (rec) => rec.method === 'POST' && rec.path.endsWith('/pulls') && ++creates === 2);
    // the moment: both promotion branches on the remote, one request opened, the second one asked for
    const promoted = [...o.before.branches.keys()].filter((b) => b.startsWith('kiln/promote/staging/'));
    expect(promoted, o.stderr).toHaveLength(2);
    expect(o.before.pulls).toBe(1);
    expect(o.code, o.stderr).toBe(143);
    const lines = o.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('interrupted by'))).toHaveLength(1);
    const opened = gh.pulls[0]!;
    expect(lines.at(-1)).toMatch(
      new RegExp(`^interrupted by SIGTERM: promote dev → staging: 2 promotion branch\\(es\\) pushed; 1 request\\(s\\) opened \\(http[^)]*/pull/${opened.number}\\), 1 not \\(into rendered/staging/[\\w-]+\\): run promote --pr again to open them$`),
    );
    const notOpened = /into (rendered\/staging\/[\w-]+)/.exec(lines.at(-1)!)![1];
    expect(notOpened).not.toBe(opened.base);
    expect(o.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
    // the target branches themselves were never pushed to in --pr mode
    for (const [b, sha] of o.before.branches) if (b.startsWith('rendered/staging/')) expect(remoteBranches(repo.remote).get(b)).toBe(sha);
  }, 120_000);

  it('report, SIGINT while asking the forge for health: nothing written, the out dir not created', async () => {
    const out = path.join(base, 'site');
    const o = await interruptAt(['report', '--cwd', repo.fleet, '--out', out, '--health-context', 'flux/healthy', ...forge()], 'report', 'SIGINT', (rec) => rec.path.includes('/commits/'));
    expect(o.code, o.stderr).toBe(130);
    expect(o.stderr.trim().split('\n').at(-1)).toBe(`interrupted by SIGINT: report: nothing was written (${out} was not created)`);
    expect(existsSync(out)).toBe(false);
    expect(o.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  }, 120_000);
});
