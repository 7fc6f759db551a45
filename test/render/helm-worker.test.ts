/**
 * The helm render worker (tools/render-worker-helm) against the real helm CLI: over the helm corpus
 * (test/render/helm-worker-corpus.ts: local and packaged charts, Capabilities, CRDs, hooks, values,
 * every way a template fails, the warnings Helm prints), the same exit code, stdout bytes and stderr
 * text, in shuffled orders through one pool so state left by one render would show in the next. Then
 * through kiln: Helm 3 stays the CLI, fallbacks, timeouts, aborts, KILN_RENDER_WORKER=off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildEnv, CancelledError, ExecError } from '../../src/exec/exec.js';
import { HELM_WORKER, RenderWorkers, RenderWorkerSet, workerBinary, type WorkerAnswer } from '../../src/exec/render-worker.js';
import { ExecScope } from '../../src/exec/scope.js';
import { manifestsOf } from '../../src/manifests/parse.js';
import { helmEnv as kilnHelmEnv } from '../../src/render/helm.js';
import { renderComponent, warmRenderers } from '../../src/render/index.js';
import type { RenderContext } from '../../src/render/renderer.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, readTree } from '../helpers/fleet-repo.js';
import { helmCorpus, type HelmCase } from './helm-worker-corpus.js';
import { alive } from './worker-helpers.js';
import { cluster, copyFleet, helm as helmComponent, projectRoot, realTools, removeTempDirs, tempDir, toolsWithHelm } from './helpers.js';

afterAll(removeTempDirs);

const binary = workerBinary(process.env, HELM_WORKER);
// the environment kiln gives helm (and so the worker): its homes under a cache dir
const env = buildEnv({ env: kilnHelmEnv(tempDir('kiln-hw-cache-')) });

/** What `helm version --template` says of the build (render/helm.ts compares it with the worker's hello). */
const helmBuild = (file: string) => execFileSync(file, ['version', '--template', '{{.Version}} {{.GitCommit}} {{.GitTreeState}} {{.GoVersion}}'], { encoding: 'utf8' });

const shuffled = <T>(xs: T[]): T[] => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

describe('kiln-render-worker-helm answers as the helm CLI does', async () => {
  const helm = (await realTools()).helm!;
  const root = tempDir('kiln-hw-');
  const cases = helmCorpus(root, helm.path, env);
  const cli = (c: HelmCase): WorkerAnswer => {
    const r = spawnSync(helm.path, c.args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const want = new Map(cases.map((c) => [c, cli(c)]));
  const ask = (w: RenderWorkers, c: HelmCase) => w.request({ engine: 'helm', cwd: root, args: c.args }, 60_000);

  it('is built by the setup, links the pinned Helm 4 and nothing else, and the corpus covers what it must', async () => {
    expect(binary, 'scripts/setup.sh builds kiln-render-worker-helm into the tools dir').toBeDefined();
    const pinned = /^helm\|[^|]+\|[^|]+\|(v[\d.]+)$/m.exec(readFileSync(path.join(projectRoot, 'scripts/pinned-tools.txt'), 'utf8'))?.[1];
    expect(helm.version).toBe(pinned);
    // by MVS the only direct requirement besides Helm's own dependencies is Helm at the pinned version
    const gomod = readFileSync(path.join(projectRoot, 'tools/render-worker-helm/go.mod'), 'utf8');
    expect(gomod).toContain(`helm.sh/helm/v4 ${pinned}\n`);
    // the one replace is kiln's own code (tools/worker-values), not an upstream module
    expect(gomod.match(/^replace .*$/gm)).toEqual(['replace kiln.local/worker-values => ../worker-values']);
    const workers = new RenderWorkers(binary!, 1, new AbortController().signal, env);
    const hello = await workers.hello();
    expect(hello?.helm).toBe(pinned);
    // and is built like the CLI setup builds: what charts read as .Capabilities.HelmVersion is the same
    expect(hello?.helmBuild).toBe(helmBuild(helm.path));
    expect(hello?.helmBuild).toMatch(new RegExp(`^${pinned!.replace(/\./g, '\\.')}  {2}go1\\.`));
    await workers.close();
    const answers = [...want.values()];
    expect(answers.filter((a) => a.exitCode !== 0).length).toBeGreaterThanOrEqual(11);
    expect(answers.filter((a) => a.exitCode === 0).length).toBeGreaterThanOrEqual(14);
    // warnings on stderr beside a render: Helm's logger, once per process in the library
    expect(answers.filter((a) => a.exitCode === 0 && a.stderr.includes('level=WARN')).length).toBe(2);
    const by = (n: string) => want.get(cases.find((c) => c.name === n)!)!;
    expect(by('helm and kube versions in Capabilities').stdout).toContain(`helm: "${pinned}"`);
    expect(by('fail in a template').stderr).toContain('boom-from-chart');
    expect(by('missing required value').stderr).toContain('tag is required: set it in the values');
  });

  it("selects the versions of Helm's go.mod and links the very modules the pinned helm CLI links", () => {
    const go = (args: string[], cwd: string) => spawnSync('go', args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' } });
    const src = path.join(projectRoot, 'tools/render-worker-helm');
    const selected = new Map(go(['list', '-m', 'all'], src).stdout.trim().split('\n').slice(1).map((l) => l.split(' ') as [string, string]));
    const upstream = JSON.parse(go(['mod', 'download', '-json', `helm.sh/helm/v4@${helm.version}`], src).stdout) as { GoMod: string };
    const required = [...readFileSync(upstream.GoMod, 'utf8').matchAll(/^\s+(\S+) (v\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(required.length).toBeGreaterThan(100);
    for (const [mod, version] of required) expect(selected.get(mod), mod).toBe(version);
    // and what the two binaries link (helm's own module is the CLI's main module, `mod`, a `dep` of the worker)
    const deps = (file: string) => new Map([...go(['version', '-m', file], projectRoot).stdout.matchAll(/^\t(?:mod|dep)\t(\S+)\t(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const cliDeps = deps(helm.path);
    const workerDeps = deps(binary!);
    workerDeps.delete('kiln.local/render-worker-helm');
    workerDeps.delete('kiln.local/worker-values'); // kiln's own code: the YAML reader it uses is go.yaml.in/yaml/v2, held below
    expect(workerDeps.get('helm.sh/helm/v4')).toBe(helm.version);
    expect(workerDeps.size).toBeGreaterThan(100);
    for (const [mod, version] of workerDeps) expect(cliDeps.get(mod), mod).toBe(version);
  });

  it('byte for byte: exit code, stdout and stderr over the corpus, shuffled, twice over, through a pool of 2', async () => {
    const workers = new RenderWorkers(binary!, 2, new AbortController().signal, env);
    const order = [...shuffled(cases), ...shuffled(cases)];
    const answers = await Promise.all(order.map((c) => ask(workers, c)));
    order.forEach((c, i) => expect(answers[i], c.name).toEqual(want.get(c)));
    // one worker, in an order where each request follows one that changed the most state
    const one = new RenderWorkers(binary!, 1, new AbortController().signal, env);
    const seq = ['capabilities, CRDs', 'local chart, defaults', 'unresolved urn $ref warning', 'unresolved urn $ref warning', 'Capabilities with another kube and api set', 'helm and kube versions in Capabilities', 'schema violation', 'schema ok', 'deprecated chart warning, Files.Get, lookup', 'deprecated chart warning, Files.Get, lookup'];
    for (const n of seq) {
      const c = cases.find((x) => x.name === n)!;
      expect(await ask(one, c), n).toEqual(want.get(c));
    }
    await Promise.all([workers.close(), one.close()]);
  });

  it('with values asked: the same answer, and the documents as kiln reads the output, or none where JSON cannot carry them', async () => {
    const workers = new RenderWorkers(binary!, 2, new AbortController().signal, env);
    const answers = await Promise.all(cases.map((c) => workers.request({ engine: 'helm', cwd: root, args: c.args, values: true }, 60_000)));
    const given: string[] = [];
    const succeeded: string[] = [];
    cases.forEach((c, i) => {
      const { values, ...answer } = answers[i]!;
      expect(answer, c.name).toEqual(want.get(c));
      if (answer.exitCode !== 0) return void expect(values, c.name).toBeUndefined();
      succeeded.push(c.name);
      if (!values) return;
      given.push(c.name);
      // the objects kiln makes of them are those it makes of the text, keys in the same order (or the same refusal)
      const read = (out: { stdout: string; values?: unknown[] }) => {
        try {
          return JSON.stringify(manifestsOf(out, { source: c.name }));
        } catch (e) {
          return `refused: ${(e as Error).message}`;
        }
      };
      expect(read({ stdout: answer.stdout, values }), c.name).toBe(read({ stdout: answer.stdout }));
    });
    expect(given).toEqual(expect.arrayContaining(['scalars as Kubernetes reads them', 'local chart, defaults', 'example fleet chart']));
    for (const n of ['an anchor and its alias', 'an integer past 2^53', 'a comment-only document', 'an anchor and its alias, a big integer, a comment-only document']) expect(given, n).not.toContain(n);
    expect(given.length).toBeGreaterThan(succeeded.length / 2);
    await workers.close();
  });

  it('serves only `helm template`: anything else is left to the CLI', async () => {
    const workers = new RenderWorkers(binary!, 1, new AbortController().signal, env);
    const app = cases[0]!.args[2]!;
    for (const args of [['version'], ['pull', 'app', '--repo', 'http://127.0.0.1:1'], ['show', 'chart', app], ['--namespace', 'x', 'template', 'rel', app], []]) {
      expect(await workers.request({ engine: 'helm', cwd: root, args }, 60_000), args.join(' ')).toBeUndefined();
    }
    expect(await workers.request({ engine: 'kustomize', cwd: root, args: ['template', 'rel', app] }, 60_000)).toBeUndefined();
    expect(await ask(workers, cases[0]!)).toEqual(want.get(cases[0]!));
    await workers.close();
  });
});

/** A session's worker set whose helm worker is `file` (a fake one in some tests). */
function workerSet(file: string | undefined, size: number, signal: AbortSignal): RenderWorkerSet {
  return new RenderWorkerSet({ size, signal, locate: (name) => (name === HELM_WORKER ? file : undefined) });
}

/** A session scope whose exec stats record the basename of every program run (and worker answer). */
function scope(workers: RenderWorkerSet | undefined, started: string[] = []) {
  const exec = new ExecScope(undefined, { started: (command) => (started.push(path.basename(command)), () => undefined) });
  return { exec, memo: new RunMemo(), ...(workers ? { workers } : {}) };
}

async function ctxFor(root: string, session: RenderContext['session'], over: Partial<RenderContext> = {}): Promise<RenderContext> {
  return { root, cluster: cluster({ apiVersions: ['monitoring.coreos.com/v1'] }), profile: 'p', component: 'c', tools: await realTools(), cacheDir: tempDir(), tmpDir: tempDir(), timeoutMs: 60_000, session, ...over };
}

const failure = (p: Promise<unknown>) => p.then(() => new Error('succeeded'), (e: Error) => e);

describe('helm renders with workers', async () => {
  const root = copyFleet();
  const version = (await realTools()).helm!.version;
  const fakes = tempDir('kiln-hw-fakes-');
  const fake = (name: string, body: string) => {
    const f = path.join(fakes, name);
    spawnSync('sh', ['-c', `cat > '${f}'`], { input: `#!/bin/sh\n${body}\n` });
    chmodSync(f, 0o755);
    return f;
  };
  const build = helmBuild((await realTools()).helm!.path);
  const hello = (v: string, b = build) => `echo '{"hello":"kiln-render-worker","helm":"${v}","helmBuild":"${b}"}'`;
  const crash = fake('crash-worker', `${hello(version)}\nread line\nexit 2`);
  const hung = fake('hung-worker', `${hello(version)}\nexec sleep 60`);
  const asked = (name: string) => `while read line; do touch '${fakes}/${name}-was-asked'; done`;
  const other = fake('other-worker', `${hello('v4.0.0', build.replace(version, 'v4.0.0'))}\n${asked('other')}`);
  // the right version, another build (a release binary's commit and Go): charts could tell them apart
  const otherBuild = fake('other-build-worker', `${hello(version, `${version} 0123abcd clean go1.25.3`)}\n${asked('other-build')}`);
  const app = helmComponent({ chart: 'charts/app', values: { replicas: 2 } });
  const broken = helmComponent({ chart: 'charts/app', values: { replicas: 2 }, valuesFiles: [{ path: 'values/dev.yaml', optional: false }] });

  it('renders and fails exactly as the CLI, counted as `helm (worker)` runs; Helm 3 stays the CLI', async () => {
    const started: string[] = [];
    const workers = workerSet(binary, 2, new AbortController().signal);
    const on = await ctxFor(root, scope(workers, started));
    const off = await ctxFor(root, scope(undefined));
    expect(await renderComponent(app, on)).toEqual(await renderComponent(app, off));
    // helm failing: the same error, and under it the ExecError the CLI run gives (the inline values
    // file is in a scratch dir of each run, the one difference)
    const bad = { cluster: cluster({ kubeVersion: 'one.two' }) };
    const [e1, e2] = [await failure(renderComponent(app, { ...off, ...bad })), await failure(renderComponent(app, { ...on, ...bad }))];
    expect(e2.message).toBe(e1.message);
    expect(e2.message).toMatch(/invalid kube version 'one\.two'/);
    const scratch = (e: Error) => (e.cause as ExecError).message.replace(/ -f \S+\/values\.json/, ' -f <inline>');
    expect(scratch(e2)).toBe(scratch(e1));
    const [c1, c2] = [e1.cause as ExecError, e2.cause as ExecError];
    expect(c2.exitCode_).toBe(1);
    expect({ command: c2.command, exitCode: c2.exitCode_, stderr: c2.stderr, timedOut: c2.timedOut }).toEqual({ command: c1.command, exitCode: c1.exitCode_, stderr: c1.stderr, timedOut: c1.timedOut });
    expect(started).toEqual(['helm (worker)', 'helm (worker)']);
    // Helm 3 at its own version: the worker (Helm 4) never stands in for it
    const h3 = await ctxFor(root, scope(workers, started), { tools: await toolsWithHelm('helm3') });
    await renderComponent(broken, h3);
    expect(started.slice(2)).toEqual(['helm3']);
    await workers.close();
  });

  it('warmRenderers starts every worker of the pool once the worker is known to stand in: the very ones the renders use (same pool, same environment)', async () => {
    const started: string[] = [];
    const workers = workerSet(binary, 2, new AbortController().signal);
    const session = scope(workers, started);
    const ctx = await ctxFor(root, session);
    warmRenderers({ tools: ctx.tools, cacheDir: ctx.cacheDir, session });
    // the one that says which Helm it links, then the other (their pids come from the spawner helper)
    await vi.waitFor(() => expect(workers.pids()).toHaveLength(2), { timeout: 10_000 });
    const warm = workers.pids();
    // two renders at once: each finds a started worker
    await Promise.all([renderComponent(app, ctx), renderComponent(helmComponent({ chart: 'charts/app', values: { replicas: 3 } }), ctx)]);
    // another environment would have made another pool, and started other workers
    expect(workers.pids().sort()).toEqual([...warm].sort());
    expect(started).toEqual(['helm (worker)', 'helm (worker)']);
    await workers.close();
  });

  it('falls back to the CLI when the worker crashes, links another Helm or is another build of it', async () => {
    for (const f of [crash, other, otherBuild]) {
      const started: string[] = [];
      const workers = workerSet(f, 1, new AbortController().signal);
      const out = await renderComponent(app, await ctxFor(root, scope(workers, started)));
      expect(out.objects.length, f).toBeGreaterThan(3);
      expect(started.at(-1), f).toBe('helm');
      await workers.close();
    }
    for (const n of ['other', 'other-build']) expect(statSync(path.join(fakes, `${n}-was-asked`), { throwIfNoEntry: false }), n).toBeUndefined();
  });

  it('a worker that hangs: the render times out as the CLI would (three times over)', async () => {
    for (let i = 0; i < 3; i++) {
      const workers = workerSet(hung, 1, new AbortController().signal);
      const ctx = await ctxFor(root, scope(workers), { timeoutMs: 300 });
      const e = await failure(renderComponent(app, ctx));
      expect(e.message).toMatch(/helm template timed out after 0\.3s/);
      expect((e.cause as ExecError).timedOut).toBe(true);
      await workers.close();
    }
  });

  it('an abort cancels the renders and leaves no worker process (many times, two at once)', async () => {
    for (let i = 0; i < 4; i++) {
      const s = scope(undefined);
      const workers = workerSet(hung, 2, s.exec.signal);
      const real = new RenderWorkerSet({ size: 2, signal: s.exec.signal, locate: () => binary });
      const ctx = await ctxFor(root, { ...s, workers });
      const runs = [0, 1].map(() => renderComponent(app, ctx).then(() => 'done', (e: unknown) => e));
      await Promise.all([workers.pool(HELM_WORKER, env)!.hello(), real.pool(HELM_WORKER, env)!.hello()]);
      await new Promise((r) => setTimeout(r, 50 + 30 * i));
      const pids = [...workers.pids(), ...real.pids()];
      s.exec.abort(new Error('first failure'));
      for (const r of await Promise.all(runs)) expect(r).toBeInstanceOf(CancelledError);
      await Promise.all([s.exec.close(), workers.close(), real.close()]);
      expect(pids.length).toBeGreaterThanOrEqual(3);
      for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false);
    }
  });
});


describe('kiln render: KILN_RENDER_WORKER=off runs the helm CLI', () => {
  it('the same tree; with workers no helm process, without them no worker run', async () => {
    const repo = makeFleetRepo();
    const saved = { ...process.env };
    try {
      process.env.KILN_RENDER_CACHE = 'off';
      process.env.KILN_CACHE_DIR = tempDir();
      const outOn = tempDir();
      const on = await kiln('render', '--cwd', repo.fleet, '--out', outOn);
      process.env.KILN_RENDER_WORKER = 'off';
      const outOff = tempDir();
      const off = await kiln('render', '--cwd', repo.fleet, '--out', outOff);
      expect(on.code, on.stderr).toBe(0);
      expect(off.code, off.stderr).toBe(0);
      expect(readTree(outOn)).toEqual(readTree(outOff));
      const tools = (s: string) => /\ntool processes: (.+)\n/.exec(s)?.[1] ?? '';
      const runs = (s: string, tool: string) => Number(new RegExp(`(?:^|, )${tool.replace(/[()]/g, '\\$&')} (\\d+) run`).exec(tools(s))?.[1] ?? 0);
      expect(runs(on.stderr, 'helm (worker)')).toBeGreaterThanOrEqual(2);
      expect(runs(on.stderr, 'helm')).toBe(0);
      expect(runs(off.stderr, 'helm')).toBe(runs(on.stderr, 'helm (worker)'));
      expect(tools(off.stderr)).not.toContain('(worker)');
    } finally {
      process.env = saved;
      repo.cleanup();
    }
  });
});
