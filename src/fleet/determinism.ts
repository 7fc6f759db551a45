/**
 * `kiln check --determinism`: every component of every selected cluster rendered twice more, fresh
 * (no cache, no in-run sharing), and the objects or fields that differ between the two named — what
 * the template scan of render/nondeterminism.ts can only suspect. Identical inputs (the same input
 * hash) are rendered twice once per run, not once per cluster. Fields the profile lists in
 * `diffIgnore` are acknowledged and not reported.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Finding } from '../check/model.js';
import { applyIgnores, profileIgnores, type IgnoreRule } from '../diff/ignore.js';
import { keyOf } from '../manifests/keys.js';
import type { FleetConfig, K8sObject } from '../model.js';
import { renderComponent } from '../render/index.js';
import { inputHash } from '../render/input-hash.js';
import { renderContextOf } from './cluster-memo.js';
import type { ClusterPlan } from './plan.js';
import type { RenderSession } from './session.js';

/** Field paths are shown at most this many per object: the first few say enough. */
const MAX_PATHS = 10;

interface Difference {
  object: K8sObject;
  /** Field paths in `--ignore` syntax; empty: the object is in one render only. */
  paths: string[];
}

/** Findings per cluster name, in plan order. */
export async function determinismFindings(config: Pick<FleetConfig, 'profiles'>, plans: readonly ClusterPlan[], env: RenderSession): Promise<Map<string, Finding[]>> {
  const ignores = profileIgnores(config.profiles);
  const sources = new Map(config.profiles.map((p) => [p.name, p.doc.file]));
  const twice = new Map<string, Promise<Difference[]>>();
  const jobs = plans.flatMap((plan) =>
    plan.profiles.flatMap((profile) =>
      profile.components.map(async (c) => {
        const ctx = renderContextOf(plan, profile.name, c, env);
        const rules = ignores.get(profile.name) ?? [];
        // the same input with other ignore rules is another question
        const key = `${c.engine}:${await inputHash(c, ctx)}:${profile.name}`;
        let p = twice.get(key);
        if (!p) twice.set(key, (p = renderTwice(() => env.toolLimit(() => renderComponent(c, ctx)), rules)));
        return (await p).map((d): Finding => ({
          check: 'determinism',
          severity: 'error',
          cluster: plan.cluster.name,
          profile: profile.name,
          object: `${d.object.kind} ${String(d.object.metadata.name ?? d.object.metadata.generateName)}`,
          apiVersion: d.object.apiVersion,
          ...(d.paths.length ? { path: d.paths.join(', ') } : {}),
          ...(sources.get(profile.name) ? { source: sources.get(profile.name) } : {}),
          message:
            `component "${c.name}" renders ${d.paths.length ? 'these fields' : 'this object'} differently every time, so every publish changes it; ` +
            `set the value that pins it, or acknowledge the fields in the profile's diffIgnore (diffs leave them out, publish still writes them)`,
        }));
      }),
    ),
  );
  const out = new Map<string, Finding[]>(plans.map((p) => [p.cluster.name, []]));
  for (const f of (await Promise.all(jobs)).flat()) out.get(f.cluster)!.push(f);
  return out;
}

async function renderTwice(render: () => Promise<{ objects: K8sObject[] }>, rules: readonly IgnoreRule[]): Promise<Difference[]> {
  const [a, b] = await Promise.all([render(), render()]);
  const first = new Map(a.objects.map((o) => [keyOf(o), applyIgnores(o, rules)]));
  const second = new Map(b.objects.map((o) => [keyOf(o), applyIgnores(o, rules)]));
  const out: Difference[] = [];
  for (const [k, o] of first) {
    const other = second.get(k);
    if (!other) out.push({ object: o, paths: [] });
    else if (!isDeepStrictEqual(o, other)) out.push({ object: o, paths: fieldPaths(o, other, []).slice(0, MAX_PATHS) });
  }
  for (const [k, o] of second) if (!first.has(k)) out.push({ object: o, paths: [] });
  return out;
}

/** Paths where `a` and `b` differ, written as `kiln diff --ignore` patterns (`metadata.annotations[checksum/config]`). */
export function fieldPaths(a: unknown, b: unknown, at: Array<string | number>): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothMaps = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothMaps || (Array.isArray(a) && a.length !== (b as unknown[]).length)) return [pathText(at)];
  const keys = Array.isArray(a) ? a.map((_, i) => i) : [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
  return keys.flatMap((k) => fieldPaths((a as Record<string | number, unknown>)[k], (b as Record<string | number, unknown>)[k], [...at, k]));
}

function pathText(at: Array<string | number>): string {
  let s = '';
  for (const seg of at) {
    const t = String(seg);
    s += /^[A-Za-z0-9_-]+$/.test(t) ? (s ? `.${t}` : t) : `[${t}]`;
  }
  return s || '(the whole object)';
}
