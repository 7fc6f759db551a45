import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { ARGOCD_CLUSTER_LABEL, checkBootstrapFlags, type BootstrapSettings, type BootstrapTarget, type DestinationMode } from '../bootstrap/inputs.js';
import { applicationSetName, argoApplication, argoApplicationSet, docText, fluxObjects, normalizeOutputPath, type BootstrapDoc, type BootstrapTargetCluster } from '../bootstrap/objects.js';
import { KilnError } from '../errors.js';
import { branchFor, outputPathFor, selectClusters, type Selection } from '../fleet/plan.js';
import type { Cluster, FleetConfig, K8sObject, Warning } from '../model.js';
import { ociRepoFor } from '../oci/targets.js';
import { repoUrl } from '../oci/registry.js';
import { isInside } from '../util/paths.js';
import type { GlobalOptions } from './options.js';

export type { BootstrapTarget, DestinationMode } from '../bootstrap/inputs.js';

export type BootstrapOptions = Selection & {
  target: BootstrapTarget;
  /** The git URL the clusters pull the rendered branches from; credentials are refused (use a Secret). Not with source oci. */
  repoUrl?: string;
  /** Write `<out>/<cluster>.yaml` per cluster (one `<name>.yaml` for an ApplicationSet); else one stream. */
  out?: string;
  /** Argo CD: one ApplicationSet (list generator) instead of one Application per cluster. */
  applicationSet?: boolean;
  /** Default flux-system / argocd. */
  namespace?: string;
  /** Flux: GitRepository and Kustomization interval, default 5m. */
  interval?: string;
  /** Flux: Kustomization timeout (apply plus health checks), default 5m. */
  timeout?: string;
  /** Flux: name of a Secret holding the git credentials. */
  secretRef?: string;
  /** Argo CD: `in-cluster` (default) or `from-label` (hub: destination.name; default with applicationSet). */
  destinationServer?: DestinationMode;
  /** `git` (default) or `oci` (spec.output.oci's artifacts). */
  source?: 'git' | 'oci';
  /** Flux --source oci: Secret with the cosign public key, for OCIRepository.spec.verify. */
  verifySecret?: string;
  /** `origin` when repoUrl defaulted to the fleet repo's origin (an scp-like one is converted for Flux). */
  repoUrlFrom?: 'flag' | 'origin';
};

export interface BootstrapFile {
  /** File name under `out`: `<cluster>.yaml`, or `<applicationset name>.yaml`. */
  file: string;
  clusters: string[];
  objects: K8sObject[];
  /** Header comment and the objects as YAML documents. */
  text: string;
}

export interface BootstrapResult {
  target: BootstrapTarget;
  mode: 'flux' | 'applications' | 'applicationset';
  repoUrl: string;
  namespace: string;
  clusters: Array<{ name: string; environment: string; branch: string; path: string; destination?: string }>;
  files: BootstrapFile[];
  /** Absolute output directory when `out` was given (the files were written there). */
  out?: string;
  warnings: Warning[];
}

/** `kiln bootstrap flux|argocd`: the objects that make each selected cluster pull its rendered branch. */
export async function bootstrap(g: GlobalOptions, opts: BootstrapOptions): Promise<BootstrapResult> {
  checkBootstrapFlags(opts); // flag mistakes fail before the fleet is read
  // warnings are returned, not logged here: the CLI prints r.warnings once
  const { config, warnings } = await loadConfig({ cwd: g.cwd, config: g.config });
  const planned = planBootstrap(config, opts);
  const r = { ...planned, warnings: [...warnings, ...planned.warnings] };
  if (opts.out === undefined) return r;
  const out = path.resolve(g.cwd, opts.out);
  await writeFiles(out, r.files);
  return { ...r, out };
}

/** Everything but loading and writing: the objects for `config`'s selected clusters, sorted by cluster. */
export function planBootstrap(config: FleetConfig, opts: BootstrapOptions): BootstrapResult {
  const s = checkBootstrapFlags(opts);
  const selected = selectClusters(config, opts);
  if (!selected.length) {
    throw new KilnError('no cluster matches the selection', { hint: 'check --cluster/--env/--profile/--shard; kiln ls lists the clusters' });
  }
  const targets: BootstrapTargetCluster[] = selected
    .map((c) => ({
      cluster: c.name,
      environment: c.environment,
      branch: branchFor(config, c),
      path: normalizeOutputPath(outputPathFor(config, c)),
      destination: c.labels[ARGOCD_CLUSTER_LABEL] ?? c.name,
      ...(s.source === 'oci' ? { oci: ociSourceOf(config, c) } : {}),
    }))
    .sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const hub = s.target === 'argocd' && s.destination === 'from-label';
  const clusters = targets.map((t) => ({ name: t.cluster, environment: t.environment, branch: t.branch, path: t.path, ...(hub ? { destination: t.destination } : {}) }));
  const warnings: Warning[] = s.notes.map((message) => ({ message }));
  const applier = config.output.appliedBy;
  if (applier !== s.target) {
    // still emitted: moving a fleet between appliers starts with bootstrapping the new one
    warnings.push({ message: `kiln.yaml sets spec.output.appliedBy: ${applier}, but these are ${s.target === 'flux' ? 'Flux' : 'Argo CD'} objects: branches rendered for ${applier} may hold objects ${s.target === 'flux' ? 'Flux' : 'Argo CD'} applies differently (Helm hooks, generateName); set spec.output.appliedBy: ${s.target} if ${s.target === 'flux' ? 'Flux' : 'Argo CD'} applies these branches` });
  }
  const base = { target: s.target, repoUrl: s.repoUrl, namespace: s.namespace, clusters, warnings };

  if (config.output.branches === false && s.source !== 'oci') {
    throw new KilnError('this fleet publishes no branches (spec.output.branches: false): there is nothing for --source git to follow', { hint: 'bootstrap with --source oci' });
  }
  if (s.target === 'argocd' && s.applicationSet) {
    const doc = argoApplicationSet(s, applicationSetName(config.name, opts), targets);
    return { ...base, mode: 'applicationset', files: [toFile(`${doc.objects[0]!.metadata.name}.yaml`, targets, doc)] };
  }
  const perCluster = (t: BootstrapTargetCluster): BootstrapDoc => (s.target === 'flux' ? fluxObjects(s, t) : argoApplication(s, t));
  return {
    ...base,
    mode: s.target === 'flux' ? 'flux' : 'applications',
    files: targets.map((t) => toFile(`${t.cluster}.yaml`, [t], perCluster(t))),
  };
}

function ociSourceOf(config: FleetConfig, c: Cluster): { url: string; insecure: boolean; tag: string } {
  const oci = config.output.oci;
  if (!oci) throw new KilnError('--source oci needs spec.output.oci in kiln.yaml', { hint: 'set spec.output.oci.repository (e.g. oci://registry.example.com/fleet/{{ .Cluster.name }}) and publish first' });
  const repo = ociRepoFor(config, c)!;
  return { url: repoUrl(repo), insecure: repo.insecure, tag: oci.tag };
}

function toFile(file: string, targets: BootstrapTargetCluster[], doc: BootstrapDoc): BootstrapFile {
  return { file, clusters: targets.map((t) => t.cluster), objects: doc.objects, text: docText(doc) };
}

/** Only the listed files are written (each replaced in one rename); other files in `out` are left alone. */
async function writeFiles(out: string, files: BootstrapFile[]): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const f of files) {
    const dest = path.join(out, f.file);
    // cluster names are DNS labels; this guards the invariant
    if (!isInside(out, dest) || path.dirname(dest) !== out) throw new Error(`refusing to write ${f.file} outside ${out}`);
    const tmp = path.join(out, `.${f.file}.tmp-${process.pid}`);
    await writeFile(tmp, f.text);
    await rename(tmp, dest);
  }
}

/** With `out`: what was written. Without: the objects as one YAML stream (the CLI adds the final newline). */
export function formatBootstrap(r: BootstrapResult): string {
  if (r.out === undefined) return r.files.map((f) => f.text).join('---\n').replace(/\n$/, '');
  const objects = r.files.reduce((n, f) => n + f.objects.length, 0);
  const lines = r.files.map((f) => `${path.relative(process.cwd(), path.join(r.out!, f.file))}\t${f.objects.length} object(s)\t${f.clusters.length === 1 ? f.clusters[0] : `${f.clusters.length} clusters`}`);
  const where = r.target === 'flux' ? 'apply each file in its cluster' : r.mode === 'applications' && !r.clusters.some((c) => c.destination) ? 'apply each file in its cluster\'s Argo CD namespace' : 'apply in the hub Argo CD';
  lines.push(`bootstrap ${r.target}: ${r.clusters.length} cluster(s), ${objects} object(s) in ${r.out} (${where}, namespace ${r.namespace})`);
  return lines.join('\n');
}
