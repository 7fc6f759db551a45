/** Charts that render differently every time are named: chart, object, and the value that pins it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartTemplates, findNondeterministic } from '../../src/render/nondeterminism.js';
import { kiln } from '../helpers/cli.js';
import { tmp, which } from '../helpers/tools.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) execFileSync('rm', ['-rf', d]);
});

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

/** Grafana's pattern: a helper makes the password with randAlphaNum unless an existing Secret is named. */
function grafanaLike(root: string, dir: string): void {
  put(root, `${dir}/Chart.yaml`, 'apiVersion: v2\nname: grafana\nversion: 8.0.0\n');
  put(root, `${dir}/values.yaml`, 'admin:\n  existingSecret: ""\n  user: admin\n');
  put(root, `${dir}/templates/_helpers.tpl`, '{{- define "grafana.password" -}}\n{{- $s := lookup "v1" "Secret" .Release.Namespace "grafana" -}}\n{{- if $s }}{{ index $s.data "admin-password" }}{{ else }}{{ randAlphaNum 40 | b64enc }}{{ end -}}\n{{- end -}}\n');
  put(root, `${dir}/templates/secret.yaml`, '{{- if not .Values.admin.existingSecret }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-grafana\ndata:\n  admin-user: {{ .Values.admin.user | b64enc }}\n  admin-password: {{ include "grafana.password" . }}\n{{- end }}\n');
  put(root, `${dir}/templates/cm.yaml`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-grafana\ndata:\n  stable: "yes"\n');
}

describe('non-deterministic charts', () => {
  it('render warns with the chart, the object and the value to set; quiet once it is set', async () => {
    const root = tmp('kiln-nondet-');
    dirs.push(root);
    put(root, 'kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n  kubeVersion: "1.31.0"\n');
    put(root, 'clusters/c.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { environment: dev }\n---\napiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c2, labels: { pinned: "true" } }\nspec: { environment: dev }\n');
    grafanaLike(root, 'charts/grafana');
    put(root, 'profiles/mon.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: mon }\nspec:\n  clusters: [c1]\n  namespace: mon\n  allowSecrets: true\n  components:\n    - name: grafana\n      helm: { chart: charts/grafana, releaseName: mon }\n');
    put(root, 'profiles/pinned.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: pinned }\nspec:\n  clusters: [c2]\n  namespace: mon\n  components:\n    - name: grafana\n      helm:\n        chart: charts/grafana\n        releaseName: mon\n        values: { admin: { existingSecret: grafana-admin } }\n');
    const r = await kiln('render', '--cwd', root, '--out', path.join(root, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/profile "mon", component "grafana": chart charts\/grafana: Secret\/mon-grafana \(templates\/secret\.yaml\) uses lookup, randAlphaNum: every render changes it, so every publish does; set admin\.existingSecret/);
    expect(r.stderr).toMatch(/set admin\.existingSecret[^\n]*\(`kiln check --determinism` names the fields; a profile's diffIgnore keeps diffs quiet about them\)/);
    expect(r.stderr).not.toMatch(/ConfigMap\/mon-grafana/);
    expect(r.stderr).not.toMatch(/profile "pinned"/); // existingSecret set: no generated Secret, no warning
  });

  it('finds it in a vendored or packaged subchart archive, with the subchart\'s value path', async () => {
    const root = tmp('kiln-nondet-pkg-');
    dirs.push(root);
    grafanaLike(root, 'src/grafana');
    put(root, 'src/stack/Chart.yaml', 'apiVersion: v2\nname: stack\nversion: 1.0.0\ndependencies:\n  - { name: grafana, version: 8.0.0, repository: "file://../grafana" }\n');
    put(root, 'src/stack/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    const helm = which('helm');
    execFileSync(helm, ['package', 'src/grafana', '-d', 'src/stack/charts'], { cwd: root, stdio: 'ignore' });
    execFileSync(helm, ['package', 'src/stack', '-d', 'pkg'], { cwd: root, stdio: 'ignore' });
    const want = [{ template: 'charts/grafana/templates/secret.yaml', funcs: ['lookup', 'randAlphaNum'], values: ['grafana.admin.existingSecret', 'grafana.admin.user'] }];
    // the vendored directory (charts/grafana-8.0.0.tgz, as `helm dependency build` leaves it) and the packaged chart
    for (const chart of ['src/stack', 'pkg/stack-1.0.0.tgz']) {
      const t = await chartTemplates(path.join(root, chart));
      expect([...t.keys()].sort(), chart).toEqual(['charts/grafana/templates/_helpers.tpl', 'charts/grafana/templates/cm.yaml', 'charts/grafana/templates/secret.yaml', 'templates/cm.yaml']);
      expect(findNondeterministic(t), chart).toEqual(want);
    }
  });
});
