/**
 * The jsonnet render worker (tools/render-worker) against the real jsonnet CLI: for every case, the
 * same exit code, stdout bytes and stderr text; then through the renderer (fallbacks, timeouts,
 * aborts) and through `kiln render` on the fixture fleets, the bench fleet and the jsonnet bad inputs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { buildEnv, CancelledError, ExecError } from '../../src/exec/exec.js';
import { RenderWorkers, RenderWorkerSet, WORKER_BINARY, workerBinary, type JsonnetRequest, type WorkerVar } from '../../src/exec/render-worker.js';
import { ExecScope } from '../../src/exec/scope.js';
import { renderComponent, warmRenderers } from '../../src/render/index.js';
import { kiln, withoutProgress } from '../helpers/cli.js';
import { makeFleetRepo, projectRoot, readTree } from '../helpers/fleet-repo.js';
import { alive, ctxFor, scope, workerSet } from './worker-helpers.js';
import { cluster, realTools, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

const binary = workerBinary();
const v = (name: string, value: string, code = false): WorkerVar => ({ name, value, code });

function cli(jsonnet: string, req: JsonnetRequest): { exitCode: number; stdout: string; stderr: string } {
  const args = [req.file, ...req.jpath.flatMap((j) => ['-J', j])];
  for (const [kind, vars] of [['ext', req.ext], ['tla', req.tla]] as const) for (const x of vars) args.push(`--${kind}-${x.code ? 'code' : 'str'}`, `${x.name}=${x.value}`);
  const r = spawnSync(jsonnet, args, { cwd: req.cwd, env: buildEnv({}), encoding: 'utf8', maxBuffer: 64 << 20 });
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Small programs covering what kiln passes (file, -J, ext/tla str/code) and how jsonnet fails. */
function corpus(dir: string): Array<[string, JsonnetRequest]> {
  writeFiles(dir, {
    'main.jsonnet': "local lib = import 'lib.libsonnet';\nfunction(names, replicas=1, note='') { lib: lib.name, names: names, replicas: replicas, note: note, s: std.extVar('s'), c: std.extVar('c') }\n",
    'lib.libsonnet': "{ name: 'beside the file' }\n",
    'a/lib.libsonnet': "{ name: 'from a' }\n",
    'a/only.libsonnet': "{ name: 'only in a' }\n",
    'b/only.libsonnet': "{ name: 'only in b' }\n",
    'jpath.jsonnet': "[(import 'only.libsonnet').name, importstr 'data.txt', std.length(importbin 'data.txt')]\n",
    'a/data.txt': 'héllo\n',
    'syntax.jsonnet': '{ a: 1,, }\n',
    'runtime.jsonnet': "local f(x) = if x > 2 then error 'boom: ünïcode ' + x else f(x + 1);\n{ a: f(0) }\n",
    'missing-import.jsonnet': "import 'nope.libsonnet'\n",
    'extvar.jsonnet': "std.extVar('undefined')\n",
    'tla-missing.jsonnet': 'function(needed) { needed: needed }\n',
    'deep.jsonnet': 'local f(n) = if n == 0 then 0 else 1 + f(n - 1);\nf(10000)\n',
    'trace.jsonnet': "{ a: std.trace('tracing a', 1), b: std.trace('tracing b', error 'after a trace') }\n",
    'trace-ok.jsonnet': "{ a: std.trace('only a trace', 1) }\n",
    'big.jsonnet': "{ items: [{ i: i, s: 'x\\u2028y\\u0001z 😀 <&> \"q\"' } for i in std.range(1, 20000)], f: 0.1 + 0.2, e: 1e300, n: -0 }\n",
    'kubecfg.jsonnet': "{ b: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }, a: [{ apiVersion: 'v1', kind: 'List', items: [] }, null] }\n",
  });
  const j = (f: string) => path.join(dir, f);
  const base = { cwd: dir, jpath: [] as string[], ext: [] as WorkerVar[], tla: [] as WorkerVar[] };
  return [
    ['typed ext vars and tlas', { ...base, file: j('main.jsonnet'), ext: [v('c', '{"a":[1,true,null]}', true), v('s', 'quote " newline \n ü')], tla: [v('names', '["x","y"]', true), v('note', 'on'), v('replicas', '3', true)] }],
    ['tla defaults, a relative import beside the file wins over -J', { ...base, file: j('main.jsonnet'), jpath: [j('a')], ext: [v('c', 'null', true), v('s', '')], tla: [v('names', '[]', true)] }],
    ['-J: right-most wins, importstr, importbin', { ...base, file: j('jpath.jsonnet'), jpath: [j('a'), j('b')] }],
    ['-J in the other order', { ...base, file: j('jpath.jsonnet'), jpath: [j('b'), j('a')] }],
    ['syntax error', { ...base, file: j('syntax.jsonnet') }],
    ['runtime error with a stack trace', { ...base, file: j('runtime.jsonnet') }],
    ['missing import', { ...base, file: j('missing-import.jsonnet'), jpath: [j('a')] }],
    ['undefined ext var', { ...base, file: j('extvar.jsonnet') }],
    ['missing tla', { ...base, file: j('tla-missing.jsonnet') }],
    ['bad ext code', { ...base, file: j('extvar.jsonnet'), ext: [v('undefined', '{ a: ', true)] }],
    ['max stack frames', { ...base, file: j('deep.jsonnet') }],
    ['std.trace before an error', { ...base, file: j('trace.jsonnet') }],
    ['std.trace on success', { ...base, file: j('trace-ok.jsonnet') }],
    ['big output, escapes, numbers', { ...base, file: j('big.jsonnet') }],
    ['kubecfg shapes', { ...base, file: j('kubecfg.jsonnet') }],
    ['a file that is not there', { ...base, file: j('not-there.jsonnet') }],
    ['a directory as the file', { ...base, file: j('a') }],
    ['the render fixture', { ...base, cwd: path.join(projectRoot, 'fixtures/render/fleet'), file: path.join(projectRoot, 'fixtures/render/fleet/jsonnet/main.jsonnet'), jpath: [path.join(projectRoot, 'fixtures/render/fleet/jsonnet/lib')], ext: [v('flag', 'true', true), v('num', '7', true), v('obj', '{"a":[1]}', true), v('str', '42')], tla: [v('names', '["x","y"]', true), v('replicas', '3', true)] }],
  ];
}

describe('kiln-render-worker answers as the jsonnet CLI does', () => {
  it('is built by the setup and links the pinned go-jsonnet', async () => {
    expect(binary, 'scripts/setup.sh builds kiln-render-worker into the tools dir').toBeDefined();
    const pinned = readFileSync(path.join(projectRoot, 'scripts/pinned-tools.txt'), 'utf8').match(/^jsonnet\|[^|]+\|[^|]+\|(v[\d.]+)$/m)?.[1];
    const gomod = readFileSync(path.join(projectRoot, 'tools/render-worker/go.mod'), 'utf8');
    expect(gomod).toContain(`github.com/google/go-jsonnet ${pinned}`);
    const workers = new RenderWorkers(binary!, 1, new AbortController().signal);
    expect((await workers.hello())?.jsonnet).toBe(pinned);
    await workers.close();
  });

  it('byte for byte: exit code, stdout and stderr over the corpus, at concurrency 2', async () => {
    const tools = await realTools();
    const cases = corpus(tempDir('kiln-rw-'));
    const workers = new RenderWorkers(binary!, 2, new AbortController().signal);
    // every case three times, two workers: state left by one request never leaks into the next
    const answers = await Promise.all([...cases, ...cases, ...cases].map(([, req]) => workers.request({ engine: 'jsonnet', ...req }, 60_000)));
    await workers.close();
    cases.forEach(([name, req], i) => {
      const want = cli(tools.jsonnet!.path, req);
      for (const k of [i, i + cases.length, i + 2 * cases.length]) expect(answers[k], name).toEqual(want);
    });
    // the corpus exercises both outcomes and the stderr of each
    expect(cases.filter((_, i) => answers[i]!.exitCode !== 0).length).toBeGreaterThanOrEqual(9);
    expect(answers.find((a) => a!.exitCode === 0 && a!.stderr.includes('TRACE:'))).toBeDefined();
  });
});




const spec = (file: string) => ({ file, jpath: [] as string[], extVars: { who: 'w' } as Record<string, unknown>, tlas: {} as Record<string, unknown> });

describe('the jsonnet renderer with workers', () => {
  const root = tempDir('kiln-rw-fleet-');
  writeFiles(root, {
    'ok.jsonnet': "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: std.extVar('who') } }\n",
    'bad.jsonnet': "{ a: error 'no ' + std.extVar('who') }\n",
    'slow.jsonnet': 'std.length(std.foldl(function(a, b) a + [b], std.range(0, 60000), []))\n',
    // a worker that says hello as the pinned one does, then dies on its first request
    'crash-worker': '#!/bin/sh\necho \'{"hello":"kiln-render-worker","jsonnet":"v0.22.0"}\'\nread line\nexit 2\n',
    // one linking another go-jsonnet: never used, it would not be the CLI kiln located
    'other-worker': `#!/bin/sh\necho '{"hello":"kiln-render-worker","jsonnet":"v0.0.1"}'\nwhile read line; do touch "${root}/other-was-asked"; done\n`,
  });
  spawnSync('chmod', ['+x', path.join(root, 'crash-worker'), path.join(root, 'other-worker')]);

  it('renders and fails exactly as without workers', async () => {
    const off = await ctxFor(root, scope(undefined));
    const workers = workerSet(WORKER_BINARY, binary!, 2, new AbortController().signal);
    const on = await ctxFor(root, scope(workers));
    const c = (file: string) => ({ name: 'c', engine: 'jsonnet' as const, spec: spec(file) });
    expect(await renderComponent(c('ok.jsonnet'), on)).toEqual(await renderComponent(c('ok.jsonnet'), off));
    const e1 = await renderComponent(c('bad.jsonnet'), off).then(() => new Error('rendered'), (e: Error) => e);
    const e2 = await renderComponent(c('bad.jsonnet'), on).then(() => new Error('rendered'), (e: Error) => e);
    expect(e2.message).toBe(e1.message);
    expect(e2.message).toMatch(/jsonnet failed: RUNTIME ERROR: no w/);
    expect((e2.cause as ExecError).message).toBe((e1.cause as ExecError).message);
    await workers.close();
  });

  it('falls back to the CLI when the worker crashes or links another go-jsonnet', async () => {
    for (const fake of ['crash-worker', 'other-worker']) {
      const workers = workerSet(WORKER_BINARY, path.join(root, fake), 1, new AbortController().signal);
      const out = await renderComponent({ name: 'c', engine: 'jsonnet', spec: spec('ok.jsonnet') }, await ctxFor(root, scope(workers)));
      expect(out.objects[0]!.metadata!.name, fake).toBe('w');
      await workers.close();
    }
    expect(existsSync(path.join(root, 'other-was-asked'))).toBe(false);
  });

  it('warmRenderers starts the worker before any render, and the first render is served by it; a named tool starts none', async () => {
    const workers = workerSet(WORKER_BINARY, binary!, 1, new AbortController().signal);
    const ran: string[] = [];
    const session = scope(workers, new ExecScope(undefined, { started: (command) => (ran.push(command), () => undefined) }));
    const ctx = await ctxFor(root, session);
    warmRenderers({ tools: ctx.tools, cacheDir: ctx.cacheDir, session });
    // no render yet; the spawner helper names the worker's pid once it started it
    await vi.waitFor(() => expect(workers.pids()).toHaveLength(1), { timeout: 10_000 });
    const started = workers.pids();
    const out = await renderComponent({ name: 'c', engine: 'jsonnet', spec: spec('ok.jsonnet') }, ctx);
    expect(out.objects[0]!.metadata!.name).toBe('w');
    expect(workers.pids()).toEqual(started);
    expect(ran).toEqual([`${path.basename(ctx.tools.jsonnet!.path)} (worker)`]);
    await workers.close();
    // KILN_JSONNET=…: that program runs as itself, so no worker is started for it
    const named = workerSet(WORKER_BINARY, binary!, 1, new AbortController().signal);
    warmRenderers({ tools: { jsonnet: { ...ctx.tools.jsonnet!, explicit: true } }, cacheDir: ctx.cacheDir, session: scope(named) });
    warmRenderers({ tools: {}, cacheDir: ctx.cacheDir, session: scope(named) });
    expect(named.pids()).toEqual([]);
    await named.close();
  });

  it('a render past the timeout is reported as the CLI timing out; the next one gets a new worker', async () => {
    for (let i = 0; i < 3; i++) {
      const workers = workerSet(WORKER_BINARY, binary!, 1, new AbortController().signal);
      const ctx = await ctxFor(root, scope(workers), 300);
      const e = await renderComponent({ name: 'c', engine: 'jsonnet', spec: spec('slow.jsonnet') }, ctx).then(() => new Error('rendered'), (x: Error) => x);
      expect(e.message).toMatch(/jsonnet timed out after 0\.3s/);
      expect((e.cause as ExecError).timedOut).toBe(true);
      const ok = await renderComponent({ name: 'c', engine: 'jsonnet', spec: spec('ok.jsonnet') }, { ...ctx, timeoutMs: 60_000 });
      expect(ok.objects).toHaveLength(1);
      await workers.close();
    }
  });

  it('an abort kills the running workers and cancels their renders (many times, two at once)', async () => {
    for (let i = 0; i < 4; i++) {
      const exec = new ExecScope();
      const workers = workerSet(WORKER_BINARY, binary!, 2, exec.signal);
      const ctx = await ctxFor(root, scope(workers, exec));
      const runs = [0, 1].map(() => renderComponent({ name: 'c', engine: 'jsonnet', spec: spec('slow.jsonnet') }, ctx).then(() => 'done', (e: unknown) => e));
      await workers.pool(WORKER_BINARY)!.hello();
      await new Promise((r) => setTimeout(r, 100 + 50 * i));
      const pids = workers.pids();
      exec.abort(new Error('first failure'));
      for (const r of await Promise.all(runs)) expect(r).toBeInstanceOf(CancelledError);
      await Promise.all([exec.close(), workers.close()]);
      expect(pids.length).toBeGreaterThanOrEqual(1);
      for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false);
    }
  });
});

describe('a session\'s worker set', () => {
  it('keeps one pool per (binary, environment), each worker started with exactly that environment', async () => {
    const dir = tempDir('kiln-rw-env-');
    // says hello with the variable it was started with, then answers nothing
    writeFiles(dir, { 'env-worker': '#!/bin/sh\necho "{\\"hello\\":\\"kiln-render-worker\\",\\"helm\\":\\"$KILN_T_ENV\\",\\"home\\":\\"${HOME:-none}\\"}"\nwhile read line; do :; done\n' });
    spawnSync('chmod', ['+x', path.join(dir, 'env-worker')]);
    const set = new RenderWorkerSet({ size: 1, signal: new AbortController().signal, locate: (name) => (name === 'kiln-render-worker-helm' ? path.join(dir, 'env-worker') : undefined) });
    const a = set.pool('kiln-render-worker-helm', { KILN_T_ENV: 'a' });
    const b = set.pool('kiln-render-worker-helm', { KILN_T_ENV: 'b' });
    expect(a).toBeDefined();
    expect(b).not.toBe(a);
    expect(set.pool('kiln-render-worker-helm', { KILN_T_ENV: 'a' })).toBe(a);
    expect(set.pool('kiln-render-worker-kustomize')).toBeUndefined(); // not built: the CLI runs
    expect(await a!.hello()).toEqual({ helm: 'a', home: 'none' }); // nothing inherited beyond what was given
    expect(await b!.hello()).toEqual({ helm: 'b', home: 'none' });
    expect(set.pids()).toHaveLength(2);
    const pids = set.pids();
    await set.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(set.pool('kiln-render-worker-helm', { KILN_T_ENV: 'c' })).toBeUndefined(); // closed: no new pool
  });

  it('starts every worker with one P and GOGC=200, unless its environment or kiln\'s sets the Go runtime', async () => {
    const dir = tempDir('kiln-rw-go-');
    writeFiles(dir, { 'go-worker': '#!/bin/sh\necho "{\\"hello\\":\\"kiln-render-worker\\",\\"procs\\":\\"${GOMAXPROCS:-unset}\\",\\"gc\\":\\"${GOGC:-unset}\\",\\"limit\\":\\"${GOMEMLIMIT:-unset}\\"}"\nwhile read line; do :; done\n' });
    spawnSync('chmod', ['+x', path.join(dir, 'go-worker')]);
    const saved = { GOGC: process.env.GOGC, GOMAXPROCS: process.env.GOMAXPROCS, GOMEMLIMIT: process.env.GOMEMLIMIT };
    const set = new RenderWorkerSet({ size: 1, signal: new AbortController().signal, locate: () => path.join(dir, 'go-worker') });
    try {
      delete process.env.GOGC;
      delete process.env.GOMAXPROCS;
      delete process.env.GOMEMLIMIT;
      expect(await set.pool('kiln-render-worker-kustomize', {})!.hello()).toEqual({ procs: '1', gc: '200', limit: 'unset' });
      expect(await set.pool('kiln-render-worker-kustomize', { GOGC: '50', GOMEMLIMIT: '1GiB' })!.hello()).toEqual({ procs: '1', gc: '50', limit: '1GiB' });
      process.env.GOGC = 'off';
      process.env.GOMAXPROCS = '3';
      expect(await set.pool('kiln-render-worker-kustomize', { X: '1' })!.hello()).toEqual({ procs: '3', gc: 'off', limit: 'unset' });
      expect(await set.pool('kiln-render-worker-kustomize', { X: '2', GOGC: '75' })!.hello()).toEqual({ procs: '3', gc: '75', limit: 'unset' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await set.close();
    }
  });
});


describe('kiln render with and without workers', () => {
  async function both(cwd: string, expectCode?: number): Promise<{ on: Awaited<ReturnType<typeof kiln>>; off: Awaited<ReturnType<typeof kiln>>; outOn: string; outOff: string }> {
    const saved = { ...process.env };
    const outOn = tempDir();
    const outOff = tempDir();
    try {
      process.env.KILN_RENDER_CACHE = 'off';
      process.env.KILN_CACHE_DIR = tempDir();
      const on = await kiln('render', '--cwd', cwd, '--out', outOn, '--no-check');
      process.env.KILN_RENDER_WORKER = 'off';
      const off = await kiln('render', '--cwd', cwd, '--out', outOff, '--no-check');
      if (expectCode !== undefined) expect(off.code, off.stderr).toBe(expectCode);
      return { on, off, outOn, outOff };
    } finally {
      process.env = saved;
    }
  }

  it('the example fleet and a 12-cluster bench fleet render byte-identical trees', async () => {
    const repo = makeFleetRepo();
    const bench = tempDir('kiln-rw-bench-');
    writeBenchFleet(bench, 12);
    try {
      for (const cwd of [repo.fleet, bench]) {
        const r = await both(cwd, 0);
        expect(r.on.code, r.on.stderr).toBe(0);
        const a = readTree(r.outOn);
        expect(a.size).toBeGreaterThan(10);
        expect(a).toEqual(readTree(r.outOff));
      }
    } finally {
      repo.cleanup();
    }
  });

  it('the jsonnet bad inputs fail with the same message and exit code', async () => {
    const bad = path.join(projectRoot, 'fixtures/bad/render');
    const names = readdirSync(bad).filter((n) => n.startsWith('jsonnet-'));
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const dir = path.join(tempDir(), name);
      cpSync(path.join(bad, name), dir, { recursive: true });
      writeFileSync(path.join(dir, '.keep'), '');
      const r = await both(dir, 1);
      expect(r.on.code, name).toBe(1);
      // the timing summary counts jsonnet processes only without workers: compared without it
      expect(withoutProgress(r.on.stderr), name).toBe(withoutProgress(r.off.stderr));
    }
  });
});
