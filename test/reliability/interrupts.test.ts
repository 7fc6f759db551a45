/**
 * SIGINT and SIGTERM at 20 moments spread over `kiln render`, `publish` and `diff` of the example
 * fleet (six clusters, every engine), each as the real CLI with its own TMPDIR: it exits 130/143
 * with one line saying so (or 0 when it finished first), its TMPDIR is empty afterwards (scratch
 * dirs hold per-cluster inline values), and every remote branch is either as it was or exactly what
 * a complete publish makes of it — never anything in between.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, makeFleetRepo, remoteBranches, writeFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { spawnKiln } from '../helpers/spawn.js';
import { tmp } from '../helpers/tools.js';

const base = tmp('kiln-interrupts-');
/** The dev environment's clusters (every engine): a run short enough for 20 of them. */
const DEV = ['--env', 'dev'];
let repo: FleetRepo;
/** Branch → head before (published at the first commit) and after a complete publish of the second. */
let before: Map<string, string>;
let afterTrees: Map<string, string>;
let newCommit: string;

const treeOf = (remote: string, sha: string) => gitIn(remote, 'rev-parse', `${sha}^{tree}`);
const env = (name: string) => ({ TMPDIR: mkdirp(path.join(base, `tmp-${name}`)), KILN_CACHE_DIR: path.join(base, `cache-${name}`) });
function mkdirp(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}

beforeAll(async () => {
  repo = makeFleetRepo();
  const first = await spawnKiln(['publish', '--cwd', repo.fleet, ...DEV], env('setup')).done;
  expect(first.code, first.stderr).toBe(0);
  before = remoteBranches(repo.remote);
  // a change every cluster sees, then what a complete publish of it gives (on a copy of the remote)
  writeFile(repo.fleet, 'values/web/common.yaml', `${gitIn(repo.fleet, 'show', 'HEAD:values/web/common.yaml')}\n# interrupted\n`);
  newCommit = repo.commit('a change to interrupt');
  const copy = path.join(base, 'reference.git');
  gitIn(base, 'clone', '--quiet', '--bare', repo.remote, copy);
  const full = await spawnKiln(['publish', '--cwd', repo.fleet, '--remote', copy, ...DEV], env('reference')).done;
  expect(full.code, full.stderr).toBe(0);
  afterTrees = new Map([...remoteBranches(copy)].map(([b, sha]) => [b, treeOf(copy, sha)]));
}, 120_000);
afterAll(() => {
  repo?.cleanup();
  rmSync(base, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

async function interrupted(args: string[], name: string, sig: 'SIGINT' | 'SIGTERM', atMs: number, cache?: string): Promise<Outcome> {
  const e = { ...env(name), ...(cache ? { KILN_CACHE_DIR: cache } : {}) };
  const t = Date.now();
  const run = spawnKiln(args, e);
  const timer = setTimeout(() => run.child.kill(sig), atMs);
  const r = await run.done;
  clearTimeout(timer);
  const label = `${args[0]} ${sig} at ${atMs} ms`;
  expect(readdirSync(e.TMPDIR), `${label}: scratch left behind; stderr: ${r.stderr}`).toEqual([]);
  expect(r.stderr, label).not.toMatch(/internal error|this is a bug|\n\s+at /);
  return { ...r, ms: Date.now() - t };
}

function checkExit(o: Outcome, sig: 'SIGINT' | 'SIGTERM', done: number[]): boolean {
  if (o.code === (sig === 'SIGINT' ? 130 : 143)) {
    expect(o.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^interrupted by ${sig}`));
    return true;
  }
  // died of it while Node was still starting, before kiln had started anything (a shell shows 130/143 too)
  if (o.signal === sig) return true;
  // finished before the signal came
  expect(done, o.stderr).toContain(o.code);
  return false;
}

describe('interrupts', () => {
  it('render, publish and diff at 20 moments: exit 130/143, TMPDIR empty, branches old or new', async () => {
    // how long each command takes uninterrupted
    const took: Record<string, number> = {};
    const commands: Record<string, { args: string[]; done: number[] }> = {
      render: { args: ['render', '--cwd', repo.fleet, '--out', path.join(base, 'out'), ...DEV], done: [0] },
      publish: { args: ['publish', '--cwd', repo.fleet, ...DEV], done: [0] },
      diff: { args: ['diff', '--cwd', repo.fleet, '--base', 'HEAD~1', '--head', 'HEAD', '--out-file', path.join(base, 'diff.md'), ...DEV], done: [0, 2] },
    };
    for (const [name, c] of Object.entries(commands)) {
      // timed as the runs below are interrupted: render cold, publish and diff warm (their second run)
      for (let pass = 0; pass < (name === 'render' ? 1 : 2); pass++) {
        const t = Date.now();
        const r = await spawnKiln([...c.args, '--dry-run'].filter((a) => name === 'publish' || a !== '--dry-run'), { ...env(`measure-${name}-${pass}`), KILN_CACHE_DIR: path.join(base, `warm-${name}`) }).done;
        expect(c.done, r.stderr).toContain(r.code);
        took[name] = Date.now() - t;
      }
    }
    let stopped = 0;
    for (let i = 0; i < 20; i++) {
      const name = (['render', 'publish', 'diff'] as const)[i % 3]!;
      const c = commands[name]!;
      const sig = i % 2 === 0 ? 'SIGINT' : 'SIGTERM';
      // spread over the run, with a little jitter: start-up, config, render, push. render starts cold
      // (tools are killed); publish and diff warm, as in CI, so their git work is what gets interrupted
      const at = Math.round(took[name]! * (0.2 + (0.75 * Math.floor(i / 3)) / 7) * (0.9 + Math.random() * 0.2));
      const o = await interrupted(c.args, `${name}-${i}`, sig, at, name === 'render' ? undefined : path.join(base, `warm-${name}`));
      if (checkExit(o, sig, c.done)) stopped++;
      if (name === 'publish') {
        for (const [branch, sha] of remoteBranches(repo.remote)) {
          const old = before.get(branch) === sha;
          expect(old || treeOf(repo.remote, sha) === afterTrees.get(branch), `${branch} after ${sig} at ${at} ms: neither old nor new`).toBe(true);
          if (!old) expect(gitIn(repo.remote, 'log', '-1', '--format=%B', sha)).toContain(`Kiln-Source-Commit: ${newCommit}`);
        }
      }
    }
    // most moments fall inside a run: the test must have interrupted real work
    expect(stopped).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
