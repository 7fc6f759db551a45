/** What render, publish and diff share: config → plan → tools → source info → a render environment. */
import path from 'node:path';
import { cacheDir, type GlobalOptions } from '../options.js';
import { KilnError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { configParseCache } from '../config/parse-cache.js';
import { sourceInfo, type SourceInfo } from '../git/source.js';
import type { FleetConfig, ToolName, Warning } from '../model.js';
import { findTools } from '../render/tools.js';
import { cacheMaxAgeDays } from '../util/cache-prune.js';
import { kilnVersion } from '../util/version.js';
import { missingKubeVersionWarnings } from './kube-version.js';
import { planFleet, type ClusterPlan, type Selection } from './plan.js';
import { openSession, type RenderSession } from './session.js';
import { scanFleetCrds, type FleetCrds } from './kind-scopes.js';

export interface Prepared {
  config: FleetConfig;
  plans: ClusterPlan[];
  /** The render session (session.ts). */
  env: RenderSession;
  warnings: Warning[];
  /** `env.close()`: waits for every tool to exit, then removes the scratch dir. Never throws. */
  cleanup(): Promise<void>;
}

/** The tools the selected plans need (each engine's own, kustomize for any patch) and who needs them. */
export function toolsNeeded(plans: ClusterPlan[]): Partial<Record<ToolName, string[]>> {
  const need: Partial<Record<ToolName, Set<string>>> = {};
  const add = (t: ToolName, who: string) => (need[t] ??= new Set()).add(who);
  for (const p of plans) {
    if (p.cluster.patches.length) add('kustomize', `cluster ${p.cluster.name} (patches)`);
    for (const prof of p.profiles) {
      if (prof.patches.length) add('kustomize', `profile ${prof.name} (patches)`);
      for (const c of prof.components) if (c.engine !== 'manifests') add(c.engine, `${prof.name}/${c.name}`);
    }
  }
  return Object.fromEntries(Object.entries(need).map(([t, s]) => [t, [...s].sort()]));
}

/**
 * `side`: which side of a diff (or which commit) this prepares, named in its progress stages;
 * `lenient`: a commit valid when published (session.ts); a profile selecting no cluster warns too.
 * `onConfig`: told the config as soon as it loaded, before the clusters are planned (work that needs
 * only the config starts then). `snapshot`: `g` points into this commit's snapshot (git/snapshot.ts),
 * so cluster keys can be remembered for it (cluster-keys.ts).
 */
export async function prepareRender(g: GlobalOptions, sel: Selection, source?: Partial<SourceInfo>, opts: { lenient?: boolean; side?: string; onConfig?: (config: FleetConfig) => void; snapshot?: { commit: string; tree: string } } = {}): Promise<Prepared> {
  const stage = g.progress?.stage(opts.side ? `plan ${opts.side}` : 'plan');
  // renders and post-patches persist across runs, keyed by their whole input (KILN_RENDER_CACHE=off: per run only)
  const persist = !/^(off|0|false|no)$/i.test(process.env.KILN_RENDER_CACHE ?? '');
  // so do the parsed config files (a re-publish of a large fleet otherwise spends most of its time parsing them)
  const parseCache = persist ? configParseCache() : undefined;
  const { config, warnings } = await loadConfig({ cwd: g.cwd, config: g.config, emptyProfilesWarn: opts.lenient, parseCache });
  if (parseCache) g.logger.debug(`config: ${parseCache.stats.cached} file(s) from the parse cache, ${parseCache.stats.parsed} parsed`);
  opts.onConfig?.(config);
  const plans = planFleet(config, sel);
  warnings.push(...missingKubeVersionWarnings(plans));
  const need = toolsNeeded(plans);
  const [tools, sourceOf] = await Promise.all([findTools(Object.keys(need).sort() as ToolName[], config.tools, process.env, need), sourceInfo(config.root, source)]);
  // settings are checked before anything is created that would need cleaning up
  const timeoutMs = toolTimeout(process.env.KILN_TOOL_TIMEOUT_MS);
  const maxAgeDays = cacheMaxAgeDays(process.env.KILN_CACHE_MAX_AGE_DAYS);
  const env = await openSession({
    root: config.root,
    tools,
    source: sourceOf,
    kilnVersion: kilnVersion(),
    cacheDir: cacheDir(),
    timeoutMs,
    concurrency: g.concurrency,
    persist,
    maxAgeDays,
    signal: g.signal,
    appliedBy: config.output.appliedBy,
    kindScopes: config.kindScopes,
    progress: g.progress,
    lenient: opts.lenient,
    ...(opts.snapshot ? { pinned: { commit: opts.snapshot.commit, root: path.relative(opts.snapshot.tree, config.root), config: path.relative(opts.snapshot.tree, config.file) } } : {}),
    // the patch judge's view of the whole fleet: planned only when a patch matched nothing in the selection
    otherPlans: (profiles) => {
      const selected = new Set(plans.map((p) => p.cluster.name));
      return planFleet(config, {}).filter((p) => !selected.has(p.cluster.name) && p.profiles.some((x) => profiles.has(x.name)));
    },
    debug: (m) => g.logger.debug(m),
  });
  env.fleetCrds = fleetCrdScan(config, env);
  stage?.end(`${plans.length} cluster(s), tools ${Object.keys(need).sort().join(', ') || 'none'}`);
  return { config, plans, env, warnings, cleanup: () => env.close() };
}

/**
 * The whole fleet's CRDs, whatever this run selected, scanned on the first ask (kind-scopes.ts). The
 * tools other clusters need are looked up then; a failure names what the scan was for.
 */
function fleetCrdScan(config: FleetConfig, env: RenderSession): () => Promise<FleetCrds> {
  let scan: Promise<FleetCrds> | undefined;
  return () =>
    (scan ??= (async () => {
      try {
        const all = planFleet(config);
        const need = toolsNeeded(all);
        const missing = (Object.keys(need) as ToolName[]).filter((t) => !env.tools[t]).sort();
        const extra = missing.length ? await findTools(missing, config.tools, process.env, Object.fromEntries(missing.map((t) => [t, need[t]!]))) : {};
        return await scanFleetCrds(all, env, { ...env.tools, ...extra });
      } catch (e) {
        if (!(e instanceof KilnError) || e.exitCode !== 1) throw e;
        throw new KilnError(`reading the scope of custom kinds from the CRDs the whole fleet renders: ${e.oneLine()}`, {
          hint: 'fix that, or declare the kinds in kiln.yaml spec.kindScopes ([{group, kind, scope: Cluster|Namespaced}]) so no other cluster needs rendering',
          cause: e,
        });
      }
    })());
}

/** KILN_TOOL_TIMEOUT_MS: a positive whole number of milliseconds, default 5 minutes. */
export function toolTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 300_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new KilnError(`KILN_TOOL_TIMEOUT_MS="${raw}" is not a positive number of milliseconds`, { hint: 'e.g. KILN_TOOL_TIMEOUT_MS=600000 for 10 minutes' });
  }
  return n;
}
