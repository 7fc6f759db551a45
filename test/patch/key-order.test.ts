/** A post-patch keeps the tools' key order (kustomize itself writes every map sorted). */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/model.js';
import { applyPatches } from '../../src/patch/apply.js';
import { kustomizeTool, tmp } from '../helpers/tools.js';

const cm: K8sObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', namespace: 'n', labels: { zeta: '1', alpha: '2' }, annotations: { z: '1', a: '2' } },
  data: { z: '1', a: '2', m: '3' },
};

describe('patch key order', () => {
  it('keeps labels, annotations and data in the rendered order; added keys come after', async () => {
    const [out] = await applyPatches([cm], [{ target: { kind: 'ConfigMap' }, patch: '- { op: add, path: /metadata/labels/mid, value: "3" }\n' }], {
      kustomize: kustomizeTool(),
      tmpDir: tmp(),
      timeoutMs: 60_000,
      what: 'test',
    });
    expect(Object.keys(out!)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(Object.keys(out!.metadata.labels!)).toEqual(['zeta', 'alpha', 'mid']);
    expect(Object.keys(out!.metadata.annotations!)).toEqual(['z', 'a']);
    expect(Object.keys(out!.data as object)).toEqual(['z', 'a', 'm']);
    expect(out!.metadata.labels).toEqual({ zeta: '1', alpha: '2', mid: '3' });
  });
});
