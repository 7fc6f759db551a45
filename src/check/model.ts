/** What the checks report (design §3 `kiln check`; the `checks` of diff's JSON). */

export type CheckName = 'schema' | 'api' | 'policy' | 'version' | 'determinism';
export type Severity = 'error' | 'warning';

export interface Finding {
  check: CheckName;
  severity: Severity;
  cluster: string;
  /** The profile that rendered the object (absent for cluster-wide findings). */
  profile?: string;
  /** `Kind namespace/name` or `Kind name`. */
  object?: string;
  apiVersion?: string;
  /** The object's file on the rendered branch, e.g. `manifests/web/deployment--web.yaml`. */
  file?: string;
  /** Field path inside the object, e.g. `spec.replicas`. */
  path?: string;
  /** The fleet-repo file behind it: the profile's (or, for a cluster-wide finding, the cluster's) document. */
  source?: string;
  message: string;
}

export interface ClusterCheck {
  cluster: string;
  environment: string;
  kubeVersion?: string;
  /** The OpenAPI set built-in kinds were checked against (`1.31`), absent when none applied. */
  schemaSet?: string;
  objects: number;
  /** Objects of kinds with no schema (no built-in, no CRD): not schema-checked. */
  unchecked: string[];
  findings: Finding[];
}

export interface CheckSummary {
  errors: number;
  warnings: number;
  clusters: ClusterCheck[];
}

export function summarize(clusters: ClusterCheck[]): CheckSummary {
  const sorted = [...clusters].sort((a, b) => a.cluster.localeCompare(b.cluster));
  let errors = 0;
  let warnings = 0;
  for (const c of sorted) for (const f of c.findings) f.severity === 'error' ? errors++ : warnings++;
  return { errors, warnings, clusters: sorted };
}

/** One line per finding: `error cluster/profile Kind ns/name spec.replicas: message (file)`. */
export function formatFinding(f: Finding, withSeverity = true): string {
  const where = [f.cluster + (f.profile ? `/${f.profile}` : ''), f.object, f.path].filter(Boolean).join(' ');
  return `${withSeverity ? `${f.severity.padEnd(7)} ` : ''}[${f.check}] ${where}: ${f.message}${f.file ? ` (${f.file})` : ''}`;
}
