/**
 * Whole-cluster skip for publish: a cluster's key covers everything its deployed files depend on
 * (kiln's code, the tool versions, the templated plan, every component's input hash — which covers
 * the bytes of every file it reads), and the memo maps it to the content id the render produced
 * (packed in `<cache>/clusters/`, util/entry-pack.ts). When the branch's head already has that content, the cluster is
 * neither rendered nor fetched: a no-change publish of a large fleet only hashes its inputs.
 *
 * The memo holds ids and warning texts only, never rendered content, so nothing a render saw (a
 * Secret's data) reaches the disk through it. A missing, corrupt or foreign entry is a miss.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { Applier, Component, PatchSpec, Warning } from '../model.js';
import { stableJson } from '../render/common.js';
import { entryPack } from '../util/entry-pack.js';
import { inputHash } from '../render/input-hash.js';
import { unpinnedInputs } from '../render/unpinned.js';
import type { RenderContext, ToolSet } from '../render/renderer.js';
import type { RunMemo } from '../util/run-memo.js';
import { groupByBranch } from './branches.js';
import type { KindScopeDecl } from './kind-scopes.js';
import type { ClusterPlan } from './plan.js';
import { kilnCodeDigest } from './render-cache.js';
import type { RenderEnv } from './render-cluster.js';

/** Bumped when what a cluster's files depend on changes shape. */
const CLUSTER_LOGIC = 'kiln-cluster/1';

export interface ClusterMemoEntry {
  /** Content id of the cluster's tree (objects/objects.ts `contentId`). */
  content: string;
  /** The render's warnings, replayed when the render is skipped. */
  warnings: Warning[];
}

export interface ClusterMemo {
  get(key: string): Promise<ClusterMemoEntry | undefined>;
  put(key: string, entry: ClusterMemoEntry): Promise<void>;
  /** Keep what this run learnt for the next (entry-pack.ts); never throws. */
  flush(): void;
}

export function renderContextOf(plan: ClusterPlan, profile: string, c: Component, env: RenderEnv): RenderContext {
  return { root: env.root, cluster: plan.cluster, profile, component: c.name, tools: env.tools, cacheDir: env.cacheDir, tmpDir: env.tmpDir, timeoutMs: env.timeoutMs, session: env };
}

/** Input hashes of every component, `profile/component` → hash, in plan order. */
export async function componentHashes(plan: ClusterPlan, env: RenderEnv): Promise<Map<string, string>> {
  const jobs = plan.profiles.flatMap((p) => p.components.map(async (c) => [`${p.name}/${c.name}`, await inputHash(c, renderContextOf(plan, p.name, c, env))] as const));
  return new Map(await Promise.all(jobs));
}

const patchesOf = (ps: PatchSpec[]) => ps.map((p) => ({ target: p.target ?? null, patch: p.patch, optional: p.optional === true }));

/** What every cluster key covers besides the cluster's plan and inputs: kiln's build and the tool versions. */
export function buildOf(env: { kilnVersion: string; tools: ToolSet }): { kiln: string; tools: Record<string, string | null> } {
  return { kiln: `${env.kilnVersion}+${kilnCodeDigest()}`, tools: Object.fromEntries(Object.entries(env.tools).map(([n, t]) => [n, t?.version ?? null])) };
}

/** The cluster's key: over-inclusion costs a render, omission would publish stale files, so it errs wide. */
export function clusterKey(plan: ClusterPlan, hashes: Map<string, string>, env: { kilnVersion: string; tools: ToolSet; appliedBy?: Applier; kindScopes?: KindScopeDecl[] }): string {
  const { cluster } = plan;
  const material = {
    logic: CLUSTER_LOGIC,
    ...buildOf(env),
    cluster: { name: cluster.name, environment: cluster.environment, labels: cluster.labels, kubeVersion: cluster.kubeVersion ?? null, apiVersions: cluster.apiVersions, vars: cluster.vars, patches: patchesOf(cluster.patches) },
    branch: plan.branch,
    outputPath: plan.outputPath,
    // decides which hooks and generateName objects a branch keeps (manifests/hooks.ts)
    appliedBy: env.appliedBy ?? 'flux',
    // the scope of custom kinds decides which objects get a namespace (kind-scopes.ts)
    kindScopes: (env.kindScopes ?? []).map((k) => ({ group: k.group, kind: k.kind, scope: k.scope })),
    profiles: plan.profiles.map((p) => ({
      name: p.name,
      tier: p.tier,
      namespace: p.namespace ?? null,
      allowSecrets: p.allowSecrets === true,
      createNamespaces: p.createNamespaces === true,
      patches: patchesOf(p.patches),
      components: p.components.map((c) => ({ name: c.name, engine: c.engine, hash: hashes.get(`${p.name}/${c.name}`) ?? null })),
    })),
  };
  return createHash('sha256').update(stableJson(material)).digest('hex');
}

/** The cluster's key, computed once per plan in a run: publish asks for it before the render (to skip) and after it (to remember). */
export function clusterKeyOnce(plan: ClusterPlan, hashes: Map<string, string>, env: Parameters<typeof clusterKey>[2] & { memo: RunMemo }): string {
  const memo = env.memo.weak<ClusterPlan, string>('cluster-keys');
  let key = memo.get(plan);
  if (key === undefined) memo.set(plan, (key = clusterKey(plan, hashes, env)));
  return key;
}

export function diskClusterMemo(dir: string, maxAgeDays: number, now?: () => number): ClusterMemo {
  const pack = entryPack(dir, 'clusters', { maxAgeDays, now });
  return {
    async get(key) {
      const e = pack.get(key) as Partial<ClusterMemoEntry> | undefined;
      if (!e || typeof e.content !== 'string' || !/^[0-9a-f]{40}$/.test(e.content) || !Array.isArray(e.warnings)) return undefined;
      return { content: e.content, warnings: e.warnings.filter((w) => typeof w?.message === 'string') };
    },
    async put(key, entry) {
      pack.put(key, { content: entry.content, warnings: entry.warnings.map((w) => ({ message: w.message })) });
    },
    flush: () => pack.flush(),
  };
}

/** A single-cluster branch's remembered render: what its cluster's key maps to in the memo. */
export type Remembered = Map<string, ClusterMemoEntry>;

/**
 * The remembered render of every branch of one cluster (shared branches always render): keys hashed
 * and memo entries read. Needs nothing from the remote, so publish starts it before asking git for
 * the remote's heads and the two overlap; `unchangedBranches` then only compares. `onMiss`: called
 * once, at the first branch that has none (it renders for sure: publish starts the tools then).
 */
export async function rememberedRenders(plans: ClusterPlan[], env: RenderEnv, onMiss?: () => void): Promise<Remembered> {
  const memo = env.clusterMemo;
  const out: Remembered = new Map();
  if (!memo) return out;
  // a branch with no remembered render renders, whatever the remote holds: said once, at the first
  let missed = false;
  const miss = () => {
    if (!missed) (missed = true), onMiss?.();
    return undefined;
  };
  const limit = pLimit(32);
  const found = await Promise.all(
    [...groupByBranch(plans)].map(([branch, group]) =>
      limit(async () => {
        const plan = group[0]!;
        if (group.length !== 1) return miss();
        const known = env.clusterKeys?.get(plan.cluster.name);
        if (known) env.progress.cacheHit('cluster keys (an earlier run of this commit)');
        const key = known ?? (await computedKey(plan, env));
        if (key === undefined) return miss();
        const entry = await memo.get(key);
        return entry ? ([branch, entry] as const) : miss();
      }),
    ),
  );
  // in plan order (the order the remembered warnings are replayed in), whatever order the reads finished in
  for (const f of found) if (f) out.set(f[0], f[1]);
  return out;
}

/** The cluster's key from its inputs (learnt for the commit's next run); undefined when it reads unpinned inputs. */
async function computedKey(plan: ClusterPlan, env: RenderEnv): Promise<string | undefined> {
  // a cluster reading unpinned inputs from outside the repo may render differently now
  for (const c of plan.profiles.flatMap((p) => p.components)) if ((await unpinnedInputs(c, env.root, env.memo)).length) return undefined;
  const key = clusterKeyOnce(plan, await componentHashes(plan, env), env);
  env.clusterKeys?.learn(plan.cluster.name, key);
  return key;
}

/** Whether the cache holds any remembered render at all (a cold cache: nothing worth hashing for ahead of the remote's heads). */
export function hasRememberedRenders(cacheDir: string): boolean {
  return existsSync(path.join(cacheDir, 'clusters'));
}

/**
 * Branches of one cluster each whose remembered render has the content the branch holds now
 * (`known`: branch → content id), with the warnings those renders gave. Shared branches always render.
 * `remembered`: rememberedRenders of these plans, when the caller started it earlier.
 */
export async function unchangedBranches(plans: ClusterPlan[], env: RenderEnv, known: Map<string, string>, remembered?: Promise<Remembered>): Promise<{ branches: Set<string>; warnings: Warning[] }> {
  const branches = new Set<string>();
  const warnings: Warning[] = [];
  if (!env.clusterMemo) return { branches, warnings };
  const entries = await (remembered ?? rememberedRenders(plans.filter((p) => known.has(p.branch)), env));
  for (const [branch, entry] of entries) {
    if (entry.content !== known.get(branch)) continue;
    env.progress.cacheHit('clusters unchanged (remembered renders)');
    branches.add(branch);
    warnings.push(...entry.warnings);
  }
  return { branches, warnings };
}
