/**
 * KILN_COSIGN_KEY: every artifact kiln pushes is signed and carries its SLSA provenance as an
 * attestation, checked by the real cosign (pinned in scripts/setup.sh) against a local registry; an
 * artifact kiln did not sign (a tampered manifest) fails `cosign verify`.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { startRegistry, type LocalRegistry } from '../helpers/registry.js';
import { which } from '../helpers/tools.js';
import { withEnv } from '../helpers/with-env.js';

const run = promisify(execFile);

describe('cosign signatures and attestations on pushed artifacts', () => {
  let repo: FleetRepo;
  let reg: LocalRegistry;
  let keys: string;
  let cosign: string;
  // no TUF, no Rekor, no Fulcio: everything stays on 127.0.0.1
  const cosignEnv = () => ({ PATH: process.env.PATH ?? '', HOME: keys, COSIGN_PASSWORD: 'kiln-test', TUF_ROOT: path.join(keys, 'tuf') });
  const verifyFlags = ['--key', '', '--insecure-ignore-tlog=true', '--allow-http-registry', '--allow-insecure-registry'];

  beforeAll(async () => {
    cosign = which('cosign');
    reg = await startRegistry();
    keys = mkdtempSync(path.join(os.tmpdir(), 'kiln-cosign-keys-'));
    await run(cosign, ['generate-key-pair'], { cwd: keys, env: cosignEnv() });
    verifyFlags[1] = path.join(keys, 'cosign.pub');
    const dir = genFleetDir({ clusters: 3 });
    appendFileSync(path.join(dir, 'kiln.yaml'), `  output:\n    oci:\n      repository: "oci://${reg.host}/signed/{{ .Cluster.name }}"\n      insecure: true\n`);
    repo = makeFleetRepo(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  /** `kiln publish --json` with the test key: each artifact signed and attested. */
  const signedPublish = async (r: FleetRepo): Promise<unknown> => {
    const res = await withEnv({ KILN_COSIGN_KEY: path.join(keys, 'cosign.key'), COSIGN_PASSWORD: 'kiln-test', KILN_CACHE_DIR: path.join(keys, 'cache') }, () => kiln('publish', '--cwd', r.fleet, '--json'));
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout);
  };
  afterAll(async () => {
    await reg?.stop();
    repo?.cleanup();
    rmSync(keys, { recursive: true, force: true });
  });

  it('signs and attests every pushed artifact; cosign verify and verify-attestation accept them, a tampered one fails', async () => {
    const out = (await signedPublish(repo)) as { oci: Array<{ cluster: string; digest: string; signed: boolean; action: string }> };
    expect(out.oci).toHaveLength(3);
    for (const o of out.oci) {
      expect(o).toMatchObject({ action: 'pushed', signed: true });
      const ref = `${reg.host}/signed/${o.cluster}@${o.digest}`;
      const v = await run(cosign, ['verify', ...verifyFlags, ref], { env: cosignEnv() });
      expect(v.stdout).toContain(o.digest);
      const a = await run(cosign, ['verify-attestation', ...verifyFlags, '--type', 'slsaprovenance1', ref], { env: cosignEnv() });
      const statement = JSON.parse(Buffer.from(JSON.parse(a.stdout.trim().split('\n')[0]!).payload, 'base64').toString('utf8'));
      expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(statement.subject[0].digest.sha256).toBe(o.digest.slice('sha256:'.length));
      expect(statement.predicate.buildDefinition.buildType).toBe('https://kiln.dev/render/v1');
    }

    // the same artifact with one annotation changed: a new digest nobody signed
    const c = out.oci[0]!;
    const m = await fetch(`http://${reg.host}/v2/signed/${c.cluster}/manifests/${c.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const body = (await m.json()) as { annotations: Record<string, string> };
    body.annotations['org.opencontainers.image.source'] = 'https://evil.example/fleet.git';
    const put = await fetch(`http://${reg.host}/v2/signed/${c.cluster}/manifests/tampered`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(put.status).toBe(201);
    const tampered = put.headers.get('docker-content-digest')!;
    expect(tampered).not.toBe(c.digest);
    await expect(run(cosign, ['verify', ...verifyFlags, `${reg.host}/signed/${c.cluster}@${tampered}`], { env: cosignEnv() })).rejects.toThrow(/no signatures found/);
  });

  it('artifacts only (branches: false): every pushed artifact is signed and attested as well', async () => {
    appendFileSync(path.join(repo.fleet, 'kiln.yaml'), '    branches: false\n');
    const yaml = readFileSync(path.join(repo.fleet, 'kiln.yaml'), 'utf8').replace('/signed/', '/signed-only/');
    writeFileSync(path.join(repo.fleet, 'kiln.yaml'), yaml);
    repo.commit('artifacts only');
    const out = (await signedPublish(repo)) as { artifactsOnly: boolean; oci: Array<{ cluster: string; digest: string; signed: boolean; action: string }> };
    expect(out.artifactsOnly).toBe(true);
    expect(out.oci.map((o) => [o.action, o.signed])).toEqual([['pushed', true], ['pushed', true], ['pushed', true]]);
    for (const o of out.oci) {
      const ref = `${reg.host}/signed-only/${o.cluster}@${o.digest}`;
      expect((await run(cosign, ['verify', ...verifyFlags, ref], { env: cosignEnv() })).stdout).toContain(o.digest);
      const a = await run(cosign, ['verify-attestation', ...verifyFlags, '--type', 'slsaprovenance1', ref], { env: cosignEnv() });
      const statement = JSON.parse(Buffer.from(JSON.parse(a.stdout.trim().split('\n')[0]!).payload, 'base64').toString('utf8'));
      expect(statement.subject[0].digest.sha256).toBe(o.digest.slice('sha256:'.length));
    }
  });
});
