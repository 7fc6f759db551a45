/**
 * Render one cluster: every component of every profile, default namespaces, profile patches,
 * tiers, cluster patches, then the branch's file tree. Identical component inputs across clusters
 * are rendered once per process (a fleet of 1,000 clusters often has a few dozen distinct inputs).
 */
import { KilnError } from '../errors.js';
import { isCancelled } from '../exec/exec.js';
import type { Component, K8sObject, Warning } from '../model.js';
import type { SourceInfo } from '../git/source.js';
import { checkNoDuplicates, resolveTiers, type ProfileObjects } from '../manifests/assemble.js';
import { applyHookPolicy } from '../manifests/hooks.js';
import { addNamespaces } from '../manifests/create-namespaces.js';
import { defaultNamespace } from '../manifests/namespaces.js';
import { clusterScopes, type ScopeNeed } from './kind-scopes.js';
import { guardSecrets, maskValues, secretFree } from '../manifests/secrets.js';
import { validateObjects } from '../manifests/validate-objects.js';
import { buildTree, type ComponentProvenance, type ProfileResult } from '../manifests/tree.js';
import { applyPatches } from '../patch/apply.js';
import { inputHash } from '../render/input-hash.js';
import { unpinnedInputs } from '../render/unpinned.js';
import type { RenderContext, RenderOutput, ToolSet } from '../render/renderer.js';
import { contentId } from '../git/objects.js';
import { renderOnce } from './render-once.js';
import { clusterKeyOnce, renderContextOf, type ClusterMemo } from './cluster-memo.js';
import type { ClusterPlan } from './plan.js';
import type { RenderSession } from './session.js';

/** The render session (session.ts); the old name, kept for callers. */
export type RenderEnv = RenderSession;

export interface RenderedCluster {
  plan: ClusterPlan;
  files: Map<string, string>;
  /** Path → the object each object file was written from (buildTree's `writtenFrom`). */
  writtenFrom: Map<string, K8sObject>;
  objects: number;
  warnings: Warning[];
}

const PROFILE_ANNOTATION = 'kiln.dev/internal-profile';

/**
 * The failure a render of this run already gave for one of the cluster's components (`hashes`:
 * `profile/component` → input hash), first in plan order; undefined when there is none.
 */
export async function failedRender(plan: ClusterPlan, env: RenderEnv, hashes: Map<string, string>): Promise<KilnError | undefined> {
  const failed = env.memo.map<string, KilnError>('renders:failed');
  if (failed.size === 0) return undefined;
  for (const p of plan.profiles) {
    for (const c of p.components) {
      const hash = hashes.get(`${p.name}/${c.name}`);
      const e = hash === undefined ? undefined : failed.get(`${c.engine}:${hash}`);
      if (e) return e;
    }
  }
  return undefined;
}

export async function renderCluster(plan: ClusterPlan, env: RenderEnv): Promise<RenderedCluster> {
  const { cluster } = plan;
  env.exec.check(`cluster "${cluster.name}"`);
  const usedTools = new Set<string>();
  // Every component of every profile renders concurrently (they are independent); results and the
  // error reported (the first failing component in order) are the same as rendering one by one.
  const jobs = plan.profiles.map((profile) =>
    profile.components.map(async (c) => {
      const ctx = renderContextOf(plan, profile.name, c, env);
      const [hash, unpinned] = await Promise.all([inputHash(c, ctx), unpinnedInputs(c, ctx.root, env.memo)]);
      const out = await renderOnce(c, ctx, hash, env, unpinned.length === 0);
      return { c, out, hash, pinned: unpinned.length === 0 };
    }),
  );
  const settled = await Promise.all(jobs.map((js) => Promise.allSettled(js)));
  // a component cancelled because another failed is not the error: the first real failure in order is
  const failures = settled.flat().flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const failure = failures.find((e) => !isCancelled(e)) ?? failures[0];
  if (failure !== undefined) throw failure;
  const rendered: Array<{ profile: ClusterPlan['profiles'][number]; parts: Array<{ c: Component; out: RenderOutput; hash: string; pinned: boolean }> }> = [];
  plan.profiles.forEach((profile, i) => {
    const parts = [];
    for (const r of settled[i]!) {
      if (r.status === 'rejected') throw r.reason;
      if (r.value.c.engine !== 'manifests') usedTools.add(r.value.c.engine);
      parts.push(r.value);
    }
    rendered.push({ profile, parts });
  });

  // a lenient render (fleet/session.ts) reports what the newer rules refuse instead of failing
  const relaxed: Warning[] = [];
  const warn = env.lenient ? (message: string) => void relaxed.push({ message: `${message} (a rule newer than this commit: a warning here)` }) : undefined;
  // after the (shared, cached) render: one render serves fleets of either applier
  const kept = new Map<RenderOutput, K8sObject[]>();
  const needs: ScopeNeed[] = [];
  for (const { profile, parts } of rendered) {
    for (const { c, out } of parts) {
      const objects = applyHookPolicy(out.objects, { appliedBy: env.appliedBy ?? 'flux', helm: c.engine === 'helm', hooks: c.engine === 'helm' ? c.spec.hooks : undefined, who: `profile "${profile.name}", component "${c.name}", cluster "${cluster.name}"`, warn });
      kept.set(out, objects);
      const ns = targetNamespace(c, profile);
      if (ns) for (const o of objects) if (!o.metadata.namespace) needs.push({ object: o, namespace: ns, who: `profile "${profile.name}", component "${c.name}"` });
    }
  }
  const scopes = await clusterScopes(rendered.flatMap((r) => r.parts.flatMap((p) => p.out.objects)), needs, env, cluster.name);
  const kustomize = () => {
    const k = env.tools.kustomize;
    if (!k) throw new KilnError('patches need kustomize, which was not found', { hint: 'run `kiln tools install kustomize` or set KILN_KUSTOMIZE' });
    usedTools.add('kustomize');
    return k;
  };

  const outputs: ProfileObjects[] = [];
  const provenance = new Map<string, ComponentProvenance[]>();
  for (const { profile, parts } of rendered) {
    const what = `profile "${profile.name}" on cluster "${cluster.name}"`;
    let objects: K8sObject[] = [];
    const secrets = new Set<string>();
    for (const { c, out } of parts) {
      const origin = { profile: profile.name, component: c.name, cluster: cluster.name };
      const rendered = defaultNamespace(kept.get(out)!, targetNamespace(c, profile), scopes.clusterScoped, env.memo.weak('namespaced'));
      validateObjects(rendered, origin, env.memo.weak('valid-objects'));
      for (const v of guardSecrets(rendered, origin, profile.allowSecrets === true)) secrets.add(v);
      objects.push(...rendered);
    }
    checkNoDuplicates(objects, what);
    if (profile.patches.length) {
      objects = await applyPatches(objects, profile.patches, { kustomize: kustomize(), tmpDir: env.tmpDir, timeoutMs: env.timeoutMs, what, cacheDir: secretFree(objects) ? env.patchCacheDir : undefined, limit: env.toolLimit, session: env, warn, judge: (patch, error) => env.patchJudge.record(profile.name, cluster.name, patch, error) });
    }
    outputs.push({ profile: profile.name, tier: profile.tier, objects });
    provenance.set(profile.name, parts.map(({ c, out, hash }) => ({ name: c.name, engine: c.engine, command: maskValues(out.command, secrets), inputHash: hash })));
  }

  const { outputs: resolved, warnings } = resolveTiers(outputs, cluster.name);
  warnings.push(...scopes.warnings);
  for (const { profile, parts } of rendered) for (const { c, out } of parts) for (const w of out.warnings ?? []) warnings.push({ message: `profile "${profile.name}", component "${c.name}": ${w}` });
  // Namespaces are added once tiers settled who renders what, before cluster patches (which may label them)
  const owners = plan.profiles.filter((p) => p.createNamespaces).map((p) => ({ profile: p.name, targets: [...new Set(p.components.flatMap((c) => targetNamespace(c, p) ?? []))] }));
  let byProfile = addNamespaces(new Map(resolved.map((o) => [o.profile, o.objects])), owners, scopes.clusterScoped);
  if (cluster.patches.length) {
    byProfile = await applyClusterPatches(byProfile, plan, env, kustomize(), warn);
  }

  const profiles: ProfileResult[] = plan.profiles.map((p) => ({ name: p.name, components: provenance.get(p.name) ?? [], objects: byProfile.get(p.name) ?? [] }));
  const tools: Record<string, string> = {};
  for (const t of usedTools) {
    const tool = env.tools[t as keyof ToolSet];
    if (tool) tools[t] = tool.version;
  }
  const writtenFrom = new Map<string, K8sObject>();
  const files = buildTree({ cluster: cluster.name, environment: cluster.environment, outputPath: plan.outputPath, source: env.source, kilnVersion: env.kilnVersion, tools, profiles, provenance: plan.provenance, writtenFrom });
  // a kind's scope taken from other clusters' renders (or guessed) is not covered by this cluster's key
  if (env.clusterMemo && !scopes.external && rendered.every(({ parts }) => parts.every((p) => p.pinned))) {
    const hashes = new Map(rendered.flatMap(({ profile, parts }) => parts.map(({ c, hash }) => [`${profile.name}/${c.name}`, hash] as const)));
    const key = clusterKeyOnce(plan, hashes, env);
    env.clusterKeys?.learn(cluster.name, key);
    await env.clusterMemo.put(key, { content: contentId(files), warnings });
  }
  warnings.push(...relaxed);
  return { plan, files, writtenFrom, objects: profiles.reduce((n, p) => n + p.objects.length, 0), warnings };
}

/** Where a component's namespaced objects without a namespace go: the Helm release's, else the profile's. */
function targetNamespace(c: Component, profile: ClusterPlan['profiles'][number]): string | undefined {
  return c.engine === 'helm' ? (c.spec.namespace ?? 'default') : profile.namespace;
}

/** Cluster patches see everything the cluster gets; a marker annotation maps objects back to their profile. */
async function applyClusterPatches(byProfile: Map<string, K8sObject[]>, plan: ClusterPlan, env: RenderEnv, kustomize: NonNullable<ToolSet['kustomize']>, warn?: (message: string) => void): Promise<Map<string, K8sObject[]>> {
  const marked: K8sObject[] = [];
  // a marked copy no patch reached comes back as it went in: its original is taken back, unmarked and unchanged
  const originals = new Map<K8sObject, { profile: string; object: K8sObject }>();
  for (const [profile, objects] of byProfile) {
    for (const o of objects) {
      const copy = { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [PROFILE_ANNOTATION]: profile } } };
      originals.set(copy, { profile, object: o });
      marked.push(copy);
    }
  }
  const what = `cluster "${plan.cluster.name}" (cluster patches)`;
  const patched = await applyPatches(marked, plan.cluster.patches, { kustomize, tmpDir: env.tmpDir, timeoutMs: env.timeoutMs, what, cacheDir: secretFree(marked) ? env.patchCacheDir : undefined, limit: env.toolLimit, session: env, warn });
  const out = new Map<string, K8sObject[]>([...byProfile.keys()].map((k) => [k, []]));
  for (const o of patched) {
    const untouched = originals.get(o);
    if (untouched) {
      out.get(untouched.profile)!.push(untouched.object);
      continue;
    }
    const annotations = { ...(o.metadata.annotations ?? {}) };
    const profile = annotations[PROFILE_ANNOTATION];
    if (profile === undefined || !out.has(profile)) {
      throw new KilnError(`${what}: a patch removed kiln's bookkeeping annotation from ${o.kind} ${o.metadata.name}`, { hint: 'patch single annotations instead of replacing metadata.annotations' });
    }
    delete annotations[PROFILE_ANNOTATION];
    const metadata = { ...o.metadata };
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
    out.get(profile)!.push({ ...o, metadata });
  }
  return out;
}
