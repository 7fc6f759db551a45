/** Whole profiles leaving clusters come first in publish and diff output (text and --json). Real git. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn } from '../helpers/fleet-repo.js';
import { writeFiles } from '../security/fleet.js';

const cluster = (name: string, tier: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\n  labels: { tier: ${tier} }\nspec: { environment: dev }\n`;
const profile = (name: string, tiers: string) =>
  `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: ${name} }\nspec:\n  clusterSelector: { matchExpressions: [{ key: tier, operator: In, values: [${tiers}] }] }\n  components: [{ name: m, manifests: { paths: [${name}.yaml] } }]\n`;
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: default }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}-2, namespace: default }\n`;

let dir: string;
let root: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-removed-'));
  root = path.join(dir, 'fleet');
  writeFiles(root, {
    'kiln.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n',
    'clusters/a.yaml': cluster('a', 'standard'),
    'clusters/b.yaml': cluster('b', 'edge'),
    'profiles/base.yaml': profile('base', 'standard, edge'),
    'profiles/web.yaml': profile('web', 'standard, edge'),
    'base.yaml': cm('base'),
    'web.yaml': cm('web'),
  });
  gitIn(dir, 'init', '--quiet', '--bare', path.join(dir, 'remote.git'));
  gitIn(root, 'init', '--quiet', '-b', 'main');
  gitIn(root, 'remote', 'add', 'origin', path.join(dir, 'remote.git'));
  gitIn(root, 'add', '-A');
  gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'fleet');
  const r = await kiln('publish', '--cwd', root);
  expect(r.code, r.stderr).toBe(0);
  // web now lands only on b: it leaves a
  writeFileSync(path.join(root, 'profiles/web.yaml'), profile('web', 'edge'));
  writeFileSync(path.join(root, 'base.yaml'), cm('base').replace('base-2', 'base-3'));
  gitIn(root, 'add', '-A');
  gitIn(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'web: edge only');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a profile leaving a cluster', () => {
  it('diff names it above everything else, in markdown and in --json', async () => {
    const md = await kiln('diff', '--cwd', root);
    expect(md.code, md.stderr).toBe(0);
    const lines = md.stdout.split('\n');
    expect(lines[1]).toMatch(/^### kiln diff: /);
    expect(lines.slice(2, 6)).toEqual(['', '**Profiles removed from clusters** (everything they deploy there is deleted):', '', '- ⚠️ profile `web` is removed from 1 cluster: `a`']);
    const json = JSON.parse((await kiln('diff', '--cwd', root, '--json')).stdout);
    expect(json.removedProfiles).toEqual([{ profile: 'web', clusters: ['a'] }]);
    expect(json.clusters.find((c: { name: string }) => c.name === 'a').removedProfiles).toEqual(['web']);
    expect(json.clusters.find((c: { name: string }) => c.name === 'b').removedProfiles).toBeUndefined();
  });

  it('publish (and --dry-run) prints it first, and --json carries it on the branch', async () => {
    const dry = await kiln('publish', '--cwd', root, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.split('\n')[0]).toBe('would remove: profile web from cluster a (2 objects deleted, branch rendered/dev/a)');
    const r = await kiln('publish', '--cwd', root, '--json');
    expect(r.code, r.stderr).toBe(0);
    const branches = JSON.parse(r.stdout).branches as Array<{ branch: string; action: string; removedProfiles?: unknown }>;
    expect(branches.find((b) => b.branch === 'rendered/dev/a')).toMatchObject({ action: 'updated', removedProfiles: [{ cluster: 'a', profile: 'web', objects: 2 }] });
    expect(branches.find((b) => b.branch === 'rendered/dev/b')!.removedProfiles).toBeUndefined();
  });
});
