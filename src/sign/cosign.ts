/**
 * Signing and attesting pushed artifacts with the real cosign (pinned in scripts/setup.sh): a key
 * pair, no transparency log and no Fulcio (keyless needs the internet and an OIDC identity), and the
 * classic `sha256-<digest>.sig` / `.att` tags, which Flux's `OCIRepository.spec.verify` (provider
 * cosign) and `cosign verify --key` both read. Registry credentials reach cosign through a temporary
 * DOCKER_CONFIG, never its argv.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../exec/exec.js';
import type { Logger } from '../log/logger.js';
import { credentialsFromEnv, type OciRepo } from '../oci/registry.js';
import type { Signer } from './signer.js';

/** The predicate type cosign's `--type slsaprovenance1` stands for. */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

const COMMON = ['--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', '--yes'];

export function cosignBinary(env = process.env): string {
  return env.KILN_COSIGN || 'cosign';
}

export function cosignSigner(key: string, logger: Logger): Signer {
  return {
    async sign(repo, digest, _artifact, provenance) {
      const ref = `${repo.host}/${repo.name}@${digest}`;
      const dir = await mkdtemp(path.join(os.tmpdir(), 'kiln-cosign-'));
      try {
        const env = await cosignEnv(dir, repo);
        const reg = repo.insecure ? ['--allow-http-registry', '--allow-insecure-registry'] : [];
        const opts = { env, allowEnv: ['COSIGN_PASSWORD', ...(key.startsWith('env://') ? [key.slice('env://'.length)] : [])], timeoutMs: 300_000 };
        await run(cosignBinary(), ['sign', '--key', key, ...COMMON, ...reg, ref], opts);
        if (provenance !== undefined) {
          const file = path.join(dir, 'provenance.json');
          await writeFile(file, JSON.stringify(provenance));
          await run(cosignBinary(), ['attest', '--key', key, '--type', 'slsaprovenance1', '--predicate', file, ...COMMON, ...reg, ref], opts);
        }
        logger.debug(`signed ${ref}${provenance !== undefined ? ' and attached its provenance' : ''}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

async function cosignEnv(dir: string, repo: OciRepo): Promise<Record<string, string>> {
  // cosign reads registry credentials from a docker config; an empty one keeps the user's own out of it
  const creds = credentialsFromEnv();
  const auths = creds ? { [repo.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } : {};
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths }), { mode: 0o600 });
  return { DOCKER_CONFIG: dir, HOME: dir };
}
