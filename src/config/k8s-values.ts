/**
 * The free-form maps of kiln's config (helm `values`, ytt `dataValues`, jsonnet `extVars`/`tlas`,
 * cluster `vars`) are read as Kubernetes, Helm (values files), ytt (data values files), Flux and
 * Argo CD read YAML, not as YAML 1.2 core like the rest of the config: `0440` is 288, `yes` is true,
 * `22:30` and dates stay strings. So inline values mean exactly what the same YAML means in a values
 * file, or in a HelmRelease's `values`.
 */
import { isMap, type Document } from 'yaml';
import { KilnError, type SourcePos } from '../errors.js';
import { toK8sValue } from '../manifests/k8s-yaml.js';
import type { JsonPath } from '../model.js';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** The paths of the free-form maps in one kiln document. */
export function freeMapPaths(value: unknown): JsonPath[] {
  const doc = asObj(value);
  const spec = asObj(doc?.spec);
  if (!spec) return [];
  if (doc!.kind === 'Cluster') return [['spec', 'vars']];
  if (doc!.kind !== 'Profile' || !Array.isArray(spec.components)) return [];
  const out: JsonPath[] = [];
  spec.components.forEach((c, i) => {
    const at = ['spec', 'components', i];
    const comp = asObj(c);
    if (asObj(comp?.helm)) out.push([...at, 'helm', 'values']);
    if (asObj(comp?.ytt)) out.push([...at, 'ytt', 'dataValues']);
    if (asObj(comp?.jsonnet)) out.push([...at, 'jsonnet', 'extVars'], [...at, 'jsonnet', 'tlas']);
  });
  return out;
}

/** Replace each free-form map of `value` (read from `doc`) by its Kubernetes reading, in place. */
export function readFreeMapsAsKubernetes(value: unknown, doc: Document, maxAliases: number, locate: (path: JsonPath) => SourcePos): void {
  for (const p of freeMapPaths(value)) {
    const node = doc.getIn(p, true);
    if (!isMap(node)) continue; // absent, or not a map: the schema says so
    let read: unknown;
    try {
      read = toK8sValue(node, doc, { source: p.join('.'), maxAliases });
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      throw new KilnError(e.message, { pos: locate(p), hint: e.hint, cause: e });
    }
    let holder = value as Obj;
    for (const seg of p.slice(0, -1)) holder = (holder as Record<string | number, unknown>)[seg] as Obj;
    holder[p[p.length - 1] as string] = read;
  }
}
