import { loadConfig, throwIfAny } from '../config/load.js';
import { missingKubeVersions } from '../fleet/kube-version.js';
import { planFleet } from '../fleet/plan.js';
import { unpinnedInputs } from '../render/unpinned.js';
import { RunMemo } from '../util/run-memo.js';
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
  const memo = new RunMemo();
  throwIfAny(missingKubeVersions(plans));
  let assignments = 0;
  let components = 0;
  const unpinned = new Map<string, Set<string>>(); // what → profiles reading it
  for (const p of plans) {
    assignments += p.profiles.length;
    for (const prof of p.profiles) {
      components += prof.components.length;
      for (const c of prof.components) {
        for (const what of await unpinnedInputs(c, config.root, memo)) unpinned.set(what, (unpinned.get(what) ?? new Set()).add(`${prof.name}/${c.name}`));
      }
    }
  }
  for (const [what, users] of unpinned) {
    warnings.push({ message: `${what}, read by ${[...users].sort().join(', ')}: unpinned inputs from outside the repo are rendered every time, never cached; pin a full commit id (?ref=<sha>) to cache them and make renders reproducible` });
  }
  return { ok: true, clusters: config.clusters.length, profiles: config.profiles.length, assignments, components, warnings };
}

export function formatValidate(r: ValidateResult): string {
  return `ok: ${r.clusters} clusters, ${r.profiles} profiles, ${r.assignments} profile assignments (${r.components} components)${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}`;
}
