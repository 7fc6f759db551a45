import path from 'node:path';
import { renderFleet } from '../fleet/render-fleet.js';
import { inputsNotInCommit, notInCommitMessage } from '../git/inputs-in-commit.js';
import { prepareRender } from '../fleet/prepare.js';
import type { Selection } from '../fleet/plan.js';
import { writeClusterDir } from '../manifests/write.js';
import type { Warning } from '../model.js';
import type { GlobalOptions } from './options.js';

export interface RenderOptions extends Selection {
  out: string;
}

export interface RenderResult {
  out: string;
  clusters: Array<{ name: string; environment: string; branch: string; dir: string; files: number }>;
  objects: number;
  warnings: Warning[];
}

/** `kiln render`: `<out>/<cluster>/` holds exactly what that cluster's branch would hold. */
export async function render(g: GlobalOptions, opts: RenderOptions): Promise<RenderResult> {
  const out = path.resolve(g.cwd, opts.out);
  const prep = await prepareRender(g, opts);
  try {
    // render reads the work tree (and works outside git); publish would not see ignored inputs
    const missing = await inputsNotInCommit(prep.config.root, prep.plans);
    if (missing.length) prep.warnings.push({ message: notInCommitMessage(missing, prep.env.source.commit) });
    for (const w of prep.warnings) g.logger.warn(w.message);
    const clusters: RenderResult['clusters'] = [];
    const summary = await renderFleet(prep.plans, prep.env, {
      concurrency: g.concurrency,
      logger: g.logger,
      onCluster: async (r) => {
        const dir = await writeClusterDir(out, r.plan.cluster.name, r.files);
        clusters.push({ name: r.plan.cluster.name, environment: r.plan.cluster.environment, branch: r.plan.branch, dir, files: r.files.size });
      },
    });
    for (const w of summary.warnings) g.logger.warn(w.message);
    clusters.sort((a, b) => a.name.localeCompare(b.name));
    return { out, clusters, objects: summary.objects, warnings: [...prep.warnings, ...summary.warnings] };
  } finally {
    await prep.cleanup();
  }
}

export function formatRender(r: RenderResult): string {
  const lines = r.clusters.map((c) => `${c.name}\t${c.environment}\t${c.files} files\t${path.relative(process.cwd(), c.dir) || c.dir}`);
  lines.push(`rendered ${r.clusters.length} cluster(s), ${r.objects} objects into ${r.out}`);
  return lines.join('\n');
}
