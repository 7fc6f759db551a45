/**
 * The published side read through one `cat-file --batch` lists what `git ls-tree -r` + `git cat-file`
 * list, and dropping byte-identical files before parsing changes no diff. Real git, bare repos via file://.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCluster, createParsedFiles, withoutIdentical, type SideFiles } from '../../src/diff/compare.js';
import { DEFAULT_IGNORES, parseIgnore } from '../../src/diff/ignore.js';
import { createMasker } from '../../src/diff/mask.js';
import { openPublished, sideOf, type ClusterSide } from '../../src/diff/sides.js';
import type { ClusterPlan } from '../../src/fleet/plan.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import type { K8sObject } from '../../src/model.js';
import { gitIn, sh } from '../helpers/fleet-repo.js';
import { FIXED_KEY } from './helpers.js';

const opts = { ignore: DEFAULT_IGNORES.map(parseIgnore), masker: createMasker(FIXED_KEY) };
const where = { before: 'base', after: 'head' };
const cm = (name: string, data: Record<string, string> = { k: name }): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app' }, data });
const deploy = (replicas: number): K8sObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app' }, spec: { replicas, selector: { matchLabels: { app: 'web' } } } });
const sa = (labels?: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: 'app', ...(labels ? { labels } : {}) } });
const role: K8sObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'app' }, rules: [] };
const clusterRole: K8sObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'admin' }, rules: [{ verbs: ['*'] }] };
const svc: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'app' }, spec: { ports: [{ port: 80 }] } };
const yaml = (...objects: K8sObject[]) => objects.map(serializeObject).join('---\n');

/** Changed, unchanged (one and several objects a file), renamed, moved between profiles (as is and changed), removed, added. */
const BASE = new Map([
  ['manifests/p1/web.yaml', yaml(deploy(1))],
  ['manifests/p1/cfg.yaml', yaml(cm('cfg'))],
  ['manifests/p1/many.yaml', yaml(cm('m1'), cm('m2'))],
  ['manifests/p1/old-name.yaml', yaml(cm('old-name', { big: 'x'.repeat(40) }))],
  ['manifests/p1/svc.yaml', yaml(svc)],
  ['manifests/p1/sa.yaml', yaml(sa())],
  ['manifests/p2/role.yaml', yaml(role)],
]);
const HEAD = new Map([
  ['manifests/p1/web.yaml', yaml(deploy(2))],
  ['manifests/p1/cfg.yaml', yaml(cm('cfg'))],
  ['manifests/p1/many.yaml', yaml(cm('m1'), cm('m2'))],
  ['manifests/p1/new-name.yaml', yaml(cm('new-name', { big: 'x'.repeat(40) }))],
  ['manifests/p2/svc.yaml', yaml(svc)],
  ['manifests/p2/sa.yaml', yaml(sa({ moved: 'yes' }))],
  ['manifests/p2/admin.yaml', yaml(clusterRole)],
]);
const sideFiles = (files: Map<string, string>): SideFiles => ({ outputPath: 'manifests', files });

describe('identical files are dropped before parsing', () => {
  it('gives the same diff as parsing everything', () => {
    const skipped = compareCluster(sideFiles(BASE), sideFiles(HEAD), opts, where);
    expect(skipped).toEqual(compareCluster(sideFiles(BASE), sideFiles(HEAD), { ...opts, skipIdentical: false }, where));
    // the service moved between profiles as is: no diff
    expect(skipped.map((d) => `${d.action} ${d.kind}/${d.name} ${d.profile} ${d.notes.join(';')}`)).toEqual([
      'added ClusterRole/admin p2 ',
      'added ConfigMap/new-name p1 renamed from old-name',
      'removed ConfigMap/old-name p1 renamed to new-name',
      'changed ServiceAccount/bot p2 ',
      'changed Deployment/web p1 ',
      'removed Role/reader p2 ',
    ]);
    // and over the whole fixture the same for every pair of sides, one side absent included
    for (const [a, b] of [[BASE, BASE], [HEAD, BASE], [BASE, new Map()], [new Map(), HEAD]] as const) {
      expect(compareCluster(sideFiles(a), sideFiles(b), opts, where)).toEqual(compareCluster(sideFiles(a), sideFiles(b), { ...opts, skipIdentical: false }, where));
    }
    expect(compareCluster(undefined, sideFiles(HEAD), opts, where)).toEqual(compareCluster(undefined, sideFiles(HEAD), { ...opts, skipIdentical: false }, where));
  });

  it('a run parses each distinct (profile, file text) once over all clusters, with the same diffs as parsing each', () => {
    const parsed = createParsedFiles();
    const shared = { ...opts, parsed };
    // 50 clusters holding the same changed files (one render shared by them), then 50 with another
    const other = new Map(HEAD);
    other.set('manifests/p1/web.yaml', yaml(deploy(3)));
    for (const head of [HEAD, other]) {
      for (let i = 0; i < 50; i++) expect(compareCluster(sideFiles(BASE), sideFiles(head), shared, where)).toEqual(compareCluster(sideFiles(BASE), sideFiles(head), opts, where));
    }
    // base: web, old-name, svc, sa, role; head: web, new-name, svc (p2), sa (p2), admin; other: its web
    expect(parsed.parses).toBe(11);
    // the same text under another profile is its own entry (its diffIgnore rules differ)
    const moved = new Map([['manifests/p3/web.yaml', HEAD.get('manifests/p1/web.yaml')!]]);
    expect(compareCluster(undefined, sideFiles(moved), shared, where)[0]!.profile).toBe('p3');
    expect(parsed.parses).toBe(12);
    // options with other rules (a profile's diffIgnore added to a copy) do not read entries made under these
    const own = { ...shared, profileIgnore: new Map([['p1', [parseIgnore('Deployment:spec.replicas')]]]) };
    expect(compareCluster(sideFiles(BASE), sideFiles(HEAD), own, where)).toEqual(compareCluster(sideFiles(BASE), sideFiles(HEAD), { ...opts, profileIgnore: own.profileIgnore }, where));
    expect(compareCluster(sideFiles(BASE), sideFiles(HEAD), own, where).some((d) => d.kind === 'Deployment')).toBe(false);
    expect(parsed.parses).toBe(12);
    // bounded: the oldest entries go first
    const small = { ...opts, parsed: createParsedFiles(2) };
    compareCluster(sideFiles(BASE), sideFiles(HEAD), small, where);
    expect(small.parsed.entries.size).toBe(2);
    expect(compareCluster(sideFiles(BASE), sideFiles(HEAD), small, where)).toEqual(compareCluster(sideFiles(BASE), sideFiles(HEAD), opts, where));
  });

  it('drops exactly the paths whose text is the same on both sides, and nothing when the output paths differ', () => {
    const [a, b] = withoutIdentical(sideFiles(BASE), sideFiles(HEAD));
    const dropped = [...BASE.keys()].filter((p) => !a!.files.has(p));
    expect(dropped).toEqual(['manifests/p1/cfg.yaml', 'manifests/p1/many.yaml']);
    expect([...b!.files.keys()]).toEqual([...HEAD.keys()].filter((p) => !dropped.includes(p)));
    const other = { outputPath: 'manifests/p1', files: BASE };
    expect(withoutIdentical(other, sideFiles(BASE))).toEqual([other, sideFiles(BASE)]);
  });
});

type Spec = string | { link: string } | { gitlink: string } | { [name: string]: Spec };

describe('published sides read through one cat-file process', () => {
  let dir: string;
  let remote: string;
  let url: string;
  const heads = new Map<string, string>();

  /** Write `spec` as a tree in the bare remote (mktree keeps empty directories, symlinks and gitlinks). */
  const tree = (spec: { [name: string]: Spec }): string => {
    const lines = Object.entries(spec).map(([name, v]) => {
      if (typeof v === 'string') return `100644 blob ${sh(dir, 'git', ['--git-dir', remote, 'hash-object', '-w', '--stdin'], v).trim()}\t${name}`;
      if ('link' in v && typeof v.link === 'string') return `120000 blob ${sh(dir, 'git', ['--git-dir', remote, 'hash-object', '-w', '--stdin'], v.link).trim()}\t${name}`;
      if ('gitlink' in v && typeof v.gitlink === 'string') return `160000 commit ${v.gitlink}\t${name}`;
      return `040000 tree ${tree(v as { [name: string]: Spec })}\t${name}`;
    });
    return sh(dir, 'git', ['--git-dir', remote, 'mktree', '--missing', '-z'], lines.map((l) => l + '\0').join('')).trim();
  };
  const branch = (name: string, spec: { [name: string]: Spec }) => {
    const commit = sh(dir, 'git', ['--git-dir', remote, 'commit-tree', '-m', name, tree(spec)]).trim();
    gitIn(dir, '--git-dir', remote, 'update-ref', `refs/heads/${name}`, commit);
    heads.set(name, commit);
  };
  const plan = (name: string, branchName: string, outputPath: string): ClusterPlan =>
    ({ cluster: { name, environment: 'prod', labels: {}, apiVersions: [], vars: {}, patches: [], doc: {} }, branch: branchName, outputPath, profiles: [] }) as unknown as ClusterPlan;

  /** What the ls-tree based reader this replaced kept: `blob` entries of `ls-tree -r`, under the output path. */
  const lsTree = (p: ClusterPlan): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    const listing = sh(dir, 'git', ['--git-dir', remote, 'ls-tree', '-r', '-z', heads.get(p.branch)!, '--', p.outputPath.replace(/\/+$/, '')]);
    for (const entry of listing.split('\0')) {
      const m = /^\d+ blob ([0-9a-f]{40})\t(.+)$/s.exec(entry);
      if (m && m[2]!.startsWith(p.outputPath.replace(/\/+$/, '') + '/')) out.push([m[2]!, m[1]!]);
    }
    return out;
  };
  const catFile = (id: string) => sh(dir, 'git', ['--git-dir', remote, 'cat-file', 'blob', id]);

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-published-'));
    remote = path.join(dir, 'remote.git');
    url = `file://${remote}`;
    gitIn(dir, 'init', '--quiet', '--bare', remote);
    branch('nested', {
      'README.md': '# readme\n',
      '.kiln': { 'metadata.yaml': 'cluster: a\n' },
      manifests: {
        p1: { 'a-b.yaml': 'kind: A\n', 'a.b': 'kind: B\n', a: { 'deep.yaml': 'kind: C\n', more: { 'deeper.yaml': 'kind: D\n' } }, a0: 'kind: E\n' },
        p2: { 'z.yaml': 'kind: A\n', 'exec.sh': 'kind: F\n' },
        'link.yaml': { link: 'p1/a-b.yaml' },
        vendored: { gitlink: 'f'.repeat(40) },
      },
      'manifests-old': { 'q.yaml': 'kind: Q\n' },
      'manifests.yaml': 'kind: M\n',
      other: { 'w.yaml': 'kind: W\n' },
    });
    branch('shared', { clusters: { x: { p: { 'o.yaml': 'kind: X\n' } }, 'x-y': { p: { 'o.yaml': 'kind: XY\n' } }, xy: { p: { 'o.yaml': 'kind: Z\n' } } } });
    branch('emptydir', { 'README.md': '# r\n', manifests: {} });
    branch('missing', { 'README.md': '# r\n', other: { 'a.yaml': 'kind: A\n' } });
    branch('isfile', { manifests: 'kind: NotADir\n' });
    // the compare fixture's base side, as a branch
    const objects: { [name: string]: Spec } = { manifests: { p1: {}, p2: {} } };
    for (const [p, text] of BASE) {
      const [, profile, file] = p.split('/');
      ((objects.manifests as { [name: string]: Spec })[profile!] as { [name: string]: Spec })[file!] = text;
    }
    branch('objects', objects);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists what ls-tree -r lists, in its order, and reads the same contents', async () => {
    const plans = [
      plan('nested', 'nested', 'manifests'),
      plan('x', 'shared', 'clusters/x'),
      plan('x-y', 'shared', 'clusters/x-y/'),
      plan('emptydir', 'emptydir', 'manifests'),
      plan('missing', 'missing', 'manifests'),
      plan('deep-missing', 'missing', 'other/a.yaml/below'),
      plan('isfile', 'isfile', 'manifests'),
      plan('absent', 'no-such-branch', 'manifests'),
    ];
    const warnings: string[] = [];
    const pub = await openPublished(url, plans, (m) => warnings.push(m));
    try {
      expect([...pub.sides.keys()].sort()).toEqual(plans.filter((p) => p.cluster.name !== 'absent').map((p) => p.cluster.name).sort());
      for (const p of plans.filter((x) => x.cluster.name !== 'absent')) {
        const side = pub.sides.get(p.cluster.name)!;
        const expected = lsTree(p);
        expect([...side.blobs!], p.cluster.name).toEqual(expected);
        expect(side.commit).toBe(heads.get(p.branch));
        expect(side.files.size).toBe(0); // nothing read until a comparison asks
        const [read] = await pub.narrow(side, undefined);
        expect([...read!.files], p.cluster.name).toEqual(expected.map(([path, id]) => [path, catFile(id)]));
        expect(read).not.toHaveProperty('blobs');
      }
      expect([...pub.sides.get('nested')!.blobs!.keys()]).toEqual([
        'manifests/link.yaml',
        'manifests/p1/a-b.yaml',
        'manifests/p1/a.b',
        'manifests/p1/a/deep.yaml',
        'manifests/p1/a/more/deeper.yaml',
        'manifests/p1/a0',
        'manifests/p2/exec.sh',
        'manifests/p2/z.yaml',
      ]);
      expect(pub.sides.get('x')!.blobs!.size).toBe(1);
      for (const empty of ['emptydir', 'missing', 'deep-missing', 'isfile']) expect(pub.sides.get(empty)!.blobs!.size, empty).toBe(0);
      // symlinks stay in (ls-tree lists them as blobs), submodules out, and neither silently
      expect(warnings).toEqual([
        '1 symlink(s) on published branches are compared as files holding their target: nested:manifests/link.yaml',
        '1 submodule(s) on published branches are left out of the comparison: nested:manifests/vendored',
      ]);
    } finally {
      await pub.close();
    }
  });

  it('narrowing against a render reads only the files that differ, and the diff is the same', async () => {
    const p = plan('objects', 'objects', 'manifests');
    const pub = await openPublished(url, [p]);
    try {
      const base = pub.sides.get('objects')!;
      expect([...base.blobs!.keys()].sort()).toEqual([...BASE.keys()].sort());
      const head: ClusterSide = sideOf(p, HEAD);
      const [b, h] = await pub.narrow(base, head);
      expect([...b!.files.keys()].sort()).toEqual([...BASE.keys()].filter((k) => HEAD.get(k) !== BASE.get(k)).sort());
      expect([...h!.files.keys()]).toEqual([...HEAD.keys()].filter((k) => HEAD.get(k) !== BASE.get(k)));
      const [all] = await pub.narrow(base, undefined);
      expect(all!.files).toEqual(new Map([...base.blobs!.keys()].map((k) => [k, BASE.get(k)!])));
      expect(compareCluster(b, h, opts, where)).toEqual(compareCluster(all, head, { ...opts, skipIdentical: false }, where));
      // a cluster whose head has another output path: nothing dropped
      const moved = { ...head, outputPath: 'manifests/p1' };
      const [b2, h2] = await pub.narrow(base, moved);
      expect(b2!.files.size).toBe(BASE.size);
      expect(h2).toBe(moved);
    } finally {
      await pub.close();
    }
  });
});
