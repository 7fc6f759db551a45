/**
 * spec.output.branches: false end to end against a real registry on 127.0.0.1: publish pushes only
 * artifacts (no branch appears on the remote), the real `flux pull artifact` unpacks what `kiln
 * render` writes, a republish uploads nothing, an older source commit never replaces a newer one,
 * and status, diff and promote read the registry.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, readTree, remoteBranches, sh, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { startRegistry, type LocalRegistry } from '../helpers/registry.js';
import { which } from '../helpers/tools.js';
import { ENV_CLUSTERS, promoteFleet } from '../promote/helpers.js';

const execFileAsync = promisify(execFile);
const ALL = [...ENV_CLUSTERS.dev!, ...ENV_CLUSTERS.staging!, ...ENV_CLUSTERS.prod!];

interface OciOut {
  cluster: string;
  repository: string;
  digest: string;
  action: string;
  tags: string[];
  reason?: string;
}

describe('kiln with spec.output.branches: false (OCI artifacts only)', () => {
  let repo: FleetRepo;
  let reg: LocalRegistry;
  let cache: string;
  let flux: string;
  const uploads = () => reg.calls.filter((c) => /^(PUT|POST|PATCH|DELETE) /.test(c));

  beforeAll(async () => {
    flux = which('flux');
    reg = await startRegistry();
    repo = promoteFleet();
    const kilnYaml = path.join(repo.fleet, 'kiln.yaml');
    const base = sh(repo.fleet, 'cat', [kilnYaml]);
    writeFileSync(kilnYaml, `${base}  output:\n    branches: false\n    oci:\n      repository: "oci://${reg.host}/only/{{ .Cluster.name }}"\n      insecure: true\n`);
    repo.commit('artifacts only');
    cache = mkdtempSync(path.join(os.tmpdir(), 'kiln-oci-only-cache-'));
    process.env.KILN_CACHE_DIR = cache;
  });
  afterAll(async () => {
    delete process.env.KILN_CACHE_DIR;
    await reg?.stop();
    repo?.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const r = await kiln(...args, '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const publish = async (...extra: string[]) => (await run('publish', ...extra)) as { oci: OciOut[]; branches: unknown[]; artifactsOnly?: boolean };
  const movingDigest = async (cluster: string) => (await fetch(`http://${reg.host}/v2/only/${cluster}/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');
  const fluxPull = async (ref: string) => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'kiln-flux-pull-'));
    const home = mkdtempSync(path.join(os.tmpdir(), 'kiln-flux-home-'));
    try {
      await execFileAsync(flux, ['pull', 'artifact', `oci://${ref}`, '--output', out, '--insecure-registry'], { encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 120_000 });
      return readTree(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  };

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
    rmSync(cache, { recursive: true, force: true });
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
});
