/**
 * Selector typos and dangling patch targets are errors (kustomize would skip the patch, and a
 * profile selecting nothing would be removed from every cluster), with did-you-mean; `optional`
 * and `allowEmpty` accept them. Judged over the whole fleet whatever the command selects.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KilnError, KilnErrors } from '../../src/errors.js';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { checkTargets, parseSelector, targetMatches } from '../../src/patch/targets.js';
import { kiln } from '../helpers/cli.js';
import { gitIn } from '../helpers/fleet-repo.js';
import { writeFiles } from '../security/fleet.js';

const obj = (kind: string, name: string, extra: Partial<K8sObject['metadata']> = {}, apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1'): K8sObject => ({ apiVersion, kind, metadata: { name, namespace: 'web', ...extra } });
const objects = [obj('Deployment', 'web-api', { labels: { app: 'web', tier: 'api' } }), obj('Service', 'web-api'), obj('ConfigMap', 'web-config', { annotations: { 'kiln.dev/role': 'config' } })];
const at = { file: 'profiles/web.yaml', line: 12, col: 7 };
const fails = (p: Partial<PatchSpec>): string => {
  try {
    checkTargets(objects, [{ patch: [], source: at, ...p }], 'profile "web" on cluster "dev-1"');
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return (e as KilnError).oneLine();
  }
  return 'no error';
};

describe('patch targets', () => {
  it('match as Kustomize does: anchored group, version, kind, name and namespace regexes (empty: any), label and annotation selectors', () => {
    const d = objects[0]!;
    expect(targetMatches({ kind: 'Deployment', name: 'web-.*' }, d)).toBe(true);
    expect(targetMatches({ kind: 'Deployment', name: 'web' }, d)).toBe(false);
    expect(targetMatches({ group: 'apps', version: 'v1', namespace: 'w.b' }, d)).toBe(true);
    // as kustomize 5.8 selects (checked against it): an empty group is any group, not the core one; kinds and versions are patterns
    expect(targetMatches({ group: '', kind: 'Deployment' }, d)).toBe(true);
    expect(targetMatches({ kind: 'Deploy.*', version: 'v.' }, d)).toBe(true);
    expect(targetMatches({ kind: 'Deploy' }, d)).toBe(false);
    expect(targetMatches({ group: 'app' }, d)).toBe(false);
    expect(targetMatches({ labelSelector: 'app=web,tier in (api, worker),!canary' }, d)).toBe(true);
    expect(targetMatches({ labelSelector: 'app!=web' }, d)).toBe(false);
    expect(targetMatches({ annotationSelector: 'kiln.dev/role=config' }, objects[2]!)).toBe(true);
    expect(parseSelector('a, b==c ,d notin (x,y)')).toEqual([
      { key: 'a', op: 'exists', values: [] },
      { key: 'b', op: 'in', values: ['c'] },
      { key: 'd', op: 'notin', values: ['x', 'y'] },
    ]);
  });

  it('a target matching nothing is an error naming the patch, with did-you-mean on the field that rules everything out', () => {
    expect(fails({ target: { kind: 'Deployment', name: 'web-apl' } })).toBe(
      'profiles/web.yaml:12:7: target: patch target {kind: Deployment, name: web-apl} matches no object rendered for profile "web" on cluster "dev-1" (did you mean name: "web-api"?) (fix the target, or set optional: true on the patch if matching nothing here is expected)',
    );
    expect(fails({ target: { kind: 'Deploymnet', name: 'web-api' } })).toMatch(/did you mean kind: "Deployment"\?/);
    expect(fails({ target: { kind: 'Deployment', namespace: 'wbe' } })).toMatch(/did you mean namespace: "web"\?/);
    expect(fails({ target: { kind: 'Deployment', labelSelector: 'app=api' } })).toMatch(/matches no object/);
    expect(fails({ target: { kind: 'Deployment', name: 'web-apl' }, optional: true })).toBe('no error');
    expect(fails({ target: { kind: 'Deployment', name: 'web-a.i' } })).toBe('no error');
    expect(fails({})).toBe('no error'); // untargeted: kustomize itself refuses a patch that matches nothing
  });

  it('reports every dangling patch at once', () => {
    try {
      checkTargets(objects, [{ patch: [], target: { kind: 'Job' } }, { patch: [], target: { name: 'nope' } }], 'x');
      expect.unreachable();
    } catch (e) {
      expect((e as KilnErrors).errors).toHaveLength(2);
    }
  });
});

describe('on the CLI, over the whole fleet', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-targets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = (name: string, tier: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\n  labels: { tier: ${tier} }\nspec: { environment: dev }\n`;
  const profile = (name: string, selector: string, extra = '') =>
    `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: ${name} }\nspec:\n  clusterSelector: { matchLabels: { tier: ${selector} } }\n${extra}  components: [{ name: cm, manifests: { paths: [cm.yaml] } }]\n`;
  function fleet(files: Record<string, string>): string {
    const root = path.join(dir, `f${++n}`);
    writeFiles(root, {
      'kiln.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n',
      'clusters/a.yaml': cluster('a', 'standard'),
      'clusters/b.yaml': cluster('b', 'edge'),
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app-config, namespace: default }\n',
      'profiles/base.yaml': profile('base', 'edge'),
      ...files,
    });
    gitIn(root, 'init', '--quiet', '-b', 'main');
    gitIn(root, 'add', '-A');
    gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'fleet');
    return root;
  }

  it('a selector typo fails validate and a publish of other clusters (exit 1, did-you-mean); allowEmpty accepts', async () => {
    const root = fleet({ 'profiles/web.yaml': profile('web', 'standrad') });
    const v = await kiln('validate', '--cwd', root);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^error: profiles\/web\.yaml:5:43: spec\.clusterSelector\.matchLabels\.tier: profile "web" selects no cluster: no cluster has label tier=standrad \(did you mean "standard"\?; /);
    const p = await kiln('publish', '--cwd', root, '--remote', path.join(dir, 'nowhere.git'), '--cluster', 'b', '--dry-run');
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/profile "web" selects no cluster/);

    // ls --why is how one finds out why: it warns instead
    const ls = await kiln('ls', '--cwd', root, '--why');
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stderr).toMatch(/^warn: profiles\/web\.yaml:5:43: profile "web" selects no cluster: no cluster has label tier=standrad \(did you mean "standard"\?/);
    expect(ls.stdout).toMatch(/profiles on no selected cluster: web/);

    const ok = fleet({ 'profiles/web.yaml': profile('web', 'standrad', '  allowEmpty: true\n') });
    expect((await kiln('validate', '--cwd', ok)).code).toBe(0);
  });

  it('a dangling patch target fails the render (exit 1, did-you-mean); optional: true accepts', async () => {
    const patch = (optional: boolean) => `  patches:\n    - target: { kind: ConfigMap, name: app-confg }\n${optional ? '      optional: true\n' : ''}      patch: |\n        - { op: add, path: /data, value: { a: "1" } }\n`;
    const bad = fleet({ 'profiles/base.yaml': profile('base', 'edge', patch(false)) });
    const r = await kiln('render', '--cwd', bad, '--out', path.join(dir, `out${n}`));
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error')).join('\n') + '\n').toBe(
      'error: profiles/base.yaml:7:7: target: patch target {kind: ConfigMap, name: app-confg} matches no object rendered for profile "base" on cluster "b" (did you mean name: "app-config"?) (fix the target, or set optional: true on the patch if matching nothing here is expected)\n',
    );
    const ok = fleet({ 'profiles/base.yaml': profile('base', 'edge', patch(true)) });
    const r2 = await kiln('render', '--cwd', ok, '--out', path.join(dir, `out${n}`));
    expect(r2.code, r2.stderr).toBe(0);
  });

  it('a profile patch is judged over every cluster the profile is on, whatever --cluster selects', async () => {
    // both clusters get the profile; only the edge one renders the ConfigMap the patch targets
    const both = (target: string) =>
      `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: both }\nspec:\n  clusterSelector: {}\n  components: [{ name: cm, manifests: { paths: ["extra-{{ .Cluster.labels.tier }}"] } }]\n  patches:\n    - target: { kind: ConfigMap, name: ${target} }\n      patch: |\n        - { op: add, path: /data, value: { patched: "yes" } }\n`;
    const files = {
      'extra-standard/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: plain, namespace: default }\n',
      'extra-edge/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: edge-only, namespace: default }\n',
    };
    const good = fleet({ ...files, 'profiles/both.yaml': both('edge-only') });
    const all = await kiln('render', '--cwd', good, '--out', path.join(dir, `out${n}-all`));
    expect(all.code, all.stderr).toBe(0);
    const edgeDir = path.join(dir, `out${n}-all`, 'b/manifests/both');
    const edgeFile = readdirSync(edgeDir).find((f) => f.includes('edge-only'));
    expect(readFileSync(path.join(edgeDir, edgeFile!), 'utf8')).toContain('patched: "yes"');
    // only cluster a selected: the target is on b, which is rendered to judge it (a's render is untouched)
    const one = await kiln('render', '--cwd', good, '--cluster', 'a', '--out', path.join(dir, `out${n}-a`), '--log-level', 'info');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/a patch target matched nothing on the selected clusters: rendering 1 other cluster\(s\) of profile\(s\) both to judge it over the fleet/);
    expect(readdirSync(path.join(dir, `out${n}-a`))).toEqual(['a']);

    // a typo matches on no cluster: an error, whichever cluster is selected
    const bad = fleet({ ...files, 'profiles/both.yaml': both('edge-onyl') });
    for (const sel of [['--cluster', 'a'], ['--cluster', 'b'], []]) {
      const r = await kiln('render', '--cwd', bad, ...sel, '--out', path.join(dir, `out${n}-bad-${sel.join('')}`));
      expect(r.code, sel.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/error: profiles\/both\.yaml:\d+:\d+: target: patch target \{kind: ConfigMap, name: edge-onyl\} matches no object rendered for profile "both" on cluster "b" \(did you mean name: "edge-only"\?\), nor on the 1 other cluster\(s\) profile "both" is on/);
    }
  });

  it('an empty shard is not an error: exit 0, nothing to do', async () => {
    const root = fleet({});
    // two clusters over many shards: some shard holds neither
    const shards = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (i) => ({ i, r: await kiln('render', '--cwd', root, '--shard', `${i}/8`, '--out', path.join(dir, `shard${n}-${i}`), '--json') })));
    const empty = shards.find((s) => JSON.parse(s.r.stdout || '{"clusters":[1]}').clusters.length === 0);
    expect(empty, shards.map((s) => s.r.stderr).join('\n')).toBeDefined();
    expect(empty!.r.code).toBe(0);
  });
});
