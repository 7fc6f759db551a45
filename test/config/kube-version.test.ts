/** A cluster rendering a Helm chart without kubeVersion is a validate error (Helm would assume v1.20.0). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { tmp } from '../helpers/tools.js';

function fleet(fleetExtra: string, clusterSpec: string): string {
  const root = tmp('kiln-kv-');
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  put('kiln.yaml', `apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n${fleetExtra}`);
  put('clusters/c.yaml', `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: old }\nspec: { environment: dev${clusterSpec} }\n---\napiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: plain-only }\nspec: { environment: dev }\n`);
  put('charts/app/Chart.yaml', 'apiVersion: v2\nname: app\nversion: 0.1.0\nkubeVersion: ">=1.21.0-0"\n');
  put('charts/app/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata: { k8s: "{{ .Capabilities.KubeVersion.Version }}" }\n');
  put('manifests/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: app }\n');
  put('profiles/app.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: app }\nspec:\n  clusters: [old]\n  namespace: app\n  components:\n    - name: app\n      helm: { chart: charts/app, releaseName: app }\n');
  put('profiles/ns.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: ns }\nspec:\n  clusterSelector: {}\n  components:\n    - name: ns\n      manifests: { paths: [manifests/ns.yaml] }\n');
  dirs.push(root);
  return root;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) execFileSync('rm', ['-rf', d]);
});

describe('kubeVersion', () => {
  it('validate refuses a cluster that renders a chart without one, naming the file, field and fix', async () => {
    const r = await kiln('validate', '--cwd', fleet('', ''));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/clusters\/c\.yaml:\d+:\d+/);
    expect(r.stderr).toMatch(/cluster "old" has no kubeVersion: Helm would render app\/app for its default Kubernetes \(v1\.20\.0\)/);
    expect(r.stderr).toMatch(/spec\.kubeVersion/);
    expect(r.stderr).not.toMatch(/plain-only/); // no chart, no Capabilities: nothing to get wrong
  });

  it('a fleet-wide default or the cluster\'s own version satisfies it and reaches Helm', async () => {
    const own = await kiln('validate', '--cwd', fleet('', ', kubeVersion: "1.31.4"'));
    expect(own.code, own.stderr).toBe(0);
    const root = fleet('  kubeVersion: "1.30.2"\n', '');
    const v = await kiln('validate', '--cwd', root);
    expect(v.code, v.stderr).toBe(0);
    const out = path.join(root, 'out');
    const r = await kiln('render', '--cwd', root, '--out', out, '--cluster', 'old');
    expect(r.code, r.stderr).toBe(0);
    expect(execFileSync('cat', [path.join(out, 'old/manifests/app/app--configmap--app.yaml')], { encoding: 'utf8' })).toMatch(/k8s: v1\.30\.2/);
  });

  it('render warns and goes on, and Helm says why the chart fails', async () => {
    const r = await kiln('render', '--cwd', fleet('', ''), '--out', path.join(tmp(), 'o'));
    expect(r.stderr).toMatch(/cluster "old" has no kubeVersion/);
    expect(r.stderr).toMatch(/kubeVersion.*incompatible|incompatible.*kubeVersion|v1\.20\.0/);
  });
});
