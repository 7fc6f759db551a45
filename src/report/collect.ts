/** Build the report data from the fleet config and what the rendered branches hold. */
import { parse as parseYaml } from 'yaml';
import { orderProfiles, branchFor, outputPathFor } from '../fleet/plan.js';
import { selects } from '../fleet/selector.js';
import { K8S_YAML, parseManifests } from '../manifests/parse.js';
import { idOf } from '../manifests/keys.js';
import type { FleetConfig, K8sObject } from '../model.js';
import type { EnvironmentStatus } from '../promote/status.js';
import type { BranchContent } from './read-branches.js';
import { readObjects } from './read-branches.js';
import type { Health, ReportCluster, ReportComponent, ReportData, ReportObject } from './model.js';

/** What one object file contributes; cached by blob id (identical objects across clusters are parsed once). */
interface ObjectFacts {
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
  images: string[];
  chart?: string;
}

/**
 * Whether a file on a rendered branch holds a v1 Secret, from its name alone (`[ns--]secret--name.yaml`,
 * see manifests/file-names.ts): such blobs are never read.
 */
export function isSecretFile(file: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
  const parts = base.split('--');
  return parts[1] === 'secret' || (parts[0] === 'secret' && parts.length === 2);
}

function secretFacts(file: string): ObjectFacts {
  const parts = file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '').split('--');
  return parts[1] === 'secret' ? { kind: 'Secret', apiVersion: 'v1', namespace: parts[0], name: parts.slice(2).join('--'), images: [] } : { kind: 'Secret', apiVersion: 'v1', name: parts.slice(1).join('--'), images: [] };
}

type PodSpec = { containers?: Array<{ image?: unknown }>; initContainers?: Array<{ image?: unknown }>; ephemeralContainers?: Array<{ image?: unknown }> };

function podSpecOf(o: K8sObject): PodSpec | undefined {
  const spec = (o as { spec?: Record<string, unknown> }).spec;
  if (!spec || typeof spec !== 'object') return undefined;
  const tmpl = (t: unknown) => ((t as { spec?: PodSpec } | undefined)?.spec);
  switch (o.kind) {
    case 'Pod':
      return spec as PodSpec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return tmpl(spec.template);
    case 'CronJob':
      return tmpl((spec.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template);
    default:
      return undefined;
  }
}

/** Container images of a workload's pod template: containers, initContainers (and ephemeral ones). */
export function imagesOf(o: K8sObject): string[] {
  const p = podSpecOf(o);
  if (!p) return [];
  const out: string[] = [];
  for (const list of [p.initContainers, p.containers, p.ephemeralContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) if (c && typeof c.image === 'string' && c.image) out.push(c.image);
  }
  return out;
}

function factsOf(text: string, file: string): ObjectFacts | undefined {
  let objs: K8sObject[];
  try {
    objs = parseManifests(text, { source: file });
  } catch {
    return undefined;
  }
  const o = objs[0];
  if (!o) return undefined;
  const id = idOf(o);
  const base = { kind: o.kind, apiVersion: o.apiVersion, namespace: o.metadata.namespace, name: id.name };
  // a Secret that slipped past the file-name check: keep its identity only, never its data
  if (o.kind === 'Secret') return { ...base, images: [] };
  return { ...base, images: imagesOf(o), chart: o.metadata.labels?.['helm.sh/chart'] };
}

export interface CollectInput {
  config: FleetConfig;
  remote: string;
  head?: string;
  work: string;
  branches: Map<string, BranchContent>;
  status: EnvironmentStatus[];
  /** Health per rendered commit (absent: unknown). */
  health: Map<string, Health>;
  healthContexts: string[];
}

export async function collectReport(i: CollectInput): Promise<ReportData> {
  const { config } = i;
  const ordered = orderProfiles(config.profiles);
  const placed = config.clusters.map((c) => ({ cluster: c, branch: branchFor(config, c), out: outputPathFor(config, c).replace(/\/+$/, '') }));

  // every object blob and metadata blob, in one batch, except Secrets
  const wanted = new Set<string>();
  for (const p of placed) {
    const b = i.branches.get(p.branch);
    if (!b) continue;
    const meta = b.all.get('.kiln/metadata.yaml');
    if (meta) wanted.add(meta);
    for (const [file, id] of b.files) if (file.startsWith(p.out + '/') && file.endsWith('.yaml') && !isSecretFile(file)) wanted.add(id);
  }
  const blobs = await readObjects(i.work, [...wanted]);
  const facts = new Map<string, ObjectFacts | undefined>();
  const metaCache = new Map<string, Record<string, unknown>>();

  const statusOf = new Map<string, EnvironmentStatus['clusters'][number]>();
  for (const e of i.status) for (const c of e.clusters) for (const name of c.cluster.split(',')) statusOf.set(name, c);

  const clusters: ReportCluster[] = [];
  for (const p of placed) {
    const c = p.cluster;
    const b = i.branches.get(p.branch);
    const s = statusOf.get(c.name);
    const rc: ReportCluster = {
      name: c.name,
      environment: c.environment,
      branch: p.branch,
      labels: c.labels,
      profiles: ordered.filter((pr) => selects(pr, c)).map((pr) => pr.name),
      published: Boolean(b),
      renderedCommit: b?.commit,
      sourceCommit: s?.sourceCommit ?? b?.sourceCommit,
      behind: s?.behind,
      ahead: s?.ahead,
      health: b ? (i.health.get(b.commit) ?? 'unknown') : 'unknown',
      tools: {},
      components: [],
      objects: [],
      kinds: {},
      images: [],
    };
    if (b) {
      const images = new Set<string>();
      const chartsByProfile = new Map<string, Set<string>>();
      for (const [file, id] of b.files) {
        if (!file.startsWith(p.out + '/') || !file.endsWith('.yaml')) continue;
        const rest = file.slice(p.out.length + 1);
        const profile = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : '';
        let f: ObjectFacts | undefined;
        if (isSecretFile(file)) f = secretFacts(file);
        else {
          if (!facts.has(id)) {
            const blob = blobs.get(id);
            facts.set(id, blob ? factsOf(blob.body.toString('utf8'), file) : undefined);
          }
          f = facts.get(id);
        }
        if (!f) continue;
        const obj: ReportObject = { kind: f.kind, apiVersion: f.apiVersion, name: f.name, profile, path: file };
        if (f.namespace) obj.namespace = f.namespace;
        if (f.images.length) obj.images = [...new Set(f.images)];
        rc.objects.push(obj);
        rc.kinds[f.kind] = (rc.kinds[f.kind] ?? 0) + 1;
        for (const img of f.images) images.add(img);
        if (f.chart) chartsByProfile.set(profile, (chartsByProfile.get(profile) ?? new Set()).add(f.chart));
      }
      rc.images = [...images].sort();
      rc.kinds = Object.fromEntries(Object.entries(rc.kinds).sort(([a], [b]) => a.localeCompare(b)));
      const metaId = b.all.get('.kiln/metadata.yaml');
      if (metaId) {
        if (!metaCache.has(metaId)) {
          let m: unknown;
          try {
            m = parseYaml(blobs.get(metaId)?.body.toString('utf8') ?? '{}', K8S_YAML);
          } catch {
            m = {};
          }
          metaCache.set(metaId, m && typeof m === 'object' ? (m as Record<string, unknown>) : {});
        }
        const whole = metaCache.get(metaId)!;
        const shared = (whole.clusters as Record<string, Record<string, unknown>> | undefined)?.[c.name];
        const meta = shared ?? whole;
        const tools = meta.tools ?? whole.tools;
        if (tools && typeof tools === 'object') rc.tools = Object.fromEntries(Object.entries(tools as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        rc.components = componentsOf(meta.profiles, chartsByProfile);
      }
    }
    clusters.push(rc);
  }

  const byImage = new Map<string, string[]>();
  for (const c of clusters) for (const img of c.images) byImage.set(img, [...(byImage.get(img) ?? []), c.name]);
  const healthOfCommit = (commit?: string): Health => (commit ? (i.health.get(commit) ?? 'unknown') : 'unknown');
  return {
    fleet: config.name,
    remote: i.remote,
    head: i.head,
    environments: i.status.map((e) => ({ ...e, clusters: e.clusters.map((c) => ({ ...c, health: healthOfCommit(c.renderedCommit) })) })),
    profiles: ordered.map((p) => p.name),
    labelKeys: [...new Set(config.clusters.flatMap((c) => Object.keys(c.labels)))].sort(),
    clusters,
    images: [...byImage.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([image, cs]) => ({ image, clusters: cs })),
    healthContexts: i.healthContexts,
  };
}

function componentsOf(profiles: unknown, charts: Map<string, Set<string>>): ReportComponent[] {
  const out: ReportComponent[] = [];
  if (!profiles || typeof profiles !== 'object') return out;
  for (const [profile, p] of Object.entries(profiles as Record<string, { components?: unknown }>)) {
    const list = Array.isArray(p?.components) ? (p.components as Array<Record<string, unknown>>) : [];
    for (const comp of list) {
      const command = Array.isArray(comp.command) ? comp.command.map(String) : [];
      const rc: ReportComponent = { profile, name: String(comp.name ?? ''), command };
      if (typeof comp.engine === 'string') rc.engine = comp.engine;
      if (command[0] === 'helm' && command[1] === 'template') {
        if (command[3]) rc.chart = command[3];
        const v = command.indexOf('--version');
        if (v >= 0 && command[v + 1]) rc.version = command[v + 1];
        const seen = charts.get(profile);
        if (seen) rc.charts = [...seen].sort();
      }
      out.push(rc);
    }
  }
  return out;
}
