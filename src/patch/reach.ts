/**
 * Which objects a profile's (or cluster's) patches may touch. Only those go through the kustomize
 * build; the others come out exactly as rendered (the same objects): a patch of one Deployment no
 * longer makes kustomize read, round-trip and write every other object of the profile, and a cluster
 * patch every object of the cluster.
 *
 * It errs wide: an object is left out only when no patch can select it, judged on the object as
 * rendered. An object no patch selects is never changed, so it is never selected by a later patch
 * either. Selection follows Kustomize: a target's group, version, kind, name and namespace are
 * anchored patterns (only plain ones, [A-Za-z0-9_.-], are judged here; any other may select anything),
 * label and annotation selectors in Kubernetes syntax (syntax kiln does not parse may select anything);
 * a strategic-merge patch without a target selects its own kind and name. Objects named by
 * generateName are always sent (kustomize sees them under a temporary name).
 */
import { parseK8sYaml } from '../manifests/parse.js';
import { usesGenerateName } from '../manifests/generate-name.js';
import { idOf } from '../manifests/keys.js';
import type { K8sObject, PatchSpec, PatchTarget } from '../model.js';
import { selectorMatches, targetSet } from './targets.js';

const PLAIN = /^[A-Za-z0-9_.-]+$/;

/** A Kustomize target pattern as a test of a value: always true when the pattern is not a plain one (RE2 and JS may read it apart). */
function patternTest(pattern: string | undefined): (value: string) => boolean {
  if (pattern === undefined || pattern === '' || !PLAIN.test(pattern)) return () => true;
  const re = new RegExp(`^(?:${pattern})$`);
  return (value) => re.test(value);
}

/** kiln's reading of a selector, on a map of strings; any other map (kustomize reads a label `1` as "1") may match. */
function selects(selector: string | undefined, map: unknown): boolean {
  if (map === undefined) return selectorMatches(selector, undefined);
  const strings = map !== null && typeof map === 'object' && !Array.isArray(map) && Object.values(map).every((v) => typeof v === 'string');
  return strings ? selectorMatches(selector, map as Record<string, string>) : true;
}

function targetTest(t: PatchTarget): (o: K8sObject) => boolean {
  const [group, version, kind, name, namespace] = [t.group, t.version, t.kind, t.name, t.namespace].map(patternTest) as Array<(v: string) => boolean>;
  return (o) => {
    const id = idOf(o);
    return (
      group!(id.group) &&
      version!(id.version) &&
      kind!(id.kind) &&
      name!(id.name) &&
      // an object without a namespace may be taken as in "default"
      (namespace!(id.namespace) || (id.namespace === '' && namespace!('default'))) &&
      selects(t.labelSelector, o.metadata.labels) &&
      selects(t.annotationSelector, o.metadata.annotations)
    );
  };
}

type Ids = Array<{ kind: string; name: string }> | undefined;

/**
 * The kind and name each document of an untargeted strategic-merge patch names; undefined when that
 * cannot be told. `known`: the run's answers for patch texts (clusters share their profile's texts).
 */
function patchedIds(patch: unknown, known?: Map<string, Ids>): Ids {
  if (typeof patch !== 'string') return idsOf([patch]);
  if (known?.has(patch)) return known.get(patch);
  let ids: Ids;
  try {
    ids = idsOf(parseK8sYaml(patch, { source: 'patch' }).filter((d) => d !== null));
  } catch {
    ids = undefined;
  }
  if (known && known.size >= 1000) known.clear();
  known?.set(patch, ids);
  return ids;
}

function idsOf(docs: unknown[]): Ids {
  const ids: Array<{ kind: string; name: string }> = [];
  for (const d of docs) {
    const doc = d as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc) || typeof doc.kind !== 'string' || typeof doc.metadata?.name !== 'string') return undefined;
    ids.push({ kind: doc.kind, name: doc.metadata.name });
  }
  return ids;
}

/** For each object, whether some patch may touch it; undefined when every object must go to kustomize. */
export function patchReach(objects: K8sObject[], patches: PatchSpec[], known?: Map<string, Ids>): boolean[] | undefined {
  const reach = objects.map((o) => usesGenerateName(o));
  for (const p of patches) {
    const t = p.target;
    if (targetSet(t)) {
      const selects = targetTest(t);
      objects.forEach((o, i) => {
        if (!reach[i] && selects(o)) reach[i] = true;
      });
      continue;
    }
    // no target: a strategic-merge patch names its object (a JSON 6902 one without a target is kustomize's error to give)
    const ids = patchedIds(p.patch, known);
    if (!ids) return undefined;
    objects.forEach((o, i) => {
      if (!reach[i] && ids.some((id) => id.kind === o.kind && id.name === idOf(o).name)) reach[i] = true;
    });
  }
  return reach;
}
