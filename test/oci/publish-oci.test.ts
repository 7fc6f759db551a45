/**
 * spec.output.oci end to end: kiln publish pushes each cluster's branch tree to a real registry
 * (go-containerregistry's, on 127.0.0.1) and the real `flux pull artifact` unpacks exactly the
 * branch's files; a republish uploads nothing; promote pushes the target clusters and a rollback
 * moves the moving tag back to a digest the registry already holds.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { branchFiles, gitIn, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ALL_CLUSTERS, ociFleet, type OciFleet } from '../helpers/oci-fleet.js';
import type { LocalRegistry } from '../helpers/registry.js';
import { branchOf, ENV_CLUSTERS } from '../promote/helpers.js';

const ALL = ALL_CLUSTERS;

interface OciOut {
  cluster: string;
  repository: string;
  digest: string;
  action: 'pushed' | 'tagged' | 'unchanged';
  tags: string[];
}

describe('kiln publish with spec.output.oci', () => {
  let f: OciFleet;
  let repo: FleetRepo;
  let reg: LocalRegistry;
  const uploads = () => f.uploads();
  const fluxPull = (ref: string) => f.fluxPull(ref);

  beforeAll(async () => {
    f = await ociFleet((host) => `  output:\n    oci:\n      repository: "oci://${host}/fleet/{{ .Cluster.name }}"\n      insecure: true\n`, 'publish OCI artifacts too');
    ({ repo, reg } = f);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const publish = async (...extra: string[]) => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--json', ...extra);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { oci: OciOut[]; branches: Array<{ branch: string; action: string }> };
  };

  const branchTree = (branch: string) => new Map(branchFiles(repo.remote, branch).map((f) => [f, gitIn(repo.remote, 'show', `${branch}:${f}`) + '\n']));
  const manifest = async (cluster: string, ref: string) => {
    const r = await fetch(`http://${reg.host}/v2/fleet/${cluster}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(200);
    return { digest: r.headers.get('docker-content-digest'), body: (await r.json()) as { layers: Array<{ mediaType: string }>; config: { mediaType: string }; annotations: Record<string, string> } };
  };

  it('pushes every cluster as a Flux artifact whose files flux pull unpacks equal to its branch', async () => {
    // a source commit from long ago: its time cannot be the rendered commit's by chance
    execFileSync('git', ['-C', repo.fleet, 'commit', '--quiet', '--allow-empty', '-m', 'an old source commit'], { env: { ...process.env, GIT_COMMITTER_DATE: '2001-02-03T04:05:06Z' } });
    gitIn(repo.fleet, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    const head = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const out = await publish();
    expect(out.oci.map((o) => o.cluster).sort()).toEqual([...ALL].sort());
    expect(out.oci.every((o) => o.action === 'pushed')).toBe(true);
    for (const o of out.oci) {
      expect(o.repository).toBe(`oci://${reg.host}/fleet/${o.cluster}`);
      expect(o.tags).toEqual([head, 'latest']);
      expect(o.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    for (const c of ALL) {
      const pulled = await fluxPull(`${reg.host}/fleet/${c}:${head}`);
      // flux reports the revision it read from the annotations
      expect(pulled.log).toContain(`main@sha1:${head}`);
      const want = branchTree(branchOf(c));
      expect([...pulled.files.keys()]).toEqual([...want.keys()]);
      for (const [f, content] of want) expect(pulled.files.get(f)?.trimEnd(), f).toBe(content.trimEnd());
      const m = await manifest(c, 'latest');
      expect(m.digest).toBe(out.oci.find((o) => o.cluster === c)!.digest);
      expect(m.body.config.mediaType).toBe('application/vnd.cncf.flux.config.v1+json');
      expect(m.body.layers.map((l) => l.mediaType)).toEqual(['application/vnd.cncf.flux.content.v1.tar+gzip']);
      expect(m.body.annotations['org.opencontainers.image.revision']).toBe(`main@sha1:${head}`);
      expect(m.body.annotations['org.opencontainers.image.source']).toMatch(/remote\.git$/);
      // the source commit's time (README), asked of the fleet repo, not of the unpacked commit publish renders
      expect(m.body.annotations['org.opencontainers.image.created']).toBe('2001-02-03T04:05:06Z');
    }
  });

  it('a republish with no change uploads nothing, also with the cache gone', async () => {
    const before = remoteBranches(repo.remote);
    reg.reset();
    let out = await publish();
    expect(out.oci.every((o) => o.action === 'unchanged')).toBe(true);
    expect(uploads()).toEqual([]);
    // without kiln's memory the digest is rebuilt from the branch head: still the same, still no upload
    rmSync(f.cache, { recursive: true, force: true });
    reg.reset();
    out = await publish();
    expect(out.oci.every((o) => o.action === 'unchanged')).toBe(true);
    expect(uploads()).toEqual([]);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('a change moves the changed clusters only; flux pulls the new content under the new commit tag', async () => {
    const first = await publish();
    setGenVersion(repo.fleet, '2');
    const sha = repo.commit('version 2 everywhere');
    const out = await publish('--env', 'dev');
    expect(out.oci.map((o) => [o.cluster, o.action]).sort()).toEqual(ENV_CLUSTERS.dev!.map((c) => [c, 'pushed']).sort());
    for (const o of out.oci) {
      expect(o.tags).toEqual([sha, 'latest']);
      expect(o.digest).not.toBe(first.oci.find((f) => f.cluster === o.cluster)!.digest);
      const pulled = await fluxPull(`${reg.host}/fleet/${o.cluster}:latest`);
      expect(pulled.files.get('manifests/base/base--configmap--settings.yaml') ?? [...pulled.files.values()].join('')).toContain('version: "2"');
    }
  });

  it('promote pushes the target clusters for the promoted commit; a rollback moves the tag to the digest the registry holds', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const before = (await manifest('staging-c0001', 'latest')).digest;
    let r = await kiln('promote', '--cwd', repo.fleet, '--to', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    let out = JSON.parse(r.stdout) as { oci: OciOut[] };
    expect(out.oci.map((o) => [o.cluster, o.action, o.tags[0]]).sort()).toEqual(ENV_CLUSTERS.staging!.map((c) => [c, 'pushed', sha]).sort());
    expect((await manifest('staging-c0001', 'latest')).digest).not.toBe(before);

    // a hotfix published straight to staging, then promote rolls staging back to what dev runs
    setGenVersion(repo.fleet, '3');
    repo.commit('hotfix in staging');
    await publish('--env', 'staging');
    reg.reset();
    r = await kiln('promote', '--cwd', repo.fleet, '--to', 'staging', '--allow-rollback', '--json');
    expect(r.code, r.stderr).toBe(0);
    out = JSON.parse(r.stdout) as { oci: OciOut[] };
    for (const o of out.oci) {
      expect(o.action).toBe('tagged');
      expect((await manifest(o.cluster, 'latest')).digest).toBe(o.digest);
      expect((await manifest(o.cluster, sha)).digest).toBe(o.digest);
    }
    // moving a tag uploads no blob
    expect(uploads().filter((c) => c.includes('/blobs/'))).toEqual([]);
  });
});
