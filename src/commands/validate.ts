import { loadConfig, throwIfAny } from '../config/load.js';
import { missingKubeVersions } from '../fleet/kube-version.js';
import { planFleet } from '../fleet/plan.js';
import type { Warning } from '../model.js';
import type { GlobalOptions } from './options.js';

export interface ValidateResult {
  ok: true;
  clusters: number;
  profiles: number;
  /** (cluster, profile) pairs that were templated and path-checked. */
  assignments: number;
  components: number;
  warnings: Warning[];
}

/** `kiln validate`: schemas, references, selectors, templates and paths for every cluster; no render tools. */
export async function validate(g: GlobalOptions): Promise<ValidateResult> {
  const { config, warnings } = await loadConfig({ cwd: g.cwd, config: g.config });
  const plans = planFleet(config);
  throwIfAny(missingKubeVersions(plans));
  let assignments = 0;
  let components = 0;
  for (const p of plans) {
    assignments += p.profiles.length;
    for (const prof of p.profiles) components += prof.components.length;
  }
  return { ok: true, clusters: config.clusters.length, profiles: config.profiles.length, assignments, components, warnings };
}

export function formatValidate(r: ValidateResult): string {
  return `ok: ${r.clusters} clusters, ${r.profiles} profiles, ${r.assignments} profile assignments (${r.components} components)${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}`;
}
