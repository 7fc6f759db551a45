/** The structural validator on Kubernetes' own schemas (the 1.31 set from setup) and CRD-style schemas. */
import { describe, expect, it } from 'vitest';
import { openSchemaSets, schemaSetsDir } from '../../src/check/schemas.js';
import { validateStructural, type SchemaNode } from '../../src/check/structural.js';

const deployment = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' }, creationTimestamp: null },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, ...spec },
});

describe('Kubernetes OpenAPI sets', () => {
  it('has one set per minor from 1.28, and a patch version uses its minor', async () => {
    const sets = await openSchemaSets(schemaSetsDir());
    expect(sets.minors[0]).toBe('1.28');
    expect(sets.minors).toContain('1.34');
    expect((await sets.forVersion('1.31.4'))?.minor).toBe('1.31');
    expect((await sets.forVersion('v1.31'))?.kubernetes).toMatch(/^v1\.31\.\d+$/);
    expect(await sets.forVersion('1.24.3')).toBeUndefined();
  });

  it('accepts a valid Deployment (nulls are unset fields, int-or-string and quantities either way)', async () => {
    const set = (await (await openSchemaSets(schemaSetsDir())).forVersion('1.31.0'))!;
    const ok = deployment({
      replicas: 2,
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web', image: 'nginx:1', resources: { limits: { cpu: 0.5, memory: '128Mi' } }, ports: [{ containerPort: 80 }] }] } },
    });
    expect(validateStructural(ok, { $ref: set.gvk['apps/v1/Deployment']! }, set.defs)).toEqual([]);
  });

  it('reports wrong types, unknown fields, missing required fields and 32-bit overflows by path', async () => {
    const set = (await (await openSchemaSets(schemaSetsDir())).forVersion('1.31.0'))!;
    const bad = deployment({ replicas: 'two', paused: 'yes', revisionHistoryLimit: 2 ** 40, selector: undefined, strategy: { rollingUpdate: { maxSurge: true } }, bogus: 1 });
    (bad.spec.template.spec.containers[0] as Record<string, unknown>).imagePullPolice = 'Always';
    (bad.metadata.labels as Record<string, unknown>)['x.y/z'] = 3;
    const issues = validateStructural(bad, { $ref: set.gvk['apps/v1/Deployment']! }, set.defs);
    expect(issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual(
      [
        'metadata.labels[x.y/z]: expected a string, got integer 3',
        'spec.bogus: unknown field',
        'spec.paused: expected a boolean, got string "yes"',
        'spec.replicas: expected an integer, got string "two"',
        `spec.revisionHistoryLimit: ${2 ** 40} does not fit a 32-bit integer`,
        'spec.selector: required field is missing',
        'spec.strategy.rollingUpdate.maxSurge: expected an integer or a string, got boolean true',
        'spec.template.spec.containers[0].imagePullPolice: unknown field',
      ].sort(),
    );
  });
});

describe('CRD-style schemas', () => {
  const schema: SchemaNode = {
    type: 'object',
    'x-kubernetes-embedded-resource': true,
    properties: {
      spec: {
        type: 'object',
        required: ['size'],
        properties: {
          size: { type: 'integer', minimum: 1, maximum: 10 },
          color: { type: 'string', enum: ['red', 'green'] },
          name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
          port: { 'x-kubernetes-int-or-string': true },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  };
  const cr = (spec: Record<string, unknown>) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', anything: 1 }, spec });

  it('apiVersion, kind and metadata come from the envelope; preserve-unknown-fields is open', () => {
    expect(validateStructural(cr({ size: 3, color: 'red', name: 'abc', port: 'http', free: { a: { b: 1 } }, tags: ['x'], labels: { a: 'b' } }), schema, {})).toEqual([]);
  });

  it('enforces enums, bounds, patterns, lengths, item counts and map value types', () => {
    const issues = validateStructural(cr({ size: 11, color: 'blue', name: 'ABCDEFG', port: 1.5, tags: ['a', 'b', 'c'], labels: { a: 1 }, extra: true }), schema, {});
    expect(issues.map((i) => i.path).sort()).toEqual(['spec.color', 'spec.extra', 'spec.labels.a', 'spec.name', 'spec.name', 'spec.port', 'spec.size', 'spec.tags'].sort());
    expect(validateStructural(cr({}), schema, {})).toEqual([{ path: 'spec.size', message: 'required field is missing' }]);
  });
});
