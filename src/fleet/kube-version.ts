/**
 * A cluster without `kubeVersion` would be rendered by Helm as its built-in default (v1.20.0 in Helm
 * 3): charts needing a newer Kubernetes fail, and `semverCompare` in templates picks old APIs.
 * `validate` makes it an error; render and publish warn (their tests and old fleets keep working).
 */
import { KilnError } from '../errors.js';
import type { Warning } from '../model.js';
import type { ClusterPlan } from './plan.js';

/** One problem per cluster that renders a Helm chart and has no kubeVersion (its own or the fleet's). */
export function missingKubeVersions(plans: ClusterPlan[]): KilnError[] {
  const out: KilnError[] = [];
  for (const p of plans) {
    if (p.cluster.kubeVersion) continue;
    const charts = p.profiles.flatMap((prof) => prof.components.filter((c) => c.engine === 'helm').map((c) => `${prof.name}/${c.name}`));
    if (!charts.length) continue;
    out.push(
      new KilnError(`cluster "${p.cluster.name}" has no kubeVersion: Helm would render ${charts.slice(0, 3).join(', ')}${charts.length > 3 ? ` and ${charts.length - 3} more` : ''} for its default Kubernetes (v1.20.0)`, {
        pos: p.cluster.doc.locate(['spec']),
        field: 'spec.kubeVersion',
        hint: 'set spec.kubeVersion (e.g. "1.31.4") on the cluster, or a fleet-wide default spec.kubeVersion in kiln.yaml',
      }),
    );
  }
  return out;
}

export function missingKubeVersionWarnings(plans: ClusterPlan[]): Warning[] {
  return missingKubeVersions(plans).map((e) => ({ message: e.message, pos: e.pos }));
}
