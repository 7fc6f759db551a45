import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifests/parse.js';
import { serializeObject } from '../../src/manifests/serialize.js';

describe('serialize', () => {
  it('quotes strings a YAML 1.1 reader (Kubernetes) would turn into booleans or numbers', () => {
    const text = serializeObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'on', b: 'yes', c: 'no', d: '0644', e: '1e3', f: 'true', g: '~', h: 'y', i: 'plain' },
    });
    const back = parseManifests(text, { source: 't' })[0]!;
    expect(back.data).toEqual({ a: 'on', b: 'yes', c: 'no', d: '0644', e: '1e3', f: 'true', g: '~', h: 'y', i: 'plain' });
    expect(text).toContain('i: plain');
  });

  it('reads YAML the way the API server does (1.1 booleans and octal)', () => {
    const [o] = parseManifests('apiVersion: v1\nkind: X\nmetadata: {name: x}\nspec: {mode: 0644, flag: on}\n', { source: 't' });
    expect(o!.spec).toEqual({ mode: 420, flag: true });
  });

  it('puts apiVersion, kind, metadata first and is deterministic', () => {
    const o = { spec: { z: 1, a: 2 }, metadata: { name: 'x' }, kind: 'K', apiVersion: 'v1' };
    const text = serializeObject(o);
    expect(text.split('\n').slice(0, 3)).toEqual(['apiVersion: v1', 'kind: K', 'metadata:']);
    expect(text).toContain('  z: 1\n  a: 2');
    expect(serializeObject(structuredClone(o))).toBe(text);
  });

  it('does not fold long strings', () => {
    const long = 'x '.repeat(200);
    const text = serializeObject({ apiVersion: 'v1', kind: 'K', metadata: { name: 'x' }, data: { long } });
    expect(text.split('\n').length).toBeLessThan(8);
  });

  it('flattens v1 Lists and rejects non-objects', () => {
    const objs = parseManifests('apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, metadata: {name: a}}\n- {apiVersion: v1, kind: B, metadata: {name: b}}\n---\n', { source: 't' });
    expect(objs.map((o) => o.kind)).toEqual(['A', 'B']);
    expect(() => parseManifests('apiVersion: v1\nkind: A\nmetadata: {}\n', { source: 'f.yaml' })).toThrow(/f.yaml: a A has no metadata.name/);
    expect(() => parseManifests('- 1\n', { source: 'f.yaml' })).toThrow(/expected Kubernetes objects/);
  });
});
