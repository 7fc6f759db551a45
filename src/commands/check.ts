/** `kiln check`: render the selected clusters and check what each would receive; nothing is written. */
import { warningLine } from '../errors.js';
import { checkCacheOf, logCheckStats } from '../check/gate.js';
import { createChecker } from '../check/run.js';
import { formatFinding, summarize, type CheckSummary, type ClusterCheck } from '../check/model.js';
import { prepareRender } from '../fleet/prepare.js';
import type { Selection } from '../fleet/plan.js';
import { renderFleet } from '../fleet/render-fleet.js';
import { determinismFindings } from '../fleet/determinism.js';
import type { Warning } from '../model.js';
import type { GlobalOptions } from './options.js';

export interface CheckOptions extends Selection {
  /** A cluster's kubeVersion outside the schema range is an error, not a warning. */
  strict: boolean;
  /** Render every component twice more and report what differs (`--determinism`). */
  determinism?: boolean;
}

export interface CheckResult extends CheckSummary {
  schema: 'kiln.dev/check/v1';
  warningsOfRender: Warning[];
}

export async function check(g: GlobalOptions, opts: CheckOptions): Promise<CheckResult> {
  const prep = await prepareRender(g, opts);
  try {
    for (const w of prep.warnings) g.logger.warn(warningLine(w));
    // `kiln check` checks even when spec.checks.enabled is false: asking is explicit
    const checker = await createChecker(prep.config, { ...prep.config.checks, enabled: true }, { strict: opts.strict, tmpDir: prep.env.tmpDir, timeoutMs: prep.env.timeoutMs, limit: prep.env.toolLimit, exec: prep.env.exec, cache: checkCacheOf(prep) });
    const results: ClusterCheck[] = [];
    const summary = await renderFleet(prep.plans, prep.env, {
      concurrency: g.concurrency,
      logger: g.logger,
      onCluster: async (r) => void results.push(await checker.check(r.plan.cluster, r.plan.outputPath, r.files, r.writtenFrom)),
    });
    for (const w of summary.warnings) g.logger.warn(warningLine(w));
    if (opts.determinism) {
      const found = await determinismFindings(prep.config, prep.plans, prep.env);
      for (const r of results) r.findings.push(...(found.get(r.cluster) ?? []));
    }
    logCheckStats(g.logger, checker.stats);
    return { schema: 'kiln.dev/check/v1', ...summarize(results), warningsOfRender: [...prep.warnings, ...summary.warnings] };
  } finally {
    await prep.cleanup();
  }
}

export function formatCheck(r: CheckSummary): string {
  const lines = r.clusters.flatMap((c) => c.findings.map((f) => formatFinding(f)));
  const objects = r.clusters.reduce((n, c) => n + c.objects, 0);
  lines.push(`checked ${objects} objects on ${r.clusters.length} cluster(s): ${r.errors} error(s), ${r.warnings} warning(s)`);
  return lines.join('\n');
}
