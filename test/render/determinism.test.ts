/** A chart with randAlphaNum: `check --determinism` names the fields; a profile's diffIgnore keeps diffs quiet while publish writes them. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldPaths } from '../../src/fleet/determinism.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, showFile } from '../helpers/fleet-repo.js';

let dir: string;
let root: string;
let remote: string;

function put(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}
const profile = (extra: string) =>
  `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: mon }\nspec:\n  clusters: [c1, c2]\n  namespace: mon\n  allowSecrets: true\n${extra}  components:\n    - name: grafana\n      helm: { chart: charts/grafana, releaseName: mon }\n`;
function commit(message: string): void {
  gitIn(root, 'add', '-A');
  gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', message);
  gitIn(root, 'update-ref', 'refs/remotes/origin/main', 'HEAD'); // stands for a push: publish refuses unpushed source commits
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-determinism-'));
  root = path.join(dir, 'fleet');
  remote = path.join(dir, 'remote.git');
  put('kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n  kubeVersion: "1.31.0"\n');
  put('clusters/c.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { environment: dev }\n---\napiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c2 }\nspec: { environment: dev }\n');
  // Grafana's pattern: a generated admin password, and a Deployment whose checksum annotation follows it
  put('charts/grafana/Chart.yaml', 'apiVersion: v2\nname: grafana\nversion: 8.0.0\n');
  put('charts/grafana/values.yaml', 'admin:\n  existingSecret: ""\n');
  put('charts/grafana/templates/secret.yaml', '{{- if not .Values.admin.existingSecret }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-grafana\ndata:\n  admin-user: {{ "admin" | b64enc }}\n  admin-password: {{ randAlphaNum 40 | b64enc }}\n{{- end }}\n');
  put('charts/grafana/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-grafana\ndata:\n  stable: "yes"\n');
  put('profiles/mon.yaml', profile(''));
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(root, 'init', '--quiet', '-b', 'main');
  gitIn(root, 'remote', 'add', 'origin', remote);
  commit('fleet');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check --determinism', () => {
  it('renders twice and names the object and the field that differ, on every cluster, nothing else', async () => {
    const r = await kiln('check', '--cwd', root, '--determinism', '--json');
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as { clusters: Array<{ cluster: string; findings: Array<Record<string, string>> }> };
    const found = json.clusters.flatMap((c) => c.findings.filter((f) => f.check === 'determinism'));
    expect(found.map((f) => [f.cluster, f.profile, f.object, f.path, f.severity, f.source])).toEqual([
      ['c1', 'mon', 'Secret mon-grafana', 'data.admin-password', 'error', 'profiles/mon.yaml'],
      ['c2', 'mon', 'Secret mon-grafana', 'data.admin-password', 'error', 'profiles/mon.yaml'],
    ]);
    expect(found[0]!.message).toMatch(/component "grafana" renders these fields differently every time/);
    // without the option nothing is rendered twice
    const plain = await kiln('check', '--cwd', root, '--json');
    expect(JSON.parse(plain.stdout).clusters.flatMap((c: { findings: Array<{ check: string }> }) => c.findings.filter((f) => f.check === 'determinism'))).toEqual([]);
  });

  it('field paths read as --ignore patterns', () => {
    expect(fieldPaths({ a: { 'b.c': 1, d: [1, 2] } }, { a: { 'b.c': 2, d: [1, 3] } }, [])).toEqual(['a[b.c]', 'a.d.1']);
    expect(fieldPaths({ a: [1] }, { a: [1, 2] }, [])).toEqual(['a']);
  });
});

describe('diffIgnore on a profile', () => {
  it('a diff shows the regenerated password beside a real change until the profile acknowledges it; publish still writes it', async () => {
    const pub = await kiln('publish', '--cwd', root);
    expect(pub.code, pub.stderr).toBe(0);
    // a real change re-renders the clusters: the regenerated password shows up beside it
    put('charts/grafana/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-grafana\ndata:\n  stable: "no"\n');
    commit('grafana: a real change');
    const kinds = (stdout: string) => (JSON.parse(stdout).groups as Array<{ objects: Array<{ kind: string }> }>).flatMap((g) => g.objects.map((o) => o.kind)).sort();
    const noisy = await kiln('diff', '--cwd', root, '--json');
    expect(noisy.code, noisy.stderr).toBe(0);
    expect(kinds(noisy.stdout)).toEqual(['ConfigMap', 'Secret']);

    put('profiles/mon.yaml', profile('  diffIgnore: ["Secret:data[admin-password]"]\n'));
    commit('mon: acknowledge the generated password');
    const quiet = await kiln('diff', '--cwd', root, '--json');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(kinds(quiet.stdout)).toEqual(['ConfigMap']);
    expect(JSON.parse(quiet.stdout).ignore).toContain('Secret:data[admin-password] (profile mon)');
    const check = await kiln('check', '--cwd', root, '--determinism');
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const pub2 = await kiln('publish', '--cwd', root);
    expect(pub2.code, pub2.stderr).toBe(0);
    expect(showFile(remote, 'rendered/dev/c1', 'manifests/mon/mon--secret--mon-grafana.yaml')).toMatch(/admin-password: [A-Za-z0-9+/=]{40,}/);
  });

  it('a broken pattern is a validate error naming the file and the field', async () => {
    put('profiles/mon.yaml', profile('  diffIgnore: ["data[unclosed"]\n'));
    const r = await kiln('validate', '--cwd', root);
    put('profiles/mon.yaml', profile(''));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/profiles\/mon\.yaml:\d+:\d+: spec\.diffIgnore\[0\]: diffIgnore "data\[unclosed": unclosed \[/);
  });
});
