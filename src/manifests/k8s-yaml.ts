/**
 * YAML read the way Kubernetes reads it: go-yaml v2 as wrapped by sigs.k8s.io/yaml (kubectl, the API
 * machinery, Flux, Argo CD, Helm's values files and ytt's data values all use it). The `yaml`
 * library's YAML 1.1 schema differs in ways that change values: it has base-60 numbers (`22:30` →
 * 1350) and timestamps, and lacks `0o17`, `0X1F`, `1e3`-style and `09` numbers; its merge keys never
 * override. This module resolves plain scalars by go-yaml v2's rules from the source text, so the
 * parsing schema does not matter, and converts map keys as sigs.k8s.io/yaml does.
 * test/manifests/k8s-yaml-reference.test.ts checks it against the real reader, value by value.
 */
import { isAlias, isMap, isScalar, isSeq, Scalar, type Document, type Node } from 'yaml';
import { KilnError } from '../errors.js';

type Plain =
  | { kind: 'str'; value: string }
  | { kind: 'null'; value: null }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number };

const BOOL_NULL = new Map<string, boolean | null>();
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOL_NULL.set(s, true);
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) BOOL_NULL.set(s, false);
for (const s of ['', '~', 'null', 'Null', 'NULL']) BOOL_NULL.set(s, null);
const SPECIAL_FLOAT = new Map<string, number>();
for (const s of ['.nan', '.NaN', '.NAN']) SPECIAL_FLOAT.set(s, NaN);
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) SPECIAL_FLOAT.set(s, Infinity);
for (const s of ['-.inf', '-.Inf', '-.INF']) SPECIAL_FLOAT.set(s, -Infinity);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** Go's strconv.ParseInt/ParseUint with base 0 (underscores already removed). */
const GO_INT = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|0([0-7]*)|([1-9][0-9]*))$/;
/** go-yaml v2's yamlStyleFloat. */
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's ParseFloat accepts for a string starting with "." (decimal only; underscores checked apart). */
const DOT_FLOAT = /^\.[0-9_]+(?:[eE][+-]?[0-9_]+)?$/;

function goInt(s: string, signed: boolean): bigint | undefined {
  const m = GO_INT.exec(s);
  if (!m) return undefined;
  if (!signed && m[1]) return undefined;
  const [, sign, hex, bin, oct, oct0, dec] = m;
  const n = hex !== undefined ? BigInt(`0x${hex}`) : bin !== undefined ? BigInt(`0b${bin}`) : oct !== undefined ? BigInt(`0o${oct}`) : oct0 !== undefined ? (oct0 ? BigInt(`0o${oct0}`) : 0n) : BigInt(dec!);
  const v = sign === '-' ? -n : n;
  if (signed ? v < INT64_MIN || v > INT64_MAX : v > UINT64_MAX) return undefined;
  return v;
}

/** Go's strconv.ParseInt(s, 2, 64) / ParseUint: an optional sign (signed only), binary digits. */
function goBin(s: string, signed: boolean): bigint | undefined {
  const m = /^([+-]?)([01]+)$/.exec(s);
  if (!m || (!signed && m[1])) return undefined;
  const n = BigInt(`0b${m[2]}`);
  const v = m[1] === '-' ? -n : n;
  if (signed ? v < INT64_MIN || v > INT64_MAX : v > UINT64_MAX) return undefined;
  return v;
}

/** Go's rule: an underscore only between digits. */
function underscoreOk(s: string): boolean {
  let saw = '^';
  for (const c of s) {
    if (c >= '0' && c <= '9') saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/** go-yaml v2's resolve() for an untagged plain scalar. */
export function resolvePlain(s: string): Plain {
  const c = s.charCodeAt(0);
  const digit = c >= 48 && c <= 57;
  const sign = c === 43 || c === 45; // + -
  const dot = c === 46;
  const inMap = s === '' || 'yYnNtTfFoO~'.includes(s[0]!);
  if (!digit && !sign && !dot && !inMap) return { kind: 'str', value: s };
  const bn = BOOL_NULL.get(s);
  if (bn !== undefined) return bn === null ? { kind: 'null', value: null } : { kind: 'bool', value: bn };
  const special = SPECIAL_FLOAT.get(s);
  if (special !== undefined) return { kind: 'float', value: special };
  if (dot) {
    if (DOT_FLOAT.test(s) && underscoreOk(s)) {
      const f = Number(s.replace(/_/g, ''));
      if (Number.isFinite(f)) return { kind: 'float', value: f };
    }
    return { kind: 'str', value: s };
  }
  if (!digit && !sign) return { kind: 'str', value: s };
  // timestamps resolve first in go-yaml, but decoding into interface{} keeps their text: a string
  const plain = s.includes('_') ? s.replace(/_/g, '') : s;
  const i = goInt(plain, true) ?? goInt(plain, false);
  if (i !== undefined) return { kind: 'int', value: i };
  if (YAML_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return { kind: 'float', value: f };
  }
  if (plain.startsWith('0b')) {
    const b = goBin(plain.slice(2), true) ?? goBin(plain.slice(2), false);
    if (b !== undefined) return { kind: 'int', value: b };
  }
  return { kind: 'str', value: s };
}

/** True when go-yaml v2 reads this plain text as something other than a string (so it must be quoted). */
export function plainIsNotString(s: string): boolean {
  return resolvePlain(s).kind !== 'str';
}

const TAG = 'tag:yaml.org,2002:';

/** A scalar node's go-yaml v2 value; explicit tags as go-yaml applies them. */
function resolveScalar(node: Scalar, where: () => string): Plain {
  const text = typeof node.source === 'string' ? node.source : String(node.value);
  const tag = node.tag;
  const plain = node.type === 'PLAIN' || node.type === undefined;
  if (!tag) return plain ? resolvePlain(text) : { kind: 'str', value: text };
  if (!tag.startsWith(TAG) || tag === `${TAG}str`) return { kind: 'str', value: text };
  const want = tag.slice(TAG.length);
  if (want === 'binary') {
    const b64 = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new KilnError(`${where()}: !!binary value contains invalid base64 data`);
    return { kind: 'str', value: Buffer.from(b64, 'base64').toString('utf8') };
  }
  if (!['int', 'float', 'bool', 'null', 'timestamp'].includes(want)) return { kind: 'str', value: text };
  const r = resolvePlain(text);
  if (want === 'timestamp' || r.kind === want) return r;
  if (want === 'float' && r.kind === 'int' && r.value >= INT64_MIN && r.value <= INT64_MAX) return { kind: 'float', value: Number(r.value) };
  throw new KilnError(`${where()}: cannot decode !!${r.kind} \`${text}\` as a !!${want}`);
}

/**
 * A map key as sigs.k8s.io/yaml turns it into a JSON key: ints in decimal, floats as Go's
 * FormatFloat(k, 'g', -1, 32), booleans "true"/"false"; null and 64-bit unsigned keys are errors.
 */
function keyString(p: Plain, where: () => string): string {
  switch (p.kind) {
    case 'str':
      return p.value;
    case 'bool':
      return p.value ? 'true' : 'false';
    case 'int':
      if (p.value > INT64_MAX) throw new KilnError(`${where()}: map key ${p.value} does not fit a 64-bit signed integer; Kubernetes' YAML reader refuses it`, { hint: 'quote the key' });
      return p.value.toString();
    case 'float':
      return formatFloat32(p.value);
    case 'null':
      throw new KilnError(`${where()}: a map key is null; Kubernetes' YAML reader refuses it`, { hint: 'quote the key' });
  }
}

/** Go's strconv.FormatFloat(f, 'g', -1, 32), with sigs.k8s.io/yaml's names for the non-finite ones. */
export function formatFloat32(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  const x = Math.fround(f);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let digits = '';
  let exp = 0;
  for (let p = 1; p <= 9; p++) {
    const e = x.toExponential(p - 1);
    if (Math.fround(Number(e)) === x) {
      const [mant, ex] = e.split('e');
      digits = mant!.replace('-', '').replace('.', '');
      exp = Number(ex);
      break;
    }
  }
  const neg = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${neg}${mant}e${exp < 0 ? '-' : '+'}${es}`;
  }
  if (exp < 0) return `${neg}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${neg}${whole}${frac ? `.${frac}` : ''}`;
}

export interface ConvertOptions {
  /** Named in errors. */
  source: string;
  /** Alias dereferences allowed per document (alias bombs). */
  maxAliases?: number;
  /**
   * Integers beyond 2^53 as bigint, exact as Kubernetes' reader keeps them (int64, uint64); else a
   * number, as Helm reads its values (into float64). Tool output is read exactly.
   */
  exactInts?: boolean;
}

/** The aliases-were-too-many error, so callers can point at it. */
export class AliasLimitError extends KilnError {}

/** A parsed document's content (or any node of it) as Kubernetes would read it. */
export function toK8sValue(node: unknown, doc: Document, opts: ConvertOptions): unknown {
  const max = opts.maxAliases ?? 1000;
  let aliases = 0;
  const where = () => opts.source;
  const conv = (n: unknown): unknown => {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) {
      if (++aliases > max) throw new AliasLimitError(`${opts.source}: more than ${max} YAML aliases expanded`, { hint: `expand YAML aliases in the source; at most ${max} are read` });
      return conv(n.resolve(doc));
    }
    if (isScalar(n)) return value(resolveScalar(n, where), where, opts.exactInts === true);
    if (isSeq(n)) return n.items.map(conv);
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        if (isMergeKey(k)) {
          merge(out, pair.value);
          continue;
        }
        set(out, keyOf(k), conv(pair.value));
      }
      return out;
    }
    throw new KilnError(`${opts.source}: unsupported YAML node`);
  };
  const keyOf = (k: Node | null): string => {
    let n: unknown = k;
    while (isAlias(n)) {
      if (++aliases > max) throw new AliasLimitError(`${opts.source}: more than ${max} YAML aliases expanded`);
      n = n.resolve(doc);
    }
    if (n === null || n === undefined) return keyString({ kind: 'null', value: null }, where);
    if (!isScalar(n)) throw new KilnError(`${opts.source}: a map key is a map or a list; Kubernetes' YAML reader refuses it`);
    return keyString(resolveScalar(n, where), where);
  };
  // go-yaml v2 writes merged maps into the map being built: they override keys written before `<<`,
  // and in a list of maps the earlier ones win
  const merge = (out: Record<string, unknown>, v: unknown): void => {
    const asMap = (n: unknown): unknown => {
      let t = n;
      if (isAlias(t)) t = t.resolve(doc);
      if (!isMap(t)) throw new KilnError(`${opts.source}: map merge requires map or sequence of maps as the value`);
      return n;
    };
    const from = isSeq(v) ? [...v.items].reverse().map(asMap) : [asMap(v)];
    for (const m of from) for (const [k, val] of Object.entries(conv(m) as Record<string, unknown>)) set(out, k, val);
  };
  return conv(node);
}

function isMergeKey(k: unknown): boolean {
  if (!isScalar(k)) return false;
  const text = typeof k.source === 'string' ? k.source : k.value;
  if (text !== '<<') return false;
  return k.tag ? k.tag === `${TAG}merge` : k.type === 'PLAIN' || k.type === undefined;
}

function set(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function value(p: Plain, where: () => string, exactInts: boolean): unknown {
  if (p.kind === 'int') return exactInts && (p.value > SAFE || p.value < -SAFE) ? p.value : Number(p.value);
  if (p.kind === 'float' && !Number.isFinite(p.value)) {
    throw new KilnError(`${where()}: ${Number.isNaN(p.value) ? '.nan' : p.value > 0 ? '.inf' : '-.inf'} has no JSON form; Kubernetes' YAML reader refuses it`, { hint: 'quote it if it is meant as a string' });
  }
  return p.value;
}
