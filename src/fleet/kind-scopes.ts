/**
 * Whether a kind is cluster-scoped, for the objects that need to know (a namespaced object without a
 * namespace gets the component's). In order: a CRD rendered for the cluster itself, kiln.yaml's
 * `spec.kindScopes`, kiln's table of Kubernetes' own kinds and well-known add-ons, then the CRDs the
 * fleet renders for any other cluster, whatever a command selects (so a `--cluster` or `--shard` run
 * writes what a whole-fleet run writes); a kind none of them knows is taken as namespaced, with a
 * warning naming the kind, the object and the declaration that settles it.
 *
 * The fleet-wide scan costs renders of other clusters' components, so it runs only when a cluster
 * meets a kind nothing else knows, once per run; identical inputs render once and come from the
 * persistent render cache on later runs. A declaration in `spec.kindScopes` avoids it altogether.
 */
import pLimit from 'p-limit';
import { KilnError, type SourcePos } from '../errors.js';
import type { K8sObject, Warning } from '../model.js';
import { describeObject } from '../manifests/keys.js';
import { builtinScope, declaredScope, groupKind, scopesFromCRDs } from '../manifests/namespaces.js';
import { inputHash } from '../render/input-hash.js';
import type { ToolSet } from '../render/renderer.js';
import { unpinnedInputs } from '../render/unpinned.js';
import { renderContextOf } from './cluster-memo.js';
import type { ClusterPlan } from './plan.js';
import { renderOnce } from './render-once.js';
import type { RenderSession } from './session.js';

/** One entry of `spec.kindScopes`; `kind: "*"` stands for every kind of the group. */
export interface KindScopeDecl {
  group: string;
  kind: string;
  scope: 'Cluster' | 'Namespaced';
  pos?: SourcePos;
}

/** A CRD some cluster of the fleet renders; `conflict`: another render says the other scope. */
export interface FleetCrd {
  cluster: boolean;
  from: string;
  conflict?: { cluster: boolean; from: string };
}

export type FleetCrds = Map<string, FleetCrd>;

/** `group/Kind` → cluster-scoped, with where it was declared. */
export function declaredMap(decls: readonly KindScopeDecl[]): Map<string, boolean> {
  return new Map(decls.map((d) => [`${d.group}/${d.kind}`, d.scope === 'Cluster']));
}

const scopeWord = (cluster: boolean) => (cluster ? 'Cluster' : 'Namespaced');

/** An object that lacks a namespace and would get `namespace` unless its kind is cluster-scoped. */
export interface ScopeNeed {
  object: K8sObject;
  namespace: string;
  /** `profile "p", component "c"`, for the warning. */
  who: string;
}

export interface ClusterScopes {
  clusterScoped(o: K8sObject): boolean;
  warnings: Warning[];
  /** Some answer came from other clusters' renders or was a guess: the result depends on more than this cluster's inputs. */
  external: boolean;
}

export async function clusterScopes(rendered: Iterable<K8sObject>, needs: readonly ScopeNeed[], env: RenderSession, cluster: string): Promise<ClusterScopes> {
  const local = scopesFromCRDs(rendered);
  const decls = env.kindScopes ?? [];
  const declared = declaredMap(decls);
  for (const [gk, cluster_] of local) {
    const d = declaredScope(gk, declared);
    if (d !== undefined && d !== cluster_) {
      const decl = decls.find((x) => `${x.group}/${x.kind}` === gk) ?? decls.find((x) => gk.startsWith(`${x.group}/`) && x.kind === '*');
      throw new KilnError(`spec.kindScopes declares ${gk} ${scopeWord(d)}, but the CRD rendered for cluster "${cluster}" says ${scopeWord(cluster_)}`, {
        pos: decl?.pos,
        hint: `the CRD is what the API server goes by: declare scope: ${scopeWord(cluster_)} or drop the entry`,
      });
    }
  }
  const known = new Map<string, boolean>();
  const lookup = (gk: string) => local.get(gk) ?? declaredScope(gk, declared) ?? builtinScope(gk);
  const unknown = new Set<string>();
  for (const n of needs) {
    const gk = groupKind(n.object);
    const s = lookup(gk);
    if (s === undefined) unknown.add(gk);
    else known.set(gk, s);
  }
  const warnings: Warning[] = [];
  let external = false;
  if (unknown.size && env.fleetCrds) {
    const fleet = await env.fleetCrds();
    for (const gk of unknown) {
      const f = fleet.get(gk);
      if (!f) continue;
      if (f.conflict) {
        throw new KilnError(`cluster "${cluster}" renders ${gk} objects, and the fleet's CRDs disagree on its scope: ${f.from} says ${scopeWord(f.cluster)}, ${f.conflict.from} says ${scopeWord(f.conflict.cluster)}`, {
          hint: `declare it in kiln.yaml: spec.kindScopes: [{group: "${gk.slice(0, gk.lastIndexOf('/'))}", kind: ${gk.slice(gk.lastIndexOf('/') + 1)}, scope: Cluster|Namespaced}]`,
        });
      }
      known.set(gk, f.cluster);
      unknown.delete(gk);
      external = true;
    }
  }
  const warned = new Set<string>();
  for (const n of needs) {
    const gk = groupKind(n.object);
    if (!unknown.has(gk) || warned.has(`${n.who}|${gk}`)) continue;
    warned.add(`${n.who}|${gk}`);
    external = true;
    const group = gk.slice(0, gk.lastIndexOf('/'));
    warnings.push({
      message:
        `${n.who}: ${describeObject(n.object)} has no namespace, and no CRD the fleet renders, no entry of kiln.yaml spec.kindScopes and no table of kiln's says whether ${gk} is namespaced; ` +
        `taken as namespaced (namespace "${n.namespace}"). Declare it: spec.kindScopes: [{group: ${JSON.stringify(group)}, kind: ${n.object.kind}, scope: Namespaced}] (or scope: Cluster)`,
    });
  }
  for (const gk of unknown) known.set(gk, false);
  return {
    clusterScoped: (o) => known.get(groupKind(o)) ?? lookup(groupKind(o)) ?? false,
    warnings,
    external,
  };
}

/**
 * The CRDs every component of the fleet renders, over every cluster (`plans` of the whole fleet), first
 * in cluster and profile order; a second CRD of the same kind with the other scope is kept as `conflict`.
 */
export async function scanFleetCrds(plans: readonly ClusterPlan[], env: RenderSession, tools: ToolSet): Promise<FleetCrds> {
  const limit = pLimit(16);
  const jobs = plans.flatMap((plan) =>
    plan.profiles.flatMap((p) =>
      p.components.map((c) =>
        limit(async () => {
          const ctx = { ...renderContextOf(plan, p.name, c, env), tools };
          const [hash, unpinned] = await Promise.all([inputHash(c, ctx), unpinnedInputs(c, ctx.root, env.memo)]);
          const out = await renderOnce(c, ctx, hash, env, unpinned.length === 0);
          return { from: `cluster "${plan.cluster.name}", profile "${p.name}", component "${c.name}"`, scopes: scopesFromCRDs(out.objects) };
        }),
      ),
    ),
  );
  const crds: FleetCrds = new Map();
  for (const { from, scopes } of await Promise.all(jobs)) {
    for (const [gk, cluster] of scopes) {
      const seen = crds.get(gk);
      if (!seen) crds.set(gk, { cluster, from });
      else if (seen.cluster !== cluster && !seen.conflict) seen.conflict = { cluster, from };
    }
  }
  return crds;
}
