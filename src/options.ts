/**
 * Options every command accepts (design §3), already parsed by the CLI. They live below commands/
 * (fleet/, diff/, promote/, git/, render/ take them) so no lower layer imports from commands/.
 */
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from './log/logger.js';
import type { Progress } from './log/progress.js';

export interface GlobalOptions {
  cwd: string;
  config?: string;
  json: boolean;
  concurrency: number;
  logger: Logger;
  /** Aborted when the run is interrupted (SIGINT/SIGTERM): render sessions kill their tools and stop. */
  signal?: AbortSignal;
  /** What the run is doing, on stderr (log/progress.ts); absent: no stages shown (library use, tests). */
  progress?: Progress;
}

export function defaultGlobals(overrides: Partial<GlobalOptions> = {}): GlobalOptions {
  return {
    cwd: path.resolve(overrides.cwd ?? process.cwd()),
    json: false,
    concurrency: os.availableParallelism(),
    logger: createLogger(),
    ...overrides,
  };
}

export function cacheDir(env = process.env): string {
  return path.resolve(env.KILN_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'kiln'));
}
