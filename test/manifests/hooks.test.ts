/**
 * Helm hooks and generateName objects per applier (spec.output.appliedBy): Argo CD gets them as
 * rendered (its PreSync hook Job with generateName included), Flux refuses what it cannot apply
 * unless the helm component chooses `hooks: keep | drop`. Real helm and kustomize, real git.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, readTree } from '../helpers/fleet-repo.js';
import { writeFiles } from '../security/fleet.js';

const PRESYNC = `apiVersion: batch/v1
kind: Job
metadata:
  generateName: upgrade-sql-schema
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: upgrade-sql-schema
          image: alpine:3.20
          command: ["echo", "v1"]
`;

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata: { a: "1" }\n',
  'charts/app/templates/hooks.yaml':
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{ name: m, image: alpine:3.20 }]\n' +
    '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\nspec:\n  restartPolicy: Never\n  containers: [{ name: t, image: alpine:3.20 }]\n',
};

function fleetYaml(appliedBy?: string): string {
  return `apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: hooks }\nspec:\n  environments: [{ name: dev }]\n${appliedBy ? `  output: { appliedBy: ${appliedBy} }\n` : ''}`;
}

function profile(opts: { hooks?: string; presync?: boolean; profileHooks?: string }): string {
  const comps = [`    - name: app\n      helm:\n        chart: charts/app\n${opts.hooks ? `        hooks: ${opts.hooks}\n` : ''}`];
  if (opts.presync) comps.push('    - name: schema\n      manifests: { paths: [hooks/presync.yaml] }\n');
  const patch = opts.presync
    ? '  patches:\n    - target: { kind: Job, annotationSelector: "argocd.argoproj.io/hook=PreSync" }\n      patch: |\n        - { op: add, path: /spec/backoffLimit, value: 2 }\n'
    : '';
  return `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: app }\nspec:\n  clusters: [dev-1]\n  namespace: app\n${opts.profileHooks ? `  hooks: ${opts.profileHooks}\n` : ''}  components:\n${comps.join('')}${patch}`;
}

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-hooks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh fleet repo (with a bare origin) for one case. */
function fleet(appliedBy: string | undefined, p: { hooks?: string; presync?: boolean; profileHooks?: string }): { root: string; remote: string } {
  const root = path.join(dir, `f${++n}`);
  const remote = path.join(dir, `r${n}.git`);
  writeFiles(root, {
    'kiln.yaml': fleetYaml(appliedBy),
    'clusters/dev.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: dev-1 }\nspec: { environment: dev, kubeVersion: "1.31.4" }\n',
    'profiles/app.yaml': profile(p),
    'hooks/presync.yaml': PRESYNC,
    ...CHART,
  });
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(root, 'init', '--quiet', '-b', 'main');
  gitIn(root, 'remote', 'add', 'origin', remote);
  commit(root, 'fleet');
  return { root, remote };
}

function commit(root: string, msg: string): void {
  gitIn(root, 'add', '-A');
  gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', msg);
}

async function renderFiles(root: string): Promise<{ code: number; stderr: string; files: Map<string, string> }> {
  const out = path.join(root, '..', `out-${path.basename(root)}`);
  const r = await kiln('render', '--cwd', root, '--out', out);
  return { code: r.code, stderr: r.stderr, files: r.code === 0 ? readTree(path.join(out, 'dev-1')) : new Map() };
}

const manifests = (files: Map<string, string>) => [...files.keys()].filter((f) => f.startsWith('manifests/')).sort();

describe('appliedBy: argocd', () => {
  it('keeps the generateName PreSync Job (stable file name, patched by kind + annotations) and the Helm hook; drops the test hook', async () => {
    const f = fleet('argocd', { presync: true });
    const r = await renderFiles(f.root);
    expect(r.code, r.stderr).toBe(0);
    const names = manifests(r.files);
    const presync = names.find((x) => /^manifests\/app\/app--job--upgrade-sql-schema-[0-9a-f]{8}\.yaml$/.test(x));
    expect(presync, names.join('\n')).toBeDefined();
    expect(names).toContain('manifests/app/app--job--app-migrate.yaml');
    expect(names).toContain('manifests/app/app--configmap--app.yaml');
    expect(names.some((x) => x.includes('app-test'))).toBe(false);
    const job = parse(r.files.get(presync!)!);
    expect(job.metadata).toEqual({ generateName: 'upgrade-sql-schema', namespace: 'app', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } });
    expect(job.spec.backoffLimit).toBe(2);

    // the same input renders the same file name again
    const again = await renderFiles(f.root);
    expect(manifests(again.files)).toEqual(names);
  });

  it('publishes it, diffs clean against the branch, and shows a content change as a change of that hook', async () => {
    const f = fleet('argocd', { presync: true });
    const pub = await kiln('publish', '--cwd', f.root, '--allow-unpushed');
    expect(pub.code, pub.stderr).toBe(0);
    const clean = await kiln('diff', '--cwd', f.root, '--json', '--exit-code');
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout).totals.changedClusters).toBe(0);

    writeFileSync(path.join(f.root, 'hooks/presync.yaml'), PRESYNC.replace('"v1"', '"v2"'));
    commit(f.root, 'schema v2');
    const d = await kiln('diff', '--cwd', f.root, '--json', '--exit-code');
    expect(d.code, d.stderr).toBe(2);
    const objects = JSON.parse(d.stdout).groups[0].objects as Array<{ kind: string; name: string; action: string }>;
    expect(objects.map((o) => `${o.action} ${o.kind} ${o.name.replace(/[0-9a-f]{8}$/, 'HASH')}`).sort()).toEqual(['added Job upgrade-sql-schema-HASH', 'removed Job upgrade-sql-schema-HASH']);
  });

  it('bootstrap flux on an argocd fleet warns and still emits the objects', async () => {
    const f = fleet('argocd', {});
    const r = await kiln('bootstrap', 'flux', '--cwd', f.root, '--repo-url', 'https://git.example.com/acme/fleet.git');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warn: kiln\.yaml sets spec\.output\.appliedBy: argocd, but these are Flux objects/);
    expect(r.stdout).toMatch(/kind: GitRepository/);
    expect(r.stdout).toMatch(/kind: Kustomization/);
    const argo = await kiln('bootstrap', 'argocd', '--cwd', f.root, '--repo-url', 'https://git.example.com/acme/fleet.git');
    expect(argo.code).toBe(0);
    expect(argo.stderr).not.toMatch(/appliedBy/);
  });
});

describe('appliedBy: flux (the default)', () => {
  it('refuses a generateName object, naming it and pointing at appliedBy: argocd', async () => {
    const f = fleet(undefined, { presync: true, hooks: 'drop' });
    const r = await renderFiles(f.root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/component "schema".*batch\/Job with generateName "upgrade-sql-schema" uses metadata\.generateName.*Flux cannot apply/);
    expect(r.stderr).toMatch(/set spec\.output\.appliedBy: argocd in kiln\.yaml if Argo CD applies these branches/);
  });

  it('refuses a Helm hook until the component chooses hooks: keep or drop', async () => {
    const r = await renderFiles(fleet(undefined, {}).root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/component "app".*batch\/Job app-migrate is a Helm hook \(helm\.sh\/hook: pre-install,pre-upgrade\).*set hooks: drop/);

    const drop = await renderFiles(fleet('flux', { hooks: 'drop' }).root);
    expect(drop.code, drop.stderr).toBe(0);
    expect(manifests(drop.files)).toEqual(['manifests/app/app--configmap--app.yaml']);

    const keep = await renderFiles(fleet('flux', { hooks: 'keep' }).root);
    expect(keep.code, keep.stderr).toBe(0);
    expect(manifests(keep.files)).toEqual(['manifests/app/app--configmap--app.yaml', 'manifests/app/app--job--app-migrate.yaml']);
    expect(parse(readFileSync(path.join(dir, `out-f${n}`, 'dev-1/manifests/app/app--job--app-migrate.yaml'), 'utf8')).metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
  });

  it('diff --base of a commit published before the rule: its hook is a warning there, kept as it was published', async () => {
    const f = fleet('flux', {});
    const old = gitIn(f.root, 'rev-parse', 'HEAD');
    writeFileSync(path.join(f.root, 'profiles/app.yaml'), profile({ hooks: 'drop' }));
    commit(f.root, 'drop hooks');
    const r = await kiln('diff', '--cwd', f.root, '--base', old, '--json', '--exit-code');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/warn: base [0-9a-f]{40}@[0-9a-f]{12}: profile "app", component "app", cluster "dev-1": batch\/Job app-migrate is a Helm hook .*a rule newer than this commit/);
    const objects = (JSON.parse(r.stdout) as { groups: Array<{ objects: Array<{ name: string; action: string }> }> }).groups.flatMap((g) => g.objects).map((o) => [o.name, o.action]);
    expect(objects).toEqual([['app-migrate', 'removed']]);
  });

  it('takes hooks: from the profile as the default of its helm components; a component\'s own wins', async () => {
    const drop = await renderFiles(fleet('flux', { profileHooks: 'drop' }).root);
    expect(drop.code, drop.stderr).toBe(0);
    expect(manifests(drop.files)).toEqual(['manifests/app/app--configmap--app.yaml']);

    const keep = await renderFiles(fleet('flux', { profileHooks: 'drop', hooks: 'keep' }).root);
    expect(keep.code, keep.stderr).toBe(0);
    expect(manifests(keep.files)).toEqual(['manifests/app/app--configmap--app.yaml', 'manifests/app/app--job--app-migrate.yaml']);

    const bad = await renderFiles(fleet('flux', { profileHooks: 'skip' }).root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/profiles\/app\.yaml.*spec\.hooks/s);
  });
});
