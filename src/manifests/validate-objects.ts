/**
 * Rendered objects checked against the rules the API server applies before anything is written:
 * names, namespaces, kind and apiVersion shapes, size and depth. A render that the cluster would
 * refuse fails here, naming profile, component, cluster and object, instead of at sync time.
 */
import { jsonText } from './json-text.js';
import { KilnError } from '../errors.js';
import type { K8sObject } from '../model.js';
import { usesGenerateName } from './generate-name.js';
import { describeObject, groupOf } from './keys.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const VERSION = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names are path segments (apimachinery ValidatePathSegmentName), e.g. `system:aggregate-to-view`. */
const PATH_SEGMENT_KINDS = new Set(['rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRoleBinding']);
/** Kinds whose names are DNS labels (Namespace), or DNS-1035 labels that start with a letter (Service). */
const LABEL_KINDS = new Set(['/Namespace']);
const DNS_1035_KINDS = new Set(['/Service']);

/** The API server refuses request bodies over 3 MiB; anything near it is a runaway render. */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;
/** Far beyond any real manifest (CRD schemas nest a few dozen levels), far below a stack overflow. */
export const MAX_DEPTH = 200;

export interface ObjectOrigin {
  profile: string;
  component: string;
  cluster: string;
}

function pathSegmentProblem(name: string): string | null {
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[/%]/.test(name)) return 'may not contain "/" or "%"';
  return null;
}

/** Why `name` is not a valid metadata.name for this group/kind, or null. */
export function nameProblem(group: string, kind: string, name: string): string | null {
  const gk = `${group}/${kind}`;
  if (PATH_SEGMENT_KINDS.has(gk)) return pathSegmentProblem(name);
  if (LABEL_KINDS.has(gk)) return name.length <= 63 && DNS_LABEL.test(name) ? null : 'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)';
  if (DNS_1035_KINDS.has(gk)) return name.length <= 63 && DNS_1035_LABEL.test(name) ? null : 'must be a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)';
  if (name.length > 253) return `is ${name.length} characters, more than 253`;
  if (!DNS_SUBDOMAIN.test(name)) return 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)';
  return null;
}

/** Depth of nested maps/lists, stopping as soon as it exceeds `limit` (no recursion: no stack overflow). */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}

/** A short, printable form of a hostile name: control characters escaped, long ones cut. */
export function shownName(name: string): string {
  const json = JSON.stringify(name);
  return json.length > 80 ? `${json.slice(0, 60)}…" (${name.length} characters)` : json;
}

function fail(o: ObjectOrigin, what: string, message: string, hint?: string): KilnError {
  return new KilnError(`profile "${o.profile}", component "${o.component}", cluster "${o.cluster}": ${what} ${message}`, { hint });
}

/**
 * Throws a KilnError for the first object the API server would refuse. `valid`: objects already
 * found valid in this run (clusters share their renders' objects; the checks read nothing else).
 */
export function validateObjects(objects: readonly K8sObject[], origin: ObjectOrigin, valid?: WeakMap<K8sObject, true>): void {
  for (const o of objects) {
    if (valid?.has(o)) continue;
    const kind = String(o.kind);
    const generated = usesGenerateName(o);
    const name = generated ? String(o.metadata.generateName) : String(o.metadata.name);
    const label = `${kind} ${generated ? `with generateName ${shownName(name)}` : shownName(name)}`;
    if (!KIND.test(kind)) throw fail(origin, `object of kind ${shownName(kind)}`, 'has an invalid kind', 'a kind is a CamelCase identifier such as ConfigMap');
    const group = groupOf(o.apiVersion);
    const version = o.apiVersion.slice(group ? group.length + 1 : 0);
    if (!VERSION.test(version) || (group && !(group.length <= 253 && DNS_SUBDOMAIN.test(group)))) {
      throw fail(origin, label, `has an invalid apiVersion ${shownName(o.apiVersion)}`, 'an apiVersion is `v1` or `<group>/<version>` such as apps/v1');
    }
    // the API server cuts a generateName to 58 characters and appends 5 random ones: judge a completed name
    const problem = nameProblem(group, kind, generated ? `${name.slice(0, 58)}x0000` : name);
    if (problem) throw fail(origin, label, `has an invalid metadata.${generated ? 'generateName' : 'name'}: it ${problem}`, 'fix the name in the source, or rename it with a patch');
    const ns = o.metadata.namespace;
    if (ns !== undefined && ns !== null) {
      if (typeof ns !== 'string' || ns.length > 63 || !DNS_LABEL.test(ns)) {
        throw fail(origin, label, `has an invalid metadata.namespace ${shownName(String(ns))}`, 'a namespace is a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters');
      }
    }
    if (depthExceeds(o, MAX_DEPTH)) throw fail(origin, describeObject(o), `nests deeper than ${MAX_DEPTH} levels`, 'no Kubernetes object needs that; check the template for runaway recursion');
    const bytes = Buffer.byteLength(jsonText(o));
    if (bytes > MAX_OBJECT_BYTES) {
      throw fail(origin, describeObject(o), `is ${bytes} bytes as JSON, more than the API server's ${MAX_OBJECT_BYTES}-byte request limit`, 'keep large data out of objects (e.g. mount it from an image or a volume)');
    }
    valid?.set(o, true);
  }
}
