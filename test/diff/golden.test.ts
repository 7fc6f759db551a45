/**
 * Golden diffs of real renders of the example fleet (helm, kustomize, jsonnet, ytt, manifests)
 * against its published branches: add, change, delete, rename, secret change, CRD change.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { normalise, runDiff } from './helpers.js';

const CANARY = 's3cr3t-DIFF-CANARY';
const CANARY2 = 's3cr3t-DIFF-CANARY-rotated';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const golden = (name: string) => path.join(__dirname, '../../fixtures/diff', name);

function addCredsProfile(fleet: string, value: string): void {
  mkdirSync(path.join(fleet, 'manifests/creds'), { recursive: true });
  writeFileSync(
    path.join(fleet, 'profiles/creds.yaml'),
    'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: creds\nspec:\n  clusters: [dev-eu-1, prod-eu-1]\n  namespace: web\n  allowSecrets: true\n  components:\n    - name: creds\n      manifests:\n        paths: [manifests/creds]\n',
  );
  writeFileSync(
    path.join(fleet, 'manifests/creds/secret.yaml'),
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: ${b64(value)}\n  user: ${b64('app')}\nstringData:\n  token: ${value}\n`,
  );
}

describe('kiln diff on the example fleet, against its published branches', () => {
  let repo: FleetRepo;
  let shas: string[];
  beforeAll(async () => {
    repo = makeFleetRepo();
    addCredsProfile(repo.fleet, CANARY);
    shas = [repo.commit('creds profile')];
    const p = await kiln('publish', '--cwd', repo.fleet);
    expect(p.code, p.stderr).toBe(0);
  });
  afterAll(() => repo.cleanup());

  const edit = (rel: string, fn: (s: string) => string) => writeFileSync(path.join(repo.fleet, rel), fn(readFileSync(path.join(repo.fleet, rel), 'utf8')));
  const reset = () => {
    gitIn(repo.fleet, 'checkout', '--quiet', '--', '.');
    gitIn(repo.fleet, 'clean', '-fdq');
  };

  async function scenario(name: string, change: () => void) {
    reset();
    change();
    const r = await runDiff(repo.fleet);
    await expect(normalise(r.markdown.text, shas)).toMatchFileSnapshot(golden(`${name}.md`));
    return r;
  }

  it('no change: every selected cluster compared, nothing reported', async () => {
    reset();
    const r = await runDiff(repo.fleet, { clusters: ['dev-eu-1'] });
    expect(r.report.totals).toMatchObject({ clusters: 1, changedClusters: 0, groups: 0 });
    expect(r.markdown.text).toContain('no changes on 1 cluster');
  });

  it('change: a Helm value, grouped by the clusters whose diff is the same', async () => {
    const r = await scenario('change', () => edit('profiles/web.yaml', (s) => s.replace('replicaCount: "{{ .Vars.replicas }}"', 'replicaCount: 7')));
    expect(r.report.groups.map((g) => g.clusters)).toEqual([
      ['dev-eu-1', 'dev-us-1'],
      ['prod-ap-1', 'staging-eu-1'],
      ['prod-eu-1', 'prod-us-1'],
    ]);
    expect(r.report.groups.every((g) => g.objects.length === 1 && g.objects[0]!.kind === 'Deployment' && g.objects[0]!.action === 'changed')).toBe(true);
  });

  // one render for four cases (each real render costs seconds): add, delete, rename, CRD change
  it('add (RBAC flagged), delete (namespace deletion flagged), rename (linked), CRD change (flagged)', async () => {
    const r = await scenario('structure', () => {
      writeFileSync(path.join(repo.fleet, 'manifests/namespaces/extra.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: batch\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: batch-reader\nrules:\n  - apiGroups: [batch]\n    resources: [jobs]\n    verbs: [get, list]\n');
      edit('manifests/namespaces/namespaces.yaml', (s) => s.replace(/---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n?/, ''));
      edit('manifests/namespaces/network-policy.yaml', (s) => s.replace('name: default-deny', 'name: deny-all'));
      edit('charts/web/crds/widgets.yaml', (s) => s.replace('singular: widget', 'singular: widget\n    shortNames: [wd]'));
    });
    const line = (o: { action: string; kind: string; name: string; risks: string[]; notes: string[] }) => `${o.action} ${o.kind} ${o.name} [${o.risks.join(',')}] ${o.notes.join(';')}`.trim();
    // edge clusters keep default-deny from the edge-network profile (lower tier): no removal there
    expect(r.report.groups.map((g) => g.clusters)).toEqual([
      ['dev-eu-1', 'prod-ap-1', 'prod-eu-1', 'staging-eu-1'],
      ['dev-us-1', 'prod-us-1'],
    ]);
    expect(r.report.groups[0]!.objects.map(line)).toEqual([
      'added Namespace batch []',
      'removed Namespace monitoring [deletion,namespace-deletion]',
      'changed CustomResourceDefinition widgets.demo.kiln.dev [crd]',
      'added ClusterRole batch-reader [rbac]',
      'removed NetworkPolicy default-deny [deletion] renamed to deny-all',
      'added NetworkPolicy deny-all [] renamed from default-deny',
    ]);
    expect(r.report.totals.risks).toEqual({ deletion: 10, 'namespace-deletion': 6, crd: 6, rbac: 6 });
    expect(r.markdown.text).toContain('⚠️ **namespace deletions**: 6 objects');
  });

  it('secret change: key names, sizes and a changed marker; never the value', async () => {
    const r = await scenario('secret', () => addCredsProfile(repo.fleet, CANARY2));
    expect(r.report.clusters.filter((c) => c.group).map((c) => c.name)).toEqual(['dev-eu-1', 'prod-eu-1']);
    const o = r.report.groups[0]!.objects[0]!;
    expect(o.notes).toEqual(['secret value changed: data.password', 'secret value changed: stringData.token']);
    expect(o.diff).toMatch(/-  password: "REDACTED # \(18 bytes, h:[0-9a-f]{8}\)"\n\+  password: "REDACTED # \(26 bytes, h:[0-9a-f]{8}\)"/);
    expect(o.diff).not.toMatch(/^[-+] {2}user:/m); // unchanged value: no change line
  });

  it('no secret value in markdown, JSON, the out-file or stderr (CLI, debug logging)', async () => {
    reset();
    addCredsProfile(repo.fleet, CANARY2);
    const out = path.join(repo.dir, 'out', 'full.md');
    // one run: JSON on stdout, the markdown in the out-file, debug logging on stderr
    const r = await kiln('diff', '--cwd', repo.fleet, '--json', '--out-file', out, '--log-level', 'debug', '--exit-code');
    expect(r.code, r.stderr).toBe(2);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('secret value changed: data.password');
    expect(JSON.parse(r.stdout).groups[0].objects[0].notes).toContain('secret value changed: stringData.token');
    expect(r.stderr).toContain('render head (work tree): done');
    for (const t of [r.stdout, r.stderr, md]) for (const v of [CANARY, CANARY2, b64(CANARY), b64(CANARY2), 's3cr3t']) expect(t).not.toContain(v);
    rmSync(path.dirname(out), { recursive: true });
  });
});
