/**
 * spec.output.branches: false end to end against a real registry on 127.0.0.1: publish pushes only
 * artifacts (no branch appears on the remote), the real `flux pull artifact` unpacks what `kiln
 * render` writes, a republish uploads nothing, an older source commit never replaces a newer one,
 * and status, diff and promote read the registry.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, readTree, remoteBranches, sh, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ALL_CLUSTERS, ociFleet, type OciFleet } from '../helpers/oci-fleet.js';
import { startRegistry, type LocalRegistry } from '../helpers/registry.js';
import { ENV_CLUSTERS, promoteFleet } from '../promote/helpers.js';
import { loadConfig } from '../../src/config/load.js';
import { branchFor } from '../../src/fleet/plan.js';
import { createLogger } from '../../src/log/logger.js';
import { publishArtifactsOnly } from '../../src/oci/artifacts-only.js';
import { ociTargets } from '../../src/oci/targets.js';
import { createOrderer } from '../../src/publish/source-order.js';

const ALL = ALL_CLUSTERS;

interface OciOut {
  cluster: string;
  repository: string;
  digest: string;
  action: string;
  tags: string[];
  reason?: string;
}

describe('kiln with spec.output.branches: false (OCI artifacts only)', () => {
  let f: OciFleet;
  let repo: FleetRepo;
  let reg: LocalRegistry;
  const uploads = () => f.uploads();
  const fluxPull = async (ref: string) => (await f.fluxPull(ref)).files;

  beforeAll(async () => {
    f = await ociFleet((host) => `  output:\n    branches: false\n    oci:\n      repository: "oci://${host}/only/{{ .Cluster.name }}"\n      insecure: true\n`, 'artifacts only');
    ({ repo, reg } = f);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const run = async (...args: string[]) => {
    const r = await kiln(...args, '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const publish = async (...extra: string[]) => (await run('publish', ...extra)) as { oci: OciOut[]; branches: unknown[]; artifactsOnly?: boolean };
  const movingDigest = async (cluster: string) => (await fetch(`http://${reg.host}/v2/only/${cluster}/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');

  it('refuses branches: false without spec.output.oci, naming the field', async () => {
    const other = promoteFleet();
    try {
      const kilnYaml = path.join(other.fleet, 'kiln.yaml');
      writeFileSync(kilnYaml, `${sh(other.fleet, 'cat', [kilnYaml])}  output:\n    branches: false\n`);
      const r = await kiln('validate', '--cwd', other.fleet);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/kiln\.yaml:\d+:\d+.*spec\.output\.branches/);
      expect(r.stderr).toContain('spec.output.oci.repository');
    } finally {
      other.cleanup();
    }
  });

  it('a dry run pushes nothing; publish pushes artifacts and no branch; flux pulls what kiln render writes', async () => {
    const head = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const dry = await publish('--dry-run');
    expect(dry.oci.map((o) => o.action)).toEqual(ALL.map(() => 'pushed'));
    expect(uploads()).toEqual([]);

    const out = await publish();
    expect(out.artifactsOnly).toBe(true);
    expect(out.branches).toEqual([]);
    // the rendered-branches remote stays empty: no branch, no note
    expect(remoteBranches(repo.remote).size).toBe(0);
    expect(gitIn(repo.remote, 'for-each-ref')).toBe('');
    expect(out.oci.map((o) => o.cluster).sort()).toEqual([...ALL].sort());
    expect(out.oci.map((o) => o.digest)).toEqual(dry.oci.map((o) => o.digest)); // the dry run named the same artifacts
    const rendered = mkdtempSync(path.join(os.tmpdir(), 'kiln-oci-only-render-'));
    try {
      await run('render', '--out', rendered);
      for (const o of out.oci) {
        expect(o.action).toBe('pushed');
        expect(o.tags).toEqual([head, 'latest']);
        expect(await movingDigest(o.cluster)).toBe(o.digest);
        const pulled = await fluxPull(`${reg.host}/only/${o.cluster}:${head}`);
        const want = readTree(path.join(rendered, o.cluster));
        expect([...pulled.keys()]).toEqual([...want.keys()]);
        for (const [f, text] of want) expect(pulled.get(f), f).toBe(text);
      }
    } finally {
      rmSync(rendered, { recursive: true, force: true });
    }
  });

  it('a republish uploads nothing, with or without the cache', async () => {
    reg.reset();
    expect((await publish()).oci.every((o) => o.action === 'unchanged')).toBe(true);
    rmSync(f.cache, { recursive: true, force: true });
    expect((await publish()).oci.every((o) => o.action === 'unchanged')).toBe(true);
    expect(uploads()).toEqual([]);
  });

  it('a newer commit moves only what changed; status reads the registry; an older commit never wins', async () => {
    const old = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    setGenVersion(repo.fleet, '2');
    const sha = repo.commit('version 2 everywhere');
    const out = await publish('--env', 'dev');
    expect(out.oci.map((o) => [o.cluster, o.action]).sort()).toEqual(ENV_CLUSTERS.dev!.map((c) => [c, 'pushed']).sort());
    const pulled = await fluxPull(`${reg.host}/only/dev-c0000:latest`);
    expect([...pulled.values()].join('')).toContain('version: "2"');

    const st = (await run('status')) as { environments: Array<{ name: string; clusters: Array<{ cluster: string; sourceCommit?: string; behind?: number }> }> };
    const dev = st.environments.find((e) => e.name === 'dev')!;
    expect(dev.clusters.map((c) => [c.cluster, c.sourceCommit, c.behind])).toEqual(ENV_CLUSTERS.dev!.map((c) => [c, sha, 0]));
    const staging = st.environments.find((e) => e.name === 'staging')!;
    expect(staging.clusters.every((c) => c.sourceCommit === old && c.behind === 1)).toBe(true);

    // a late job publishing the older commit: refused per cluster, the moving tag stays
    const before = await movingDigest('dev-c0000');
    gitIn(repo.fleet, 'checkout', '-q', old);
    try {
      const late = await publish('--env', 'dev', '--allow-unpushed');
      expect(late.oci.map((o) => o.action)).toEqual(['skipped-older', 'skipped-older']);
      expect(late.oci[0]!.reason).toContain(sha.slice(0, 12));
    } finally {
      gitIn(repo.fleet, 'checkout', '-q', 'main');
    }
    expect(await movingDigest('dev-c0000')).toBe(before);
  });

  it('diff compares a change with the artifacts the moving tags hold', async () => {
    setGenVersion(repo.fleet, '9'); // the work tree, uncommitted
    try {
      const d = (await run('diff', '--env', 'dev', '--no-check')) as { base: { kind: string; ref: string }; totals: { changed: number }; clusters: Array<{ name: string; baseCommit?: string }> };
      expect(d.base).toEqual({ kind: 'published', ref: `oci://${reg.host}/only/{{ .Cluster.name }}` });
      expect(d.totals.changed).toBeGreaterThan(0);
      for (const c of d.clusters) expect(c.baseCommit).toBe(await movingDigest(c.name));
    } finally {
      gitIn(repo.fleet, 'checkout', '--', '.');
    }
    const same = (await run('diff', '--env', 'dev', '--no-check')) as { totals: { changed: number; added: number; removed: number }; clusters: Array<{ name: string; baseCommit?: string }> };
    expect(same.totals).toMatchObject({ changed: 0, added: 0, removed: 0 });
    // clusters skipped as unchanged (remembered renders) still name the artifact they were compared with
    for (const c of same.clusters) expect(c.baseCommit).toBe(await movingDigest(c.name));
  });

  it('promote pushes the target artifacts from what the registry says dev runs; a rollback tags a digest it holds', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    // refused before any forge call (the forge URL is a closed port)
    process.env.GITHUB_TOKEN = 'test-token';
    const pr = await kiln('promote', '--cwd', repo.fleet, '--to', 'staging', '--pr', '--forge', 'github', '--forge-url', 'http://127.0.0.1:9', '--forge-repo', 'o/r').finally(() => delete process.env.GITHUB_TOKEN);
    expect(pr.code).toBe(1);
    expect(pr.stderr).toContain('spec.output.branches: false');

    const out = (await run('promote', '--to', 'staging')) as { oci: OciOut[]; sourceCommit: string };
    expect(out.sourceCommit).toBe(sha);
    expect(out.oci.map((o) => [o.cluster, o.action, o.tags[0]])).toEqual(ENV_CLUSTERS.staging!.map((c) => [c, 'pushed', sha]));
    expect([...(await fluxPull(`${reg.host}/only/staging-c0001:latest`)).values()].join('')).toContain('version: "2"');
    const promoted = await movingDigest('staging-c0001');
    expect((await run('promote', '--to', 'staging')) as { oci: OciOut[] }).toMatchObject({ oci: ENV_CLUSTERS.staging!.map(() => ({ action: 'unchanged' })) });

    // a hotfix straight to staging, then a promotion back to what dev runs: the registry holds that digest
    setGenVersion(repo.fleet, '3');
    repo.commit('hotfix in staging');
    await publish('--env', 'staging');
    expect(await movingDigest('staging-c0001')).not.toBe(promoted);
    const refused = await kiln('promote', '--cwd', repo.fleet, '--to', 'staging');
    expect(refused.code).toBe(3);
    reg.reset();
    const back = (await run('promote', '--to', 'staging', '--allow-rollback')) as { oci: OciOut[] };
    expect(back.oci.map((o) => o.action)).toEqual(['tagged', 'tagged']);
    expect(await movingDigest('staging-c0001')).toBe(promoted);
    expect(uploads().filter((c) => c.includes('/blobs/'))).toEqual([]);
  });

  it('report reads what runs where from the registry', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'kiln-oci-only-report-'));
    try {
      const r = (await run('report', '--out', out)) as { clusters: number; published: number };
      expect(r.clusters).toBe(ALL.length);
      expect(r.published).toBe(ALL.length);
      const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { clusters: Array<{ name: string; sourceCommit?: string; renderedCommit?: string; objects: unknown[] }> };
      const dev = gitIn(repo.fleet, 'rev-parse', 'HEAD~1'); // version 2, what dev runs
      const devs = data.clusters.filter((c) => c.name.startsWith('dev-'));
      expect(devs.map((c) => c.sourceCommit)).toEqual([dev, dev]);
      for (const c of devs) {
        expect(c.renderedCommit).toBe(await movingDigest(c.name));
        expect(c.objects.length).toBeGreaterThan(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('artifacts only: a publish that loses the race to a newer one', () => {
  it('re-reads the moving tag before moving it: a newer source commit another publish put there meanwhile stays', async () => {
    const reg = await startRegistry();
    const repo = promoteFleet();
    const out = mkdtempSync(path.join(os.tmpdir(), 'kiln-oci-race-'));
    const cache = process.env.KILN_CACHE_DIR;
    process.env.KILN_CACHE_DIR = path.join(out, 'cache');
    try {
      const kilnYaml = path.join(repo.fleet, 'kiln.yaml');
      writeFileSync(kilnYaml, `${sh(repo.fleet, 'cat', [kilnYaml])}  output:\n    branches: false\n    oci:\n      repository: "oci://${reg.host}/race/{{ .Cluster.name }}"\n      insecure: true\n`);
      const older = repo.commit('artifacts only');
      // what the older commit renders, taken before a newer commit exists
      expect((await kiln('render', '--cwd', repo.fleet, '--env', 'dev', '--out', path.join(out, 'r'))).code).toBe(0);
      setGenVersion(repo.fleet, '2');
      const newer = repo.commit('version 2');
      const { config } = await loadConfig({ cwd: repo.fleet });
      const dev = config.clusters.filter((c) => c.environment === 'dev');
      const targets = ociTargets(config, dev);
      const res = await publishArtifactsOnly({
        source: { commit: older },
        created: '2026-01-01T00:00:00Z',
        targets,
        movingTag: 'latest',
        order: createOrderer(repo.fleet, older),
        dryRun: false,
        force: false,
        logger: createLogger({ level: 'silent' }),
        // the moving tags were read (none yet); while this publish renders, a newer one completes
        render: async (on) => {
          const r = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--json');
          expect(r.code, r.stderr).toBe(0);
          for (const c of dev) {
            const files = new Map([...readTree(path.join(out, 'r', c.name))].map(([p, t]) => [p, t] as [string, string]));
            await on({ branch: branchFor(config, c), cluster: c.name, environment: c.environment, files });
          }
          return new Set<string>();
        },
      });
      expect(res.map((o) => o.action)).toEqual(['skipped-older', 'skipped-older']);
      for (const o of res) {
        expect(o.reason).toContain(newer.slice(0, 12));
        const m = await fetch(`http://${reg.host}/v2/race/${o.cluster}/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        expect(((await m.json()) as { annotations: Record<string, string> }).annotations['org.opencontainers.image.revision']).toBe(`main@sha1:${newer}`);
      }
    } finally {
      if (cache === undefined) delete process.env.KILN_CACHE_DIR;
      else process.env.KILN_CACHE_DIR = cache;
      await reg.stop();
      repo.cleanup();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
