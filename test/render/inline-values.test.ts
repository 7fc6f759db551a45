/**
 * Inline values mean what the same YAML means in a values file: Helm reads values files (and ytt
 * data values files) as Kubernetes reads YAML, so kiln reads inline `values`/`dataValues` that way.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

const VALUES = `defaultMode: 0440
crds: {enabled: yes}
window: 22:30
builtAt: 2001-12-14t21:59:43.10-05:00
date: 2024-01-02
big: 12345678901234567890
id: 9007199254740993
flags: [on, off, y, n, ~, "yes"]
hex: 0x1F
octal: 0o17
float: 1e3
ten: 010
`;
const indent = (s: string, by: string) => s.trimEnd().split('\n').map((l) => by + l).join('\n') + '\n';

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('inline values equal the same document in a values file', () => {
  const root = tmp('kiln-inline-');
  const out = tmp('kiln-inline-out-');
  let data: Map<string, string>;
  let render: Awaited<ReturnType<typeof kiln>>;
  beforeAll(async () => {
    put(root, 'kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n');
    put(root, 'clusters/c1.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { environment: dev, kubeVersion: "1.31.0" }\n');
    put(root, 'charts/show/Chart.yaml', 'apiVersion: v2\nname: show\nversion: 0.1.0\n');
    // a chart whose schema wants a boolean, as cert-manager's and kube-prometheus-stack's do
    put(root, 'charts/show/values.schema.json', JSON.stringify({ type: 'object', properties: { crds: { type: 'object', properties: { enabled: { type: 'boolean' } } } } }));
    put(root, 'charts/show/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: {{ .Release.Name }} }\ndata:\n  values: {{ toJson .Values | quote }}\n  mode: {{ printf "%o" (int .Values.defaultMode) | quote }}\n');
    put(root, 'values/doc.yaml', VALUES);
    put(root, 'ytt/cm.yaml', '#@ load("@ytt:data", "data")\n#@ load("@ytt:json", "json")\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: #@ data.values.name\ndata:\n  values: #@ json.encode(data.values)\n');
    put(root, 'ytt-values/doc.yaml', `name: ytt-file\n${VALUES}`);
    put(
      root,
      'profiles/p.yaml',
      `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: p }\nspec:\n  clusters: [c1]\n  namespace: p\n  components:\n` +
        `    - name: from-file\n      helm: { chart: charts/show, releaseName: from-file, valuesFiles: [values/doc.yaml] }\n` +
        `    - name: inline\n      helm:\n        chart: charts/show\n        releaseName: inline\n        values:\n${indent(VALUES, '          ')}` +
        `    - name: ytt-file\n      ytt: { paths: [ytt], dataValuesFiles: [ytt-values/doc.yaml] }\n` +
        `    - name: ytt-inline\n      ytt:\n        paths: [ytt]\n        dataValues:\n          name: ytt-inline\n${indent(VALUES, '          ')}`,
    );
    render = await kiln('render', '--cwd', root, '--out', out);
    data = new Map();
    if (render.code !== 0) return;
    for (const [f, text] of readTree(path.join(out, 'c1'))) {
      if (!f.startsWith('manifests/')) continue;
      const o = parse(text) as { metadata: { name: string }; data: { values: string } };
      data.set(o.metadata.name, o.data.values);
    }
  }, 300_000);
  afterAll(() => {
    for (const d of [root, out]) execFileSync('rm', ['-rf', d]);
  });

  it('helm: octal, yes, times, dates and large ints render the same inline as from a values file', () => {
    expect(render.code, render.stderr).toBe(0); // `yes` inline passes the chart's boolean schema
    expect(data.get('inline')).toBe(data.get('from-file'));
    const v = JSON.parse(data.get('inline')!);
    expect(v.defaultMode).toBe(288);
    expect(v.crds.enabled).toBe(true);
    expect(v.window).toBe('22:30');
    expect(v.builtAt).toBe('2001-12-14t21:59:43.10-05:00');
    expect(v.date).toBe('2024-01-02');
    expect(v.flags).toEqual([true, false, true, false, null, 'yes']);
    expect([v.hex, v.octal, v.float, v.ten]).toEqual([31, 15, 1000, 8]);
  });

  it('ytt: inline dataValues equal the same data values file', () => {
    const strip = (s: string) => {
      const o = JSON.parse(s);
      delete o.name;
      return o;
    };
    expect(strip(data.get('ytt-inline')!)).toEqual(strip(data.get('ytt-file')!));
    expect(strip(data.get('ytt-inline')!).defaultMode).toBe(288);
  });
});
