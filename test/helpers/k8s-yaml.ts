/**
 * The reference reader (test/tools/k8s-yaml-json: sigs.k8s.io/yaml, built by scripts/setup.sh) and a
 * corpus of scalars whose meaning differs between YAML readers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { which } from './tools.js';

/** Every document of `text` as Kubernetes reads it (JSON.parse of the reader's output). */
export function k8sRead(text: string): unknown[] {
  return exactJsonParse(execFileSync(which('k8s-yaml-json'), [], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as unknown[];
}

const BIG = '\u0000big:';

/** JSON.parse, with integer literals beyond 2^53 as bigint (the reader prints int64/uint64 exactly). */
export function exactJsonParse(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 400))!;
      const tok = m[0];
      out += !m[1] && !m[2] && !Number.isSafeInteger(Number(tok)) ? JSON.stringify(BIG + tok) : tok;
      i += tok.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(BIG) ? BigInt(v.slice(BIG.length)) : v));
}

const shown = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

/** The reader's verdict when it may refuse the input: its documents or its error message. */
export function k8sTry(text: string): { docs?: unknown[]; error?: string } {
  const r = spawnSync(which('k8s-yaml-json'), [], { input: text, encoding: 'utf8' });
  return r.status === 0 ? { docs: exactJsonParse(r.stdout) as unknown[] } : { error: r.stderr.trim() };
}

/** Plain scalars (as written in YAML) whose reading depends on the reader. */
export const SCALARS: string[] = [
  // booleans and nulls of YAML 1.1 as go-yaml v2 has them, and near misses
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'tRUE', 'yEs', 'oN', 'nO', 'yes!', 'Nope',
  '~', 'null', 'Null', 'NULL', 'nULL', '',
  // integers: octal, hex, binary, underscores, signs, 64-bit edges
  '0', '00', '-0', '+0', '1', '-1', '+1', '0440', '0644', '0777', '012345670', '08', '09', '0999', '0o440', '0O17',
  '0x1F', '0X1f', '-0x10', '+0x10', '0x', '0xg', '0b101', '0B11', '-0b101', '0b+101', '0b-101', '0b2', '1_000',
  '1__0', '_1', '1_', '0x_1f', '1_0_0_0_0', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
  '18446744073709551615', '18446744073709551616', '-9223372036854775809', '12345678901234567890', '9007199254740993',
  // floats
  '1.0', '1.', '.5', '-.5', '+.5', '1e3', '1E3', '1e+3', '1e-3', '-1.5e-3', '6.02e23', '1e21', '1e400', '-1e400',
  '1e-400', '.5e3', '.e3', '._5', '.5_5', '1_0.5', '1.5_5', '0.1', '3.14159', 'inf', 'Infinity', 'nan', 'NaN', '0x1p3', '1e', '1e+', 'e3', '+e3', '1.2.3', '.', '..', '+', '-1-',
  '1.5e3_0', '0.0', '00.5', '1e0',
  // base 60 and times (YAML 1.1 only), timestamps
  '22:30', '03:15', '1:2:3', '190:20:30', '-22:30', '22:30.5', '1:60', '00:00',
  '2001-12-14t21:59:43.10-05:00', '2001-12-14', '2001-12-14 21:59:43.10', '2001-12-14T21:59:43Z', '2001-1-2',
  '2001-13-45', '20011214',
  // strings that only look like numbers
  '1.2.3.4', '10.0.0.1', '1Gi', '500m', '0.5Gi', '1e3Mi', 'v1.2', '1,000', '1 000', '12:30:45.123456789',
  '0x1F_', '=', '<<x', 'e', 'E', 'o', 'Off-peak', 'f', 't',
];

/** Scalars with a non-plain style or an explicit tag, as written. */
export const STYLED: string[] = [
  "'0440'", '"yes"', '"22:30"', "'~'", '!!str 0440', '!!str yes', '!!int "12"', '!!int 0x10', '!!float 1', '!!float "2.5"',
  '!!bool yes', '!!bool "on"', '!!null ~', '!!timestamp 2001-12-14', '!!binary aGVsbG8=', '!custom 5', '! 5', '"\\t0440"',
  // strings a YAML 1.1 writer may leave unquoted although go-yaml v2 reads them as numbers
  "'0o17'", "'0O17'", "'0X1F'", "'0B11'", "'0b+101'", "'0b-101'", "'1e3'", "'09'", "'+0x10'", "'1_000'", "'.5_5'", "'1.'", "'-0.0'",
];

/** Keys (plain) as written: each in its own one-key map, so that keys equal after conversion do not collide. */
export const KEYS: string[] = [
  '1', '0x10', '0440', '1.5', '1e3', 'yes', 'y', 'on', 'true', 'No', '22:30', '2001-12-14', '1_000', '0.1',
  '3.14159265', '1234567.0', '0.00001', '0.0001', '-1.5', '+1', '1e-7', '100000', '1000000.5', '9223372036854775807',
  '-9223372036854775808', '.inf', '-.inf', '.nan', '0o17', 'plain', '"quoted"', '~x', '12345678901234567890.0',
];

/** Scalars Kubernetes' reader refuses in a document: non-finite numbers have no JSON form. */
export const REFUSED_VALUES = ['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '-.inf', '+.inf', '-.Inf'];
/** Keys Kubernetes' reader refuses. */
export const REFUSED_KEYS = ['~', 'null', '18446744073709551615', '9223372036854775808'];

/** Leave out what some tools refuse: merge keys and aliases (ytt), explicit tags like `!!bool yes` and keys that are not strings (kustomize). */
export interface CorpusOptions {
  anchors?: boolean;
  tags?: boolean;
  keys?: boolean;
}

/** Every leaf where the two differ, as `path: reference vs kiln` (empty when equal). */
export function differences(ref: unknown, got: unknown, at = ''): string[] {
  if (ref && got && typeof ref === 'object' && typeof got === 'object') {
    if (Array.isArray(ref) !== Array.isArray(got)) return [`${at}: ${shown(ref)} vs ${shown(got)}`];
    const keys = new Set([...Object.keys(ref), ...Object.keys(got)]);
    return [...keys].flatMap((k) => differences((ref as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${at}.${k}`));
  }
  // a float64 beyond 2^53 prints as the digits of an integer: the same JSON text is the same value
  const same = Object.is(ref, got) || ((typeof ref === 'bigint' || typeof got === 'bigint') && String(ref) === String(got));
  return same ? [] : [`${at}: ${shown(ref)} vs ${shown(got)}`];
}

const pad = (i: number) => String(i).padStart(3, '0');

/** The corpus as the `spec` of one object (values by index, keys, styles, merges, a block scalar). */
export function corpusSpec(indent: string, opts: CorpusOptions = {}): string {
  const lines: string[] = [];
  lines.push('values:');
  SCALARS.forEach((s, i) => lines.push(`  v${pad(i)}: ${s}`));
  lines.push('styled:');
  STYLED.forEach((s, i) => {
    if (opts.tags !== false || !s.startsWith('!')) lines.push(`  s${pad(i)}: ${s}`);
  });
  lines.push('list:');
  for (const s of SCALARS.filter((s) => s !== '' && !s.startsWith('-') && !s.startsWith('+') && !s.startsWith('.'))) lines.push(`  - ${s}`);
  if (opts.keys !== false) {
    lines.push('keys:');
    for (const k of KEYS) lines.push(`  - ${k}: k`);
  }
  if (opts.anchors !== false) {
    lines.push('base: &base {a: 1, b: 2}');
    lines.push('mergeBefore: {a: 0, <<: *base}');
    lines.push('mergeAfter: {<<: *base, a: 0}');
    lines.push('mergeList: {<<: [*base, {a: 9, c: 3}]}');
    lines.push('alias: *base');
  }
  lines.push('literal: |');
  lines.push('  0440');
  lines.push('  22:30');
  lines.push('folded: >-');
  lines.push('  yes');
  lines.push(opts.keys !== false ? 'flow: [0440, yes, 22:30, {on: 0x10, 1e3: .5}]' : 'flow: [0440, yes, 22:30, {a: 0x10}]');
  return lines.map((l) => indent + l).join('\n') + '\n';
}

/** One object of kind Corpus holding the corpus, then a second document with a few of its scalars. */
export function corpusManifest(name = 'corpus', opts: CorpusOptions = {}): string {
  return `apiVersion: test.kiln.dev/v1\nkind: Corpus\nmetadata:\n  name: ${name}\nspec:\n${corpusSpec('  ', opts)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-cm\ndata:\n  maintenance-window: 22:30\n  built-at: 2001-12-14t21:59:43.10-05:00\n  mode: "0440"\n`;
}
