/**
 * Helm: `helm template` per cluster with that cluster's Capabilities. Remote charts are pulled once
 * into a content-addressed cache; Helm never sees the user's own repositories, plugins or config.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import semverValid from 'semver/functions/valid.js';
import { KilnError } from '../errors.js';
import { HELM_WORKER } from '../exec/render-worker.js';
import { isTestHook } from '../manifests/hooks.js';
import { manifestsOf } from '../manifests/parse.js';
import type { HelmSpec } from '../model.js';
import { resolveInRoot } from '../util/paths.js';
import { confineTree, existing, runTool, runToolOrWorker, shown, statOrNull, toolFrom, warmStandIn, withScratch, writeInlineValues } from './common.js';
import { chartTemplates, findNondeterministic, nondeterminismWarnings, objectsBySource, type Nondeterministic } from './nondeterminism.js';
import type { RenderContext, RenderOutput, Renderer, Tool } from './renderer.js';
import { toolSays } from './tools.js';

export type ChartSource =
  | { kind: 'local'; rel: string }
  | { kind: 'remote'; key: string; pullArgs: string[]; shownArgs: string[] };

/** Helm's homes under kiln's cache: no repositories, plugins or registry logins of the user leak in. */
export function helmEnv(cacheDir: string): Record<string, string> {
  const home = path.join(cacheDir, 'helm');
  return {
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
}
// Registry credentials are opt-in: point HELM_REGISTRY_CONFIG at a `helm registry login` file.
const HELM_ALLOW_ENV = ['HELM_REGISTRY_CONFIG'];

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export function chartKey(repo: string, chart: string, version: string): string {
  return createHash('sha256').update(`${repo}|${chart}|${version}`).digest('hex');
}

export function chartSource(spec: HelmSpec): ChartSource {
  const repo = spec.repo?.trim();
  const oci = spec.chart.startsWith('oci://') || Boolean(repo?.startsWith('oci://'));
  if (!repo && !oci) return { kind: 'local', rel: spec.chart };
  const version = spec.version;
  if (!version || !semverValid(version)) {
    // A range or "latest" would make the cache (and the render) drift without any change in git.
    throw new KilnError(`remote chart "${spec.chart}" needs an exact version, got ${spec.version ? `"${spec.version}"` : 'none'}`, {
      hint: 'pin `version:` to a chart version such as 1.2.3',
    });
  }
  const key = chartKey(repo ?? '', spec.chart, version);
  if (oci) {
    const ref = spec.chart.startsWith('oci://') ? spec.chart : `${repo!.replace(/\/+$/, '')}/${spec.chart}`;
    const plain = spec.insecure ? ['--plain-http'] : [];
    return { kind: 'remote', key, pullArgs: [ref, '--version', version, ...plain], shownArgs: [withoutCredentials(ref), '--version', version, ...plain] };
  }
  return {
    kind: 'remote',
    key,
    pullArgs: [spec.chart, '--repo', repo!, '--version', version],
    shownArgs: [spec.chart, '--repo', withoutCredentials(repo!), '--version', version],
  };
}

async function findArchive(dir: string): Promise<string | null> {
  try {
    const tgz = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).sort();
    return tgz[0] ? path.join(dir, tgz[0]) : null;
  } catch {
    return null;
  }
}

/** The cached chart archive for a remote chart, pulling it first if no process has yet. */
export function cachedChart(src: Extract<ChartSource, { kind: 'remote' }>, ctx: RenderContext, helm: Tool): Promise<string> {
  const dir = path.join(ctx.cacheDir, 'charts', src.key);
  // only this run's in-flight pulls: a finished one is found on disk, like any other process would find it
  const pulls = ctx.session?.memo.map<string, Promise<string>>('helm:pulls') ?? new Map<string, Promise<string>>();
  let p = pulls.get(dir);
  if (!p) {
    p = pullInto(dir, src, ctx, helm).finally(() => pulls.delete(dir));
    pulls.set(dir, p);
  }
  return p;
}

async function pullInto(dir: string, src: Extract<ChartSource, { kind: 'remote' }>, ctx: RenderContext, helm: Tool): Promise<string> {
  const hit = await findArchive(dir);
  if (hit) return hit;
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  // Pull beside the final place (same filesystem), then publish with one rename: a reader sees
  // either no directory or a complete one, and a concurrent process's identical pull just loses.
  const tmp = await mkdtemp(path.join(parent, `.pull-${src.key.slice(0, 12)}-`));
  try {
    await runTool(ctx, helm.path, ['pull', ...src.pullArgs, '--destination', tmp], {
      cwd: tmp,
      env: helmEnv(ctx.cacheDir),
      allowEnv: HELM_ALLOW_ENV,
      timeoutMs: ctx.timeoutMs,
    });
    if (!(await findArchive(tmp))) throw new KilnError(`helm pull ${src.shownArgs.join(' ')} wrote no chart archive`);
    try {
      await rename(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
      if (!(await findArchive(dir))) {
        await rm(dir, { recursive: true, force: true }); // a broken leftover, not a winner
        await rename(tmp, dir);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const got = await findArchive(dir);
  if (!got) throw new KilnError(`chart cache ${dir} holds no chart archive`);
  return got;
}

// What charts see as .Capabilities.HelmVersion (the worker's hello says it in these very words)
const HELM_BUILD_ARGS = ['version', '--template', '{{.Version}} {{.GitCommit}} {{.GitTreeState}} {{.GoVersion}}'];

/**
 * Beyond the version (standInWorkers checks it), kiln-render-worker-helm must be built like this helm,
 * as a chart can read it: a Helm 4.x.y release binary has its own commit and Go version, kiln's `tools
 * install` build and the worker have none and the same Go.
 */
const builtLikeWorker = (helm: Tool) => async (hello: Record<string, string>) => {
  const build = await toolSays('helm', helm.path, HELM_BUILD_ARGS).catch(() => undefined);
  return build !== undefined && build === hello.helmBuild;
};

/** The worker that may stand in for this Helm 4, and the environment it and the CLI run with: one definition for the render and `warm`. */
const helmStandIn = (helm: Tool, cacheDir: string) => ({ binary: HELM_WORKER, engine: 'helm' as const, tool: helm, env: helmEnv(cacheDir), allowEnv: HELM_ALLOW_ENV, fits: builtLikeWorker(helm) });

/** The chart's non-deterministic templates, read once per chart per run. */
function nondeterministicTemplates(chart: string, ctx: RenderContext): Promise<Nondeterministic[]> {
  const memo = ctx.session?.memo.map<string, Promise<Nondeterministic[]>>('helm:nondeterministic') ?? new Map<string, Promise<Nondeterministic[]>>();
  let p = memo.get(chart);
  if (!p) {
    p = chartTemplates(chart).then(findNondeterministic);
    memo.set(chart, p);
  }
  return p;
}

export const helmRenderer: Renderer<HelmSpec> = {
  engine: 'helm',
  tool: 'helm',
  warm(ctx) {
    const helm = ctx.tools.helm;
    if (helm?.version.startsWith('v4.')) warmStandIn(ctx.session, helmStandIn(helm, ctx.cacheDir), true);
  },
  async render(spec, ctx): Promise<RenderOutput> {
    const helm = toolFrom(ctx, 'helm');
    const src = chartSource(spec);
    let chartArg: string;
    let chartShown: string[];
    if (src.kind === 'local') {
      // Vendored dependencies in charts/ are used as they are; missing ones surface as Helm's error.
      const chart = await existing(ctx.root, src.rel, 'chart');
      chartArg = chart.abs;
      if (chart.stats.isDirectory()) await confineTree(ctx.root, chartArg, `chart "${src.rel}"`);
      chartShown = [shown(ctx, chartArg)];
    } else {
      chartArg = await cachedChart(src, ctx, helm);
      chartShown = src.shownArgs;
    }

    const flags: string[] = ['--namespace', spec.namespace ?? 'default'];
    if (ctx.cluster.kubeVersion) flags.push('--kube-version', ctx.cluster.kubeVersion);
    for (const api of ctx.cluster.apiVersions) flags.push('--api-versions', api);
    if (spec.includeCRDs) flags.push('--include-crds');
    if (spec.skipTests) flags.push('--skip-tests');

    const values: string[] = [];
    const valuesShown: string[] = [];
    for (const vf of spec.valuesFiles) {
      const abs = resolveInRoot(ctx.root, vf.path);
      if (/[,"\r\n]/.test(abs)) {
        // helm reads -f as CSV: "a,/etc/x" would become two files, the second outside the repo
        throw new KilnError(`values file path ${JSON.stringify(shown(ctx, abs))} contains a comma, quote or line break, which helm would split into several paths`, { hint: 'rename the file or the directory holding it' });
      }
      if (!(await statOrNull(abs))) {
        if (vf.optional) continue;
        throw new KilnError(`values file "${vf.path}" not found in the fleet repo`, { hint: 'mark it `optional: true` if it may be absent' });
      }
      values.push('-f', abs);
      valuesShown.push('-f', shown(ctx, abs));
    }

    return withScratch(ctx, 'helm', async (dir) => {
      const file = await writeInlineValues(dir, 'values.json', spec.values);
      if (file) {
        values.push('-f', file);
        valuesShown.push('-f', '<inline-values>');
      }
      const args = ['template', spec.releaseName, chartArg, ...flags, ...values];
      // Helm 4 built as kiln-render-worker-helm links it renders in a worker (Helm's own template
      // command in-process); Helm 3, another version or build, or no worker: the CLI
      const standIn = helmStandIn(helm, ctx.cacheDir);
      // the worker also gives the output's documents as values (read as kiln reads the text), so Node
      // need not parse the YAML again
      const out = helm.version.startsWith('v4.') // no Helm 4 worker is started to learn that Helm 3 is not it
        ? await runToolOrWorker(ctx, { ...standIn, args, cwd: ctx.root, timeoutMs: ctx.timeoutMs, values: true })
        : await runTool(ctx, helm.path, args, { cwd: ctx.root, env: standIn.env, allowEnv: standIn.allowEnv, timeoutMs: ctx.timeoutMs });
      let objects = manifestsOf(out, { source: 'helm template output' });
      // Helm's --skip-tests drops these already; filtering again keeps the contract whatever helm build runs.
      if (spec.skipTests) objects = objects.filter((o) => !isTestHook(o));
      const found = await nondeterministicTemplates(chartArg, ctx);
      const warnings = found.length ? nondeterminismWarnings(spec.chart, found, objectsBySource(out.stdout)) : [];
      return { objects, command: ['helm', 'template', spec.releaseName, ...chartShown, ...flags, ...valuesShown], ...(warnings.length ? { warnings } : {}) };
    });
  },
};

