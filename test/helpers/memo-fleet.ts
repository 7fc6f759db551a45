/** A bench fleet in a git repo with a remote, its own cache dir and counting tool wrappers: the cache tests' common ground. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { makeFleetRepo, type FleetRepo } from './fleet-repo.js';
import { ENV_OF, toolCalls, type ToolCalls } from './tool-calls.js';

export interface MemoFleet {
  /** A temp dir holding the fleet's source copy, the cache (`KILN_CACHE_DIR`) and the wrappers. */
  base: string;
  repo: FleetRepo;
  tools: ToolCalls;
  /** Put back the environment the fleet changed, remove its dirs. */
  cleanup(): void;
}

export async function memoFleet(prefix: string, clusters: number): Promise<MemoFleet> {
  const saved = Object.fromEntries(['KILN_CACHE_DIR', 'KILN_RENDER_CACHE', 'KILN_RENDER_WORKER', ...Object.values(ENV_OF)].map((k) => [k, process.env[k]]));
  const base = mkdtempSync(path.join(os.tmpdir(), prefix));
  const src = path.join(base, 'src');
  writeBenchFleet(src, clusters);
  const repo = makeFleetRepo(src);
  const tools = await toolCalls(base);
  tools.wrap();
  process.env.KILN_CACHE_DIR = path.join(base, 'cache');
  return {
    base,
    repo,
    tools,
    cleanup() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      repo.cleanup();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
