/** `createNamespaces: true` emits the Namespaces a profile's components use, once per cluster, through publish. Real git. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { branchFiles, gitIn, showFile } from '../helpers/fleet-repo.js';
import { writeFiles } from '../security/fleet.js';

const doc = (kind: string, name: string, spec: string) => `apiVersion: kiln.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec:\n${spec}`;
const cm = (name: string, ns?: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}${ns ? `, namespace: ${ns}` : ''} }\n`;

let dir: string;
let root: string;
let remote: string;
const branch = 'rendered/dev/a';
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-create-ns-'));
  root = path.join(dir, 'fleet');
  remote = path.join(dir, 'remote.git');
  writeFiles(root, {
    'kiln.yaml': doc('Fleet', 't', '  environments: [{ name: dev }]\n  kubeVersion: "1.31.0"\n'),
    'clusters/a.yaml': doc('Cluster', 'a', '  environment: dev\n'),
    // base renders Namespace "shared" itself: nobody else may add it
    'profiles/base.yaml': doc('Profile', 'base', '  clusters: [a]\n  components: [{ name: m, manifests: { paths: [base] } }]\n'),
    'base/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shared, labels: { owner: base } }\n',
    'profiles/web.yaml': doc(
      'Profile',
      'web',
      '  clusters: [a]\n  namespace: web\n  createNamespaces: true\n  components:\n    - { name: m, manifests: { paths: [web] } }\n    - { name: chart, helm: { chart: charts/mon, releaseName: mon, namespace: monitoring } }\n',
    ),
    'web/objs.yaml': [cm('in-web'), cm('in-shared', 'shared'), cm('in-extra', 'extra'), cm('in-default', 'default'), 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: reader, namespace: stray }\nrules: []\n'].join('---\n'),
    'charts/mon/Chart.yaml': 'apiVersion: v2\nname: mon\nversion: 1.0.0\n',
    'charts/mon/templates/cr.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: x }\nrules: []\n',
    // also uses "extra", after web in profile order: it is created once, by web
    'profiles/zz.yaml': doc('Profile', 'zz', '  clusters: [a]\n  namespace: extra\n  createNamespaces: true\n  components: [{ name: m, manifests: { paths: [zz] } }]\n'),
    'zz/objs.yaml': cm('zz'),
  });
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(root, 'init', '--quiet', '-b', 'main');
  gitIn(root, 'remote', 'add', 'origin', remote);
  gitIn(root, 'add', '-A');
  gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'fleet');
  gitIn(root, 'update-ref', 'refs/remotes/origin/main', 'HEAD'); // stands for a push: publish refuses unpushed source commits
  const r = await kiln('publish', '--cwd', root);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createNamespaces: true', () => {
  it('publishes one Namespace per namespace the profile uses (objects and Helm release), none the render already has, none for default', () => {
    const namespaces = branchFiles(remote, branch).filter((f) => /\/namespace--/.test(f));
    expect(namespaces).toEqual(['manifests/base/namespace--shared.yaml', 'manifests/web/namespace--extra.yaml', 'manifests/web/namespace--monitoring.yaml', 'manifests/web/namespace--web.yaml']);
    expect(showFile(remote, branch, 'manifests/web/namespace--web.yaml')).toBe('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n');
    expect(showFile(remote, branch, 'manifests/base/namespace--shared.yaml')).toMatch(/owner: base/);
  });

  it('the branch diffs clean against a new render (deterministic, nothing re-added)', async () => {
    const r = await kiln('diff', '--cwd', root, '--exit-code');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
