/**
 * kiln reads YAML the way Kubernetes does: its parse of a corpus of tricky scalars equals, value by
 * value, what sigs.k8s.io/yaml (the real reader, test/tools/k8s-yaml-json) makes of the same text,
 * and what kiln writes reads back the same.
 */
import { describe, expect, it } from 'vitest';
import { parseK8sYaml, parseManifests } from '../../src/manifests/parse.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import { corpusManifest, differences, k8sRead, k8sTry, KEYS, REFUSED_KEYS, REFUSED_VALUES, SCALARS, STYLED } from '../helpers/k8s-yaml.js';

describe('kiln reads YAML as Kubernetes does', () => {
  const text = corpusManifest();

  it('parses the corpus to the reference reader\'s values, value by value', () => {
    const ref = k8sRead(text);
    const got = parseK8sYaml(text, { source: 'corpus' });
    expect(differences(ref, got)).toEqual([]);
    // the examples, spelled out
    const cm = (got[1] as { data: Record<string, unknown> }).data;
    expect(cm['maintenance-window']).toBe('22:30');
    expect(cm['built-at']).toBe('2001-12-14t21:59:43.10-05:00');
  });

  it('reads each scalar alone, as a value and as a key, like the reference', () => {
    const docs = [
      ...[...SCALARS, '-0.0', '-0'].map((s) => `v: ${s}\n`),
      ...STYLED.map((s) => `v: ${s}\n`),
      ...KEYS.map((k) => `${k}: v\n`),
    ].join('---\n');
    expect(differences(k8sRead(docs), parseK8sYaml(docs, { source: 'scalars' }))).toEqual([]);
  });

  it('writes objects that read back as the same values', () => {
    const objs = parseManifests(text, { source: 'corpus' });
    const written = objs.map(serializeObject).join('---\n');
    expect(differences(k8sRead(written), objs)).toEqual([]);
    expect(differences(k8sRead(written), k8sRead(text))).toEqual([]);
    const zero = parseManifests('apiVersion: v1\nkind: X\nmetadata: {name: x}\nf: -0.0\ni: -0\n', { source: 'zero' });
    expect(differences(k8sRead(zero.map(serializeObject).join('---\n')), zero)).toEqual([]);
    expect(Object.is((zero[0] as unknown as { f: number }).f, -0)).toBe(true);
  });

  it('refuses what the reference refuses, naming it', () => {
    for (const v of REFUSED_VALUES) {
      expect(k8sTry(`v: ${v}\n`).error).toBeTruthy();
      expect(() => parseK8sYaml(`v: ${v}\n`, { source: 'x.yaml' })).toThrow(/x\.yaml: [-.a-z]+ has no JSON form/);
    }
    for (const k of REFUSED_KEYS) {
      expect(k8sTry(`${k}: v\n`).error).toMatch(/unsupported map key/);
      expect(() => parseK8sYaml(`${k}: v\n`, { source: 'x.yaml' })).toThrow(/x\.yaml: .*map key/);
    }
  });
});
