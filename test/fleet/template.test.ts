import { describe, expect, it } from 'vitest';
import { parseYamlDocs } from '../../src/config/yaml-doc.js';
import { KilnError, KilnErrors } from '../../src/errors.js';
import { renderTemplateString, templateSyntaxErrors, templateValue, type TemplateScope } from '../../src/fleet/template.js';
import type { DocRef } from '../../src/model.js';

const scope: TemplateScope = {
  Cluster: { name: 'dev-1', environment: 'dev', labels: { tier: 'edge', 'topology.kubernetes.io/region': 'eu-west-1' }, kubeVersion: '1.31.4' },
  Vars: { replicas: 3, debug: true, domain: 'dev.example.com', resources: { cpu: '100m' }, zones: ['a', 'b'], db: { primary: { host: 'db1' } }, nothing: null },
};
const doc: DocRef = { file: 'p.yaml', locate: () => ({ file: 'p.yaml', line: 1, col: 1 }) };
const t = (v: unknown) => templateValue(v, scope, { doc, path: ['spec'] });
function err(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return e as KilnError;
  }
  throw new Error('expected a KilnError');
}

describe('templateValue', () => {
  it.each<[string, unknown]>([
    ['{{ .Vars.replicas }}', 3],
    ['{{.Vars.replicas}}', 3],
    ['{{ .Vars.debug }}', true],
    ['{{ .Vars.resources }}', { cpu: '100m' }],
    ['{{ .Vars.zones }}', ['a', 'b']],
    ['{{ .Vars.nothing }}', null],
    ['{{ .Vars.db.primary.host }}', 'db1'],
    ['{{ .Vars.zones.1 }}', 'b'],
    ['{{ index .Vars "db" }}', { primary: { host: 'db1' } }],
    ['{{ .Cluster.name }}', 'dev-1'],
    ['{{ .Cluster.environment }}', 'dev'],
    ['{{ .Cluster.kubeVersion }}', '1.31.4'],
    ['{{ .Cluster.labels.tier }}', 'edge'],
    ['{{ .Cluster.labels.topology.kubernetes.io/region }}', 'eu-west-1'],
    ['{{ index .Cluster.labels "topology.kubernetes.io/region" }}', 'eu-west-1'],
    ['{{ index .Vars.db "primary" "host" }}', 'db1'],
    ['{{ index .Vars.zones 0 }}', 'a'],
    ['replicas={{ .Vars.replicas }}', 'replicas=3'],
    ['{{ .Vars.debug }}!', 'true!'],
    ['r: {{ .Vars.resources }}', 'r: {"cpu":"100m"}'],
    ['{{ .Cluster.name }}.{{ .Vars.domain }}', 'dev-1.dev.example.com'],
    ['a  {{- .Cluster.name -}}  b', 'adev-1b'],
    ['{{ "{{" }} .Release.Name }}', '{{ .Release.Name }}'],
    ['{{ `{{ .Values.x }}` }}', '{{ .Values.x }}'],
    ['{{ 42 }}', 42],
    ['no template }} here', 'no template }} here'],
  ])('%s', (input, expected) => {
    expect(t(input)).toEqual(expected);
  });

  it('walks maps and lists but leaves keys and non-strings alone', () => {
    expect(t({ '{{ .Cluster.name }}': ['{{ .Vars.replicas }}', 1, false, null], n: { m: 'x-{{ .Cluster.environment }}' } })).toEqual({
      '{{ .Cluster.name }}': [3, 1, false, null],
      n: { m: 'x-dev' },
    });
  });

  it('returns copies, never the cluster vars themselves', () => {
    const r = t('{{ .Vars.resources }}') as Record<string, string>;
    r.cpu = 'x';
    expect(scope.Vars.resources).toEqual({ cpu: '100m' });
  });

  it('names the expression, the cluster and the available keys for a missing var', () => {
    const e = err(() => t({ values: { replicas: '{{ .Vars.replica }}' } }));
    expect(e.oneLine()).toBe('p.yaml:1:1: spec.values.replicas: {{ .Vars.replica }}: cluster "dev-1" has no var "replica" (did you mean "replicas"?; vars: db, debug, domain, nothing, replicas, resources, zones)');
    expect(err(() => t('{{ .Vars.db.replica.host }}')).message).toBe('{{ .Vars.db.replica.host }}: cluster "dev-1" has no var "db.replica"');
    expect(err(() => t('{{ .Vars.constructor }}')).message).toBe('{{ .Vars.constructor }}: cluster "dev-1" has no var "constructor"');
    expect(err(() => t('{{ .Vars.zones.length }}')).message).toBe('{{ .Vars.zones.length }}: cluster "dev-1" has no var "zones.length"');
    expect(err(() => t('{{ .Vars.domain.x }}')).message).toBe('{{ .Vars.domain.x }}: cluster "dev-1": var "domain" is a string, not a map');
    expect(err(() => t('{{ .Cluster.labels.zone }}')).oneLine()).toContain('cluster "dev-1" has no label "zone" (labels: tier, topology.kubernetes.io/region)');
    const noKube = { ...scope, Cluster: { name: 'x', environment: 'dev', labels: {} } };
    expect(err(() => templateValue('{{ .Cluster.kubeVersion }}', noKube, { doc, path: [] })).message).toBe('{{ .Cluster.kubeVersion }}: cluster "x" has no kubeVersion');
  });

  it('reports every broken string at once', () => {
    const e = err(() => t(['{{ .Vars.a }}', '{{ .Vars.b }}']));
    expect(e).toBeInstanceOf(KilnErrors);
    expect((e as KilnErrors).errors.map((x) => x.field)).toEqual(['spec[0]', 'spec[1]']);
  });

  it.each([
    ['{{ .Vars.x | upper }}', '"|" is not supported (no pipes)'],
    ['{{ upper .Vars.x }}', 'function "upper" is not supported'],
    ['{{ .Release.Name }}', 'unknown ".Release": only .Cluster and .Vars exist'],
    ['{{ .Cluster.region }}', '.Cluster has no field "region"'],
    ['{{ .Vars.x', '"{{" is not closed by "}}"'],
    ['{{ }}', 'empty {{ }}'],
    ['{{ index .Vars }}', 'index takes a reference and one or more quoted keys'],
    ['{{ .Vars..x }}', 'has an empty key'],
  ])('refuses unsupported syntax %s', (input, message) => {
    const e = err(() => t(input));
    expect(e.message).toContain(message);
    expect(e.hint).toContain('kiln templates support');
    expect(templateSyntaxErrors({ a: [input] }, { doc, path: ['spec'] }).map((x) => x.field)).toEqual(['spec.a[0]']);
  });

  it('renderTemplateString always gives a string', () => {
    expect(renderTemplateString('{{ .Vars.replicas }}', scope, { doc, path: [] })).toBe('3');
    expect(renderTemplateString('rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}', scope, { doc, path: [] })).toBe('rendered/dev/dev-1');
  });

  it('points at the templated string in the file', () => {
    const [d] = parseYamlDocs('spec:\n  components:\n    - name: web\n      helm:\n        values:\n          replicas: "{{ .Vars.replicaz }}"\n', 'profiles/web.yaml');
    const spec = (d!.value as { spec: unknown }).spec;
    const e = err(() => templateValue(spec, scope, { doc: d!.ref, path: ['spec'] }));
    expect(e.oneLine()).toMatch(/^profiles\/web\.yaml:6:21: spec\.components\[0\]\.helm\.values\.replicas: \{\{ \.Vars\.replicaz \}\}: cluster "dev-1" has no var "replicaz" \(did you mean "replicas"\?; vars: /);
  });
});
