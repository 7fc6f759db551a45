/**
 * The small Go-template subset profiles may use (design §1): `{{ .Cluster.name }}`, `.Cluster.environment`,
 * `.Cluster.kubeVersion`, `.Cluster.labels.<key>`, `.Vars.<key>[.<key>…]`, `index <ref> "key" …`, string
 * and number literals (`{{ "{{" }}` writes a literal `{{`), and `{{-`/`-}}` whitespace trimming.
 * Deliberately no pipes or functions: per-cluster differences belong in vars, not in logic.
 */
import { KilnError, KilnErrors } from '../errors.js';
import type { Cluster, DocRef, JsonPath } from '../model.js';
import { didYouMean, formatField, joinHint } from '../config/fields.js';

export interface TemplateScope {
  Cluster: { name: string; environment: string; labels: Record<string, string>; kubeVersion?: string };
  Vars: Record<string, unknown>;
}
export interface TemplateWhere {
  doc: DocRef;
  path: JsonPath;
}

export function clusterScope(c: Cluster): TemplateScope {
  return {
    Cluster: { name: c.name, environment: c.environment, labels: c.labels, ...(c.kubeVersion !== undefined ? { kubeVersion: c.kubeVersion } : {}) },
    Vars: c.vars,
  };
}

const CLUSTER_FIELDS = ['name', 'environment', 'labels', 'kubeVersion'];
export const SUPPORTED =
  'kiln templates support {{ .Cluster.name }}, {{ .Cluster.environment }}, {{ .Cluster.kubeVersion }}, ' +
  '{{ .Cluster.labels.<key> }}, {{ .Vars.<key> }} and {{ index .Cluster.labels "<key>" }}; no pipes or functions';
const LITERAL_HINT = 'to write "{{" literally (e.g. for Helm\'s tpl), write {{ "{{" }}';

type Expr = { kind: 'literal'; value: string | number } | { kind: 'ref'; root: 'Cluster' | 'Vars'; keys: Array<string | number> };
type Part = { text: string } | { expr: Expr; source: string };
type Token = { kind: 'str' | 'num' | 'chain' | 'ident'; text: string; value: string | number };

/** A template the parser refuses; the message says what is wrong, without position. */
class SyntaxProblem extends Error {}

function tokenAt(rest: string): Token | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^"(?:[^"\\]|\\.)*"/.exec(rest))) {
    try {
      return { kind: 'str', text: m[0], value: JSON.parse(m[0]) as string };
    } catch {
      throw new SyntaxProblem(`unsupported escape in string ${m[0]}`);
    }
  }
  if ((m = /^`[^`]*`/.exec(rest))) return { kind: 'str', text: m[0], value: m[0].slice(1, -1) };
  if ((m = /^\.[A-Za-z0-9_./-]*/.exec(rest))) return { kind: 'chain', text: m[0], value: m[0] };
  if ((m = /^-?\d+(?![\w.])/.exec(rest))) return { kind: 'num', text: m[0], value: Number(m[0]) };
  if ((m = /^[A-Za-z_]\w*/.exec(rest))) return { kind: 'ident', text: m[0], value: m[0] };
  return undefined;
}

function parseChain(chain: string): Expr {
  const segs = chain.slice(1).split('.');
  const root = segs[0];
  if (root !== 'Cluster' && root !== 'Vars') {
    throw new SyntaxProblem(`unknown "${chain.split('.').slice(0, 2).join('.')}": only .Cluster and .Vars exist`);
  }
  let keys: string[] = segs.slice(1);
  // label keys may hold dots and slashes (topology.kubernetes.io/zone): the rest is one key
  if (root === 'Cluster' && keys[0] === 'labels' && keys.length > 2) keys = ['labels', keys.slice(1).join('.')];
  if (keys.some((k) => k === '')) throw new SyntaxProblem(`"${chain}" has an empty key`);
  if (root === 'Cluster' && keys[0] !== undefined && !CLUSTER_FIELDS.includes(keys[0])) {
    throw new SyntaxProblem(`.Cluster has no field "${keys[0]}" (fields: ${CLUSTER_FIELDS.join(', ')}; cluster vars are .Vars.<key>)`);
  }
  if (root === 'Cluster' && keys.length > 1 && keys[0] !== 'labels') throw new SyntaxProblem(`.Cluster.${keys[0]} is a string and has no keys`);
  return { kind: 'ref', root, keys };
}

function buildExpr(tokens: Token[]): Expr {
  const [first, ...rest] = tokens;
  if (!first) throw new SyntaxProblem('empty {{ }}');
  if (rest.length === 0 && (first.kind === 'str' || first.kind === 'num')) return { kind: 'literal', value: first.value };
  if (rest.length === 0 && first.kind === 'chain') return parseChain(first.text);
  if (first.kind === 'ident' && first.text === 'index') {
    const [target, ...keys] = rest;
    if (target?.kind === 'chain' && keys.length > 0 && keys.every((k) => k.kind === 'str' || k.kind === 'num')) {
      const base = parseChain(target.text);
      if (base.kind === 'ref') return { ...base, keys: [...base.keys, ...keys.map((k) => k.value)] };
    }
    throw new SyntaxProblem('index takes a reference and one or more quoted keys, e.g. index .Cluster.labels "topology.kubernetes.io/region"');
  }
  if (first.kind === 'ident') throw new SyntaxProblem(`function "${first.text}" is not supported`);
  throw new SyntaxProblem(`"${tokens.map((t) => t.text).join(' ')}" is not a supported expression`);
}

/** Split a string into literal text and expressions; throws SyntaxProblem. */
function parse(s: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      text += s.slice(i);
      break;
    }
    text += s.slice(i, open);
    let j = open + 2;
    if (s[j] === '-' && /\s/.test(s[j + 1] ?? '')) {
      text = text.trimEnd();
      j++;
    }
    const tokens: Token[] = [];
    let end = -1;
    let trimRight = false;
    while (j < s.length) {
      while (j < s.length && /\s/.test(s[j]!)) j++;
      if (s.startsWith('}}', j)) {
        end = j + 2;
        break;
      }
      if (s.startsWith('-}}', j) && /\s/.test(s[j - 1] ?? '')) {
        trimRight = true;
        end = j + 3;
        break;
      }
      const tok = tokenAt(s.slice(j));
      if (!tok) {
        const bad = /^[^\s}]+/.exec(s.slice(j))?.[0] ?? s[j]!;
        throw new SyntaxProblem(`"${bad}" is not supported${bad.startsWith('|') ? ' (no pipes)' : ''}`);
      }
      tokens.push(tok);
      j += tok.text.length;
    }
    if (end < 0) throw new SyntaxProblem('"{{" is not closed by "}}"');
    const source = s.slice(open, end);
    let expr: Expr;
    try {
      expr = buildExpr(tokens);
    } catch (e) {
      throw e instanceof SyntaxProblem ? new SyntaxProblem(`${source}: ${e.message}`) : e;
    }
    if (text) parts.push({ text });
    text = '';
    parts.push({ expr, source });
    i = end;
    if (trimRight) while (i < s.length && /\s/.test(s[i]!)) i++;
  }
  if (text) parts.push({ text });
  return parts;
}

function problem(where: TemplateWhere, message: string, hint?: string): KilnError {
  return new KilnError(message, { pos: where.doc.locate(where.path), field: formatField(where.path) || undefined, hint });
}

// A fleet templates the same few strings (output.branch, a profile's values) for every cluster: each
// distinct string is parsed once. The parts are a pure function of the text and never mutated, so
// this holds no state of a run; a string that fails to parse is not kept (it throws every time).
const parsed = new Map<string, Part[]>();
const PARSED_MAX = 10_000;

/** The parts of `s`, parsed once; throws SyntaxProblem. */
function cachedParse(s: string): Part[] {
  let parts = parsed.get(s);
  if (!parts) {
    parts = parse(s);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(s, parts);
  }
  return parts;
}

function parseAt(s: string, where: TemplateWhere): Part[] {
  try {
    return cachedParse(s);
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    throw problem(where, `unsupported template: ${e.message}`, `${SUPPORTED}; ${LITERAL_HINT}`);
  }
}

function keyList(o: unknown): string {
  const keys = o && typeof o === 'object' ? Object.keys(o).sort() : [];
  return keys.length ? keys.join(', ') : '(none)';
}

/** `did you mean "replicas"?; vars: a, b` — the typo's likely fix first, then what there is. */
function keysHint(key: string, o: unknown, what: string): string {
  const keys = o && typeof o === 'object' ? Object.keys(o) : [];
  return joinHint(didYouMean(key, keys), `${what}: ${keyList(o)}`)!;
}

function lookup(expr: Expr, source: string, scope: TemplateScope, where: TemplateWhere): unknown {
  if (expr.kind === 'literal') return expr.value;
  const cluster = `cluster "${scope.Cluster.name}"`;
  let cur: unknown = expr.root === 'Cluster' ? scope.Cluster : scope.Vars;
  const walked: string[] = [];
  for (const k of expr.keys) {
    const key = String(k);
    const next = step(cur, key);
    if (next === undefined) {
      const at = [...walked, key];
      if (expr.root === 'Vars') {
        if (cur === null || typeof cur !== 'object') {
          throw problem(where, `${source}: ${cluster}: var "${walked.join('.')}" is ${cur === null ? 'null' : `a ${typeof cur}`}, not a map`);
        }
        throw problem(where, `${source}: ${cluster} has no var "${at.join('.')}"`, keysHint(key, cur, walked.length ? `keys of var "${walked.join('.')}"` : 'vars'));
      }
      if (at[0] === 'labels' && at.length === 2) throw problem(where, `${source}: ${cluster} has no label "${key}"`, keysHint(key, cur, 'labels'));
      if (at[0] === 'kubeVersion') throw problem(where, `${source}: ${cluster} has no kubeVersion`, 'set spec.kubeVersion in the cluster file');
      throw problem(where, `${source}: ${cluster} has no "${at.join('.')}"`);
    }
    walked.push(key);
    cur = next;
  }
  return cur;
}

/** One key into a value: own keys only (`.Vars.constructor` must not reach Object.prototype); undefined when absent. */
function step(cur: unknown, key: string): unknown {
  const found = cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, key) && (!Array.isArray(cur) || /^\d+$/.test(key));
  return found ? (cur as Record<string, unknown>)[key] : undefined;
}

/** A reference to the cluster (`.Cluster.…`, `.Vars.…`) in a template. */
export type TemplateRef = Extract<Expr, { kind: 'ref' }>;

/** Every reference in every string of `value` (map keys are not templated); undefined when a string does not parse. */
export function templateRefs(value: unknown): TemplateRef[] | undefined {
  const refs: TemplateRef[] = [];
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) return true;
      let parts: Part[];
      try {
        parts = cachedParse(v);
      } catch (e) {
        if (!(e instanceof SyntaxProblem)) throw e;
        return false;
      }
      for (const p of parts) if ('expr' in p && p.expr.kind === 'ref') refs.push(p.expr);
      return true;
    }
    if (Array.isArray(v)) return v.every(walk);
    if (v !== null && typeof v === 'object') return Object.values(v).every(walk);
    return true;
  };
  return walk(value) ? refs : undefined;
}

/** What a reference reads in `scope`, as the template would; undefined when it reads nothing (the template fails). */
export function readRef(ref: TemplateRef, scope: TemplateScope): unknown {
  let cur: unknown = ref.root === 'Cluster' ? scope.Cluster : scope.Vars;
  for (const k of ref.keys) {
    cur = step(cur, String(k));
    if (cur === undefined) return undefined;
  }
  return cur;
}

function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function templateString(s: string, scope: TemplateScope, where: TemplateWhere, keepType: boolean): unknown {
  if (!s.includes('{{')) return s;
  const parts = parseAt(s, where);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (keepType && only && 'expr' in only) {
    const v = lookup(only.expr, only.source, scope, where);
    // a copy: a templated map must not alias the cluster's vars
    return v !== null && typeof v === 'object' ? structuredClone(v) : v;
  }
  return parts.map((p) => ('text' in p ? p.text : stringify(lookup(p.expr, p.source, scope, where)))).join('');
}

/**
 * Template every string in `value` (map keys are left alone). A string that is exactly one expression
 * keeps the value's type; expressions inside text are stringified (maps and lists as JSON). All problems
 * are collected: one KilnError, or a KilnErrors with each.
 */
export function templateValue(value: unknown, scope: TemplateScope, where: TemplateWhere): unknown {
  const errors: KilnError[] = [];
  // one path, pushed and popped: a copy only for a string with an expression (a fleet templates every
  // profile for every cluster, and most strings have none)
  const path: Array<string | number> = [...where.path];
  const at = (seg: string | number, x: unknown): unknown => {
    path.push(seg);
    const r = walk(x);
    path.pop();
    return r;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) return v;
      try {
        return templateString(v, scope, { doc: where.doc, path: [...path] }, true);
      } catch (e) {
        if (!(e instanceof KilnError)) throw e;
        errors.push(e);
        return v;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => at(i, x));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, at(k, x)]));
    }
    return v;
  };
  const out = walk(value);
  throwAll(errors);
  return out;
}

/** Template a string into a string (branch names, output paths): expressions are always stringified. */
export function renderTemplateString(s: string, scope: TemplateScope, where: TemplateWhere): string {
  return templateString(s, scope, where, false) as string;
}

/** Syntax problems in every string of `value`, without a cluster: what `kiln validate` can say up front. */
export function templateSyntaxErrors(value: unknown, where: TemplateWhere): KilnError[] {
  const errors: KilnError[] = [];
  const walk = (v: unknown, path: JsonPath): void => {
    if (typeof v === 'string' && v.includes('{{')) {
      try {
        parseAt(v, { doc: where.doc, path });
      } catch (e) {
        if (!(e instanceof KilnError)) throw e;
        errors.push(e);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, where.path);
  return errors;
}

function throwAll(errors: KilnError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new KilnErrors(errors);
}
