/**
 * The base side of `diff --base` renders a commit that was valid when it was published: rules newer
 * than it (a profile selecting no cluster, a patch target matching nothing, Helm hooks on Flux) are
 * warnings there, naming the base; on the head side they stay errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';

describe('diff --base of a commit the newer rules refuse', () => {
  let repo: FleetRepo;
  let old: string;
  const profile = (name: string, spec: string) => writeFileSync(path.join(repo.fleet, `profiles/${name}.yaml`), `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n${spec}`);
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 3 }));
    mkdirSync(path.join(repo.fleet, 'extra'));
    writeFileSync(path.join(repo.fleet, 'extra/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: "1"\n');
    // as published long ago: a selector typo (selects nothing) and a patch whose target matches nothing
    profile('typo', '  clusterSelector:\n    matchLabels: {env: prdo}\n  namespace: base\n  components:\n    - name: cm\n      manifests:\n        paths: [extra]\n');
    profile('patched', '  clusterSelector: {}\n  namespace: extra\n  components:\n    - name: cm\n      manifests:\n        paths: [extra]\n  patches:\n    - target: {kind: Deployment, name: extra}\n      patch: |\n        - {op: add, path: /spec/replicas, value: 2}\n');
    old = repo.commit('old, valid then');
    // today: both fixed
    profile('typo', '  clusterSelector:\n    matchLabels: {env: prod}\n  namespace: base\n  components:\n    - name: cm\n      manifests:\n        paths: [extra]\n');
    profile('patched', '  clusterSelector: {}\n  namespace: extra\n  components:\n    - name: cm\n      manifests:\n        paths: [extra]\n');
    setGenVersion(repo.fleet, '2');
    repo.commit('fixed');
  });
  afterAll(() => repo.cleanup());

  it('warns about the base and diffs; the head side stays strict', async () => {
    const r = await kiln('diff', '--cwd', repo.fleet, '--base', old, '--json', '--exit-code');
    expect(r.code, r.stderr).toBe(2); // differences, no error
    const short = old.slice(0, 12);
    expect(r.stderr).toMatch(new RegExp(`warn: base ${old} \\(${short}\\): .*profile "typo" selects no cluster`));
    expect(r.stderr).toMatch(new RegExp(`warn: base ${old} \\(${short}\\): patch target .*Deployment.*extra.* matches no object rendered for profile "patched".*a rule newer than this commit`));
    const clusters = JSON.parse(r.stdout).clusters as Array<{ name: string }>;
    expect(clusters.length).toBe(3);

    // the same faults on the head side: errors, as publish would refuse them
    gitIn(repo.fleet, 'checkout', '--quiet', old);
    const head = await kiln('diff', '--cwd', repo.fleet, '--base', 'main', '--json');
    gitIn(repo.fleet, 'checkout', '--quiet', 'main');
    expect(head.code).toBe(1);
    expect(head.stderr).toMatch(/error: .*profile "typo" selects no cluster/);
  });
});
