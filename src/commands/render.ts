import { stat } from 'node:fs/promises';
import path from 'node:path';
import { KilnError, warningLine } from '../errors.js';
import { renderFleet } from '../fleet/render-fleet.js';
import { inputsNotInCommit, notInCommitMessage } from '../git/inputs-in-commit.js';
import { prepareRender } from '../fleet/prepare.js';
import type { Selection } from '../fleet/plan.js';
import { writeClusterDir } from '../manifests/write.js';
import type { Warning } from '../model.js';
import { checkerFor, logCheckStats, logFindings } from '../check/gate.js';
import { summarize, type CheckSummary, type ClusterCheck } from '../check/model.js';
import type { GlobalOptions } from './options.js';

export interface RenderOptions extends Selection {
  out: string;
  /** Skip the checks of what was rendered (`--no-check`). */
  noCheck?: boolean;
}

export interface RenderResult {
  out: string;
  clusters: Array<{ name: string; environment: string; branch: string; dir: string; files: number }>;
  objects: number;
  warnings: Warning[];
  /** What the checks found (absent when turned off); errors make `kiln render` exit 1, the files are written all the same. */
  checks?: CheckSummary;
}

/** `kiln render`: `<out>/<cluster>/` holds exactly what that cluster's branch would hold. */
export async function render(g: GlobalOptions, opts: RenderOptions): Promise<RenderResult> {
  const out = path.resolve(g.cwd, opts.out);
  // before anything renders: a file where the directory should be is the user's to move
  const existing = await stat(out).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new KilnError(`--out ${opts.out} is a file, not a directory`, { hint: 'pass a directory (it is created when missing)' });
  const prep = await prepareRender(g, opts);
  try {
    // render reads the work tree (and works outside git); publish would not see ignored inputs
    const missing = await inputsNotInCommit(prep.config.root, prep.plans);
    if (missing.length) prep.warnings.push({ message: notInCommitMessage(missing, prep.env.source.commit) });
    for (const w of prep.warnings) g.logger.warn(warningLine(w));
    const clusters: RenderResult['clusters'] = [];
    const checker = await checkerFor(prep, { noCheck: opts.noCheck });
    const checked: ClusterCheck[] = [];
    const summary = await renderFleet(prep.plans, prep.env, {
      concurrency: g.concurrency,
      logger: g.logger,
      onCluster: async (r) => {
        if (checker) checked.push(await checker.check(r.plan.cluster, r.plan.outputPath, r.files, r.writtenFrom));
        const dir = await writeClusterDir(out, r.plan.cluster.name, r.files);
        clusters.push({ name: r.plan.cluster.name, environment: r.plan.cluster.environment, branch: r.plan.branch, dir, files: r.files.size });
      },
    });
    for (const w of summary.warnings) g.logger.warn(warningLine(w));
    clusters.sort((a, b) => a.name.localeCompare(b.name));
    const checks = checker ? summarize(checked) : undefined;
    if (checks) logFindings(g.logger, checks);
    if (checker) logCheckStats(g.logger, checker.stats);
    return { out, clusters, objects: summary.objects, warnings: [...prep.warnings, ...summary.warnings], ...(checks ? { checks } : {}) };
  } finally {
    await prep.cleanup();
  }
}

export function formatRender(r: RenderResult): string {
  const lines = r.clusters.map((c) => `${c.name}\t${c.environment}\t${c.files} files\t${path.relative(process.cwd(), c.dir) || c.dir}`);
  lines.push(`rendered ${r.clusters.length} cluster(s), ${r.objects} objects into ${r.out}`);
  if (r.checks) lines.push(`checks: ${r.checks.errors} error(s), ${r.checks.warnings} warning(s)`);
  return lines.join('\n');
}
