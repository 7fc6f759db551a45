/** Shared shapes passed between capabilities. Config parsing produces these; fleet, render and manifests consume them. */
import type { SourcePos } from './errors.js';

export type Applier = 'flux' | 'argocd';
export type ToolName = 'helm' | 'kustomize' | 'jsonnet' | 'ytt';
export type Engine = 'helm' | 'kustomize' | 'jsonnet' | 'ytt' | 'manifests';
export type JsonPath = ReadonlyArray<string | number>;

/** A loaded YAML document: where it came from and how to find a field's position in it. */
export interface DocRef {
  /** File path relative to the fleet root (posix separators). */
  file: string;
  /** Position of the node at `path` (falls back to the nearest existing parent, then the document start). */
  locate(path: JsonPath): SourcePos;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}
export interface PatchSpec {
  target?: PatchTarget;
  /** A target that matches nothing is accepted (by default it is an error). */
  optional?: boolean;
  /** A strategic-merge patch (object or YAML string) or a JSON 6902 op list (array or YAML string). */
  patch: unknown;
  /** Where the patch was declared, for errors. */
  source?: SourcePos;
}

export interface FreezeWindow {
  start?: string;
  end?: string;
  /** Weekly window, e.g. `{ days: [fri, sat], from: "16:00", to: "23:59" }`. */
  weekly?: { days: string[]; from: string; to: string; timezone?: string };
  reason: string;
}
export interface Environment {
  name: string;
  freeze: FreezeWindow[];
}

export interface Cluster {
  name: string;
  labels: Record<string, string>;
  environment: string;
  kubeVersion?: string;
  apiVersions: string[];
  vars: Record<string, unknown>;
  patches: PatchSpec[];
  doc: DocRef;
}

export interface Profile {
  name: string;
  clusterSelector?: LabelSelector;
  clusters?: string[];
  dependsOn: string[];
  tier: number;
  /** The raw, untemplated spec as parsed (templating happens per cluster). */
  spec: Record<string, unknown>;
  doc: DocRef;
}

export interface OciOutput {
  /** `oci://host/path`, templated per cluster. */
  repository: string;
  /** Plain-HTTP registry, as Flux's `OCIRepository.spec.insecure`. */
  insecure: boolean;
  /** The moving tag that mirrors the branch head (default `latest`). */
  tag: string;
}

export interface FleetConfig {
  /** Absolute path of the fleet repo root (the directory holding kiln.yaml unless --cwd says otherwise). */
  root: string;
  /** Absolute path of kiln.yaml. */
  file: string;
  name: string;
  environments: Environment[];
  output: {
    branch: string;
    path: string;
    /** The controller that applies the branches; decides what Helm hooks and generateName objects become. */
    appliedBy: Applier;
    /** Write `.kiln/provenance.json` (in-toto statement, SLSA provenance predicate) on every branch. */
    provenance?: boolean;
    /** false (`spec.output.branches: false`): no rendered branches, the OCI artifacts alone (needs `oci`). */
    branches?: false;
    /** Argo CD Source Hydrator layout: publish to `<branch>-next` with a root `hydrator.metadata` (GitOps Promoter merges). */
    hydrator?: true;
    /** Push each cluster's tree as a Flux OCI artifact (src/oci/). */
    oci?: OciOutput;
  };
  clusterGlobs: string[];
  profileGlobs: string[];
  tools: Partial<Record<ToolName, string>>;
  /** `spec.kindScopes`: the scope of custom kinds whose CRD the fleet does not render (src/fleet/kind-scopes.ts). */
  kindScopes?: Array<{ group: string; kind: string; scope: 'Cluster' | 'Namespaced'; pos?: SourcePos }>;
  /** `spec.checks`, defaults filled in (src/check/run.ts). */
  checks: FleetChecks;
  /** Sorted by name. */
  clusters: Cluster[];
  /** Sorted by name. */
  profiles: Profile[];
  doc: DocRef;
}

export interface FleetChecks {
  enabled: boolean;
  schemas: boolean;
  apis: boolean;
  /** Directory of .rego policies relative to the fleet root; false: none. */
  policies: string | false;
  schemaDir?: string;
}

export interface Warning {
  message: string;
  pos?: SourcePos;
}

// ---- resolved (templated for one cluster) component specs ------------------------------------

export interface ValuesFile {
  path: string;
  optional: boolean;
}
export interface HelmSpec {
  /** Local path (relative to the fleet root), `oci://…` reference, or a chart name when `repo` is set. */
  chart: string;
  repo?: string;
  version?: string;
  releaseName: string;
  namespace?: string;
  values: Record<string, unknown>;
  valuesFiles: ValuesFile[];
  includeCRDs: boolean;
  skipTests: boolean;
  /** Plain HTTP for an OCI registry (as Flux's `insecure`). */
  insecure: boolean;
  /** Helm hooks other than tests: keep or drop them; unset: the applier's default (hooks.ts). */
  hooks?: 'keep' | 'drop';
}
export interface KustomizeSpec {
  path: string;
}
export interface JsonnetSpec {
  file: string;
  extVars: Record<string, unknown>;
  tlas: Record<string, unknown>;
  jpath: string[];
}
export interface YttSpec {
  paths: string[];
  dataValues: Record<string, unknown>;
  dataValuesFiles: string[];
}
export interface ManifestsSpec {
  paths: string[];
}

export type Component =
  | { name: string; engine: 'helm'; spec: HelmSpec }
  | { name: string; engine: 'kustomize'; spec: KustomizeSpec }
  | { name: string; engine: 'jsonnet'; spec: JsonnetSpec }
  | { name: string; engine: 'ytt'; spec: YttSpec }
  | { name: string; engine: 'manifests'; spec: ManifestsSpec };

/** A profile templated for one cluster. */
export interface ResolvedProfile {
  name: string;
  tier: number;
  dependsOn: string[];
  namespace?: string;
  components: Component[];
  patches: PatchSpec[];
  /** `spec.allowSecrets`: plain v1 Secrets with data may be rendered (refused by default). */
  allowSecrets?: boolean;
  /** `spec.createNamespaces`: emit the Namespace objects its components use (manifests/create-namespaces.ts). */
  createNamespaces?: boolean;
  doc: DocRef;
}

/** A Kubernetes object as parsed from a renderer's output. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    /** Absent only when `generateName` is set (Argo CD hooks); use idOf() for the identity. */
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
