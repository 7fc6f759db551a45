/** Checks inside render, publish and diff: on unless the fleet or `--no-check` says otherwise. */
import { KilnError } from '../errors.js';
import type { Prepared } from '../fleet/prepare.js';
import type { Logger } from '../log/logger.js';
import { diskCheckCache, type CheckCache, type CheckStats } from './cache.js';
import { formatFinding, type CheckSummary } from './model.js';
import { createChecker, type Checker } from './run.js';

/** The checker of a render run, or undefined when the fleet (spec.checks.enabled) or `--no-check` turns checks off. */
export async function checkerFor(prep: Prepared, opts: { noCheck?: boolean; strict?: boolean }): Promise<Checker | undefined> {
  if (opts.noCheck || !prep.config.checks.enabled) return undefined;
  return createChecker(prep.config, prep.config.checks, { strict: Boolean(opts.strict), tmpDir: prep.env.tmpDir, timeoutMs: prep.env.timeoutMs, limit: prep.env.toolLimit, exec: prep.env.exec, cache: checkCacheOf(prep) });
}

/** The persistent check cache when the run keeps renders across runs (KILN_RENDER_CACHE), in the same dir. */
export function checkCacheOf(prep: Prepared): CheckCache | undefined {
  return prep.env.renderCache ? diskCheckCache(prep.env.cacheDir, prep.env.kilnVersion) : undefined;
}

/** One debug line per run: what the checks parsed, validated and ran, and what came from the cache. */
export function logCheckStats(logger: Logger, s: CheckStats): void {
  logger.debug(`checks: ${s.objects} object(s), ${s.parsed} parsed; ${s.schemaRuns} schema validation(s) run, ${s.schemaShared} shared within the run; ${s.policyRuns} conftest run(s), ${s.policyCached} from the cache`);
}

/** Blocks a publish: every error was logged above; nothing is pushed. */
export function failingChecks(s: CheckSummary, what: string): KilnError {
  const clusters = s.clusters.filter((c) => c.findings.some((f) => f.severity === 'error')).length;
  return new KilnError(`checks found ${s.errors} error(s) on ${clusters} cluster(s): ${what}`, { hint: 'fix them, or pass --allow-failing-checks to go ahead anyway (--no-check skips the checks)' });
}


/** Findings on stderr: errors as errors, warnings as warnings, one line each. */
export function logFindings(logger: Logger, s: CheckSummary): void {
  for (const c of s.clusters) for (const f of c.findings) (f.severity === 'error' ? logger.error : logger.warn)(formatFinding(f, false));
}
