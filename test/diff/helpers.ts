/** Diff test helpers: run `diff()` with a fixed masking key, and normalise commit ids for goldens. */
import { diff, type DiffOptions, type DiffResult } from '../../src/commands/diff.js';
import { defaultGlobals } from '../../src/commands/options.js';
import { createMasker } from '../../src/diff/mask.js';
import { createMemoryLogger } from '../../src/log/logger.js';

export const FIXED_KEY = Buffer.alloc(32, 7);

export async function runDiff(cwd: string, opts: Partial<DiffOptions> = {}): Promise<DiffResult & { log: string[] }> {
  const logger = createMemoryLogger('info');
  const g = defaultGlobals({ cwd, logger, concurrency: 2 });
  const r = await diff(g, { remote: 'origin', ignore: [], defaultIgnores: true, exitCode: false, ...opts }, { masker: createMasker(FIXED_KEY) });
  return { ...r, log: logger.lines };
}

/** Commit ids differ per run (dates): golden files hold `<sha>` instead. */
export function normalise(text: string, shas: string[]): string {
  let out = text;
  for (const s of shas) out = out.split(s).join('<sha>').split(s.slice(0, 12)).join('<sha>');
  return out;
}
