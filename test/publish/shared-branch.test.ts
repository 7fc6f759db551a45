import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { branchFiles, makeFleetRepo, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';

/** An environment-branch layout: every cluster of an environment on one branch, one directory each. */
describe('clusters sharing a branch', () => {
  let repo: FleetRepo;
  beforeAll(() => {
    const dir = genFleetDir({ clusters: 6 });
    const kilnYaml = path.join(dir, 'kiln.yaml');
    writeFileSync(
      kilnYaml,
      readFileSync(kilnYaml, 'utf8') + '  output:\n    branch: "env/{{ .Cluster.environment }}"\n    path: "clusters/{{ .Cluster.name }}"\n',
    );
    repo = makeFleetRepo(dir);
  });
  afterAll(() => repo.cleanup());

  it('publishes one branch per environment, each cluster in its own directory, with per-cluster provenance', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect([...remoteBranches(repo.remote).keys()].sort()).toEqual(['env/dev', 'env/prod', 'env/staging']);
    const files = branchFiles(repo.remote, 'env/dev');
    expect(files.filter((f) => f.startsWith('clusters/')).map((f) => f.split('/')[1])).toEqual(expect.arrayContaining(['dev-c0000', 'dev-c0003']));
    for (const f of files) expect(f === 'README.md' || f === '.kiln/metadata.yaml' || /^clusters\/dev-c000[03]\//.test(f)).toBe(true);
    const meta = parse(showFile(repo.remote, 'env/dev', '.kiln/metadata.yaml'));
    expect(Object.keys(meta.clusters).sort()).toEqual(['dev-c0000', 'dev-c0003']);
    expect(meta.clusters['dev-c0000'].cluster).toBe('dev-c0000');
    expect(meta.objects).toBe(files.filter((f) => f.startsWith('clusters/')).length);
  });

  it('a one-cluster selection still writes the whole branch, never dropping the other cluster', async () => {
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    const r = await kiln('publish', '--cwd', repo.fleet, '--cluster', 'dev-c0000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const files = branchFiles(repo.remote, 'env/dev');
    expect(files.some((f) => f.startsWith('clusters/dev-c0003/'))).toBe(true);
    expect(showFile(repo.remote, 'env/dev', 'clusters/dev-c0003/base/base--configmap--settings.yaml')).toContain('version: "2"');
    // other environments were not selected and did not move
    expect(JSON.parse(r.stdout).branches.map((b: { branch: string }) => b.branch)).toEqual(['env/dev']);
  });
});
