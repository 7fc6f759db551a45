/**
 * block-yaml.ts writes what the `yaml` library writes, byte for byte: every object file and every
 * `.kiln/metadata.yaml` of a branch goes through it. Compared here with the library itself over
 * the scalars YAML 1.1 and go-yaml v2 treat specially, and over random nestings of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseK8sYaml } from '../../src/manifests/parse.js';
import { libraryYaml, readBackValue, serializeData, serializeObject, yamlWrites } from '../../src/manifests/serialize.js';
import { projectRoot } from '../helpers/fleet-repo.js';

const STRINGS = [
  '', ' ', 'a', 'yes', 'No', 'ON', 'oN', 'y', 'Y', 'n', 'N', 'off', 'TRUE', 'False', '~', 'null', 'Null', 'NULL', 'true', '0644', '0o17', '0O17', '0x1F', '0X1f', '0b101', '0b+1',
  '1:30', '190:20:30', '1.30', '1.30.8', '1e3', '1E+3', '.inf', '-.Inf', '.NaN', '.5', '5.', '-', '- a', '-a', '--a', '?', '? a', '?a', ':', 'a:', 'a: b', 'a:b', 'a :b', 'a #b', 'a#b', '#a',
  '&a', '*a', '!a', '!!str', '|', '|-', '>', "'", "a'b", '"', 'a"b', '%a', '@a', '`a', '[a]', '{a}', 'a,b', 'a]', 'a}', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5',
  ' lead', 'trail ', 'multi\nline', 'trailing\n', 'tab\there', '\ttab', 'bell\u0007', 'é', '日本語', '---', '...', '--- a', '<<', '=', '==', 'sha256:abc0', '../x', '/abs', 'a/b.c', '-0', '+1',
  '+.5', '1_000', '0_1', '12', '-12', '007', '0.0', 'v1', 'v1.2.3', 'app.kubernetes.io/name', 'cluster=prod-1', 'namespaces=["a","b"]', '<inline-values>', 'a'.repeat(300), 'a '.repeat(100),
  'x\u2028y', 'back\\slash', 'ends:', 'http://x.y/z?q=1#f', '${VAR}', '{{ .Values }}', 'a\r\nb', '\ufeffbom',
];
const KEYS = ['apiVersion', 'kind', 'metadata', 'app.kubernetes.io/name', 'yes', 'on', 'null', '~', '80', '1.2', '0x1', 'a b', 'a:b', '', '-x', 'x-', '_x', 'key with space', 'y', 'é', '[k]', 'k#', '<<', 'True', '2001-12-14', 'k'.repeat(1000), 'k'.repeat(1024), 'k'.repeat(1025), 'sha256:k', 'a.b/c-d_e'];
const NUMBERS = [0, 1, -1, 1.5, -2.25, 1e21, 2 ** 53, 1e-7, 100, 3.0];

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const x = r();
  if (depth > 0 && x < 0.3) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) o[r() < 0.7 ? `k${Math.floor(r() * 9)}` : pick(KEYS)] = randomValue(r, depth - 1);
    return o;
  }
  if (depth > 0 && x < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth - 1));
  if (x < 0.8) return pick(STRINGS);
  if (x < 0.9) return pick(NUMBERS);
  return pick([true, false, null]);
}

describe('block YAML', () => {
  it('writes every special scalar as the library does, as a value, a sequence item and a key', () => {
    for (const s of [...STRINGS, ...NUMBERS, true, false, null]) {
      const cases = [{ apiVersion: 'v1', kind: 'ConfigMap', data: { k: s } }, { metadata: { name: 'x' }, list: [s, [s], { a: s }] }];
      for (const c of cases) {
        expect(serializeObject(c as never), JSON.stringify(s)).toBe(libraryYaml(c, 'object'));
        expect(serializeData(c), JSON.stringify(s)).toBe(libraryYaml(c, 'data'));
      }
    }
    for (const k of [...KEYS, ...STRINGS.filter((s) => !s.includes('\n'))]) {
      const c = { [k]: 'v', nested: { [k]: [{ [k]: 1 }] } };
      expect(serializeObject(c as never), JSON.stringify(k)).toBe(libraryYaml(c, 'object'));
      expect(serializeData(c), JSON.stringify(k)).toBe(libraryYaml(c, 'data'));
    }
  });

  it('lays out random nestings of maps, sequences and empty collections as the library does', () => {
    const r = rng(21);
    const before = { ...yamlWrites };
    for (let i = 0; i < 3000; i++) {
      const v = { apiVersion: 'v1', kind: 'K', metadata: { name: `n${i}` }, spec: randomValue(r, 4), list: randomValue(r, 3) };
      expect(serializeObject(v as never), `case ${i}: ${JSON.stringify(v)}`).toBe(libraryYaml(v, 'object'));
      const d = randomValue(r, 5);
      expect(serializeData(d), `case ${i}: ${JSON.stringify(d)}`).toBe(libraryYaml(d, 'data'));
    }
    // most of them without the library's document model (the rest: multi-line strings, odd keys, scalars at the top)
    const block = yamlWrites.block - before.block;
    const library = yamlWrites.library - before.library;
    expect(block + library).toBe(6000);
    expect(block).toBeGreaterThan(2500);
  });

  it('writes a branch metadata file and a plain Deployment without the library', () => {
    const before = { ...yamlWrites };
    const meta = { sourceRepo: '../remote.git', sourceCommit: 'a'.repeat(40), sourceRef: 'refs/heads/main', environment: 'prod', cluster: 'prod-eu-1', kilnVersion: '0.1.0', tools: { helm: 'v4.3.1' }, profiles: { base: { components: [{ name: 'base', engine: 'helm', command: ['helm', 'template', '--kube-version', '1.30.8', '-f', '<inline-values>'], inputHash: `sha256:${'b'.repeat(64)}` }], objects: 5 } }, objects: 5 };
    expect(serializeData(meta)).toBe(libraryYaml(meta, 'data'));
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], args: ['--port=80', 'on'] }] } } } };
    expect(serializeObject(deploy as never)).toBe(libraryYaml(deploy, 'object'));
    expect(yamlWrites.block - before.block).toBe(2);
    expect(yamlWrites.library - before.library).toBe(0);
  });

  it('writes the repository’s own manifests (fixtures, templates) as the library does', () => {
    const files = ['fixtures', 'templates', 'bench/assets'].flatMap((d) => {
      try {
        return readdirSync(path.join(projectRoot, d), { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(projectRoot, d, f));
      } catch {
        return [];
      }
    });
    let objects = 0;
    for (const f of files) {
      let docs: unknown[];
      const text = readFileSync(f, 'utf8');
      if (text.includes('{{')) continue; // chart templates: no YAML before helm renders them
      try {
        docs = parseAllDocuments(text).flatMap((d) => ('errors' in d && d.errors.length ? [] : [d.toJS()]));
      } catch {
        continue; // templates with placeholders that are no YAML
      }
      for (const o of docs) {
        if (!o || typeof o !== 'object' || Array.isArray(o)) continue;
        expect(serializeObject(o as never), f).toBe(libraryYaml(o, 'object'));
        objects++;
      }
    }
    expect(objects).toBeGreaterThan(20);
  });

  it('says what an object file reads back as, without the parse, only where the parse would give exactly that', () => {
    // the checks take this value instead of parsing the file kiln just wrote (check/run.ts)
    const r = rng(21);
    let known = 0;
    for (let i = 0; i < 3000; i++) {
      const o = { spec: randomValue(r, 4), kind: 'ConfigMap', metadata: { name: `c${i}`, labels: randomValue(r, 1) }, apiVersion: 'v1', data: randomValue(r, 3) };
      const v = readBackValue(o as never);
      if (v === undefined) continue;
      known++;
      const back = parseK8sYaml(serializeObject(o as never), { source: `case ${i}` })[0];
      expect(back, `case ${i}`).toStrictEqual(v);
      // key order too (findings follow it)
      expect(JSON.stringify(back)).toBe(JSON.stringify(v));
    }
    expect(known).toBeGreaterThan(1500);
    // an integer past 2^53 reads back as a bigint, not the number the object holds: no value is given
    for (const n of [2 ** 53, -(2 ** 60)]) {
      const o = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: { n } };
      expect(typeof (parseK8sYaml(serializeObject(o as never), { source: 'n' })[0] as { data: { n: unknown } }).data.n).toBe('bigint');
      expect(readBackValue(o as never)).toBeUndefined();
    }
    // a `<<` key is a merge to Kubernetes' reader: the file is for the parse to judge
    const merge = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { '<<': 'v' } };
    expect(() => parseK8sYaml(serializeObject(merge as never), { source: 'm' })).toThrow(/merge/);
    expect(readBackValue(merge as never)).toBeUndefined();
    // values JSON does not pin down: only a parse says what their file holds
    for (const odd of [new Date(0), BigInt(7), undefined, -0, Number.NaN, new Uint8Array([1])]) {
      expect(readBackValue({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { odd } } as never)).toBeUndefined();
    }
  });
});
