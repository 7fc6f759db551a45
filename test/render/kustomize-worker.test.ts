/**
 * The kustomize render worker (tools/render-worker-kustomize) against the real kustomize CLI: over
 * every kustomization in fixtures/ and the bench fleet, and kiln's post-render patch builds (strategic
 * merge, JSON 6902, $patch directives, generateName objects, an `openapi:` custom schema followed by
 * builds without one, failures), the same exit code, stdout bytes and stderr text, in shuffled orders
 * through one pool so state left by one build would show in the next. Then through kiln: fallbacks,
 * timeouts, aborts, KILN_RENDER_WORKER=off, and the patch error text.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { buildEnv, CancelledError, ExecError } from '../../src/exec/exec.js';
import { KUSTOMIZE_WORKER, RenderWorkers, RenderWorkerSet, workerBinary, type WorkerAnswer } from '../../src/exec/render-worker.js';
import { ExecScope } from '../../src/exec/scope.js';
import { serializeData, serializeObject } from '../../src/manifests/serialize.js';
import { withTemporaryName } from '../../src/manifests/generate-name.js';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { applyPatches } from '../../src/patch/apply.js';
import { renderComponent, warmRenderers } from '../../src/render/index.js';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { kustomizeTool } from '../helpers/tools.js';
import { alive, ctxFor, scope, workerSet } from './worker-helpers.js';
import { cluster, projectRoot, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

const binary = workerBinary(process.env, KUSTOMIZE_WORKER);
const kustomize = kustomizeTool();

interface Case {
  name: string;
  cwd: string;
  args: string[];
}

function cli(c: Case): WorkerAnswer {
  const r = spawnSync(kustomize.path, c.args, { cwd: c.cwd, env: buildEnv({}), encoding: 'utf8', maxBuffer: 64 << 20 });
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every directory holding a kustomization under `dir` (sorted). */
function kustomizations(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (/^(kustomization\.ya?ml|Kustomization)$/.test(e.name) && !e.parentPath.includes('node_modules')) out.push(e.parentPath);
  }
  return out.sort();
}

const deployment: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'web', labels: { app: 'web' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'sidecar', image: 'sidecar:1' }] },
    },
  },
};
const job: K8sObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-', namespace: 'web', annotations: { 'kiln.dev/name': 'migrate' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'm:1' }] } } } };
const custom: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'web' }, spec: { parts: [{ name: 'a', size: '1' }, { name: 'b', size: '2' }] } };
const widgetPatch = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: web }\nspec:\n  parts:\n  - { name: a, size: "10" }\n';
// a custom schema that makes Widget.spec.parts a list merged by name (without it: replaced whole)
const schema = JSON.stringify({
  definitions: {
    'com.example.v1.Widget': {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'example.com', kind: 'Widget', version: 'v1' }],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: { type: 'object', properties: { parts: { type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', items: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'string' } } } } } },
      },
    },
  },
});

/** A patch build as src/patch/apply.ts lays it out: resources.yaml and a kustomization with `patches:`. */
function patchBuild(dir: string, objects: K8sObject[], patches: Array<{ patch: string; target?: Record<string, string> }>, extra: Record<string, unknown> = {}, files: Record<string, string> = {}): Case {
  writeFiles(dir, {
    'resources.yaml': objects.map((o) => serializeObject(withTemporaryName(o))).join('---\n'),
    'kustomization.yaml': serializeData({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['resources.yaml'], patches, ...extra }),
    ...files,
  });
  return { name: path.basename(dir), cwd: dir, args: ['build', dir] };
}

function corpus(): Case[] {
  const bench = tempDir('kiln-kw-bench-');
  writeBenchFleet(bench, 12);
  const found = [...kustomizations(path.join(projectRoot, 'fixtures')), ...kustomizations(bench)].map((d) => ({ name: path.relative(projectRoot, d), cwd: projectRoot, args: ['build', d] }));
  const t = tempDir('kiln-kw-');
  const p = (name: string) => path.join(t, name);
  const sm = (body: string) => ({ patch: body });
  const cases: Case[] = [
    ...found,
    patchBuild(p('strategic-merge'), [deployment], [sm('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: web }\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:2\n        env:\n        - { name: B, value: "20" }\n        - { name: C, value: "3" }\n')]),
    patchBuild(p('json6902'), [deployment], [{ patch: '- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: web:3\n- op: add\n  path: /metadata/labels/tier\n  value: front\n', target: { kind: 'Deployment', labelSelector: 'app=web' } }]),
    patchBuild(p('patch-delete'), [deployment], [sm('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: web }\nspec:\n  template:\n    spec:\n      containers:\n      - { name: sidecar, $patch: delete }\n')]),
    patchBuild(p('patch-replace'), [deployment], [sm('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: web }\nspec:\n  template:\n    spec:\n      $patch: replace\n      containers:\n      - { name: only, image: only:1 }\n')]),
    patchBuild(p('generate-name'), [deployment, job], [{ patch: '- op: add\n  path: /spec/backoffLimit\n  value: 2\n', target: { kind: 'Job' } }]),
    patchBuild(p('openapi-custom-schema'), [custom], [sm(widgetPatch)], { openapi: { path: 'schema.json' } }, { 'schema.json': schema }),
    // the same build without the schema: the list is replaced, whatever a build before set
    patchBuild(p('openapi-none'), [custom], [sm(widgetPatch)]),
    patchBuild(p('openapi-unknown-version'), [custom], [sm(widgetPatch)], { openapi: { version: 'v1.99.0' } }),
    patchBuild(p('deprecated-field-warning'), [deployment], [], { commonLabels: { team: 'a' } }),
    patchBuild(p('bad-json6902'), [deployment], [{ patch: '- op: remove\n  path: /spec/nothing/here\n', target: { kind: 'Deployment' } }]),
    patchBuild(p('bad-patch-yaml'), [deployment], [sm('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web\n')]),
    patchBuild(p('patch-no-target'), [deployment], [sm('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: nope, namespace: web }\ndata: { a: b }\n')]),
    patchBuild(p('bad-resources-yaml'), [], []),
    { name: 'missing directory', cwd: t, args: ['build', p('not-there')] },
    { name: 'a file, not a directory', cwd: t, args: ['build', path.join(p('json6902'), 'kustomization.yaml')] },
    { name: 'relative to cwd', cwd: t, args: ['build', 'strategic-merge'] },
  ];
  writeFiles(p('bad-resources-yaml'), { 'resources.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [\n' });
  writeFiles(p('missing-resource'), { 'kustomization.yaml': 'resources: [gone.yaml]\n' });
  cases.push({ name: 'missing resource file', cwd: t, args: ['build', p('missing-resource')] });
  return cases;
}

const shuffled = <T>(xs: T[]): T[] => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

describe('kiln-render-worker-kustomize answers as the kustomize CLI does', () => {
  const cases = corpus();
  const want = new Map(cases.map((c) => [c, cli(c)]));

  it('is built by the setup, links the pinned kustomize, and the corpus covers what it must', async () => {
    expect(binary, 'scripts/setup.sh builds kiln-render-worker-kustomize into the tools dir').toBeDefined();
    const pinned = /^kustomize\|[^|]+\|[^|]+\|(v[\d.]+)$/m.exec(readFileSync(path.join(projectRoot, 'scripts/pinned-tools.txt'), 'utf8'))?.[1];
    const workers = new RenderWorkers(binary!, 1, new AbortController().signal);
    expect((await workers.hello())?.kustomize).toBe(pinned);
    await workers.close();
    // both outcomes, stderr on success (a deprecation warning), the leak case really differs
    const answers = [...want.values()];
    expect(answers.filter((a) => a.exitCode !== 0).length).toBeGreaterThanOrEqual(8);
    expect(answers.filter((a) => a.exitCode === 0).length).toBeGreaterThanOrEqual(12);
    expect(answers.find((a) => a.exitCode === 0 && a.stderr.includes('deprecated'))).toBeDefined();
    const by = (n: string) => want.get(cases.find((c) => c.name === n)!)!;
    expect(by('openapi-custom-schema').stdout).toContain('size: "2"');
    expect(by('openapi-none').stdout).not.toContain('size: "2"');
  });

  it('selects the versions of the kustomize CLI\'s go.mod and links the very modules the pinned CLI links', () => {
    const go = (args: string[], cwd: string) => spawnSync('go', args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' } });
    const src = path.join(projectRoot, 'tools/render-worker-kustomize');
    const selected = new Map(go(['list', '-m', 'all'], src).stdout.trim().split('\n').slice(1).map((l) => l.split(' ') as [string, string]));
    const upstream = JSON.parse(go(['mod', 'download', '-json', `sigs.k8s.io/kustomize/kustomize/v5@${kustomize.version}`], src).stdout) as { GoMod: string };
    const required = [...readFileSync(upstream.GoMod, 'utf8').matchAll(/^\s+(\S+) (v\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(required.length).toBeGreaterThan(20);
    for (const [mod, version] of required) expect(selected.get(mod), mod).toBe(version);
    // the one replace is kiln's own code (tools/worker-values), not an upstream module
    expect(readFileSync(path.join(src, 'go.mod'), 'utf8').match(/^replace.*$/gm)).toEqual(['replace kiln.local/worker-values => ../worker-values']);
    // and what the two binaries link: every module of the worker's at the CLI's version
    const deps = (file: string) => new Map([...go(['version', '-m', file], projectRoot).stdout.matchAll(/^\tdep\t(\S+)\t(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const cliDeps = deps(kustomize.path);
    const workerDeps = deps(binary!);
    expect(workerDeps.size).toBeGreaterThan(20);
    expect(workerDeps.get('go.yaml.in/yaml/v2')).toBeDefined(); // tools/worker-values reads with it, at the CLI's version
    for (const [mod, version] of workerDeps) if (mod !== 'sigs.k8s.io/kustomize/kustomize/v5' && mod !== 'kiln.local/worker-values') expect(cliDeps.get(mod), mod).toBe(version);
  });

  it('byte for byte: exit code, stdout and stderr over the corpus, shuffled, twice over, through a pool of 2', async () => {
    const workers = new RenderWorkers(binary!, 2, new AbortController().signal);
    const order = [...shuffled(cases), ...shuffled(cases)];
    const answers = await Promise.all(order.map((c) => workers.request({ engine: 'kustomize', cwd: c.cwd, args: c.args }, 60_000)));
    order.forEach((c, i) => expect(answers[i], c.name).toEqual(want.get(c)));
    // a custom schema, then builds without one, on one worker: nothing of the schema stays
    const one = new RenderWorkers(binary!, 1, new AbortController().signal);
    const seq = ['openapi-custom-schema', 'openapi-none', 'openapi-unknown-version', 'openapi-custom-schema', 'openapi-none', 'strategic-merge'].map((n) => cases.find((c) => c.name === n)!);
    for (const c of seq) expect(await one.request({ engine: 'kustomize', cwd: c.cwd, args: c.args }, 60_000), c.name).toEqual(want.get(c));
    await Promise.all([workers.close(), one.close()]);
  });

  it('serves only `build DIR`: anything else is left to the CLI', async () => {
    const workers = new RenderWorkers(binary!, 1, new AbortController().signal);
    const dir = cases.find((c) => c.name === 'strategic-merge')!.args[1]!;
    for (const args of [['version'], ['build', '--help'], ['build', dir, '-o', '/tmp/x'], ['build'], ['edit', 'add', 'resource', 'x']]) {
      expect(await workers.request({ engine: 'kustomize', cwd: projectRoot, args }, 60_000), args.join(' ')).toBeUndefined();
    }
    expect(await workers.request({ engine: 'helm', cwd: projectRoot, args: ['build', dir] }, 60_000)).toBeUndefined();
    // and still serves after those
    expect((await workers.request({ engine: 'kustomize', cwd: projectRoot, args: ['build', dir] }, 60_000))?.exitCode).toBe(0);
    await workers.close();
  });
});




const failure = (p: Promise<unknown>) => p.then(() => new Error('succeeded'), (e: Error) => e);

describe('kustomize renders and patch builds with workers', () => {
  const root = tempDir('kiln-kw-fleet-');
  writeFiles(root, {
    'app/kustomization.yaml': 'resources: [cm.yaml]\n',
    'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\ndata: { a: "1" }\n',
    'broken/kustomization.yaml': 'resources: [gone.yaml]\n',
    // a worker that says hello as the pinned one does, then dies on its first request
    'crash-worker': `#!/bin/sh\necho '{"hello":"kiln-render-worker","kustomize":"${kustomize.version}"}'\nread line\nexit 2\n`,
    // one that never answers: the render times out as the CLI would
    'hung-worker': `#!/bin/sh\necho '{"hello":"kiln-render-worker","kustomize":"${kustomize.version}"}'\nexec sleep 60\n`,
    // one linking another kustomize: never asked
    'other-worker': `#!/bin/sh\necho '{"hello":"kiln-render-worker","kustomize":"v5.0.0"}'\nwhile read line; do touch "${root}/other-was-asked"; done\n`,
  });
  for (const f of ['crash-worker', 'hung-worker', 'other-worker']) chmodSync(path.join(root, f), 0o755);
  const component = (p: string) => ({ name: 'c', engine: 'kustomize' as const, spec: { path: p } });

  it('renders and fails exactly as the CLI, counted as `kustomize (worker)` runs', async () => {
    const started: string[] = [];
    const exec = new ExecScope(undefined, { started: (command) => (started.push(path.basename(command)), () => undefined) });
    const workers = workerSet(KUSTOMIZE_WORKER, binary!, 2, exec.signal);
    const on = await ctxFor(root, scope(workers, exec));
    const off = await ctxFor(root, scope(undefined));
    expect(await renderComponent(component('app'), on)).toEqual(await renderComponent(component('app'), off));
    const [e1, e2] = [await failure(renderComponent(component('broken'), off)), await failure(renderComponent(component('broken'), on))];
    expect(e2.message).toBe(e1.message);
    expect(e2.message).toMatch(/accumulating resources/);
    expect((e2.cause as ExecError).message).toBe((e1.cause as ExecError).message);
    expect(started).toEqual(['kustomize (worker)', 'kustomize (worker)']);
    await workers.close();
  });

  it('patch builds: the same objects and the same error naming the patch, with and without workers', async () => {
    const t = tempDir();
    const exec = new ExecScope();
    const workers = workerSet(KUSTOMIZE_WORKER, binary!, 2, exec.signal);
    const base = { kustomize, tmpDir: t, timeoutMs: 60_000, what: 'profile "p" on cluster "c"' };
    const on = { ...base, session: scope(workers, exec) };
    const off = { ...base, session: scope(undefined) };
    const patches: PatchSpec[] = [{ patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'web' }, spec: { replicas: 3 } } }];
    expect(await applyPatches([deployment, job], patches, on)).toEqual(await applyPatches([deployment, job], patches, off));
    const bad: PatchSpec[] = [{ patch: '- op: remove\n  path: /spec/nothing\n', target: { kind: 'Deployment', name: 'web' }, source: { file: 'profiles/p.yaml', line: 3 } } as PatchSpec];
    const [e1, e2] = [await failure(applyPatches([deployment], bad, off)), await failure(applyPatches([deployment], bad, on))];
    expect(e2.message).toBe(e1.message);
    expect(e2.message).toMatch(/^patches for profile "p" on cluster "c" failed: kustomize: /);
    await workers.close();
  });

  it('warmRenderers starts the very worker patch builds and renders then use', async () => {
    const exec = new ExecScope();
    const workers = workerSet(KUSTOMIZE_WORKER, binary!, 1, exec.signal);
    const session = scope(workers, exec);
    const ctx = await ctxFor(root, session);
    warmRenderers({ tools: { kustomize }, cacheDir: ctx.cacheDir, session });
    await vi.waitFor(() => expect(workers.pids()).toHaveLength(1), { timeout: 10_000 });
    const warm = workers.pids();
    await applyPatches([deployment], [{ patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'web' }, spec: { replicas: 4 } } }], { kustomize, tmpDir: tempDir(), timeoutMs: 60_000, what: 'p', session });
    await renderComponent(component('app'), { ...ctx, tools: { ...ctx.tools, kustomize } });
    expect(workers.pids()).toEqual(warm);
    await workers.close();
  });

  it('falls back to the CLI when the worker crashes or links another kustomize', async () => {
    for (const fake of ['crash-worker', 'other-worker']) {
      const workers = workerSet(KUSTOMIZE_WORKER, path.join(root, fake), 1, new AbortController().signal);
      const out = await renderComponent(component('app'), await ctxFor(root, scope(workers)));
      expect(out.objects[0]!.metadata!.name, fake).toBe('cm');
      await workers.close();
    }
    expect(statSync(path.join(root, 'other-was-asked'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a worker that hangs: the render times out as the CLI would (three times over)', async () => {
    for (let i = 0; i < 3; i++) {
      const workers = workerSet(KUSTOMIZE_WORKER, path.join(root, 'hung-worker'), 1, new AbortController().signal);
      const ctx = await ctxFor(root, scope(workers), 300);
      const e = await failure(renderComponent(component('app'), ctx));
      expect(e.message).toBe(`profile "p", component "c", cluster "${ctx.cluster.name}": kustomize build timed out after 0.3s`);
      expect((e.cause as ExecError).timedOut).toBe(true);
      await workers.close();
    }
  });

  it('an abort cancels the renders and leaves no worker process (many times, two at once)', async () => {
    for (let i = 0; i < 4; i++) {
      const exec = new ExecScope();
      const workers = workerSet(KUSTOMIZE_WORKER, path.join(root, 'hung-worker'), 2, exec.signal);
      const real = new RenderWorkerSet({ size: 2, signal: exec.signal, locate: () => binary });
      const ctx = await ctxFor(root, scope(workers, exec));
      const runs = [0, 1].map(() => renderComponent(component('app'), ctx).then(() => 'done', (e: unknown) => e));
      await Promise.all([workers.pool(KUSTOMIZE_WORKER)!.hello(), real.pool(KUSTOMIZE_WORKER)!.hello()]);
      await new Promise((r) => setTimeout(r, 50 + 30 * i));
      const pids = [...workers.pids(), ...real.pids()];
      exec.abort(new Error('first failure'));
      for (const r of await Promise.all(runs)) expect(r).toBeInstanceOf(CancelledError);
      await Promise.all([exec.close(), workers.close(), real.close()]);
      expect(pids.length).toBeGreaterThanOrEqual(3);
      for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false);
    }
  });
});


describe('kiln render: KILN_RENDER_WORKER=off runs the kustomize CLI', () => {
  it('the same tree; with workers no kustomize process, without them no worker run', async () => {
    const bench = tempDir('kiln-kw-fleet-');
    writeBenchFleet(bench, 12);
    const saved = { ...process.env };
    try {
      process.env.KILN_RENDER_CACHE = 'off';
      process.env.KILN_CACHE_DIR = tempDir();
      const outOn = tempDir();
      const on = await kiln('render', '--cwd', bench, '--out', outOn);
      process.env.KILN_RENDER_WORKER = 'off';
      const outOff = tempDir();
      const off = await kiln('render', '--cwd', bench, '--out', outOff);
      expect(on.code, on.stderr).toBe(0);
      expect(off.code, off.stderr).toBe(0);
      expect(readTree(outOn)).toEqual(readTree(outOff));
      const tools = (s: string) => /\ntool processes: (.+)\n/.exec(s)?.[1] ?? '';
      const runs = (s: string, tool: string) => Number(new RegExp(`(?:^|, )${tool.replace(/[()]/g, '\\$&')} (\\d+) run`).exec(tools(s))?.[1] ?? 0);
      // component renders and patch builds: every one through the worker, or every one as the CLI
      expect(runs(on.stderr, 'kustomize (worker)')).toBeGreaterThanOrEqual(4);
      expect(runs(on.stderr, 'kustomize')).toBe(0);
      expect(runs(off.stderr, 'kustomize')).toBe(runs(on.stderr, 'kustomize (worker)'));
      expect(tools(off.stderr)).not.toContain('(worker)');
    } finally {
      process.env = saved;
    }
  });
});
