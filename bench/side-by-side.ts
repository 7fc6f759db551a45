/**
 * Two builds of kiln side by side on the one-profile change (`--steps sidebyside --against <ref>`):
 * on this VM one run of the same build moves by ±10 %, more than most single changes gain, so a
 * gain measured in two bench runs is mostly drift. Each build first publishes the fleet before the
 * change to its own remote with its own cache (a render cache is tied to the code that wrote it);
 * then the pairs alternate the builds (A B, B A, …), every run from a fresh copy of its build's cache
 * and remote: the diff of the change, and its publish.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export interface Build {
  /** `this` (the checkout measured) or `against`. */
  name: string;
  bin: string;
  commit: string;
  /** What its runs get besides (the against build: its own tools dir, holding its own render workers). */
  env?: Record<string, string>;
}

interface Measured {
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
  ok: boolean;
  note?: string;
}

type Timed = (step: string, cmd: string[], o: { cwd: string; env?: Record<string, string> }) => Measured;

export interface SideRun extends Measured {
  pair: number;
  build: string;
  step: 'diff' | 'publish';
}

export interface SideBySide {
  builds: Array<{ name: string; commit: string }>;
  pairs: number;
  runs: SideRun[];
}

/** run.ts's git (its identity for the bench's commits). */
type Git = (cwd: string, ...a: string[]) => string;

/**
 * Build `ref` of this repository (tsc, as `npm run build`) into a private copy beside the measured one,
 * with its own render workers (built from its tools/ by its own script) in a tools dir whose other
 * binaries are those of `toolsDir`: a worker change is measured with the code that uses it.
 */
export function buildAgainst(repoRoot: string, tmpRoot: string, ref: string, git: Git, toolsDir: string): Build {
  const src = path.join(tmpRoot, 'against-src');
  const copy = path.join(tmpRoot, 'kiln-against');
  const tools = path.join(tmpRoot, 'against-tools');
  rmSync(src, { recursive: true, force: true });
  rmSync(copy, { recursive: true, force: true });
  rmSync(tools, { recursive: true, force: true });
  mkdirSync(path.join(tools, 'bin'), { recursive: true });
  for (const f of readdirSync(path.join(toolsDir, 'bin'))) {
    if (!f.startsWith('kiln-render-worker')) symlinkSync(realpathSync(path.join(toolsDir, 'bin', f)), path.join(tools, 'bin', f));
  }
  const commit = git(repoRoot, 'rev-parse', '--short=12', `${ref}^{commit}`).trim();
  git(repoRoot, 'worktree', 'add', '-q', '--detach', src, commit);
  try {
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(src, 'node_modules'));
    const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: src, encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`bench: building ${ref} (${commit}) failed: ${(tsc.stdout + tsc.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    for (const d of ['bin', 'dist', 'templates', 'schemas', 'package.json']) cpSync(path.join(src, d), path.join(copy, d), { recursive: true });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const workers = spawnSync('bash', [path.join(src, 'scripts/build-render-worker.sh'), tools], { encoding: 'utf8' });
    if (workers.status !== 0) throw new Error(`bench: building ${ref}'s render workers failed: ${(workers.stdout + workers.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  } finally {
    git(repoRoot, 'worktree', 'remove', '--force', src);
  }
  return { name: 'against', bin: path.join(copy, 'bin/kiln.js'), commit, env: { KILN_TOOLS_DIR: tools } };
}

export interface SideBase {
  build: Build;
  remote: string;
  cache: string;
}

/** Each build's publish of the fleet as it is now (before the change): its own remote and cache, not measured. */
export function sideBases(dir: string, fleet: string, builds: Build[], git: Git): SideBase[] {
  return builds.map((build) => {
    const remote = path.join(dir, `side-${build.name}.git`);
    const cache = path.join(dir, `side-cache-${build.name}`);
    rmSync(remote, { recursive: true, force: true });
    git(dir, 'init', '-q', '--bare', remote);
    git(fleet, 'push', '-q', remote, 'HEAD:refs/heads/main');
    const r = spawnSync(process.execPath, [build.bin, 'publish', '--remote', remote], { cwd: fleet, env: { ...process.env, ...build.env, KILN_CACHE_DIR: cache }, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`bench: the ${build.name} build's publish before the change failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    return { build, remote, cache };
  });
}

/** The pairs, after the change is committed in `fleet`: each run from fresh copies of its build's base. */
export function sidePairs(dir: string, fleet: string, bases: SideBase[], pairs: number, timed: Timed, git: Git): SideBySide {
  const runs: SideRun[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    for (const base of pair % 2 === 0 ? bases : [...bases].reverse()) {
      for (const step of ['diff', 'publish'] as const) {
        const work = path.join(dir, 'side-run');
        rmSync(work, { recursive: true, force: true });
        mkdirSync(work, { recursive: true });
        const remote = path.join(work, 'remote.git');
        const cache = path.join(work, 'cache');
        cpSync(base.remote, remote, { recursive: true });
        cpSync(base.cache, cache, { recursive: true });
        git(fleet, 'push', '-q', '-f', remote, 'main'); // publish refuses a source commit on no branch of the remote
        const args = step === 'diff' ? ['diff', '--remote', remote, '--out-file', path.join(work, 'diff.md')] : ['publish', '--remote', remote];
        const m = timed(`${base.build.name} ${step} of the change (pair ${pair + 1})`, [process.execPath, base.build.bin, ...args], { cwd: fleet, env: { ...base.build.env, KILN_CACHE_DIR: cache } });
        runs.push({ pair, build: base.build.name, step, wallS: m.wallS, cpuS: m.cpuS, peakRssMiB: m.peakRssMiB, ok: m.ok, ...(m.note ? { note: m.note } : {}) });
        rmSync(work, { recursive: true, force: true });
      }
    }
  }
  return { builds: bases.map((b) => ({ name: b.build.name, commit: b.build.commit })), pairs, runs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** Per step: each build's medians, and this build minus the other within each pair. */
export function sideMarkdown(clusters: number, r: SideBySide): string[] {
  const [a, b] = r.builds;
  if (!a || !b) return [];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const lines = [
    '',
    `Side by side at N = ${clusters}: kiln at ${a.commit} (${a.name}) and at ${b.commit} (${b.name}), ${r.pairs} alternating pairs, each run from a fresh copy of its own build's cache and remote after publishing the fleet before the change.`,
    '',
    `| step | ${a.name}: median wall / CPU s | ${b.name}: median wall / CPU s | ${a.name} − ${b.name}, wall s per pair | mean | failed runs |`,
    '|---|---:|---:|---|---:|---:|',
  ];
  for (const step of ['diff', 'publish'] as const) {
    const of = (name: string) => r.runs.filter((x) => x.step === step && x.build === name);
    const [ra, rb] = [of(a.name), of(b.name)];
    const diffs = ra.map((x) => x.wallS - (rb.find((y) => y.pair === x.pair)?.wallS ?? NaN));
    const failed = [...ra, ...rb].filter((x) => !x.ok).length;
    lines.push(`| ${step} of the one-profile change | ${f(median(ra.map((x) => x.wallS)))} / ${f(median(ra.map((x) => x.cpuS)))} | ${f(median(rb.map((x) => x.wallS)))} / ${f(median(rb.map((x) => x.cpuS)))} | ${diffs.map(f).join(', ')} | ${f(diffs.reduce((s, x) => s + x, 0) / diffs.length)} | ${failed} |`);
  }
  return lines;
}
