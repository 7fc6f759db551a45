/** A custom kind's scope comes from the CRDs the whole fleet renders, whatever a run selects, then from kiln.yaml. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

const doc = (kind: string, name: string, spec: string) => `apiVersion: kiln.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

/** Cluster a renders the Widget CRD (cluster-scoped); a and b both get a Widget and a Thing nobody declares. */
function fleet(kindScopes = ''): string {
  const root = tmp('kiln-scopes-');
  dirs.push(root);
  put(root, 'kiln.yaml', doc('Fleet', 't', `{ environments: [{ name: dev }]${kindScopes} }`));
  put(root, 'clusters/c.yaml', [doc('Cluster', 'a', '{ environment: dev }'), doc('Cluster', 'b', '{ environment: dev }')].join('---\n'));
  put(root, 'profiles/crds.yaml', doc('Profile', 'crds', '{ clusters: [a], components: [{ name: crds, manifests: { paths: [crds] } }] }'));
  put(root, 'crds/widget.yaml', 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: widgets.example.com }\nspec:\n  group: example.com\n  scope: Cluster\n  names: { kind: Widget, plural: widgets }\n  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]\n');
  put(root, 'profiles/apps.yaml', doc('Profile', 'apps', '{ clusters: [a, b], namespace: apps, components: [{ name: objs, manifests: { paths: [apps] } }] }'));
  put(root, 'apps/objs.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w1 }\n---\napiVersion: unknown.io/v1\nkind: Thing\nmetadata: { name: t1 }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n');
  return root;
}

/** The rendered objects of one cluster's profile, file name → text. */
function objectsOf(out: string, cluster: string, profile: string): Map<string, string> {
  return new Map([...readTree(path.join(out, cluster, 'manifests', profile))]);
}
const find = (files: Map<string, string>, re: RegExp) => [...files.values()].find((t) => re.test(t)) ?? '';

describe('kind scopes across the fleet', () => {
  it('a --cluster run takes a Widget\'s scope from the CRD another cluster renders, writes what a whole-fleet run writes, and warns about the kind nobody knows', async () => {
    const root = fleet();
    const one = await kiln('render', '--cwd', root, '--cluster', 'b', '--out', path.join(root, 'one'), '--concurrency', '4');
    expect(one.code, one.stderr).toBe(0);
    const b = objectsOf(path.join(root, 'one'), 'b', 'apps');
    expect(find(b, /kind: Widget/)).not.toMatch(/namespace:/);
    expect(find(b, /kind: Thing/)).toMatch(/namespace: apps/);
    expect(find(b, /kind: ConfigMap/)).toMatch(/namespace: apps/);
    expect(one.stderr).toMatch(/profile "apps", component "objs": unknown\.io\/Thing t1 has no namespace, .*taken as namespaced \(namespace "apps"\)\. Declare it: spec\.kindScopes: \[\{group: "unknown\.io", kind: Thing, scope: Namespaced\}\]/);
    expect(one.stderr).not.toMatch(/example\.com\/Widget w1 has no namespace/);
    const all = await kiln('render', '--cwd', root, '--out', path.join(root, 'all'));
    expect(all.code, all.stderr).toBe(0);
    expect(readTree(path.join(root, 'all', 'b'))).toEqual(readTree(path.join(root, 'one', 'b')));
  });

  it('the fleet scan renders other clusters\' components: their failure is named with what the scan was for, and a declaration avoids it', async () => {
    const root = fleet();
    put(root, 'profiles/broken.yaml', doc('Profile', 'broken', '{ clusters: [a], components: [{ name: bad, manifests: { paths: [broken] } }] }'));
    put(root, 'broken/x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: [unclosed\n');
    const r = await kiln('render', '--cwd', root, '--cluster', 'b', '--out', path.join(root, 'out'), '--concurrency', '4');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reading the scope of custom kinds from the CRDs the whole fleet renders: .*broken/);
    expect(r.stderr).toMatch(/declare the kinds in kiln\.yaml spec\.kindScopes/);
    put(root, 'kiln.yaml', doc('Fleet', 't', '{ environments: [{ name: dev }], kindScopes: [{ group: example.com, kind: Widget, scope: Cluster }, { group: unknown.io, kind: Thing, scope: Namespaced }] }'));
    const ok = await kiln('render', '--cwd', root, '--cluster', 'b', '--out', path.join(root, 'out2'), '--concurrency', '4');
    expect(ok.code, ok.stderr).toBe(0);
    expect(find(objectsOf(path.join(root, 'out2'), 'b', 'apps'), /kind: Widget/)).not.toMatch(/namespace:/);
  });

  it('spec.kindScopes settles a kind no CRD of the fleet describes: no warning, no namespace', async () => {
    const root = fleet(', kindScopes: [{ group: unknown.io, kind: "*", scope: Cluster }]');
    const r = await kiln('render', '--cwd', root, '--cluster', 'b', '--out', path.join(root, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(find(objectsOf(path.join(root, 'out'), 'b', 'apps'), /kind: Thing/)).not.toMatch(/namespace:/);
    expect(r.stderr).not.toMatch(/spec\.kindScopes/);
  });

  it('a declaration that contradicts a CRD the cluster renders is refused, naming kiln.yaml', async () => {
    const root = fleet(', kindScopes: [{ group: example.com, kind: Widget, scope: Namespaced }]');
    const r = await kiln('render', '--cwd', root, '--cluster', 'a', '--out', path.join(root, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kiln\.yaml:\d+:\d+.*spec\.kindScopes declares example\.com\/Widget Namespaced, but the CRD rendered for cluster "a" says Cluster/);
    expect(readFileSync(path.join(root, 'kiln.yaml'), 'utf8')).toMatch(/kindScopes/);
  });
});

describe('spec.kindScopes in validate', () => {
  it('refuses a kind declared twice and a group Kubernetes serves itself, naming the entries', async () => {
    const root = fleet(', kindScopes: [{ group: example.com, kind: Widget, scope: Cluster }, { group: example.com, kind: Widget, scope: Namespaced }, { group: apps, kind: Deployment, scope: Cluster }]');
    const r = await kiln('validate', '--cwd', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kiln\.yaml:\d+:\d+: spec\.kindScopes\[1\]: example\.com\/Widget is declared twice \(also spec\.kindScopes\[0\]\)/);
    expect(r.stderr).toMatch(/spec\.kindScopes\[2\]\.group: "apps" is not a custom resource group/);
  });
});
