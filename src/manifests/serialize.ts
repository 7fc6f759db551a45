/** Deterministic YAML for one object, safe for Kubernetes' YAML 1.1 decoder. */
import { createHash } from 'node:crypto';
import { stringify, type ScalarTag, type Tags } from 'yaml';
import type { K8sObject } from '../model.js';
import { plainIsNotString } from './k8s-yaml.js';
import { blockYaml, type YamlOptions } from './block-yaml.js';
import { ByteBoundedMemo } from '../util/byte-bounded-memo.js';

const HEAD = ['apiVersion', 'kind', 'metadata'];

/** apiVersion, kind, metadata first (as kubectl and every renderer print them); the rest as rendered. */
export function orderTopLevel(o: K8sObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of HEAD) if (k in o) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!HEAD.includes(k)) out[k] = v;
  return out;
}

/**
 * A JSON.stringify replacer that refuses (throws on) every value a JSON text does not pin down
 * exactly: non-finite numbers, -0, undefined, holes, bigint, and objects that are not plain (a
 * Date, Map, Set or Uint8Array from YAML 1.1 tags). Two values it accepts with equal JSON texts are
 * equal, key order included — so that text can key caches of anything computed from the value.
 */
export function exactJson(this: unknown, key: string, value: unknown): unknown {
  // the holder's own value, before any toJSON() (a Date would otherwise arrive as a string)
  if ((this as Record<string, unknown>)[key] !== value) throw new Error('not exact');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) throw new Error('not exact');
      return value;
    case 'object': {
      if (value === null) return value;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || value[i] === undefined) throw new Error('not exact');
        return value;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Error('not exact');
      if (Object.prototype.hasOwnProperty.call(value, '__proto__')) throw new Error('not exact');
      for (const v of Object.values(value as object)) if (v === undefined) throw new Error('not exact');
      return value;
    }
    default:
      throw new Error('not exact');
  }
}

/** The exact JSON text of a value, or undefined when JSON cannot represent it exactly. */
export function exactJsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, exactJson);
  } catch {
    return undefined;
  }
}

// Fleets repeat the same objects on many clusters: serialise each distinct object once. Keyed by
// a digest of its exact JSON (key order included, so the YAML is the same); bounded by the text it
// holds (objects one cluster has alone, a jsonnet render per cluster, would otherwise fill it).
const serialized = new ByteBoundedMemo<string, string>(8 * 1024 * 1024);
// Objects are never changed once made (renders are shared between clusters read-only): the same
// object, met again (a patch's input and then the branch file; a render shared by clusters), is
// not even hashed again. Weak, so it holds nothing an object's owner let go of.
const byIdentity = new WeakMap<K8sObject, string>();

/**
 * YAML 1.1 output quotes strings like `on`, `yes`, `0644` that a 1.1 reader would turn into
 * booleans or octal numbers; no line folding so long strings stay diffable; no anchors.
 */
export function serializeObject(o: K8sObject): string {
  let text = byIdentity.get(o);
  if (text !== undefined) return text;
  const json = exactJsonText(o);
  if (json === undefined) return serializeUncached(o);
  const key = createHash('sha256').update(json).digest('base64');
  text = serialized.get(key);
  if (text === undefined) {
    text = serializeUncached(o);
    serialized.set(key, text, text.length);
  }
  byIdentity.set(o, text);
  return text;
}

/**
 * The value `o`'s file reads back as (parseK8sYaml of serializeObject(o)), without parsing it: its
 * top-level keys in file order, when the serialiser wrote it exactly — plain JSON values only, every
 * integer safe (the reader gives a bigint past 2^53), no `<<` key (the reader takes it for a merge).
 * Undefined when only a parse can tell.
 */
export function readBackValue(o: K8sObject): Record<string, unknown> | undefined {
  if (!byIdentity.has(o) && exactJsonText(o) === undefined) return undefined; // in byIdentity: written exactly
  return readsBackAsIs(o) ? orderTopLevel(o) : undefined;
}

function readsBackAsIs(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isInteger(v) || Number.isSafeInteger(v);
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every(readsBackAsIs);
  for (const [k, x] of Object.entries(v)) if (k === '<<' || !readsBackAsIs(x)) return false;
  return true;
}

/** A RegExp whose test() is a function: the `yaml` library asks tags' `test` whether a string needs quotes. */
class TestFn extends RegExp {
  constructor(private readonly fn: (s: string) => boolean) {
    super('(?:)');
  }
  override test(s: string): boolean {
    return this.fn(s);
  }
}

/**
 * Writing only. The YAML 1.1 tags quote `on`, `0644`, `22:30` and dates; this one also quotes every
 * other plain text go-yaml v2 would not read as a string (`0o17`, `0X1F`, `0b+1`), and `-0` is
 * written so that it stays a float (go-yaml reads `-0` as the integer 0).
 */
const K8S_WRITE_TAGS = (tags: Tags): Tags => [
  { tag: 'tag:yaml.org,2002:float', default: true, identify: (v) => Object.is(v, -0), test: /^-0\.0$/, resolve: () => -0, stringify: () => '-0.0' } satisfies ScalarTag,
  ...tags,
  { tag: 'tag:kiln.dev,2026:go-yaml-v2', default: true, identify: () => false, test: new TestFn(plainIsNotString), resolve: (s: string) => s } satisfies ScalarTag,
];

const OBJECT_OPTIONS: YamlOptions = { version: '1.1', customTags: K8S_WRITE_TAGS, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, indentSeq: true, singleQuote: false };
const DATA_OPTIONS: YamlOptions = { version: '1.1', customTags: K8S_WRITE_TAGS, lineWidth: 0, aliasDuplicateObjects: false };
// the same bytes as the library's stringify with these options, without its per-node cost (block-yaml.ts)
const objectYaml = blockYaml(OBJECT_OPTIONS, plainIsNotString);
const dataYaml = blockYaml(DATA_OPTIONS, plainIsNotString);

/** Documents written by block-yaml.ts and by the library (the latter only for what block-yaml leaves to it); read by tests. */
export const yamlWrites = { block: 0, library: 0 };

function written(text: string | undefined, library: () => string): string {
  if (text !== undefined) {
    yamlWrites.block++;
    return text;
  }
  yamlWrites.library++;
  return library();
}

function serializeUncached(o: K8sObject): string {
  const top = orderTopLevel(o);
  return written(objectYaml.write(top), () => stringify(top, OBJECT_OPTIONS));
}

export function serializeData(value: unknown): string {
  return written(dataYaml.write(value), () => stringify(value, DATA_OPTIONS));
}

/** The library's own text, bypassing block-yaml.ts (its tests compare the two). */
export function libraryYaml(value: unknown, kind: 'object' | 'data'): string {
  return stringify(kind === 'object' ? orderTopLevel(value as K8sObject) : value, kind === 'object' ? OBJECT_OPTIONS : DATA_OPTIONS);
}
