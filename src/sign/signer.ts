/**
 * What kiln signs with, from the environment (keys are secrets: never in kiln.yaml):
 *  - `KILN_COSIGN_KEY`: a cosign private key file, or `env://VAR` (cosign's own syntax); its password
 *    in `COSIGN_PASSWORD`. Every pushed OCI artifact is signed and gets a SLSA provenance attestation.
 *  - `KILN_GIT_SIGNING_KEY` (+ `KILN_GIT_SIGNING_FORMAT`: `openpgp`, the default, or `ssh`): a GPG key
 *    id / fingerprint (from `GNUPGHOME`), or an SSH private key file. Every rendered commit is signed.
 */
import { existsSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Artifact } from '../oci/artifact.js';
import type { OciRepo } from '../oci/registry.js';
import { cosignSigner } from './cosign.js';

export interface Signer {
  /** Sign the manifest `digest` in `repo` and attach `provenance` (an SLSA predicate) as an attestation. */
  sign(repo: OciRepo, digest: string, artifact: Artifact, provenance?: unknown): Promise<void>;
}

export interface GitSigner {
  format: 'openpgp' | 'ssh';
  key: string;
}

export interface Signers {
  oci?: Signer;
  git?: GitSigner;
}

export async function signersFromEnv(logger: Logger, env = process.env): Promise<Signers> {
  const out: Signers = {};
  const cosignKey = env.KILN_COSIGN_KEY;
  if (cosignKey) {
    if (!cosignKey.startsWith('env://') && !existsSync(cosignKey)) throw new KilnError(`KILN_COSIGN_KEY: no such file ${cosignKey}`, { hint: 'create a key pair with `cosign generate-key-pair` and point KILN_COSIGN_KEY at cosign.key (or env://VAR)' });
    out.oci = cosignSigner(cosignKey, logger);
  }
  const gitKey = env.KILN_GIT_SIGNING_KEY;
  if (gitKey) {
    const format = (env.KILN_GIT_SIGNING_FORMAT ?? 'openpgp').toLowerCase();
    if (format !== 'openpgp' && format !== 'ssh') throw new KilnError(`KILN_GIT_SIGNING_FORMAT "${format}" is not openpgp or ssh`);
    if (format === 'ssh' && !existsSync(gitKey)) throw new KilnError(`KILN_GIT_SIGNING_KEY: no such SSH key file ${gitKey}`, { hint: 'ssh-keygen -t ed25519 -f kiln-signing -N ""' });
    out.git = { format, key: gitKey };
  }
  return out;
}
