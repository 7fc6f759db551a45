/**
 * kiln at fleet scale, side by side with the naive per-cluster loop (bench/baseline.sh), on the same
 * synthetic fleet (bench/gen-fleet.ts). Run with the tools on PATH:
 *
 *   npm run bench -- --sizes 100,1000 [--baseline-max 100] [--pbaseline-max 0] [--skip-baseline] [--keep] [--tmp DIR] [--name STAMP] [--sample-procs]
 *                    [--steps render,nocheck,checkpairs,workeroff,publish,republish,diff,change,sidebyside,oci,baseline,pbaseline] [--pairs 3]
 *                    [--against <git ref>]   (cold publish always runs; sidebyside: bench/side-by-side.ts)
 *
 * Per N: cold render (empty render cache), cold publish without checks (--no-check) and its no-change re-publish, cold publish
 * (empty cache, empty bare remote; checks on, as by default), no-change
 * re-publish, `kiln diff` of a one-profile change (if the command exists), publish of that change,
 * OCI publishing beside branch publishing (`ociSteps`; needs go-containerregistry's `registry`),
 * and the baseline loop (cold; on the first --baseline-max clusters, extrapolated linearly beyond).
 * `workeroff`: the cold publish again with KILN_RENDER_WORKER=off (jsonnet, kustomize and helm as their CLIs), side by side.
 * The one-profile change is measured from two caches, never warmed by another step of it: the cache
 * the last publish left (what a CI job restores) and an empty one; `diff` and `change` each start
 * from their own copy. `pbaseline`: the loop parallel over the cores (bench/baseline-parallel.sh,
 * `xargs -P $(nproc)`), on all N clusters unless --pbaseline-max.
 * Every step runs under GNU time: wall, user+sys CPU of the whole process tree, peak RSS of the
 * largest process. Results: bench/results/results.{json,md}.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Node runs this file by type stripping (no rewrite of .js to .ts); the type comes from the .ts source.
const { CHANGE, writeBenchFleet } = (await import(new URL('./gen-fleet.ts', import.meta.url).href)) as typeof import('./gen-fleet.js');
const side = (await import(new URL('./side-by-side.ts', import.meta.url).href)) as typeof import('./side-by-side.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(here);
const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const opt = (f: string, d: string) => {
  const i = args.indexOf(f);
  return i >= 0 && args[i + 1] ? args[i + 1]! : d;
};
const sizes = opt('--sizes', '100,1000').split(',').map(Number);
const baselineMax = Number(opt('--baseline-max', '100'));
const pbaselineMax = Number(opt('--pbaseline-max', '0'));
const steps = new Set(opt('--steps', 'render,nocheck,workeroff,publish,republish,diff,change,baseline,pbaseline').split(','));
const skipBaseline = flag('--skip-baseline') || !steps.has('baseline');
const keep = flag('--keep');
// which process of a step peaked (bench/proc-peaks.ts): off by default, its sampling costs a little CPU
const sampleProcs = flag('--sample-procs');
const tmpRoot = path.resolve(opt('--tmp', '') || mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-')));

// A private copy of the built kiln: a rebuild of the work tree during the run (a colleague's
// `npm run build`) must not change the code under test half-way (the render cache is tied to it).
const kilnCopy = path.join(tmpRoot, 'kiln');
rmSync(kilnCopy, { recursive: true, force: true });
for (const d of ['bin', 'dist', 'templates', 'schemas', 'package.json']) cpSync(path.join(repoRoot, d), path.join(kilnCopy, d), { recursive: true });
symlinkSync(path.join(repoRoot, 'node_modules'), path.join(kilnCopy, 'node_modules'));
const kilnBin = path.join(kilnCopy, 'bin/kiln.js');
// sidebyside: the build of --against measured beside this one
// (with its own render workers, beside the other tools of kiln's tools dir)
const against = steps.has('sidebyside') ? side.buildAgainst(repoRoot, tmpRoot, opt('--against', 'HEAD~1'), git, process.env.KILN_TOOLS_DIR || path.join(os.homedir(), '.cache', 'kiln-tools')) : undefined;

interface Measure {
  step: string;
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
  ok: boolean;
  note?: string;
  /** kiln's own timing summary of the step (stderr): seconds per stage and per tool. */
  summary?: Summary;
  /** --sample-procs: the largest processes of the step, each at its own peak. */
  procPeaks?: { cmd: string; rssMiB: number; anonMiB: number; fileMiB: number }[];
}

interface Summary {
  stages: Record<string, number>;
  tools: Record<string, { runs: number; s: number }>;
}

/** "12.3s" or "1m05s" → seconds. */
const durS = (d: string) => {
  const m = /^(?:(\d+)m)?(\d+(?:\.\d+)?)s$/.exec(d);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : NaN;
};

/** The `timing:` and `tool processes:` lines kiln prints at the end of a staged command. */
function parseSummary(stderr: string): Summary | undefined {
  const timing = /^timing: \S+ in all; (.*)$/m.exec(stderr)?.[1];
  if (!timing) return undefined;
  const stages: Record<string, number> = {};
  for (const part of timing.split(', ')) {
    const i = part.lastIndexOf(' ');
    stages[part.slice(0, i)] = (stages[part.slice(0, i)] ?? 0) + durS(part.slice(i + 1));
  }
  const tools: Record<string, { runs: number; s: number }> = {};
  const line = /^tool processes: (.*)$/m.exec(stderr)?.[1] ?? 'none';
  for (const m of line.matchAll(/([^,]+?) (\d+) run\(s\) (\S+?)(?: \(\d+ failed\))?(?:, |$)/g)) tools[m[1]!.trim()] = { runs: Number(m[2]), s: durS(m[3]!) };
  return { stages, tools };
}

if (!existsSync('/usr/bin/time')) {
  console.error('bench: GNU time is missing (/usr/bin/time); install it: apt-get install -y time');
  process.exit(1);
}
for (const t of ['helm', 'kustomize', 'jsonnet', 'ytt', 'git', ...(steps.has('oci') ? ['registry'] : [])]) {
  if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) {
    console.error(`bench: ${t} is not on PATH; run through scripts/run.sh (npm run bench does)`);
    process.exit(1);
  }
}

/** Run a command under GNU time -v; returns the measure (exit status kept, output tail on failure). */
function timed(step: string, cmd: string[], o: { cwd: string; env?: Record<string, string> }): Measure {
  const tf = path.join(tmpRoot, `time-${process.pid}.txt`);
  const pf = path.join(tmpRoot, `peaks-${process.pid}.json`);
  rmSync(pf, { force: true });
  const sampler = sampleProcs ? spawn(process.execPath, [path.join(here, 'proc-peaks.ts'), String(process.pid), pf], { stdio: 'ignore' }) : undefined;
  const r = spawnSync('/usr/bin/time', ['-v', '-o', tf, ...cmd], { cwd: o.cwd, env: { ...process.env, ...o.env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const t = readFileSync(tf, 'utf8');
  const num = (re: RegExp) => Number(re.exec(t)?.[1] ?? NaN);
  const wallParts = (/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(t)?.[1] ?? '0').split(':').map(Number);
  const wallS = wallParts.reduce((a, b) => a * 60 + b, 0);
  const m: Measure = {
    step,
    wallS: round(wallS),
    cpuS: round(num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)),
    peakRssMiB: round(num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024),
    ok: r.status === 0,
  };
  if (sampler) {
    sampler.kill('SIGTERM');
    spawnSync('sleep', ['0.5']); // its last sample; this thread cannot wait on an event
    if (existsSync(pf)) m.procPeaks = (JSON.parse(readFileSync(pf, 'utf8')) as NonNullable<Measure['procPeaks']>).map(({ cmd, rssMiB, anonMiB, fileMiB }) => ({ cmd, rssMiB, anonMiB, fileMiB }));
  }
  if (r.status !== 0) m.note = `exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
  const summary = parseSummary(r.stderr ?? '');
  if (summary) m.summary = summary;
  console.error(`  ${step.padEnd(28)} ${String(m.wallS).padStart(8)} s wall ${String(m.cpuS).padStart(8)} s cpu ${String(m.peakRssMiB).padStart(7)} MiB${m.ok ? '' : `  FAILED ${m.note}`}`);
  for (const p of m.procPeaks?.slice(0, 3) ?? []) console.error(`    ${p.cmd}: ${p.rssMiB} MiB (anon ${p.anonMiB}, file ${p.fileMiB})`);
  return m;
}

/**
 * OCI publishing beside branch publishing, in the same run and with the same warm render cache:
 * a publish to a fresh remote (branches only), with spec.output.oci (branches + artifacts, a fresh
 * remote and registry), and with branches: false (artifacts only). No checks: the publish engines are
 * measured, not the render. The ratios to the branch publish are in the note column.
 */
async function ociSteps(dir: string, fleet: string, env: Record<string, string>): Promise<Measure[]> {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const reg = spawn('registry', ['-port', String(port)], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const fresh = (name: string) => {
      const r = path.join(dir, `${name}.git`);
      git(dir, 'init', '-q', '--bare', r);
      return r;
    };
    const kilnYaml = path.join(fleet, 'kiln.yaml');
    const base = readFileSync(kilnYaml, 'utf8');
    const withOutput = (extra: string) => {
      // gen-fleet.ts writes spec.output as the last block of kiln.yaml: more of its fields go after it
      if (!/\n {2}output:\n(?: {4}.*\n)+$/.test(base)) throw new Error('bench: kiln.yaml does not end with its spec.output block (see gen-fleet.ts)');
      writeFileSync(kilnYaml, `${base}${extra}`);
      git(fleet, 'commit', '-qam', 'bench: oci output');
      git(fleet, 'push', '-q', 'origin', 'main');
    };
    const repo = (p: string) => `    oci:\n      repository: "oci://127.0.0.1:${port}/${p}/{{ .Cluster.name }}"\n      insecure: true\n`;
    const run = (step: string, remote: string) => timed(step, kiln('publish', '--no-check', '--remote', remote), { cwd: fleet, env });
    // the cache is warmed for each configuration first (a dry run renders, pushes nothing)
    const warm = () => execFileSync(process.execPath, [kilnBin, 'publish', '--dry-run', '--no-check', '--remote', fresh(`warm-${Date.now()}`), '--log-level', 'error'], { cwd: fleet, env: { ...process.env, ...env }, stdio: 'ignore' });
    warm();
    const branches = run('oci: branch publish (fresh remote)', fresh('oci-branches'));
    withOutput(repo('both'));
    warm();
    const both = run('oci: branches + OCI publish', fresh('oci-both'));
    writeFileSync(kilnYaml, base);
    withOutput(`    branches: false\n${repo('only')}`);
    warm();
    const only = run('oci: OCI-only publish', fresh('oci-only'));
    // CPU as well as wall: on a machine others load, CPU time is the steadier of the two
    const ratio = (m: Measure) => (m.ok && branches.ok ? `${(m.wallS / branches.wallS).toFixed(2)}× the branch publish's wall time, ${(m.cpuS / branches.cpuS).toFixed(2)}× its CPU` : m.note);
    return [branches, { ...both, note: ratio(both) }, { ...only, note: ratio(only) }];
  } finally {
    reg.kill('SIGKILL');
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** git's answer, or 'unknown' where it has none (a copy of kiln outside a checkout). */
function gitOut(cwd: string, ...a: string[]): string {
  try {
    return git(cwd, ...a).trim();
  } catch {
    return 'unknown';
  }
}

function git(cwd: string, ...a: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...a], { cwd, encoding: 'utf8' });
}

// the default log level, as a user runs it: stage lines and the timing summary (read for the limit table)
const kiln = (...a: string[]) => [process.execPath, kilnBin, ...a];
// `kiln diff` is being written concurrently: use it only when the CLI lists it
const diffAvailable = /^\s+diff\b/m.test(spawnSync(process.execPath, [kilnBin, '--help'], { encoding: 'utf8' }).stdout ?? '');

interface SizeResult {
  clusters: number;
  kiln: Measure[];
  baseline?: { measured: Measure; clustersMeasured: number; extrapolatedWallS: number; extrapolatedCpuS: number };
  parallelBaseline?: { measured: Measure; clustersMeasured: number; extrapolatedWallS: number; extrapolatedCpuS: number };
  uniqueRenders?: Record<string, number>;
  sideBySide?: import('./side-by-side.js').SideBySide;
}

const results: SizeResult[] = [];
const loadStart = os.loadavg();
const started = new Date().toISOString();
for (const n of sizes) {
  console.error(`bench: N = ${n} (work dir ${tmpRoot}/n${n})`);
  const dir = path.join(tmpRoot, `n${n}`);
  rmSync(dir, { recursive: true, force: true });
  const fleet = path.join(dir, 'fleet');
  const remote = path.join(dir, 'remote.git');
  mkdirSync(fleet, { recursive: true });
  writeBenchFleet(fleet, n);
  git(fleet, 'init', '-q', '-b', 'main');
  git(fleet, 'add', '-A');
  git(fleet, 'commit', '-qm', `bench fleet of ${n} clusters`);
  git(dir, 'init', '-q', '--bare', remote);
  git(fleet, 'remote', 'add', 'origin', remote);
  git(fleet, 'push', '-q', 'origin', 'main'); // publish refuses a source commit on no branch of origin
  const cache = path.join(dir, 'cache');
  const env = { KILN_CACHE_DIR: cache };
  const res: SizeResult = { clusters: n, kiln: [] };

  rmSync(cache, { recursive: true, force: true });
  if (steps.has('render')) res.kiln.push(timed('cold render', kiln('render', '--out', path.join(dir, 'rendered')), { cwd: fleet, env }));
  rmSync(path.join(dir, 'rendered'), { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
  // the checks' share of a cold publish: the same cold publish without them, into a scratch remote
  if (steps.has('nocheck')) {
    const scratch = path.join(dir, 'nocheck.git');
    git(dir, 'init', '-q', '--bare', scratch);
    res.kiln.push(timed('cold publish --no-check', kiln('publish', '--no-check', '--remote', scratch), { cwd: fleet, env }));
    // and its no-change re-publish, beside the one with checks below (whole clusters skipped: ~0 for the checks)
    if (steps.has('republish')) res.kiln.push(timed('no-change re-publish --no-check', kiln('publish', '--no-check', '--remote', scratch), { cwd: fleet, env }));
    rmSync(scratch, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
  // the checks' share again, from pairs: one cold publish varies by ±10 % from run to run here, as
  // much as the share itself, so `checkpairs` alternates with/without (A B A B …) and takes medians
  if (steps.has('checkpairs')) {
    const pairs = Number(opt('--pairs', '3'));
    const runs: Record<'with' | 'without', Measure[]> = { with: [], without: [] };
    for (let i = 0; i < pairs; i++) {
      for (const side of i % 2 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
        const scratch = path.join(dir, `pair-${i}-${side}.git`);
        git(dir, 'init', '-q', '--bare', scratch);
        rmSync(cache, { recursive: true, force: true });
        runs[side].push(timed(`cold publish ${side === 'with' ? '(checks on)' : '--no-check'}, pair ${i + 1}`, kiln('publish', ...(side === 'with' ? [] : ['--no-check']), '--remote', scratch), { cwd: fleet, env }));
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const med = (side: 'with' | 'without') => ({ wallS: median(runs[side].map((m) => m.wallS)), cpuS: median(runs[side].map((m) => m.cpuS)) });
    const w = med('with');
    const wo = med('without');
    const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${Math.round(((a - b) / b) * 100)} %`;
    const all = (side: 'with' | 'without') => runs[side].map((m) => `${m.wallS.toFixed(1)}/${m.cpuS.toFixed(1)}`).join(', ');
    res.kiln.push({
      step: `cold publish, checks on vs --no-check: medians of ${pairs} alternating pairs`,
      wallS: w.wallS,
      cpuS: w.cpuS,
      peakRssMiB: Math.max(...runs.with.map((m) => m.peakRssMiB)),
      ok: [...runs.with, ...runs.without].every((m) => m.ok),
      note: `--no-check median ${wo.wallS.toFixed(1)} s wall / ${wo.cpuS.toFixed(1)} s CPU; checks' share ${pct(w.wallS, wo.wallS)} wall, ${pct(w.cpuS, wo.cpuS)} CPU (runs wall/CPU s, with: ${all('with')}; without: ${all('without')})`,
    });
    rmSync(cache, { recursive: true, force: true });
  }
  if (steps.has('workeroff')) {
    const scratch = path.join(dir, 'workeroff.git');
    git(dir, 'init', '-q', '--bare', scratch);
    res.kiln.push(timed('cold publish, KILN_RENDER_WORKER=off', kiln('publish', '--remote', scratch), { cwd: fleet, env: { ...env, KILN_RENDER_WORKER: 'off' } }));
    rmSync(scratch, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
  res.kiln.push(timed('cold publish (render+check+push)', kiln('publish'), { cwd: fleet, env }));
  if (steps.has('republish')) res.kiln.push(timed('no-change re-publish', kiln('publish'), { cwd: fleet, env }));
  const renders = path.join(cache, 'renders');
  if (existsSync(renders)) {
    res.uniqueRenders = {};
    for (const e of execFileSync('ls', [renders], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      res.uniqueRenders[e] = execFileSync('ls', [path.join(renders, e)], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    }
  }
  const sideBases = against ? side.sideBases(dir, fleet, [{ name: 'this', bin: kilnBin, commit: gitOut(repoRoot, 'rev-parse', '--short=12', 'HEAD') }, against], git) : undefined;
  const changed = path.join(fleet, CHANGE.file);
  writeFileSync(changed, readFileSync(changed, 'utf8').replace(CHANGE.from, CHANGE.to));
  git(fleet, 'commit', '-qam', 'gateway 1.31.3');
  git(fleet, 'push', '-q', 'origin', 'main'); // publish refuses a source commit on no branch of origin
  // each change step starts from its own copy of a cache, so no step warms another's renders
  const published = path.join(dir, 'cache-published');
  if (existsSync(cache)) cpSync(cache, published, { recursive: true });
  const fresh = (name: string, from?: string) => {
    const c = path.join(dir, `cache-${name}`);
    rmSync(c, { recursive: true, force: true });
    if (from && existsSync(from)) cpSync(from, c, { recursive: true });
    else mkdirSync(c, { recursive: true });
    return { KILN_CACHE_DIR: c };
  };
  if (!steps.has('diff')) {
    // not asked for
  } else if (diffAvailable) {
    res.kiln.push(timed('diff of one-profile change (cache of the last publish)', kiln('diff', '--out-file', path.join(dir, 'diff.md')), { cwd: fleet, env: fresh('diff-published', published) }));
    res.kiln.push(timed('diff of one-profile change (empty cache)', kiln('diff', '--out-file', path.join(dir, 'diff.md')), { cwd: fleet, env: fresh('diff-empty') }));
  } else res.kiln.push({ step: 'diff of one-profile change', wallS: NaN, cpuS: NaN, peakRssMiB: NaN, ok: false, note: 'not available (kiln diff does not exist yet)' });
  if (steps.has('change')) {
    // the empty-cache publish goes to a copy of the remote, so the next one still has the change to push
    const copy = path.join(dir, 'remote-copy.git');
    cpSync(remote, copy, { recursive: true });
    res.kiln.push(timed('publish one-profile change (empty cache)', kiln('publish', '--remote', copy), { cwd: fleet, env: fresh('change-empty') }));
    rmSync(copy, { recursive: true, force: true });
    res.kiln.push(timed('publish one-profile change (cache of the last publish)', kiln('publish'), { cwd: fleet, env }));
    res.kiln.push(timed('no-change re-publish after the change', kiln('publish'), { cwd: fleet, env }));
  }
  if (sideBases) res.sideBySide = side.sidePairs(dir, fleet, sideBases, Number(opt('--pairs', '3')), timed, git);
  if (steps.has('oci')) res.kiln.push(...(await ociSteps(dir, fleet, env)));

  if (!skipBaseline) {
    const m = Math.min(n, baselineMax);
    // the same fleet at its original commit, so the baseline renders what kiln's cold publish did
    git(fleet, 'checkout', '-q', 'HEAD~1');
    git(dir, 'init', '-q', '--bare', path.join(dir, 'baseline.git'));
    const measured = timed(`baseline cold (${m} clusters)`, ['bash', path.join(here, 'baseline.sh'), fleet, path.join(dir, 'baseline.git'), path.join(dir, 'baseline-work'), String(m)], { cwd: dir });
    git(fleet, 'checkout', '-q', 'main');
    res.baseline = { measured, clustersMeasured: m, extrapolatedWallS: round((measured.wallS * n) / m), extrapolatedCpuS: round((measured.cpuS * n) / m) };
  }
  if (steps.has('pbaseline')) {
    const m = pbaselineMax > 0 ? Math.min(n, pbaselineMax) : n;
    git(fleet, 'checkout', '-q', 'HEAD~1');
    git(dir, 'init', '-q', '--bare', path.join(dir, 'pbaseline.git'));
    const measured = timed(`parallel baseline cold (${m})`, ['bash', path.join(here, 'baseline-parallel.sh'), fleet, path.join(dir, 'pbaseline.git'), path.join(dir, 'pbaseline-work'), String(m)], { cwd: dir });
    git(fleet, 'checkout', '-q', 'main');
    res.parallelBaseline = { measured, clustersMeasured: m, extrapolatedWallS: round((measured.wallS * n) / m), extrapolatedCpuS: round((measured.cpuS * n) / m) };
  }
  results.push(res);
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

// the work dir goes whole when the bench made it (not --tmp): the other build's workers are ~80 MiB
if (!keep) for (const d of opt('--tmp', '') ? [kilnCopy, path.join(tmpRoot, 'kiln-against'), path.join(tmpRoot, 'against-tools')] : [tmpRoot]) rmSync(d, { recursive: true, force: true });

const machine = {
  cpus: os.availableParallelism(),
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memGiB: round(os.totalmem() / 2 ** 30),
  node: process.version,
  tools: Object.fromEntries(['helm version --short', 'kustomize version', 'jsonnet --version', 'ytt version'].map((c) => [c.split(' ')[0], execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim().split('\n')[0]])),
  loadAvgStart: loadStart.map(round),
  loadAvgEnd: os.loadavg().map(round),
  // which kiln was measured: the commit of this checkout (and whether its tree had changes)
  kilnCommit: gitOut(repoRoot, 'rev-parse', '--short=12', 'HEAD') + (gitOut(repoRoot, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'bin') ? ' (with uncommitted changes)' : ''),
  nodeOptions: process.env.NODE_OPTIONS ?? '',
};
const report = { started, machine, diffAvailable, results };
const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
// --name keeps a run of some steps from replacing the full results of the same sizes
const stamp = opt('--name', sizes.join('-'));
writeFileSync(path.join(outDir, `results-${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(path.join(outDir, `results-${stamp}.md`), markdown(report));
console.log(markdown(report));

function markdown(r: typeof report): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
  const lines = [
    `# kiln bench ${r.started}`,
    '',
    `Machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memGiB} GiB, Node ${r.machine.node}; load average ${r.machine.loadAvgStart.join(' ')} at start, ${r.machine.loadAvgEnd.join(' ')} at end. kiln at ${r.machine.kilnCommit ?? 'an unrecorded commit'}${r.machine.nodeOptions ? `, NODE_OPTIONS=${r.machine.nodeOptions}` : ''}.`,
    '',
    '| N | step | wall s | CPU s | peak RSS MiB | note |',
    '|---:|---|---:|---:|---:|---|',
  ];
  for (const s of r.results) {
    const share = checksShare(s.kiln);
    for (const m of s.kiln) lines.push(`| ${s.clusters} | kiln ${m.step} | ${f(m.wallS)} | ${f(m.cpuS)} | ${f(m.peakRssMiB)} | ${[m.ok ? (m.note ?? '') : (m.note ?? 'failed'), share.get(m) ?? '', m.procPeaks ? `largest: ${m.procPeaks.slice(0, 2).map((p) => `${p.cmd} ${p.rssMiB} MiB (anon ${p.anonMiB}, file ${p.fileMiB})`).join(', ')}` : ''].filter(Boolean).join('; ')} |`);
    if (s.baseline) {
      const b = s.baseline;
      const cold = s.kiln.find((m) => m.step.startsWith('cold publish (render'));
      const extrap = b.clustersMeasured < s.clusters;
      lines.push(`| ${s.clusters} | baseline loop, cold render+push | ${f(b.extrapolatedWallS)} | ${f(b.extrapolatedCpuS)} | ${f(b.measured.peakRssMiB)} | ${extrap ? `extrapolated from ${b.clustersMeasured} clusters (${f(b.measured.wallS)} s)` : 'measured'}${cold ? `; kiln cold publish is ${f(b.extrapolatedWallS / cold.wallS)}× by wall, ${f(b.extrapolatedCpuS / cold.cpuS)}× by CPU` : ''} |`);
    }
    if (s.parallelBaseline) {
      const b = s.parallelBaseline;
      const cold = s.kiln.find((m) => m.step.startsWith('cold publish (render'));
      const extrap = b.clustersMeasured < s.clusters;
      const ratio = cold ? `; kiln cold publish is ${f(b.extrapolatedWallS / cold.wallS)}× by wall, ${f(b.extrapolatedCpuS / cold.cpuS)}× by CPU` : '';
      lines.push(`| ${s.clusters} | baseline loop parallel (xargs -P ${r.machine.cpus}), cold render+push | ${f(b.extrapolatedWallS)} | ${f(b.extrapolatedCpuS)} | ${f(b.measured.peakRssMiB)} | ${extrap ? `extrapolated from ${b.clustersMeasured} clusters` : 'measured'}${ratio} |`);
    }
    if (s.uniqueRenders) lines.push(`| ${s.clusters} | unique renders cached | | | | ${Object.entries(s.uniqueRenders).map(([e, c]) => `${e} ${c}`).join(', ')} |`);
  }
  for (const s of r.results) if (s.sideBySide) lines.push(...side.sideMarkdown(s.clusters, s.sideBySide));
  lines.push(...limitTable(r));
  return lines.join('\n') + '\n';
}

/**
 * How far each kiln step is from its limit (issue #21): the work of the tools it ran, divided by the
 * cores, plus git's object writes (the `write` stage). Tool time is each process's (or worker
 * request's) wall time as kiln's timing summary gives it: measured while kiln's own work shared the
 * cores, so it over-states the tools' work and the limit with it (kiln looks closer than it is).
 */
function limitTable(r: typeof report): string[] {
  const rows: string[] = [];
  for (const s of r.results) {
    for (const m of s.kiln) {
      if (!m.summary || !m.ok) continue;
      const tools = Object.entries(m.summary.tools);
      const toolS = tools.reduce((a, [, t]) => a + t.s, 0);
      const writeS = m.summary.stages.write ?? 0;
      const limit = toolS / r.machine.cpus + writeS;
      const detail = tools.length ? tools.map(([n, t]) => `${n} ${t.runs}× ${t.s.toFixed(1)} s`).join(', ') : 'no tool ran';
      rows.push(`| ${s.clusters} | kiln ${m.step} | ${m.wallS.toFixed(1)} | ${toolS.toFixed(1)} | ${writeS.toFixed(1)} | ${limit.toFixed(1)} | ${limit > 0.05 ? `${(m.wallS / limit).toFixed(1)}×` : '–'} | ${detail} |`);
    }
  }
  if (!rows.length) return [];
  return [
    '',
    `Distance to the limit: tools' work ÷ ${r.machine.cpus} cores + git's object writes (the \`write\` stage), from each step's own timing summary (tool time is per-process wall time measured under the run's own load, an over-estimate of the work).`,
    '',
    '| N | step | wall s | tools s | write s | limit s | wall ÷ limit | tools |',
    '|---:|---|---:|---:|---:|---:|---:|---|',
    ...rows,
  ];
}

/** The checks' share (issue 19: ≤ 20 % of a cold publish, ~0 of a no-change one): each publish with checks against the same step with --no-check. */
function checksShare(ms: Measure[]): Map<Measure, string> {
  const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(0)} %`;
  const out = new Map<Measure, string>();
  for (const [withChecks, without] of [['cold publish (render+check+push)', 'cold publish --no-check'], ['no-change re-publish', 'no-change re-publish --no-check']] as const) {
    const a = ms.find((m) => m.step === withChecks);
    const b = ms.find((m) => m.step === without);
    if (a?.ok && b?.ok) out.set(a, `checks' share: ${pct(a.wallS, b.wallS)} wall, ${pct(a.cpuS, b.cpuS)} CPU over \`${without}\``);
  }
  return out;
}
