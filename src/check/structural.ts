/**
 * Validates a value against a Kubernetes OpenAPI v3 / CRD structural schema the way the API server
 * with strict field validation sees it: unknown fields, wrong types, missing required fields, enums
 * and the common CRD value constraints. Written for this subset rather than a general JSON Schema
 * engine: Kubernetes' own markers (int-or-string, preserve-unknown-fields, embedded-resource) decide,
 * a `null` is an unset field (as the API server decodes it), and every issue names its field path.
 */
import { jsonText } from '../manifests/json-text.js';

export interface SchemaNode {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

export interface SchemaIssue {
  /** Field path: `spec.template.spec.containers[0].image`, keys with dots in brackets. */
  path: string;
  message: string;
}

export type Defs = Readonly<Record<string, SchemaNode>>;

const INT32 = 2 ** 31;
/** Fields every object may carry: the API server takes them from the envelope, not the schema. */
const EMBEDDED = new Set(['apiVersion', 'kind', 'metadata']);

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${key}]`;
  return path === '' ? k : k.startsWith('[') ? `${path}${k}` : `${path}.${k}`;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'bigint') return 'integer';
  return typeof v;
}

function show(v: unknown): string {
  const s = jsonText(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
    case 'number':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

export function validateStructural(value: unknown, schema: SchemaNode, defs: Defs, maxIssues = 50): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  walk(value, schema, defs, '', issues, maxIssues, 0);
  return issues;
}

function resolve(s: SchemaNode, defs: Defs): SchemaNode {
  let n = s;
  for (let i = 0; n.$ref !== undefined && i < 10; i++) n = defs[n.$ref] ?? {};
  return n;
}

function walk(v: unknown, raw: SchemaNode, defs: Defs, path: string, issues: SchemaIssue[], max: number, depth: number): void {
  if (issues.length >= max || depth > 64) return;
  if (v === null || v === undefined) return;
  const s = resolve(raw, defs);
  for (const part of s.allOf ?? []) walk(v, part, defs, path, issues, max, depth + 1);
  const at = path || '(object)';

  if (s['x-kubernetes-int-or-string'] || s.format === 'int-or-string') {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint')) issues.push({ path: at, message: `expected an integer or a string, got ${typeOf(v)} ${show(v)}` });
    return;
  }
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) {
    const fits = alternatives.some((alt) => walkCollect(v, alt, defs, path, depth).length === 0);
    if (!fits) {
      const types = alternatives.map((a) => resolve(a, defs).type ?? 'value').join(' or ');
      issues.push({ path: at, message: `expected ${types}, got ${typeOf(v)} ${show(v)}` });
      return;
    }
  }
  if (s.type && !typeMatches(s.type, v)) {
    issues.push({ path: at, message: `expected ${s.type === 'integer' ? 'an integer' : s.type === 'object' ? 'a map' : s.type === 'array' ? 'a list' : `a ${s.type}`}, got ${typeOf(v)} ${show(v)}` });
    return;
  }
  if (s.enum && !s.enum.some((e) => e === v)) issues.push({ path: at, message: `${show(v)} is not one of ${s.enum.map(show).join(', ')}` });

  if (typeof v === 'number') {
    if (s.format === 'int32' && (v >= INT32 || v < -INT32)) issues.push({ path: at, message: `${v} does not fit a 32-bit integer` });
    if (s.minimum !== undefined && v < s.minimum) issues.push({ path: at, message: `${v} is less than the minimum ${s.minimum}` });
    if (s.maximum !== undefined && v > s.maximum) issues.push({ path: at, message: `${v} is more than the maximum ${s.maximum}` });
  } else if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) issues.push({ path: at, message: `must be at least ${s.minLength} characters` });
    if (s.maxLength !== undefined && v.length > s.maxLength) issues.push({ path: at, message: `must be at most ${s.maxLength} characters` });
    if (s.pattern !== undefined && !safeTest(s.pattern, v)) issues.push({ path: at, message: `${show(v)} does not match ${s.pattern}` });
  } else if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) issues.push({ path: at, message: `must have at least ${s.minItems} items` });
    if (s.maxItems !== undefined && v.length > s.maxItems) issues.push({ path: at, message: `must have at most ${s.maxItems} items` });
    if (s.items) v.forEach((item, i) => walk(item, s.items!, defs, join(path, i), issues, max, depth + 1));
  } else if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) {
      if (o[r] === undefined || o[r] === null) issues.push({ path: join(path, r), message: 'required field is missing' });
    }
    const open = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    // an object schema without properties (RawExtension, FieldsV1) accepts any content
    const closed = !open && !extra && (s.properties !== undefined || s.additionalProperties === false);
    for (const [k, child] of Object.entries(o)) {
      const p = s.properties?.[k];
      if (p) walk(child, p, defs, join(path, k), issues, max, depth + 1);
      else if (extra) walk(child, extra, defs, join(path, k), issues, max, depth + 1);
      else if (closed && !(s['x-kubernetes-embedded-resource'] && EMBEDDED.has(k))) issues.push({ path: join(path, k), message: 'unknown field' });
    }
  }
}

function walkCollect(v: unknown, s: SchemaNode, defs: Defs, path: string, depth: number): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  walk(v, s, defs, path, out, 1, depth + 1);
  return out;
}

const patterns = new Map<string, RegExp | null>();
function safeTest(pattern: string, v: string): boolean {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null; // a pattern JavaScript cannot read is not held against the object
    }
    patterns.set(pattern, re);
  }
  return re === null || re.test(v);
}
