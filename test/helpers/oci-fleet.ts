/**
 * The promote fleet publishing to a real registry on 127.0.0.1 (spec.output.oci), with its own render
 * cache, and the real `flux pull artifact` to read what landed: shared by the OCI end-to-end tests.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ENV_CLUSTERS, promoteFleet } from '../promote/helpers.js';
import { readTree, sh, type FleetRepo } from './fleet-repo.js';
import { startRegistry, type LocalRegistry } from './registry.js';
import { which } from './tools.js';

const execFileAsync = promisify(execFile);
export const ALL_CLUSTERS = [...ENV_CLUSTERS.dev!, ...ENV_CLUSTERS.staging!, ...ENV_CLUSTERS.prod!];

export interface OciFleet {
  repo: FleetRepo;
  reg: LocalRegistry;
  /** The render cache (KILN_CACHE_DIR while the fleet is up). */
  cache: string;
  /** Registry calls that write. */
  uploads(): string[];
  /** What the real flux CLI unpacks from `ref` (async: the counting proxy runs in this process). */
  fluxPull(ref: string): Promise<{ files: Map<string, string>; log: string }>;
  stop(): Promise<void>;
}

/** `output(host)`: the kiln.yaml lines under `spec:` that point the fleet's output at the registry. */
export async function ociFleet(output: (host: string) => string, message: string): Promise<OciFleet> {
  const flux = which('flux');
  const reg = await startRegistry();
  const repo = promoteFleet();
  const kilnYaml = path.join(repo.fleet, 'kiln.yaml');
  writeFileSync(kilnYaml, `${sh(repo.fleet, 'cat', [kilnYaml])}${output(reg.host)}`);
  repo.commit(message);
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kiln-oci-cache-'));
  process.env.KILN_CACHE_DIR = cache;
  return {
    repo,
    reg,
    cache,
    uploads: () => reg.calls.filter((c) => /^(PUT|POST|PATCH|DELETE) /.test(c)),
    async fluxPull(ref) {
      const out = mkdtempSync(path.join(os.tmpdir(), 'kiln-flux-pull-'));
      const home = mkdtempSync(path.join(os.tmpdir(), 'kiln-flux-home-'));
      try {
        const r = await execFileAsync(flux, ['pull', 'artifact', `oci://${ref}`, '--output', out, '--insecure-registry'], { encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 120_000 });
        return { files: readTree(out), log: r.stdout + r.stderr };
      } finally {
        rmSync(out, { recursive: true, force: true });
        rmSync(home, { recursive: true, force: true });
      }
    },
    async stop() {
      delete process.env.KILN_CACHE_DIR;
      await reg.stop();
      repo.cleanup();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
