/** The data of `kiln report`: written as report.json and embedded in index.html. */
import type { EnvironmentStatus } from '../promote/status.js';

export type Health = 'success' | 'pending' | 'failure' | 'missing' | 'unknown';

export interface ReportObject {
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
  profile: string;
  /** Path on the cluster's branch. */
  path: string;
  /** Container images of a workload's pod template. */
  images?: string[];
}

export interface ReportComponent {
  profile: string;
  name: string;
  engine?: string;
  /** The exact command line from `.kiln/metadata.yaml`. */
  command: string[];
  /** Helm: the chart argument, `--version` when given, and the `helm.sh/chart` labels seen on its profile's objects. */
  chart?: string;
  version?: string;
  charts?: string[];
}

export interface ReportCluster {
  name: string;
  environment: string;
  branch: string;
  labels: Record<string, string>;
  /** Profiles selected by the fleet config (what should run). */
  profiles: string[];
  published: boolean;
  renderedCommit?: string;
  sourceCommit?: string;
  behind?: number | null;
  ahead?: number | null;
  health: Health;
  tools: Record<string, string>;
  components: ReportComponent[];
  /** Objects on the branch; Secrets appear with kind/namespace/name only. */
  objects: ReportObject[];
  kinds: Record<string, number>;
  images: string[];
}

export interface ReportImage {
  image: string;
  clusters: string[];
}

export interface ReportData {
  fleet: string;
  remote: string;
  head?: string;
  environments: Array<EnvironmentStatus & { clusters: Array<EnvironmentStatus['clusters'][number] & { health: Health }> }>;
  profiles: string[];
  labelKeys: string[];
  clusters: ReportCluster[];
  images: ReportImage[];
  healthContexts: string[];
}
